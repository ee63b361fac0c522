"""Experiments on the tiny model that notebooks 05-09 and the report share.

- :func:`evaluate`: generate videos for prompts x seeds (optionally with TAR or per-frame text)
  and score them from pixels, next to real clips of the same captions;
- :func:`real_clip_attention` and :func:`generated_attention`: temporal attention maps per level
  and per denoising step, averaged over heads, pixels and layers, for real clips (noised to each
  sampling step's timestep and passed through the model, as in the paper's analysis) and for
  generated videos;
- :func:`attention_structure`: diagonalness and mean diagonal probability of such maps.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from diffusers import DDIMScheduler

from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.tar import TARConfig, diagonalness, mean_diagonal_probability
from vstar_lite.tiny.measure import score_videos
from vstar_lite.tiny.model import SCHEDULER_CONFIG, TinyT2V, to_latents
from vstar_lite.tiny.sample import DEFAULT_GUIDANCE, DEFAULT_STEPS, generate
from vstar_lite.tiny.world import parse_caption, sample_clips

__all__ = [
    "attention_structure",
    "evaluate",
    "generated_attention",
    "real_clip_attention",
    "real_clips_for",
    "sampling_timesteps",
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
