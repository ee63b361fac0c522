# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Temporal attention (Eq. 4) and the SS-T block
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/04_temporal_attention_and_sst_block.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/04_temporal_attention_and_sst_block.ipynb)
#
# The attentions of notebooks 01-03 all work inside frames: a pixel looks at pixels of its own
# frame, of the first and previous frame, or at the words of the prompt. Temporal attention is the
# layer that follows one pixel position through the whole clip. It is also where VSTAR intervenes
# later in this series, so it pays to be able to read what it does: every pixel position gets a
# small `f x f` attention map, and that map says which frames a frame borrows from. The second half
# of the notebook puts temporal attention into the SS-T block of SCVideo, together with the image
# layers of notebooks 01-03, and shows the trick that lets a video model start life as an image
# model: the new layers begin as the identity.
#
# **Learning goals.** After this notebook you can
# 1. run Eq. 4 on a clip and read its `f x f` attention maps: for one pixel, per head, and averaged
#    over pixels and heads;
# 2. explain why a pixel that never changes attends uniformly to all frames, and what that says
#    about frame order;
# 3. trace the SS-T block's data flow, conv2D -> conv3D -> SC attention -> cross-attention ->
#    feed-forward -> two temporal attentions, with the tensor layout each layer works on;
# 4. show that a freshly built block computes exactly what its image layers compute, and say why
#    (identity temporal convolution, zero output projections);
# 5. see how the new layers, once they move away from their start, connect every frame to every
#    other frame.
#
# **Sources.** Eq. 4, the SS-T block ("conv2D and conv3D, sparse causal attention (SCAttn), spatial
# cross attention, and two temporal attentions", Fig. 5b) and the initialization of new layers are
# from the appendix *Details of SCVideo* of an anonymous submission under review (section 1,
# "Temporal Attention", "Architecture" and "Training"). That initialization follows Make-A-Video
# (Singer et al., 2022, *Make-A-Video: Text-to-Video Generation without Text-Video Data*). The
# reading of temporal attention maps looks ahead to VSTAR: *Generative Temporal Nursing for Longer
# Dynamic Video Synthesis* (Li, Beluch, Keuper, Zhang and Khoreva, ICLR 2025).

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
import copy

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from einops import rearrange, reduce, repeat
from matplotlib.patches import FancyBboxPatch, Patch
from torch import nn

from vstar_lite.attention import AttnProcessor, TemporalAttention
from vstar_lite.blocks import SSTBlock, frame_position_embedding
from vstar_lite.tar import mean_diagonal_probability
from vstar_lite.utils import check_predictions, notebook_setup
from vstar_lite.video import temporal_tokens, toy_clip
from vstar_lite.viz import attention_heatmap, frame_strip
from vstar_lite.widgets import explore

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

# %% [markdown]
# ## 1. Eq. 4 on a clip: every pixel position is a sequence of frames
#
# Notebook 00 built the temporal view of a video; temporal attention is ordinary self-attention
# applied to it:
#
# $$Q = W^Q F'', \quad K = W^K F'', \quad V = W^V F'', \qquad F'' = RS(F; (bhw), f, c) \qquad (4)$$
#
# $$\text{Attention}(Q, K, V) = \text{Softmax}\left(\frac{Q K^\top}{\sqrt{d}}\right) V$$
#
# Each row of `F''` holds the `f` tokens of one pixel position, so each sequence is only `f` tokens
# long and its attention matrix is `f x f`: entry `(i, j)` says how much frame `i` of this pixel
# takes from frame `j` of the same pixel. We use the clip of notebook 00, one video of 8 frames.

# %%
clip = toy_clip(num_frames=8, height=32, width=32)  # "c f h w"
video = clip[None]  # "b c f h w" with b = 1
b, c, f, h, w = video.shape
tokens = temporal_tokens(video)  # F'' = RS(F; (bhw), f, c): "(b h w) f c"
print(f"video (b c f h w): {tuple(video.shape)}")
print(f"F''  ((b h w) f c): {tuple(tokens.shape)}: {tokens.shape[0]} sequences of {f} frame tokens")
frame_strip(clip, title="toy_clip(): a red disc moves right, a yellow square moves down")
plt.show()

