# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Spatial cross-attention (Eq. 3)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/03_cross_attention.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/03_cross_attention.ipynb)
#
# A text-to-video model has to turn "a red disc and a yellow square" into pixels, yet the prompt
# enters the denoising network through one door only: spatial cross-attention. Every pixel of every
# frame asks the words of the prompt "which of you describes me?" and takes in a mix of the answers.
# This notebook opens that door on a toy clip, with a text encoder and attention weights small
# enough to set by hand, so that every attention map it draws can be checked against what it should
# be. It ends where VSTAR's video synopsis prompting begins: giving each frame a text of its own.
#
# **Learning goals.** After this notebook you can
# 1. write Eq. 3 of the SCVideo appendix, with queries from the pixels `F'` and keys and values from
#    the text embedding `C`, and give the shape of every tensor in it;
# 2. say what a text embedding `L x D` is, and what CLIP contributes to a real model;
# 3. read a token-to-pixel attention map: for one word, how much each pixel of a frame attends
#    to it;
# 4. explain why one text per video (`b L D`) is the special case of one text per frame
#    (`(b f) L D`), and why changing one frame's text changes only that frame;
# 5. compute VSTAR's per-frame embeddings by interpolating between sub-prompts.
#
# **Sources.** Eq. 3 and the SS-T block are from the appendix *Details of SCVideo* of an anonymous
# submission under review (section 1, "Spatial Cross Attention"). Video synopsis prompting (VSP) is
# from VSTAR: *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper,
# Zhang and Khoreva, ICLR 2025).

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
from einops import rearrange, reduce, repeat

from vstar_lite.attention import AttnProcessor, CrossAttention
from vstar_lite.utils import check_predictions, notebook_setup
from vstar_lite.video import spatial_tokens, toy_clip
from vstar_lite.viz import frame_strip
from vstar_lite.vsp import interpolate_embeddings
from vstar_lite.widgets import explore

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")

# %% [markdown]
# ## 1. Where the text enters: Eq. 3
#
# In SCVideo's SS-T block a feature map passes through a 2-D and a 3-D convolution, sparse causal
# attention (notebook 02), spatial cross-attention, and two temporal attentions (notebook 04). Only
# the cross-attention reads the prompt. The appendix writes it as
#
# $$Q = W^Q F', \quad V = W^V C, \quad K = W^K C \qquad (3)$$
#
# "where $C$ denotes the embedding of the text", and $F' = RS(F; (bf), (hw), c)$ is the spatial view
# of notebook 00. The attention itself is the usual $\mathrm{Softmax}(QK^\top/\sqrt{d})\,V$. What
# is new is *where the keys come from*: in self-attention a pixel compares itself with other pixels;
# here it compares itself with the `L` tokens of the prompt.
#
# | tensor | layout | here | in SD 1.4 (SCVideo's base) |
# |---|---|---|---|
# | pixels `F'` (queries) | `(b f) (h w) c` | 8 x 1024 x 3 | (b x 16) x 1024 x 320, top level |
# | text `C` (keys, values) | `b L D` | 1 x 7 x 8 | b x 77 x 768 |
# | probabilities | `(b f) (h w) L` | 8 x 1024 x 7 | one row of `L` weights per pixel |
#
# Each pixel spreads exactly one unit of attention over the `L` words: the probability matrix is
# `(h w) x L` per frame, not `(h w) x (h w)` as in self-attention. Our pixels are the toy clip's RGB
# values, so `c = 3`.

# %%
clip = toy_clip(num_frames=8, height=32, width=32)  # "c f h w"
c, num_frames, height, width = clip.shape
pixels = spatial_tokens(rearrange(clip, "c f h w -> 1 c f h w"))  # F': "(b f) (h w) c"
print(f"F' = pixels (b f) (h w) c: {tuple(pixels.shape)}")
frame_strip(clip, title="the clip whose pixels ask the questions")
plt.show()

