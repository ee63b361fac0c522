# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · VSP: video synopsis prompting
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/11_vsp.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/11_vsp.ipynb)
#
# "A peony starts to bloom" is one sentence about a process: a bud first, an open flower last. A
# text-to-video model reads it through spatial cross-attention (notebook 03), and in a plain
# pipeline every frame reads the same `L x D` embedding. Frame 0 and frame 63 are told the same
# thing, the whole story at once, and no part of the embedding says *when* the bud should open.
# A model trained on short clips, each with one caption, tends to settle on one state and keep it.
# Video synopsis prompting (VSP), the second half of VSTAR, moves the "when" out of the sentence
# and onto the frame axis: a language model rewrites the prompt as a **synopsis**, a short list
# of sub-prompts that each describe one visual state, and every frame gets a text embedding of its
# own, blended between the sub-prompts around it. VSP needs no training, and its cost is a few
# more text-encoder calls. This notebook builds it piece by piece and then watches a synopsis
# play out in the tiny pipeline of notebooks 07-08.
#
# **Learning goals.** After this notebook you can
# 1. say why one text embedding per video cannot say when something happens, and what a synopsis
#    adds;
# 2. load, write and check synopses, and ask any `str -> str` language model for one (here a
#    stand-in that needs no network);
# 3. derive the keyframes `k_n = floor(n (F - 1) / (N - 1))` and the blend weights of every frame
#    by hand, and say how the "same" mode differs from the linear one;
# 4. explain why keyframes must not be computed in 8-bit integers, and which keyframe lists make
#    no sense;
# 5. tokenize and encode sub-prompts with the tiny pipeline's CLIP tokenizer and text encoder,
#    turn them into per-frame embeddings and read those as similarities to each sub-prompt;
# 6. run VSP in the tiny pipeline, through `pipe(synopsis=...)` and through the `enable_vstar`
#    hook that diffusers UNets use, and measure from the pixels whether the colours follow the
#    synopsis.
#
# **Sources.** Video synopsis prompting (sub-prompts written by an LLM, ChatGPT in the paper;
# keyframes spread evenly over the video; linear interpolation of the text embeddings, or the
# "same" alternative; the unconditional embedding shared by all frames) is from VSTAR:
# *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper, Zhang and
# Khoreva, ICLR 2025). Its supplement, section G.2 (*Qualitative results of our VSTAR*), shows
# VSP on prompts such as "A young boy becomes an old man, and turns into a young girl", "A day at
# the beach from dawn till dusk, bird's-eye view" and "A caterpillar transforming into a
# butterfly". The 8-bit keyframe limit is a property of the authors' public reference
# implementation (built on VideoCrafter2). The tiny pipeline's text encoder uses the classes of
# CLIP (Radford et al., *Learning Transferable Visual Models From Natural Language Supervision*,
# ICML 2021), as ModelScope and VideoCrafter2 do. Every sub-prompt in this notebook and in
# `data/synopses.json` was written for this course, not taken from the paper; the tiny pipeline,
# its world and its read-out are this library's own (notebooks 05-08, `data/tiny_model/README.md`).

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
import tempfile
import time
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from einops import einsum, rearrange
from IPython.display import display
from vstar_lite import VSTARPipeline
from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.paths import data_path
from vstar_lite.tiny.evaluate import synopsis_quarter_scores
from vstar_lite.tiny.measure import bootstrap_interval, frame_letters
from vstar_lite.tiny.parts import WORDS
from vstar_lite.tiny.world import parse_caption
from vstar_lite.utils import check_predictions, fmt_interval, notebook_setup
from vstar_lite.viz import frame_strip, show_video, video_grid
from vstar_lite.vsp import (
    SYNOPSIS_INSTRUCTION,
    Synopsis,
    default_keyframes,
    interpolate_embeddings,
    load_synopses,
    save_synopses,
    write_synopsis,
)
from vstar_lite.widgets import explore

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
torch.set_grad_enabled(False)  # nothing is trained in this notebook
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")