# %% [markdown]
# A trained model learns `W^Q, W^K, W^V`. To see what the attention map means we set them by hand,
# so that **a pixel attends to the frames in which it has the same colour**:
#
# - the tokens are first normalized by a LayerNorm, as inside the block. Every normalized token
#   then has (almost exactly) the same length, `sqrt(c)`, so the dot product of two tokens is
#   largest when they are the same colour (up to brightness and contrast, which the normalization
#   removes);
# - two heads with `W^Q = W^K = s I`: a *sharp* head (`s = 3`) and a *soft* head (`s = 1`). The
#   logit of normalized tokens `x_i`, `x_j` is `s^2 (x_i . x_j) / sqrt(d)`, so a larger `s` makes
#   the softmax more decisive;
# - `W^V = I` in both heads, and the output projection `to_out` averages the two heads.
#
# `TemporalAttention` is built with `to_out` set to zero (`zero_out=True`): as built, it outputs
# zeros whatever it attends to. Section 4 explains why; here we overwrite `to_out` too. An
# `AttnProcessor(capture=True)` keeps the probabilities of the last call, `"batch heads f f"`.

# %%
norm = nn.LayerNorm(c)  # fresh: unit gain, zero bias
temporal = TemporalAttention(c, heads=2, dim_head=c)  # to_q, to_k, to_v: 3 -> 6; to_out: 6 -> 3
print("as built, to_out is zero:", bool((temporal.to_out.weight == 0).all()))

sharp, soft = 3.0, 1.0
eye = torch.eye(c)
with torch.no_grad():  # set weights by hand, no gradients needed
    temporal.to_q.weight.copy_(torch.cat([sharp * eye, soft * eye]))  # "(heads d) c"
    temporal.to_k.weight.copy_(torch.cat([sharp * eye, soft * eye]))
    temporal.to_v.weight.copy_(torch.cat([eye, eye]))  # both heads pass the token through
    temporal.to_out.weight.copy_(torch.cat([eye, eye], dim=1) / 2)  # average of the two heads
    temporal.to_out.bias.zero_()

processor = AttnProcessor(capture=True)
temporal.set_processor(processor)  # returns the default processor, which we do not need back
normed = norm(tokens)  # "(b h w) f c"
out = temporal(normed)  # "(b h w) f c"
probs = processor.probs  # "(b h w) heads f f"
print(f"output ((b h w) f c): {tuple(out.shape)}")
print(f"attention probabilities ((b h w) heads f f): {tuple(probs.shape)}")

# %% [markdown]
# The processor did nothing mysterious. Written out for both heads at once, with `d = 3` channels
# per head:

# %%
q = rearrange(temporal.to_q(normed), "n f (heads d) -> n heads f d", heads=2)
k = rearrange(temporal.to_k(normed), "n f (heads d) -> n heads f d", heads=2)
logits = torch.einsum("nhid,nhjd->nhij", q, k) / q.shape[-1] ** 0.5  # Q K^T / sqrt(d)
torch.testing.assert_close(logits.softmax(dim=-1), probs)
print("softmax(Q K^T / sqrt(d)) by hand equals the captured probabilities")
print(f"every row sums to 1: {torch.allclose(probs.sum(-1), torch.ones(()))}")

# %% [markdown]
# ## 2. Reading a temporal attention map
#
# Put the maps back on the image grid, so that a pixel is addressed by `(y, x)`. First pixel
# `(16, 16)`, on the disc's path, one map per head:

# %%
maps = rearrange(probs, "(b h w) heads i j -> b h w heads i j", b=b, h=h)  # "heads f f" per pixel


