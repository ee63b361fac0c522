# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Attention from scratch: spatial self-attention (Eq. 1)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/01_attention_from_scratch.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/01_attention_from_scratch.ipynb)
#
# Every attention layer of a video diffusion model, spatial, sparse causal, cross or temporal, runs
# the same few lines of arithmetic. What changes from one layer to the next is only *which tokens
# are put into one sequence*, the question notebook 00 answered with reshapes. This notebook writes
# those few lines out on three tokens you can check with a pencil, then runs them on the pixels of
# one frame, with weights chosen by hand so that every attention map can be read and explained.
#
# **Learning goals.** After this notebook you can
# 1. compute scaled dot-product attention step by step (logits, scaling, softmax, weighted sum) and
#    check it against `vstar_lite.attention.attention`;
# 2. read an attention matrix: one row per query, a probability distribution over the keys;
# 3. say what Eq. 1 does: the same $W^Q, W^K, W^V$ applied to every pixel token of one frame;
# 4. choose $W^Q, W^K$ so that a pixel attends to pixels of similar colour nearby, and capture and
#    plot the resulting maps;
# 5. estimate what spatial attention costs: an $(hw) \times (hw)$ matrix per frame.
#
# **Sources.** The attention formula and Eq. 1 are from the appendix *Details of SCVideo* of an
# anonymous submission under review (section 1, "Sparse Causal Attention"). Scaled dot-product
# attention and the reason for the $1/\sqrt{d}$ factor are from Vaswani et al., *Attention Is All
# You Need* (NeurIPS 2017). The series leads to VSTAR: *Generative Temporal Nursing for Longer
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
import math

import matplotlib.pyplot as plt
import torch
from einops import rearrange, repeat
from ipywidgets import IntSlider

from vstar_lite.attention import AttnProcessor, SpatialSelfAttention, attention
from vstar_lite.utils import check_predictions, notebook_setup
from vstar_lite.video import spatial_tokens, toy_clip
from vstar_lite.viz import attention_heatmap, attention_overlay, frame_strip
from vstar_lite.widgets import explore

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

# %% [markdown]
# ## 1. Attention in one line, on three tokens
#
# The SCVideo appendix builds all its layers on the attention of Vaswani et al.:
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{Softmax}\left(\frac{QK}{\sqrt{d}}\right) \cdot V$$
#
# The appendix writes $QK$; the product meant is $QK^\top$. $Q$ holds one row per **query** token,
# $K$ one row per **key** token, both with $d$ numbers per row, so $QK^\top$ holds the dot product
# of every query with every key. Each token also has a **value**, a row of $V$. Read the formula as
# a soft lookup: every query scores all keys, turns the scores into weights that sum to 1, and
# returns the weighted average of the values.
#
# Three tokens with $d = 2$, numbers picked so that every step can be checked by hand. Query 1
# points along the first axis, query 2 along the second, query 3 between them; the keys do the same,
# with keys 1 and 2 twice as long.

# %%
Q = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # "n d": 3 queries
K = torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])  # "m d": 3 keys
V = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # "m e": one value per key
n, d = Q.shape
print(f"n = {n} tokens, d = {d} numbers per query and key")


def print_matrix(name: str, matrix: torch.Tensor, digits: int = 3) -> None:
    """Print a small matrix with rounded entries, one row per line."""
    print(f"{name}:")
    for row in matrix.tolist():
        print("   ", "  ".join(f"{value:7.{digits}f}" for value in row))


# %% [markdown]
# **Step 1, logits.** One dot product per (query, key) pair: $QK^\top$, shape `n m`. Entry $(i, j)$
# is large when query $i$ and key $j$ point the same way, and larger still when the key is long.

# %%
logits = Q @ K.T  # "n d, m d -> n m"
print_matrix("logits Q K^T (rows: queries, columns: keys)", logits, digits=1)

# %% [markdown]
# **Step 2, scale by $1/\sqrt{d}$.** Vaswani et al. give the reason they suspect: for large $d$ the
# dot products grow large in magnitude and push the softmax into regions where its gradients are
# extremely small. Their footnote makes it concrete: if the $d$ entries of a query and a key are
# independent with mean 0 and variance 1, their dot product has variance $d$. Dividing by
# $\sqrt{d}$ brings its spread back to 1, whatever $d$ is:

