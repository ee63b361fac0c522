"""Attention processors for diffusers UNets: TAR, per-frame text (VSP), capture, sparse causal.

Each processor is an object that a diffusers ``Attention`` layer calls instead of its default one
(``unet.set_attn_processor``); nothing is monkey-patched. :func:`vstar_lite.enable_vstar`
installs them and puts the previous ones back.

- :class:`SamplingState`: the denoising step every processor of one model shares. The pipeline
  *tells* it the step (``VSTARHandle.set_step``); a foreign pipeline that does not is followed
  by watching the UNet's timestep argument instead (:meth:`SamplingState.observe`).
- :class:`TemporalProcessor`: temporal self-attention ``"(b h w) f c"`` with TAR and capture.
- :class:`FrameTextProcessor`: changes the *text* a spatial cross-attention reads (one embedding
  per frame) and hands the call on to the processor that was there before (xformers,
  IP-Adapter and the like keep working).
- :class:`SparseCausalProcessor`: SCVideo's Eq. 2 in spatial self-attention.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vstar_lite.tar import TARConfig, regularized_attention_probs, tar_attention

__all__ = [
    "AttentionCapture",
    "FrameCount",
    "FrameTextProcessor",
    "SamplingState",
    "ScaledDotProductProcessor",
    "SparseCausalProcessor",
    "TemporalProcessor",
    "set_sparse_causal",
]


# ------------------------------------------------------------------------------ shared state
@dataclass
class SamplingState:
    """The denoising step (0 = noisiest) of the sampling run in progress.

    ``set(step)`` is what a pipeline that knows its loop index calls; after it the timestep is
    no longer watched. Without it, :meth:`observe` infers the step from the UNet's timestep: a
    higher timestep than the last one starts a new run (step 0), a lower one is the next step, the
    same one (guidance in two calls) stays on the same step. Inference breaks for schedulers that
    call the UNet at repeated or rising timesteps inside one step (Heun, some SDE solvers), which
    is why the pipeline tells.
    """

    step: int = -1
    last_timestep: float | None = None
    told: bool = False

    def set(self, step: int) -> None:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"step must be an int >= 0, got {step!r}")
        self.step, self.told = step, True

    def observe(self, timestep: Any) -> None:
        if self.told:
            return
        value = float(torch.as_tensor(timestep).flatten()[0])
        if self.last_timestep is None or value > self.last_timestep:
            self.step = 0
        elif value < self.last_timestep:
            self.step += 1
        self.last_timestep = value

    def reset(self) -> None:
        self.step, self.last_timestep, self.told = -1, None, False


@dataclass
class AttentionCapture:
    """Running means of temporal attention maps, one ``F x F`` per (level, step), in float32."""

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
class ScaledDotProductProcessor:
    """diffusers' scaled dot-product processor, with two places to change: the keys' source of a
    self-attention (``source``) and the attention itself (``attend``)."""

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


class TemporalProcessor(ScaledDotProductProcessor):
    """Temporal self-attention ``"(b h w) f c"`` with TAR (when on) and map capture (when asked).

    ``num_steps``: the length of the sampling run, for a TAR cut-off that scales with it.
    """

    def __init__(self, state: SamplingState, level: int, tar: TARConfig | None,
                 sigma: float | None, capture: AttentionCapture | None,
                 num_steps: int | None = None):  # fmt: skip
        self.state, self.level, self.tar, self.sigma = state, level, tar, sigma
        self.capture, self.num_steps = capture, num_steps

    def regularizing(self) -> bool:
        return self.sigma is not None and self.tar.active(self.state.step, self.num_steps)

    def attend(self, attn: nn.Module, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               mask: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        if mask is not None:
            raise ValueError("temporal attention with an attention mask is not supported")
        q = q * (attn.scale * math.sqrt(q.shape[-1]))  # tar_attention divides by sqrt(d)
        if self.capture is not None:  # the maps are kept: logits in float32, whatever the model
            logits = q.float() @ k.float().transpose(-1, -2) / math.sqrt(q.shape[-1])
            if self.regularizing():
                probs = regularized_attention_probs(logits, self.sigma, self.tar.strength)
            else:
                probs = logits.softmax(dim=-1)
            self.capture.add(self.level, self.state.step, probs)
            return (probs @ v.float()).to(v.dtype)
        if self.regularizing():
            return tar_attention(q, k, v, self.sigma, self.tar.strength)
        return F.scaled_dot_product_attention(q, k, v)


class FrameTextProcessor:
    """Spatial cross-attention where each frame reads its own text embedding (VSP).

    Only the text changes: the call is handed on to ``inner``, the processor the layer had before.
    ``guidance``: whether the UNet's rows are ``[unconditional; conditional]`` (diffusers'
    classifier-free guidance order; only the conditional half gets the per-frame text), or one
    conditional set; ``None`` infers it from the row count, which cannot tell two videos without
    guidance from one with it (a pipeline that knows should say).
    """

    def __init__(self, frame_embeddings: torch.Tensor, inner: Any, guidance: bool | None = None):
        self.frame_embeddings = frame_embeddings  # "b f l d"
        self.inner, self.guidance = inner, guidance

        # diffusers hands a processor only the keyword arguments its __call__ names (IP-Adapter's
        # scale and masks, say): show it the wrapped processor's signature, so they pass through.
        def call(*args: Any, **kwargs: Any) -> torch.Tensor:
            return self._call(*args, **kwargs)

        self.__call__ = functools.update_wrapper(call, inner.__call__)

    def context(self, encoder_hidden_states: torch.Tensor | None) -> torch.Tensor:
        if encoder_hidden_states is None:
            raise ValueError("per-frame text needs a cross-attention layer")
        videos, frames = self.frame_embeddings.shape[:2]
        rows = encoder_hidden_states.shape[0]
        per_frame = rearrange(self.frame_embeddings, "b f l d -> (b f) l d")
        per_frame = per_frame.to(encoder_hidden_states)
        if per_frame.shape[1:] != encoder_hidden_states.shape[1:]:
            raise ValueError(
                f"frame_embeddings has tokens x dim {tuple(per_frame.shape[1:])} but the model's "
                f"text is {tuple(encoder_hidden_states.shape[1:])}"
            )
        expected = videos * frames
        guided = rows == 2 * expected if self.guidance is None else self.guidance
        if rows == (2 * expected if guided else expected):
            if guided:  # [unconditional; conditional], as diffusers pipelines order them
                return torch.cat([encoder_hidden_states[:expected], per_frame])
            return per_frame
        layout = "with guidance" if guided else "without guidance"
        raise ValueError(
            f"frame_embeddings are for {videos} video(s) x {frames} frames, so {layout} the "
            f"cross-attention should receive {2 * expected if guided else expected} rows; it "
            f"receives {rows}"
        )

    def _call(self, attn: nn.Module, hidden_states: torch.Tensor,
              encoder_hidden_states: torch.Tensor | None = None,
              *args: Any, **kwargs: Any) -> torch.Tensor:  # fmt: skip
        context = self.context(encoder_hidden_states)
        return self.inner(attn, hidden_states, *args, encoder_hidden_states=context, **kwargs)

    __call__ = _call


class FrameCount:
    """The number of frames of the UNet call in progress, read from ``sample: "b c f h w"`` by a
    forward pre-hook (a processor of a spatial layer sees only ``"(b f) (h w) c"``)."""

    def __init__(self, unet: nn.Module):
        self.frames = 0
        self.hook = unet.register_forward_pre_hook(self._read, with_kwargs=True)

    def _read(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        sample = args[0] if args else kwargs["sample"]
        self.frames = sample.shape[2]


class SparseCausalProcessor(ScaledDotProductProcessor):
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