def heatmaps(panels: list[tuple[str, torch.Tensor]], title: str, vmax: float = 0.3) -> None:
    """Annotated f x f maps side by side, on one colour scale."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.1), layout="constrained")
    for ax, (name, matrix) in zip(axes, panels):
        attention_heatmap(matrix, ax=ax, annotate=True, vmax=vmax, title=name,
                          xlabel="key frame j", ylabel="query frame i")  # fmt: skip
    fig.suptitle(title)


is_red = clip[0, :, 16, 16] > 0.9  # "f": the red channel is 0.95 inside the disc
print("pixel (16, 16) is red in frames", is_red.nonzero().flatten().tolist(), "and background in",
      (~is_red).nonzero().flatten().tolist())
path_maps = maps[0, 16, 16]  # "heads f f"
heatmaps([("sharp head (s = 3)", path_maps[0]), ("soft head (s = 1)", path_maps[1])],
         "pixel (16, 16), on the disc's path")  # fmt: skip
plt.show()

# %% [markdown]
# The map has blocks, not a diagonal. The sharp head splits each row evenly over the four frames
# with the same colour: the four red frames hold exactly the same token, so they get exactly the
# same logit and the same weight, 1/4 each. **Attention compares contents and nothing else**: it
# cannot tell frame 3 from frame 4 when they hold the same token. This is why the SS-T block adds
# frame positions to the tokens before its temporal attentions (section 3). The soft head leaves
# some weight on the other colour too.
#
# Now the same pixel next to `(2, 30)`, in the background corner, both averaged over the two heads:

# %%
mean_maps = probs.mean(dim=1)  # average over heads: "(b h w) f f"
heatmaps([("pixel (16, 16): on the disc's path", maps[0, 16, 16].mean(0)),
          ("pixel (2, 30): background", maps[0, 2, 30].mean(0))],
         "mean of the two heads")  # fmt: skip
plt.show()

# %% [markdown]
# The background pixel holds the same token in all 8 frames, so every logit of a row is the same
# number, and the softmax of `f` equal numbers is `1/f = 0.125` (drawn rounded to 0.12), whatever
# the weights. A pixel that never changes gives temporal attention nothing to choose between.
#
# Most pixels of the clip are like that. Averaged over all of them the map is close to uniform;
# averaged over the pixels whose colour changes, a **diagonal band** appears, although no weight
# knows about frame order:

# %%
changing = (tokens.amax(dim=1) - tokens.amin(dim=1)).amax(dim=-1) > 0  # "(b h w)": colour changes
print(f"pixels whose colour changes: {int(changing.sum())} of {h * w}")
heatmaps([(f"average over all {h * w} pixels", mean_maps.mean(0)),
          (f"average over the {int(changing.sum())} that change", mean_maps[changing].mean(0))],
         "mean of the two heads, averaged over pixels")  # fmt: skip
plt.show()

# %% [markdown]
# The band comes from the motion: the objects move smoothly, so a pixel usually has the same colour
# in the neighbouring frames as now, and neighbours get more weight than distant frames. Over all
# pixels the band fades, because two thirds of them are static and contribute uniform rows.
#
# The mean diagonal probability (`vstar_lite.tar.mean_diagonal_probability`, which VSTAR's
# analysis uses alongside "diagonalness") summarizes a map in one number; `1/f` is its value for a
# map without structure.

# %%
rows = [
    ("pixel (16, 16), sharp head", path_maps[0]),
    ("pixel (16, 16), soft head", path_maps[1]),
    ("pixel (16, 16), mean of heads", path_maps.mean(0)),
    ("pixel (2, 30), mean of heads", maps[0, 2, 30].mean(0)),
    ("all pixels, mean of heads", mean_maps.mean(0)),
    ("changing pixels, mean of heads", mean_maps[changing].mean(0)),
]
print(f"{'map':<32} {'mean diagonal':>13}   uniform 1/f = {1 / f:.3f}")
for name, matrix in rows:
    print(f"{name:<32} {mean_diagonal_probability(matrix):>13.3f}")

# %% [markdown]
# Pick any pixel with the sliders (they need a running kernel; the figure below is for the start
# values). The left panel is the mean of the 8 frames, a long exposure in which the moving objects
# leave trails. Pixel `(16, 9)` is crossed by both objects: red in frames 0-2, yellow in 3-4,
# background in 5-7, so its map has three blocks.

# %%
long_exposure = reduce(clip, "c f h w -> h w c", "mean")


def plot_pixel(y: int, x: int) -> None:
    matrix = maps[0, y, x].mean(0)  # "f f", mean of the heads
    num_frames = matrix.shape[-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.4, 3.5), layout="constrained",
                                      width_ratios=[1, 1.25])  # fmt: skip
    left.imshow(long_exposure)
    left.plot(x, y, "x", color="white", markersize=10, markeredgewidth=2)
    left.set(title=f"mean of the frames, pixel ({y}, {x})", xticks=[], yticks=[])
    title = f"mean diagonal {mean_diagonal_probability(matrix):.3f} (1/f = {1 / num_frames:.3f})"
    attention_heatmap(matrix, ax=right, vmax=0.4, title=title, xlabel="key frame j",
                      ylabel="query frame i")  # fmt: skip


explore(
    plot_pixel,
    "temporal attention map (mean of heads) of the pixel chosen with the y and x sliders",
    y=widgets.IntSlider(value=16, min=0, max=h - 1, description="y", continuous_update=False),
    x=widgets.IntSlider(value=9, min=0, max=w - 1, description="x", continuous_update=False),
)

# %% [markdown]
# **Why these maps matter later.** VSTAR studies exactly this object: temporal attention maps
# averaged over heads and pixel positions, for real and for generated videos. It measures their
# "diagonalness" (the correlation between row and column index when the map is read as a joint
# distribution) and finds that longer generated videos lose their structure and turn almost static.
# Its Temporal Attention Regularization (TAR) adds a band around the diagonal to the logits of
# these `f x f` maps. Notebooks 09 and 10 pick this up; here it is enough to know where the maps
# come from and how to read them.
#
# ## 3. The SS-T block, layer by layer
#
# SCVideo's denoising network is built from Sparse Spatial-Temporal (SS-T) blocks. The appendix:
# "the input feature subsequently passes through a conv2D and conv3D, sparse causal attention
# (SCAttn), spatial cross attention, and two temporal attentions". `SSTBlock` implements that list;
# in the picture below, blue layers are those of the image model (Stable Diffusion 1.4 in SCVideo,
# whose weights they load), orange layers are new for video. Each layer works on its own view of
# the tensor, and the reshapes between them (right) are what this series has been practising.

# %%
def draw_sst_block() -> None:
    """The SS-T block's data flow: boxes for layers, arrows for the tensor between them."""
    image, new, data = "#cfe2f3", "#f9cb9c", "#eeeeee"
    layers = [  # (name, what it does, tensor layout it works on, colour)
        ("input x", "video feature", "b c f h w", data),
        ("conv2D", "3x3 conv per frame, + timestep", "(b f) c h w", image),
        ("conv3D", "kernel 3 along frames", "b c f h w", new),
        ("SC attention (Eq. 2)", "frame i -> frames 1 and i-1", "(b f) (h w) c", image),
        ("cross-attention (Eq. 3)", "pixels -> text tokens", "(b f) (h w) c", image),
        ("feed-forward", "per token", "(b f) (h w) c", image),
        ("temporal attention 1 (Eq. 4)", "pixel -> same pixel, all frames", "(b h w) f c", new),
        ("temporal attention 2 (Eq. 4)", "pixel -> same pixel, all frames", "(b h w) f c", new),
        ("output", "same shape as x", "b c f h w", data),
    ]
    side_inputs = {1: "timestep\nembedding", 4: "text\nembedding C", 6: "frame\npositions",
                   7: "frame\npositions"}  # fmt: skip
    reshapes = {2: "b c f h w -> (b f) (h w) c", 5: "(b f) (h w) c -> (b h w) f c",
                7: "(b h w) f c -> b c f h w"}  # fmt: skip
    fig, ax = plt.subplots(figsize=(10, 8.2))
    ax.set(xlim=(0, 13.2), ylim=(-0.9, len(layers) - 0.2))
    ax.axis("off")
    left, right, height = 2.0, 8.9, 0.62
    for row, (name, what, layout, colour) in enumerate(layers):
        y = len(layers) - 1 - row
        box = FancyBboxPatch((left, y - height / 2), right - left, height,
                             boxstyle="round,pad=0.02", facecolor=colour, edgecolor="0.3")
        ax.add_patch(box)
        ax.text(left + 0.15, y + 0.1, name, fontsize=11, fontweight="bold", va="center")
        ax.text(left + 0.15, y - 0.17, what, fontsize=9, va="center", color="0.25")
        ax.text(right - 0.15, y, layout, fontsize=10, family="monospace", ha="right", va="center")
        if row + 1 < len(layers):  # arrow down to the next layer
            ax.annotate("", xy=(5.45, y - 1 + height / 2), xytext=(5.45, y - height / 2),
                        arrowprops=dict(arrowstyle="-|>", color="0.2"))  # fmt: skip
        if row in reshapes:  # the rearrange between this layer and the next
            ax.text(right + 0.2, y - 0.5, "rearrange\n" + reshapes[row], fontsize=8.5,
                    family="monospace", va="center", color="tab:purple")  # fmt: skip
        if row in side_inputs:
            ax.annotate(side_inputs[row], xy=(left, y), xytext=(0.0, y), fontsize=8.5,
                        va="center", arrowprops=dict(arrowstyle="-|>", color="0.5"))  # fmt: skip
    ax.text(right + 0.2, 4, "each attention and the\nfeed-forward is a residual\n"
            "branch: x + layer(norm(x))", fontsize=8.5, va="center", color="0.3")  # fmt: skip
    legend = [Patch(facecolor=image, edgecolor="0.3", label="image layer (from the image model)"),
              Patch(facecolor=new, edgecolor="0.3", label="new video layer (identity at init)")]
    ax.legend(handles=legend, loc="lower center", bbox_to_anchor=(0.42, -0.06), ncol=2, fontsize=9,
              frameon=False)  # fmt: skip
    ax.set_title("data flow of the SS-T block (after the SCVideo appendix, Fig. 5b)", fontsize=12)


