"""Where the attention layers of a diffusers text-to-video UNet are, and at which resolution.

``UNet3DConditionModel`` (ModelScope, Zeroscope) keeps its temporal self-attentions under
``temp_attentions.*`` (plus a lone ``transformer_in`` before the first down block);
``UNetMotionModel`` (AnimateDiff) under ``motion_modules.*``. A layer's *level* counts the
downsamplers above it: level 0 is the full latent resolution, the middle block the deepest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "INPUT_BLOCK",
    "TEMPORAL_PARTS",
    "TemporalLayer",
    "attention_modules",
    "find_cross_attentions",
    "find_temporal_attentions",
    "is_motion_unet",
    "unet_level",
    "unet_text",
]

TEMPORAL_PARTS = ("temp_attentions", "motion_modules")
INPUT_BLOCK = "transformer_in"


@dataclass(frozen=True)
class TemporalLayer:
    name: str  # module name, e.g. "down_blocks.0.temp_attentions.0.transformer_blocks.0.attn1"
    level: int  # UNet level: 0 = full latent resolution
    input_block: bool  # the lone temporal attention before the first down block


def attention_modules(unet: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """Every diffusers ``Attention`` module of ``unet``, with its name."""
    from diffusers.models.attention_processor import Attention

    for name, module in unet.named_modules():
        if isinstance(module, Attention):
            yield name, module


def unet_level(unet: nn.Module, name: str) -> int:
    """The resolution level of a layer, from the UNet's structure (its down- and upsamplers)."""
    downs = [getattr(block, "downsamplers", None) is not None for block in unet.down_blocks]
    ups = [getattr(block, "upsamplers", None) is not None for block in unet.up_blocks]
    if match := re.match(r"down_blocks\.(\d+)\.", name):
        return sum(downs[: int(match.group(1))])
    if match := re.match(r"up_blocks\.(\d+)\.", name):
        return sum(downs) - sum(ups[: int(match.group(1))])
    if name.startswith("mid_block."):
        return sum(downs)
    if name.startswith(INPUT_BLOCK + "."):
        return 0
    raise ValueError(f"cannot place layer {name!r} in the UNet's levels")


def find_temporal_attentions(unet: nn.Module) -> list[TemporalLayer]:
    """Every temporal self-attention layer, with its UNet level."""
    layers = []
    for name, _ in attention_modules(unet):
        parts = name.split(".")
        if any(part in TEMPORAL_PARTS for part in parts) or parts[0] == INPUT_BLOCK:
            layers.append(TemporalLayer(name, unet_level(unet, name), parts[0] == INPUT_BLOCK))
    return layers


def find_cross_attentions(unet: nn.Module) -> list[str]:
    """The spatial cross-attention layers (pixels attend to text)."""
    return [
        name
        for name, module in attention_modules(unet)
        if module.is_cross_attention and not any(p in TEMPORAL_PARTS for p in name.split("."))
    ]


def is_motion_unet(unet: nn.Module) -> bool:
    """An AnimateDiff ``UNetMotionModel`` (checked by name: no diffusers import needed)."""
    return type(unet).__name__ == "UNetMotionModel"


def unet_text(unet: nn.Module, context: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Text ``"b L D"`` as ``unet`` reads it: AnimateDiff's ``UNetMotionModel`` takes one text
    per frame, ``"(b f) L D"``; ModelScope's ``UNet3DConditionModel`` repeats ``"b L D"`` over
    the frames itself."""
    if is_motion_unet(unet):
        return context.repeat_interleave(num_frames, dim=0)  # "(b f) L D"
    return context