# %% [markdown]
# ## 2. A text encoder you can read
#
# Stable Diffusion 1.4, which SCVideo extends, encodes a prompt with CLIP's text encoder (Radford et
# al., 2021): the prompt becomes 77 tokens, each a learned vector of 768 numbers (VideoCrafter2, the
# model VSTAR builds on, uses 77 x 1024). Nothing may be downloaded here, and a 768-dimensional
# vector could not be read anyway, so we write a tiny encoder ourselves: a lookup table from words
# to vectors of `D = 8` numbers, each number with a meaning we chose.
#
# | dim | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 |
# |---|---|---|---|---|---|---|---|---|
# | meaning | red | yellow | blue | round | angular | object | motion | grammar |
#
# Two differences from CLIP matter later. CLIP's vectors are *learned*, and nobody can say what its
# dimension 412 means. And CLIP is a transformer, so the vector it gives "red" also depends on the
# words around it; our table gives "red" the same vector in every sentence.

# %%
DIMS = ["red", "yellow", "blue", "round", "angular", "object", "motion", "grammar"]
D = len(DIMS)


def word_vector(**meaning: float) -> torch.Tensor:
    """A word's embedding "D": zero except for the named dimensions."""
    vector = torch.zeros(D)
    for dim, value in meaning.items():
        vector[DIMS.index(dim)] = value
    return vector


VOCABULARY = {
    "a": word_vector(grammar=1.0),
    "and": word_vector(grammar=1.0),
    "red": word_vector(red=1.0),
    "yellow": word_vector(yellow=1.0),
    "blue": word_vector(blue=1.0),
    "disc": word_vector(round=1.0, object=1.0),
    "square": word_vector(angular=1.0, object=1.0),
    "moves": word_vector(motion=1.0),
}


def encode(prompt: str) -> torch.Tensor:
    """Our "text encoder": one row of the table per word, "1 L D" (one prompt, one video)."""
    return rearrange(torch.stack([VOCABULARY[word] for word in prompt.split()]), "l d -> 1 l d")


print(f"{'word':>7} | " + " ".join(f"{dim:>7}" for dim in DIMS))
for word, vector in VOCABULARY.items():
    print(f"{word:>7} | " + " ".join(f"{value:>7.0f}" for value in vector.tolist()))

# %%
PROMPT = "a red disc and a yellow square"
WORDS = PROMPT.split()
text = encode(PROMPT)  # C: "b L D"
print(f"prompt: {PROMPT!r}")
print(f"C = text embedding (b L D): {tuple(text.shape)}, tokens: {WORDS}")

# %% [markdown]
# ## 3. Setting $W^Q$, $W^K$, $W^V$ by hand
#
# A trained model *learns* its projections (and CLIP its vectors) so that the features of a pixel
# showing a thing and the embedding of the word naming it have a large dot product. Training is out
# of reach in a CPU notebook, and a randomly initialised layer would give maps that mean nothing.
# Setting the weights by hand gives us a layer whose right answer we know: the maps below can be
# checked, not just admired.
#
# The rule we build in: *a pixel attends to the word that names its colour.*
#
# - $W^Q$ (`to_q`, 3 -> 3) turns a pixel's RGB into three colour scores:
#   redness = R - G - B, yellowness = G - B, blueness = B - G, all multiplied by 10 (the scale
#   decides how sharp the softmax is).
# - $W^K$ (`to_k`, 8 -> 3) copies the three colour dimensions of the word vector and drops the rest,
#   so "disc", "and" or "a" get the key 0 and a logit of 0 from every pixel.
# - $W^V$ (`to_v`, 8 -> 3) turns a colour word into the RGB of its colour (red (1, 0, 0), yellow
#   (1, 1, 0), blue (0, 0, 1)); the other words carry the value 0. `to_out` is the identity, so the
#   layer's output is *the colour the text paints at each pixel*.
#
# One head with `d = 3` keeps it readable; SD uses 8 heads, and the maps below average over heads.