draw_sst_block()
plt.show()

# %% [markdown]
# Two details are this library's choices rather than the appendix's words. The feed-forward layer
# is not named in the appendix's list; it is the token-wise MLP that follows the attentions in every
# transformer block of Stable Diffusion, so `SSTBlock` keeps it. And `frame_attention="spatial"`
# swaps SC attention for plain spatial self-attention (Eq. 1), the layout of ModelScope and
# VideoCrafter2, the models VSTAR works on: there, temporal attention is the only path between
# frames.
#
# Now the same pass by hand, on a small input whose axes all have different sizes. We build a block
# and move its new layers away from their start (`perturb_video_layers`, below): in a fresh block
# they do nothing (section 4), and a check that passes while half the block does nothing would
# prove little.

# %%
def perturb_video_layers(block: SSTBlock, scale: float = 0.1) -> None:
    """Move the new layers away from their identity start, as training would."""
    with torch.no_grad():
        block.conv3d.weight.add_(scale * torch.randn_like(block.conv3d.weight))
        for attn in (block.temp_attn1, block.temp_attn2):
            attn.to_out.weight.normal_(std=scale)


channels, text_dim, time_dim = 16, 12, 8
block = SSTBlock(channels, text_dim, heads=4, groups=4, time_dim=time_dim)  # sparse causal
perturb_video_layers(block)

