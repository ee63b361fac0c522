# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · The tiny world: clips, captions and a calibrated read-out
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/05_tiny_world.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/05_tiny_world.ipynb)
#
# Notebooks 01-04 built the layers of a video denoiser one at a time. From here on they work
# inside a complete text-to-video model, small enough to train and sample on a CPU (notebooks
# 06-08), on which notebooks 09-13 study VSTAR's two ideas. A model of that size cannot learn real
# video, so its training data is drawn by code: a synthetic world of one coloured shape moving
# over a grey background. This notebook is about that world, before any model appears.
#
# The world is also what makes the model *checkable*. Every attribute of a clip can be read back
# from its pixels, so a generated video can be scored against its caption without a learned
# judge, and every score can first be checked on real clips, where the right answer is known.
# Every measurement in the later notebooks uses the read-out built here.
#
# **Learning goals.** After this notebook you can
# 1. say what the world's captions name and what they leave out, and why what they leave out is
#    what makes the world a *video* task rather than 16 image tasks;
# 2. compute the aspect of a shape's soft bounding box and explain why it separates circles from
#    bars;
# 3. check that the pixel read-out scores real clips as correct before using it on generated ones;
# 4. read a mean with its 95% bootstrap interval, and say when two numbers are *not* shown to
#    differ.
#
# **Sources.** The world, its read-out and its scores are this library's own
# (`vstar_lite/tiny/world.py`, `vstar_lite/tiny/measure.py`). The percentile bootstrap is Efron's
# (*Bootstrap Methods: Another Look at the Jackknife*, Annals of Statistics, 1979). The models
# VSTAR works on, whose temporal attention the world's slow drift is meant to exercise, are those
# of *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper, Zhang
# and Khoreva, ICLR 2025).

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
import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from einops import reduce
from vstar_lite.tiny.measure import (
    ASPECT_THRESHOLD,
    CLIP_SCORES,
    bootstrap_interval,
    read_frames,
    real_frame_change,
    score_clips,
    summarize,
)
from vstar_lite.tiny.world import (
    BACKGROUNDS,
    COLOURS,
    DIRECTIONS,
    SHAPES,
    sample_clips,
    trajectory,
)
from vstar_lite.utils import fmt_interval, notebook_setup
from vstar_lite.viz import frame_rows, show_video, video_grid
from vstar_lite.widgets import explore

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

# %% [markdown]
# ## 1. The world: one shape, one caption, many things the caption leaves out
#
# The training data is drawn by code: one coloured circle or bar moving over a grey
# background, 32 x 32 pixels, with a caption from a fixed grammar, `"a {colour} {shape} moves
# {direction} on a {background} background"`. Five colours, two shapes, four directions and two
# backgrounds make 80 captions.
#
# `sample_clips(batch, num_frames, seed)` returns the videos `"b 3 f 32 32"` in `[-1, 1]`, their
# captions, and the parameters that drew them. `video_grid` (from `vstar_lite.viz`) lays several
# clips out in one GIF, and `frame_rows` draws chosen frames of several videos as the labelled
# rows of one figure.


# %%
clips = sample_clips(8, num_frames=16, seed=SEED)
print(f"videos (b c f h w): {tuple(clips.videos.shape)}, values in "
      f"[{clips.videos.min():.2f}, {clips.videos.max():.2f}]")  # fmt: skip
for index, text in enumerate(clips.captions):
    print(f"  row {index // 4}, column {index % 4}: {text}")
print(f"{len(COLOURS)} colours x {len(SHAPES)} shapes x {len(DIRECTIONS)} directions x "
      f"{len(BACKGROUNDS)} backgrounds = "
      f"{len(COLOURS) * len(SHAPES) * len(DIRECTIONS) * len(BACKGROUNDS)} captions")  # fmt: skip
show_video(video_grid(clips.videos, columns=4), fps=8, scale=2, value_range=(-1, 1))

# %% [markdown]
# **What the caption leaves out.** A caption names four attributes; the world draws more. Each
# clip has its own exact shade (the hue jitters by up to 8 degrees around the colour's hue, and
# saturation and brightness vary), its own size, background grey, start position and speed. The
# shape bounces off the borders, and the background brightness drifts along a slow sine wave of
# random amplitude, period and phase. Four clips with *the same caption*:

# %%
same = dict(colour="red", shape="circle", direction="right", background="dark")
twins = sample_clips(4, num_frames=16, seed=1, **same)
p = twins.params
print(f"caption of all four: {twins.captions[0]!r}")
print(f"{'clip':<6}{'hue':>6}{'sat.':>6}{'value':>7}{'radius':>8}{'speed':>7}{'start x':>9}"
      f"{'start y':>9}{'grey':>7}{'drift':>7}{'period':>8}")  # fmt: skip
for i in range(4):
    print(f"{i:<6}{p.hue[i] % 360:>6.1f}{p.saturation[i]:>6.2f}{p.value[i]:>7.2f}"
          f"{p.radius[i]:>8.2f}{p.speed[i]:>7.2f}{p.start[i, 0]:>9.1f}{p.start[i, 1]:>9.1f}"
          f"{p.grey[i]:>7.2f}{p.drift_amplitude[i]:>7.3f}{p.drift_period[i]:>8.1f}")  # fmt: skip
show_video(video_grid(twins.videos, columns=4), fps=8, scale=2, value_range=(-1, 1))

# %% [markdown]
# These choices are what make the world a *video* task rather than 16 image tasks:
#
# - **Constants the caption does not name** (shade, size, grey, start, speed). A denoiser that
#   looked at one frame at a time could make every frame a perfect picture of the caption and
#   still change shade and size from frame to frame: each frame would be a plausible sample, just
#   not of the same clip. Keeping them constant needs information from the other frames.
# - **Bouncing motion.** Where the shape is in frame `i` is not in the caption; it is best
#   predicted from frames `i - 1` and `i + 1`. After a bounce the shape moves against the
#   caption's direction, so "right" only says where it goes first.
# - **A slowly drifting background.** Every pixel, not only the moving edge, is more similar to
#   nearby frames than to distant ones: the structure that VSTAR's temporal attention maps show
#   for real videos (notebook 09).
#
# Over 64 frames both kinds of motion are easy to see: the shape's x position is a triangle wave
# between the borders, and the background grey follows its sine.

# %%
long_twins = sample_clips(4, num_frames=64, seed=1, **same)  # same parameters, longer clips
path = trajectory(long_twins.params, 64)  # "b f 2": centre (x, y) in pixels
grey = read_frames(long_twins.videos).clean_background  # "b f": grey away from the shape

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.6), layout="constrained")
for i in range(4):
    left.plot(path[i, :, 0], label=f"clip {i}")
    right.plot(grey[i], label=f"clip {i}")
left.set(xlabel="frame", ylabel="x of the centre (pixels)", title="bouncing off the borders")
right.set(xlabel="frame", ylabel="background grey in [-1, 1]", title="slow background drift")
left.legend(fontsize=8, ncols=2)
plt.show()

# %% [markdown]
# Pick any caption and seed (the controls need a running kernel; the figure below is for the
# start values). Changing the seed keeps the caption and redraws everything it does not name.


# %%
def plot_world(colour: str, shape: str, direction: str, background: str, seed: int) -> None:
    clip = sample_clips(1, 16, seed=seed, colour=colour, shape=shape, direction=direction,
                        background=background)  # fmt: skip
    frame_rows({"real clip": clip.videos[0]}, range(0, 16, 2), title=clip.captions[0])


explore(
    plot_world,
    "every second frame of a real clip for the chosen caption and seed",
    colour=widgets.Dropdown(options=list(COLOURS), value="yellow", description="colour"),
    shape=widgets.Dropdown(options=list(SHAPES), value="bar", description="shape"),
    direction=widgets.Dropdown(options=list(DIRECTIONS), value="up", description="direction"),
    background=widgets.Dropdown(options=list(BACKGROUNDS), value="light", description="backgr."),
    seed=widgets.IntSlider(value=3, min=0, max=50, description="seed", continuous_update=False),
)

