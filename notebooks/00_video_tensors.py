# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Video tensors and reshapes
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/00_video_tensors.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/00_video_tensors.ipynb)
#
# A text-to-video diffusion model never sees "a video". It sees a 5-D tensor of numbers, and each
# of its layers first rearranges that tensor into the batch of sequences the layer works on:
# frames for spatial attention, pixel positions followed through time for temporal attention.
# Most of the craft of writing video attention is in these rearrangements, and a wrong one is
# dangerous precisely because it still runs: the shapes fit, the model trains, and frames or
# channels get silently mixed. This notebook takes them apart on a clip small enough to check by hand.
#
# **Learning goals.** After this notebook you can
# 1. name the five axes of a video latent, `b c f h w`, and give their sizes in a real model;
# 2. write the two reshapes of the SCVideo appendix, `RS(F; (bf), (hw), c)` (Eq. 1) and
#    `RS(F; (bhw), f, c)` (Eq. 4), with einops, and check them against plain loops;
# 3. say which pixels each view puts into one sequence, i.e. who will be able to attend to whom;
# 4. recognise the "reshape without permute" bug;
# 5. look at a video as a frame strip and as a GIF.
#
# **Sources.** The notation `RS(F; ...)` and Eq. 1-4 are from the appendix *Details of SCVideo* of
# an anonymous submission under review (section 1, "Sparse Causal Attention" to "Temporal
# Attention"). The series leads to VSTAR: *Generative Temporal Nursing for Longer Dynamic Video
# Synthesis* (Li, Beluch, Keuper, Zhang and Khoreva, ICLR 2025).

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
import matplotlib.pyplot as plt
import torch
from einops import rearrange

from vstar_lite.utils import check_predictions, notebook_setup
from vstar_lite.video import (
    spatial_tokens,
    temporal_tokens,
    toy_clip,
    video_from_spatial_tokens,
    video_from_temporal_tokens,
)
from vstar_lite.viz import frame_strip, show_video

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

# %% [markdown]
# ## 1. A video is a 5-D tensor: `b c f h w`
#
# | letter | axis | in this notebook | in SCVideo's latent |
# |---|---|---|---|
# | `b` | videos in the batch | 2 | batch size |
# | `c` | channels per pixel | 3 (RGB) | 4 latent channels |
# | `f` | frames | 8 | 16 |
# | `h`, `w` | height, width | 32, 32 | 32, 32 |
#
# This is the layout diffusers' `UNet3DConditionModel` uses, and the appendix writes it as
# $F \in \mathcal{R}^{bcfhw}$. `toy_clip` draws a clip with code: a red disc crossing from left to
# right and a yellow square dropping from top to bottom, over a background that never moves.

# %%
clip = toy_clip(num_frames=8, height=32, width=32)  # "c f h w", values in [0, 1]
print("clip  (c f h w):  ", tuple(clip.shape), clip.dtype)
print(f"values between {clip.min():.2f} and {clip.max():.2f}")

# %% [markdown]
# A frame strip shows every frame at once; a GIF shows the motion. Both are stored inside the
# notebook, so they also show on GitHub.

# %%
frame_strip(clip, title="toy_clip(): 8 frames of 32 x 32 RGB")
plt.show()

# %%
show_video(clip, fps=4)

# %% [markdown]
# A batch holds several videos. Our second video is the same clip played backwards, so that the two
# videos of the batch are easy to tell apart.

# %%
videos = torch.stack([clip, clip.flip(1)])  # "b c f h w"
b, c, f, h, w = videos.shape
print(f"videos (b c f h w): {tuple(videos.shape)}: b={b} c={c} f={f} h={h} w={w}")

# %% [markdown]
# Latent diffusion runs on a compressed latent, not on pixels. The appendix: the VQ-VAE "encodes a
# 16\*256\*256 video into latent space" of shape 4\*16\*32\*32: 8x smaller in height and width, 4
# channels instead of 3, all 16 frames kept. Every frame stays a frame, which is why attention over
# frames still makes sense inside the model.

