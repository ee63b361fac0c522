"""VSTAR side by side with diffusers' FreeNoise and FreeInit, on one model, seeds and prompts.

Three training-free ways to make longer or multi-prompt videos with a text-to-video UNet:

- **VSTAR** (this library): TAR, a Gaussian band added to temporal attention's logits, and VSP,
  one text embedding per frame interpolated between sub-prompts (:mod:`vstar_lite.tar`,
  :mod:`vstar_lite.vsp`);
- **FreeNoise** (Qiu et al., ICLR 2024; diffusers' ``enable_free_noise``): temporal attention in
  sliding windows of the training length, starting noise re-used (shuffled) from window to window,
  and a ``{frame: prompt}`` dict for multi-prompt videos;
- **FreeInit** (Wu et al., ECCV 2024; diffusers' ``enable_free_init``): sample, re-noise the
  result keeping its low spatio-temporal frequencies, sample again (``num_iters`` passes).

FreeNoise and FreeInit are diffusers' own code and exist for ``AnimateDiffPipeline`` (a
``UNetMotionModel``). On such a model every method here runs inside diffusers' one
``AnimateDiffPipeline.__call__`` loop; VSTAR is our attention processors installed in that loop
(after ``enable_free_noise``, which rebuilds the motion blocks), with the step counter advanced by
``callback_on_step_end``. Every method but FreeNoise starts from the noise
:meth:`VSTARPipeline.prepare_latents` draws for the seed; FreeNoise draws its own from the same
seed (its noise rescheduling happens while diffusers draws it), so its videos are not paired with
the others' and comparisons are between means over videos. On a ModelScope-style
``UNet3DConditionModel`` only VSTAR applies; it runs in :class:`~vstar_lite.pipeline.VSTARPipeline`,
whose loop gives the same frames as diffusers' own.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.pipeline import MAX_SEED, VSTARPipeline, _check_int, _check_number
from vstar_lite.tar import TARConfig
from vstar_lite.unet_layers import is_motion_unet
from vstar_lite.vsp import Synopsis

__all__ = [
    "COMPARED_TAR",
    "FREE_INIT",
    "FREE_NOISE",
    "METHODS",
    "Generation",
    "Method",
    "animatediff_pipeline",
    "compare",
    "generate",
    "methods_for",
    "world_scores",
]

# TAR as the tiny model's report measures it at 64 frames: sigma 1 at full resolution, 8 below
# (data/tiny_model/*/report.md), on the default share of the steps.
COMPARED_TAR = TARConfig({0: 1.0, 1: 8.0})
# FreeNoise as its diffusers docs run it: windows of the training length (16), stride 4.
FREE_NOISE: dict[str, Any] = {
    "context_length": 16,
    "context_stride": 4,
    "weighting_scheme": "pyramid",
    "noise_type": "shuffle_context",
}
# FreeInit with diffusers' defaults: 3 passes, Butterworth filter, stop frequency 0.25.
FREE_INIT: dict[str, Any] = {"num_iters": 3, "use_fast_sampling": False, "method": "butterworth",
                             "order": 4, "spatial_stop_frequency": 0.25,
                             "temporal_stop_frequency": 0.25}  # fmt: skip


@dataclass(frozen=True)
class Method:
    """One way to sample. ``tar``: VSTAR's TAR; ``vsp``: one text per frame for a synopsis (VSTAR's
    processors, or FreeNoise's own prompt dict when ``free_noise``); ``free_noise`` and
    ``free_init``: diffusers' implementations (``AnimateDiffPipeline`` only)."""

    name: str
    tar: bool = False
    vsp: bool = False
    free_noise: bool = False
    free_init: bool = False

    @property
    def needs_animatediff(self) -> bool:
        return self.free_noise or self.free_init


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("baseline"),
        Method("TAR", tar=True),
        Method("VSP", vsp=True),
        Method("VSTAR", tar=True, vsp=True),
        Method("FreeNoise", free_noise=True, vsp=True),
        Method("FreeNoise + TAR", free_noise=True, tar=True, vsp=True),
        Method("FreeInit", free_init=True),
    )
}


def methods_for(animatediff: bool, synopsis: bool) -> list[str]:
    """The methods compared for one kind of request: on a single prompt, those that make a video
    longer; on a synopsis, those that follow several prompts (the baseline draws the first)."""
    if synopsis:
        names = ["baseline", "VSP", "VSTAR", "FreeNoise", "FreeNoise + TAR"]
    else:
        names = ["baseline", "TAR", "FreeNoise", "FreeInit", "FreeNoise + TAR"]
    return [n for n in names if animatediff or not METHODS[n].needs_animatediff]


