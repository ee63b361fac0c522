"""``enable_vstar`` on the tiny video UNet: diffusers processors' behaviour, tiny modules' call.

The tiny model's attention modules call ``processor(attn, hidden_states, encoder_hidden_states)``
and have no ``set_attn_processor``; everything else (TAR up to a step, per-frame text replacing
the conditional half of a guidance batch, running means of temporal attention maps per level and
step) is the same code as for diffusers UNets, from :mod:`vstar_lite.diffusers_hooks`. So the
notebooks' TAR and VSP experiments on the tiny model exercise the practitioners' code path.
"""

from __future__ import annotations

import torch
from torch import nn

from vstar_lite.attention import Attention, AttnProcessor
from vstar_lite.diffusers_hooks import (
    AttentionCapture,
    FrameTextProcessor,
    SamplingState,
    TemporalLayer,
    TemporalProcessor,
    VSTARHandle,
    _frame_embeddings,
)
from vstar_lite.tar import TARConfig

__all__ = ["TinyProcessor", "enable_vstar_tiny"]


class TinyProcessor(AttnProcessor):
    """Runs a diffusers-hooks processor (``context`` and/or ``attend``) inside a tiny module."""

    def __init__(self, inner: TemporalProcessor | FrameTextProcessor):
        super().__init__()
        self.inner = inner

    def context(self, encoder_hidden_states: torch.Tensor) -> torch.Tensor:
        return self.inner.context(encoder_hidden_states)

    def attend(
        self, attn: Attention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
    ) -> torch.Tensor:
        return self.inner.attend(attn, q, k, v, None)


def enable_vstar_tiny(
    unet: nn.Module,
    tar: TARConfig | None = None,
    *,
    frame_embeddings: torch.Tensor | None = None,
    capture: bool = False,
) -> VSTARHandle:
    """See :func:`vstar_lite.enable_vstar`; ``unet`` is a ``TinyVideoUNet``."""
    embeddings = _frame_embeddings(frame_embeddings)
    temporal = unet.temporal_attentions()  # (name, level, module)
    if tar is not None:
        tar.check_levels(level for _, level, _ in temporal)
    state, store = SamplingState(), (AttentionCapture() if capture else None)
    saved: dict[str, tuple[Attention, object]] = {}
    layers = []

    def install(name: str, module: Attention, processor: AttnProcessor) -> None:
        saved.setdefault(name, (module, module.processor))
        module.set_processor(processor)

    def restore() -> None:
        for module, processor in saved.values():
            module.set_processor(processor)

    try:
        for name, level, module in temporal:
            sigma = tar.sigma_for(level) if tar is not None else None
            if sigma is None and store is None:
                continue
            layers.append(TemporalLayer(name, level, input_block=False))
            install(name, module, TinyProcessor(TemporalProcessor(state, level, tar, sigma, store)))
        if embeddings is not None:
            text = FrameTextProcessor(embeddings)
            for block_name in unet.LEVELS:
                install(f"{block_name}.attn2", getattr(unet, block_name).attn2, TinyProcessor(text))
    except BaseException:
        restore()
        raise

    def observe_timestep(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        timesteps = kwargs.get("timesteps", args[1] if len(args) > 1 else None)
        if timesteps is not None:
            state.observe(timesteps)

    hook = unet.register_forward_pre_hook(observe_timestep, with_kwargs=True)
    return VSTARHandle(unet, restore, hook, state, store, layers)