# %%
xattn = CrossAttention(query_dim=c, heads=1, dim_head=3, context_dim=D)
rgb_to_colour_scores = torch.tensor([
    [1.0, -1.0, -1.0],  # redness    = R - G - B
    [0.0, 1.0, -1.0],   # yellowness = G - B
    [0.0, -1.0, 1.0],   # blueness   = B - G
])  # fmt: skip
colour_rgb = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # red, yellow, blue
with torch.no_grad():
    xattn.to_q.weight.copy_(10.0 * rgb_to_colour_scores)  # "3 c": pixel RGB -> colour scores
    xattn.to_k.weight.copy_(torch.eye(3, D))  # "3 D": keep dims 0-2 (red, yellow, blue)
    xattn.to_v.weight.copy_(colour_rgb.T @ torch.eye(3, D))  # "3 D": colour word -> its RGB
    xattn.to_out.weight.copy_(torch.eye(3))
    xattn.to_out.bias.zero_()
xattn.requires_grad_(False)
processor = AttnProcessor(capture=True)  # keeps the last probabilities in processor.probs
xattn.set_processor(processor)
print(f"to_q {tuple(xattn.to_q.weight.shape)}, to_k {tuple(xattn.to_k.weight.shape)}, "
      f"to_v {tuple(xattn.to_v.weight.shape)}, to_out {tuple(xattn.to_out.weight.shape)}")

# %% [markdown]
# Three pixels of frame 0 and their queries: one in the disc, one in the square, one in the
# background. Each query is large in the colour the pixel shows:

# %%
samples = {"disc (16, 6)": (16, 6), "square (6, 9)": (6, 9), "background (2, 30)": (2, 30)}
for name, (y, x) in samples.items():
    rgb = clip[:, 0, y, x]
    query = xattn.to_q(rgb)
    print(f"{name:<19} RGB {[round(v, 2) for v in rgb.tolist()]} -> query (red, yellow, blue) "
          f"{[round(v, 1) for v in query.tolist()]}")

# %% [markdown]
# Now Eq. 3 step by step, then the same through the module. Per-video text `b L D` has one entry
# while the pixels have `b f = 8`; the matrix product broadcasts it over the frames.

# %%
Q = xattn.to_q(pixels)  # W^Q F':  "(b f) (h w) d"
K = xattn.to_k(text)  # W^K C:    "b L d"
V = xattn.to_v(text)  # W^V C:    "b L d"
d = Q.shape[-1]
probs_by_hand = (Q @ rearrange(K, "b l d -> b d l") / d**0.5).softmax(dim=-1)  # "(b f) (h w) L"
out_by_hand = xattn.to_out(probs_by_hand @ V)  # "(b f) (h w) c"

out = xattn(pixels, text, num_frames=num_frames)  # the library: "(b f) (h w) c"
probs = processor.probs  # "(b f) heads (h w) L"
torch.testing.assert_close(out, out_by_hand)
torch.testing.assert_close(probs, rearrange(probs_by_hand, "bf n l -> bf 1 n l"))
print(f"Q {tuple(Q.shape)}, K {tuple(K.shape)}, V {tuple(V.shape)}")
print(f"probabilities (b f) heads (h w) L: {tuple(probs.shape)}; every row sums to "
      f"{probs.sum(-1).min():.4f}..{probs.sum(-1).max():.4f}")
print("CrossAttention agrees with Eq. 3 computed by hand")

# %% [markdown]
# ## 4. Token-to-pixel attention maps
#
# Read the probabilities the other way round: fix a *token* and look at the weight every pixel of a
# frame puts on it. That gives one `h x w` image per word, the kind of map used to see where a
# prompt's words land in a generated image. Averaged over heads, `probs[:, :, :, token]` has the
# layout `(b f) (h w)`, which einops turns into `b f h w`.

# %%
def token_maps(probs: torch.Tensor) -> torch.Tensor:
    """Attention probabilities "(b f) heads (h w) L" -> maps "b f L h w" (averaged over heads)."""
    return reduce(probs, "(b f) heads (h w) l -> b f l h w", "mean", f=num_frames, h=height)


