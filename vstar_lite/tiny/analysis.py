"""Experiments on the tiny model that notebooks 05-09 and the report share.

- :func:`evaluate`: generate videos for prompts x seeds (optionally with TAR or per-frame text)
  and score them from pixels, next to real clips of the same captions;
- :func:`real_clip_attention` and :func:`generated_attention`: temporal attention maps per level
  and per denoising step, averaged over heads, pixels and layers, for real clips (noised to each
  sampling step's timestep and passed through the model, as in the paper's analysis) and for
  generated videos;
- :func:`attention_structure`: diagonalness and mean diagonal probability of such maps;
- :func:`synopsis_embeddings`, :func:`synopsis_videos`, :func:`synopsis_scores` (and both in one,
  :func:`follow_synopsis`): video synopsis prompting on the tiny model, and how closely a video
  follows the synopsis' states.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from diffusers import DDIMScheduler

from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.tar import TARConfig, diagonalness, mean_diagonal_probability
from vstar_lite.tiny.evaluate import benchmark_captions
from vstar_lite.tiny.measure import frame_state_match, score_videos
from vstar_lite.tiny.model import SCHEDULER_CONFIG, TinyT2V, to_latents
from vstar_lite.tiny.sample import DEFAULT_GUIDANCE, DEFAULT_STEPS, generate
from vstar_lite.tiny.world import (
    parse_caption,
    sample_clips,
)
from vstar_lite.vsp import Synopsis, interpolate_embeddings

__all__ = [
    "attention_structure",
    "benchmark_captions",
    "evaluate",
    "follow_synopsis",
    "generated_attention",
    "real_clip_attention",
    "real_clips_for",
    "sampling_timesteps",
    "synopsis_embeddings",
    "synopsis_scores",
    "synopsis_states",
    "synopsis_videos",
]


def real_clips_for(captions: Sequence[str], num_frames: int, seed: int = 0) -> torch.Tensor:
    """One real clip per caption (``"b 3 f 32 32"``), drawn with the caption's attributes."""
    videos = []
    for i, text in enumerate(captions):
        videos.append(
            sample_clips(1, num_frames, seed=seed * 10_007 + i, **parse_caption(text)).videos
        )
    return torch.cat(videos)


def evaluate(
    model: TinyT2V,
    prompts: Sequence[str],
    seeds: Sequence[int],
    num_frames: int = 16,
    tar: TARConfig | None = None,
    frame_embeddings: torch.Tensor | None = None,
    guidance: float = DEFAULT_GUIDANCE,
) -> dict[str, float]:
    """Mean pixel scores over ``prompts x seeds`` (as in ``measure.score_video``)."""
    videos, captions = [], []
    for seed in seeds:
        with enable_vstar(model.unet, tar, frame_embeddings=frame_embeddings):
            for prompt in prompts:
                videos.append(
                    generate(model, prompt, num_frames=num_frames, seed=seed, guidance=guidance)
                )
                captions.append(prompt)
    return score_videos(torch.cat(videos), captions)


def sampling_timesteps(steps: int = DEFAULT_STEPS) -> torch.Tensor:
    """The timesteps of a ``steps``-step DDIM run of the tiny model, noisiest first."""
    scheduler = DDIMScheduler(**SCHEDULER_CONFIG)
    scheduler.set_timesteps(steps)
    return scheduler.timesteps


@torch.no_grad()
def real_clip_attention(
    model: TinyT2V,
    videos: torch.Tensor,
    captions: Sequence[str],
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
) -> dict[tuple[int, int], torch.Tensor]:
    """Temporal attention maps ``{(level, step): "f f"}`` of real clips noised to each step.

    For every step of a ``steps``-step DDIM schedule, the clips are noised to that step's timestep
    (fresh noise per step) and passed through the model with their captions, conditional only.
    """
    x0 = to_latents(videos)
    context = model.encode(list(captions))
    generator = torch.Generator().manual_seed(seed)
    scheduler = DDIMScheduler(**SCHEDULER_CONFIG)
    with enable_vstar(model.unet, capture=True) as handle:
        for t in sampling_timesteps(steps):
            noise = torch.randn(x0.shape, generator=generator)
            model(scheduler.add_noise(x0, noise, t), t.expand(x0.shape[0]), context)
        return handle.capture.maps()