# %%
generator = torch.Generator().manual_seed(SEED)
for dim in (2, 64, 1024):
    q_random, k_random = torch.randn(2, 4096, dim, generator=generator)  # "two n d"
    dots = (q_random * k_random).sum(-1)  # 4096 random dot products
    print(f"d = {dim:>4}: std of q.k = {dots.std():6.2f}, std of q.k / sqrt(d) = "
          f"{(dots / math.sqrt(dim)).std():.2f}")

scaled = logits / math.sqrt(d)  # "n m"
print_matrix(f"\nscaled logits Q K^T / sqrt({d})", scaled)

# %% [markdown]
# **Step 3, softmax row by row.** Each row becomes a probability distribution over the keys:
# $p_{ij} = e^{s_{ij}} / \sum_{j'} e^{s_{ij'}}$. First row 1 with plain Python, then all rows.

# %%
row = scaled[0].tolist()
exps = [math.exp(s) for s in row]
print("row 1, scaled logits:", [round(s, 3) for s in row])
print("row 1, exp:          ", [round(e, 3) for e in exps], f" sum = {sum(exps):.3f}")
print("row 1, exp / sum:    ", [round(e / sum(exps), 3) for e in exps])

probs = scaled.exp() / scaled.exp().sum(dim=-1, keepdim=True)  # "n m", softmax over keys m
print_matrix("\nattention probabilities (each row sums to 1)", probs)
print("row sums:", [round(s, 3) for s in probs.sum(dim=-1).tolist()])

# %% [markdown]
# Query 1 gives most of its weight to key 1 (0.576), the key it is aligned with. Query 3 sits
# between the axes, has the same scaled logit with every key, and spreads its weight evenly.
#
# **Step 4, weighted sum of values.** Output row $i$ is $\sum_j p_{ij} v_j$: an average of the value
# rows, so it always lies among them, never outside.

# %%
out = probs @ V  # "n m, m e -> n e"
print_matrix("output = probs @ V", out)
p = probs[0].tolist()
print(f"by hand, row 1: {p[0]:.3f}*(1, 0) + {p[1]:.3f}*(0, 1) + {p[2]:.3f}*(1, 1) "
      f"= ({p[0] + p[2]:.3f}, {p[1] + p[2]:.3f})")

# %% [markdown]
# The library does the same in one call. `vstar_lite.attention.attention(q, k, v)` works on the last
# two dimensions (`"... n d"`), so one call serves every frame, head and video of a batch. Without
# `return_probs` it hands the work to PyTorch's fused `scaled_dot_product_attention`, which never
# stores the probabilities; with `return_probs=True` it forms them explicitly. Both must agree with
# our four steps:

# %%
out_fused = attention(Q, K, V)
out_library, probs_library = attention(Q, K, V, return_probs=True)
torch.testing.assert_close(out_fused, out)
torch.testing.assert_close(out_library, out)
torch.testing.assert_close(probs_library, probs)
print("vstar_lite.attention.attention agrees with the four steps (output and probabilities)")

# %% [markdown]
# ## 2. The attention matrix as an image
#
# An attention matrix is read row by row: row $i$ says where query $i$ looks. For three tokens we
# can write the numbers into the cells; for the thousand-token matrices below only the colours
# remain.

# %%
ax = attention_heatmap(probs, annotate=True, title="Softmax(QK^T / sqrt(d))")
ax.set_xticks(range(3), ["key 1", "key 2", "key 3"])
ax.set_yticks(range(3), ["query 1", "query 2", "query 3"])
plt.show()