x = torch.randn(2, channels, 4, 3, 5)  # "b c f h w": b=2, c=16, f=4, h=3, w=5
context = torch.randn(2, 7, text_dim)  # "b L D": 7 text tokens per video
temb = torch.randn(2, time_dim)  # "b T": one timestep embedding per video
b, c, f, h, w = x.shape


def show(stage: str, layout: str, tensor: torch.Tensor) -> None:
    print(f"{stage:<34} {layout:<15} {tuple(tensor.shape)}")


show("input x", "b c f h w", x)
show("text embedding C", "b L D", context)

# %% [markdown]
# **Image part, convolutions.** conv2D is the image model's convolution: it sees each frame as an
# image, so frames move into the batch axis. Like a ResNet branch of Stable Diffusion it normalizes,
# applies SiLU and the 3x3 convolution, adds the timestep embedding to every channel, and adds the
# result to its input. conv3D then mixes each pixel with the same pixel in the previous and next
# frame (kernel `3 x 1 x 1`), on the full `b c f h w` tensor.

# %%
frames = rearrange(x, "b c f h w -> (b f) c h w")  # every frame is an image
branch = block.conv2d(nn.functional.silu(block.conv_norm(frames)))
branch = branch + repeat(block.time_proj(temb), "b c -> (b f) c 1 1", f=f)  # same step, all frames
frames = frames + branch
show("conv2D (per frame)", "(b f) c h w", frames)
x1 = rearrange(frames, "(b f) c h w -> b c f h w", b=b)
x2 = block.conv3d(x1)  # kernel (3, 1, 1), padding (1, 0, 0): f stays 4
show("conv3D (along frames)", "b c f h w", x2)

# %% [markdown]
# **Image part, attentions.** SC attention, cross-attention and the feed-forward all work on pixel
# tokens, one sequence per frame. Each is a pre-norm residual branch, `x + layer(norm(x))`.
# SC attention's keys for frame `i` are the tokens of frames 1 and `i-1` side by side (notebook 02),
# and cross-attention repeats each video's text for its frames (notebook 03).

# %%
spatial = rearrange(x2, "b c f h w -> (b f) (h w) c")  # Eq. 1's F'
show("pixel tokens", "(b f) (h w) c", spatial)
spatial = spatial + block.attn1(block.norm1(spatial), num_frames=f)  # Eq. 2
show("SC attention", "(b f) (h w) c", spatial)
spatial = spatial + block.attn2(block.norm2(spatial), context, num_frames=f)  # Eq. 3
show("cross-attention", "(b f) (h w) c", spatial)
spatial = spatial + block.ff(block.norm3(spatial))
show("feed-forward", "(b f) (h w) c", spatial)