@torch.no_grad()
def generated_attention(
    model: TinyT2V,
    prompts: Sequence[str],
    num_frames: int = 16,
    seed: int = 0,
    tar: TARConfig | None = None,
    guidance: float = DEFAULT_GUIDANCE,
) -> tuple[torch.Tensor, dict[tuple[int, int], torch.Tensor]]:
    """Generate ``prompts`` and return ``(videos, maps)`` with maps ``{(level, step): "f f"}``.

    Maps average both halves of the guidance batch, as a capture inside the sampler sees them.
    """
    with enable_vstar(model.unet, tar, capture=True) as handle:
        videos = generate(model, list(prompts), num_frames=num_frames, seed=seed, guidance=guidance)
        return videos, handle.capture.maps()


def attention_structure(
    maps: dict[tuple[int, int], torch.Tensor], steps: Sequence[int] | None = None
) -> dict[int, dict[str, float]]:
    """Per level: diagonalness and mean diagonal probability of the maps averaged over ``steps``
    (default all), with the uniform value ``1 / F`` for comparison."""
    levels: dict[int, list[torch.Tensor]] = {}
    for (level, step), value in maps.items():
        if steps is None or step in steps:
            levels.setdefault(level, []).append(value)
    summary = {}
    for level, values in sorted(levels.items()):
        mean = torch.stack(values).mean(0)
        summary[level] = {
            "diagonalness": float(diagonalness(mean)),
            "mean_diagonal": float(mean_diagonal_probability(mean)),
            "uniform": 1.0 / mean.shape[-1],
        }
    return summary


def synopsis_embeddings(
    model: TinyT2V, synopsis: Synopsis, num_frames: int, mode: str = "linear"
) -> torch.Tensor:
    """VSP: the sub-prompts' embeddings interpolated to one per frame, ``"f L D"``."""
    subs = model.encode(list(synopsis.sub_prompts))  # "N L D"
    return interpolate_embeddings(subs, num_frames, synopsis.keyframes_for(num_frames), mode)


def synopsis_states(synopsis: Synopsis, num_frames: int) -> list[str]:
    """For each frame, the sub-prompt whose keyframe is nearest (the earlier one on a tie)."""
    keys = synopsis.keyframes_for(num_frames)
    nearest = [min(range(len(keys)), key=lambda n: abs(f - keys[n])) for f in range(num_frames)]
    return [synopsis.sub_prompts[n] for n in nearest]


@torch.no_grad()
def synopsis_videos(
    model: TinyT2V,
    synopsis: Synopsis,
    num_frames: int,
    seeds: Sequence[int],
    vsp: bool = True,
    tar: TARConfig | None = None,
    guidance: float = DEFAULT_GUIDANCE,
) -> torch.Tensor:
    """Videos ``"b 3 f 32 32"`` (one per seed) for ``synopsis``: with VSP, or (``vsp=False``) the
    baseline of the first sub-prompt on every frame, the single prompt the tiny grammar can say."""
    if vsp:
        embeddings = synopsis_embeddings(model, synopsis, num_frames)
    else:
        embeddings = model.encode(synopsis.sub_prompts[0]).expand(num_frames, -1, -1)
    videos = []
    with enable_vstar(model.unet, tar):
        for seed in seeds:
            videos.append(
                generate(
                    model,
                    frame_embeddings=embeddings,
                    num_frames=num_frames,
                    seed=seed,
                    guidance=guidance,
                )
            )
    return torch.cat(videos)


def synopsis_scores(videos: torch.Tensor, synopsis: Synopsis) -> dict[str, float]:
    """How far ``videos`` follow ``synopsis``: the fraction of frames in the state (colour and
    background, :func:`~vstar_lite.tiny.measure.frame_state_match`) of their nearest sub-prompt
    over the first quarter (``start``), the last quarter (``end``) and all frames (``all``), and
    ``end_is_start``: the fraction of last-quarter frames still in the *first* state."""
    num_frames = videos.shape[2]
    quarter = max(1, num_frames // 4)
    match = frame_state_match(videos, synopsis_states(synopsis, num_frames))  # "b f"
    first = frame_state_match(videos, [synopsis.sub_prompts[0]] * num_frames)
    return {
        "start": float(match[:, :quarter].mean()),
        "end": float(match[:, -quarter:].mean()),
        "all": float(match.mean()),
        "end_is_start": float(first[:, -quarter:].mean()),
    }


def follow_synopsis(
    model: TinyT2V,
    synopsis: Synopsis,
    num_frames: int,
    seeds: Sequence[int],
    vsp: bool = True,
    tar: TARConfig | None = None,
    guidance: float = DEFAULT_GUIDANCE,
) -> dict[str, float]:
    """:func:`synopsis_scores` of :func:`synopsis_videos`."""
    videos = synopsis_videos(model, synopsis, num_frames, seeds, vsp, tar, guidance)
    return synopsis_scores(videos, synopsis)