# %%
pixel_video, latent_video = (1, 3, 16, 256, 256), (1, 4, 16, 32, 32)
for name, shape in [("RGB video", pixel_video), ("its latent", latent_video)]:
    print(f"{name:<11} b c f h w = {str(shape):<22} {torch.Size(shape).numel():>9,} numbers")
print(f"compression: {torch.Size(pixel_video).numel() / torch.Size(latent_video).numel():.0f}x")

# %% [markdown]
# ## 2. The spatial view: `F' = RS(F; (bf), (hw), c)` (Eq. 1)
#
# SCVideo starts from an image model (Stable Diffusion 1.4) whose self-attention works on one image
# at a time. To reuse it on video, every frame is treated as an image of its own:
#
# $$Q = W^Q F', \quad K = W^K F', \quad V = W^V F', \qquad F' = RS(F; (bf), (hw), c) \qquad (1)$$
#
# `RS(F; (bf), (hw), c)` means: merge batch and frames into one batch axis of size `b*f`, merge
# height and width into one sequence axis of `h*w` pixel tokens, and put channels last, where
# the projections $W^Q, W^K, W^V$ act on them. First the obviously correct version, with loops:

# %%
def spatial_tokens_by_loops(video: torch.Tensor) -> torch.Tensor:
    """RS(F; (bf), (hw), c), one pixel at a time."""
    b, c, f, h, w = video.shape
    out = torch.empty(b * f, h * w, c, dtype=video.dtype)
    for i in range(b):
        for j in range(f):
            for y in range(h):
                for x in range(w):
                    out[i * f + j, y * w + x] = video[i, :, j, y, x]
    return out


# %% [markdown]
# einops writes the same thing as a pattern that reads like the appendix's notation:

# %%
F_prime = rearrange(videos, "b c f h w -> (b f) (h w) c")
print("F' shape:", tuple(F_prime.shape), "= (b*f, h*w, c)")
print("equals the loops:", torch.equal(F_prime, spatial_tokens_by_loops(videos)))
torch.testing.assert_close(spatial_tokens(videos), F_prime)  # the library's version, used later
print("vstar_lite.video.spatial_tokens agrees")

# %% [markdown]
# Row `i*f + j` of `F'` is frame `j` of video `i`; inside a row the tokens are the frame's pixels in
# raster order, token `y*w + x` being pixel `(y, x)`. On a 4 x 6 frame:

# %%
index_map = rearrange(torch.arange(4 * 6), "(h w) -> h w", h=4)
fig, ax = plt.subplots(figsize=(4, 2.8))
ax.imshow(index_map, cmap="viridis")
for y in range(4):
    for x in range(6):
        token = int(index_map[y, x])
        ax.text(x, y, token, ha="center", va="center", color="w" if token < 14 else "k")
ax.set(title="token index y*w + x in a 4 x 6 frame", xlabel="x (width)", ylabel="y (height)")
plt.show()

# %% [markdown]
# **Who can attend to whom.** Attention mixes tokens *within* a sequence, never across the batch
# axis. In the spatial view a sequence is one frame, so a pixel can look at every pixel of its own
# frame and at nothing in any other frame: applied frame by frame, an image model cannot keep a
# video consistent. Sparse causal attention (Eq. 2, notebook 02) and temporal attention (Eq. 4,
# below) are the two ways SCVideo opens a path between frames.
#
# ## 3. The temporal view: `F'' = RS(F; (bhw), f, c)` (Eq. 4)
#
# $$Q = W^Q F'', \quad K = W^K F'', \quad V = W^V F'', \qquad F'' = RS(F; (bhw), f, c) \qquad (4)$$
#
# Now every *pixel position* becomes a sequence: the `f` values that position takes over the clip.
# Loops first, then einops:

# %%
def temporal_tokens_by_loops(video: torch.Tensor) -> torch.Tensor:
    """RS(F; (bhw), f, c), one pixel position at a time."""
    b, c, f, h, w = video.shape
    out = torch.empty(b * h * w, f, c, dtype=video.dtype)
    for i in range(b):
        for y in range(h):
            for x in range(w):
                out[(i * h + y) * w + x] = video[i, :, :, y, x].T  # "c f -> f c"
    return out