# %% [markdown]
# ## 3. Spatial self-attention on a frame (Eq. 1)
#
# In a video model the tokens are pixels (of the latent). The appendix's Eq. 1 is plain
# self-attention on the spatial view of notebook 00:
#
# $$Q = W^Q F', \quad V = W^V F', \quad K = W^K F', \qquad F' = RS(F; (bf), (hw), c) \qquad (1)$$
#
# Every frame is one sequence of `h*w` pixel tokens, and the *same* three matrices map every token
# to its query, key and value. In code (as in diffusers), `SpatialSelfAttention` holds them as
# `to_q`, `to_k`, `to_v`: `nn.Linear` layers whose `weight` of shape `(out, in)` is $W^Q$ etc.,
# applied to each token (each row of `F'`). A fourth one, `to_out`, maps the result back to `c`
# channels.
#
# Our frames come from the synthetic clip: a red disc and a yellow square over a dark gradient.

# %%
clip = toy_clip(num_frames=8, height=32, width=32)  # "c f h w"
c, f, h, w = clip.shape
rgb = spatial_tokens(clip[None])  # "b c f h w -> (b f) (h w) c", here b = 1
print(f"clip (c f h w): {tuple(clip.shape)} -> F' ((b f) (h w) c): {tuple(rgb.shape)}")
print(f"{f} sequences (one per frame) of {h * w} pixel tokens with {c} channels")
frame_strip(clip, title="toy_clip(): the frames that become sequences")
plt.show()

# %% [markdown]
# ### Why set the weights by hand
#
# A trained model learns $W^Q, W^K, W^V$ from data, and nobody chooses what its maps mean. Random
# weights would give maps with no meaning at all. Here we choose the weights ourselves, for one
# behaviour we can check: **a pixel should attend to pixels of similar colour close to it**. Then
# every map has an expected answer.
#
# A first guess, queries and keys equal to the RGB colour, fails. A dot product measures how far two
# vectors point the same way *and* how long they are, so a bright key can beat an exact match:

# %%
red, yellow = torch.tensor([0.95, 0.15, 0.10]), torch.tensor([0.95, 0.85, 0.15])
print(f"red query . red key    = {red @ red:.3f}")
print(f"red query . yellow key = {red @ yellow:.3f}  <- larger: the red disc would look at yellow")

# %% [markdown]
# What we want as logit is minus a squared distance. Expanding it,
#
# $$-\tfrac12\lVert a_i - a_j\rVert^2 = a_i \cdot a_j - \tfrac12\lVert a_j\rVert^2
# - \tfrac12\lVert a_i\rVert^2,$$
#
# and the last term is the same for every key of query $i$: softmax ignores anything added to a
# whole row, so it can be dropped. What is left is a dot product, $[a_i, 1] \cdot [a_j,
# -\tfrac12\lVert a_j\rVert^2]$, if every token carries its squared length and a constant 1 as extra
# channels. So our token for a pixel is 8 numbers, with colour $\mathrm{rgb}/\sigma_c$ and position
# $(y, x)/\sigma_p$ scaled by how far apart two pixels may be before they stop attending to each
# other:
#
# | channels | 0-2 | 3-4 | 5 | 6 | 7 |
# |---|---|---|---|---|---|
# | token | $\mathrm{rgb}/\sigma_c$ | $(y, x)/\sigma_p$ | length² of 0-2 | length² of 3-4 | 1 |
#
# The coordinates are built with einops like every other reshape.

# %%
SIGMA_COLOUR, SIGMA_POSITION = 0.1, 3.0  # colour difference, and distance in pixels

grid = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")).float()
positions = repeat(grid, "two h w -> bf (h w) two", bf=rgb.shape[0])  # "(b f) (h w) 2": y, x
colour_part, position_part = rgb / SIGMA_COLOUR, positions / SIGMA_POSITION
tokens = torch.cat(
    [
        colour_part,  # channels 0-2
        position_part,  # channels 3-4
        colour_part.pow(2).sum(dim=-1, keepdim=True),  # channel 5
        position_part.pow(2).sum(dim=-1, keepdim=True),  # channel 6
        torch.ones_like(rgb[..., :1]),  # channel 7
    ],
    dim=-1,
)  # "(b f) (h w) 8"
print(f"tokens ((b f) (h w) c): {tuple(tokens.shape)}")
print("pixel (15, 6) of frame 0 (the disc):", [round(v, 2) for v in tokens[0, 15 * w + 6].tolist()])

