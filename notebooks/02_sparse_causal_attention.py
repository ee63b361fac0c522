# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Sparse causal attention (Eq. 2)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/02_sparse_causal_attention.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/02_sparse_causal_attention.ipynb)
#
# Spatial self-attention treats every frame as a separate image, so nothing it computes can keep
# frame 5 consistent with frame 4. The obvious fix, letting every pixel of every frame attend to
# every other pixel of the video, costs far too much. Sparse causal (SC) attention sits between
# the two: each frame keeps the weights of an image model's self-attention but takes its keys and
# values from just two frames, the **first** frame (an anchor for appearance and identity) and the
# **previous** frame (for smooth motion). This notebook builds SC attention from those two frames,
# checks it against `vstar_lite`, and counts what it saves.
#
# **Learning goals.** After this notebook you can
# 1. say why spatial attention alone cannot keep frames consistent, and why full spatio-temporal
#    attention is not the answer;
# 2. draw the frame-connectivity masks of full, causal and sparse causal attention, and read the
#    sparse causal one straight off the library;
# 3. compute Eq. 2 by hand for one frame and match `SparseCausalAttention`, including the
#    `[f_1; f_1]` convention for the first frame;
# 4. count the attention logits, and their memory, of five attentions as the number of frames grows,
#    and explain why SC attention grows only linearly;
# 5. read SC attention maps: where a pixel looks in the anchor frame and in the previous frame.
#
# **Sources.** Eq. 1 and Eq. 2 are from the appendix *Details of SCVideo* of an anonymous
# submission under review (section 1, "Sparse Causal Attention"), which takes SC attention from
# *Tune-A-Video: One-Shot Tuning of Image Diffusion Models for Text-to-Video Generation* (Wu et al.,
# 2022). The series leads to VSTAR: *Generative Temporal Nursing for Longer Dynamic Video
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
import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from einops import rearrange, repeat

from vstar_lite.attention import (
    AttnProcessor,
    SparseCausalAttention,
    SpatialSelfAttention,
    attention,
    sparse_causal_kv,
)
from vstar_lite.utils import check_predictions, notebook_setup
from vstar_lite.video import toy_clip
from vstar_lite.viz import attention_overlay, frame_strip
from vstar_lite.widgets import explore

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

# %% [markdown]
# ## 1. Why frames need a path to each other
#
# In notebook 01, spatial self-attention works on `F' = RS(F; (bf), (hw), c)`: one sequence per
# frame. Attention mixes tokens only *within* a sequence, so a pixel of frame 5 can look at every
# pixel of frame 5 and at nothing else. A video model built from it alone would draw each frame
# independently, and the red disc of frame 4 would have no reason to look like the one of frame 5.
#
# The most general alternative is **full spatio-temporal attention**: put all `f*h*w` tokens of a
# video into one sequence, `"b (f h w) c"`, so that any pixel can attend to any pixel of any
# frame. Its attention matrix has `(f*h*w)^2` entries; for SCVideo's 16-frame, 32 x 32 latent that
# is `16,384^2 ≈ 268 million` entries per head, and it grows with the *square* of the number of
# frames (section 4 counts it).
#
# **Sparse causal attention** (Eq. 2) keeps the queries of spatial attention, one frame at a time,
# and changes only where keys and values come from. The appendix counts frames from 1: $f_i$ is
# the $i$-th frame of $F'$.
#
# $$Q = W^Q f_i, \quad K = W^K [f_1; f_{i-1}], \quad V = W^V [f_1; f_{i-1}] \qquad (2)$$
#
# $[\cdot\,;\cdot]$ is concatenation along the token axis: frame $i$'s `h*w` queries meet the
# `2*h*w` tokens of the first frame and the previous frame. The first frame is a shared
# **anchor**: every frame looks back at it, which keeps the appearance and identity of what it
# shows. The previous frame gives **continuity**: what moved a little since the last frame can be
# found there. Both are in the past, hence "causal"; only two frames of all the past, hence
# "sparse".
#
# Two consequences can be read off Eq. 2 already. The weights $W^Q, W^K, W^V$ have the same shapes
# as spatial self-attention's, so an image model's weights load unchanged (this is how
# Tune-A-Video and SCVideo start from Stable Diffusion). And frame $i$'s keys do not include frame
# $i$ itself (except for the first frame, below): its own content reaches the output through the
# queries and the residual connection around the layer.
#
# In code, frames count from 0: $f_1$ is frame `0`, and frame `i` attends to frames `0` and `i - 1`.
#
# ## 2. Who sees whom: frame-connectivity masks
#
# An `f x f` boolean matrix summarises an attention pattern at the level of frames: entry `[i, j]`
# is `True` when frame `i`'s queries may attend to frame `j`'s keys. Full, causal and spatial
# attention are one line each:

# %%
f = 8
full_mask = torch.ones(f, f, dtype=torch.bool)  # every frame sees every frame
causal_mask = full_mask.tril()  # frame i sees frames 0..i
spatial_mask = torch.eye(f, dtype=torch.bool)  # frame i sees itself (notebook 01)

# %% [markdown]
# For sparse causal attention we do not write the mask; we read it off the library, so that the
# picture is provably what `vstar_lite` computes. `sparse_causal_kv(x, num_frames)` builds the keys'
# and values' source `[f_1; f_{i-1}]` for every frame, `"(b f) n c -> (b f) (2 n) c"`. Give it a
# video whose only feature is the frame index, and every key it returns says which frame it came
# from:

# %%
def frames_seen_by(num_frames: int, tokens_per_frame: int = 3) -> torch.Tensor:
    """The f x f mask of sparse causal attention, read off vstar_lite's sparse_causal_kv."""
    frame_ids = repeat(torch.arange(num_frames, dtype=torch.float32), "f -> f n 1",
                       n=tokens_per_frame)  # "(b f) n c" with b = 1, c = 1: each token's frame
    key_frames = rearrange(sparse_causal_kv(frame_ids, num_frames), "f m 1 -> f m").long()
    mask = torch.zeros(num_frames, num_frames, dtype=torch.bool)  # "f g"
    return mask.scatter(1, key_frames, True)  # [i, j]: some key of frame i comes from frame j


frame_ids = repeat(torch.arange(f, dtype=torch.float32), "f -> f n 1", n=3)  # 3 tokens per frame
kv = sparse_causal_kv(frame_ids, f)  # "(b f) (2 n) c": 6 keys per frame
print("frame i: frame index of each of its 2n = 6 keys")
for i in range(f):
    print(f"frame {i}: {kv[i, :, 0].long().tolist()}")

# %% [markdown]
# The first `n` keys of every frame come from frame 0, the next `n` from frame `i - 1`. Frame 0 has
# no previous frame and gets `[f_1; f_1]` (section 3 shows why that is harmless); for frame 1 the
# previous frame *is* frame 0, so it gets `[f_1; f_1]` too. Written by hand from the definition, the
# mask must be the same:

# %%
sc_mask = frames_seen_by(f)
by_hand = torch.zeros(f, f, dtype=torch.bool)
for i in range(f):
    by_hand[i, 0] = True  # f_1, the anchor
    by_hand[i, max(i - 1, 0)] = True  # f_{i-1}; frame 0 has none and uses itself
assert torch.equal(sc_mask, by_hand)
print("mask read off sparse_causal_kv equals the mask written by hand")

# %%
masks = {"full spatio-temporal": full_mask, "causal": causal_mask,
         "sparse causal (Eq. 2)": sc_mask, "spatial (Eq. 1)": spatial_mask}
fig, axes = plt.subplots(1, 4, figsize=(10.5, 3.0))
for ax, (name, mask) in zip(axes, masks.items()):
    ax.imshow(mask, cmap="Blues", vmin=0, vmax=1.4, interpolation="nearest")
    ax.set_title(f"{name}\n{int(mask.sum())} of {f * f} frame pairs", fontsize=9)
    ax.set(xticks=range(f), yticks=range(f), xlabel="key frame j")
    ax.tick_params(labelsize=7)
