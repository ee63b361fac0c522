"""VSTAR on diffusers text-to-video UNets, through attention processors.

:func:`enable_vstar` installs, on a ``UNet3DConditionModel`` (ModelScope, Zeroscope) or a
``UNetMotionModel`` (AnimateDiff):

- **TAR** on temporal self-attention: both attentions (``attn1``, ``attn2``) of every temporal
  block (``temp_attentions.*`` / ``motion_modules.*``) in the down, middle and up parts, at the
  UNet levels that :class:`~vstar_lite.tar.TARConfig` names, up to its last regularized step. The
  lone temporal attention before the first down block (``transformer_in``) is left alone unless
  the config says otherwise, as in the reference. Both halves of a guidance batch are regularized
  (they are rows of the same call);
- **VSP**: one text embedding per frame in the spatial cross-attentions. ``UNet3DConditionModel``
  repeats one embedding per video for every frame internally; the processor replaces the
  *conditional* rows by the per-frame embeddings and leaves the unconditional ones as they are;
- **capture** of temporal attention maps, averaged on the fly per (level, step): memory stays one
  ``F x F`` map per level and step however many layers, heads and pixels there are.

Nothing is monkey-patched: behaviour lives in processor objects (one per layer), and the handle
that :func:`enable_vstar` returns puts the model's previous processors back (``remove()`` or a
``with`` block), after which the model computes exactly what it did before.

The denoising step is counted by a forward pre-hook on the UNet that watches the timestep: a
higher timestep than the last one starts a new sampling run (step 0), a lower one is the next step,
the same one (guidance in two calls) stays on the same step.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vstar_lite.tar import TARConfig, regularized_attention_probs, tar_attention

__all__ = [
    "AttentionCapture",
    "SparseCausalProcessor",
    "TemporalLayer",
    "VSTARHandle",
    "enable_vstar",
    "find_cross_attentions",
    "find_temporal_attentions",
    "set_sparse_causal",
]

TEMPORAL_PARTS = ("temp_attentions", "motion_modules")
INPUT_BLOCK = "transformer_in"


# ---------------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class TemporalLayer:
    name: str  # module name, e.g. "down_blocks.0.temp_attentions.0.transformer_blocks.0.attn1"
    level: int  # UNet level: 0 = full latent resolution
    input_block: bool  # the lone temporal attention before the first down block


def _attention_modules(unet: nn.Module) -> Iterator[tuple[str, nn.Module]]:
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
    for name, _ in _attention_modules(unet):
        parts = name.split(".")
        if any(part in TEMPORAL_PARTS for part in parts) or parts[0] == INPUT_BLOCK:
            layers.append(TemporalLayer(name, unet_level(unet, name), parts[0] == INPUT_BLOCK))
    return layers


def find_cross_attentions(unet: nn.Module) -> list[str]:
    """The spatial cross-attention layers (pixels attend to text)."""
    return [
        name
        for name, module in _attention_modules(unet)
        if module.is_cross_attention and not any(p in TEMPORAL_PARTS for p in name.split("."))
    ]


# ------------------------------------------------------------------------------ shared state
@dataclass
class SamplingState:
    """The denoising step, counted from the UNet's timestep argument (see the module docstring)."""

    step: int = -1
    last_timestep: float | None = None

    def observe(self, timestep: Any) -> None:
        value = float(torch.as_tensor(timestep).flatten()[0])
        if self.last_timestep is None or value > self.last_timestep:
            self.step = 0
        elif value < self.last_timestep:
            self.step += 1
        self.last_timestep = value


@dataclass
class AttentionCapture:
    """Running means of temporal attention maps, one ``F x F`` per (level, step)."""

    sums: dict[tuple[int, int], torch.Tensor] = field(default_factory=dict)
    counts: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, level: int, step: int, probs: torch.Tensor) -> None:
        """Add ``"batch heads f f"`` probabilities (averaged over batch and heads)."""
        key = (level, step)
        mean = probs.detach().float().mean(dim=(0, 1)).cpu()
        self.sums[key] = self.sums.get(key, 0) + mean
        self.counts[key] = self.counts.get(key, 0) + 1

    def maps(self) -> dict[tuple[int, int], torch.Tensor]:
        """The mean ``F x F`` map per (level, step)."""
        return {key: self.sums[key] / self.counts[key] for key in sorted(self.sums)}

    def by_level(self) -> dict[int, torch.Tensor]:
        """The mean map per level, over all captured steps."""
        levels: dict[int, list[torch.Tensor]] = {}
        for (level, _), value in self.maps().items():
            levels.setdefault(level, []).append(value)
        return {level: torch.stack(values).mean(0) for level, values in sorted(levels.items())}