# %% [markdown]
# Now the weights. $W^Q$ copies the colour and position channels and moves the constant 1 to
# channel 5; $W^K$ copies the same channels and puts $-\tfrac12$ times the squared lengths into
# channel 5. Their dot product is then
#
# $$q_i \cdot k_j = \sqrt{d}\,\Big(
# -\frac{\lVert \mathrm{rgb}_i - \mathrm{rgb}_j\rVert^2}{2\sigma_c^2}
# - \frac{\lVert (y, x)_i - (y, x)_j\rVert^2}{2\sigma_p^2}\Big) + \text{(same for the whole row)},$$
#
# with $W^Q$ multiplied by $\sqrt{d}$ so that the layer's $1/\sqrt{d}$ cancels. The switches
# `colour` and `position` turn either term off. $W^V$ returns the pixel's RGB colour, and `to_out`
# is the identity, so the layer's output is the attention-weighted average colour.

# %%
def hand_set_layer(colour: float = 1.0, position: float = 1.0) -> SpatialSelfAttention:
    """A one-head SpatialSelfAttention on the 8-channel tokens above, weights set by hand."""
    layer = SpatialSelfAttention(query_dim=8, heads=1)  # dim_head = 8
    d = layer.dim_head
    w_q, w_k, w_v = torch.zeros(3, 8, 8)  # each "out in", as nn.Linear stores them
    w_q[0:3, 0:3] = colour * torch.eye(3)  # q: colour ...
    w_q[3:5, 3:5] = position * torch.eye(2)  # ... and position ...
    w_q[5, 7] = 1.0  # ... and the constant 1 in channel 5
    w_k[0:5, 0:5] = torch.eye(5)  # k: colour and position ...
    w_k[5, 5], w_k[5, 6] = -0.5 * colour, -0.5 * position  # ... and -|a_j|^2 / 2 in channel 5
    w_v[0:3, 0:3] = SIGMA_COLOUR * torch.eye(3)  # v: the RGB colour, unscaled
    with torch.no_grad():
        layer.to_q.weight.copy_(math.sqrt(d) * w_q)  # sqrt(d) cancels the layer's 1 / sqrt(d)
        layer.to_k.weight.copy_(w_k)
        layer.to_v.weight.copy_(w_v)
        layer.to_out.weight.copy_(torch.eye(8))
        layer.to_out.bias.zero_()
    return layer


layer = hand_set_layer()
print_matrix("W^Q / sqrt(d) (rows: query channels, columns: token channels)",
             layer.to_q.weight / math.sqrt(layer.dim_head), digits=1)
print_matrix("W^K", layer.to_k.weight, digits=1)

# %% [markdown]
# The layer computes the attention probabilities inside its processor and does not return them.
# `AttnProcessor(capture=True)` keeps the last ones in `processor.probs`, shape `"batch heads n m"`;
# `set_processor` installs it. One call runs all 8 frames at once, since frames are batch entries.

# %%
processor = AttnProcessor(capture=True)
layer.set_processor(processor)
with torch.no_grad():
    smoothed = layer(tokens)  # "(b f) (h w) c": attention-weighted average colours
probs_frames = processor.probs[:, 0]  # "(b f) heads n m" -> "(b f) n m": the only head
print(f"captured probabilities ((b f) heads n m): {tuple(processor.probs.shape)}")
print(f"every row sums to 1: {torch.allclose(probs_frames.sum(-1), torch.ones(f, h * w))}")

# %% [markdown]
# Where do a few pixels of frame 0 look? Row `y*w + x` of the frame's matrix, reshaped to `h w`, is
# the map of query pixel `(y, x)`; the cyan cross marks the query.

# %%
frame_index = 0
frame = clip[:, frame_index]  # "c h w"
queries = {"disc centre": (15, 6), "disc edge": (15, 10), "next to the disc": (15, 12),
           "yellow square": (6, 9)}


def attention_map(probs: torch.Tensor, frame: int, y: int, x: int) -> torch.Tensor:
    """The attention of query pixel (y, x) over its frame: row y*w + x of "f n m", as "h w"."""
    return rearrange(probs[frame, y * w + x], "(h w) -> h w", h=h)