# %% [markdown]
# ## 2. The read-out, calibrated
#
# Because the world is drawn by code, a video can be scored without a learned judge.
# `read_frames` (in `vstar_lite/tiny/measure.py`) works frame by frame, on the *chroma* of each
# pixel, `max(r, g, b) - min(r, g, b)`: grey has chroma 0, the world's shapes at least 0.6, and
# a pixel half covered by the shape has half its chroma. From it, per frame:
#
# - **found**: the pixels with chroma above 0.25 form the shape's mask; a mask of fewer than 4
#   or more than 200 pixels (the largest shape covers about 128), or one that fills less than
#   0.4 of its bounding box (a disc fills about pi/4 of its box, and no frame of 400 real clips
#   fills less than 0.64; specks scattered over the frame fill almost none of theirs), is no
#   readable shape: noise, specks, a smear or nothing;
# - **colour**: the circular mean *hue* of the mask, assigned to the nearest caption colour (hue,
#   not RGB distance: yellow and green are close in RGB but 65 degrees apart in hue);
# - **shape**: how wide its bounding box is for its height (below);
# - **size** and **position**: `sqrt(area)` of the mask and its chroma-weighted centroid;
# - **background**: the mean grey of the pixels at least one pixel away from the shape, which
#   must lie in the grey range real clips of the caption's background use
#   (`background_range`: the drawn range, widened by the largest drift and a small margin).
#
# A frame is **correct** when a shape is found with the caption's colour *and* the caption's
# shape, on the caption's background.
#
# **Circle or bar: the aspect of the soft bounding box.** With `alpha` the coverage of each
# pixel (its chroma divided by the shape's peak chroma, so an edge pixel counts with the fraction
# the shape covers), the shape's box is `sum over columns of max alpha` wide and `sum over rows
# of max alpha` high, and
#
# $$\text{aspect} = \frac{\text{width}}{\text{height}} .$$
#
# A circle is as wide as it is high (aspect 1); a bar is drawn 2.6 radii wide and 1.2 high
# (aspect 2.17), which gives it the circle's area, so size says nothing about the shape. The
# function below computes the aspect of one frame from these definitions; the assertion checks
# it against `read_frames`.


# %%
def soft_box_aspect(frame: torch.Tensor) -> tuple[float, torch.Tensor]:
    """Aspect (width / height) of the soft bounding box of one frame "3 h w" in [-1, 1], and
    its coverage "h w"."""
    rgb = (frame + 1) / 2
    chroma = rgb.amax(dim=0) - rgb.amin(dim=0)  # "h w"
    peak = chroma[chroma > 0.25].quantile(0.9)  # the shape's full-coverage chroma
    alpha = (chroma / peak).clamp(0, 1) * (chroma > 0.1)  # coverage, "h w"
    width = alpha.amax(dim=0).sum()  # max over rows, one value per column
    height = alpha.amax(dim=1).sum()
    return float(width / height), alpha


examples = {shape: sample_clips(1, 16, seed=4, shape=shape).videos for shape in SHAPES}
for shape, video in examples.items():
    aspect, _ = soft_box_aspect(video[0, :, 0])
    torch.testing.assert_close(torch.tensor(aspect), read_frames(video).aspect[0, 0])
    print(f"{shape:<7} frame 0: aspect {aspect:.3f}, read as {read_frames(video).shape[0][0]!r}")

aspects = sample_clips(200, num_frames=16, seed=3)
aspect_of = read_frames(aspects.videos).aspect  # "b f"
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8), layout="constrained",
                         width_ratios=[1, 1, 2])  # fmt: skip
for ax, (shape, video) in zip(axes, examples.items()):
    aspect, alpha = soft_box_aspect(video[0, :, 0])
    width, height = alpha.amax(dim=0).sum(), alpha.amax(dim=1).sum()
    frame = read_frames(video[:, :, :1])
    cx, cy = frame.x[0, 0] - 0.5, frame.y[0, 0] - 0.5  # centroid in imshow's pixel coordinates
    ax.imshow(alpha, cmap="gray", vmin=0, vmax=1, interpolation="none")
    ax.add_patch(plt.Rectangle((cx - width / 2, cy - height / 2), width, height, fill=False,
                               edgecolor="tab:orange", linewidth=1.5))  # fmt: skip
    ax.set_facecolor("black")  # outside the frame: no coverage either
    ax.set(xlim=(cx - 10, cx + 10), ylim=(cy + 10, cy - 10), xticks=[], yticks=[],
           title=f"{shape}: alpha and its box, aspect {aspect:.2f}")  # fmt: skip
    ax.title.set_fontsize(9)