maps = token_maps(probs)[0]  # one video: "f L h w"
print(f"maps (f L h w): {tuple(maps.shape)}")


def show_token_row(maps: torch.Tensor, words: list[str], frame: int, title: str) -> None:
    """The frame, then one map per token (shared colour scale 0..1)."""
    fig, axes = plt.subplots(1, len(words) + 1, figsize=(1.25 * (len(words) + 1), 1.8))
    axes[0].imshow(rearrange(clip[:, frame], "c h w -> h w c"))
    axes[0].set_title(f"frame {frame}", fontsize=9)
    for index, (ax, word) in enumerate(zip(axes[1:], words)):
        image = ax.imshow(maps[frame, index], cmap="magma", vmin=0.0, vmax=1.0)
        ax.set_title(f"{index}: {word}", fontsize=9)
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    fig.suptitle(title, fontsize=10)
    fig.colorbar(image, ax=axes, fraction=0.015, pad=0.01)


show_token_row(maps, WORDS, frame=0, title=f"attention on each token of {PROMPT!r}")
plt.show()

# %% [markdown]
# The disc lights up in the map of "red", the square in the map of "yellow". The background matches
# no word: its logits are all near zero, so it spreads its attention almost evenly over the five
# colourless tokens (a softmax row must sum to 1; a pixel cannot decline to attend). To put numbers
# on it we need to know which pixels are disc, square and background; the clip's colours tell us
# exactly.

# %%
frames_rgb = rearrange(clip, "c f h w -> f h w c")
in_disc = torch.isclose(frames_rgb, torch.tensor([0.95, 0.15, 0.10])).all(dim=-1)  # "f h w"
in_square = torch.isclose(frames_rgb, torch.tensor([0.95, 0.85, 0.15])).all(dim=-1)  # "f h w"
in_background = ~(in_disc | in_square)
regions = {"disc": in_disc, "square": in_square, "background": in_background}

print(f"mean attention on each token over all 8 frames (frame 0 has {int(in_disc[0].sum())} disc "
      f"pixels and {int(in_square[0].sum())} square pixels)")
print(f"{'token':>10} | " + " | ".join(f"{name:>10}" for name in regions))
for index, word in enumerate(WORDS):
    means = [maps[:, index][mask].mean() for mask in regions.values()]
    print(f"{index}: {word:>7} | " + " | ".join(f"{m:>10.3f}" for m in means))

red_token, yellow_token = WORDS.index("red"), WORDS.index("yellow")
print(f"\n'red':    {maps[:, red_token][in_disc].mean():.3f} inside the disc, "
      f"{maps[:, red_token][~in_disc].mean():.3f} outside")
print(f"'yellow': {maps[:, yellow_token][in_square].mean():.3f} inside the square, "
      f"{maps[:, yellow_token][~in_square].mean():.3f} outside")

# %% [markdown]
# Pick a token and a frame. The maps follow the disc to the right and the square downwards: the
# layer has no idea of motion, it simply finds the colour again in every frame.

# %%
def plot_token(token: int, frame: int) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(4.4, 2.3))
    axes[0].imshow(rearrange(clip[:, frame], "c h w -> h w c"))
    axes[0].set_title(f"frame {frame}", fontsize=9)
    image = axes[1].imshow(maps[frame, token], cmap="magma", vmin=0.0, vmax=1.0)
    axes[1].set_title(f"attention on '{WORDS[token]}' (token {token})", fontsize=9)
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    fig.colorbar(image, ax=axes[1], fraction=0.046, pad=0.04)


explore(
    plot_token,
    "attention every pixel of a frame puts on one token of the prompt",
    token=widgets.Dropdown(
        options=[(f"{index}: {word}", index) for index, word in enumerate(WORDS)],
        value=red_token, description="token",
    ),
    frame=widgets.IntSlider(value=0, min=0, max=num_frames - 1, description="frame"),
)

