# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · VSTAR end to end on the tiny model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/09_vstar_end_to_end.ipynb)
#
# Notebooks 07 and 08 built VSTAR's two parts one at a time: temporal attention regularization
# (TAR) adds a Gaussian band to the logits of temporal attention, and video synopsis prompting
# (VSP) gives every frame its own text embedding, interpolated between sub-prompts that describe
# the video's key visual states. This notebook switches them on together in the tiny model of
# notebook 05, the way VSTAR uses them on a pretrained text-to-video model, and checks the
# paper's four claims in miniature, with numbers read from the pixels:
#
# 1. **VSP** makes the video move through the synopsis' states where a single prompt does not;
# 2. **TAR with a smaller sigma** gives more change over time, a larger sigma more coherence
#    (supplement G.6);
# 3. for videos **longer than the 16 training frames**, TAR restores text alignment and quality
#    (supplement G.3);
# 4. **too strong a regularization** (sigma 1 at two levels) breaks coherence.
#
# **Learning goals.** After this notebook you can
# 1. run the four conditions of an ablation (baseline, +VSP, +TAR, +both) with one configuration
#    type, `TARConfig`, and one hook, `enable_vstar`, the same ones the diffusers models use;
# 2. measure whether a video follows a synopsis, frame by frame, from its pixels;
# 3. run a sigma sweep and read it as the paper's G.6 ablation does: change over time against
#    coherence;
# 4. state, with numbers and over several seeds, which of the four claims the tiny model
#    reproduces and which it does not.
#
# **Sources.** TAR, VSP, the published sigma settings and the four claims are from VSTAR:
# *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper, Zhang and
# Khoreva, ICLR 2025), and its supplement: section G.2 (*video synopsis prompting*), G.3 (*Effect
# of TAR on longer video generation*) and G.6 (*Ablation of attention regularization matrix*). The
# tiny model, its world, the synopses written for it and the pixel measurements are this
# library's own (notebooks 05 and 08).

# %% Set-up: in Colab, install vstar-lite; elsewhere (make lab, make test) it is already installed.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "vstar-lite @ git+https://github.com/vstar-lite/vstar-lite"],
        check=True,
    )

# %%
import json
import time

import matplotlib.pyplot as plt
import torch

from vstar_lite import TARConfig
from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.paths import data_path
from vstar_lite.tiny import generate, load_tiny
from vstar_lite.tiny.analysis import (
    benchmark_captions,
    real_clips_for,
    synopsis_scores,
    synopsis_states,
    synopsis_videos,
)
from vstar_lite.tiny.measure import read_frames, score_videos
from vstar_lite.utils import notebook_setup
from vstar_lite.viz import show_video, video_grid
from vstar_lite.vsp import load_synopses

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

model = load_tiny("vstar")
synopses = load_synopses()
recorded = json.loads(data_path("tiny_model", "vstar", "effects.json").read_text())