for shape in SHAPES:
    picked = torch.tensor([s == shape for s in aspects.params.shape])
    values = aspect_of[picked].flatten()
    axes[2].hist(values, bins=60, range=(0.8, 2.4), alpha=0.7, label=shape)
    print(f"{shape:<7} aspect over {values.numel()} real frames: "
          f"{values.min():.3f} to {values.max():.3f} (mean {values.mean():.3f})")  # fmt: skip
axes[2].axvline(ASPECT_THRESHOLD, color="black", linestyle="--",
                label=f"threshold {ASPECT_THRESHOLD}")  # fmt: skip
axes[2].set(xlabel="aspect (width / height) of the soft bounding box", ylabel="frames",
            title="200 real clips x 16 frames")  # fmt: skip
axes[2].legend(fontsize=8)
plt.show()

# %% [markdown]
# On real frames the two shapes never come near the threshold of 1.5: circles stay within about
# 0.03 of 1 (pixelization), bars between 2.1 and 2.3. A blurred edge widens a shape by
# about the same amount in both directions, so a *generated* bar with soft edges stays a bar
# (`tests/test_measure.py` checks a blur of a pixel); a generated shape is read as the other
# one only when its proportions are wrong.
#
# **Why not circles and squares?** An earlier version of this world drew circles and squares of
# equal area, anywhere in the frame. The two differ only in their corners, less than one cell of
# the 8 x 8 latent grid the denoiser works on, and shapes started anywhere, so the *average*
# clip of "moves right" equalled that of "moves left". A diffusion model learns a caption word
# as far as the word changes what the denoiser should output: a tiny model trained on a CPU
# learned colour and background (which change many pixels), and never the shape or the
# direction. A bar and a side of entry (a shape that moves right enters from the left quarter)
# change what a whole latent cell should hold. Real text-to-video models learn subtler words
# from far more data and compute.
#
# **Scores per clip.** `score_clips(videos, captions)` turns the per-frame read-out into one
# `ClipScores` per video:
#
# - **correct, found, colour, shape, background**: the fraction of frames that pass each test;
# - **direction**: the fraction of steps that move along the current heading. The heading starts
#   as the caption's direction and flips when the shape bounces off the wall it was heading for
#   (a step within half the shape's size plus 2 pixels of that wall may go either way);
# - **speed**: the median step of the centroid, pixels per frame (real clips: 0.8 to 1.6);
# - **teleports**: the fraction of steps longer than 3 pixels, which no real shape makes;
# - **change ratio**: the mean absolute frame-to-frame pixel change, divided by that of 16 real
#   clips of the same caption (`real_frame_change`): 1 is as much change as real footage, far
#   above 1 is flicker, far below a frozen video;
# - **hue drift** and **size drift**: the standard deviations over frames of the shape's hue
#   (degrees) and size (pixels), constant in a real clip up to pixelization.
#
# A read-out that scores real clips below 1 would be wrong, not strict. So before it judges any
# generated video, here it is on 100 real clips, each scored against its own caption:

# %%
calibration = sample_clips(100, num_frames=16, seed=2)
calibration_rows = score_clips(calibration.videos, calibration.captions)  # one ClipScores each
calibration_summary = summarize(calibration_rows)  # score -> (mean, low, high)
print(f"{len(calibration_rows)} real clips x 16 frames")
print(f"{'score':<14}{'mean':>8}   95% interval")
for name, (mean, low, high) in calibration_summary.items():
    print(f"{name:<14}{mean:>8.3f}   [{low:.3f}, {high:.3f}]")
reference = real_frame_change([calibration.captions[0]], num_frames=16)
print(f"\nreal frame-to-frame change for {calibration.captions[0]!r}: "
      f"{reference[calibration.captions[0]]:.4f} per pixel and frame")  # fmt: skip