# ---------------------------------------------------------------------------------- processors
class _Processor:
    """diffusers' scaled dot-product processor, with three places to change: the text of a
    cross-attention (``context``), the keys' source of a self-attention (``source``), and
    ``attend``."""

    def context(self, encoder_hidden_states: torch.Tensor | None) -> torch.Tensor | None:
        return encoder_hidden_states

    def source(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return hidden_states

    def attend(self, attn: nn.Module, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               mask: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=attn.scale)

    def __call__(
        self,
        attn: nn.Module,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> torch.Tensor:
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        image_shape = hidden_states.shape if hidden_states.ndim == 4 else None
        if image_shape is not None:
            hidden_states = rearrange(hidden_states, "b c h w -> b (h w) c")
        encoder_hidden_states = self.context(encoder_hidden_states)
        batch = hidden_states.shape[0]
        source_length = (
            hidden_states if encoder_hidden_states is None else encoder_hidden_states
        ).shape[1]
        if attention_mask is not None:
            attention_mask = attn.prepare_attention_mask(attention_mask, source_length, batch)
            attention_mask = rearrange(attention_mask, "(b h) n m -> b h n m", h=attn.heads)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        context = (
            self.source(hidden_states) if encoder_hidden_states is None else encoder_hidden_states
        )
        if encoder_hidden_states is not None and attn.norm_cross:
            context = attn.norm_encoder_hidden_states(context)
        q = rearrange(attn.to_q(hidden_states), "b n (h d) -> b h n d", h=attn.heads)
        k = rearrange(attn.to_k(context), "b m (h d) -> b h m d", h=attn.heads)
        v = rearrange(attn.to_v(context), "b m (h d) -> b h m d", h=attn.heads)
        if attn.norm_q is not None:
            q = attn.norm_q(q)
        if attn.norm_k is not None:
            k = attn.norm_k(k)
        out = rearrange(self.attend(attn, q, k, v, attention_mask), "b h n d -> b n (h d)")
        out = attn.to_out[1](attn.to_out[0](out.to(q.dtype)))  # projection, dropout
        if image_shape is not None:
            out = rearrange(out, "b (h w) c -> b c h w", h=image_shape[2])
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor


class TemporalProcessor(_Processor):
    """Temporal self-attention ``"(b h w) f c"`` with TAR (when on) and map capture (when asked)."""

    def __init__(self, state: SamplingState, level: int, tar: TARConfig | None,
                 sigma: float | None, capture: AttentionCapture | None):  # fmt: skip
        self.state, self.level, self.tar, self.sigma, self.capture = (
            state,
            level,
            tar,
            sigma,
            capture,
        )

    def regularizing(self) -> bool:
        return self.sigma is not None and self.tar.active(self.state.step)

    def attend(self, attn: nn.Module, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               mask: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        if mask is not None:
            raise ValueError("temporal attention with an attention mask is not supported")
        q = q * (attn.scale * math.sqrt(q.shape[-1]))  # tar_attention divides by sqrt(d)
        if self.capture is not None:
            logits = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            if self.regularizing():
                probs = regularized_attention_probs(logits, self.sigma, self.tar.scale)
            else:
                probs = logits.softmax(dim=-1)
            self.capture.add(self.level, self.state.step, probs)
            return probs @ v
        if self.regularizing():
            return tar_attention(q, k, v, self.sigma, self.tar.scale)
        return F.scaled_dot_product_attention(q, k, v)


class FrameTextProcessor(_Processor):
    """Spatial cross-attention where each frame reads its own text embedding (VSP)."""

    def __init__(self, frame_embeddings: torch.Tensor):
        self.frame_embeddings = frame_embeddings  # "b f l d"

    def context(self, encoder_hidden_states: torch.Tensor | None) -> torch.Tensor | None:
        if encoder_hidden_states is None:
            raise ValueError("per-frame text needs a cross-attention layer")
        videos, frames = self.frame_embeddings.shape[:2]
        rows = encoder_hidden_states.shape[0]
        per_frame = rearrange(self.frame_embeddings, "b f l d -> (b f) l d").to(
            encoder_hidden_states
        )
        if per_frame.shape[1:] != encoder_hidden_states.shape[1:]:
            raise ValueError(
                f"frame_embeddings has tokens x dim {tuple(per_frame.shape[1:])} but the model's "
                f"text is {tuple(encoder_hidden_states.shape[1:])}"
            )
        if rows == videos * frames:  # no guidance batch
            return per_frame
        if (
            rows == 2 * videos * frames
        ):  # [unconditional; conditional], as diffusers pipelines order them
            return torch.cat([encoder_hidden_states[: rows // 2], per_frame])
        raise ValueError(
            f"frame_embeddings are for {videos} video(s) x {frames} frames, but the "
            f"cross-attention receives {rows} rows (expected {videos * frames}, or "
            f"{2 * videos * frames} with guidance)"
        )


class FrameCount:
    """The number of frames of the UNet call in progress, read from ``sample: "b c f h w"`` by a
    forward pre-hook (a processor of a spatial layer sees only ``"(b f) (h w) c"``)."""

    def __init__(self, unet: nn.Module):
        self.frames = 0
        self.hook = unet.register_forward_pre_hook(self._read, with_kwargs=True)

    def _read(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        sample = args[0] if args else kwargs["sample"]
        self.frames = sample.shape[2]


class SparseCausalProcessor(_Processor):
    """SCVideo's sparse causal attention (Eq. 2) in a spatial self-attention layer: frame ``i``
    attends to the tokens of the first frame and of frame ``i - 1``
    (:func:`vstar_lite.attention.sparse_causal_kv`), with the layer's own weights."""

    def __init__(self, count: FrameCount):
        self.count = count

    def source(self, hidden_states: torch.Tensor) -> torch.Tensor:
        from vstar_lite.attention import sparse_causal_kv

        return sparse_causal_kv(hidden_states, self.count.frames)  # "(b f) (2 n) c"


def set_sparse_causal(unet: nn.Module) -> FrameCount:
    """Give every spatial self-attention (``attn1`` of the spatial transformers, not the
    temporal ones) of a ``UNet3DConditionModel`` a :class:`SparseCausalProcessor`. Returns the
    frame counter, whose ``hook.remove()`` detaches it."""
    count = FrameCount(unet)
    processors = dict(unet.attn_processors)
    spatial = [name for name in processors if name.endswith("attn1.processor")
               and ".attentions." in name]  # fmt: skip
    if not spatial:
        raise ValueError(f"{type(unet).__name__} has no spatial self-attention layers")
    for name in spatial:
        processors[name] = SparseCausalProcessor(count)
    unet.set_attn_processor(processors)
    return count


# ------------------------------------------------------------------------------------ the handle
class VSTARHandle:
    """What :func:`enable_vstar` installed; ``remove()`` (or leaving a ``with`` block) undoes it."""

    def __init__(self, unet: nn.Module, restore: Callable[[], None], hook: Any,
                 state: SamplingState, capture: AttentionCapture | None,
                 layers: list[TemporalLayer]):  # fmt: skip
        self.unet, self._restore, self._hook = unet, restore, hook
        self.state, self.capture, self.layers = state, capture, layers
        self.removed = False

    def reset(self) -> None:
        """Start counting steps afresh (a new video)."""
        self.state.step, self.state.last_timestep = -1, None

    def remove(self) -> None:
        if self.removed:
            return
        try:
            self._hook.remove()
        finally:
            self._restore()
            self.removed = True

    def __enter__(self) -> VSTARHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _frame_embeddings(embeddings: torch.Tensor | None) -> torch.Tensor | None:
    if embeddings is None:
        return None
    if not isinstance(embeddings, torch.Tensor) or embeddings.ndim not in (3, 4):
        raise ValueError(
            "frame_embeddings must have shape (F, L, D) or (b, F, L, D), "
            f"got {tuple(getattr(embeddings, 'shape', ()))}"
        )
    return embeddings if embeddings.ndim == 4 else embeddings[None]


def enable_vstar(
    unet: nn.Module,
    tar: TARConfig | None = None,
    *,
    frame_embeddings: torch.Tensor | None = None,
    capture: bool = False,
) -> VSTARHandle:
    """Turn on TAR (``tar``), VSP (``frame_embeddings``: ``F L D`` or ``b F L D``, conditional
    text per frame) and attention capture on a diffusers UNet. Returns a handle; set these last
    (helpers such as ``enable_free_noise`` rebuild blocks and drop custom processors).
    """
    embeddings = _frame_embeddings(frame_embeddings)
    temporal = find_temporal_attentions(unet)
    if (tar is not None or capture) and not temporal:
        found = [name for name, _ in _attention_modules(unet)]
        raise ValueError(
            f"{type(unet).__name__} has no temporal attention for TAR or capture: found "
            f"{len(found)} attention layers, none in {' / '.join(TEMPORAL_PARTS)} "
            f"(e.g. {found[:3]}). TAR needs temporal self-attention over frames "
            "(UNet3DConditionModel, UNetMotionModel); image UNets and 3D full-attention "
            "transformers have none."
        )
    cross = find_cross_attentions(unet) if embeddings is not None else []
    if embeddings is not None and not cross:
        raise ValueError(
            f"{type(unet).__name__} has no spatial cross-attention for frame_embeddings"
        )
    if tar is not None:
        tar.check_levels(layer.level for layer in temporal if not layer.input_block)

    state, store = SamplingState(), (AttentionCapture() if capture else None)
    saved = dict(unet.attn_processors)
    processors = dict(saved)
    selected = []
    for layer in temporal:
        regularized = tar is not None and (tar.include_input_block or not layer.input_block)
        sigma = tar.sigma_for(layer.level) if regularized else None
        if sigma is None and store is None:
            continue
        selected.append(layer)
        processors[f"{layer.name}.processor"] = TemporalProcessor(
            state, layer.level, tar, sigma, store
        )
    for name in cross:
        processors[f"{name}.processor"] = FrameTextProcessor(embeddings)

    def observe_timestep(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        timestep = kwargs.get("timestep", args[1] if len(args) > 1 else None)
        if timestep is not None:
            state.observe(timestep)

    hook = unet.register_forward_pre_hook(observe_timestep, with_kwargs=True)
    try:
        unet.set_attn_processor(processors)
    except BaseException:
        hook.remove()
        unet.set_attn_processor(saved)
        raise
    return VSTARHandle(unet, lambda: unet.set_attn_processor(saved), hook, state, store, selected)