F_second = rearrange(videos, "b c f h w -> (b h w) f c")
print("F'' shape:", tuple(F_second.shape), "= (b*h*w, f, c)")
print("equals the loops:", torch.equal(F_second, temporal_tokens_by_loops(videos)))
torch.testing.assert_close(temporal_tokens(videos), F_second)
print("vstar_lite.video.temporal_tokens agrees")

# %% [markdown]
# Here a pixel can attend to itself in every other frame, and to nothing else. Two sequences of the
# first video: one on the disc's path, one in the background corner.

# %%
def sequence_of(video_index: int, y: int, x: int) -> torch.Tensor:
    """The row of F'' that follows pixel (y, x) of one video through time: "f c"."""
    return F_second[(video_index * h + y) * w + x]


on_path, corner = sequence_of(0, y=16, x=16), sequence_of(0, y=2, x=30)
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.plot(on_path[:, 0], "o-", color="tab:red", label="pixel (16, 16): on the disc's path")
ax.plot(corner[:, 0], "s-", color="tab:blue", label="pixel (2, 30): background")
ax.set(xlabel="frame f", ylabel="red channel", title="two rows of F'' (red channel)", ylim=(0, 1))
ax.legend(loc="center right", fontsize=8)
plt.show()
print("pixel (16, 16), red over time:", [round(v, 2) for v in on_path[:, 0].tolist()])
print("pixel (2, 30),  red over time:", [round(v, 2) for v in corner[:, 0].tolist()])

# %% [markdown]
# Most sequences are constant, like the corner: temporal attention has nothing to do there. The
# interesting work happens in the few positions that something moves through.

# %%
changes = (F_second.amax(dim=1) - F_second.amin(dim=1)).amax(dim=-1) > 0  # "(b h w)"
print(f"pixel positions whose colour changes during the clip: {int(changes.sum())} "
      f"of {changes.numel()} ({100 * changes.float().mean():.1f}%)")

# %% [markdown]
# ## 4. Same numbers, different sequences, very different costs
#
# Both views hold exactly the numbers of the video, only grouped differently, and both undo
# exactly:

# %%
back_from_spatial = video_from_spatial_tokens(F_prime, frames=f, height=h)
back_from_temporal = video_from_temporal_tokens(F_second, batch=b, height=h)
print("round trip through F' :", torch.equal(back_from_spatial, videos))
print("round trip through F'':", torch.equal(back_from_temporal, videos))

# %% [markdown]
# The grouping decides the cost of attention, which builds one `n x n` matrix per sequence of `n`
# tokens. For SCVideo's 32 x 32 latent (one video), the spatial view has `f` sequences of 1,024
# tokens, the temporal view 1,024 sequences of `f` tokens. Longer videos, where VSTAR works, make
# temporal attention grow with `f^2` per pixel:

# %%
print(f"{'frames':>6} | {'spatial: f x (hw)^2':>20} | {'temporal: hw x f^2':>19}")
for frames in (16, 64, 128):
    spatial_entries, temporal_entries = frames * (32 * 32) ** 2, (32 * 32) * frames**2
    print(f"{frames:>6} | {spatial_entries:>20,} | {temporal_entries:>19,}")

# %% [markdown]
# ## 5. A bug that runs: reshape without permute
#
# `torch.reshape` only regroups numbers in their memory order; it never moves the channel axis. So
# `videos.reshape(b * f, h * w, c)` has the right shape and the wrong content: its "pixels" are runs
# of 3 neighbouring numbers of the *same* channel.

# %%
wrong = videos.reshape(b * f, h * w, c)  # right shape, wrong content
right = videos.permute(0, 2, 3, 4, 1).reshape(b * f, h * w, c)  # move c last first
print("shapes equal:", wrong.shape == F_prime.shape)
print("reshape only          == F':", torch.equal(wrong, F_prime))
print("permute, then reshape == F':", torch.equal(right, F_prime))

fig, axes = plt.subplots(1, 2, figsize=(5, 2.8))
for ax, tokens, name in [(axes[0], F_prime, "frame 0 from F'"), (axes[1], wrong, "reshape only")]:
    ax.imshow(rearrange(tokens[0], "(h w) c -> h w c", h=h).clamp(0, 1))
    ax.set(title=name, xticks=[], yticks=[])
