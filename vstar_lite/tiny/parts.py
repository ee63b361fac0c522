"""The tiny text-to-video model as diffusers and transformers components.

The tiny model is built from the same classes as ModelScope's text-to-video model, only smaller,
so that one pipeline folder (``model_index.json`` + one sub-folder per part, safetensors) loads
with the same ``from_pretrained`` code as the real model:

==============  ===========================  ==================================================
part            class                        tiny configuration
==============  ===========================  ==================================================
tokenizer       ``CLIPTokenizer``            one token per word of the world's 17-word grammar
text_encoder    ``CLIPTextModel``            2 layers, width 64, 16 positions
vae             ``AutoencoderKL``            ``"3 32 32" <-> "8 8 8"`` (a factor 4 per side)
unet            ``UNet3DConditionModel``     two levels (8 x 8 and 4 x 4), width (32, 64)
scheduler       ``DDIMScheduler``            Stable Diffusion's "scaled linear" betas
==============  ===========================  ==================================================

The UNet keeps the mechanism of ModelScope and VideoCrafter2 that VSTAR acts on: a temporal
convolution (kernel 3 over frames) after every ResNet, and temporal attention *without* frame
positions (plus one temporal transformer, ``transformer_in``, right after ``conv_in``). Temporal
attention therefore knows frame order only through what the convolutions and the content put into
its inputs. As in ModelScope, the lowest level has attention only in the middle block.

``LAYOUTS["scvideo"]`` is the same UNet class with SCVideo's sparse causal attention (each frame
attends to the first and the previous frame) in place of per-frame spatial self-attention; the
pipeline folder records it in ``vstar_lite.json`` and :func:`apply_layout` installs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    MotionAdapter,
    UNet2DConditionModel,
    UNet3DConditionModel,
    UNetMotionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from vstar_lite.tiny.recipes import LAYOUTS, PREDICTION_TYPES
from vstar_lite.tiny.world import BACKGROUNDS, COLOURS, DIRECTIONS, IMAGE_SIZE, SHAPES

__all__ = [
    "LATENT_CHANNELS",
    "LAYOUTS",
    "LAYOUT_FILE",
    "MAX_TOKENS",
    "MOTION_MAX_FRAMES",
    "SAMPLING",
    "PREDICTION_TYPES",
    "WORDS",
    "apply_layout",
    "build_autoencoder",
    "build_scheduler",
    "build_text_encoder",
    "build_tokenizer",
    "build_unet",
    "check_prompt",
    "read_layout",
    "split_motion_unet",
]

# Every word a caption of the world can use (tiny/world.py: "a red circle moves right on ...").
WORDS: tuple[str, ...] = (
    "a", "moves", "on", "background", *COLOURS, *SHAPES, *DIRECTIONS, *BACKGROUNDS,
)  # fmt: skip
MAX_TOKENS = 16  # start + 9 caption words + end, padded
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
LATENT_CHANNELS = 8
TEXT_DIM = 64
LAYOUT_FILE = "vstar_lite.json"  # what diffusers' configs cannot say: layout, sampling settings
# The tiny model's sampling settings: DDIM, 25 steps as the VSTAR paper; eta 0 (deterministic:
# a notebook's stored output is reproducible from its seed); guidance 4, the setting the recipes
# were scored at (data/tiny_model/recipe_ab.md).
SAMPLING = {"guidance": 4.0, "steps": 25, "eta": 0.0}


def _bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """Byte-pair encoding of one word as CLIP does it: merge the lowest-ranked pair, repeat."""
    pieces = list(word[:-1]) + [word[-1] + "</w>"]
    while len(pieces) > 1:
        pairs = [(ranks.get(pair, len(ranks)), i) for i, pair in enumerate(zip(pieces, pieces[1:]))]
        rank, i = min(pairs)
        if rank == len(ranks):
            break
        pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]
    return pieces


def build_tokenizer() -> CLIPTokenizer:
    """A ``CLIPTokenizer`` (byte-pair encoding, as in CLIP) whose merges turn every word of
    :data:`WORDS` into one token. Id 0 is ``<|startoftext|>``, 1 is ``<|endoftext|>`` (also the
    padding and the unknown token), then the words; the characters and partial words the merges
    pass through follow (they never come out of a caption).

    Merges are added word by word, each at the lowest priority, until the word is one token; a
    merge added last cannot change how an earlier word is split (it only applies when no other
    merge does, and an earlier word is whole by then).
    """
    vocab: dict[str, int] = {BOS: 0, EOS: 1}
    for word in WORDS:
        vocab.setdefault(word + "</w>", len(vocab))
    ranks: dict[tuple[str, str], int] = {}
    for word in WORDS:
        while len(pieces := _bpe(word, ranks)) > 1:
            left, right = pieces[0], pieces[1]
            ranks[(left, right)] = len(ranks)
            for piece in (left, right, left + right):
                vocab.setdefault(piece, len(vocab))
        vocab.setdefault(pieces[0], len(vocab))
    for word in WORDS:  # every character stays known, so an unknown word is visible as such
        for char in word:
            vocab.setdefault(char, len(vocab))
            vocab.setdefault(char + "</w>", len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=list(ranks), unk_token=EOS, pad_token=EOS)
    tokenizer.model_max_length = MAX_TOKENS
    return tokenizer


def check_prompt(prompt: str) -> None:
    """Raise ``ValueError`` naming the first word the tiny model does not know."""
    for word in prompt.lower().replace(",", " ").split():
        if word not in WORDS:
            raise ValueError(
                f"unknown word {word!r} in prompt {prompt!r}; the tiny model knows: "
                + " ".join(WORDS)
            )


def build_text_encoder(vocab_size: int) -> CLIPTextModel:
    """A 2-layer ``CLIPTextModel`` of width 64 (CLIP ViT-L's is 12 layers of width 768)."""
    config = CLIPTextConfig(
        vocab_size=vocab_size,
        hidden_size=TEXT_DIM,
        intermediate_size=2 * TEXT_DIM,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=MAX_TOKENS,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    return CLIPTextModel(config)


def build_autoencoder() -> AutoencoderKL:
    """An ``AutoencoderKL`` from 32 x 32 RGB frames to 8 x 8 x 8 latents (3 blocks: factor 4).

    ``scaling_factor`` is set after training, from the latents' standard deviation, so that the
    diffusion model sees latents of unit variance (Stable Diffusion's 0.18215 has the same role).
    """
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=LATENT_CHANNELS,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(32, 64, 64),
        layers_per_block=1,
        norm_num_groups=16,
        sample_size=IMAGE_SIZE,
        mid_block_add_attention=False,
    )


# AnimateDiff's motion modules add a sinusoidal position per frame, from a table of this many rows;
# the tiny model is trained on 16 frames and sampled at up to 128.
MOTION_MAX_FRAMES = 128


def build_unet(
    width: tuple[int, int] = (32, 64), layout: str = "modelscope"
) -> UNet3DConditionModel | UNetMotionModel:
    """ModelScope's ``UNet3DConditionModel`` at two levels: cross-attention blocks (spatial
    self-attention, text cross-attention, temporal attention) at 8 x 8, ResNets and temporal
    convolutions only at 4 x 4, where the middle block adds one more attention pair.

    ``layout="animatediff"``: AnimateDiff's ``UNetMotionModel`` at the same widths and levels: no
    temporal convolution; a motion module (temporal attention with sinusoidal frame positions,
    :data:`MOTION_MAX_FRAMES` of them) after every spatial block, at both levels."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if layout == "animatediff":
        return UNetMotionModel(
            sample_size=IMAGE_SIZE // 4,
            in_channels=LATENT_CHANNELS,
            out_channels=LATENT_CHANNELS,
            down_block_types=("CrossAttnDownBlockMotion", "DownBlockMotion"),
            up_block_types=("UpBlockMotion", "CrossAttnUpBlockMotion"),
            block_out_channels=tuple(width),
            layers_per_block=1,
            norm_num_groups=16,
            cross_attention_dim=TEXT_DIM,
            num_attention_heads=4,
            motion_num_attention_heads=4,
            motion_max_seq_length=MOTION_MAX_FRAMES,
        )
    return UNet3DConditionModel(
        sample_size=IMAGE_SIZE // 4,
        in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        block_out_channels=tuple(width),
        layers_per_block=1,
        norm_num_groups=16,
        cross_attention_dim=TEXT_DIM,
        attention_head_dim=4,  # UNet3DConditionModel reads this as the number of heads
    )


def split_motion_unet(unet: UNetMotionModel) -> tuple[UNet2DConditionModel, MotionAdapter]:
    """An AnimateDiff UNet as AnimateDiff ships it: the image UNet (``UNet2DConditionModel``)
    and the ``MotionAdapter`` that holds the motion modules. ``AnimateDiffPipeline`` (and
    ``UNetMotionModel.from_unet2d``) joins them again into the same network, weight for weight."""
    c = unet.config
    image_unet = UNet2DConditionModel(
        sample_size=c.sample_size,
        in_channels=c.in_channels,
        out_channels=c.out_channels,
        down_block_types=tuple(t.replace("Motion", "2D") for t in c.down_block_types),
        up_block_types=tuple(t.replace("Motion", "2D") for t in c.up_block_types),
        block_out_channels=c.block_out_channels,
        layers_per_block=c.layers_per_block,
        norm_num_groups=c.norm_num_groups,
        cross_attention_dim=c.cross_attention_dim,
        attention_head_dim=c.num_attention_heads,  # UNet2DConditionModel's name for the heads
    )
    adapter = MotionAdapter(
        block_out_channels=c.block_out_channels,
        motion_layers_per_block=c.layers_per_block,
        motion_num_attention_heads=c.motion_num_attention_heads,
        motion_norm_num_groups=c.norm_num_groups,
        motion_max_seq_length=c.motion_max_seq_length,
        use_motion_mid_block=c.use_motion_mid_block,
    )
    weights = unet.state_dict()
    for part, keep in ((image_unet, False), (adapter, True)):
        part.load_state_dict({k: v for k, v in weights.items() if ("motion_modules" in k) == keep})
    if unet.dtype != torch.float32:  # (a cast to the default dtype would only log a warning)
        image_unet, adapter = image_unet.to(unet.dtype), adapter.to(unet.dtype)
    return image_unet, adapter


SCHEDULER_CONFIG: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "clip_sample": False,
    "set_alpha_to_one": False,
    "timestep_spacing": "trailing",
}


def build_scheduler(prediction_type: str) -> DDIMScheduler:
    """DDIM with Stable Diffusion's (and ModelScope's) "scaled linear" betas."""
    if prediction_type not in PREDICTION_TYPES:
        raise ValueError(
            f"prediction_type must be one of {PREDICTION_TYPES}, got {prediction_type!r}"
        )
    return DDIMScheduler(**SCHEDULER_CONFIG, prediction_type=prediction_type)


def read_layout(folder: str | Path) -> str:
    """The layout recorded in a pipeline folder's ``vstar_lite.json`` (``"modelscope"`` if none)."""
    path = Path(folder) / LAYOUT_FILE
    if not path.is_file():
        return "modelscope"
    layout = json.loads(path.read_text()).get("layout", "modelscope")
    if layout not in LAYOUTS:
        raise ValueError(f"{path}: layout must be one of {LAYOUTS}, got {layout!r}")
    return layout


def apply_layout(unet: UNet3DConditionModel, layout: str) -> UNet3DConditionModel:
    """Install the frame attention of ``layout`` on ``unet`` (in place); returns ``unet``."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if layout == "scvideo":
        from vstar_lite.diffusers_hooks import set_sparse_causal

        set_sparse_causal(unet)
    return unet


def no_dropout(module: torch.nn.Module) -> torch.nn.Module:
    """Set every dropout of ``module`` to 0 (ModelScope's temporal convolutions use 0.1: a
    network this small underfits rather than overfits, and the data never repeats)."""
    for m in module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return module
