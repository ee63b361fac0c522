# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 14 · The full pipeline on a pretrained model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/14_full_pipeline.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/14_full_pipeline.ipynb)
#
# Notebooks 10-12 built VSTAR's two parts, temporal attention regularization (TAR) and video
# synopsis prompting (VSP), and switched them on in the course's tiny model. This last notebook
# does what VSTAR was made for: it takes a **pretrained** text-to-video model from the Hugging
# Face hub, ModelScope's 1.7 B text-to-video model run by diffusers, asks it for a **64-frame**
# video of a synopsis (four times the 16 frames it was trained on), and compares the plain model
# with VSTAR, side by side and through the temporal attention maps of notebook 09.
#
# **Two paths, one set of cells.** A pretrained video model needs a GPU. On a GPU this notebook
# downloads and runs ModelScope; **on a CPU (and in this repository's tests) the very same cells
# run on the tiny model of notebooks 05-12**, offline, and a banner says so. Only one cell (the
# settings) knows which path it is on; everything after it is the same code, because
# `VSTARPipeline` runs the tiny model through the same interface as a diffusers model.
#
# > **What was run where.** The outputs stored in this notebook come from the **CPU path** (the
# > tiny model). The GPU path has **not been executed by the authors on a real pretrained model in
# > this repository's CI**, which has no access to the Hugging Face hub. It was written against the
# > diffusers version and model ids printed below, and the library code it calls is tested on CPU
# > with tiny random diffusers UNets of the same classes. If you run it on a GPU and something
# > breaks, please open an issue with the error.
#
# **Learning goals.** After this notebook you can
# 1. load a pretrained diffusers text-to-video model by id with `VSTARPipeline.from_pretrained`
#    and pick the right Colab runtime and memory settings for it (fp16, `decode_chunk`);
# 2. turn the paper's TAR setting, written in feature-map widths, into UNet levels for any model
#    with `TARConfig.from_widths`, and generate a baseline and a VSTAR video from the same seed;
# 3. read VSTAR's effect off the temporal attention maps that the pipeline captures: one map per
#    UNet level averaged over steps, its diagonalness, and how it changes step by step when TAR
#    switches off after step 13;
# 4. say which parts of the result depend on the model (the pictures) and which do not (the
#    mechanism: levels, steps, maps).
#
# **Sources.** TAR, VSP, the sigma setting `{full width: 1, half width: 8}` for about 64 frames,
# the regularized steps (the first 14 of 25) and the attention-map analysis are from VSTAR:
# *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper, Zhang and
# Khoreva, ICLR 2025), with its supplement (G.2 *video synopsis prompting*, G.3 *longer video
# generation*, G.6 *ablation of the attention regularization matrix*). The pretrained model is
# ModelScope text-to-video (*ModelScope Text-to-Video Technical Report*, Wang, Yuan, Zhang, Zhang,
# Wang and Zhang, 2023), `ali-vilab/text-to-video-ms-1.7b` on the Hugging Face hub, loaded with
# diffusers' `DiffusionPipeline` (its text-to-video pipelines now live in diffusers' `deprecated/`
# folder). The synopses are this library's own (`data/synopses.json`).

# %% [markdown]
# ## Before you start: a GPU runtime
#
# **In Colab:** *Runtime > Change runtime type*, choose a **GPU** under *Hardware accelerator*
# (**T4** on the free tier; **L4** or **A100** if you have them), *Save*, then *Runtime > Run
# all*. The first run downloads the model's fp16 weights (about 3.7 GB: the 1.41 B-parameter
# UNet is 2.8 GB, the OpenCLIP text encoder and the VAE the rest) into the hub cache, which takes a
# few minutes; later runs in the same session reuse them.
#
# **Memory.** The pipeline runs in **fp16** on a GPU (fp32 on a CPU). A 64-frame video of
# 256 x 256 pixels is a latent of `2 x 4 x 64 x 32 x 32` during sampling (a guidance batch: the
# unconditional and the conditional video), which is small; the memory goes into the UNet's
# activations, which grow with the number of frames. Decoding 64 frames through the VAE at once
# would take several GB more, so the pipeline decodes `decode_chunk` frames at a time (8 here).
# How much a 64- or 128-frame step needs on *your* GPU, without and with VSTAR, is what
# `vstar-lite bench --unet3d` measures (random weights, no download). We have not measured it on
# a T4; if you run out of memory: switch the capture off (`CAPTURE = False` below; to record the
# maps, each temporal layer computes its attention probabilities explicitly instead of through
# PyTorch's fused attention), lower `decode_chunk` to 2-4, generate 32 frames, or use a larger
# GPU.
#
# **Locally** with a CUDA GPU: `pip install "vstar-lite @ git+https://github.com/vstar-lite/vstar-lite"`
# (your own CUDA build of PyTorch is kept), then open this notebook.