axes[0].set_ylabel("query frame i")
fig.suptitle(f"frame i may attend to frame j (dark), f = {f}", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the sparse causal panel column by column: column 0 is full (every frame sees the anchor),
# and the sub-diagonal connects each frame to its predecessor. The diagonal is empty except at
# frame 0: as noted above, a frame's keys do not include the frame itself. Causal attention has
# `f(f+1)/2` pairs, full attention `f^2`, sparse causal at most `2f`: the first two grow with the
# square of `f`, the last linearly.
#
# ## 3. Eq. 2 by hand, for one frame
#
# Now the arithmetic. A small batch of random tokens, `b = 2` videos of `f = 4` frames of
# `n = h*w = 6` tokens with `c = 8` channels, and a `SparseCausalAttention` with 2 heads and its
# own (random) initial weights:

# %%
b, f, n, c, heads = 2, 4, 6, 8, 2
x = torch.randn(b * f, n, c)  # "(b f) (h w) c"
sc = SparseCausalAttention(c, heads=heads)
library_out = sc(x, num_frames=f)  # "(b f) (h w) c"
print("tokens in (b f) n c:", tuple(x.shape), "  SC attention out:", tuple(library_out.shape))

# %% [markdown]
# Take video 1, frame `i = 3` (the appendix's $f_4$). Gather its keys' source by hand, then follow
# Eq. 2 with the module's own projections: split the heads, attend with `attention` (notebook 01),
# merge the heads and apply the output projection `W^O`:
#
# $$Q = W^Q f_i, \quad K = W^K [f_1; f_{i-1}], \quad V = W^V [f_1; f_{i-1}], \qquad
# \mathrm{out}_i = W^O \,\mathrm{Softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right) V$$

# %%
frames = rearrange(x, "(b f) n c -> b f n c", f=f)
video, i = 1, 3
f_i = frames[video, i]  # "n c": the queries' frame
kv_source = torch.cat([frames[video, 0], frames[video, i - 1]])  # "(2 n) c": [f_1; f_{i-1}]

q = rearrange(sc.to_q(f_i), "n (h d) -> h n d", h=heads)  # Q = W^Q f_i
k = rearrange(sc.to_k(kv_source), "m (h d) -> h m d", h=heads)  # K = W^K [f_1; f_{i-1}]
v = rearrange(sc.to_v(kv_source), "m (h d) -> h m d", h=heads)  # V = W^V [f_1; f_{i-1}]
by_hand_out = sc.to_out(rearrange(attention(q, k, v), "h n d -> n (h d)"))  # "n c"

library_frames = rearrange(library_out, "(b f) n c -> b f n c", f=f)
torch.testing.assert_close(kv_source, sparse_causal_kv(x, f)[video * f + i])
torch.testing.assert_close(by_hand_out, library_frames[video, i])
print(f"queries {tuple(q.shape)} (h n d), keys {tuple(k.shape)} (h 2n d): "
      f"each of the {n} queries meets {2 * n} keys")
print("by hand == SparseCausalAttention for video 1, frame 3: True")

# %% [markdown]
# ### The first frame: `[f_1; f_1]`
#
# Frame 1 has no previous frame. Following Tune-A-Video, `vstar_lite` gives it `[f_1; f_1]`: its own
# tokens, twice. That keeps every frame at exactly `2n` keys, so that all frames are computed as
# one batched tensor `"(b f) (2 n) c"`, and it changes nothing: every logit $\ell_j$ appears twice,
# so each copy gets half the weight it would get alone, and the two copies of $v_j$ add back up,
#
# $$\sum_{j=1}^{n} 2 \cdot \frac{e^{\ell_j}}{2 \sum_{m=1}^{n} e^{\ell_m}}\, v_j
# = \sum_{j=1}^{n} \frac{e^{\ell_j}}{\sum_{m=1}^{n} e^{\ell_m}}\, v_j .$$
#
# Numerically, for the first frame of video 1:

# %%
f_1 = frames[video, 0]  # "n c"
q1 = rearrange(sc.to_q(f_1), "n (h d) -> h n d", h=heads)
k1 = rearrange(sc.to_k(f_1), "n (h d) -> h n d", h=heads)  # f_1's keys, once
v1 = rearrange(sc.to_v(f_1), "n (h d) -> h n d", h=heads)
out_once, probs_once = attention(q1, k1, v1, return_probs=True)  # "h n d", "h n n"
out_twice, probs_twice = attention(q1, torch.cat([k1, k1], dim=1), torch.cat([v1, v1], dim=1),
                                   return_probs=True)  # keys [f_1; f_1]: "h n d", "h n (2 n)"
first_copy, second_copy = rearrange(probs_twice, "h n (two m) -> two h n m", two=2)

print("query 0, head 0, keys once:         ", [round(p, 3) for p in probs_once[0, 0].tolist()])
print("query 0, head 0, [f_1; f_1], copy 1:", [round(p, 3) for p in first_copy[0, 0].tolist()])
print("query 0, head 0, [f_1; f_1], copy 2:", [round(p, 3) for p in second_copy[0, 0].tolist()])
torch.testing.assert_close(first_copy + second_copy, probs_once)
torch.testing.assert_close(out_twice, out_once)
print("copy 1 + copy 2 == keys once, and the outputs are equal")

# %% [markdown]
# So the first frame of SC attention is plain spatial self-attention on that frame. A
# `SpatialSelfAttention` loaded with the same weights (the shapes fit, as Eq. 2 promised) agrees on
# frame 0 of both videos, and only there:

# %%
spatial = SpatialSelfAttention(c, heads=heads)
spatial.load_state_dict(sc.state_dict())
spatial_out = rearrange(spatial(x), "(b f) n c -> b f n c", f=f)
torch.testing.assert_close(spatial_out[:, 0], library_frames[:, 0])
differs = [j for j in range(f) if not torch.allclose(spatial_out[:, j], library_frames[:, j])]
print("frame 0: SC attention == spatial self-attention")
print("frames where they differ:", differs)

# %% [markdown]
# ## 4. What it costs as videos get longer
#
# Every attention builds one logit per (query, key) pair, per head. Counting them for one head
# of one video, with `hw` tokens per frame:
#
# | attention | tokens per sequence | logits per head per video |
# |---|---|---|
# | full spatio-temporal | `f*hw` | $(f\,hw)^2$ |
# | causal (frame `i` sees frames `0..i`) | up to `f*hw` | $hw^2 \cdot f(f+1)/2$ |
# | sparse causal (Eq. 2) | `hw` queries, `2*hw` keys | $f\,hw \cdot 2\,hw$ |
# | spatial (Eq. 1) | `hw` | $f\,hw^2$ |
# | temporal (Eq. 4) | `f` | $hw\,f^2$ |
#
# The first four are the masks of section 2 times $hw^2$ (the number of frame pairs times the
# pixel pairs of each); sparse causal counts $2f$ frame pairs, not the 14 of the picture, because
# frames 0 and 1 compute their duplicated keys anyway. At SCVideo's latent size, 32 x 32, that
# gives `hw = 1,024`:

# %%
hw = 32 * 32  # tokens per frame in SCVideo's 4 x 16 x 32 x 32 latent
frame_counts = (8, 16, 32, 64, 128)


def logits_per_head(frames: int) -> dict[str, int]:
    """Attention-matrix entries (logits) for one head of one video of `frames` frames."""
    return {
        "full": (frames * hw) ** 2,  # (f hw)^2
        "causal": hw**2 * frames * (frames + 1) // 2,  # hw^2 f (f + 1) / 2
        "sparse causal": frames * hw * 2 * hw,  # f hw * 2 hw
        "spatial": frames * hw**2,  # f hw^2
        "temporal": hw * frames**2,  # hw f^2
    }


counts = {frames: logits_per_head(frames) for frames in frame_counts}
names = list(counts[8])
# The masks of section 2 (f = 8) give the same counts.
assert counts[8]["full"] == int(full_mask.sum()) * hw**2
assert counts[8]["causal"] == int(causal_mask.sum()) * hw**2
assert counts[8]["spatial"] == int(spatial_mask.sum()) * hw**2
assert counts[8]["sparse causal"] == 2 * 8 * hw**2


def fp16_size(entries: int) -> str:
    """The memory of `entries` fp16 numbers (2 bytes each), in rounded binary units."""
    size = 2 * entries
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            value = size / scale
            return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{size} B"


print("logits per head per video, hw = 1,024")
print(f"{'frames':>6} | " + " | ".join(f"{name:>14}" for name in names))
for frames, row in counts.items():
    print(f"{frames:>6} | " + " | ".join(f"{row[name]:>14,}" for name in names))
print()
print("memory of one such logits tensor in fp16")
print(f"{'frames':>6} | " + " | ".join(f"{name:>14}" for name in names))
for frames, row in counts.items():
    print(f"{frames:>6} | " + " | ".join(f"{fp16_size(row[name]):>14}" for name in names))
print()
for frames in (16, 128):
    ratio = counts[frames]["full"] / counts[frames]["sparse causal"]
    print(f"{frames:>3} frames: full attention computes {ratio:.0f}x the logits of sparse causal")

# %% [markdown]
# On a log-log plot a quantity that grows like $f$ has slope 1 and one that grows like $f^2$ has
# slope 2. The dotted line is the 80 GB of one A100-80G, the GPU SCVideo was trained on:

# %%
styles = {"full": "o-", "causal": "s--", "sparse causal": "D-", "spatial": "^-", "temporal": "v-"}
fig, ax = plt.subplots(figsize=(7.6, 3.6))
for name in names:
    ax.plot(frame_counts, [2 * counts[fr][name] for fr in frame_counts], styles[name], label=name)
ax.axhline(80e9, color="gray", linestyle=":", label="80 GB (one A100-80G)")
ax.set_xscale("log", base=2)
ax.set_yscale("log", base=2)
ax.set_xticks(frame_counts, [str(fr) for fr in frame_counts])
ticks = [2**17, 2**20, 2**25, 2**30, 2**35]
ax.set_yticks(ticks, ["128 KiB", "1 MiB", "32 MiB", "1 GiB", "32 GiB"])
ax.set(xlabel="frames f", ylabel="fp16 logits, one head, one video",
       title="attention logits at a 32 x 32 latent")
ax.set_ylim(2**16, 2**38)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.tight_layout()
plt.show()

# %% [markdown]
# What the numbers say:
#
# - At SCVideo's 16 frames, full attention's logits take 512 MiB per head per video, SC attention's
#   64 MiB: a factor `f/2 = 8`. The factor itself grows with the video.
# - At 128 frames, full attention needs 32 GiB for *one* head of *one* video at *one* layer; Stable
#   Diffusion 1.4, which SCVideo extends, has 8 heads per attention layer, so one layer's logits
#   would already be 256 GiB. That is far beyond any single GPU. Causal attention only halves it.
# - Sparse causal attention grows linearly: 512 MiB per head at 128 frames, twice spatial attention,
#   whatever the length. Temporal attention grows like $f^2$ but with `hw` instead of `hw^2` in
#   front, so it stays below spatial attention until `f` reaches `hw = 1,024` frames.
#
# Fused kernels such as FlashAttention (and PyTorch's `scaled_dot_product_attention`, which
# `attention` uses when no probabilities are asked for) avoid *storing* the whole matrix, but they
# still compute every entry: the counts in the first table are the work, whatever the kernel.
#
# ## 5. Explore: where a pixel of the disc looks
#
# To see SC attention at work we need attention maps that mean something. A layer with random
# weights gives maps of noise; a trained model learns its own features, which we do not have here.
# So we **set the weights by hand**, so that the answer is known in advance: a pixel should
# attend to pixels of *similar colour*. Then each map can be checked by eye, and a map that does
# not follow the colours would point to a bug.
#
# Dot products measure alignment, not similarity: a bright yellow key would win over a red one even
# for a red query. A negative squared distance does measure similarity, and it is a dot product
# once each token carries its squared norm and a constant: with tokens $x = (r, g, b, |c|^2, 1)$,
# $W^Q x = (c, 1)$ and $W^K x = s\,(2c, -|c|^2)$, the logit is
#
# $$\frac{q \cdot k}{\sqrt{d}} = \frac{s}{2}\left(2\, c_q \cdot c_k - |c_k|^2\right)
# = -\frac{s}{2}\, |c_q - c_k|^2 + \frac{s}{2}\, |c_q|^2 \qquad (d = 4),$$
#
# and the last term is the same for every key of a query, so the softmax ignores it. The
# sharpness $s$ sets how close a colour must be to get attention. $W^V$ and $W^O$ pass the colour
# through, so the output is the average colour of the pixels a query attends to.

# %%
clip = toy_clip(num_frames=8, height=32, width=32)  # "c f h w"
num_frames, height, width = clip.shape[1:]
rgb = rearrange(clip, "c f h w -> f (h w) c")  # "(b f) (h w) c" with b = 1
features = torch.cat([rgb, (rgb**2).sum(-1, keepdim=True), torch.ones_like(rgb[..., :1])], dim=-1)

sharpness = 100.0
colour_attn = SparseCausalAttention(5, heads=1, dim_head=4)
with torch.no_grad():  # weights set by hand, not trained
    colour_attn.to_q.weight.copy_(torch.tensor([[1.0, 0, 0, 0, 0],    # q = (r, g, b, 1)
                                                [0, 1.0, 0, 0, 0],
                                                [0, 0, 1.0, 0, 0],
                                                [0, 0, 0, 0, 1.0]]))
    colour_attn.to_k.weight.copy_(sharpness * torch.tensor([[2.0, 0, 0, 0, 0],  # k = s (2c, -|c|^2)
                                                            [0, 2.0, 0, 0, 0],
                                                            [0, 0, 2.0, 0, 0],
                                                            [0, 0, 0, -1.0, 0]]))
    colour_attn.to_v.weight.copy_(torch.eye(4, 5))  # v = (r, g, b, |c|^2)
    colour_attn.to_out.weight.copy_(torch.eye(5, 4))  # out = (r, g, b, |c|^2, 0)
    colour_attn.to_out.bias.zero_()

capture = AttnProcessor(capture=True)
colour_attn.set_processor(capture)
with torch.no_grad():
    colour_out = colour_attn(features, num_frames=num_frames)  # "(b f) (h w) 5"
probs = capture.probs[:, 0]  # "(b f) n (2 n)": one head; every frame's maps, computed once
print("captured probabilities (b f) n (2 n):", tuple(probs.shape))

# %% [markdown]
# The query pixel is the pixel that holds the centre of the red disc in each frame: the centre's
# row and column, rounded down (in frame 0 the centre lies at row 15.5, column 6.2, so the query
# is pixel (15, 6), the disc centre of notebook 01). For every frame `i`, how the disc pixel's
# attention splits between the two key frames, and how much of it lands on red pixels:

# %%
red = torch.tensor([0.95, 0.15, 0.10])  # the disc's colour in toy_clip
on_disc = (clip == rearrange(red, "c -> c 1 1 1")).all(dim=0)  # "f h w"
queries = []
for i in range(num_frames):
    ys, xs = on_disc[i].nonzero(as_tuple=True)
    qy, qx = int(ys.float().mean()), int(xs.float().mean())  # the pixel holding the centre
    assert on_disc[i, qy, qx], "the query pixel must lie on the disc"
    queries.append((qy, qx))


def key_maps(i: int) -> torch.Tensor:
    """Frame i's disc pixel: its attention over the 2 key frames [f_1; f_{i-1}], "two h w"."""
    qy, qx = queries[i]
    return rearrange(probs[i, qy * width + qx], "(two h w) -> two h w", two=2, h=height)


print(f"{'frame i':>7} | {'query (y, x)':>12} | {'key frames':>10} | {'red pixels':>10} | "
      f"{'on anchor':>9} | {'on previous':>11} | {'on red':>6} | output colour")
for i in range(num_frames):
    maps, key_frames = key_maps(i), [0, max(i - 1, 0)]
    red_pixels = tuple(on_disc[key_frames].sum(dim=(1, 2)).tolist())  # in each key frame
    on_red = (maps * on_disc[key_frames]).sum()
    qy, qx = queries[i]
    colour = [round(v, 2) for v in colour_out[i, qy * width + qx, :3].tolist()]
    print(f"{i:>7} | {str(queries[i]):>12} | {str(tuple(key_frames)):>10} | "
          f"{str(red_pixels):>10} | {maps[0].sum():>9.1%} | {maps[1].sum():>11.1%} | "
          f"{on_red:>6.1%} | {colour}")

# %% [markdown]
# All of the attention lands on red pixels, spread evenly over them, and the output colour is the
# disc's red. The split between the two key frames therefore follows how many red pixels each one
# shows: 72 in frame 0, fewer in frames 1 to 3, where the yellow square covers part of the disc.
# The maps themselves are easier to read in a picture. Move the
# slider to pick the query frame `i`: the strip highlights the frames it sees, and the maps show
# where its disc pixel attends in the anchor (frame 0) and in the previous frame; the `+` marks the
# query's own position.

# %%
roles_colours = {"query": "tab:green", "anchor": "tab:blue", "previous": "tab:orange"}


def show_frame(frame: int) -> None:
    anchor, previous = 0, max(frame - 1, 0)
    strip = frame_strip(clip, title=f"frame {frame} attends to frames {anchor} and {previous}")
    for j, ax in enumerate(strip.axes):
        roles = [role for role, k in (("query", frame), ("anchor", anchor), ("previous", previous))
                 if k == j]
        ax.set_xlabel("\n".join(roles), fontsize=8)
        if not roles:
            ax.images[0].set_alpha(0.35)
        for spine in ax.spines.values():
            spine.set_color(roles_colours[roles[0]] if roles else "lightgray")
            spine.set_linewidth(3 if roles else 1)
    strip.tight_layout()

    qy, qx = queries[frame]
    maps = key_maps(frame)
    fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.7))
    axes[0].imshow(rearrange(clip[:, frame], "c h w -> h w c"), interpolation="nearest")
    axes[0].set(xticks=[], yticks=[])
    axes[0].set_title(f"query: frame {frame}, pixel ({qy}, {qx})", fontsize=9)
    for ax, key_frame, role, weights in ((axes[1], anchor, "anchor", maps[0]),
                                         (axes[2], previous, "previous", maps[1])):
        attention_overlay(clip[:, key_frame], weights, ax=ax,
                          title=f"{role}: frame {key_frame}, {weights.sum():.0%} of attention")
    for ax in axes:
        ax.plot(qx, qy, "+", color="white", markersize=12, markeredgewidth=2)
    fig.tight_layout()