# %% [markdown]
# **Video part, temporal attentions.** One rearrange turns frame sequences into pixel sequences
# (notebook 00's exercise), and both temporal attentions work on them. Before each, sinusoidal frame
# positions (`frame_position_embedding`, `"f c"`) are added to the normalized tokens, so that two
# frames with the same content no longer look identical to attention: the remedy for the block
# structure of section 2. **This step is the library's own addition, not SCVideo's**: the appendix
# defines temporal attention (Eq. 4) without positions. The idea is borrowed from AnimateDiff's
# motion modules, which add sinusoidal frame positions before their temporal attention;
# `SSTBlock(..., frame_positions=False)` leaves it out, and ModelScope's UNet, the one VSTAR was
# shown on, has no such positions (notebooks 07 and 09).

# %%
temporal_seq = rearrange(spatial, "(b f) (h w) c -> (b h w) f c", f=f, h=h)  # Eq. 4's F''
show("pixel sequences", "(b h w) f c", temporal_seq)
positions = frame_position_embedding(f, c)  # "f c", broadcast over the (b h w) sequences
temporal_seq = temporal_seq + block.temp_attn1(block.norm_t1(temporal_seq) + positions)
show("temporal attention 1", "(b h w) f c", temporal_seq)
temporal_seq = temporal_seq + block.temp_attn2(block.norm_t2(temporal_seq) + positions)
show("temporal attention 2", "(b h w) f c", temporal_seq)
manual = rearrange(temporal_seq, "(b h w) f c -> b c f h w", b=b, h=h)
show("output", "b c f h w", manual)

# %% [markdown]
# The block's own `forward` must agree with the pass by hand:

# %%
output = block(x, context, temb)
torch.testing.assert_close(manual, output)
print(f"manual pass vs block(x, context, temb): max |difference| = "
      f"{(manual - output).abs().max().item():.1e}")

# %% [markdown]
# The capture processor of section 1 works inside a block too; installing it, running, and putting
# the previous processor back (also if the run fails) is how later notebooks read the temporal
# attention maps of a model. This block's weights are random, so its map is close to uniform;
# notebook 09 reads the maps of a trained model.

# %%
capture = AttnProcessor(capture=True)
previous = block.temp_attn1.set_processor(capture)
try:
    block(x, context, temb)
finally:
    block.temp_attn1.set_processor(previous)
block_map = reduce(capture.probs, "n heads i j -> i j", "mean")  # over pixels and heads
print(f"temporal attention 1 probabilities ((b h w) heads f f): {tuple(capture.probs.shape)}")
block_diagonal = mean_diagonal_probability(block_map)
print(f"mean diagonal of its average map: {block_diagonal:.3f} (1/f = {1 / f:.3f})")

# %% [markdown]
# ## 4. Born as an image model: the identity initialization
#
# The image layers arrive trained; the new ones do not. If the new layers started random, the first
# video training steps would feed the trained image layers a scrambled input, and much of what they
# know would have to be learned again. SCVideo avoids this as Make-A-Video does: "the weights and
# bias are initialized with identity matrix and zero, respectively". Two cases:
#
# - **conv3D** replaces its input, `x = conv3D(x)`, with no skip path. It does nothing when its
#   kernel's centre tap (the weight on frame `i` itself) is the identity matrix, the taps on frames
#   `i-1` and `i+1` are zero, and the bias is zero.
# - **Temporal attention** sits in a residual branch, `t + attn(norm(t))`. The branch does nothing
#   when its output is zero, and setting the last projection `to_out` (weights and bias) to zero is
#   enough for that. `to_q`, `to_k` and `to_v` stay random, so that training has something to
#   start from: the gradient reaches `to_out` at once, the others once `to_out` has moved.
#
# The kernel of a fresh block's conv3D, tap by tap (each a `c x c` matrix, output channel by input
# channel):

# %%
fresh = SSTBlock(channels, text_dim, heads=4, groups=4, time_dim=time_dim)
kernel = fresh.conv3d.weight.detach()  # "c_out c_in 3 1 1"
print(f"conv3D weight (c_out c_in f h w): {tuple(kernel.shape)}")
print("centre tap is the identity:", torch.equal(kernel[:, :, 1, 0, 0], torch.eye(channels)))
print("taps on frames i-1 and i+1 are zero:", bool((kernel[:, :, [0, 2]] == 0).all()))
print("bias is zero:", bool((fresh.conv3d.bias == 0).all()))
print("temporal attentions' to_out is zero:",
      all(bool((a.to_out.weight == 0).all() and (a.to_out.bias == 0).all())
          for a in (fresh.temp_attn1, fresh.temp_attn2)))  # fmt: skip