# %% Set-up: in Colab, install vstar-lite; elsewhere (make lab, make test) it is already installed.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "vstar-lite @ git+https://github.com/vstar-lite/vstar-lite",
        ],
        check=True,
    )

# %%
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import diffusers
import matplotlib.pyplot as plt
import torch
from vstar_lite import TARConfig, VSTARPipeline
from vstar_lite.pipeline import DIFFUSERS_VERSION_TESTED, PRESETS
from vstar_lite.tar import diagonalness, mean_diagonal_probability
from vstar_lite.utils import check_predictions, notebook_setup
from vstar_lite.viz import attention_heatmap, show_video, video_grid
from vstar_lite.vsp import load_synopses

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures; "cuda" when a GPU is present
print(f"seed {SEED}; device: {device}")


def fmt(value: float, digits: int = 3) -> str:
    """A rounded number that never prints as -0.000."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


# %% [markdown]
# ## 1. The model: one cell decides
#
# `MODEL` is `"modelscope"` on a GPU and `"tiny"` on a CPU; the settings next to it are the only
# ones that differ between the two paths. `"modelscope"` is a name in `vstar_lite.pipeline.PRESETS`
# (any diffusers model id or local folder works as well); each preset stores the model id, the
# size, steps and guidance the model is usually sampled with, and DDIM's `eta` (1.0 for ModelScope
# and Zeroscope, as the VSTAR paper samples; 0 for AnimateDiff, as diffusers' AnimateDiff
# documentation does), with a `why` that says where the settings come from.
#
# The baseline is what the model gives without VSTAR for a single prompt. For ModelScope that is
# the synopsis' own prompt ("A peony starts to bloom, in the field"). The tiny model's grammar
# cannot say "turns from red to blue" in one prompt (it knows 17 words), so its baseline is the
# first sub-prompt on every frame, as in notebook 12 and the command-line tool.

# %%
MODEL = "modelscope" if device == "cuda" else "tiny"
SETTINGS = {
    "modelscope": {  # 256 x 256 pixels, latent 32 x 32; 25 steps, guidance 9, eta 1 (preset)
        "synopsis": "peony_blooms", "baseline": "prompt", "num_frames": 64,
        "decode_chunk": 8, "fps": 8, "gif_scale": 1,
    },
    "tiny": {  # 32 x 32 pixels, latent 8 x 8; 25 steps, guidance 4, eta 0
        "synopsis": "tiny_red_to_blue", "baseline": "first sub-prompt", "num_frames": 64,
        "decode_chunk": 16, "fps": 12, "gif_scale": 3,
    },
}[MODEL]  # fmt: skip
CAPTURE = True  # record temporal attention maps (section 4); False saves GPU memory

if MODEL == "tiny":
    print("=" * 78)
    print(" CPU PATH: no GPU here, so every cell below runs on the course's TINY model")
    print(' (VSTARPipeline.from_pretrained("tiny"): 32 x 32 pixels, coloured shapes), offline.')
    print(" The same cells run ModelScope (ali-vilab/text-to-video-ms-1.7b) on a GPU.")
    print(" The stored outputs of this notebook are from this path.")
    print("=" * 78)
else:
    print("GPU PATH: ModelScope text-to-video 1.7B, fp16, from the Hugging Face hub")
    print(f"GPU: {torch.cuda.get_device_name()}; diffusers installed: {diffusers.__version__}")
    if diffusers.__version__ != DIFFUSERS_VERSION_TESTED:
        print(f"note: this path was written against diffusers {DIFFUSERS_VERSION_TESTED}")
print(f"MODEL = {MODEL!r}; settings: {SETTINGS}")

# %% [markdown]
# What the GPU path was written against: the diffusers version, and the presets with their model
# ids. ModelScope and Zeroscope are `UNet3DConditionModel`s; AnimateDiff is a `UNetMotionModel`
# (motion modules added to Stable Diffusion 1.5). `enable_vstar` serves both kinds; this notebook
# uses the first.

# %%
print(f"written against diffusers {DIFFUSERS_VERSION_TESTED}")
print(f"{'preset':<12}{'model id':<34}{'size':>10}{'steps':>7}{'guidance':>10}{'eta':>5}")
for name, preset in PRESETS.items():
    size = f"{preset.width}x{preset.height}"
    print(f"{name:<12}{preset.model_id:<34}{size:>10}{preset.steps:>7}{preset.guidance:>10}"
          f"{preset.eta:>5}")  # fmt: skip
    if preset.motion_adapter:
        print(f"{'':<12}+ motion adapter {preset.motion_adapter}")
    print(textwrap.fill(f"why: {preset.why}", width=96, initial_indent=" " * 12,
                        subsequent_indent=" " * 17))  # fmt: skip

# %% [markdown]
# Loading. On the GPU path `from_pretrained("modelscope")` calls diffusers'
# `DiffusionPipeline.from_pretrained("ali-vilab/text-to-video-ms-1.7b", variant="fp16",
# dtype=torch.float16)` and keeps its five parts: tokenizer, text encoder, UNet, VAE and a DDIM
# scheduler. On the CPU path `from_pretrained("tiny")` loads the course's tiny model, which is a
# diffusers pipeline folder of the same kind (`data/tiny_model/modelscope/`: a
# `TextToVideoSDPipeline` with its own `UNet3DConditionModel`, notebook 07) through the same
# `DiffusionPipeline.from_pretrained` call, from the disk; nothing touches the network.

# %%
started = time.perf_counter()
if MODEL == "tiny":
    pipe = VSTARPipeline.from_pretrained("tiny", device=device)
else:
    pipe = VSTARPipeline.from_pretrained(MODEL, device=device)  # downloads once, then cached
unet = pipe.unet  # a diffusers UNet3DConditionModel on both paths
params = sum(p.numel() for p in pipe.unet.parameters())
latent_height = pipe.height // pipe.vae_scale_factor
latent_width = pipe.width // pipe.vae_scale_factor
print(f"UNet: {type(unet).__name__}, {params / 1e6:.1f} M parameters, "
      f"{str(pipe.dtype).removeprefix('torch.')} on {pipe.device.type}")  # fmt: skip
print(f"video {pipe.height} x {pipe.width} pixels -> latent {latent_height} x {latent_width}; "
      f"{pipe.default_steps} steps, guidance {pipe.default_guidance}")  # fmt: skip
print(f"wall time: {time.perf_counter() - started:.1f} s")

# %% [markdown]
# ## 2. The paper's TAR setting, for this model
#
# The paper gives its sigmas by feature-map width on VideoCrafter2's latent, 64 wide: sigma 1 at
# width 64 (the full latent resolution) and sigma 8 at width 32 (half of it), for videos of about
# 64 frames. In UNet levels that is "level 0: sigma 1, level 1: sigma 8", whatever the latent's
# width: ModelScope's latent is 32 wide, so its widths are 32 and 16; the tiny model's is 8 wide,
# so 8 and 4. `TARConfig.from_widths` does the conversion (and rejects widths the latent does not
# have), and regularizes the first 14 of 25 denoising steps, as the paper does (at another step
# count the cut-off keeps that share; `TAR.describe(steps)` says which steps):

# %%
TAR = TARConfig.from_widths({latent_width: 1.0, latent_width // 2: 8.0}, latent_width=latent_width)
print(f"widths {latent_width} and {latent_width // 2} -> levels and sigmas {dict(TAR.sigmas)}, "
      f"{TAR.describe(pipe.default_steps)}")  # fmt: skip
assert dict(TAR.sigmas) == {0: 1.0, 1: 8.0}

# %% [markdown]
# ## 3. Baseline vs VSTAR, 64 frames, one seed
#
# The synopsis: a prompt, and sub-prompts for the key visual states in order. VSP turns the
# sub-prompts' text embeddings into one embedding per frame, interpolating between keyframes
# spread evenly over the video (notebook 11):

# %%
synopsis = load_synopses()[SETTINGS["synopsis"]]
frames = SETTINGS["num_frames"]
print(f"synopsis {SETTINGS['synopsis']!r}: {synopsis.prompt}")
for keyframe, text in zip(synopsis.keyframes_for(frames), synopsis.sub_prompts):
    print(f"  frame {keyframe:>2}: {text}")
baseline_prompt = synopsis.prompt if SETTINGS["baseline"] == "prompt" else synopsis.sub_prompts[0]
print(f"baseline prompt, on every frame: {baseline_prompt}")

# %% [markdown]
# Two calls of the same pipeline from the same seed (so from the same starting noise): the
# baseline with one prompt and no TAR, and VSTAR with the synopsis (VSP) and `tar=TAR`. Inside,
# `__call__` switches TAR, the per-frame text and the attention capture on with `enable_vstar`
# for the denoising loop only, and the UNet's own processors are back as soon as it returns.
# `capture=True` keeps a running mean of the temporal attention maps per UNet level and step.

# %%
common = dict(num_frames=frames, seed=SEED, decode_chunk=SETTINGS["decode_chunk"],
              capture=CAPTURE, progress=device == "cuda")  # fmt: skip
baseline = pipe(prompt=baseline_prompt, **common)
vstar = pipe(synopsis=synopsis, tar=TAR, **common)
for name, result in (("baseline", baseline), ("VSTAR", vstar)):
    print(f"{name:<9} videos (b 3 f h w): {tuple(result.videos.shape)}, "
          f"wall time: {result.seconds:.1f} s")  # fmt: skip

# %% [markdown]
# Side by side (left: baseline, right: VSTAR), as a GIF that plays in JupyterLab, Colab and on
# GitHub:


# %%
def side_by_side(*videos: torch.Tensor) -> torch.Tensor:
    """Videos "3 f h w" in [-1, 1] -> one "3 f h W" video, white lines between them."""
    return video_grid(torch.stack(videos))


pair = side_by_side(baseline.videos[0], vstar.videos[0])
show_video(pair[:, ::2], fps=SETTINGS["fps"] / 2, scale=SETTINGS["gif_scale"],
           value_range=(-1, 1))  # every 2nd frame, at half the rate: the same motion, half the bytes

# %% [markdown]
# The same videos as stills, eight frames spread over the 64, so that the change over time can be
# read without playing anything:

# %%
picks = torch.linspace(0, frames - 1, 8).round().long().tolist()
fig, axes = plt.subplots(2, len(picks), figsize=(1.5 * len(picks), 3.5), layout="constrained")
for row, (name, result) in enumerate((("baseline", baseline), ("VSTAR", vstar))):
    video = result.frames[0]  # "f h w 3", uint8
    for ax, index in zip(axes[row], picks):
        ax.imshow(video[index], interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"f = {index}", fontsize=8)
    axes[row, 0].set_ylabel(name)
plt.show()

# %% [markdown]
# Two numbers read from the pixels, meaningful for any model: the mean absolute change from one
# frame to the next (**frame change**; near 0 is a frozen video), and the mean absolute
# difference between the average of the first eight frames and that of the last eight (**start
# to end**; how far the video travels). The paper reports that long baseline videos freeze into
# near-static content and that VSTAR makes them move through the synopsis; on the tiny model, read
# them with notebook 12's paired intervals in mind: one seed of a tiny model of coloured shapes is
# an example, not a measurement.


# %%
def change_numbers(video: torch.Tensor) -> tuple[float, float]:
    """For "3 f h w" in [-1, 1]: mean |x_(t+1) - x_t|, and |mean(first 8) - mean(last 8)|."""
    step = (video[:, 1:] - video[:, :-1]).abs().mean()
    travel = (video[:, :8].mean(dim=1) - video[:, -8:].mean(dim=1)).abs().mean()
    return float(step), float(travel)


print(f"{'':<10}{'frame change':>14}{'start to end':>14}")
for name, result in (("baseline", baseline), ("VSTAR", vstar)):
    step, travel = change_numbers(result.videos[0])
    print(f"{name:<10}{fmt(step):>14}{fmt(travel):>14}")

# %% [markdown]
# **What the stored outputs show (CPU path, tiny model, seed 0).**
# In the eight stills, the baseline shows a red circle (drawn as an upright oval) on a near-black
# background, from f = 0 to f = 63. The circle is at a different place in each still (at f = 18
# with a faint dark-red smudge above and left of it), so the video does not freeze into one
# picture; its frame change is 0.037 and its start to end 0.121. It stays red in all eight
# stills, which is what its single prompt asks.
# VSTAR's circle is red at f = 0 and 9, purple at f = 18, 27 and 36, blue-violet at f = 45 and
# blue at f = 54 and 63: it reaches the purple and then the blue state, in the synopsis' order.
# It also changes in ways the synopsis does not ask for: from f = 0 to 36 its background is a
# lighter grey than the baseline's (lightest at f = 9 and 18), and at f = 54 and 63 it is black,
# the blue shape is smaller and rounder than the red and purple ones, and a thin green-yellow
# streak appears beside it. Its frame change is 0.044 (baseline 0.037) and its start to end 0.351
# (baseline 0.121); start to end counts colour as well as position, so the change from red to
# blue is part of it. This is one seed of one synopsis, with no interval: an example, not a
# measurement, and neither difference between the two runs' numbers is shown. Whether VSTAR
# changes the tiny model's videos is decided by notebook 12's paired 95% intervals over seeds and
# captions (its section 5). It says nothing about what ModelScope does with the peony synopsis;
# that is what the GPU path is for.

# %% [markdown]
# Saving: `VSTARResult.save` writes a GIF anywhere and a browser-playable MP4 (H.264, yuv420p)
# where ffmpeg is installed (Colab has it). Here both go to a temporary folder; on Colab, download
# them from the file browser on the left, or pass a path of your own.

# %%
out_dir = Path(tempfile.mkdtemp(prefix="vstar10_"))
suffix = ".mp4" if MODEL != "tiny" and shutil.which("ffmpeg") else ".gif"
saved = [result.save(out_dir / f"{name}{suffix}", fps=SETTINGS["fps"], scale=SETTINGS["gif_scale"])
         for name, result in (("baseline", baseline), ("vstar", vstar))]  # fmt: skip
print("saved:", ", ".join(path.name for path in saved), "(in a temporary folder)")

# %% [markdown]
# ## 4. Temporal attention maps from the capture
#
# Notebook 09 read temporal attention as one `f x f` map per UNet level and denoising step: the
# probabilities averaged over heads, pixel positions, videos (both halves of the guidance batch)
# and all temporal layers of a level. The pipeline's capture holds exactly these running means,
# `result.capture.maps()` as `{(level, step): "f f"}`. Averaging further over the 25 steps gives
# one map per level (`capture.by_level()`).
#
# How many temporal layer calls went into each map of step 0, per level (ModelScope: every
# temporal block has two temporal attentions, `attn1` and `attn2`, both self-attention over
# frames; the lone `transformer_in` before the first down block is counted at level 0 but, as in
# the paper, never regularized):

# %%
for level in sorted({level for level, _ in vstar.capture.maps()}):
    print(f"level {level}: {vstar.capture.counts[(level, 0)]} temporal attention calls per step")

# %% [markdown]
# The maps averaged over all steps, baseline (top) and VSTAR (bottom), one column per level. Each
# has query frame `i` down and key frame `j` across; a diagonal band means a frame takes mostly
# from its neighbours, a flat map that it takes from every frame alike. All panels share one
# colour scale from 0 to at least `4/f`.

# %%
levels = {name: result.capture.by_level() for name, result in
          (("baseline", baseline), ("VSTAR", vstar))}  # fmt: skip
columns = sorted(levels["VSTAR"])
vmax = max(4 / frames, *(float(m.max()) for maps in levels.values() for m in maps.values()))
fig, axes = plt.subplots(2, len(columns), squeeze=False, layout="constrained",
                         figsize=(2.6 * len(columns) + 0.6, 5.2))  # fmt: skip
for row, (name, maps) in enumerate(levels.items()):
    for col, level in enumerate(columns):
        attention_heatmap(maps[level], ax=axes[row, col], vmax=vmax, xlabel="key frame j",
                          ylabel=f"{name}\nquery frame i" if col == 0 else "",
                          title=f"level {level}: diag. {fmt(diagonalness(maps[level]), 2)}")  # fmt: skip
        axes[row, col].title.set_fontsize(9)
fig.suptitle(f"temporal attention averaged over {pipe.default_steps} steps, {frames} frames")
plt.show()

# %% [markdown]
# The same maps as numbers: diagonalness (the correlation of query and key index under the map:
# 1 = all mass on the diagonal, 0 = no structure) over all steps, over the regularized steps
# 0-13 and over the steps after them, and the mean diagonal probability as a multiple of the
# uniform `1/f` (`x uniform`). During steps 0-13 the VSTAR maps at the regularized levels are the
# *regularized* probabilities (TAR adds its Gaussian band before the softmax), so any band they
# show there was put in by TAR; how strong it gets depends on sigma and on the model's own logits
# (notebook 10). The interesting column is **after TAR**: steps 14-24 run the model's
# own attention on latents that TAR shaped.


# %%
def diag_over(maps: dict, level: int, steps: range) -> float:
    """Diagonalness of the map at `level` averaged over `steps`."""
    return float(diagonalness(torch.stack([maps[(level, s)] for s in steps]).mean(0)))


all_steps = range(pipe.default_steps)
last = TAR.last_step(pipe.default_steps)  # 13 of 25
tar_steps, after_steps = range(last + 1), range(last + 1, pipe.default_steps)
print(f"{'':<10}{'level':>6}{'TAR sigma':>10}{'diagonalness, steps:':>22}{'':>8}"
      f"{'x uniform':>11}")  # fmt: skip
print(f"{'':<26}{'all':>8}{f'0-{last}':>8}{f'{last + 1}-{pipe.default_steps - 1}':>8}{'all':>11}")
for name, result in (("baseline", baseline), ("VSTAR", vstar)):
    maps = result.capture.maps()
    for level in columns:
        sigma = TAR.sigma_for(level) if name == "VSTAR" else None
        cells = [diag_over(maps, level, s) for s in (all_steps, tar_steps, after_steps)]
        x_uniform = float(mean_diagonal_probability(levels[name][level])) * frames
        print(f"{name:<10}{level:>6}{'-' if sigma is None else fmt(sigma, 0):>10}"
              + "".join(f"{fmt(c):>8}" for c in cells) + f"{fmt(x_uniform, 2):>11}")  # fmt: skip

# %% [markdown]
# **In the stored outputs (tiny model):**
# The baseline's 64-frame maps have no band at either level. Over all steps their diagonalness is
# 0.010 at level 0 and -0.026 at level 1, within 0.03 of the 0 of a flat map, and a frame gives
# itself 1.05 and 0.81 times the uniform 1/64: at level 1 it takes a little less from itself than
# from the average frame. Steps 0-13 (0.011 and -0.027) and 14-24 (0.010 and -0.024) read the
# same. Notebook 09 measures real 64-frame clips of the tiny model with the same two numbers; set
# these rows beside its "real clips" rows at f = 64 to see how much band the model's attention
# has on real content at this length, and so how much there is for a generated video to lose.
# During TAR's steps 0-13 the VSTAR maps are no longer flat: diagonalness 0.065 at level 0 (sigma
# 1) and 0.140 at level 1 (sigma 8), against the baseline's 0.011 and -0.027. That is far from
# the 1 of a map with all its mass on the diagonal. Averaged over all 25 steps, a frame gives
# itself 2.15 times uniform at level 0 (baseline 1.05), the thin diagonal line of the VSTAR level-0
# panel, and 1.08 times at level 1 (baseline 0.81). After step 13 most of the band goes: steps
# 14-24 read 0.035 at level 0, about half of its 0.065 under TAR but above the baseline's 0.010,
# and -0.012 at level 1, against the baseline's -0.024. One run per method and no interval: a
# band left over after TAR switches off is not shown.

# %% [markdown]
# ## Exercise 1: diagonalness step by step
#
# The table averaged steps in two groups. Write `diagonalness_by_step(capture, level)`, the
# diagonalness of the captured map at one level for every denoising step, in step order (a list
# of floats, one per step), from `capture.maps()` and `vstar_lite.tar.diagonalness`. The check
# compares it with the maps' running sums, and the plot after it shows where TAR switches off.


# %%
def diagonalness_by_step(capture, level: int) -> list[float]:
    """Diagonalness of the (level, step) map of a capture, for each captured step in order."""
    ### BEGIN SOLUTION
    maps = capture.maps()
    steps = sorted(step for (lvl, step) in maps if lvl == level)
    return [float(diagonalness(maps[(level, step)])) for step in steps]
    ### END SOLUTION


# %%
for name, result in (("baseline", baseline), ("VSTAR", vstar)):
    for level in columns:
        got = diagonalness_by_step(result.capture, level)
        assert isinstance(got, list) and len(got) == pipe.default_steps, (
            f"{name}, level {level}: expected {pipe.default_steps} values, got {len(got)}"
        )
        for step, value in enumerate(got):
            key = (level, step)
            expected = float(diagonalness(result.capture.sums[key] / result.capture.counts[key]))
            assert abs(value - expected) < 1e-6, f"{name} {key}: {value} vs {expected}"
print(f"exercise passed: {pipe.default_steps} steps x {len(columns)} levels x 2 runs")

# %%
fig, axes = plt.subplots(1, len(columns), figsize=(3.2 * len(columns), 2.8), squeeze=False,
                         layout="constrained", sharey=True)  # fmt: skip
for ax, level in zip(axes[0], columns):
    for name, result in (("baseline", baseline), ("VSTAR", vstar)):
        ax.plot(diagonalness_by_step(result.capture, level), marker=".", label=name)
    ax.axvline(TAR.last_step(pipe.default_steps) + 0.5, color="grey", linestyle="--", linewidth=1)
    sigma = TAR.sigma_for(level)
    ax.set(title=f"level {level}" + (f" (TAR sigma {sigma:g})" if sigma else " (no TAR)"),
           xlabel="denoising step (0 = noisiest)")  # fmt: skip
axes[0, 0].set_ylabel("diagonalness")
axes[0, 0].legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Exercise 2: predict, then check (TAR's steps and band)
#
# Predict first: does each number go `"up"`, `"down"` or stay the `"same"`?
#
# - the number of regularized steps of `TAR` when sampling takes **50 steps instead of 25**
#   (`TAR.last_step`, section 3);
# - the **share** of the steps that TAR regularizes, for the same change;
# - the level-0 diagonalness over TAR's steps, from the **baseline to VSTAR** (the table above).
#
# The first two are properties of `TARConfig`; the third holds on any model, since during those
# steps the VSTAR maps are the regularized probabilities.

# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "regularized steps, 25 -> 50 steps": "up",
        "regularized share, 25 -> 50 steps": "same",
        "level-0 diagonalness under TAR, baseline -> VSTAR": "up",
    }
    ### END SOLUTION


# %%
regularized = {n: TAR.last_step(n) + 1 for n in (25, 50)}  # steps 0..last_step
items = {  # name -> (number before, number after)
    "regularized steps, 25 -> 50 steps": (regularized[25], regularized[50]),
    "regularized share, 25 -> 50 steps": (regularized[25] / 25, regularized[50] / 50),
    "level-0 diagonalness under TAR, baseline -> VSTAR": (
        diag_over(baseline.capture.maps(), columns[0], tar_steps),
        diag_over(vstar.capture.maps(), columns[0], tar_steps),
    ),
}
check_predictions(items, predict(), digits=3)
print("exercise passed: every prediction agrees with the numbers")

# %% [markdown]
# ## Recap
#
# - `VSTARPipeline.from_pretrained("modelscope")` loads a diffusers text-to-video model by preset
#   or id (fp16 on a GPU); `VSTARPipeline.from_pretrained("tiny")` loads the course's tiny model,
#   itself a diffusers pipeline folder, through the same code, which is how this notebook runs
#   everywhere and is tested on a CPU.
# - `pipe(prompt=...)` is the baseline; `pipe(synopsis=..., tar=TARConfig(...))` is VSTAR: VSP's
#   per-frame text and TAR's Gaussian band, switched on with `enable_vstar` for the denoising loop
#   only. `TARConfig.from_widths` turns the paper's width-keyed sigmas into UNet levels for any
#   latent size.
# - `capture=True` returns running means of the temporal attention maps per level and step: the
#   analysis of notebook 09 on a real model, at the cost of one `f x f` map per level and step.
# - Memory on a GPU: fp16, VAE decoding in chunks of `decode_chunk` frames, capture off when
#   tight; `vstar-lite bench --unet3d` measures one step's time and peak memory, with and without
#   VSTAR, on your GPU.
# - The stored outputs are the CPU path's. The GPU path was written against the diffusers version
#   and model ids printed in section 1 and has not been run by the authors on the real model in
#   this repository's CI; the library code under it is tested on CPU with tiny random diffusers
#   UNets of the same classes.
#
# This is the end of the series. From here: try the other synopses in `data/synopses.json` (or
# write your own with `vstar_lite.vsp.write_synopsis`), other sigmas (notebook 12's sweep), 128
# frames, the `zeroscope` and `animatediff` presets, or many prompts on several GPUs with
# `vstar-lite batch`.