# %% [markdown]
# Every fraction reads 1.000 on real clips and no real clip teleports, so a generated video
# that scores below 1 has a real defect, not a harsh judge. The other rows are the real clips'
# own values, to compare generated videos with: a change ratio near 1, a median speed in the
# world's range, a hue that never drifts and a size that varies by about a tenth of a pixel
# (pixelization of the moving edge).
#
# **The 95% interval.** Every summary is a mean over videos with a 95% *bootstrap* interval: draw
# as many videos as there are, with replacement, from the measured ones; take the mean; repeat
# 2,000 times; the interval holds the middle 95% of those means. It says how much the mean could
# move with another draw of videos of the same kind (other seeds, the same captions); it says
# nothing about another training run. Two means whose intervals overlap are **not shown** to
# differ. On a tiny example of eight videos:

# %%
scores = torch.tensor([1.0, 1.0, 0.5, 0.0, 1.0, 0.75, 1.0, 0.25])  # e.g. `correct` of 8 videos
generator = torch.Generator().manual_seed(0)
draws = torch.randint(len(scores), (2000, len(scores)), generator=generator)  # "resamples n"
means = scores.double()[draws].mean(dim=1)  # one mean per resample
low, high = torch.quantile(means, torch.tensor([0.025, 0.975], dtype=torch.float64))
print(f"scores {scores.tolist()}")
print(f"first resample: videos {draws[0].tolist()} -> mean {means[0]:.3f}")
print(f"mean {scores.mean():.3f}, 95% interval [{low:.3f}, {high:.3f}] from 2000 resamples")
assert bootstrap_interval(scores) == (float(scores.double().mean()), float(low), float(high))
mean_4, low_4, high_4 = bootstrap_interval(scores.repeat(4))  # the library's version
print(f"the same scores four times over (32 videos): mean {mean_4:.3f}, "
      f"95% interval [{low_4:.3f}, {high_4:.3f}]")  # fmt: skip

# %% [markdown]
# With eight videos the interval is wide; with four times as many videos of the same spread it
# is about half as wide (the width shrinks like one over the square root of the number of
# videos). That is why notebook 08 scores 36 generated videos, and why the real clips'
# intervals above, from 100 clips, are narrow.

# %% [markdown]
# ## Exercise 1: predict, then check (shuffled frames)
#
# Take real clips and shuffle the order of their frames (the same shuffle for every clip). Every
# frame is still a perfect frame of its caption; only the order is gone. **Before you run the
# check**, predict for each of the 11 scores of `ClipScores` whether it changes, and write your
# prediction as `True` (changes) or `False` (stays exactly the same). Think about which scores
# look at one frame at a time, which look at the set of frames, and which at their order.

# %%
### BEGIN SOLUTION
prediction = {
    "correct": False, "found": False, "colour": False, "shape": False, "background": False,
    "direction": True, "teleports": True, "speed": True, "change_ratio": True,
    "hue_drift": False, "size_drift": False,
}  # fmt: skip
### END SOLUTION

# %%
assert set(prediction) == set(CLIP_SCORES), f"predict every score: {', '.join(CLIP_SCORES)}"
assert all(isinstance(v, bool) for v in prediction.values()), "predict True or False"
ordered = sample_clips(24, num_frames=16, seed=11)
shuffle = torch.randperm(16, generator=torch.Generator().manual_seed(5))
shuffled = ordered.videos[:, :, shuffle]  # the same frames, in another order
before = summarize(score_clips(ordered.videos, ordered.captions))
after = summarize(score_clips(shuffled, ordered.captions))
print(f"{'score':<14}{'ordered':>9}{'shuffled':>10}   changes?  you said")
wrong = []
for score in CLIP_SCORES:
    changed = abs(before[score][0] - after[score][0]) > 1e-9
    wrong += [score] if changed != prediction[score] else []
    print(f"{score:<14}{before[score][0]:>9.3f}{after[score][0]:>10.3f}   "
          f"{'yes' if changed else 'no':<9} {'yes' if prediction[score] else 'no'}")  # fmt: skip