@dataclass
class Generation:
    """One video ``"1 3 f h w"`` in [-1, 1], its wall time (seconds, decoding included) and the
    number of UNet calls (a guided step is one call on two rows)."""

    video: torch.Tensor
    seconds: float
    unet_calls: int
    method: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def animatediff_pipeline(pipe: VSTARPipeline, motion_adapter: Any = None) -> Any:
    """diffusers' ``AnimateDiffPipeline`` on ``pipe``'s own parts (shared, not copied). Its
    ``enable_free_noise`` reads the motion adapter's config; a course model's adapter is split
    from its UNet (:func:`~vstar_lite.tiny.parts.split_motion_unet`) when none is given."""
    from diffusers import AnimateDiffPipeline

    if not is_motion_unet(pipe.unet):
        raise ValueError(
            f"FreeNoise and FreeInit need an AnimateDiff UNet (UNetMotionModel); this model's "
            f"UNet is {type(pipe.unet).__name__}"
        )
    if motion_adapter is None:
        from vstar_lite.tiny.parts import split_motion_unet

        motion_adapter = split_motion_unet(pipe.unet)[1]
    scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config)
    ad = AnimateDiffPipeline(vae=pipe.vae, text_encoder=pipe.text_encoder,
                             tokenizer=pipe.tokenizer, unet=pipe.unet,
                             motion_adapter=motion_adapter, scheduler=scheduler)  # fmt: skip
    ad.set_progress_bar_config(disable=True)
    return ad


class _CountCalls:
    def __init__(self, module: torch.nn.Module):
        self.calls = 0
        self._hook = module.register_forward_pre_hook(self._count)

    def _count(self, *_: Any) -> None:
        self.calls += 1

    def remove(self) -> None:
        self._hook.remove()


def generate(
    pipe: VSTARPipeline,
    method: str | Method,
    *,
    prompt: str | None = None,
    synopsis: Synopsis | None = None,
    num_frames: int = 16,
    seed: int = 0,
    tar: TARConfig | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    eta: float | None = None,
    animatediff: Any = None,
) -> Generation:
    """One video of ``prompt`` (or ``synopsis``) with ``method``: a key of :data:`METHODS` or
    any :class:`Method` (e.g. FreeInit with TAR).

    ``tar``: the TAR configuration of the methods that use it (default :data:`COMPARED_TAR`).
    ``steps``, ``guidance``, ``eta``: default the model's. ``animatediff``: a reusable
    :func:`animatediff_pipeline` of ``pipe`` (built when needed). On an AnimateDiff UNet every
    method runs in diffusers' ``AnimateDiffPipeline``; otherwise in ``pipe``. A synopsis
    without ``vsp`` is drawn from its first sub-prompt."""
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
        method = METHODS[method]
    spec = method
    method = spec.name
    steps = _check_int("steps", pipe.default_steps if steps is None else steps, 1, 1000)
    guidance = pipe.default_guidance if guidance is None else guidance
    guidance = _check_number("guidance (1 = no guidance)", guidance, 1.0)
    eta = _check_number("eta", pipe.default_eta if eta is None else eta, 0.0, 1.0)
    _check_int("num_frames", num_frames, 2 if spec.vsp and synopsis is not None else 1)
    _check_int("seed", seed, 0, MAX_SEED)
    if (prompt is None) == (synopsis is None):
        raise ValueError("give exactly one of prompt and synopsis")
    if spec.vsp and synopsis is None and not spec.free_noise:
        raise ValueError(f"method {method!r} follows a synopsis: give synopsis, not prompt")
    tar = (tar or COMPARED_TAR) if spec.tar else None
    motion = is_motion_unet(pipe.unet)
    if spec.needs_animatediff and not motion:
        raise ValueError(
            f"method {method!r} is diffusers' AnimateDiff code: it needs a UNetMotionModel, "
            f"this model's UNet is {type(pipe.unet).__name__}"
        )
    text = prompt if synopsis is None else synopsis.sub_prompts[0]
    pipe.check_words([text] if synopsis is None else list(synopsis.sub_prompts))
    counter = _CountCalls(pipe.unet)
    started = time.perf_counter()
    try:
        if not motion:
            result = pipe(
                None if spec.vsp else text, synopsis=synopsis if spec.vsp else None,
                num_frames=num_frames, tar=tar, seed=seed, steps=steps, guidance=guidance,
                eta=eta, progress=False,
            )  # fmt: skip
            video = result.videos
        else:
            ad = animatediff or animatediff_pipeline(pipe)
            latents = _animatediff_latents(ad, pipe, spec, num_frames, seed, text, synopsis, tar,
                                           (steps, guidance, eta))  # fmt: skip
            video = pipe.decode_latents(latents)
    finally:
        counter.remove()
    return Generation(video, time.perf_counter() - started, counter.calls, method)