fig, axes = plt.subplots(1, 3, figsize=(8.4, 2.9), layout="constrained")
for tap, (ax, name) in enumerate(zip(axes, ["frame i-1", "frame i (centre)", "frame i+1"])):
    image = ax.imshow(kernel[:, :, tap, 0, 0], cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set(title=f"tap on {name}", xlabel="input channel", ylabel="output channel",
           xticks=[0, 5, 10, 15], yticks=[0, 5, 10, 15])  # fmt: skip
fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
plt.show()

# %% [markdown]
# A fresh block therefore computes *exactly* what its image layers compute (`image_forward` skips
# conv3D and both temporal attentions). Exactly, not approximately: each output of the identity
# convolution is `1 * x` plus products with zero, and a branch that outputs zeros adds zeros; no
# floating point rounding happens in either.

# %%
video_out, image_out = fresh(x, context, temb), fresh.image_forward(x, context, temb)
print("torch.equal(block(x, ...), block.image_forward(x, ...)):", torch.equal(video_out, image_out))
print(f"max |difference|: {(video_out - image_out).abs().max().item()}")

# %% [markdown]
# With `frame_attention="spatial"` the image layers never look across frames, so a fresh block is
# the image block applied to each frame on its own. Compare with an explicit loop that runs the
# image layers on one frame at a time, as a one-frame video:

# %%
spatial_block = SSTBlock(channels, text_dim, heads=4, groups=4, time_dim=time_dim,
                         frame_attention="spatial")  # fmt: skip
together = spatial_block(x, context, temb)
one_by_one = torch.cat(
    [spatial_block.image_forward(x[:, :, [i]], context, temb) for i in range(f)], dim=2
)  # "b c f h w", frame by frame
torch.testing.assert_close(together, one_by_one)
print(f"all frames at once vs one frame at a time: max |difference| below 1e-6: "
      f"{(together - one_by_one).abs().max().item() < 1e-6}")

# %% [markdown]
# Here `assert_close`, with its small tolerance, is the right test rather than `torch.equal`. The
# two computations do the same arithmetic, but on a batch of `b*f` frames or of `b` frames, and
# PyTorch may split a matrix product or a normalization differently for different batch sizes.
# Floating point addition is not associative, so a different summation order can change the last
# bits, around `1e-7` for float32. (On some machines the two agree bit for bit; the test must not
# rely on it.)
#
# Now let the new layers move, as training would, and look at two consequences: the block no longer
# equals its image layers, and a change in frame 0 reaches every frame. The table gives, for each
# output frame, the largest change when input frame 0 is replaced by other random values.

# %%
trained = copy.deepcopy(spatial_block)
perturb_video_layers(trained)
gap = (trained(x, context, temb) - trained.image_forward(x, context, temb)).abs().max().item()
print(f"after perturbing the new layers: max |block(x) - image_forward(x)| = {gap:.3f}")


changed = x.clone()
changed[:, :, 0] = torch.randn_like(x[:, :, 0])  # "b c f h w" with another frame 0


def frame_influence(model: SSTBlock) -> list[float]:
    """Largest change of each output frame when the input changes from x to `changed`."""
    difference = (model(changed, context, temb) - model(x, context, temb)).abs()
    return reduce(difference, "b c f h w -> f", "max").tolist()


print("\nmax |change| of each output frame after replacing input frame 0")
print(f"{'block':<30}" + "".join(f"{f'f={i}':>8}" for i in range(f)))
for name, model in [("spatial, fresh", spatial_block),
                    ("spatial, new layers perturbed", trained),
                    ("sparse causal, fresh", fresh)]:  # fmt: skip
    print(f"{name:<30}" + "".join(f"{v:>8.3f}" for v in frame_influence(model)))

# %% [markdown]
# In the fresh spatial block frames are independent: changing frame 0 changes frame 0 only. Once
# conv3D and the temporal attentions have moved, every frame depends on frame 0. The sparse causal
# block is different even when fresh: SC attention lets every frame attend to the first frame, so
# frame 0 reaches all frames through an image layer. In SCVideo's layout temporal attention is
# one of several paths between frames; in the layout of ModelScope and VideoCrafter2 it is the only
# one.
#
# ## Exercise 1: an identity temporal convolution
#
# Write `identity_temporal_conv(channels)`: an `nn.Conv3d` from `channels` to `channels` with kernel
# `(3, 1, 1)` (3 frames, 1 x 1 pixel) that keeps the number of frames and starts as the identity,
# like the conv3D of a fresh `SSTBlock`. The check runs it on random input, which only the exact
# identity reproduces.

# %%
def identity_temporal_conv(channels: int) -> nn.Conv3d:
    """A Conv3d "b c f h w -> b c f h w", kernel (3, 1, 1), that returns its input unchanged."""
    ### BEGIN SOLUTION
    conv = nn.Conv3d(channels, channels, kernel_size=(3, 1, 1), padding=(1, 0, 0))
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[:, :, 1, 0, 0] = torch.eye(channels)  # centre tap: frame i itself
        conv.bias.zero_()
    return conv
    ### END SOLUTION


# %%
conv = identity_temporal_conv(5)
assert isinstance(conv, nn.Conv3d), f"expected an nn.Conv3d, got {type(conv).__name__}"
assert conv.kernel_size == (3, 1, 1), f"expected kernel (3, 1, 1), got {conv.kernel_size}"
probe = torch.randn(2, 5, 7, 3, 4)  # "b c f h w"
result = conv(probe)
assert result.shape == probe.shape, f"pad 1 frame on each side to keep f = 7, got {result.shape}"
assert torch.equal(result, probe), "not the identity: centre tap eye(c), other taps and bias zero"
reference = SSTBlock(8, 4, heads=2, groups=4).conv3d
assert torch.equal(identity_temporal_conv(8).weight, reference.weight), "differs from SSTBlock's"
print("exercise passed: conv3D with kernel (3, 1, 1) initialized as the identity")

# %% [markdown]
# ## Exercise 2: predict, then check (where frames meet)
#
# Predict first: does each number go `"up"`, `"down"` or stay the `"same"`?
#
# - the mean diagonal probability of the hand-set temporal attention of section 2 (how much a frame
#   attends to itself), from the **soft head to the sharp head**, on the clip of section 2;
# - the same number for a **static clip** (every frame the same picture), at 8 and then 16 frames;
# - how much output frame 3 changes when input frame 0 is replaced, from the **fresh spatial
#   block to the fresh sparse causal block** (the table of section 5).

# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "self-attention, soft head -> sharp head": "up",
        "self-attention, static clip, 8 -> 16 frames": "down",
        "change of output frame 3, spatial -> sparse causal": "up",
    }
    ### END SOLUTION