plt.show()

# %% [markdown]
# The einops pattern names every axis, so this mistake cannot be written by accident; that is why
# the library (and every later notebook) uses einops for reshapes.
#
# ## Exercise 1: from the spatial view straight to the temporal view
#
# Inside a video block, spatial layers produce `(b f) (h w) c` and the temporal layers that follow
# want `(b h w) f c`. Write `spatial_to_temporal` without going through `b c f h w`. The check below
# uses a non-square, multi-video tensor, so that mixing up `h` and `w` or `b` and `f` fails.

# %%
def spatial_to_temporal(tokens: torch.Tensor, frames: int, height: int) -> torch.Tensor:
    """(b f) (h w) c -> (b h w) f c"""
    ### BEGIN SOLUTION
    return rearrange(tokens, "(b f) (h w) c -> (b h w) f c", f=frames, h=height)
    ### END SOLUTION


# %%
check = torch.randn(3, 4, 5, 6, 7)  # b=3 c=4 f=5 h=6 w=7: every axis a different size
result = spatial_to_temporal(spatial_tokens(check), frames=5, height=6)
assert result.shape == (3 * 6 * 7, 5, 4), f"expected shape (126, 5, 4), got {tuple(result.shape)}"
assert torch.equal(result, temporal_tokens(check)), "right shape, wrong order: check the pattern"
print("exercise passed: (b f) (h w) c -> (b h w) f c")

# %% [markdown]
# ## Exercise 2: predict, then check (how the sequences grow)
#
# The two views of section 3 turn one clip into a batch of sequences. Predict first, for the clip
# `x` (`b c f h w` = 1 x 4 x 16 x 8 x 8): when the clip gets **twice as many frames**, does each of
# these go `"up"`, `"down"` or stay the `"same"`? Then the same for **half the height and half the
# width** at 16 frames. Write your answers in `predict()`; the check measures the shapes and
# compares.

# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "spatial: sequences, frames x 2": "up",
        "spatial: tokens per sequence, frames x 2": "same",
        "temporal: sequences, frames x 2": "same",
        "temporal: tokens per sequence, frames x 2": "up",
        "temporal: sequences, h and w / 2": "down",
    }
    ### END SOLUTION


# %%
base = torch.randn(1, 4, 16, 8, 8)  # "b c f h w"
longer, smaller = torch.randn(1, 4, 32, 8, 8), torch.randn(1, 4, 16, 4, 4)
items = {  # name -> (number before, number after): dimension 0 counts sequences, 1 tokens
    "spatial: sequences, frames x 2": (spatial_tokens(base).shape[0], spatial_tokens(longer).shape[0]),
    "spatial: tokens per sequence, frames x 2": (spatial_tokens(base).shape[1],
                                                 spatial_tokens(longer).shape[1]),
    "temporal: sequences, frames x 2": (temporal_tokens(base).shape[0],
                                        temporal_tokens(longer).shape[0]),
    "temporal: tokens per sequence, frames x 2": (temporal_tokens(base).shape[1],
                                                  temporal_tokens(longer).shape[1]),
    "temporal: sequences, h and w / 2": (temporal_tokens(base).shape[0],
                                         temporal_tokens(smaller).shape[0]),
}  # fmt: skip
check_predictions(items, predict(), digits=0)
print("exercise passed: every prediction agrees with the shapes")

# %% [markdown]
# ## Recap
#
# - A video latent is `b c f h w`; SCVideo's is `b x 4 x 16 x 32 x 32` for a 16-frame 256 x 256 clip.
# - Spatial attention (Eq. 1) sees `(b f) (h w) c`: one sequence per frame, no path between frames.
# - Temporal attention (Eq. 4) sees `(b h w) f c`: one sequence per pixel position, through time.
# - Reshapes are free to compute but decide who attends to whom, and what attention costs.
# - Write them as einops patterns and check them against loops once; `vstar_lite.video` holds the
#   checked versions the rest of the series imports.
#
# **Next:** notebook 01 builds attention itself and applies it to the spatial view.
