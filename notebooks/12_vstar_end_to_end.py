# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · VSTAR end to end on the tiny model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/12_vstar_end_to_end.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/12_vstar_end_to_end.ipynb)
#
# Notebooks 10 and 11 built VSTAR's two parts one at a time: temporal attention regularization
# (TAR) adds a Gaussian band to the logits of temporal attention, and video synopsis prompting
# (VSP) gives every frame its own text embedding, interpolated between sub-prompts that describe
# the video's key visual states. This notebook switches them on in the tiny pipeline of notebooks
# 07-08, through the same `VSTARPipeline` call a practitioner uses on a pretrained model (notebook
# 13), and checks the paper's four claims in miniature, with numbers read from the pixels:
#
# 1. **VSP** makes the video move through the synopsis' states where a single prompt does not;
# 2. **TAR with a smaller sigma** gives more change over time, a larger sigma more coherence
#    (supplement G.6);
# 3. for videos **longer than the 16 training frames**, TAR restores text alignment and motion
#    (supplement G.3);
# 4. **too strong a regularization** (sigma 1 at two levels) breaks coherence.
#
# A claim counts as *shown* here only when the 95% interval of the paired difference (same
# captions, same seeds, with and without the method) excludes zero in the claimed direction.
#
# **Learning goals.** After this notebook you can
# 1. run the four conditions of an ablation (baseline, +VSP, +TAR, +both) with one call,
#    `pipe(prompt | synopsis=..., tar=TARConfig(...))`;
# 2. measure whether a video follows a synopsis from its pixels, quarter by quarter;
# 3. read a sigma sweep as the paper's G.6 ablation does: change over time against coherence;
# 4. decide, with a paired bootstrap interval over seeds and captions, which claims the tiny model
#    shows and which it does not.
#
# **Sources.** TAR, VSP, the published sigma settings and the four claims are from VSTAR:
# *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper, Zhang and
# Khoreva, ICLR 2025), and its supplement: section G.2 (*video synopsis prompting*), G.3 (*Effect
# of TAR on longer video generation*) and G.6 (*Ablation of attention regularization matrix*). The
# percentile bootstrap is Efron's (*Bootstrap Methods: Another Look at the Jackknife*, 1979). The
# tiny model, its world, the synopses written for it and the read-out are this library's own
# (notebooks 05-08 and 11; `data/tiny_model/README.md`).

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
import json
import time

import matplotlib.pyplot as plt
import torch
from vstar_lite import TARConfig, VSTARPipeline
from vstar_lite.diffusers_hooks import find_temporal_attentions
from vstar_lite.paths import data_path
from vstar_lite.tiny.evaluate import BENCHMARK_CAPTIONS, paired_difference, synopsis_quarter_scores
from vstar_lite.tiny.measure import bootstrap_interval, frame_letters
from vstar_lite.utils import fmt_interval, notebook_setup
from vstar_lite.viz import show_video, video_grid
from vstar_lite.vsp import load_synopses

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

pipe = VSTARPipeline.from_pretrained("tiny", device="cpu")
synopses = load_synopses()
report = json.loads(data_path("tiny_model", "modelscope", "report.json").read_text())
print(f"recorded report: {report['command']}")