fig, axes = plt.subplots(1, 4, figsize=(8.4, 2.4))
for ax, (name, (y, x)) in zip(axes, queries.items()):
    attention_overlay(frame, attention_map(probs_frames, frame_index, y, x), ax=ax,
                      title=f"{name} ({y}, {x})")
    ax.plot(x, y, marker="+", color="cyan", markersize=10, markeredgewidth=2)
fig.suptitle("colour + position: where each query pixel attends in frame 0", fontsize=10)
plt.show()

# %% [markdown]
# The disc's pixels look only at the disc, the background pixel right next to it looks only at the
# background, and the square's pixel stays on the square. To put numbers on it, compare the share
# of a query's attention that lands on the disc with the share of the frame the disc covers. For
# contrast, a second layer with the colour term switched off (`colour=0`): a plain blur window.

# %%
disc = (rgb[frame_index] - red).abs().sum(-1) < 1e-4  # "(h w)": pixels of the disc's colour
print(f"the disc covers {int(disc.sum())} of {h * w} pixels: {disc.float().mean():.1%} of frame 0")
gap = (rgb[frame_index, 15 * w + 12] - red).norm()  # disc colour vs the background next to it
print(f"RGB distance from the disc to the background next to it: {gap:.2f}, "
      f"colour term of the logit: -{gap**2 / (2 * SIGMA_COLOUR**2):.1f}")

position_only = hand_set_layer(colour=0.0)
processor_position = AttnProcessor(capture=True)
position_only.set_processor(processor_position)
with torch.no_grad():
    blurred = position_only(tokens)  # "(b f) (h w) c"
probs_position = processor_position.probs[:, 0]  # "(b f) n m"

print(f"\n{'share of attention on the disc':<26} {'colour + position':>18} {'position only':>14}")
for name, (y, x) in queries.items():
    shares = [float(p[frame_index, y * w + x][disc].sum()) for p in (probs_frames, probs_position)]
    print(f"{name + f' ({y}, {x})':<26} {shares[0]:>18.1%} {shares[1]:>14.1%}")

# %% [markdown]
# With colour the share is all or nothing: the colour term alone puts a background key about 32
# below a disc key in logit, a factor of $e^{-32} \approx 10^{-14}$ in weight. With position only
# the share follows the geometry: 72.6% for the disc's centre, 24.1% for the background pixel next
# to it. Since $W^V$ returns colours, the
# layer's output shows the same thing as an image: averaging over similar colours keeps the edges
# sharp (what image processing calls a bilateral filter), averaging over a window blurs them.

# %%
fig, axes = plt.subplots(1, 3, figsize=(6.6, 2.5))
images = [
    ("frame 0", rgb[frame_index]),  # each "(h w) c"
    ("output, colour + position", smoothed[frame_index, :, :3]),
    ("output, position only", blurred[frame_index, :, :3]),
]
for ax, (title, image) in zip(axes, images):
    ax.imshow(rearrange(image, "(h w) c -> h w c", h=h).clamp(0, 1), interpolation="nearest")
    ax.set(title=title, xticks=[], yticks=[])
    ax.title.set_fontsize(9)
plt.show()

# %% [markdown]
# ## 4. Explore: pick a query pixel
#
# Move the sliders to choose a frame and a query pixel `(y, x)`. The probabilities of all 8 frames
# were computed once above (`probs_frames`), so the explorer only looks up a row. The title gives
# the share of the query's attention on pixels of similar colour (RGB distance below 0.1). On
# GitHub you see the figure for the start values; run the notebook for the live sliders. Try frames
# 1 to 3, where the square covers part of the disc.

# %%
def plot_query(frame: int, y: int, x: int) -> None:
    colours = rgb[frame]  # "(h w) c"
    similar = (colours - colours[y * w + x]).norm(dim=-1) < 0.1  # "(h w)"
    share = float(probs_frames[frame, y * w + x][similar].sum())
    fig, ax = plt.subplots(figsize=(3.4, 3.4))
    attention_overlay(clip[:, frame], attention_map(probs_frames, frame, y, x), ax=ax,
                      title=f"frame {frame}, query ({y}, {x}): {share:.1%} on similar colours")
    ax.plot(x, y, marker="+", color="cyan", markersize=12, markeredgewidth=2)