# %%
def self_attention_of(clip_tokens: torch.Tensor) -> torch.Tensor:
    """Mean diagonal probability per head of the hand-set layer on "(b h w) f c" tokens."""
    temporal(norm(clip_tokens))
    return mean_diagonal_probability(processor.probs).mean(dim=0)  # "heads"


heads_diagonal = self_attention_of(tokens)  # head 0 sharp, head 1 soft
still = tokens[:, :1]  # "(b h w) 1 c": the clip's first frame
items = {  # name -> (number before, number after)
    "self-attention, soft head -> sharp head": (heads_diagonal[1], heads_diagonal[0]),
    "self-attention, static clip, 8 -> 16 frames": (self_attention_of(still.repeat(1, 8, 1))[0],
                                                    self_attention_of(still.repeat(1, 16, 1))[0]),
    "change of output frame 3, spatial -> sparse causal": (frame_influence(spatial_block)[3],
                                                           frame_influence(fresh)[3]),
}  # fmt: skip
check_predictions(items, predict(), digits=3)
print("exercise passed: every prediction agrees with the numbers")

# %% [markdown]
# ## Recap
#
# - Temporal attention (Eq. 4) is self-attention over `(b h w) f c`: every pixel position is a
#   sequence of `f` tokens, and its attention map is `f x f`, one per pixel and head.
# - Attention compares contents only: frames holding the same token get the same weight, and a
#   static pixel attends uniformly, `1/f`. Frame positions added to the tokens let the block tell
#   frames apart.
# - Smooth motion makes neighbouring frames alike, which shows as a diagonal band in the maps
#   averaged over moving pixels; VSTAR measures this structure and TAR acts on these logits.
# - The SS-T block runs conv2D and SC attention, cross-attention and the feed-forward per frame,
#   `(b f) ...`, and conv3D and two temporal attentions across frames, with one rearrange between
#   the two views.
# - New layers start as the identity (Make-A-Video, as SCVideo's appendix says): conv3D's centre
#   tap is the identity matrix, the temporal attentions' `to_out` is zero. A fresh block equals its
#   image layers exactly; once these layers move, every frame can influence every other.
#
# **Next:** notebook 05 draws the synthetic world that a tiny text-to-video model, built from these
# blocks, learns from; notebooks 06-08 cover diffusion itself, the model and its training.