# %% [markdown]
# **What the text writes.** The output of the layer is $\mathrm{Softmax}(QK^\top/\sqrt{d})\,V$: each
# pixel receives the values of the words it attends to, mixed by its weights. With our `to_v` a
# value is a colour, so the output can be drawn as a video. In the denoising network this output is
# added to the features through a residual connection: it is the prompt's contribution at every
# pixel.

# %%
def as_video(tokens: torch.Tensor) -> torch.Tensor:
    """One video's "(b f) (h w) c" -> "c f h w" (for frame_strip)."""
    return rearrange(tokens, "(b f) (h w) c -> b c f h w", f=num_frames, h=height)[0]


frame_strip(as_video(out), title="cross-attention output: what the prompt paints at each pixel")
plt.show()

# %% [markdown]
# ## 5. One text per frame: the door to video synopsis prompting
#
# So far all frames read the same prompt. `CrossAttention` also accepts one embedding per frame,
# `(b f) L D`, and it is worth seeing why that costs nothing: Eq. 3 runs on `F'`, where the frames
# are separate batch entries, so frame `i` only ever meets the keys and values in row `i` of `C`.
# A per-video text is the special case where all rows are equal: the library repeats `b L D` to
# `(b f) L D` with einops and carries on.

# %%
text_per_frame = repeat(text, "b l d -> (b f) l d", f=num_frames)  # "(b f) L D"
out_per_frame = xattn(pixels, text_per_frame, num_frames=num_frames)
torch.testing.assert_close(out_per_frame, out)
print(f"per video {tuple(text.shape)} and repeated per frame {tuple(text_per_frame.shape)}: "
      "same output")

# %% [markdown]
# Now give frame 5 a different text, "a blue disc and a yellow square", and measure how much each
# frame's output moves:

# %%
changed_text = text_per_frame.clone()
changed_text[5] = encode("a blue disc and a yellow square")[0]
out_changed = xattn(pixels, changed_text, num_frames=num_frames)
change = reduce((out_changed - out).abs(), "(b f) n c -> b f", "max", f=num_frames)[0]
print("max |change| of the output, per frame:", [round(v, 3) for v in change.tolist()])

# %% [markdown]
# Only frame 5 changes. This is what video synopsis prompting (VSP) builds on. A prompt such as
# "A peony starts to bloom" describes a change over time, yet with one embedding for the whole video
# every frame is told the same thing. VSP asks an LLM (ChatGPT in the paper) to rewrite it as `N`
# sub-prompts describing successive visual states (typically 3 to 5), encodes each one into
# `E_0, ..., E_{N-1}` (each `L x D`), places them on keyframes spread over the video, and gives
# every frame in between a linear blend of its two neighbours. Each frame's spatial cross-attention
# then reads its own embedding. (The unconditional embedding of classifier-free guidance stays the
# same for every frame.)
#
# With two sub-prompts the keyframes are the first and the last frame, and frame `f` gets
#
# $$E(f) = (1 - \beta)\,E_0 + \beta\,E_1, \qquad \beta = \frac{f}{F - 1}.$$
#
# Both prompts have seven tokens; only token 1 differs, "red" in $E_0$, "blue" in $E_1$.

# %%
start, end = encode(PROMPT), encode("a blue disc and a yellow square")  # "b L D" each
beta = rearrange(torch.linspace(0.0, 1.0, num_frames), "f -> 1 f 1 1")  # f / (F - 1)
start_f, end_f = (rearrange(e, "b l d -> b 1 l d") for e in (start, end))  # "b 1 L D"
blend = (1 - beta) * start_f + beta * end_f  # E(f): "b f L D"
synopsis_text = rearrange(blend, "b f l d -> (b f) l d")  # "(b f) L D"
print(f"per-frame text (b f) L D: {tuple(synopsis_text.shape)}")
print("token 1, (red, yellow, blue) dims, per frame:")
for frame in range(num_frames):
    print(f"  frame {frame}: {[round(v, 2) for v in synopsis_text[frame, 1, :3].tolist()]}")