explore(
    plot_query,
    "where one query pixel attends in its frame (hand-set spatial self-attention)",
    frame=IntSlider(value=0, min=0, max=f - 1, description="frame"),
    y=IntSlider(value=15, min=0, max=h - 1, description="y"),
    x=IntSlider(value=6, min=0, max=w - 1, description="x"),
)

# %% [markdown]
# ## 5. What it costs
#
# Every frame needed a full `(h w) x (h w)` matrix: each of the 1,024 queries scored each of the
# 1,024 keys. Here is frame 0's, as one image. Only thin diagonal bands are visible: a pixel's
# neighbours sit next to it in raster order, or `w` = 32 tokens away for the rows above and below.
# Everything else is near zero, but it was computed and stored all the same.

# %%
ax = attention_heatmap(probs_frames[0], title="frame 0: all 1024 x 1024 weights",
                       xlabel="key pixel y*w + x", ylabel="query pixel y*w + x")
plt.show()
print(f"captured probabilities for 8 frames: {probs_frames.numel():,} numbers, "
      f"{probs_frames.numel() * 4 / 2**20:.0f} MiB in float32")

# %% [markdown]
# The matrix grows with the *square* of the number of pixels: doubling the side of a frame makes
# it 16 times larger. That is one reason diffusion runs on a 32 x 32 latent and not on 256 x 256
# pixels (per frame and per head):

# %%
print(f"{'frame':<16} | {'tokens hw':>9} | {'entries (hw)^2':>14} | {'float32':>10}")
for side, label in ((32, "32 x 32 latent"), (64, "64 x 64 latent"), (256, "256 x 256 pixels")):
    entries = (side * side) ** 2
    print(f"{label:<16} | {side * side:>9,} | {entries:>14,} | {entries * 4 / 2**20:>6,.0f} MiB")

# %% [markdown]
# Notebook 02 keeps these queries but takes the keys from two frames, the first and the previous
# one (Eq. 2): an `(hw) x (2hw)` matrix per frame, and the first path between frames.
#
# ## Exercise 1: attention with a mask
#
# Sometimes a query must not see some keys. Sparse causal attention (notebook 02) lets a frame see
# only two frames, and language models let a word see only the words before it. A **mask** says
# who may look at whom: `mask[i, j]` is `True` when query `i` may attend to key `j`.
#
# Write `masked_attention` from scratch (no call to `attention`): logits, scaling, then give the
# forbidden logits the value $-\infty$ before the softmax, so that $e^{-\infty} = 0$ and they get no
# weight. Every row of the mask allows at least one key. The check compares your function with the
# library given the mask as an additive bias, and checks that masking a key out is the same as
# removing it.

