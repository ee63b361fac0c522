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
  *conditional* rows by the per-frame embeddings, leaves the unconditional ones as they are, and
  hands the call on to the layer's previous processor;
- **capture** of temporal attention maps, averaged on the fly per (level, step): memory stays one
  ``F x F`` map per level and step however many layers, heads and pixels there are.

The processors live in :mod:`vstar_lite.processors`, the layer discovery in
:mod:`vstar_lite.unet_layers`. Nothing is monkey-patched, and one UNet holds one VSTAR set-up at a
time: a second :func:`enable_vstar` before ``remove()`` is refused, so no removal order can leave
TAR on. The handle puts a copy of the model's previous processors back (``remove()``, or leaving a
``with`` block, also on an exception), after which the model computes exactly what it did before.

The denoising step: a pipeline that knows its loop index tells it (``handle.set_step(i)``, as
:class:`~vstar_lite.pipeline.VSTARPipeline` does); otherwise it is inferred from the timestep (see
:class:`~vstar_lite.processors.SamplingState`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from vstar_lite.processors import (
    AttentionCapture,
    FrameTextProcessor,
    SamplingState,
    SparseCausalProcessor,
    TemporalProcessor,
    set_sparse_causal,
)
from vstar_lite.tar import TARConfig
from vstar_lite.unet_layers import (
    TEMPORAL_PARTS,
    TemporalLayer,
    attention_modules,
    find_cross_attentions,
    find_temporal_attentions,
)

__all__ = [
    "AttentionCapture",
    "SparseCausalProcessor",
    "TemporalLayer",
    "VSTARHandle",
    "check_tar",
    "enable_vstar",
    "find_cross_attentions",
    "find_temporal_attentions",
    "set_sparse_causal",
]

VSTAR_PROCESSORS = (TemporalProcessor, FrameTextProcessor)


class VSTARHandle:
    """What :func:`enable_vstar` installed; ``remove()`` (or leaving a ``with`` block) undoes it."""

    def __init__(self, unet: nn.Module, saved: dict[str, Any], hook: Any, state: SamplingState,
                 capture: AttentionCapture | None, layers: list[TemporalLayer]):  # fmt: skip
        self.unet, self._saved, self._hook = unet, saved, hook
        self.state, self.capture, self.layers = state, capture, layers
        self.removed = False

    def set_step(self, step: int) -> None:
        """Tell the processors the denoising step (0 = noisiest); timesteps are no longer read."""
        self.state.set(step)

    def reset(self) -> None:
        """Start counting steps afresh (a new video)."""
        self.state.reset()

    def remove(self) -> None:
        """Put the previous processors back; a second call does nothing."""
        if self.removed:
            return
        try:
            self._hook.remove()
        finally:  # set_attn_processor pops from the dict it is given: hand it a copy
            self.unet.set_attn_processor(dict(self._saved))
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


def _check_arguments(tar: object, num_steps: object, guidance: object) -> None:
    if tar is not None and not isinstance(tar, TARConfig):
        raise ValueError(
            f"tar must be a vstar_lite.TARConfig or None, got {type(tar).__name__} {tar!r}; "
            "e.g. TARConfig(sigmas={0: 1.0, 1: 8.0})"
        )
    if num_steps is not None and (
        isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1
    ):
        raise ValueError(f"num_steps must be an int >= 1 or None, got {num_steps!r}")
    if isinstance(tar, TARConfig):
        if tar.needs_num_steps and num_steps is None:
            raise ValueError(
                f"num_steps is needed: tar's cut-off (step {tar.until_step} of "
                f"{tar.reference_steps}) scales with the number of sampling steps; pass "
                "num_steps=, or TARConfig(reference_steps=None) for an absolute cut-off"
            )
        if num_steps is not None:
            tar.last_step(num_steps)  # an absolute cut-off past the run's end is refused here
    if guidance is not None and not isinstance(guidance, bool):
        raise ValueError(f"guidance must be True, False or None, got {guidance!r}")


def check_tar(
    unet: nn.Module, tar: TARConfig | None, *, capture: bool = False
) -> list[TemporalLayer]:
    """Check that ``unet`` has the temporal layers ``tar`` (and a capture) needs; returns them.

    Cheap (it reads the module tree only): a pipeline calls it before spending any compute.
    """
    temporal = find_temporal_attentions(unet)
    if (tar is not None or capture) and not temporal:
        found = [name for name, _ in attention_modules(unet)]
        raise ValueError(
            f"{type(unet).__name__} has no temporal attention for TAR or capture: found "
            f"{len(found)} attention layers, none in {' / '.join(TEMPORAL_PARTS)} "
            f"(e.g. {found[:3]}). TAR needs temporal self-attention over frames "
            "(UNet3DConditionModel, UNetMotionModel); image UNets and 3D full-attention "
            "transformers have none."
        )
    if tar is not None:
        tar.check_levels(layer.level for layer in temporal if not layer.input_block)
    return temporal


def enable_vstar(
    unet: nn.Module,
    tar: TARConfig | None = None,
    *,
    frame_embeddings: torch.Tensor | None = None,
    capture: bool = False,
    num_steps: int | None = None,
    guidance: bool | None = None,
) -> VSTARHandle:
    """Turn on TAR (``tar``), VSP (``frame_embeddings``: ``F L D`` or ``b F L D``, conditional
    text per frame) and attention capture on a diffusers UNet. Returns a handle.

    ``num_steps``: the number of denoising steps of the run, needed when ``tar``'s cut-off scales
    with it (the default, see :class:`~vstar_lite.tar.TARConfig`). ``guidance``: whether the
    UNet is called with ``[unconditional; conditional]`` rows; ``None`` infers it from row counts.
    Set these last (helpers such as ``enable_free_noise`` rebuild blocks and drop custom
    processors); a UNet that already has VSTAR on is refused.
    """
    _check_arguments(tar, num_steps, guidance)
    embeddings = _frame_embeddings(frame_embeddings)
    processors_now = getattr(unet, "attn_processors", None)
    if isinstance(processors_now, dict) and any(
        isinstance(p, VSTAR_PROCESSORS) for p in processors_now.values()
    ):
        raise RuntimeError(
            "VSTAR is already enabled on this UNet: remove() the first handle (or leave its "
            "`with` block) before enabling it again"
        )
    temporal = check_tar(unet, tar, capture=capture)
    cross = find_cross_attentions(unet) if embeddings is not None else []
    if embeddings is not None and not cross:
        raise ValueError(
            f"{type(unet).__name__} has no spatial cross-attention for frame_embeddings"
        )

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
            state, layer.level, tar, sigma, store, num_steps
        )
    for name in cross:
        key = f"{name}.processor"
        processors[key] = FrameTextProcessor(embeddings, saved[key], guidance)

    def observe_timestep(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        timestep = kwargs.get("timestep", args[1] if len(args) > 1 else None)
        if timestep is not None:
            state.observe(timestep)

    hook = unet.register_forward_pre_hook(observe_timestep, with_kwargs=True)
    try:
        unet.set_attn_processor(processors)
    except BaseException:
        hook.remove()
        unet.set_attn_processor(dict(saved))
        raise
    return VSTARHandle(unet, saved, hook, state, store, selected)