# %%
out_synopsis = xattn(pixels, synopsis_text, num_frames=num_frames)
synopsis_maps = token_maps(processor.probs)[0]  # "f L h w"
on_token_1 = {  # mean attention on token 1, per frame
    name: torch.stack([synopsis_maps[frame, 1][mask[frame]].mean() for frame in range(num_frames)])
    for name, mask in (("red disc pixels", in_disc), ("background pixels", in_background))
}
for name, values in on_token_1.items():
    print(f"{name:<22} on token 1: {[round(v, 2) for v in values.tolist()]}")

fig, ax = plt.subplots(figsize=(5.5, 2.6))
ax.plot(on_token_1["red disc pixels"], "o-", color="tab:red", label="red disc pixels")
ax.plot(on_token_1["background pixels"], "s-", color="tab:blue",
        label="background pixels")
ax.set(xlabel="frame (token 1 goes from 'red' to 'blue')", ylabel="mean attention",
       title="attention on token 1 per frame", ylim=(0, 1))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# As token 1 turns from "red" into "blue", the disc's pixels stop finding it and the background's
# pixels start to: the background is a dark blue-to-purple gradient, with more blue than green,
# so its queries lean towards "blue". The painted output follows:

# %%
frame_strip(as_video(out_synopsis), title="output with the per-frame text, 'red' -> 'blue'")
plt.show()

# %% [markdown]
# Notice *where* the blue goes: to the pixels that already look blue, not to the disc. Our queries
# know only a pixel's colour, so the word "disc" has nothing to match. In a real model the queries
# are UNet features that carry far more than colour, learned together with the text embeddings, and
# the cross-attention is applied again at every denoising step while the frames are still being
# formed. That is the setting in which VSP's per-frame prompts steer what each frame shows.
#
# ## Exercise 1: per-frame embeddings from `N` sub-prompts
#
# Write VSP's interpolation for any number `N >= 2` of sub-prompts. With `F` frames, sub-prompt `n`
# sits on keyframe
#
# $$k_n = \left\lfloor \frac{n\,(F - 1)}{N - 1} \right\rfloor,$$
#
# and a frame `f` between $k_n$ and $k_{n+1}$ gets
#
# $$E(f) = (1 - \beta)\,E_n + \beta\,E_{n+1}, \qquad \beta = \frac{f - k_n}{k_{n+1} - k_n},$$
#
# so every keyframe gets its sub-prompt's embedding exactly. The input is `N L D`, the output
# `f L D` (one video, so this is also `(b f) L D` with `b = 1`). The check uses 3 sub-prompts and
# two clip lengths, and compares the `N = 2` case with the blend of section 5.