def fmt(value: float, digits: int = 3) -> str:
    """A rounded number that never prints as -0.000."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


# %% [markdown]
# ## 1. One prompt has no "when"
#
# Recall from notebook 03 where the text enters a video model: in spatial cross-attention, each
# frame's pixels are queries, and the keys and values come from the text embedding `C`. With one
# prompt per video, `C` has the layout `b L D` (77 x 1024 for VideoCrafter2, the model VSTAR was
# built on) and is repeated for every frame. Whatever the sentence says, all `f` frames receive
# identical keys and values, so the only thing that can make frame 40 differ from frame 0 is the
# starting noise and what temporal attention passes between frames. The prompt cannot.
#
# Notebook 03 also showed that the layer accepts one embedding per frame, `(b f) L D`, at no extra
# cost, because frames are separate batch entries of the spatial view. VSP fills those rows:
#
# 1. **Synopsis.** A language model turns the prompt into `N` sub-prompts, the key visual states
#    in order ("a closed green bud", "a bud whose petals start to part", ..., "a fully open
#    flower"): typically 3 to 5, at most about 9.
# 2. **Encoding.** The model's own text encoder encodes each sub-prompt: `E_0, ..., E_{N-1}`, each
#    `L x D`.
# 3. **Interpolation.** Sub-prompt `n` is pinned to keyframe `k_n`; every other frame gets a linear
#    blend of the two sub-prompts around it. The result, `F x L x D`, replaces the conditional text
#    of every frame. The unconditional (empty prompt) embedding of classifier-free guidance stays
#    the same for every frame.
#
# Nothing is trained: the synopsis only reorganises text the model can already read. Sections 2
# and 3 cover steps 1 and 3 with no model at all; section 4 adds the tiny model's text encoder.
#
# ## 2. Writing a synopsis
#
# ### Shipped synopses
#
# `data/synopses.json` holds synopses for the tiny model's world (names starting with `tiny_`,
# written in the 17 words that model knows) and for prompts of the paper, written for this course.
# `load_synopses()` reads them into `Synopsis` objects: a prompt, its sub-prompts in order and,
# optionally, keyframes.

# %%
synopses = load_synopses()  # {name: Synopsis}, from data/synopses.json
print(f"{'name':<24}{'N':>3}  prompt")
for name, synopsis in synopses.items():
    print(f"{name:<24}{len(synopsis.sub_prompts):>3}  {synopsis.prompt}")

for name in ("peony_blooms", "tiny_red_to_blue"):
    print(f"\n{name}: {synopses[name].prompt!r}")
    for n, sub_prompt in enumerate(synopses[name].sub_prompts):
        print(f"  E_{n}: {sub_prompt}")

# %% [markdown]
# Three habits make a synopsis work, and all follow from how it is used:
#
# - **Each state is a complete image description.** It is encoded on its own, so "then it turns
#   purple" would give an embedding that knows nothing about a circle. Every state repeats the
#   subject and the setting.
# - **Neighbouring states differ only in what changes.** Frames between two keyframes get a blend
#   of two embeddings; if the two sentences also differ in wording, camera or background, the blend
#   mixes those as well.
# - **The states are ordered and roughly evenly spaced in time**, because the default keyframes
#   are spread evenly over the video.
#
# ### A synopsis by hand
#
# A `Synopsis` can be written directly. The optional `keyframes` place the states yourself: here
# the green shape turns yellow within the first four frames, and then the light goes out slowly over
# the rest of the video. Keyframes belong to one video length, so `keyframes_for(num_frames)`
# checks them against that length (a `ValueError` says what is wrong, section 3 shows one);
# without keyframes it returns the default spacing for any length. `save_synopses` writes the
# same JSON format as the shipped file.

# %%
lights_out = Synopsis(
    prompt="a bar moving up turns from green to yellow, then the light goes out",
    sub_prompts=(
        "a green bar moves up on a light background",
        "a yellow bar moves up on a light background",
        "a yellow bar moves up on a dark background",
    ),
    keyframes=(0, 4, 15),
)
print("keyframes for 16 frames:", lights_out.keyframes_for(16))

with tempfile.TemporaryDirectory() as folder:
    path = save_synopses({"lights_out": lights_out}, Path(folder) / "my_synopses.json")
    print("\nsaved JSON:\n" + path.read_text(encoding="utf-8"))
    assert load_synopses(path) == {"lights_out": lights_out}  # a lossless round trip

# %% [markdown]
# ### Asking a language model
#
# The paper asks ChatGPT. `write_synopsis(language_model, prompt)` works with anything that takes
# a string and returns a string: a function around an API client, a local model, or a stand-in.
# It fills `SYNOPSIS_INSTRUCTION` with the prompt and the allowed number of states, passes it to
# the callable, and parses the answer, which must be a numbered list. This is the text the
# language model receives:

# %%
print(SYNOPSIS_INSTRUCTION.format(
    prompt="A young boy becomes an old man, and turns into a young girl",
    min_states=2, max_states=5,
))  # fmt: skip

# %% [markdown]
# Nothing in this notebook uses the network. The stand-in below is a plain Python function that
# returns a prepared answer for each prompt it knows, chatty first line included, as a real
# model might write it, and records what it was asked. A real model plugs in the same way, e.g.
# `write_synopsis(lambda text: my_client.complete(text), prompt)`.

# %%
PREPARED_ANSWERS = {
    "A young boy becomes an old man, and turns into a young girl": (
        "Here is the synopsis:\n"
        "1. Portrait of a smiling young boy with short brown hair, plain grey backdrop\n"
        "2. Portrait of a middle-aged man with short greying hair, plain grey backdrop\n"
        "3. Portrait of an old man with white hair and a deeply lined face, plain grey backdrop\n"
        "4. Portrait of a smiling young girl with long brown hair, plain grey backdrop\n"
    ),
    "a circle moving down turns from yellow to green": (
        "1. a yellow circle moves down on a light background\n"
        "2. a green circle moves down on a light background\n"
    ),
}
asked = []  # every instruction the stand-in received


def stand_in_llm(instruction: str) -> str:
    """A text-in, text-out "language model" that answers from PREPARED_ANSWERS, offline."""
    asked.append(instruction)
    prompt = instruction.split("Prompt: ", 1)[1].split("\n", 1)[0]
    return PREPARED_ANSWERS[prompt]


for prompt in PREPARED_ANSWERS:
    synopsis = write_synopsis(stand_in_llm, prompt)
    print(f"{synopsis.prompt!r}: {len(synopsis.sub_prompts)} states")
    for n, state in enumerate(synopsis.sub_prompts):
        print(f"  {n}. {state}")
print(f"the stand-in was asked {len(asked)} times; the chatty first line was ignored")

# %% [markdown]
# Language models do not always follow instructions. `write_synopsis` checks the form of the
# answer (a string, a list numbered 1, 2, 3, ... without gaps, between `min_states` and
# `max_states` states) and raises a `ValueError` that quotes the answer, instead of passing a
# malformed synopsis on to a sampling run that takes minutes; `tests/test_vsp.py` tries the usual
# mistakes. The form is all `write_synopsis` can check. Whether every word is one the text encoder
# knows is for the encoder to say (section 4), and whether the states are good ones is for a
# person to judge: read a synopsis before spending GPU time on it.
#
# ## 3. From sub-prompts to one embedding per frame
#
# ### Keyframes and blend weights by hand
#
# With `N` sub-prompts and `F` frames, VSTAR pins sub-prompt `n` to the keyframe
#
# $$k_n = \left\lfloor \frac{n\,(F - 1)}{N - 1} \right\rfloor, \qquad n = 0, \dots, N - 1,$$
#
# so the first sub-prompt sits on frame 0, the last on frame `F - 1`, and the others are spread
# evenly in between. A frame `f` with $k_n \le f \le k_{n+1}$ gets
#
# $$E(f) = (1 - \beta)\,E_n + \beta\,E_{n+1}, \qquad \beta = \frac{f - k_n}{k_{n+1} - k_n},$$
#
# where $\beta$ runs from 0 at $k_n$ to 1 at $k_{n+1}$. Each keyframe therefore gets its sub-prompt
# exactly, and every frame is a weighted sum $E(f) = \sum_n w_{f,n} E_n$ whose weights are zero
# except for two neighbours and add up to 1. For `N = 3` sub-prompts and `F = 9` frames:

# %%
N, F = 3, 9
keyframes = [n * (F - 1) // (N - 1) for n in range(N)]  # k_n = floor(n (F - 1) / (N - 1))
print(f"N = {N} sub-prompts, F = {F} frames: keyframes {keyframes}\n")
print(f"{'frame f':>7}{'n':>4}{'k_n':>5}{'k_n+1':>7}{'beta':>7}   weights w_f (E_0, E_1, E_2)")
hand_weights = torch.zeros(F, N, dtype=torch.float64)  # "F N": E(f) = sum_n w[f, n] E_n
for f in range(F):
    n = min(max(i for i in range(N) if keyframes[i] <= f), N - 2)  # the segment holding f
    beta = (f - keyframes[n]) / (keyframes[n + 1] - keyframes[n])
    hand_weights[f, n], hand_weights[f, n + 1] = 1 - beta, beta
    weights = ", ".join(f"{w:.2f}" for w in hand_weights[f].tolist())
    print(f"{f:>7}{n:>4}{keyframes[n]:>5}{keyframes[n + 1]:>7}{beta:>7.2f}   ({weights})")

# %% [markdown]
# Frame 4 sits on a keyframe and belongs to two segments: at the end of the first ($\beta = 1$)
# and at the start of the second ($\beta = 0$). Both give $E_1$; the table uses the second.
#
# Now the library. `interpolate_embeddings(embeddings, num_frames)` takes the sub-prompt
# embeddings `"N L D"` and returns `"F L D"`. Because the interpolation is linear, the library can
# also tell us its weights: feed it the `N` unit vectors $e_n$ as "embeddings" (`L = 1`, `D = N`),
# and frame `f` comes back as $\sum_n w_{f,n} e_n = w_f$.

# %%
unit_vectors = rearrange(torch.eye(N), "n d -> n 1 d")  # "N L D" with L = 1, D = N: E_n = e_n
library_weights = interpolate_embeddings(unit_vectors, F)[:, 0]  # "F N": row f is w_f
torch.testing.assert_close(library_weights.double(), hand_weights)
print(f"default_keyframes({N}, {F}) = {default_keyframes(N, F)}; weights agree with the table")

E = torch.randn(N, 4, 5, generator=torch.Generator().manual_seed(SEED))  # "N L D", made-up text
per_frame = interpolate_embeddings(E, F)  # "F L D"
by_hand = einsum(hand_weights.float(), E, "f n, n l d -> f l d")  # sum_n w[f, n] E_n
torch.testing.assert_close(per_frame, by_hand)
assert all(torch.equal(per_frame[k], E[n]) for n, k in enumerate(keyframes))
print(f"embeddings {tuple(E.shape)} (N L D) -> {tuple(per_frame.shape)} (F L D); keyframes exact")

# %% [markdown]
# The floor in $k_n$ matters when `N - 1` does not divide `F - 1`: the segments then differ in
# length by a frame. At the tiny model's 16 frames, the middle keyframe is frame 7, so the first
# segment spans 7 frames and the second 8:

# %%
for n_sub, n_frames in [(3, 9), (3, 16), (4, 16), (5, 16), (3, 64), (9, 64)]:
    keys = default_keyframes(n_sub, n_frames)
    lengths = [b - a for a, b in zip(keys, keys[1:])]
    print(f"N = {n_sub}, F = {n_frames:>2}: keyframes {str(keys):<36} segment lengths {lengths}")

# %% [markdown]
# ### The "same" mode
#
# The reference implementation has a second mode, `mode="same"`: no blending, every frame takes
# the embedding of the last keyframe at or before it, so the text switches abruptly at each
# keyframe. Notice what that does to the last sub-prompt: its keyframe is the last frame, so in
# "same" mode it is the text of exactly one frame.

# %%
same_weights = interpolate_embeddings(unit_vectors, F, mode="same")[:, 0]  # "F N"
print(f"{'frame f':>7}   {'linear (E_0, E_1, E_2)':<24}same (E_0, E_1, E_2)")
for f in range(F):
    linear = ", ".join(f"{w:.2f}" for w in library_weights[f].tolist())
    same = ", ".join(f"{w:.0f}" for w in same_weights[f].tolist())
    print(f"{f:>7}   ({linear}){'':<6}({same})")

# %% [markdown]
# ### Choosing keyframes, and the lists that make no sense
#
# A synopsis may set its own keyframes, for instance to let the first change happen early. They
# must name one frame per sub-prompt, as plain integers, start at frame 0, end at the last frame
# `F - 1` and increase strictly; more sub-prompts than frames cannot be placed at all, and the
# mode is `"linear"` or `"same"`. `interpolate_embeddings` refuses anything else with a
# `ValueError` that names the rule (its docstring and `tests/test_vsp.py` list them all). A list
# that follows the rules:

# %%
early = interpolate_embeddings(unit_vectors, F, keyframes=[0, 2, 8])[:, 0]  # "F N"
print("keyframes [0, 2, 8]: weight of E_1 per frame:",
      [round(w, 2) for w in early[:, 1].tolist()])  # fmt: skip

# %% [markdown]
# ### Past 127 frames: keyframes in 8-bit integers
#
# The authors' reference implementation keeps keyframe indices in 8-bit integers. That is plenty
# for 16 frames, and it breaks for long videos, exactly the videos VSTAR is for. An unsigned 8-bit
# integer holds 0 to 255 and wraps around modulo 256, silently. In $n\,(F - 1)$ the last term is
# $(N - 1)(F - 1)$, which passes 255 for `N = 3` as soon as `F - 1 > 127`, i.e. from 129 frames
# on, and earlier with more sub-prompts. The same formula in `torch.uint8` arithmetic, next to the
# library's plain Python integers:

# %%
print(f"{'N':>3}{'F':>5}   {'8-bit keyframes':<26}library keyframes")
for n_sub, n_frames in [(3, 16), (3, 128), (3, 129), (3, 200), (3, 256), (5, 64), (5, 100)]:
    n = torch.arange(n_sub, dtype=torch.uint8)
    keys_8bit = (n * (n_frames - 1)) // (n_sub - 1)  # uint8 throughout: wraps modulo 256
    keys = default_keyframes(n_sub, n_frames)
    row = f"{n_sub:>3}{n_frames:>5}   {str(keys_8bit.tolist()):<26}{keys}"
    print(row if keys_8bit.tolist() == keys else f"{row:<58}<- wrong")
print("\na signed 8-bit index cannot even hold frame 128: 127 + 1 =",
      (torch.tensor([127], dtype=torch.int8) + 1).item())  # fmt: skip

# %% [markdown]
# At 200 frames the wrapped keyframes are `[0, 99, 71]`: the last sub-prompt would land on frame
# 71 instead of 199, and the frames after it would have no keyframe to blend towards. Here such a
# list is refused with a message, and the correct keyframes work at any length:

# %%
try:
    interpolate_embeddings(E, 200, keyframes=[0, 99, 71])
except ValueError as error:
    print(f"keyframes [0, 99, 71] for 200 frames -> ValueError: {error}")
long_video = interpolate_embeddings(E, 200)  # "200 L D", keyframes [0, 99, 199]
assert all(torch.equal(long_video[k], E[n]) for n, k in enumerate(default_keyframes(3, 200)))
print(f"200 frames: {tuple(long_video.shape)} (F L D), sub-prompts exact on frames "
      f"{default_keyframes(3, 200)}")  # fmt: skip


# %% [markdown]
# ## 4. Per-frame embeddings of the tiny pipeline
#
# Now real embeddings. The tiny pipeline of notebook 07 (`data/tiny_model/modelscope/`) reads its
# text the way ModelScope and VideoCrafter2 do, with a CLIP tokenizer and a CLIP text encoder:
# diffusers' pipeline parts `pipe.tokenizer` (a `CLIPTokenizer` whose merges turn each of the
# world's 17 words into one token, `vstar_lite/tiny/parts.py`) and `pipe.text_encoder` (a 2-layer
# `CLIPTextModel`, pretrained on the captions and then frozen, `data/tiny_model/README.md`).
# `pipe.encode_prompt` gives `"b L D"` with `L = 16`
# token positions and `D = 64`. It knows only the words of its world, and `"turns from red to
# blue"` is not among them. That makes it a clean test of VSP: the model cannot be *told* about a
# change in one sentence, but it can read every state of the change.

# %%
pipe = VSTARPipeline.from_pretrained("tiny", device="cpu")  # data/tiny_model/modelscope
tokenizer = pipe.tokenizer
red_to_blue = synopses["tiny_red_to_blue"]
unknown = [word for word in red_to_blue.prompt.split() if word not in WORDS]
print(f"the tiny pipeline knows {len(WORDS)} words: {' '.join(WORDS)}")
print(f"prompt {red_to_blue.prompt!r}\n  words it does not know: {unknown}")
print(f"  what byte-pair encoding makes of 'turns': {tokenizer.tokenize('turns')}")

# %% [markdown]
# An unknown word does not become an "unknown" token: byte-pair encoding splits it into characters
# the model never saw in a caption, silently. `pipe.encode_prompt` therefore checks every prompt
# for the tiny pipeline and refuses one with an unknown word, with a `ValueError` that names it.
# The same check catches a language model that ignores the vocabulary: `write_synopsis` accepts
# "a crimson circle ..." (the answer has the right form), the text encoder does not.
#
# The shipped synopsis uses only known words. Its three sub-prompts, as token ids (start token 0,
# one id per word, then the end token 1, which also pads to 16 positions), and the cosine
# similarity of red's and blue's encoded embedding, position by position:

# %%
NUM_FRAMES = 16  # the tiny pipeline's training length
ids = tokenizer(
    list(red_to_blue.sub_prompts),
    padding="max_length",
    truncation=True,
    max_length=tokenizer.model_max_length,
    return_tensors="pt",
).input_ids  # "N L"
sub_embeddings = pipe.encode_prompt(list(red_to_blue.sub_prompts))  # "N L D"
cosine_per_token = torch.nn.functional.cosine_similarity(
    sub_embeddings[0], sub_embeddings[-1], dim=-1
)  # "L": red vs blue, token by token
print(f"token ids (N L): {tuple(ids.shape)}; sub-prompt embeddings (N L D): "
      f"{tuple(sub_embeddings.shape)}")  # fmt: skip
print(f"{'position':>8}  {'token of E_0':<17}{'id E_0':>7}{'id E_1':>7}{'id E_2':>7}"
      f"{'cos(E_0, E_2)':>15}")  # fmt: skip
for position, token in enumerate(tokenizer.convert_ids_to_tokens(ids[0].tolist())):
    row_ids = "".join(f"{int(i):>7}" for i in ids[:, position])
    print(f"{position:>8}  {token:<17}{row_ids}{fmt(cosine_per_token[position]):>15}")

# %% [markdown]
# The ids differ at one position only, 2, the colour. CLIP's text encoder is *causal*: each
# position attends to itself and the positions before it, never after. So positions 0 and 1 are
# identical in all three sub-prompts (cosine exactly 1), and the colour changes every later
# position, the padding included (the cross-attention reads all 16 rows). In a large CLIP encoder
# one word among many changes the later positions less; in this small one the colour is most of
# what there is to say.
#
# Interpolating gives one `16 x 64` embedding per frame. To see how each frame's text relates to
# the three states, measure the cosine similarity of frame `f`'s embedding to each sub-prompt's
# embedding: rows are sub-prompts, columns frames. The left panel compares whole embeddings (all
# `16 x 64` numbers, what the cross-attention reads); after the causal encoder the colour has
# reached every position from 2 on, so the whole embeddings of different colours lie far apart
# too. The right panel compares only the colour token (position 2), where the word itself
# differs. Each panel has its own colour scale, from its lowest value to 1; white dots mark the
# keyframes.

# %%
COLOUR_TOKEN = 2  # "<start> a <colour> circle ...": the token that changes


def similarity(frames: torch.Tensor, subs: torch.Tensor, token: int | None = None) -> torch.Tensor:
    """Cosine similarity of each frame's embedding ("F L D") to each sub-prompt's ("N L D"): "N F".

    ``token`` compares that token position only; ``None`` compares whole embeddings.
    """
    if token is not None:
        frames, subs = frames[:, token], subs[:, token]  # "F D", "N D"
    frames, subs = frames.flatten(1), subs.flatten(1)  # "F (L D)", "N (L D)"
    return torch.nn.functional.cosine_similarity(subs[:, None], frames[None], dim=-1)


def colour_of(sub_prompt: str) -> str:
    return parse_caption(sub_prompt)["colour"]


def draw_similarity(ax, values: torch.Tensor, keys: list[int], labels: list[str], title: str):
    """A "N F" similarity heatmap with the keyframes marked."""
    image = ax.imshow(values, cmap="viridis", aspect="auto", interpolation="nearest",
                      vmin=float(values.min()), vmax=1.0)  # fmt: skip
    for n, k in enumerate(keys):
        ax.plot(k, n, marker="o", color="white", markersize=5)  # sub-prompt n on keyframe k_n
    ax.set(yticks=range(len(labels)), yticklabels=labels, xlabel="frame f", title=title)
    ax.set_xticks(range(0, values.shape[1], 3))
    ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.02)


keys_16 = red_to_blue.keyframes_for(NUM_FRAMES)  # default: [0, 7, 15]
frame_embeddings = interpolate_embeddings(sub_embeddings, NUM_FRAMES, keys_16)  # "F L D"
labels = [f"E_{n}: {colour_of(s)}" for n, s in enumerate(red_to_blue.sub_prompts)]
whole = similarity(frame_embeddings, sub_embeddings)  # "N F"
colour = similarity(frame_embeddings, sub_embeddings, token=COLOUR_TOKEN)  # "N F"
fig, axes = plt.subplots(1, 2, figsize=(11, 2.6), layout="constrained")
draw_similarity(axes[0], whole, keys_16, labels, "whole embedding (16 x 64)")
draw_similarity(axes[1], colour, keys_16, labels, f"colour token (position {COLOUR_TOKEN})")
fig.suptitle(f"cosine similarity of each frame's text to each sub-prompt (keyframes {keys_16})")
plt.show()

print(f"{'frame':>5}" + "".join(f"{'whole ' + label[:3]:>11}" for label in labels)
      + "".join(f"{'token ' + label[:3]:>11}" for label in labels))  # fmt: skip
for f in (0, 3, 7, 11, 15):
    print(f"{f:>5}" + "".join(f"{fmt(v):>11}" for v in whole[:, f])
          + "".join(f"{fmt(v):>11}" for v in colour[:, f]))  # fmt: skip

# %% [markdown]
# Each row peaks at its own keyframe (value 1: the frame *is* that sub-prompt) and falls off
# linearly in embedding space, which is not linearly in cosine. A blended frame is also a
# vector no sentence encodes to: mixing two vectors that point in different directions shortens
# it. The colour token's length per frame shows the dip between keyframes (the encoder's final
# LayerNorm gives every encoded token a similar length):

# %%
lengths = frame_embeddings[:, COLOUR_TOKEN].norm(dim=-1)  # "F"
print("length of the colour token per frame:", " ".join(fmt(v, 1) for v in lengths))

# %% [markdown]
# How a model reacts to such in-between text is an empirical question: it was never trained on
# one. Real text encoders have the same property, and the paper's results (supplement G.2) show
# large models turning blended text into gradual changes.
#
# ## 5. Explore the keyframes
#
# Move the middle keyframe and switch between the linear and "same" mode. The left panel shows the
# weight of each sub-prompt in every frame (computed from the library with the unit-vector trick
# of section 3), the right panel the colour-token similarity of section 4. Try a keyframe near
# either end, and "same" mode, where the last sub-prompt owns one frame. (The widgets need a
# running kernel; the figure below is for the start values.)

# %%
THREE_STATE = {name: s for name, s in synopses.items()
               if name.startswith("tiny_") and len(s.sub_prompts) == 3}  # fmt: skip
SUB_EMBEDDINGS = {name: pipe.encode_prompt(list(s.sub_prompts)) for name, s in THREE_STATE.items()}
LINE_COLOURS = {"yellow": "goldenrod"}  # matplotlib's "yellow" is hard to see on white


def plot_keyframes(name: str, middle: int, mode: str) -> None:
    synopsis, subs = THREE_STATE[name], SUB_EMBEDDINGS[name]
    keys = [0, middle, NUM_FRAMES - 1]
    units = rearrange(torch.eye(3), "n d -> n 1 d")  # E_n = e_n: the output is the weights
    weights = interpolate_embeddings(units, NUM_FRAMES, keys, mode)[:, 0]  # "F N"
    frames = interpolate_embeddings(subs, NUM_FRAMES, keys, mode)  # "F L D"
    colours = [colour_of(s) for s in synopsis.sub_prompts]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 2.9), layout="constrained")
    for n, colour_name in enumerate(colours):
        left.plot(weights[:, n], marker=".", label=f"E_{n}: {colour_name}",
                  color=LINE_COLOURS.get(colour_name, colour_name))  # fmt: skip
    for k in keys:
        left.axvline(k, color="grey", linewidth=0.8, linestyle=":")
    left.set(xlabel="frame f", ylabel="weight w_f,n", ylim=(-0.05, 1.05),
             title=f"blend weights, {mode} mode")  # fmt: skip
    left.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    labels = [f"E_{n}: {c}" for n, c in enumerate(colours)]
    similarities = similarity(frames, subs, token=COLOUR_TOKEN)  # "N F"
    draw_similarity(right, similarities, keys, labels, "colour-token similarity")
    fig.suptitle(f"{name}: keyframes {keys}", fontsize=11)


explore(
    plot_keyframes,
    "blend weights and colour-token similarity for a chosen middle keyframe and mode",
    name=widgets.Dropdown(
        options=list(THREE_STATE), value="tiny_red_to_blue", description="synopsis"
    ),
    middle=widgets.IntSlider(
        value=keys_16[1], min=1, max=NUM_FRAMES - 2, description="k_1", continuous_update=False
    ),
    mode=widgets.ToggleButtons(options=["linear", "same"], value="linear", description="mode"),
)

# %% [markdown]
# ## 6. The synopsis playing out
#
# Now the tiny pipeline samples. `pipe(prompt, ...)` conditions every frame on one prompt;
# `pipe(synopsis=..., ...)` encodes the sub-prompts, interpolates them exactly as above
# (`keyframes_for`, then `interpolate_embeddings` in linear mode) and gives frame `f` the text
# `E(f)`, while the unconditional half of classifier-free guidance keeps the empty prompt's
# embedding for every frame, as in the paper.
#
# Which single prompt to compare with? The tiny language has no words for a change, so the best
# one sentence can do is name one state; we use the first, `"a red circle moves right on a dark
# background"`. The rule, fixed before looking at any video: 16 frames, **seeds 0 and 1**, the
# single prompt and the synopsis once per seed. The starting noise depends on the seed only, so
# the two conditions of a seed start from the same noise: one pipeline call per condition and
# seed, each a batch of one video.

# %%
SEEDS = (0, 1)
single_prompt = red_to_blue.sub_prompts[0]
started = time.perf_counter()
videos = {  # "b 3 f h w", one video per seed, values in [-1, 1]
    "single prompt": torch.cat([pipe(single_prompt, num_frames=NUM_FRAMES, seed=seed,
                                     progress=False).videos for seed in SEEDS]),
    "VSP": torch.cat([pipe(synopsis=red_to_blue, num_frames=NUM_FRAMES, seed=seed,
                           progress=False).videos for seed in SEEDS]),
}  # fmt: skip
print(f"single prompt: {single_prompt!r}")
print(f"synopsis: {' -> '.join(colour_of(s) for s in red_to_blue.sub_prompts)}, "
      f"keyframes {keys_16}; {len(SEEDS)} seeds x {len(videos)} conditions, "
      f"videos {tuple(videos['VSP'].shape)} (b 3 f h w) each")  # fmt: skip
print(f"sampling wall time: {time.perf_counter() - started:.1f} s")

# %% [markdown]
# The four videos: rows are seeds 0 and 1, the left column the single prompt, the right column
# VSP; below, the frame strips of seed 0. What to look for: with the single prompt the circle
# should stay red; with VSP it should start red, pass through purple around frame 7 and end blue.
# It should remain *one* circle moving right throughout: the shape, direction and background
# words are the same in every sub-prompt, and the temporal layers tie the frames together.

# %%
print(f"rows: seeds {SEEDS}; columns: " + ", ".join(videos))
grid = torch.stack([videos[name][s] for s in range(len(SEEDS)) for name in videos])
display(show_video(video_grid(grid, columns=len(videos)), fps=6, scale=3, value_range=(-1, 1)))
for name, video in videos.items():
    frame_strip(video[0], title=f"{name}, seed {SEEDS[0]}", frame_size=0.75, value_range=(-1, 1))
    plt.show()

# %% [markdown]
# Looking is not measuring. The read-out of notebook 05 (`read_frames` in
# `vstar_lite/tiny/measure.py`) finds the shape in every frame by its saturation, names its
# colour by the nearest hue of the world's five colours and its shape by how well it fills its
# bounding box. One letter per frame: the colour's initial (**r**ed, **p**urple, **b**lue,
# **y**ellow, **g**reen), lower case for a circle and upper case for a bar, `.` where no
# shape is found. The last line is the sub-prompt with the largest weight in each frame, a rough
# guide to what the linear synopsis asks for (in-between frames ask for blends).


# %%
def asks(synopsis: Synopsis, keys: list[int], mode: str = "linear") -> str:
    """The letter of the sub-prompt with the largest weight in each frame."""
    units = rearrange(torch.eye(len(keys)), "n d -> n 1 d")  # the unit-vector trick of section 3
    nearest = interpolate_embeddings(units, NUM_FRAMES, keys, mode)[:, 0].argmax(dim=-1)  # "F"
    wanted = [parse_caption(synopsis.sub_prompts[n]) for n in nearest.tolist()]
    return "".join(w["colour"][0].upper() if w["shape"] == "bar" else w["colour"][0]
                   for w in wanted)  # fmt: skip


print(f"{'':<15}" + "   ".join(f"{'seed ' + str(seed):<{NUM_FRAMES}}" for seed in SEEDS))
for name, clips in videos.items():
    print(f"{name:<15}" + "   ".join(frame_letters(video[None])[0] for video in clips))
print(f"{'synopsis asks':<15}" + "   ".join([asks(red_to_blue, keys_16)] * len(SEEDS)))

# %% [markdown]
# Two numbers summarize a video against the synopsis (`synopsis_quarter_scores` in
# `vstar_lite/tiny/evaluate.py`): the fraction of its first quarter of frames (0-3) that are
# *correct* for the first sub-prompt (colour, shape and background all right), and the fraction of
# its last quarter (12-15) correct for the last one. The single prompt is scored against the same
# synopsis: it was never asked for blue, so a model that follows its text gives it a high first
# and a zero last quarter, and VSP high values in both. Per seed, then the mean with its 95%
# bootstrap interval over the two videos:

# %%
print(f"{'condition':<15}{'':<10}{'first quarter (red)':>22}{'last quarter (blue)':>22}")
for name, clips in videos.items():
    quarters = synopsis_quarter_scores(clips, red_to_blue)  # {"first": [...], "last": [...]}
    for seed, first, last in zip(SEEDS, quarters["first"], quarters["last"]):
        print(f"{name:<15}{f'seed {seed}':<10}{fmt(first, 2):>22}{fmt(last, 2):>22}")
    print(f"{name:<15}{'mean':<10}{fmt_interval(bootstrap_interval(quarters['first'])):>22}"
          f"{fmt_interval(bootstrap_interval(quarters['last'])):>22}")  # fmt: skip

# %% [markdown]
# Two videos per condition are an anecdote: with two values an interval is as wide as their
# spread. The recorded report (`data/tiny_model/modelscope/report.json`, key `"vsp"`, written by
# `tools/evaluate_pipeline.py`) has the same measurement for the three tiny-world synopses with
# more seeds:

# %%
report = json.loads(data_path("tiny_model", "modelscope", "report.json").read_text())
print(f"report: {report['vsp_seeds']} videos (seeds) per synopsis and condition")
print(f"{'condition':<48}{'synopsis':<20}{'first quarter':>20}{'last quarter':>20}")
for condition, by_synopsis in report["vsp"].items():
    if condition.startswith(f"{NUM_FRAMES} frames"):
        for name, quarters in by_synopsis.items():
            print(f"{condition:<48}{name:<20}{fmt_interval(quarters['first']):>20}"
                  f"{fmt_interval(quarters['last']):>20}")  # fmt: skip

# %% [markdown]
# **What the numbers show.** In the letter lines the single prompt reads red in every frame where
# the read-out finds the circle; it loses it (`.`) in frames 10-11 with seed 0 and frame 4 with
# seed 1, and never reads another colour. VSP reads red, then purple, then blue in both seeds, and
# finds the circle in all 32 frames: `rrrrppppppppbbbb` for seed 0 and `rrrpppppppppbbbb` for seed
# 1. Purple starts at frame 4 (seed 0) and frame 3 (seed 1); the synopsis asks for it from frame
# 4. Blue starts at frame 12 in both seeds, where the synopsis asks for it. So in these two videos
# VSP moves the colour from red to blue over frames in which the single prompt stays red.
#
# No frame of the two quarters is lost, so here "correct" comes down to the colour. Of VSP's
# quarter frames, only one misses its sub-prompt: frame 3 with seed 1 reads purple, where the
# blend, $\beta = 3/7$ towards purple, still gives red the larger weight. That is why VSP scores
# 0.75 in the first quarter with seed 1.
#
# Live, 2 videos per condition, means with 95% intervals:
#
# - single prompt: first quarter 1.00 [1.00, 1.00], last quarter 0.00 [0.00, 0.00];
# - VSP: first quarter 0.88 [0.75, 1.00], last quarter 1.00 [1.00, 1.00].
#
# In the first quarter the intervals overlap: a difference is not shown. In the last quarter they
# do not overlap, but these are two videos only.
#
# The report, 6 videos (seeds) per condition, for `tiny_red_to_blue`:
#
# - single prompt (`"16 frames, first sub-prompt"`): first quarter 1.00 [1.00, 1.00], last quarter
#   0.00 [0.00, 0.00];
# - VSP (`"16 frames"`): first quarter 0.83 [0.75, 0.92], last quarter 0.88 [0.62, 1.00].
#
# Here neither pair of intervals overlaps. In these 6 videos VSP's last quarter is correct for the
# blue sub-prompt in 0.88 of the frames, the single prompt's in none. VSP's first quarter is
# correct for red in fewer frames than the single prompt's (0.83 against 1.00): the score compares
# with the red sub-prompt alone, while frames 1-3 already blend in some purple (seed 1 above shows
# one such frame turning purple early). The other two synopses in the table show the same
# pattern, first and last quarter: `tiny_traffic_light` 0.67 [0.58, 0.75] and 0.92 [0.83, 1.00],
# `tiny_dusk` 0.62 [0.42, 0.83] and 1.00 [1.00, 1.00], against 0.92 to 1.00 and 0.00 for the
# first sub-prompt alone. With TAR added (`"VSP + TAR"` rows) neither quarter is shown to change:
# first quarters 0.83, 0.62 and 0.71, last quarters 0.96, 0.92 and 1.00, every interval
# overlapping that of VSP alone.
#
# ### The same thing through the hook: `enable_vstar`
#
# A diffusers text-to-video pipeline knows nothing of per-frame text: it encodes one prompt,
# builds the guidance batch `[unconditional; conditional]` and calls the UNet. `pipe(synopsis=...)`
# therefore does not change the sampling loop; it changes the UNet, with `enable_vstar(unet,
# frame_embeddings=...)` from `vstar_lite/diffusers_hooks.py` (the practitioners' path of notebook
# 13). That installs a processor in every spatial cross-attention (`attn2` of the spatial
# transformers, the only place the text is read) that keeps the unconditional half of the text
# rows and replaces the conditional half with `"(b f) L D"` per-frame embeddings. Wrapped around
# a plain single-prompt call, with the per-frame embeddings of section 4, the prompt is only a
# placeholder for the conditional half, and the result must equal the synopsis video of seed 0.
# The hook also makes modes possible that `pipe(synopsis=...)` does not offer, such as "same":

# %%
processors_before = dict(pipe.unet.attn_processors)
with enable_vstar(pipe.unet, frame_embeddings=frame_embeddings):  # "F L D", linear, keys_16
    hooked = pipe(single_prompt, num_frames=NUM_FRAMES, seed=SEEDS[0], progress=False).videos
difference = (hooked - videos["VSP"][:1]).abs().max().item()
print(f"hook around pipe(single prompt) vs pipe(synopsis=...), seed {SEEDS[0]}: "
      f"max |difference| < 1e-5: {difference < 1e-5}")  # fmt: skip
restored = all(pipe.unet.attn_processors[name] is processor
               for name, processor in processors_before.items())  # fmt: skip
print("after the with block the UNet has its own processors again:", restored)

same_embeddings = interpolate_embeddings(sub_embeddings, NUM_FRAMES, keys_16, mode="same")
with enable_vstar(pipe.unet, frame_embeddings=same_embeddings):
    same_video = pipe(single_prompt, num_frames=NUM_FRAMES, seed=SEEDS[0], progress=False).videos
print(f"\nseed {SEEDS[0]}{'':<10}read out{'':<10}asked for")
print(
    f"{'VSP, linear':<16}{frame_letters(videos['VSP'][0][None])[0]}  {asks(red_to_blue, keys_16)}"
)
print(
    f"{'VSP, same':<16}{frame_letters(same_video[0][None])[0]}  {asks(red_to_blue, keys_16, 'same')}"
)

# %% [markdown]
# In "same" mode the colour turns purple at frame 7, where the middle sub-prompt takes over, three
# frames later than the linear blend, as asked. Only frame 15 is told blue, and in this video the
# read-out finds no shape in that frame (`.`), so one seed does not show whether a single frame of
# blue text is drawn blue.
#
# The per-frame text enters only through spatial cross-attention, so VSP combines freely with TAR
# (notebook 10), which changes only temporal attention: `pipe(synopsis=..., tar=TARConfig(...))`
# turns on both, as notebook 12 does.
#
# ## Exercise: the embedding of one frame, by hand
#
# Write `frame_embedding(sub_embeddings, keyframes, frame, mode)`, the text embedding `"L D"` of
# a single frame `frame`, given the sub-prompt embeddings `"N L D"` and their keyframes. Find the
# segment $k_n \le f < k_{n+1}$ that holds the frame (the last frame gets $E_{N-1}$), compute
# $\beta = (f - k_n)/(k_{n+1} - k_n)$ and return $(1 - \beta) E_n + \beta E_{n+1}$; in `"same"`
# mode return $E_n$. Use plain Python integers for the keyframes. The check compares your frames
# with `interpolate_embeddings` for three keyframe lists in both modes, on the tiny pipeline's
# embeddings of `tiny_red_to_blue`, and at 200 frames, past the 8-bit limit.


# %%
def frame_embedding(
    sub_embeddings: torch.Tensor, keyframes: list[int], frame: int, mode: str = "linear"
) -> torch.Tensor:
    """VSP: the embedding "L D" of frame ``frame`` from sub-prompt embeddings "N L D"."""
    ### BEGIN SOLUTION
    last = len(keyframes) - 1
    if frame >= keyframes[last]:
        return sub_embeddings[last]
    n = max(i for i in range(last) if keyframes[i] <= frame)  # k_n <= frame < k_{n+1}
    beta = (frame - keyframes[n]) / (keyframes[n + 1] - keyframes[n])
    if mode == "same":
        beta = 0.0
    return (1 - beta) * sub_embeddings[n] + beta * sub_embeddings[n + 1]
    ### END SOLUTION


# %%
checked = 0
for keys in ([0, 7, 15], [0, 2, 15], [0, 13, 15]):
    for mode in ("linear", "same"):
        expected = interpolate_embeddings(sub_embeddings, NUM_FRAMES, keys, mode)  # "F L D"
        for f in range(NUM_FRAMES):
            got = frame_embedding(sub_embeddings, keys, f, mode)
            assert got.shape == expected[f].shape, f"expected shape {tuple(expected[f].shape)}"
            torch.testing.assert_close(got, expected[f], msg=f"keyframes {keys}, {mode}, f={f}")
            checked += 1
assert torch.equal(frame_embedding(sub_embeddings, [0, 7, 15], 7), sub_embeddings[1])
keys_200 = default_keyframes(3, 200)  # [0, 99, 199]
expected = interpolate_embeddings(sub_embeddings, 200)
for f in (0, 50, 99, 150, 198, 199):
    torch.testing.assert_close(frame_embedding(sub_embeddings, keys_200, f), expected[f])
    checked += 1
print(f"exercise passed: {checked} frame embeddings agree with interpolate_embeddings")

# %% [markdown]
# ## Exercise: predict, then check
#
# Each item changes one thing and names one number to watch. Predict whether that number goes
# `"up"`, `"down"` or stays the `"same"`, before you compute anything; sections 3 and 4 have all
# you need. Items 4 and 5 use the tiny pipeline's embeddings of `tiny_red_to_blue` (keyframes
# `[0, 7, 15]`, linear mode).
#
# 1. `"middle keyframe earlier"`: the weight of `E_1` in frame 5, keyframes `[0, 7, 15]` against
#    `[0, 3, 15]`;
# 2. `"linear to same"`: the weight of `E_0` in frame 3, keyframes `[0, 7, 15]`, linear mode
#    against "same" mode;
# 3. `"longer video, same mode"`: the number of frames whose text is exactly the last
#    sub-prompt in "same" mode with three sub-prompts, 16 frames against 64;
# 4. `"away from the keyframe"`: the colour-token cosine similarity of frame `f`'s embedding to
#    `E_0`, frame 0 against frame 5;
# 5. `"between two keyframes"`: the length of the colour token's embedding, frame 7 (a keyframe)
#    against frame 11 (half-way to the next);
# 6. `"one frame more, 8 bits"`: the last keyframe computed in `torch.uint8` for three
#    sub-prompts, 128 frames against 129.
#
# Fill in `predict()`; the check computes every pair ("same" means a change under 1e-6) and
# prints the numbers beside your answers.


# %%
def predict() -> dict[str, str]:
    """Your predictions: item name -> "up", "down" or "same"."""
    ### BEGIN SOLUTION
    return {
        "middle keyframe earlier": "up",
        "linear to same": "up",
        "longer video, same mode": "same",
        "away from the keyframe": "down",
        "between two keyframes": "down",
        "one frame more, 8 bits": "down",
    }
    ### END SOLUTION


# %%
def weights(num_frames: int, keys: list[int], mode: str = "linear") -> torch.Tensor:
    """ "F N" blend weights, by the unit-vector trick of section 3."""
    units = rearrange(torch.eye(len(keys)), "n d -> n 1 d")
    return interpolate_embeddings(units, num_frames, keys, mode)[:, 0]


def last_keyframe_8bit(n_sub: int, n_frames: int) -> int:
    n = torch.tensor(n_sub - 1, dtype=torch.uint8)
    return int((n * (n_frames - 1)) // (n_sub - 1))  # uint8 throughout: wraps modulo 256


colour_cosine = similarity(frame_embeddings, sub_embeddings, token=COLOUR_TOKEN)  # "N F"
items = {  # name -> (number before, number after)
    "middle keyframe earlier": (weights(16, [0, 7, 15])[5, 1], weights(16, [0, 3, 15])[5, 1]),
    "linear to same": (weights(16, [0, 7, 15])[3, 0], weights(16, [0, 7, 15], "same")[3, 0]),
    "longer video, same mode": (
        (weights(16, default_keyframes(3, 16), "same")[:, 2] == 1).sum(),
        (weights(64, default_keyframes(3, 64), "same")[:, 2] == 1).sum()),
    "away from the keyframe": (colour_cosine[0, 0], colour_cosine[0, 5]),
    "between two keyframes": (frame_embeddings[7, COLOUR_TOKEN].norm(),
                              frame_embeddings[11, COLOUR_TOKEN].norm()),
    "one frame more, 8 bits": (last_keyframe_8bit(3, 128), last_keyframe_8bit(3, 129)),
}  # fmt: skip
check_predictions(items, predict(), digits=2)
print("exercise passed: all six predictions agree with the numbers")

# %% [markdown]
# Item 5 is the geometric fact of section 4 in one number: the midpoint of two vectors of equal
# length is shorter than both unless they point the same way, so the text of an in-between frame
# is weaker, not only different. Item 6 is why this library keeps keyframes in plain integers.
#
# ## Recap
#
# - One prompt gives every frame the same text embedding, so the prompt cannot say *when*
#   anything happens. VSP rewrites it as a synopsis: `N` sub-prompts, each a complete description
#   of one visual state, in order, differing only in what changes.
# - `write_synopsis` asks any `str -> str` language model for a synopsis and checks the form of
#   its answer; the text encoder checks the words; a person checks the content.
# - Sub-prompt `n` sits on keyframe $k_n = \lfloor n (F-1)/(N-1) \rfloor$ (or on keyframes you
#   choose: starting at 0, ending at `F - 1`, strictly increasing, `N <= F`). Frames in between
#   get $(1-\beta) E_n + \beta E_{n+1}$; "same" mode holds $E_n$ until the next keyframe, so the
#   last sub-prompt owns only the last frame.
# - Keyframes computed in 8-bit integers wrap around from 129 frames on with 3 sub-prompts (sooner
#   with more); plain integers have no such limit.
# - The tiny pipeline reads text as CLIP does: one token per word, a causal encoder, `"b L D"`
#   with `L = 16`. A blended frame's text is a vector no sentence encodes to, and shorter.
# - The per-frame text `"F L D"` replaces only the conditional text of spatial cross-attention;
#   the unconditional embedding is shared by all frames. `pipe(synopsis=...)` does this through
#   `enable_vstar(unet, frame_embeddings=...)`, which works on any diffusers video UNet.
# - Whether the video follows the synopsis is measured, not assumed: the read-out of each frame
#   against the state the synopsis asks for, quarter by quarter, with intervals over seeds.
#
# **Next:** notebook 12 puts TAR and VSP together on the tiny pipeline, for longer and more
# dynamic videos.
