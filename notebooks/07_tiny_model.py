# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · The tiny model: autoencoder, text encoder and a `UNet3DConditionModel`
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vstar-lite/vstar-lite/blob/main/notebooks/student/07_tiny_model.ipynb) (exercises to solve) · [solutions and outputs](https://github.com/vstar-lite/vstar-lite/blob/main/notebooks/07_tiny_model.ipynb)
#
# Notebook 06 used the tiny model as a black box that predicts clean latents from noisy ones.
# This notebook opens it. It is built from the same diffusers and transformers classes as
# ModelScope's text-to-video model: an `AutoencoderKL` for the latent space, a `CLIPTokenizer`
# and `CLIPTextModel` for the prompt, a `UNet3DConditionModel` as the denoiser and a
# `DDIMScheduler` as the sampler. The shipped weights are an ordinary diffusers pipeline folder,
# `data/tiny_model/modelscope/`, so `VSTARPipeline.from_pretrained("tiny")` loads it with the same
# code that loads the real models of notebook 14. You will find each layer of notebook 04's SS-T
# block again, under diffusers' names, and see which of them let one frame reach another.
#
# **Learning goals.** After this notebook you can
# 1. follow a clip into the latent space of a learned `AutoencoderKL`, `"b 3 f 32 32" ->
#    "b 8 f 8 8"`, and measure with the read-out of notebook 05 what its decoder loses;
# 2. tokenize a prompt with a `CLIPTokenizer` over 17 words, encode it to `"b L D"`, and say why
#    the text encoder was trained before the UNet;
# 3. find each layer of notebook 04's SS-T block in diffusers' `UNet3DConditionModel`, show that
#    its temporal attention has no frame positions, and compare the ModelScope and SCVideo
#    layouts by which input frames can change which output frames.
#
# **Sources.** Latent diffusion and the `AutoencoderKL` are from Rombach, Blattmann, Lorenz, Esser
# and Ommer, *High-Resolution Image Synthesis with Latent Diffusion Models* (CVPR 2022). The
# denoiser's architecture is ModelScope's: Wang et al., *ModelScope Text-to-Video Technical
# Report* (2023); VideoCrafter2 (Chen et al., *VideoCrafter2: Overcoming Data Limitations for
# High-Quality Video Diffusion Models*, CVPR 2024) shares its temporal mechanism. The text
# encoder is CLIP's (Radford et al., *Learning Transferable Visual Models From Natural Language
# Supervision*, ICML 2021). The SS-T block and sparse causal attention are from the appendix
# *Details of SCVideo* of an anonymous submission under review; the models VSTAR works on are
# those of *Generative Temporal Nursing for Longer Dynamic Video Synthesis* (Li, Beluch, Keuper,
# Zhang and Khoreva, ICLR 2025). The model's sizes and the layouts are this library's own
# choices.

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

import matplotlib.pyplot as plt
import torch
from diffusers.utils import logging as diffusers_logging
from einops import reduce
from transformers.utils import logging as transformers_logging
from vstar_lite.diffusers_hooks import SparseCausalProcessor
from vstar_lite.paths import data_path
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.evaluate import autoencoder_agreement, reconstruct
from vstar_lite.tiny.measure import read_frames
from vstar_lite.tiny.parts import LAYOUTS, WORDS, apply_layout, build_unet
from vstar_lite.tiny.training import encode_videos
from vstar_lite.tiny.world import SHAPES, caption, sample_clips
from vstar_lite.utils import notebook_setup, wrap_items
from vstar_lite.viz import frame_rows

for library in (diffusers_logging, transformers_logging):  # loading messages would go to stderr
    library.set_verbosity_error()
    library.disable_progress_bar()

SEED = 0
device = notebook_setup(SEED)  # seeds everything, PNG figures
print(f"seed {SEED}; device available: {device} (this notebook runs on the CPU)")
clips = sample_clips(8, num_frames=16, seed=SEED)  # the eight real clips of notebook 05's first GIF
print(f"real clips (b c f h w): {tuple(clips.videos.shape)}")

# %% [markdown]
# ## The pipeline folder
#
# The shipped model is a diffusers pipeline folder. `model_index.json` names the class of each
# part, and `vstar_lite.json` holds what diffusers' configs cannot say: the layout of the
# frame attention (section 3) and the sampling settings.

# %%
folder = data_path("tiny_model", "modelscope")
index = json.loads((folder / "model_index.json").read_text())
print(f"{folder.name}/model_index.json: pipeline class {index['_class_name']}")
for part, (package, name) in ((k, v) for k, v in index.items() if not k.startswith("_")):
    print(f"  {part:<13} {package}.{name}")
print(f"{folder.name}/vstar_lite.json: {json.loads((folder / 'vstar_lite.json').read_text())}")

pipe = VSTARPipeline.from_pretrained("tiny")  # the folder above, offline; float32 on the CPU
for part in ("text_encoder", "vae", "unet"):
    module = getattr(pipe, part)
    print(f"{part:<13} {type(module).__name__:<22}"
          f"{sum(p.numel() for p in module.parameters()):>10,} parameters")  # fmt: skip

# %% [markdown]
# ## 1. The latent space: a learned `AutoencoderKL`
#
# Latent diffusion (Rombach et al., 2022) denoises in the latent space of an autoencoder trained
# beforehand, so that the expensive model works on fewer, more meaningful numbers. ModelScope and
# VideoCrafter2 reuse Stable Diffusion's image autoencoder, which maps a `3 x 512 x 512` frame to
# `4 x 64 x 64` latents; the tiny one maps a `3 x 32 x 32` frame to `8 x 8 x 8` (a factor 4 per
# side, 3,072 numbers to 512). It is an *image* autoencoder: each frame is encoded on its own,
# so the latents of a clip hold no information about the other frames, and everything temporal
# is the denoiser's job. `encode_videos` folds the frames into the batch, takes the posterior
# mean, and multiplies by the `scaling_factor` that gives the latents unit variance (Stable
# Diffusion's 0.18215 plays the same role).

# %%
vae = pipe.vae
latents = encode_videos(vae, clips.videos)  # "b 3 f 32 32" -> "b 8 f 8 8", scaled
print(f"videos  (b c f h w): {tuple(clips.videos.shape)}")
print(f"latents (b c f h w): {tuple(latents.shape)}, scaling_factor "
      f"{vae.config.scaling_factor:.4f}, std of the scaled latents "
      f"{latents.std():.3f}")  # fmt: skip
print(f"numbers per frame: {3 * 32 * 32} pixels -> {8 * 8 * 8} latent values")

frames = [0, 5, 10, 15]
pair = [clips.params.shape.index(shape) for shape in SHAPES]  # the first circle, first bar
decoded = reconstruct(vae, clips.videos[pair])  # encode, decode, clamp: "b 3 f 32 32"
rows = {}
for i, clip in enumerate(pair):
    rows[f"clip {clip}"] = clips.videos[clip]
    rows[f"clip {clip} decoded"] = decoded[i]
frame_rows(rows, frames, title="real frames and their reconstruction by the autoencoder")
plt.show()
for i, clip in enumerate(pair):
    before, after = read_frames(clips.videos[clip : clip + 1]), read_frames(decoded[i : i + 1])
    print(f"clip {clip} ({clips.captions[clip]}), frames {frames}:")
    print(f"  aspect original {[round(before.aspect[0, f].item(), 2) for f in frames]}, "
          f"decoded {[round(after.aspect[0, f].item(), 2) for f in frames]}")  # fmt: skip

fig, axes = plt.subplots(1, 9, figsize=(9, 1.4), layout="constrained")
axes[0].imshow(((clips.videos[0, :, 0].permute(1, 2, 0) + 1) / 2).clamp(0, 1),
               interpolation="none")  # fmt: skip
axes[0].set_title("frame 0", fontsize=8)
for channel, ax in enumerate(axes[1:]):
    ax.imshow(latents[0, channel, 0], cmap="RdBu_r", vmin=-3, vmax=3, interpolation="none")
    ax.set_title(f"latent ch. {channel}", fontsize=8)
for ax in axes:
    ax.set(xticks=[], yticks=[])
plt.show()

# %% [markdown]
# The pictures show what the decoder gives back; the read-out says whether it gives back what
# the scores need. `autoencoder_agreement` decodes real clips and counts the frames whose
# read-out agrees with that of the originals (found, colour, shape, background; position and
# size within half a pixel; per clip the direction score), with the reconstruction error. It runs
# here on 16 clips to stay fast; `data/tiny_model/modelscope/report.md` gives it on 96. Every
# score of a generated video inherits these errors: a shape the decoder cannot draw, the
# denoiser cannot draw either.

# %%
agreement = autoencoder_agreement(vae, clips=16)  # 16 real clips x 16 frames, decoded
print("fraction of frames of decoded real clips whose read-out agrees with the original")
for name in ("found", "colour", "shape", "background", "position", "size"):
    print(f"  {name:<12}{agreement[name]:>7.3f}")
print(f"  {'direction':<12}{agreement['direction']:>7.3f}  (fraction of clips, same score)")
print(f"reconstruction: mse {agreement['mse']:.4f}, PSNR {agreement['psnr_db']:.1f} dB on [-1, 1]")

# %% [markdown]
# On these 16 decoded real clips the read-out keeps found, colour, shape, background and position in
# every frame (1.000 each), and every clip keeps its direction score (1.000). Size is the one it
# loses: 0.957 of the frames keep their size within half a pixel, so 0.043 do not. The
# reconstruction error is mse 0.0018, PSNR 33.4 dB. A sampled video is decoded by the same decoder,
# so these losses are a lower bound on its own: it cannot be expected to keep more than these
# fractions. With 16 clips these are single measurements, and no interval is claimed.
#
# **Why this recipe.** The autoencoder was trained as stage 1, before the denoiser, on single
# frames of the world (`vstar_lite/tiny/training.py`, `train_autoencoder`). The loss is L1 plus
# MSE, weighted `1 + shape_weight` times on and next to the shape (11 times in the presets of
# notebook 08), plus a very small KL term. With MSE on all pixels, the grey background, about 90%
# of every frame, dominates the loss: the shapes come out blurred and their size and proportions
# drift. L1 keeps edges sharper
# than MSE, and the weight makes the shape's outline matter as much as it does to the read-out.
# Training decodes the posterior *mean*, because that is all the diffusion model ever sees. The
# variants that led to this recipe, and what each one measured, are in
# `data/tiny_model/autoencoder_recipes.md`.
#
# ## 2. The text encoder: `CLIPTokenizer` and `CLIPTextModel`
#
# ModelScope and VideoCrafter2 read the prompt with a pretrained OpenCLIP text encoder (CLIP,
# Radford et al., 2021): 77 tokens of 1,024 dimensions each, which every cross-attention of the
# UNet reads (notebook 03); the encoder stays frozen while the video model trains. The tiny model
# uses the same two transformers classes: a `CLIPTokenizer` whose byte-pair merges turn each of
# the world's 17 words into one token (`vstar_lite/tiny/parts.py`, `build_tokenizer`), and a
# `CLIPTextModel` of 2 layers, width 64 and 16 positions. Its output keeps CLIP's layout,
# `"b L D"`: one vector per token position.
#
# There is no pretrained CLIP for this world, so training starts with a **stage 0**
# (`pretrain_text_encoder` in `vstar_lite/tiny/training.py`, 8 seconds): one linear head per
# caption attribute reads every token after the last caption word and learns to name the
# colour, shape, direction and background, and the encoder learns with them. Then it is frozen,
# as ModelScope's is. Without stage 0, an encoder trained together with the UNet learns the
# colour, the word that changes the most pixels, and *removes* the shape and direction words
# from its output (the measurement is in `data/tiny_model/recipe_ab.md`). The cell after the
# next one measures what the shipped encoder keeps.

# %%
tokenizer = pipe.tokenizer
prompt = caption("red", "circle", "right", "dark")


def token_ids(text: str) -> list[int]:
    """Token ids of one prompt, padded to the tokenizer's 16 positions."""
    return tokenizer(text, padding="max_length", max_length=tokenizer.model_max_length,
                     truncation=True).input_ids  # fmt: skip


print(f"vocabulary: {len(tokenizer)} tokens, {tokenizer.model_max_length} positions")
one_token = {word: tokenizer(word, add_special_tokens=False).input_ids for word in WORDS}
assert all(len(ids) == 1 for ids in one_token.values()), "every world word is one token"
print("each of the 17 words is one token:",
      " ".join(f"{word}={ids[0]}" for word, ids in one_token.items()))  # fmt: skip
print(f"\nprompt {prompt!r}")
print(f"  ids    {token_ids(prompt)}")
print(f"  tokens {tokenizer.convert_ids_to_tokens(token_ids(prompt))[:11]} + padding")
print(f"empty prompt '': {token_ids('')}")
embedding = pipe.encode_prompt([prompt, ""])  # "b L D"
print(f"\nencode_prompt([prompt, '']) (b L D): {tuple(embedding.shape)}")

# %% [markdown]
# Id 0 starts every prompt and id 1 (`<|endoftext|>`) ends it and pads it to 16 positions. The
# empty prompt is start, end and padding: "no text". During training 10% of the captions are
# replaced by `""` (`DenoiserConfig.caption_dropout`), so the model also learns to denoise
# without a caption, and classifier-free guidance (notebook 06) compares the two predictions. The
# embedding of `""` is not zero: its tokens get position embeddings and pass through both
# layers like any others.
#
# A word outside the 17 does not become an "unknown" token: byte-pair encoding splits it into
# characters the model never saw in a caption, silently. The pipeline therefore checks the
# words of every prompt for the tiny model and refuses the prompt with a message that names the
# word:

# %%
unknown = "a pink circle moves right on a dark background"
print(f"what the tokenizer alone makes of 'pink': "
      f"{tokenizer.tokenize('pink')}")  # fmt: skip
try:
    pipe.encode_prompt([unknown])
except ValueError as error:
    print(f"ValueError: {error}")

# %% [markdown]
# **What the encoder tells apart.** For the example prompt and four prompts that each change one
# word, the distance between their encoder outputs (all 16 token vectors; each has norm about 8,
# the scale of CLIP's final layer norm). A word whose distance is small cannot steer the UNet,
# however well the UNet reads the text.

# %%
swaps = {"colour": ("red", "blue"), "shape": ("circle", "bar"), "direction": ("right", "left"),
         "background": ("dark", "light")}  # fmt: skip
with torch.no_grad():
    base = pipe.encode_prompt([prompt])[0]  # "L D"
    for attribute, (old, new) in swaps.items():
        changed = pipe.encode_prompt([prompt.replace(f" {old} ", f" {new} ")])[0]
        print(f"{attribute:<11}{old} -> {new}: distance {(changed - base).norm():5.1f}")

# %% [markdown]
# ## 3. The denoiser: ModelScope's `UNet3DConditionModel`
#
# The denoiser is diffusers' `UNet3DConditionModel`, the class of ModelScope's 1.7-billion
# parameter model, at two levels instead of four: cross-attention blocks at `8 x 8`, ResNets and
# temporal convolutions only at `4 x 4`, where the middle block adds one more attention pair (as
# in ModelScope, the lowest level has attention only in the middle block). Its blocks, and what
# each holds:

# %%
unet = pipe.unet
print(f"{type(unet).__name__}: in {unet.config.in_channels} channels, widths "
      f"{tuple(unet.config.block_out_channels)}, sample {unet.config.sample_size} x "
      f"{unet.config.sample_size}")  # fmt: skip
print(f"  transformer_in  {type(unet.transformer_in).__name__} (right after conv_in)")
for part in ("down_blocks", "mid_block", "up_blocks"):
    blocks = getattr(unet, part)
    for i, block in enumerate(blocks if isinstance(blocks, torch.nn.ModuleList) else [blocks]):
        inner = [f"{name} {len(children)} x {type(children[0]).__name__}"
                 for name, children in block.named_children()
                 if isinstance(children, torch.nn.ModuleList)]  # fmt: skip
        label = part if part == "mid_block" else f"{part}.{i}"
        print(f"  {label:<15} {type(block).__name__}")
        print(wrap_items(inner, indent=18))


def kind_of(name: str) -> str:
    """The kind of layer a UNet parameter belongs to, from its name."""
    parts = name.split(".")
    if parts[0] == "transformer_in" or "temp_attentions" in parts:
        return "temporal attention (TransformerTemporalModel)"
    if "temp_convs" in parts:
        return "temporal convolution (TemporalConvLayer)"
    if "attentions" in parts and "attn1" in parts:
        return "spatial self-attention (attn1)"
    if "attentions" in parts and "attn2" in parts:
        return "cross-attention (attn2)"
    if "attentions" in parts:
        return "spatial transformer: norms, feed-forward, projections"
    if "resnets" in parts:
        return "ResNet blocks (ResnetBlock2D)"
    return "conv_in/out, time embedding, down/upsampling"


counts: dict[str, int] = {}
for name, parameter in unet.named_parameters():
    counts[kind_of(name)] = counts.get(kind_of(name), 0) + parameter.numel()
total = sum(counts.values())
print(f"\n{'parameters by kind of layer':<52}{'count':>10}{'share':>8}")
for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
    print(f"{kind:<52}{count:>10,}{count / total:>8.1%}")
print(f"{'total':<52}{total:>10,}")

# %% [markdown]
# **Notebook 04's SS-T block, in diffusers' names.** Every layer of the block has its counterpart;
# diffusers groups them by kind inside each `...Block3D` rather than by block, and runs them in
# the order resnet, temporal convolution, spatial transformer, temporal transformer:
#
# | SS-T block (notebook 04) | diffusers module | path under `down_blocks.0` |
# |---|---|---|
# | conv2D, with the timestep | `ResnetBlock2D` | `resnets.0` |
# | conv3D, kernel 3 over frames | `TemporalConvLayer`, 4 `Conv3d` | `temp_convs.0` |
# | spatial self-attention (Eq. 1) | `attn1` in a `Transformer2DModel` | `attentions.0` |
# | sparse causal attention (Eq. 2) | that `attn1` with a `SparseCausalProcessor` | `attentions.0` |
# | cross-attention (Eq. 3) | `attn2` in the same `Transformer2DModel` | `attentions.0` |
# | temporal attentions (Eq. 4) | `attn1`, `attn2` of a temporal transformer | `temp_attentions.0` |
# | (none) | one more temporal transformer, after `conv_in` | `transformer_in` (top level) |
#
# A temporal transformer is a `TransformerTemporalModel`. Inside each transformer, spatial or
# temporal, the attentions sit in `transformer_blocks.0`, a `BasicTransformerBlock`
# (`down_blocks.0.attentions.0.transformer_blocks.0.attn1`, for instance). Each `Conv3d` of a
# `TemporalConvLayer` has kernel `(3, 1, 1)`: three frames, one pixel; the last one starts at
# zero, so that a fresh layer is the identity, as notebook 04's conv3D was. In the temporal
# transformer both `attn1` and `attn2` are self-attention over frames (no text reaches them).
#
# What differs from notebook 04 is in the temporal attention: there, frame positions were added
# to its tokens. ModelScope's and VideoCrafter2's temporal attention has **no frame positions**
# (`UNet3DConditionModel` builds its `TransformerTemporalModel`s with
# `positional_embeddings=None`). Attention compares contents only, so permuting the frames of its
# input can only permute its output. The temporal convolution, with its kernel over neighbouring
# frames, is where frame order enters. A check on the trained model's own layers, with random
# features `"(b f) c h w"` of 8 frames:

# %%
block = unet.down_blocks[0]
features = torch.randn(8, 32, 8, 8, generator=torch.Generator().manual_seed(1))  # "(b f) c h w"
order = torch.randperm(8, generator=torch.Generator().manual_seed(2))  # a shuffle of the frames
layers = {
    "transformer_in": lambda x: unet.transformer_in(x, num_frames=8).sample,
    "temp_attentions.0": lambda x: block.temp_attentions[0](x, num_frames=8).sample,
    "temp_convs.0": lambda x: block.temp_convs[0](x, num_frames=8),
}
print(f"frame order {order.tolist()}")
print(f"{'layer':<20}{'max |layer(shuffled) - shuffled(layer)|':>42}")
with torch.no_grad():
    for name, layer in layers.items():
        gap = (layer(features[order]) - layer(features)[order]).abs().max()
        shown = "< 1e-5 (float rounding)" if gap < 1e-5 else f"{gap:.2f}"  # rounding varies by CPU
        print(f"{name:<20}{shown:>42}")
temporal_blocks = [m for m in unet.modules() if type(m).__name__ == "TransformerTemporalModel"]
print(f"frame positions in the {len(temporal_blocks)} temporal transformers: "
      f"{[b.transformer_blocks[0].pos_embed for b in temporal_blocks]}")  # fmt: skip

# %% [markdown]
# The two temporal transformers give the shuffled output of the shuffled input, up to float
# rounding; the temporal convolution does not. So this model knows the order of its frames only
# through what the convolutions (a window of three frames each) and the content put into the
# features. At four times the training length nothing in temporal attention is out of range;
# what changes is that each frame's softmax weights are shared among four times as many keys.
# VSTAR observes that in long videos these weights spread out and the maps lose their diagonal
# band; its remedy, TAR, adds the band back (notebooks 09-10). AnimateDiff's
# motion modules, by contrast, add sinusoidal frame positions from a table of 32 rows: beyond 32
# frames that model meets positions it never saw, a different failure.
#
# **Two layouts, one class.** Two of the names in `LAYOUTS` are ways of connecting frames in the
# same UNet (the third, `"animatediff"`, is another class, AnimateDiff's `UNetMotionModel`, which
# notebook 13 compares with this one):
#
# - **`"modelscope"`** (the shipped model): spatial self-attention within each frame; frames meet
#   only in the temporal convolutions and temporal attentions;
# - **`"scvideo"`**: SCVideo's sparse causal attention in place of spatial self-attention: frame
#   `i` attends to the tokens of the first frame and of frame `i - 1` (notebook 02), with the
#   layer's own weights. `apply_layout` installs a `SparseCausalProcessor` on every spatial
#   `attn1`; no weight changes, so both layouts have the same parameters.
#
# Which input frames can change which output frames? Change one input frame of random latents
# and record how much each output frame moves. We use a random UNet, so that the picture shows
# the architecture and not what training made of it; a freshly built one would hide a path (a
# fresh `TemporalConvLayer` ends in a zero convolution), so every weight is first moved a little,
# as training would. Then we switch temporal paths off, by zeroing the last layer
# of the branch each adds to its input: `proj_out` of every `TransformerTemporalModel`, the last
# `Conv3d` of every `TemporalConvLayer`.


# %%
def live_unet(layout: str) -> torch.nn.Module:
    """A random tiny UNet of ``layout`` with every weight moved from its start value."""
    torch.manual_seed(SEED)
    random_unet = build_unet().eval()
    with torch.no_grad():
        for parameter in random_unet.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return apply_layout(random_unet, layout)


def switch_off(model: torch.nn.Module, attention: bool, convolution: bool) -> torch.nn.Module:
    """Zero the residual branch of the temporal attentions and/or temporal convolutions."""
    with torch.no_grad():
        for module in model.modules():
            kind = type(module).__name__
            if attention and kind == "TransformerTemporalModel":
                module.proj_out.weight.zero_()
                module.proj_out.bias.zero_()
            if convolution and kind == "TemporalConvLayer":
                module.conv4[-1].weight.zero_()
                module.conv4[-1].bias.zero_()
    return model


def influence(model: torch.nn.Module, num_frames: int = 8) -> torch.Tensor:
    """``"f j"``: the largest change of output frame f when only input frame j changes.

    In float64: float32 rounding differs between the videos of a batch by about 1e-6 here, as
    much as the weakest real paths, and would draw paths that do not exist."""
    g, wide = torch.Generator().manual_seed(1), torch.float64
    model = model.to(wide)
    x = torch.randn(1, 8, num_frames, 8, 8, generator=g, dtype=wide)  # "b c f h w" latents
    batch = x.repeat(num_frames + 1, 1, 1, 1, 1)  # video 0 as it is, video j + 1: frame j changed
    for j in range(num_frames):
        batch[j + 1, :, j] += torch.randn(8, 8, 8, generator=g, dtype=wide)
    text = torch.randn(1, 16, 64, generator=g, dtype=wide).expand(num_frames + 1, -1, -1)
    with torch.no_grad():  # text: "b L D"
        out = model(batch, torch.tensor(500), encoder_hidden_states=text).sample
    return reduce((out[1:] - out[:1]).abs(), "j c f h w -> f j", "max")


conditions = {
    "all paths": dict(attention=False, convolution=False),
    "temporal attention off": dict(attention=True, convolution=False),
    "temporal conv off": dict(attention=False, convolution=True),
    "both off": dict(attention=True, convolution=True),
}
FRAME_LAYOUTS = [layout for layout in LAYOUTS if layout != "animatediff"]  # UNet3DConditionModel
maps = {(layout, name): influence(switch_off(live_unet(layout), **off))
        for layout in FRAME_LAYOUTS for name, off in conditions.items()}  # fmt: skip
processors = live_unet("scvideo").attn_processors.values()
print(f"scvideo layout: {sum(isinstance(p, SparseCausalProcessor) for p in processors)} of "
      f"{len(processors)} attention layers have a SparseCausalProcessor")  # fmt: skip
fig, axes = plt.subplots(2, 4, figsize=(9.5, 4.9), layout="constrained")
for (layout, name), ax in zip(maps, axes.flat):
    image = ax.imshow(maps[(layout, name)].clamp(min=1e-12).log10(), cmap="viridis", vmin=-12,
                      vmax=1, interpolation="none")  # fmt: skip
    ax.set(title=f"{layout}: {name}", xlabel="changed input frame j", ylabel="output frame")
    ax.title.set_fontsize(9)
fig.colorbar(image, ax=axes, label="log10 max |change| (-12: none)", shrink=0.8)
plt.show()
print("output frames that change (x) when only input frame 3 changes, both paths off:")
for layout in FRAME_LAYOUTS:
    column = maps[(layout, "both off")][:, 3] > 1e-12
    print(f"  {layout:<11}" + "".join(" x" if c else " ." for c in column))

# %% [markdown]
# Read each panel as a column per changed input frame. With all paths on, every frame reaches
# every other, in both layouts. The temporal convolution alone (temporal attention off) reaches
# far but fades with distance, a window of three frames stacked layer after layer (and its group
# norms, whose statistics are taken over the whole clip, leak a little everywhere). Temporal
# attention alone (temporal conv off) reaches every frame about equally: it has no notion of
# near and far. With both off, the ModelScope layout leaves every frame on its own, the
# diagonal: whatever a frame learns about the others comes through the temporal layers, which is
# where TAR acts. In the SCVideo layout sparse causal attention still carries a change *forward*
# in time: from the first frame to all frames, and from any other frame one frame further per
# attention layer, never backwards.

# %% [markdown]
# ## Exercise 1: the latent shape of any clip
#
# The autoencoder works frame by frame, and each of its down blocks after the first halves the
# height and width. Write `latent_shape(video_shape, vae)`: the `"b c f h w"` shape of the
# latents of a video of shape `video_shape`, from `vae.config` alone (its `latent_channels` and
# its `block_out_channels`, one entry per down block). The check encodes videos of two sizes and
# compares.


# %%
def latent_shape(video_shape: tuple[int, ...], vae: torch.nn.Module) -> tuple[int, ...]:
    """``"b 3 f h w"`` -> the shape ``"b c f h' w'"`` of its latents under ``vae``."""
    ### BEGIN SOLUTION
    b, _, f, h, w = video_shape
    factor = 2 ** (len(vae.config.block_out_channels) - 1)  # one halving per later down block
    return (b, vae.config.latent_channels, f, h // factor, w // factor)
    ### END SOLUTION


# %%
for shape in [(2, 3, 16, 32, 32), (1, 3, 5, 48, 64)]:
    with torch.no_grad():
        encoded = encode_videos(vae, torch.zeros(shape))
    assert tuple(latent_shape(shape, vae)) == tuple(encoded.shape), (
        f"video {shape}: you said {tuple(latent_shape(shape, vae))}, the autoencoder gives "
        f"{tuple(encoded.shape)}"
    )
    print(f"video {shape} -> latents {tuple(encoded.shape)}, as predicted")
print("exercise passed: frames stay frames; each frame shrinks by the same factor per side")

# %% [markdown]
# The frame axis passes through untouched: an image autoencoder neither merges nor drops frames,
# so a 64-frame video has 64 latent frames, and everything about time is left to the denoiser.
#
# ## Exercise 2: predict, then check (which frames a change reaches)
#
# Section 3 switched both temporal paths off and changed one input frame at a time. **Before you
# run the check**, predict for each case below which output frames (of 8) change: write the
# list of frame indices. Think about which frames each layout lets a frame attend to when no
# temporal layer is left.
#
# - `("scvideo", 0)`: SCVideo layout, input frame 0 changed;
# - `("scvideo", 7)`: SCVideo layout, input frame 7 (the last) changed;
# - `("modelscope", 0)`: ModelScope layout, input frame 0 changed.

# %%
### BEGIN SOLUTION
reached = {
    ("scvideo", 0): [0, 1, 2, 3, 4, 5, 6, 7],  # every frame attends to the first frame
    ("scvideo", 7): [7],  # no frame comes after the last, and attention looks back only
    ("modelscope", 0): [0],  # spatial attention stays within its frame
}
### END SOLUTION

# %%
wrong = []
for (layout, frame), said in reached.items():
    truth = [int(f) for f in (maps[(layout, "both off")][:, frame] > 1e-12).nonzero()]
    wrong += [f"{layout}, frame {frame}: {truth}"] if sorted(said) != truth else []
    print(f"{layout:<11} input frame {frame}: output frames {truth}; you said {sorted(said)}")
assert not wrong, f"look again at: {'; '.join(wrong)} (the true output frames)"
print("exercise passed: with no temporal layer, only sparse causal attention links frames, "
      "and only forward")  # fmt: skip

# %% [markdown]
# ## Recap
#
# - The model is a diffusers pipeline folder of ModelScope's classes: `AutoencoderKL` (`"3 32 32"
#   <-> "8 8 8"`, trained first, per frame), `CLIPTokenizer` + `CLIPTextModel` (`"b L D"`, 17
#   words, `""` as the unconditional prompt), `UNet3DConditionModel` and `DDIMScheduler`.
# - The decoder keeps what the read-out needs on real clips except, in a few frames, the size;
#   a generated video cannot be expected to keep more.
# - The text encoder was trained first (stage 0) and frozen, so that the shape and direction
#   words survive in its output.
# - Every layer of the SS-T block has a diffusers counterpart. Temporal attention carries no frame
#   positions and is permutation-equivariant over frames; the temporal convolutions are where
#   order enters. The SCVideo layout is the same class with sparse causal attention, which
#   carries information forward in time even without the temporal layers.
#
# **Next:** notebook 08 trains this model, samples it, and measures its videos against real
# clips.