# %%
def synopsis_embeddings(sub_prompts: torch.Tensor, num_frames: int) -> torch.Tensor:
    """VSP: sub-prompt embeddings "N L D" -> one embedding per frame "f L D"."""
    n = sub_prompts.shape[0]
    if not 2 <= n <= num_frames:
        raise ValueError(f"need 2 <= N <= num_frames, got N={n} and num_frames={num_frames}")
    ### BEGIN SOLUTION
    keyframes = [k * (num_frames - 1) // (n - 1) for k in range(n)]
    frames = []
    for f in range(num_frames):
        k = max(i for i in range(n - 1) if keyframes[i] <= f)  # f lies in [k_i, k_{i+1}]
        beta = (f - keyframes[k]) / (keyframes[k + 1] - keyframes[k])
        frames.append((1 - beta) * sub_prompts[k] + beta * sub_prompts[k + 1])
    return torch.stack(frames)
    ### END SOLUTION


# %%
sub_prompts = torch.randn(3, 7, D)  # N=3 sub-prompts, L=7 tokens
result = synopsis_embeddings(sub_prompts, num_frames=9)  # keyframes 0, 4, 8
assert result.shape == (9, 7, D), f"expected shape (9, 7, {D}), got {tuple(result.shape)}"
for frame, n in [(0, 0), (4, 1), (8, 2)]:
    assert torch.equal(result[frame], sub_prompts[n]), f"keyframe {frame} must be sub-prompt {n}"
torch.testing.assert_close(result[2], (sub_prompts[0] + sub_prompts[1]) / 2)
torch.testing.assert_close(result[7], (sub_prompts[1] + 3 * sub_prompts[2]) / 4)
result = synopsis_embeddings(sub_prompts, num_frames=8)  # keyframes 0, 3, 7
assert torch.equal(result[3], sub_prompts[1]) and torch.equal(result[7], sub_prompts[2])
torch.testing.assert_close(result[5], (sub_prompts[1] + sub_prompts[2]) / 2)
two = synopsis_embeddings(torch.cat([start, end]), num_frames=num_frames)
torch.testing.assert_close(two, synopsis_text)
torch.testing.assert_close(xattn(pixels, two, num_frames=num_frames), out_synopsis)
torch.testing.assert_close(result, interpolate_embeddings(sub_prompts, num_frames=8))  # the library
print("exercise passed: N sub-prompts -> one embedding per frame, keyframes exact")

# %% [markdown]
# ## Exercise 2: predict, then check (what the text changes)
#
# Cross-attention reads the text through its keys and values. Predict first, for the layer `xattn`
# of section 3 and the pixel tokens `pixels`: does each number go `"up"`, `"down"` or stay the
# `"same"`?
#
# - the number of output values (`numel`) when the text has **twice as many tokens**;
# - the number of attention weights per pixel, for the same longer text;
# - the weight of text token 0, summed over the pixels of frame 0, when token 0 is **repeated** (the
#   text `[t_0, t_0, t_1, ...]`: each copy is counted on its own).

# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "output values, text x 2": "same",
        "weights per pixel, text x 2": "up",
        "weight of one copy of token 0, token 0 repeated": "down",
    }
    ### END SOLUTION


# %%
text_p = torch.randn(1, 5, D)  # "b L D": one text of 5 tokens


def run(context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out = xattn(pixels[:1], context, num_frames=1)  # frame 0's pixels: "1 (h w) c"
    return out, processor.probs  # the capturing processor of section 3: "1 heads (h w) L"


out_short, probs_short = run(text_p)
out_long, probs_long = run(torch.cat([text_p, torch.randn(1, 5, D)], dim=1))
_, probs_repeated = run(torch.cat([text_p[:, :1], text_p], dim=1))
items = {  # name -> (number before, number after)
    "output values, text x 2": (out_short.numel(), out_long.numel()),
    "weights per pixel, text x 2": (probs_short.shape[-1], probs_long.shape[-1]),
    "weight of one copy of token 0, token 0 repeated": (probs_short[..., 0].sum(),
                                                         probs_repeated[..., 0].sum()),
}  # fmt: skip
check_predictions(items, predict(), digits=2)
print("exercise passed: every prediction agrees with the numbers")

# %% [markdown]
# ## Recap
#
# - Spatial cross-attention (Eq. 3) is where the prompt enters: $Q = W^Q F'$ from the pixels
#   `(b f) (h w) c`, $K = W^K C$ and $V = W^V C$ from the text `b L D`.
# - Its probabilities are `(b f) (h w) L`: each pixel spreads one unit of attention over the `L`
#   tokens; fixing a token gives a map of where that word lands in each frame.
# - A trained model learns $W^Q, W^K$ (and CLIP its vectors) so that pixels and the words naming
#   them align; our hand-set "colour" weights make the same alignment visible and checkable.
# - Because frames are batch entries of `F'`, a per-video text `b L D` equals the same text repeated
#   per frame, and a per-frame text `(b f) L D` changes each frame's output independently.
# - VSP gives every frame its own embedding, blended linearly between sub-prompts on keyframes.
#
# **Next:** notebook 04 opens the path between frames: temporal attention (Eq. 4) and the SS-T
# block that puts all the attentions together.