def _animatediff_latents(
    ad: Any,
    pipe: VSTARPipeline,
    spec: Method,
    num_frames: int,
    seed: int,
    text: str,
    synopsis: Synopsis | None,
    tar: TARConfig | None,
    sampling: tuple[int, float, float],
) -> torch.Tensor:
    """Sample in diffusers' ``AnimateDiffPipeline`` with the method's switches; latents out.
    ``sampling``: steps, guidance, eta."""
    generator = torch.Generator().manual_seed(seed)
    # FreeNoise draws its own noise (its rescheduling needs all frames drawn by diffusers: given
    # latents of one window it fails, given all frames it skips the rescheduling)
    latents = None
    if not spec.free_noise:
        latents = pipe.prepare_latents(1, num_frames, pipe.height, pipe.width, generator)
    steps, guidance, eta = sampling
    prompt: str | dict[int, str] = text
    frame_embeddings = None
    if spec.vsp and synopsis is not None:
        if spec.free_noise:
            prompt = synopsis.to_free_noise(num_frames)
        else:
            frame_embeddings = pipe._conditioning(None, [synopsis], num_frames)[1]
    if spec.free_noise:
        ad.enable_free_noise(**FREE_NOISE)
    if spec.free_init:
        ad.enable_free_init(**FREE_INIT)
    try:  # our processors go in last: enable_free_noise rebuilds the motion blocks
        with enable_vstar(ad.unet, tar, frame_embeddings=frame_embeddings, num_steps=steps,
                          guidance=guidance > 1) as handle:  # fmt: skip
            handle.set_step(0)

            def next_step(_pipe: Any, index: int, _t: Any, _kwargs: dict) -> dict:
                handle.set_step((index + 1) % steps)  # FreeInit starts over at 0 each pass
                return {}

            out = ad(prompt=prompt, num_frames=num_frames, num_inference_steps=steps,
                     guidance_scale=guidance, eta=eta, generator=generator, latents=latents,
                     output_type="latent", callback_on_step_end=next_step)  # fmt: skip
    finally:
        if spec.free_noise:
            ad.disable_free_noise()
        if spec.free_init:
            ad.disable_free_init()
    return out.frames


def world_scores(video: torch.Tensor, text: str, synopsis: Synopsis | None) -> dict[str, Any]:
    """The tiny world's read-out of one video ``"1 3 f h w"``: every
    :class:`~vstar_lite.tiny.measure.ClipScores` field against ``text``, and for a synopsis the
    first- and last-quarter state (:func:`~vstar_lite.tiny.evaluate.synopsis_quarter_scores`)."""
    from vstar_lite.tiny.evaluate import synopsis_quarter_scores
    from vstar_lite.tiny.measure import score_clips

    scores = dict(vars(score_clips(video, [text])[0]))
    if synopsis is not None:
        quarters = synopsis_quarter_scores(video, synopsis)
        scores.update(first=quarters["first"][0], last=quarters["last"][0])
    return scores


def compare(
    models: dict[str, VSTARPipeline],
    prompts: list[str],
    synopses: dict[str, Synopsis],
    *,
    seeds: list[int],
    frame_counts: list[int],
    synopsis_seeds: list[int] | None = None,
    tar: TARConfig | None = None,
    score: Callable[[torch.Tensor, str, Synopsis | None], dict[str, Any]] = world_scores,
    progress: Callable[[str], Any] | None = None,
) -> list[dict[str, Any]]:
    """Every applicable method (:func:`methods_for`) on every model and frame count: each of the
    ``prompts`` x ``seeds``, and each of the ``synopses`` x ``synopsis_seeds`` (default
    ``seeds``). One row per (model, frames, kind of request, method) with, per video, its
    ``score`` (default :func:`world_scores`), wall seconds and UNet calls. ``progress`` is called
    with one line per row."""
    rows = []
    synopsis_seeds = seeds if synopsis_seeds is None else synopsis_seeds
    requests = {
        "prompt": [(p, None, None, s) for s in seeds for p in prompts],
        "synopsis": [(None, n, syn, s) for n, syn in synopses.items() for s in synopsis_seeds],
    }
    for model_name, pipe in models.items():
        motion = is_motion_unet(pipe.unet)
        ad = animatediff_pipeline(pipe) if motion else None
        for frames, kind in itertools.product(frame_counts, requests):
            for method in methods_for(motion, kind == "synopsis"):
                row: dict[str, Any] = {"model": model_name, "frames": frames, "kind": kind,
                                       "method": method, "videos": [], "seconds": [],
                                       "unet_calls": []}  # fmt: skip
                for prompt, name, synopsis, seed in requests[kind]:
                    gen = generate(pipe, method, prompt=prompt, synopsis=synopsis,
                                   num_frames=frames, seed=seed, tar=tar,
                                   animatediff=ad)  # fmt: skip
                    text = prompt if synopsis is None else synopsis.sub_prompts[0]
                    row["videos"].append({"request": name or text, "seed": seed,
                                          **score(gen.video, text, synopsis)})  # fmt: skip
                    row["seconds"].append(gen.seconds)
                    row["unet_calls"].append(gen.unet_calls)
                rows.append(row)
                if progress is not None:
                    progress(f"{model_name}, {frames} frames, {kind}, {method}: "
                             f"{sum(row['seconds']):.0f} s")  # fmt: skip
    return rows
