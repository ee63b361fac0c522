"""The SS-T block of SCVideo: an image block, inflated to video.

Data flow (appendix Fig. 5b), on a video feature ``x: "b c f h w"``::

    conv2D           per frame            "(b f) c h w"      image layer (ResNet-style branch)
    conv3D           along frames         "b c f h w"        NEW: identity at init
    SC attention     frame i -> [1; i-1]  "(b f) (h w) c"    image layer's weights (Eq. 2)
    cross attention  pixels -> text       "(b f) (h w) c"    image layer (Eq. 3)
    feed-forward     per token            "(b f) (h w) c"    image layer
    temporal attn x2 pixel through time   "(b h w) f c"      NEW: output projection zero at init

Each attention and the feed-forward sit in a pre-norm residual branch, ``x + layer(norm(x))``, as
in a standard transformer block. Following Make-A-Video, the layers that video adds start as the
identity: the temporal convolution's kernel is the identity matrix at the centre tap (zero bias),
and the temporal attentions' output projections are zero. A freshly built block therefore
computes exactly what its image layers compute (``image_forward``); with ``frame_attention=
"spatial"`` that is the image block applied frame by frame.

``frame_attention="spatial"`` also gives the layout of ModelScope and VideoCrafter2, the models
VSTAR works on: spatial attention within each frame, with temporal attention (plus frame positions)
as the only path between frames.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from einops import rearrange, repeat
from torch import nn

from vstar_lite.attention import (
    CrossAttention,
    SparseCausalAttention,
    SpatialSelfAttention,
    TemporalAttention,
)

__all__ = ["FeedForward", "SSTBlock", "frame_position_embedding"]

FrameAttention = Literal["sparse_causal", "spatial"]


def frame_position_embedding(num_frames: int, channels: int) -> torch.Tensor:
    """Sinusoidal frame positions, ``"f c"``: without them temporal attention cannot tell order."""
    if channels % 2:
        raise ValueError(f"channels must be even for sinusoidal positions, got {channels}")
    position = torch.arange(num_frames, dtype=torch.float32).unsqueeze(1)  # "f 1"
    frequency = torch.exp(-math.log(10_000.0) * torch.arange(0, channels, 2) / channels)  # "c/2"
    angles = position * frequency  # "f c/2"
    return torch.cat([angles.sin(), angles.cos()], dim=1)  # "f c"


class FeedForward(nn.Sequential):
    """Token-wise MLP, ``c -> mult*c -> c`` with GELU."""

    def __init__(self, channels: int, mult: int = 4):
        super().__init__(
            nn.Linear(channels, mult * channels), nn.GELU(), nn.Linear(mult * channels, channels)
        )


class SSTBlock(nn.Module):
    """Sparse Spatial-Temporal block: ``b c f h w -> b c f h w`` (shape preserved).

    ``channels``: feature channels ``c``; ``context_dim``: text embedding size ``D``;
    ``time_dim``: size of an optional diffusion-timestep embedding added in the conv branch;
    ``frame_attention``: ``"sparse_causal"`` (SCVideo, Eq. 2) or ``"spatial"`` (Eq. 1);
    ``frame_positions``: add sinusoidal frame positions before each temporal attention;
    ``position_scale``: their amplitude (small models train more stably below 1);
    ``temporal_conv``: keep the conv3D; without it temporal attention is the only path between
    frames of a ``"spatial"`` block, as in ModelScope's and VideoCrafter2's attention layers.
    """

    def __init__(
        self,
        channels: int,
        context_dim: int,
        heads: int = 4,
        groups: int = 8,
        time_dim: int | None = None,
        frame_attention: FrameAttention = "sparse_causal",
        frame_positions: bool = True,
        position_scale: float = 1.0,
        temporal_conv: bool = True,
    ):
        super().__init__()
        if not math.isfinite(position_scale) or position_scale < 0:
            raise ValueError(f"position_scale must be finite and >= 0, got {position_scale!r}")
        if frame_attention not in ("sparse_causal", "spatial"):
            raise ValueError(
                f"frame_attention must be 'sparse_causal' or 'spatial', got {frame_attention!r}"
            )
        if channels % groups:
            raise ValueError(f"groups={groups} must divide channels={channels}")
        self.channels, self.frame_attention, self.frame_positions = (
            channels,
            frame_attention,
            frame_positions,
        )
        self.position_scale = float(position_scale)
        # image layers
        self.conv_norm = nn.GroupNorm(groups, channels)
        self.conv2d = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.time_proj = nn.Linear(time_dim, channels) if time_dim else None
        attn1 = (
            SparseCausalAttention if frame_attention == "sparse_causal" else SpatialSelfAttention
        )
        self.norm1, self.attn1 = nn.LayerNorm(channels), attn1(channels, heads=heads)
        self.norm2 = nn.LayerNorm(channels)
        self.attn2 = CrossAttention(channels, heads=heads, context_dim=context_dim)
        self.norm3, self.ff = nn.LayerNorm(channels), FeedForward(channels)
        # video layers, identity at init (Make-A-Video)
        self.conv3d = (
            nn.Conv3d(channels, channels, kernel_size=(3, 1, 1), padding=(1, 0, 0))
            if temporal_conv
            else None
        )
        self.norm_t1, self.temp_attn1 = nn.LayerNorm(channels), TemporalAttention(channels, heads)
        self.norm_t2, self.temp_attn2 = nn.LayerNorm(channels), TemporalAttention(channels, heads)
        self.reset_video_layers()

    @torch.no_grad()
    def reset_video_layers(self) -> None:
        """Make-A-Video init: identity temporal conv, zero output of both temporal attentions."""
        if self.conv3d is not None:
            self.conv3d.weight.zero_()
            self.conv3d.weight[:, :, 1, 0, 0] = torch.eye(self.channels)  # centre tap = identity
            self.conv3d.bias.zero_()
        for attn in (self.temp_attn1, self.temp_attn2):
            attn.to_out.weight.zero_()
            attn.to_out.bias.zero_()

    # ------------------------------------------------------------------ the pieces, in data order
    def _conv2d(self, x: torch.Tensor, temb: torch.Tensor | None) -> torch.Tensor:
        b = x.shape[0]
        h = rearrange(x, "b c f h w -> (b f) c h w")
        branch = self.conv2d(nn.functional.silu(self.conv_norm(h)))
        if self.time_proj is not None:
            if temb is None:
                raise ValueError("temb is required: this block was built with time_dim")
            bias = repeat(self.time_proj(temb), "b c -> (b f) c 1 1", f=x.shape[2])
            branch = branch + bias
        return rearrange(h + branch, "(b f) c h w -> b c f h w", b=b)

    def _frame_layers(self, tokens: torch.Tensor, context: torch.Tensor, f: int) -> torch.Tensor:
        normed = self.norm1(tokens)
        if self.frame_attention == "sparse_causal":
            tokens = tokens + self.attn1(normed, num_frames=f)  # frame i -> frames 1 and i-1
        else:
            tokens = tokens + self.attn1(normed)  # each frame attends to itself
        tokens = tokens + self.attn2(self.norm2(tokens), context, num_frames=f)
        return tokens + self.ff(self.norm3(tokens))

    def _temporal(self, t: torch.Tensor, f: int) -> torch.Tensor:
        position = 0.0
        if self.frame_positions:
            position = self.position_scale * frame_position_embedding(f, self.channels).to(t)
        t = t + self.temp_attn1(self.norm_t1(t) + position)
        return t + self.temp_attn2(self.norm_t2(t) + position)

    def _check_inputs(self, x: torch.Tensor, context: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor) or x.ndim != 5 or x.shape[1] != self.channels:
            got = tuple(getattr(x, "shape", ()))
            raise ValueError(f"x must have shape (b, c={self.channels}, f, h, w), got {got}")
        if x.dtype != self.conv2d.weight.dtype:
            raise TypeError(
                f"x has dtype {x.dtype} but the block's weights are {self.conv2d.weight.dtype}"
            )
        if not isinstance(context, torch.Tensor) or context.ndim != 3:
            got = tuple(getattr(context, "shape", ()))
            raise ValueError(f"context must have shape (b, L, D) or (b*f, L, D), got {got}")

    def forward(
        self, x: torch.Tensor, context: torch.Tensor, temb: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``x: "b c f h w"``, ``context: "b L D"`` or ``"(b f) L D"``, ``temb: "b T"``."""
        self._check_inputs(x, context)
        b, c, f, h, w = x.shape
        x = self._conv2d(x, temb)
        if self.conv3d is not None:
            x = self.conv3d(x)  # temporal conv: "b c f h w", kernel 3 along f
        tokens = rearrange(x, "b c f h w -> (b f) (h w) c")
        tokens = self._frame_layers(tokens, context, f)
        t = rearrange(tokens, "(b f) (h w) c -> (b h w) f c", f=f, h=h)
        t = self._temporal(t, f)
        return rearrange(t, "(b h w) f c -> b c f h w", b=b, h=h)

    def image_forward(
        self, x: torch.Tensor, context: torch.Tensor, temb: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Only the image layers (no conv3D, no temporal attention): what the block inflates.

        With ``frame_attention="spatial"`` this is the image block applied to every frame on its
        own; a freshly built block's ``forward`` equals it exactly.
        """
        self._check_inputs(x, context)
        b, c, f, h, w = x.shape
        x = self._conv2d(x, temb)
        tokens = rearrange(x, "b c f h w -> (b f) (h w) c")
        tokens = self._frame_layers(tokens, context, f)
        return rearrange(tokens, "(b f) (h w) c -> b c f h w", b=b, h=h)