def fmt(value: float, digits: int = 2) -> str:
    """A rounded number that never prints as -0.00."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


def verdict(diff, sign: int = 1) -> str:
    """A paired difference (mean, low, high) read against the claimed direction ``sign``."""
    _, low, high = (sign * v for v in diff)
    low, high = min(low, high), max(low, high)
    if low > 0:
        return "shown"
    if high < 0:
        return "opposite shown"
    return "not shown"


# %% [markdown]
# ## 1. One switch for both: a `TARConfig` and a synopsis
#
# `pipe(prompt, tar=TARConfig(...))` installs TAR's attention processors on every temporal
# attention of the UNet for the length of the call, and `pipe(synopsis=...)` gives every frame
# its own text embedding. Both go through `vstar_lite.diffusers_hooks.enable_vstar`, which puts
# the UNet's processors back when sampling ends. The tiny UNet (diffusers'
# `UNet3DConditionModel`, notebook 07) has its temporal attentions at two resolutions: 8 x 8
# (level 0, the full latent width, including `transformer_in`) and 4 x 4 (level 1, the middle
# block):

# %%
for layer in find_temporal_attentions(pipe.unet):
    print(f"level {layer.level}: {layer.name}")

# %% [markdown]
# The paper names its sigmas by feature-map width on VideoCrafter2's latent, 64 wide;
# `TARConfig.from_widths` maps them to levels of any latent the same way (full width = level 0,
# half width = level 1). For the tiny latent, 8 wide:

# %%
PAPER = {  # the published settings, by feature width of a latent 64 wide (supplement G.3, G.6)
    "16-32 frames, more change": {64: 1.0},
    "16-32 frames, more coherence": {64: 8.0},
    "about 64 frames (recommended)": {64: 1.0, 32: 8.0},
    "too strong": {64: 1.0, 32: 1.0},
}
for name, by_width in PAPER.items():
    on_tiny = {8 * width // 64: sigma for width, sigma in by_width.items()}
    config = TARConfig.from_widths(on_tiny, latent_width=8)
    print(f"{name:<32} paper {by_width!s:<22} -> tiny levels {dict(config.sigmas)!s:<18}"
          f" steps 0-{config.until_step} of {pipe.default_steps}")  # fmt: skip

# %% [markdown]
# ## 2. Four conditions on one synopsis
#
# The synopsis `tiny_red_to_blue` asks for a circle moving right on a dark background whose
# colour goes from red through purple to blue. The tiny grammar cannot say "turns from red to
# blue" in one prompt (it knows 17 words), so the single-prompt baseline is the first sub-prompt
# on every frame, as in the command-line tool. The four conditions of the paper's ablation, with
# the TAR setting it recommends for long videos, three seeds each:

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
LIVE_SEEDS = (0, 1, 2)


def synopsis_videos(vsp: bool, tar: TARConfig | None, num_frames: int, seeds) -> torch.Tensor:
    """One video per seed: the synopsis with VSP, or its first sub-prompt on every frame."""
    videos = []
    for seed in seeds:
        if vsp:
            result = pipe(synopsis=synopsis, num_frames=num_frames, tar=tar, seed=seed,
                          progress=False)  # fmt: skip
        else:
            result = pipe(synopsis.sub_prompts[0], num_frames=num_frames, tar=tar, seed=seed,
                          progress=False)  # fmt: skip
        videos.append(result.videos)
    return torch.cat(videos)  # "b 3 f h w"


started = time.perf_counter()
videos = {name: synopsis_videos(vsp, tar, 16, LIVE_SEEDS) for name, (vsp, tar) in
          CONDITIONS.items()}  # fmt: skip
print(f"{len(CONDITIONS) * len(LIVE_SEEDS)} videos of 16 frames, wall time: "
      f"{time.perf_counter() - started:.0f} s")  # fmt: skip

# %% [markdown]
# The read-out of every frame of seed 0, as one letter per frame: the colour's initial, lower
# case for a circle and upper case for a bar, `.` where no shape is found. The wanted letters
# come from the sub-prompt whose keyframe is nearest.

# %%
keyframes = synopsis.keyframes_for(16)
nearest = [min(range(len(keyframes)), key=lambda k: abs(keyframes[k] - f)) for f in range(16)]
wanted = "".join(synopsis.sub_prompts[k].split()[1][0] for k in nearest)
print(f"{'wanted':<12}{wanted}")
for name in CONDITIONS:
    print(f"{name:<12}{frame_letters(videos[name][0][None])[0]}")

# %% [markdown]
# The four conditions side by side at 16 frames (rows: seeds 0, 1, 2; columns: baseline, +VSP,
# +TAR, +both):

# %%
grid = torch.stack([videos[name][s] for s in range(len(LIVE_SEEDS)) for name in CONDITIONS])
# every second frame, to keep the notebook small
show_video(video_grid(grid[:, :, ::2], columns=4), fps=3, scale=2, value_range=(-1, 1))

# %% [markdown]
# How far each condition shows the first sub-prompt in the first quarter of its frames and the
# last sub-prompt in the last quarter (fraction of those frames that are correct for it: colour,
# shape and background; mean over the three live videos with its 95% interval):

# %%
print(f"{'condition':<12}{'first quarter':>20}{'last quarter':>20}")
for name in CONDITIONS:
    q = synopsis_quarter_scores(videos[name], synopsis)
    print(f"{name:<12}{fmt_interval(bootstrap_interval(q['first'])):>20}"
          f"{fmt_interval(bootstrap_interval(q['last'])):>20}")  # fmt: skip

# %% [markdown]
# Three videos are an anecdote: with three values an interval is as wide as their spread. The
# recorded report (`data/tiny_model/modelscope/report.json`, written by
# `tools/evaluate_pipeline.py`) has the same measurement for the three tiny-world synopses with
# more seeds, at 16 frames (baseline, +VSP, +TAR, both) and at 64 frames (+VSP with TAR only: the
# report skips the long baselines to save time, so claim 1 is tested at 16 frames only). Both
# quarters in one figure: the top row asks whether a video *starts* in the synopsis' first state,
# the bottom row whether it *ends* in the last one; bars are the report's means over videos, with
# its 95% intervals.


# %%
def vsp_rows(frames: int) -> dict[str, str]:
    """Report keys of the VSP conditions at ``frames`` frames, by condition name."""
    prefix = f"{frames} frames"
    names = {"baseline": f"{prefix}, first sub-prompt", "+VSP": prefix,
             "+TAR": f"{prefix}, TAR {{0: 1, 1: 8}}, first sub-prompt",
             "+VSP +TAR": f"{prefix}, VSP + TAR {{0: 1, 1: 8}}"}  # fmt: skip
    return {k: v for k, v in names.items() if v in report["vsp"]}


def quarter(frames: int, label: str, name: str, which: str) -> tuple[float, float, float]:
    """(mean, low, high) of one quarter score from the report."""
    return tuple(report["vsp"][vsp_rows(frames)[label]][name][which])


SYNOPSES = list(report["vsp"][vsp_rows(16)["+VSP"]])
print(f"{report['vsp_seeds']} videos (seeds) per synopsis and condition")
fig, axes = plt.subplots(2, 2, figsize=(10, 5), layout="constrained", sharey=True)
colours = {label: f"C{i}" for i, label in enumerate(vsp_rows(16))}  # one colour per condition
width = 0.8 / len(colours)
for row, which in enumerate(("first", "last")):
    for ax, frames in zip(axes[row], (16, 64)):
        labels = list(vsp_rows(frames))
        for j, label in enumerate(labels):
            mean, low, high = zip(*(quarter(frames, label, n, which) for n in SYNOPSES))
            xs = [i + (j - (len(labels) - 1) / 2) * width for i in range(len(SYNOPSES))]
            ax.bar(xs, mean, width, color=colours[label], label=label)
            for x, value in zip(xs, mean):
                if value == 0:  # a bar of height 0: say so instead of leaving a gap
                    ax.text(x, 0.02, "0", ha="center", va="bottom", fontsize=8)
            ax.errorbar(xs, mean, yerr=[[m - lo for m, lo in zip(mean, low)],
                                        [hi - m for m, hi in zip(mean, high)]],
                        fmt="none", color="black", capsize=2, lw=1)  # fmt: skip
        ax.set_xticks(range(len(SYNOPSES)), [n.removeprefix("tiny_") for n in SYNOPSES])
        only = "" if len(labels) > 1 else f", {labels[0]} only"
        ax.set(ylim=(0, 1.05), title=f"{frames} frames{only}: {which} quarter in the {which} state")
        ax.title.set_fontsize(10)
    axes[row, 0].set_ylabel(f"{which} quarter correct")
handles, names = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=9)
fig.suptitle(f"VSP: does the video start in the synopsis' first state and end in its last? "
             f"({report['vsp_seeds']} videos per bar, 95% intervals)", fontsize=11)  # fmt: skip
plt.show()

# %% [markdown]
# The values the text below quotes, mean [95% interval] for `red_to_blue`, `traffic_light` and
# `dusk` in that order, and two checks over the synopses:


# %%
def quarters_line(frames: int, label: str, which: str) -> None:
    values = "  ".join(fmt_interval(quarter(frames, label, n, which)) for n in SYNOPSES)
    print(f"{f'{frames} frames, {which} quarter, {label}:':<38}{values}")


for frames, label, which in ((16, "baseline", "first"), (16, "+VSP", "first"),
                             (16, "+VSP", "last"), (64, "+VSP +TAR", "first"),
                             (64, "+VSP +TAR", "last")):  # fmt: skip
    quarters_line(frames, label, which)
no_vsp = [quarter(16, label, n, "last") for label in ("baseline", "+TAR") for n in SYNOPSES]
print(f"16 frames, last quarter without VSP (baseline, +TAR): largest upper bound "
      f"{fmt(max(high for _, _, high in no_vsp))} of {len(no_vsp)} intervals")  # fmt: skip
with_vsp = [quarter(16, label, n, "last") for label in ("+VSP", "+VSP +TAR") for n in SYNOPSES]
print(f"16 frames, last quarter with VSP (+VSP, +VSP +TAR): smallest lower bound "
      f"{fmt(min(low for _, low, _ in with_vsp))} of {len(with_vsp)} intervals")  # fmt: skip
overlap = [quarter(16, "+VSP", n, "last")[1] <= quarter(16, "+VSP +TAR", n, "last")[2]
           and quarter(16, "+VSP +TAR", n, "last")[1] <= quarter(16, "+VSP", n, "last")[2]
           for n in SYNOPSES]  # fmt: skip
print(f"16 frames, last quarter, +VSP against +VSP +TAR: intervals overlap for {sum(overlap)} "
      f"of {len(SYNOPSES)} synopses")  # fmt: skip

# %% [markdown]
# At 16 frames, without VSP no video ends in the last state: the baseline (first sub-prompt on
# every frame) and +TAR score 0.00 [0.00, 0.00] in the last quarter for all three synopses, 6
# videos each (the bars marked 0 in the bottom-left panel). With VSP the last quarter is 0.88 [0.62,
# 1.00] for `tiny_red_to_blue`, 0.92 [0.83, 1.00] for `tiny_traffic_light` and 1.00 [1.00, 1.00]
# for `tiny_dusk`. Every one of these intervals, and each of VSP with TAR, lies above the
# baseline's (the smallest lower bound with VSP is 0.62), so at 16 frames +VSP's last quarter
# exceeds the baseline's for each synopsis. The
# three live videos above agree: 1.00 [1.00, 1.00] with VSP against 0.00 [0.00, 0.00]. Adding TAR
# to VSP is not shown to change the last quarter: each of the three pairs of intervals overlaps.
#
# At 64 frames the report has only VSP with TAR (its command skips the long baseline): last
# quarter 0.90 [0.82, 0.96], 0.73 [0.60, 0.84] and 0.96 [0.92, 1.00]. With no 64-frame baseline,
# whether VSP beats it there is not measured.
#
# Where VSP falls short:
#
# - **The first quarter** (top row). With VSP it is 0.83 [0.75, 0.92] for `tiny_red_to_blue`,
#   0.67 [0.58, 0.75] for `tiny_traffic_light` and 0.62 [0.42, 0.83] for `tiny_dusk` at 16
#   frames. The first two intervals lie below the baseline's 1.00 [1.00, 1.00], so there VSP gives
#   up part of the first state; for `tiny_dusk` the baseline itself reads 0.92 [0.75, 1.00] (it
#   loses the shape in some first frames) and the two intervals overlap, so a loss is not shown.
#   At 64 frames, with TAR, the first quarter reads 0.77 [0.69, 0.83], 0.58 [0.56, 0.60] and 0.61
#   [0.39, 0.83]. The score compares the first quarter with the first sub-prompt alone, while the
#   embeddings of its later frames already blend in the next one (notebook 11), so a frame that
#   turns early counts as wrong.
# - **The last quarter of `tiny_traffic_light` at 64 frames**: 0.73 [0.60, 0.84], the lowest of
#   the three. Its interval lies below `tiny_dusk`'s 0.96 [0.92, 1.00] and overlaps
#   `tiny_red_to_blue`'s 0.90 [0.82, 0.96], so it is shown to be harder than one synopsis, not
#   both. Its last state, a red bar moving down on a dark background, is not a benchmark caption,
#   so notebook 08 has no score for it, and the quarter score checks colour, shape and background
#   together, so it does not say which one failed. At 16 frames no synopsis is shown to be harder
#   than the others: the lowest last quarter, `tiny_red_to_blue`'s 0.88 [0.62, 1.00] with VSP,
#   overlaps the others' intervals.
#
# Section 5 gives the paired verdict over the 18 videos at 16 frames.
#
# ## 3. A sigma sweep at the training length (cf. G.6)
#
# G.6 varies TAR's width at 16 frames: no TAR, sigma 8 and sigma 1 at the full resolution, and
# sigma 1 at two resolutions. Its reading: the smaller the sigma, the more the video changes over
# time; a large sigma keeps it coherent; two levels at sigma 1 are too much. The report has the
# same sweep on the 12 benchmark captions x its seeds. Three numbers per setting: how far the
# shape moves per frame (**speed**, the median centroid step in pixels), how much the pixels
# change from frame to frame relative to real clips of the same caption (**change / real**: 1 is
# a real clip, far above 1 is flicker), and the fraction of **correct** frames (the caption's
# colour and shape on its background).

# %%
SWEEP_16 = ["16 frames"] + [k for k in report["conditions"] if k.startswith("16 frames, TAR")]
LABEL = lambda key: key.split(", ", 1)[1] if ", " in key else "no TAR"  # noqa: E731
SCORES = {"speed": "speed (px / frame)", "change_ratio": "change / real", "correct": "correct"}


def sweep_figure(keys: list[str], title: str) -> None:
    fig, axes = plt.subplots(1, len(SCORES), figsize=(11, 3), layout="constrained")
    for ax, (score, label) in zip(axes, SCORES.items()):
        triples = [report["conditions"][k]["generated"][score] for k in keys]
        means = [t[0] for t in triples]
        ax.errorbar(range(len(keys)), means, yerr=[[m - t[1] for m, t in zip(means, triples)],
                                                   [t[2] - m for m, t in zip(means, triples)]],
                    marker="o", capsize=3)  # fmt: skip
        real = report["conditions"][keys[0]]["real"][score][0]
        ax.axhline(real, color="grey", ls=":", label="real clips")
        ax.set_xticks(range(len(keys)), [LABEL(k) for k in keys], rotation=20, fontsize=8)
        ax.set_title(label)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    plt.show()


videos_16 = report["conditions"]["16 frames"]["seeds"] * len(report["captions"])
sweep_figure(SWEEP_16, f"sigma sweep at 16 frames ({videos_16} videos per point, 95% intervals)")

# %% [markdown]
# The points of the figure, mean [95% interval] over the 36 videos of each setting (12 captions x
# 3 seeds), read from the report:
#
# | setting | speed (px / frame) | change / real | correct |
# |---|---|---|---|
# | no TAR | 0.93 [0.83, 1.03] | 1.65 [1.50, 1.81] | 0.97 [0.95, 0.98] |
# | TAR {0: 8} | 0.95 [0.85, 1.05] | 1.68 [1.51, 1.85] | 0.97 [0.95, 0.98] |
# | TAR {0: 1} | 0.95 [0.85, 1.06] | 1.66 [1.50, 1.83] | 0.97 [0.94, 0.98] |
# | TAR {0: 1, 1: 1} | 0.95 [0.85, 1.05] | 1.67 [1.51, 1.83] | 0.97 [0.94, 0.98] |
# | real clips | 1.15 [1.08, 1.23] | 1.03 [0.94, 1.14] | 1.00 [1.00, 1.00] |
#
# - **Speed does not rise as sigma falls.** Going from `{0: 8}` to `{0: 1}` to `{0: 1, 1: 1}`, it
#   reads 0.95, 0.95 and 0.95, with intervals that overlap. All four settings stay below the
#   real 1.15 [1.08, 1.23], with no overlap.
# - **The change ratio is not lower at sigma 8.** It is 1.68 [1.51, 1.85] at sigma 8 and 1.66
#   [1.50, 1.83] at sigma 1. The intervals overlap, so a difference is not shown.
# - **Two levels at sigma 1 are no further from real than the other settings.** Its change ratio
#   is 1.67 [1.51, 1.83], against 1.65 [1.50, 1.81] without TAR. Every setting lies above the
#   real 1.03 [0.94, 1.14] by a similar amount.
# - `correct` is 0.97 in all four settings, with intervals that overlap, and below the real
#   clips' 1.00 [1.00, 1.00].
#
# None of G.6's three readings is shown by these intervals. Section 5 tests the same comparisons
# as paired differences, which cancel what each pair of videos shares (caption and seed).
#
# ## 4. Longer videos (cf. G.3)
#
# At 64 frames, the paper's models lose their alignment with the prompt and freeze; TAR (sigma 1
# at full resolution, 8 at half) restores them. The recorded 64-frame conditions:

# %%
LONG = [k for k in report["conditions"] if k.startswith("64 frames")]
videos_64 = report["conditions"][LONG[0]]["seeds"] * len(report["captions"])
sweep_figure(LONG, f"64 frames ({videos_64} videos per point, 95% intervals)")

# %% [markdown]
# The points of the figure, mean [95% interval] over the 12 videos of each setting (12 captions x
# 1 seed), read from the report:
#
# | setting | speed (px / frame) | change / real | correct |
# |---|---|---|---|
# | no TAR | 0.77 [0.70, 0.83] | 1.76 [1.47, 2.09] | 0.95 [0.92, 0.97] |
# | TAR {0: 1, 1: 8} | 0.77 [0.70, 0.84] | 1.74 [1.46, 2.08] | 0.95 [0.93, 0.97] |
# | real clips | 1.15 [1.03, 1.28] | 0.98 [0.81, 1.20] | 1.00 [1.00, 1.00] |
#
# One caption at 64 frames without and with the recommended TAR. The rule for the example: the
# first benchmark caption, seed 0 (left: baseline, right: TAR `{0: 1, 1: 8}`; every second frame,
# to keep the notebook small):

# %%
text = BENCHMARK_CAPTIONS[0]
pair = torch.cat([pipe(text, num_frames=64, seed=SEED, tar=tar, progress=False).videos
                  for tar in (None, TAR_LONG)])  # fmt: skip
print(text)
for name, video in zip(("baseline", "TAR"), pair):
    print(f"{name:<9}{frame_letters(video[None])[0]}")
show_video(video_grid(pair[:, :, ::2], columns=2), fps=6, scale=2, value_range=(-1, 1))

# %% [markdown]
# ## 5. Which claims are shown
#
# Each claim becomes a paired difference over the report's videos: the same captions and seeds
# (so the same starting noise) with and without the method, `paired_difference(a, b)` from
# `vstar_lite/tiny/evaluate.py`, with its 95% bootstrap interval. "Shown" means the interval lies
# on the claimed side of zero; "not shown" that it contains zero.


# %%
def condition_diff(a: str, b: str, score: str):
    values = report["conditions"]
    return paired_difference(values[a]["videos"][score], values[b]["videos"][score])


def vsp_diff(a: str, b: str, quarter: str = "last"):
    """Pooled over the synopses: condition ``a`` minus ``b`` (report keys), per video."""
    xs, ys = [], []
    for name in report["vsp"][a]:
        xs += report["vsp"][a][name]["videos"][quarter]
        ys += report["vsp"][b][name]["videos"][quarter]
    return paired_difference(xs, ys)


CLAIMS = []  # (claim, difference, claimed sign)
for frames in (16, 64):
    rows = vsp_rows(frames)
    if "+VSP" in rows and "baseline" in rows:
        CLAIMS.append((f"1 VSP ends in the last state ({frames} f)",
                       vsp_diff(rows["+VSP"], rows["baseline"]), 1))  # fmt: skip
conditions = report["conditions"]
if {"16 frames, TAR {0: 1}", "16 frames, TAR {0: 8}"} <= conditions.keys():
    CLAIMS += [
        ("2 sigma 1 moves more than 8 (16 f)",
         condition_diff("16 frames, TAR {0: 1}", "16 frames, TAR {0: 8}", "speed"), 1),
        ("2 sigma 8 changes less than 1 (16 f)",
         condition_diff("16 frames, TAR {0: 8}", "16 frames, TAR {0: 1}", "change_ratio"), -1),
    ]  # fmt: skip
if "64 frames, TAR {0: 1, 1: 8}" in conditions:
    for score in ("correct", "direction", "speed"):
        CLAIMS.append(
            (
                f"3 TAR raises {score} (64 f)",
                condition_diff("64 frames, TAR {0: 1, 1: 8}", "64 frames", score),
                1,
            )
        )
if "16 frames, TAR {0: 1, 1: 1}" in conditions:
    CLAIMS.append(
        (
            "4 two levels at 1 flicker (16 f)",
            condition_diff("16 frames, TAR {0: 1, 1: 1}", "16 frames", "change_ratio"),
            1,
        )
    )
print(f"{'claim':<40}{'difference [95% interval]':>28}  verdict")
for claim, diff, sign in CLAIMS:
    print(f"{claim:<40}{fmt_interval(diff, 3):>28}  {verdict(diff, sign)}")

# %% [markdown]
# - **Claim 1, VSP, 16 frames: shown.** Pooled over the 3 synopses x 6 seeds (18 videos), +VSP
#   minus the baseline in the last-quarter score is 0.931 [0.833, 1.000]. At 64 frames the
#   report has no baseline, so the table has no line for it and the claim is not tested there.
# - **Claim 2, speed: not shown.** Sigma 1 minus sigma 8 at level 0 is 0.005 [-0.016, 0.032]
#   px per frame (36 videos).
# - **Claim 2, coherence: the opposite is shown.** Sigma 8 minus sigma 1 in the change ratio is
#   0.016 [0.004, 0.033]. Sigma 8 changes slightly *more* from frame to frame than sigma 1, not
#   less; the mean difference is about 1% of the ratios of about 1.66 in section 3.
# - **Claim 3, TAR at 64 frames: not shown.** TAR `{0: 1, 1: 8}` minus no TAR, over 12 videos
#   (12 captions x 1 seed): correct 0.003 [-0.010, 0.016], direction -0.001 [-0.021, 0.016] and
#   speed 0.005 [-0.013, 0.024] px per frame.
# - **Claim 4, too strong: not shown.** Two levels at sigma 1 minus no TAR in the change ratio is
#   0.015 [-0.020, 0.061] (36 videos). The interval contains zero: the "too strong" setting is not
#   shown to flicker more than no TAR.
#
# On this model only VSP's claim is shown, at 16 frames. G.6's sigma trade-off, G.3's recovery at
# 64 frames and the loss of coherence at two levels of sigma 1 are not. The one difference that is
# shown for TAR, sigma 8 against sigma 1 in the change ratio, goes against the paper, by 0.016.
#
# Notebook 09's maps lead you to expect this. Its temporal attention maps are near uniform at both
# lengths. For generated videos at level 0, diagonalness is 0.013 at 16 frames and 0.014 at 64,
# and this pipeline's `x uniform` lies between 0.82 and 1.07 at both levels, for real and
# generated videos. So there is no band that fades at 64 frames for TAR to restore. The 64-frame
# videos without TAR are not shown to lose alignment either: in the report, correct is 0.95 [0.92,
# 0.97] at 64 frames against 0.97 [0.95, 0.98] at 16, intervals that overlap. They move more
# slowly than at 16 frames, 0.77 [0.70, 0.83] against 0.93 [0.83, 1.03] px per frame, but the
# intervals overlap by 0.005 px per frame before rounding, so even the slowdown is not shown on
# these videos; they are not frozen, and TAR does not speed them up (claim 3: 0.005 [-0.013,
# 0.024]). TAR
# here adds a band that the model's own attention does not have (notebook 10). The maps give no
# reason to expect it to repair anything, and the small differences in the table fit that
# reading.
#
# ## Exercise 1: predict, then check
#
# TAR adds `lambda * m_i * R_ij` to the logits, with `R` a Gaussian band of width sigma. Predict
# first: at 16 frames, does the paired difference in **speed** between sigma 1 and sigma 8 at
# level 0 grow or shrink when sigma 1 is applied at *both* levels (the "too strong" setting)?
# Write your prediction as `"grows"` or `"shrinks"`, then compute both differences from the
# report (use `condition_diff`) and let the check compare.

# %%
prediction = "shrinks"  # your prediction: "grows" or "shrinks"


def speed_differences() -> tuple[float, float]:
    """Mean paired speed difference vs sigma 8 for {0: 1} and for {0: 1, 1: 1}."""
    ### BEGIN SOLUTION
    one = condition_diff("16 frames, TAR {0: 1}", "16 frames, TAR {0: 8}", "speed")[0]
    two = condition_diff("16 frames, TAR {0: 1, 1: 1}", "16 frames, TAR {0: 8}", "speed")[0]
    return one, two
    ### END SOLUTION


# %%
one, two = speed_differences()
truth = "grows" if two > one else "shrinks"
expected = (
    condition_diff("16 frames, TAR {0: 1}", "16 frames, TAR {0: 8}", "speed")[0],
    condition_diff("16 frames, TAR {0: 1, 1: 1}", "16 frames, TAR {0: 8}", "speed")[0],
)
assert (round(one, 6), round(two, 6)) == tuple(round(v, 6) for v in expected), "recompute both"
print(
    f"speed difference vs sigma 8: {{0: 1}} {fmt(one, 3)}, {{0: 1, 1: 1}} {fmt(two, 3)} px "
    f"per frame: it {truth}; your prediction was {'right' if prediction == truth else 'wrong'}"
)

# %% [markdown]
# ## Exercise 2: the paper's setting for a different latent
#
# A ModelScope-style model at 256 x 256 pixels has a latent 32 wide. Write `long_video_tar()`,
# the `TARConfig` of the paper's recommended long-video setting (sigma 1 at the full latent
# width, sigma 8 at half of it) for that model, using `TARConfig.from_widths`. The check compares
# levels and sigmas, and that the regularized steps are the paper's first 14 of 25.


# %%
def long_video_tar() -> TARConfig:
    """The paper's ~64-frame setting for a latent 32 wide."""
    ### BEGIN SOLUTION
    return TARConfig.from_widths({32: 1.0, 16: 8.0}, latent_width=32)
    ### END SOLUTION