explore(show_frame, "pick the query frame i: the frames it sees and where its disc pixel attends",
        frame=widgets.IntSlider(value=4, min=0, max=num_frames - 1, description="frame i"))

# %% [markdown]
# The anchor map always shows the disc where it *started*: every frame is tied back to the same
# first frame, which is what keeps an object's appearance from drifting over a long video. The
# previous-frame map shows the disc one step behind the query's own position: a small motion away,
# which is what the previous frame contributes. At `i = 0` both maps are frame 0, each holding half
# of the attention: the `[f_1; f_1]` convention of section 3.
#
# ## Exercise 1: sparse causal attention as masked full attention
#
# Full spatio-temporal attention over all `f*n` tokens of a video computes SC attention too, if an
# additive bias of $-\infty$ removes every key that Eq. 2 does not allow (a logit of $-\infty$ gets
# probability 0). Write `sparse_causal_bias(num_frames, tokens_per_frame)`: a float tensor
# `"(f n) (g m)"` (query token, key token), 0 where query frame `f` may attend to key frame `g`
# and `-inf` elsewhere. The masks of section 2 and einops' `repeat` help.
#
# The check runs full attention, `SpatialSelfAttention` on one sequence `"b (f n) c"` per video,
# with SC's weights and your bias, and compares it with `SparseCausalAttention` for several `f`.
# (The result is the same, but the cost is that of full attention: all `(f n)^2` logits are
# computed, then most are thrown away. That is why the library gathers `[f_1; f_{i-1}]` instead.)