hint = "a standard deviation over frames ignores their order; a step between frames does not"
assert not wrong, f"not as predicted: {', '.join(wrong)}. Hint: {hint}"
print("exercise passed: per-frame scores and spreads ignore order; motion scores see it")

# %% [markdown]
# The scores of single frames, and the spreads over the set of frames, cannot tell a clip from
# its shuffle; only the scores built on steps between consecutive frames can. The same holds for
# the layers of the denoiser (notebook 07): spatial layers and position-free temporal attention
# treat a shuffled clip exactly like the original (up to the shuffle), and only the temporal
# convolutions see the order. That is why direction, teleports, speed and the change ratio are
# the scores to watch when temporal modelling is at stake.
#
# %% [markdown]
# ## Exercise 2: the change ratio, by hand
#
# Write `change_ratio(videos, captions)`: for each video of `"b 3 f h w"`, its mean absolute
# change from one frame to the next (over channels, steps and pixels), divided by the same mean
# for real clips of its caption, `real_frame_change(captions, num_frames)[caption]`. A real clip
# reads about 1. The check compares your function with `score_clips` on real clips, on the same
# clips frozen (the first frame repeated) and on the shuffled clips of exercise 1; **before you
# run it**, guess where the frozen and the shuffled clips land.


# %%
def change_ratio(videos: torch.Tensor, captions: list[str]) -> torch.Tensor:
    """Frame-to-frame change of each video over that of real clips of its caption, "b"."""
    ### BEGIN SOLUTION
    reference = real_frame_change(captions, num_frames=videos.shape[2])
    steps = videos[:, :, 1:] - videos[:, :, :-1]  # "b 3 (f-1) h w"
    change = reduce(steps.abs(), "b c f h w -> b", "mean")
    return change / torch.tensor([reference[text] for text in captions])
    ### END SOLUTION


# %%
ordered = sample_clips(24, num_frames=16, seed=11)  # the clips of exercise 1, in order
shuffled = ordered.videos[:, :, torch.randperm(16, generator=torch.Generator().manual_seed(5))]
frozen = ordered.videos[:, :, :1].expand_as(ordered.videos)  # frame 0, sixteen times
for name, batch in (("real", ordered.videos), ("frozen", frozen), ("shuffled", shuffled)):
    mine = change_ratio(batch, ordered.captions)
    assert mine.shape == (len(ordered.captions),), f"one value per video, got {tuple(mine.shape)}"
    library = torch.tensor([row.change_ratio for row in score_clips(batch, ordered.captions)])
    torch.testing.assert_close(mine.float(), library.float(), msg=f"differs on {name} clips")
    print(f"{name:<9} change ratio {fmt_interval(bootstrap_interval(mine))} over "
          f"{len(mine)} clips, as score_clips")  # fmt: skip
print("exercise passed: the change ratio is the mean step over real footage's")

# %% [markdown]
# On these 24 clips the frozen copies read 0.00 and the shuffled ones 3.68 [3.37, 3.99], against
# 1.06 [0.98, 1.15] in order: a frozen clip does not change at all, and a shuffled one changes
# more than three times as much as real footage, since its consecutive frames are no longer
# neighbours in time (the shape jumps, and the drifting background steps back and forth). A
# generated video can fail in either direction, and the ratio tells which; it cannot tell a
# shuffle from flicker, which is what direction, teleports and speed are for.
#
# ## Recap
#
# - The world draws one coloured shape per clip from a few numbers; the caption names colour,
#   shape, direction and background and leaves shade, size, grey, start, speed, bounces and a
#   slow drift out, so consistency and motion need information from other frames.
# - The read-out works from chroma: colour by hue, shape by the aspect of the soft bounding box,
#   background from the pixels away from the shape. It scores real clips at 1 on every fraction,
#   so a lower score of a generated video is a defect of the video, not of the judge.
# - Every mean comes with a 95% bootstrap interval over videos; overlapping intervals mean a
#   difference is not shown.
# - Scores of single frames ignore the order of the frames; direction, teleports, speed and the
#   change ratio are built on steps between frames and see it.
#
# **Next:** notebook 06 introduces diffusion itself on clips of this world: how a clip is noised,
# and how a sampler with classifier-free guidance turns noise back into a clip.