# %%
answer = long_video_tar()
assert isinstance(answer, TARConfig), "return a TARConfig"
assert dict(answer.sigmas) == {0: 1.0, 1: 8.0}, f"levels and sigmas: got {dict(answer.sigmas)}"
assert answer.until_step == 13 and answer.active(13) and not answer.active(14), "steps 0-13"
print("exercise passed:", dict(answer.sigmas), f"regularized steps 0-{answer.until_step}")

# %% [markdown]
# ## Recap
#
# - `pipe(prompt or synopsis=..., tar=TARConfig(...))` turns on TAR and VSP through attention
#   processors, on the tiny pipeline here and on diffusers models in notebook 14; the processors
#   are put back when the call returns.
# - A synopsis is followed when the first quarter of frames shows the first sub-prompt and the
#   last quarter the last one, read from pixels frame by frame.
# - A method "works" on a model only when the paired difference's interval excludes zero; on a
#   handful of videos it rarely does, which is why the recorded report uses more seeds.
# - On the tiny model, VSP's claim is shown at 16 frames (last-quarter difference 0.931 [0.833,
#   1.000], 18 videos). TAR's claims (the sigma trade-off, recovery at 64 frames, too strong at
#   two levels) are not shown; the one TAR difference that is shown, in the change ratio at
#   sigma 8 against sigma 1, goes the opposite way, by 0.016 [0.004, 0.033].
#
# Next, notebook 13 compares VSTAR with diffusers' FreeNoise and FreeInit on the same tiny
# models, and notebook 14 runs the same switches on a pretrained diffusers text-to-video model.