# %%
def sparse_causal_bias(num_frames: int, tokens_per_frame: int) -> torch.Tensor:
    """Shape "(f n) (g m)": 0 where query frame f may attend to key frame g, -inf elsewhere."""
    ### BEGIN SOLUTION
    frame = torch.arange(num_frames)
    allowed = (frame[None, :] == 0) | (frame[None, :] == frame[:, None] - 1)  # "f g"
    allowed = repeat(allowed, "f g -> (f n) (g m)", n=tokens_per_frame, m=tokens_per_frame)
    return torch.zeros(allowed.shape).masked_fill(~allowed, float("-inf"))
    ### END SOLUTION


# %%
full_attn = SpatialSelfAttention(c, heads=heads)  # one sequence per video: full attention
full_attn.load_state_dict(sc.state_dict())
for frames_, tokens in ((1, 4), (2, 4), (5, 6), (8, 3)):
    bias = sparse_causal_bias(frames_, tokens)
    assert bias.shape == (frames_ * tokens, frames_ * tokens), f"wrong shape {tuple(bias.shape)}"
    assert bias.dtype == torch.float32, "the bias must have the tokens' dtype, float32"
    allowed = repeat(frames_seen_by(frames_), "f g -> (f n) (g m)", n=tokens, m=tokens)
    assert torch.equal(bias == 0, allowed), f"f = {frames_}: 0 must mark exactly Eq. 2's keys"
    assert bool((bias[~allowed] == float("-inf")).all()), "every other entry must be -inf"
    video_tokens = torch.randn(2 * frames_, tokens, c)  # "(b f) n c"
    full_attn.set_processor(AttnProcessor(bias=bias))
    masked = full_attn(rearrange(video_tokens, "(b f) n c -> b (f n) c", f=frames_))
    torch.testing.assert_close(rearrange(masked, "b (f n) c -> (b f) n c", f=frames_),
                               sc(video_tokens, num_frames=frames_))