def fmt(value: float, digits: int = 2) -> str:
    """A rounded number that never prints as -0.00."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


# %% [markdown]
# ## 1. One switch for both: `enable_vstar` with a `TARConfig`
#
# Everything below goes through one entry point. `enable_vstar(model.unet, tar, frame_embeddings=)`
# installs attention processors in the UNet, and leaving the `with` block puts the old ones back,
# so the model is bitwise what it was. The tiny UNet has two levels, 8 x 8 (level 0, the full
# latent resolution) and 4 x 4 (level 1, which includes the middle block). The paper names its
# sigmas by feature-map width on a latent 64 wide; for the tiny model's latent, 8 wide,
# `TARConfig.from_widths` maps them the same way (full width = level 0, half width = level 1):

# %%
PAPER = {  # the published settings, by width of VideoCrafter2's 40 x 64 latent (reference notes)
    "16-32 frames, more change": {64: 1.0},
    "16-32 frames, more coherence": {64: 8.0},
    "about 64 frames (recommended)": {64: 1.0, 32: 8.0},
    "too strong": {64: 1.0, 32: 1.0},
}
for name, by_width in PAPER.items():
    on_tiny = {8 * width // 64: sigma for width, sigma in by_width.items()}
    config = TARConfig.from_widths(on_tiny, latent_width=8)
    print(f"{name:<32} paper {by_width!s:<22} -> tiny levels {dict(config.sigmas)!s:<18}"
          f" steps 0-{config.until_step} of 25")  # fmt: skip

# %% [markdown]
# ## 2. Four conditions on one synopsis
#
# The synopsis `tiny_red_to_blue` asks for a circle moving right on a dark background whose colour
# goes from red through purple to blue. The tiny grammar cannot say "turns from red to blue" in
# one prompt (it knows 17 words), so the single-prompt baseline is the first sub-prompt on every
# frame, as in the command-line tool. The four conditions of the paper's ablation, with the TAR
# setting it recommends for long videos:

# %%
synopsis = synopses["tiny_red_to_blue"]
for index, text in enumerate(synopsis.sub_prompts):
    print(f"sub-prompt {index}: {text}")
TAR_LONG = TARConfig(sigmas={0: 1.0, 1: 8.0})
CONDITIONS = {  # name -> (VSP on, TAR config)
    "baseline": (False, None),
    "+VSP": (True, None),
    "+TAR": (False, TAR_LONG),
    "+VSP +TAR": (True, TAR_LONG),
}
LIVE_SEEDS = (0, 1)
started = time.perf_counter()
videos = {}
for frames in (16, 64):
    seeds = LIVE_SEEDS if frames == 16 else LIVE_SEEDS[:1]
    for name, (vsp, tar) in CONDITIONS.items():
        videos[(name, frames)] = synopsis_videos(model, synopsis, frames, seeds, vsp=vsp, tar=tar)
print(f"wall time: {time.perf_counter() - started:.0f} s")

# %% [markdown]
# Each frame is in one of the synopsis' states when its shape has that state's colour and the
# background its brightness side (`frame_state_match`); the state a frame *should* be in is the
# sub-prompt whose keyframe is nearest. The read-out per frame, as letters (`r` red, `p` purple,
# `b` blue, `.` no shape), for seed 0 at 16 frames:

# %%
LETTER = {"red": "r", "yellow": "y", "green": "g", "blue": "b", "purple": "p", None: "."}
wanted = "".join(LETTER[s.split()[1]] for s in synopsis_states(synopsis, 16))
print(f"{'wanted':<12}{wanted}")
for name in CONDITIONS:
    colours = read_frames(videos[(name, 16)][:1]).colour[0]
    print(f"{name:<12}{''.join(LETTER[c] for c in colours)}")

# %% [markdown]
# The four conditions side by side, 16 frames (top row seed 0, bottom row seed 1; columns:
# baseline, +VSP, +TAR, +both):

# %%
grid = torch.stack([videos[(name, 16)][s] for s in range(2) for name in CONDITIONS])
show_video(video_grid(grid, columns=4), fps=6, scale=2, value_range=(-1, 1))

# %% [markdown]
# And at 64 frames, four times the training length (seed 0; same column order; every fourth
# frame, to keep the notebook small):

# %%
grid = torch.stack([videos[(name, 64)][0, :, ::4] for name in CONDITIONS])  # "b 3 16 h w"
show_video(video_grid(grid, columns=4), fps=6, scale=2, value_range=(-1, 1))

# %% [markdown]
# The live numbers for these few videos (`start` and `end`: fraction of the first and last
# quarter's frames in the wanted state; `end=first`: last-quarter frames still in the first
# state; `found`: frames with a readable shape; `change / real`: frame-to-frame change against
# real clips of the first sub-prompt):

# %%
def live_row(name: str, frames: int) -> str:
    batch = videos[(name, frames)]
    follow = synopsis_scores(batch, synopsis)
    scores = score_videos(batch, [synopsis.sub_prompts[0]] * batch.shape[0])
    real = real_clips_for([synopsis.sub_prompts[0]] * batch.shape[0], frames, seed=0)
    ratio = scores["frame_change"] / score_videos(real, [synopsis.sub_prompts[0]] * len(real))[
        "frame_change"]  # fmt: skip
    cells = [follow["start"], follow["end"], follow["end_is_start"], scores["found"], ratio]
    return f"{name:<12}{frames:>7}{batch.shape[0]:>6}" + "".join(f"{fmt(c):>10}" for c in cells)


print(f"{'condition':<12}{'frames':>7}{'seeds':>6}" + "".join(
    f"{h:>10}" for h in ("start", "end", "end=first", "found", "chg/real")))  # fmt: skip
for frames in (16, 64):
    for name in CONDITIONS:
        print(live_row(name, frames))

# %% [markdown]
# Two or four videos per row are an anecdote. The same measurement over the three tiny-world
# synopses and three seeds, computed by `tools/vstar_effects.py` (about 10 minutes on 2 cores)
# and stored with the weights, `data/tiny_model/vstar/effects.json`:

# %%
MODES = {"first sub-prompt only": "baseline", "vsp": "+VSP", "vsp + tar 0:1 1:8": "+VSP +TAR"}
print(f"{'synopsis':<20}{'frames':>7} {'condition':<12}" + "".join(
    f"{h:>10}" for h in ("start", "end", "all", "end=first")))  # fmt: skip
for key, row in recorded["vsp"].items():
    name, frames, mode = key.split("|")
    print(f"{name:<20}{frames:>7} {MODES[mode]:<12}" + "".join(
        f"{fmt(row[c]):>10}" for c in ("start", "end", "all", "end_is_start")))  # fmt: skip

# %% [markdown]
# ## 3. A sigma sweep at the training length (cf. G.6)
#
# G.6 varies TAR's width at 16 frames: no TAR, `sigma = 8` and `sigma = 1` at the full
# resolution, and `sigma = 1` at two resolutions. Its reading: the smaller the sigma, the more
# the video changes over time; a large sigma keeps it coherent; two levels at sigma 1 are too
# much. Here the same sweep on six captions, one seed each, with two numbers per setting: how far
# the shape moves per frame (**speed**, pixels; real clips move 0.8-1.6) and how much the pixels
# change from frame to frame relative to real clips (**change / real**; 1 is a real clip, far
# above 1 is flicker).

# %%
SWEEP = {
    "none": None,
    "0:8": {0: 8.0},
    "0:4": {0: 4.0},
    "0:2": {0: 2.0},
    "0:1": {0: 1.0},
    "0:1 1:1": {0: 1.0, 1: 1.0},
}
captions = benchmark_captions(6)
real = real_clips_for(captions, 16, seed=0)
real_change = score_videos(real, captions)["frame_change"]
started = time.perf_counter()
sweep = {}
for name, sigmas in SWEEP.items():
    with enable_vstar(model.unet, None if sigmas is None else TARConfig(sigmas=sigmas)):
        sweep[name] = score_videos(generate(model, captions, num_frames=16, seed=SEED), captions)
print(f"wall time: {time.perf_counter() - started:.0f} s")
print(f"{'TAR sigmas':<10}" + "".join(f"{h:>10}" for h in
      ("colour", "found", "speed", "chg/real", "hue sd", "size sd")))  # fmt: skip
for name, s in sweep.items():
    cells = [s["colour"], s["found"], s["speed"], s["frame_change"] / real_change,
             s["hue_drift"], s["size_drift"]]  # fmt: skip
    print(f"{name:<10}" + "".join(f"{fmt(c):>10}" for c in cells))

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3), layout="constrained")
names = list(SWEEP)
for ax, (key, label) in zip(axes, [("speed", "speed (px / frame)"),
                                   ("frame_change", "change / real"),
                                   ("colour", "colour alignment")]):  # fmt: skip
    scale = real_change if key == "frame_change" else 1.0
    ax.plot(names, [sweep[n][key] / scale for n in names], marker="o", label="live, 1 seed")
    recorded_16 = recorded["tar_16"]
    keys = {"none": "baseline", "0:8": "tar 0:8", "0:4": "tar 0:4", "0:1": "tar 0:1",
            "0:1 1:1": "tar 0:1 1:1 (too strong)"}  # fmt: skip
    xs = [n for n in names if n in keys]
    rec_scale = recorded_16["real clips"]["frame_change"] if key == "frame_change" else 1.0
    ax.plot(xs, [recorded_16[keys[n]][key] / rec_scale for n in xs], "s--",
            label=f"recorded, {recorded['seeds']} seeds")  # fmt: skip
    ax.set(title=label, xlabel="TAR sigmas (level: sigma)")
    ax.tick_params(axis="x", labelsize=8)
axes[0].legend(fontsize=8)
fig.suptitle("sigma sweep at 16 frames", fontsize=11)
plt.show()

# %% [markdown]
# ## 4. Longer videos (cf. G.3)
#
# At 64 frames, the paper's models lose their alignment with the prompt and freeze; TAR alone
# (sigma 1 at full resolution, 8 at half) restores them. The recorded sweep at 64 frames (six
# captions x three seeds per row):

# %%
def recorded_table(frames: int) -> None:
    table = recorded[f"tar_{frames}"]
    base = table["real clips"]["frame_change"]
    print(f"{'setting':<26}" + "".join(f"{h:>9}" for h in
          ("colour", "found", "direct.", "speed", "chg/real", "hue sd", "size sd")))  # fmt: skip
    for name in ["real clips", "baseline", "tar 0:8", "tar 0:4", "tar 0:1", "tar 0:1 1:8",
                 "tar 0:1 1:1 (too strong)"]:  # fmt: skip
        s = table[name]
        cells = [s["colour"], s["found"], s["direction"], s["speed"], s["frame_change"] / base,
                 s["hue_drift"], s["size_drift"]]  # fmt: skip
        print(f"{name:<26}" + "".join(f"{fmt(c):>9}" for c in cells))


print("16 frames:")
recorded_table(16)
print("\n64 frames:")
recorded_table(64)

# %% [markdown]
# One caption at 64 frames, without and with the recommended TAR (left: baseline, right: TAR
# `{0: 1, 1: 8}`; seed 0; every fourth frame):

# %%
text = captions[0]
print(text)
pair = [generate(model, text, num_frames=64, seed=SEED)]
with enable_vstar(model.unet, TAR_LONG):
    pair.append(generate(model, text, num_frames=64, seed=SEED))
show_video(video_grid(torch.cat(pair)[:, :, ::4], columns=2), fps=6, scale=2, value_range=(-1, 1))

# %% [markdown]
# ## 5. Which claims reproduce
#
# Each claim becomes a rule on the recorded numbers (three seeds, several captions or synopses
# per row). The rules are written out, so they can be argued with:

# %%
def mean_over(key_part: str, frames: int, field: str) -> float:
    rows = [row[field] for key, row in recorded["vsp"].items()
            if key.endswith(f"|{frames}|{key_part}")]  # fmt: skip
    return sum(rows) / len(rows)


t16, t64 = recorded["tar_16"], recorded["tar_64"]
ratio = {n: t[s]["frame_change"] / t["real clips"]["frame_change"]
         for n, t in (("16", t16), ("64", t64)) for s in t if s == "baseline"}  # fmt: skip
verdicts = [
    ("1 VSP: ends in the last state (16 frames)",
     f"{fmt(mean_over('vsp', 16, 'end'))} vs {fmt(mean_over('first sub-prompt only', 16, 'end'))}",
     "vsp > base + 0.3",
     mean_over("vsp", 16, "end") > mean_over("first sub-prompt only", 16, "end") + 0.3),
    ("1 VSP: ends in the last state (64 frames)",
     f"{fmt(mean_over('vsp', 64, 'end'))} vs {fmt(mean_over('first sub-prompt only', 64, 'end'))}",
     "vsp > base + 0.3",
     mean_over("vsp", 64, "end") > mean_over("first sub-prompt only", 64, "end") + 0.3),
    ("2 smaller sigma, more motion (16)",
     f"{fmt(t16['tar 0:1']['speed'])} vs {fmt(t16['tar 0:8']['speed'])} px",
     "speed 0:1 > 0:8",
     t16["tar 0:1"]["speed"] > t16["tar 0:8"]["speed"]),
    ("2 larger sigma, more coherent (16)",
     f"{fmt(t16['tar 0:8']['frame_change'] / t16['real clips']['frame_change'])} vs "
     f"{fmt(t16['tar 0:1']['frame_change'] / t16['real clips']['frame_change'])}",
     "change 0:8 < 0:1",
     t16["tar 0:8"]["frame_change"] < t16["tar 0:1"]["frame_change"]),
    ("3 TAR restores alignment (64)",
     f"{fmt(t64['tar 0:1 1:8']['colour'])} vs {fmt(t64['baseline']['colour'])}",
     "colour +0.05",
     t64["tar 0:1 1:8"]["colour"] > t64["baseline"]["colour"] + 0.05),
    ("3 TAR restores quality: shapes (64)",
     f"{fmt(t64['tar 0:1 1:8']['found'])} vs {fmt(t64['baseline']['found'])}",
     "found +0.05",
     t64["tar 0:1 1:8"]["found"] > t64["baseline"]["found"] + 0.05),
    ("3 TAR restores quality: motion (64)",
     f"{fmt(t64['tar 0:1 1:8']['speed'])} vs {fmt(t64['baseline']['speed'])} px",
     "speed x1.5",
     t64["tar 0:1 1:8"]["speed"] > 1.5 * t64["baseline"]["speed"]),
]  # fmt: skip
for frames, table in ((16, t16), (64, t64)):
    strong, recommended = table["tar 0:1 1:1 (too strong)"], table["tar 0:1 1:8"]
    real_change = table["real clips"]["frame_change"]
    verdicts.append((f"4 too strong breaks coherence ({frames})",
                     f"{fmt(strong['frame_change'] / real_change)} vs "
                     f"{fmt(recommended['frame_change'] / real_change)}",
                     "change x1.2",
                     strong["frame_change"] > 1.2 * recommended["frame_change"]))  # fmt: skip
print(f"{'claim':<40}{'tiny model':>18}{'rule':>18}{'holds':>7}")
for claim, value, rule, holds in verdicts:
    print(f"{claim:<40}{value:>18}{rule:>18}{'yes' if holds else 'no':>7}")

# %% [markdown]
# **What reproduces.** Read the table with the recorded sweeps above; the rules are crude, and
# each row rests on 18 videos (six captions x three seeds) or fewer.
#
# - **Claim 2 (G.6) reproduces at 16 frames.** Over three seeds the shape moves faster as sigma
#   shrinks (0.92 px per frame at sigma 8, 1.03 at sigma 1, 1.18 with the second level added),
#   and a larger sigma keeps the frame-to-frame change lower (1.54 against 1.74 times real). One
#   thing the paper does not say: every TAR setting changes frames *more* than no TAR (1.41), while
#   it makes the shape's hue far steadier (hue sd 0.7-0.8 degrees against 4.6). The one-seed live
#   sweep is noisier and not monotonic; that is why the recorded rows use three.
# - **Claim 4 reproduces at 16 frames**: sigma 1 at both levels doubles the speed to about twice
#   that of real clips, raises the change to 2.6 times real and scrambles the direction (0.22 of
#   videos set off the right way, against 0.56). At 64 frames the same setting changes frames only
#   1.2 times as much as the recommended one, just below the rule's bar.
# - **Claim 3 (G.3) half reproduces.** Without TAR, 64-frame videos are the paper's failure in
#   miniature: colour alignment drops from 0.59 to 0.48 and the shape slows to 0.46 px per frame,
#   less than half of real motion (notebooks 05 and 06 show the same). The recommended TAR
#   (sigma 1 at level 0, 8 at level 1) brings the motion back (0.90 px per frame, frame change
#   1.04 times real), but not the alignment: colour stays at 0.50, and the hue wanders more
#   (3.9 degrees). Notebook 06 found no fading diagonal band in this model's long-video maps, so
#   there was no reason to expect TAR to repair alignment here; that it repairs the freeze anyway
#   is the interesting part.
# - **Claim 1 (VSP) reproduces at 16 frames, for the states the model can draw.** With VSP the
#   red circle turns purple and then blue, and the green square turns yellow and then red, where
#   the single prompt never leaves its first colour (last-quarter match 0.25 and 0.67 against 0).
#   TAR on top helps the red-to-blue synopsis (0.42). The dusk synopsis fails in every condition:
#   its last state, a yellow square on a dark background, is one the model draws as a smear the
#   read-out rejects, so VSP cannot be credited or blamed there. At 64 frames VSP barely works
#   (0.10 on average), and in the live run it even costs readable shapes: blended embeddings held
#   for many frames seem to be harder for this model than for the paper's.
#
# What would make the miniature more faithful: a model that draws every caption cleanly at 16
# frames (colour alignment is about 0.6 here; the target set for it was 0.95), and more seeds per
# row. The hooks, measurements and scripts above stay the same for such a model:
# `python tools/vstar_effects.py FOLDER --seeds 5` reruns everything.
#
# ## Exercise: the paper's setting for a different latent
#
# A ModelScope-style model at 256 x 256 pixels has a latent 32 wide. Write `long_video_tar()`,
# the `TARConfig` of the paper's recommended long-video setting (sigma 1 at the full latent
# width, sigma 8 at half of it) for that model, using `TARConfig.from_widths`. The check compares
# levels and sigmas, and that the regularized steps are the paper's first 14 of 25.

# %%
def long_video_tar() -> TARConfig:
    """The paper's ~64-frame setting for a latent 32 wide."""
    # BEGIN SOLUTION
    return TARConfig.from_widths({32: 1.0, 16: 8.0}, latent_width=32)
    # END SOLUTION


# %%
answer = long_video_tar()
assert isinstance(answer, TARConfig), "return a TARConfig"
assert dict(answer.sigmas) == {0: 1.0, 1: 8.0}, f"levels and sigmas: got {dict(answer.sigmas)}"
assert answer.until_step == 13 and answer.active(13) and not answer.active(14), "steps 0-13"
print("exercise passed:", dict(answer.sigmas), f"regularized steps 0-{answer.until_step}")

# %% [markdown]
# ## Recap
#
# - `enable_vstar(unet, TARConfig(...), frame_embeddings=...)` turns on TAR and VSP together
#   through attention processors, on the tiny model here and on diffusers models in notebook 10;
#   the `with` block restores the model exactly.
# - A synopsis is followed when each frame is in the state of its nearest sub-prompt: colour and
#   background read from pixels, frame by frame.
# - TAR's sigma trades change over time against coherence, and too strong a band breaks the video;
#   the recorded sweeps at 16 and 64 frames show how much of that the tiny model reproduces.
# - Whatever does not reproduce is reported with its numbers: a 2-million-parameter model of
#   coloured shapes is a place to see the mechanism, not a replica of the paper's results.
#
# Next, notebook 10 runs the same switches on a pretrained diffusers text-to-video model.