# %%
def masked_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Softmax(q k^T / sqrt(d)) v, using only the keys the mask allows.

    q: "n d", k: "m d", v: "m e", mask: "n m" (bool, True where query i may see key j) -> "n e"
    """
    ### BEGIN SOLUTION
    logits = q @ k.T / math.sqrt(q.shape[-1])  # "n m"
    logits = logits.masked_fill(~mask, float("-inf"))
    return logits.softmax(dim=-1) @ v  # "n m, m e -> n e"
    ### END SOLUTION


# %%
generator = torch.Generator().manual_seed(SEED)
q_check, k_check = torch.randn(2, 5, 4, generator=generator)  # "two n d": 5 tokens, d = 4
v_check = torch.randn(5, 3, generator=generator)  # "m e"
causal = torch.ones(5, 5).tril().bool()  # query i sees keys 0..i
first_and_previous = torch.zeros(5, 5, dtype=torch.bool)
for i in range(5):
    first_and_previous[i, [0, max(i - 1, 0)]] = True  # token 0 and token i-1 (0 sees itself)
for name, mask in (("causal", causal), ("first + previous", first_and_previous)):
    bias = torch.zeros(5, 5).masked_fill(~mask, float("-inf"))  # 0 or -inf, added to the logits
    result = masked_attention(q_check, k_check, v_check, mask)
    assert result.shape == (5, 3), f"expected shape (5, 3), got {tuple(result.shape)}"
    assert torch.isfinite(result).all(), "NaN or inf in the output: mask the logits, not the probs"
    torch.testing.assert_close(result, attention(q_check, k_check, v_check, bias=bias))
    for i in range(5):  # masking keys out == leaving them out
        keep = mask[i]
        alone = attention(q_check[i : i + 1], k_check[keep], v_check[keep])
        torch.testing.assert_close(result[i : i + 1], alone)
print("exercise passed: masked attention agrees with attention(..., bias) and with removing keys")

# %% [markdown]
# ## Exercise 2: predict, then check (what changes the weights)
#
# Three changes to the inputs of `attention`, on random queries, keys and values. Predict first:
# does each number go `"up"`, `"down"` or stay the `"same"`?
#
# - the largest weight of a row (averaged over the rows) when every **query is multiplied by 2**;
# - the same number when every query is multiplied by 0;
# - the weights when the **same number is added to every logit** of a row (a constant `bias`);
# - the first output row when the **keys and values are put in another order** (the same
#   permutation for both).

# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "largest weight, queries x 2": "up",
        "largest weight, queries x 0": "down",
        "weight [0, 0], constant added to the logits": "same",
        "output [0, 0], keys and values reordered": "same",
    }
    ### END SOLUTION


# %%
generator = torch.Generator().manual_seed(SEED)
q_p, k_p, v_p = torch.randn(3, 6, 4, generator=generator)  # "n d" each: 6 tokens, d = 4
order = torch.randperm(6, generator=generator)


def largest_weight(q: torch.Tensor) -> float:
    _, probs = attention(q, k_p, v_p, return_probs=True)  # probs: "n m"
    return probs.amax(dim=-1).mean().item()


_, probs = attention(q_p, k_p, v_p, return_probs=True)
_, shifted = attention(q_p, k_p, v_p, bias=torch.full((6, 6), 3.0), return_probs=True)
items = {  # name -> (number before, number after)
    "largest weight, queries x 2": (largest_weight(q_p), largest_weight(2 * q_p)),
    "largest weight, queries x 0": (largest_weight(q_p), largest_weight(0 * q_p)),
    "weight [0, 0], constant added to the logits": (probs[0, 0], shifted[0, 0]),
    "output [0, 0], keys and values reordered": (attention(q_p, k_p, v_p)[0, 0],
                                                 attention(q_p, k_p[order], v_p[order])[0, 0]),
}  # fmt: skip
check_predictions(items, predict(), digits=3)
print("exercise passed: every prediction agrees with the numbers")

# %% [markdown]
# ## Recap
#
# - Attention is four steps: logits $QK^\top$, scaling by $1/\sqrt{d}$, softmax over the keys,
#   weighted sum of the values. `vstar_lite.attention.attention` does them on the last two axes.
# - An attention matrix has one row per query, a probability distribution over the keys.
# - Eq. 1 applies the same $W^Q, W^K, W^V$ to every pixel token of a frame, and each frame is its
#   own sequence: a pixel can attend to any pixel of its frame and to none of another frame.
# - A dot product rewards long keys, not only similar ones; with a squared length and a constant 1
#   as extra channels, hand-set weights turn it into minus a squared distance, and the layer attends
#   to similar colours nearby: 100.0% of the disc centre's attention lands on the disc, which
#   covers 7.0% of the frame (72.6% with the colour term switched off).
# - `AttnProcessor(capture=True)` with `set_processor` keeps the probabilities to plot them.
# - A frame of `h*w` tokens costs an `(hw) x (hw)` matrix per head: 1M entries for a 32 x 32 latent.
#
# **Next:** notebook 02 turns spatial self-attention into sparse causal attention (Eq. 2), where
# each frame takes its keys and values from the first and the previous frame.