print("exercise passed: full attention with the sparse causal bias == SparseCausalAttention")

# %% [markdown]
# ## Exercise 2: predict, then check (what a longer video costs)
#
# Eq. 2 gives every frame the keys of two frames. Predict first, for `n = 16` tokens per frame:
# when the video goes from **8 to 16 frames**, does each number go `"up"`, `"down"` or stay the
# `"same"`?
#
# - the number of keys each query sees, in sparse causal attention (`sparse_causal_kv`);
# - the number of keys each query sees, in full attention over all the video's tokens;
# - the number of logits of the whole video, in sparse causal attention;
# - the ratio of full attention's logits to sparse causal attention's.

# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "keys per query, sparse causal": "same",
        "keys per query, full attention": "up",
        "logits per video, sparse causal": "up",
        "full / sparse causal logits": "up",
    }
    ### END SOLUTION


# %%
def costs(num_frames: int, tokens: int = 16, channels: int = 4) -> dict[str, int]:
    frames_tokens = torch.zeros(num_frames, tokens, channels)  # "(b f) n c" with b = 1
    sc_keys = sparse_causal_kv(frames_tokens, num_frames).shape[1]  # "(b f) (2 n) c"
    full_keys = num_frames * tokens  # one sequence "(f n)" per video
    return {"sc keys": sc_keys, "full keys": full_keys,
            "sc logits": num_frames * tokens * sc_keys,
            "full logits": num_frames * tokens * full_keys}  # fmt: skip


short, long = costs(8), costs(16)
items = {  # name -> (number at 8 frames, number at 16 frames)
    "keys per query, sparse causal": (short["sc keys"], long["sc keys"]),
    "keys per query, full attention": (short["full keys"], long["full keys"]),
    "logits per video, sparse causal": (short["sc logits"], long["sc logits"]),
    "full / sparse causal logits": (short["full logits"] / short["sc logits"],
                                    long["full logits"] / long["sc logits"]),
}  # fmt: skip
check_predictions(items, predict(), digits=1)
print("exercise passed: every prediction agrees with the numbers")

# %% [markdown]
# ## Recap
#
# - Spatial attention (Eq. 1) has no path between frames; full spatio-temporal attention has every
#   path but $(f\,hw)^2$ logits per head, quadratic in the number of frames.
# - Sparse causal attention (Eq. 2) keeps the queries and weights of spatial attention and takes
#   keys and values from `[f_1; f_{i-1}]`: the first frame as an anchor for appearance, the
#   previous frame for continuity. A frame does not attend to itself, except the first.
# - The first frame uses `[f_1; f_1]`: duplicated keys split their weight in two and change
#   nothing, so frame 1 is spatial self-attention, and every frame has the same `2 hw` keys.
# - Its cost is `2 f hw^2` logits per head, linear in `f`: 512 MiB per head at 128 frames against
#   32 GiB for full attention.
# - A mask on full attention gives the same output but not the savings; gathering the two frames
#   (`sparse_causal_kv`) does.
#
# **Next:** notebook 03 adds the text: spatial cross-attention (Eq. 3), where the queries are the
# frames' pixels and the keys and values come from the prompt's embedding.
