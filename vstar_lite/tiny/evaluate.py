"""Scoring a text-to-video pipeline on the tiny world: captions x seeds in, scores out.

Everything goes through :class:`vstar_lite.pipeline.VSTARPipeline`, the one sampling loop of the
course, so what is measured here is exactly what ``vstar-lite generate`` produces.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from vstar_lite.tar import TARConfig
from vstar_lite.tiny.measure import ClipScores, bootstrap_interval, score_clips, summarize
from vstar_lite.tiny.world import BACKGROUNDS, COLOURS, DIRECTIONS, SHAPES, caption, parse_caption
from vstar_lite.vsp import Synopsis

__all__ = [
    "BENCHMARK_CAPTIONS",
    "attention_structure",
    "autoencoder_agreement",
    "benchmark_captions",
    "generate_grid",
    "real_clip_attention",
    "real_clips",
    "reconstruct",
    "paired_difference",
    "score_pipeline",
    "swap_word",
    "synopsis_quarter_scores",
    "synopsis_quarters",
    "word_reliance",
]


def benchmark_captions(count: int = 12) -> list[str]:
    """``count`` captions cycling through every colour, shape, direction and background."""
    colours, directions, backgrounds = list(COLOURS), list(DIRECTIONS), list(BACKGROUNDS)
    return [
        caption(colours[i % 5], SHAPES[i % 2], directions[(i // 2) % 4], backgrounds[(i // 3) % 2])
        for i in range(count)
    ]


BENCHMARK_CAPTIONS = tuple(benchmark_captions())
OPPOSITE = {"right": "left", "left": "right", "up": "down", "down": "up"}  # for swap_word


def generate_grid(
    pipe,
    prompts: Sequence[str] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    synopsis: Synopsis | str | None = None,
    num_frames: int = 16,
    tar: TARConfig | None = None,
    guidance: float | None = None,
) -> torch.Tensor:
    """Videos ``"(s b) 3 f h w"``: for every seed, one batch of all ``prompts`` (or ``len(seeds)``
    videos of one synopsis, one per seed)."""
    videos = []
    for seed in seeds:
        if synopsis is not None:
            result = pipe(synopsis=synopsis, num_frames=num_frames, tar=tar, seed=seed,
                          guidance=guidance, progress=False)  # fmt: skip
        else:
            result = pipe(list(prompts), num_frames=num_frames, tar=tar, seed=seed,
                          guidance=guidance, progress=False)  # fmt: skip
        videos.append(result.videos)
    return torch.cat(videos)


def real_clips(
    captions: Sequence[str], seeds: Sequence[int] = (0, 1, 2), num_frames: int = 16
) -> torch.Tensor:
    """Real clips ``"(s b) 3 f h w"``, one per (seed, caption) in the order of
    :func:`generate_grid`: the reference that generated videos of the same captions and seeds are
    compared with. Clip ``i`` of seed ``s`` is drawn from world seed ``50_000 + 100 s + i``, so a
    longer clip of one (seed, caption) starts with the shorter one."""
    from vstar_lite.tiny.world import sample_clips

    videos = [sample_clips(1, num_frames, 50_000 + 100 * s + i, **parse_caption(c)).videos
              for s in seeds for i, c in enumerate(captions)]  # fmt: skip
    return torch.cat(videos)


def score_pipeline(
    pipe,
    prompts: Sequence[str] = BENCHMARK_CAPTIONS,
    seeds: Sequence[int] = (0, 1, 2),
    **kwargs,
) -> tuple[list[ClipScores], dict[str, tuple[float, float, float]]]:
    """Per-video :class:`~vstar_lite.tiny.measure.ClipScores` and their summary (mean and 95%
    interval over the ``len(prompts) x len(seeds)`` videos); ``kwargs`` go to
    :func:`generate_grid`."""
    videos = generate_grid(pipe, prompts, seeds, **kwargs)
    rows = score_clips(videos, list(prompts) * len(seeds))
    return rows, summarize(rows)


def synopsis_quarters(
    videos: torch.Tensor, synopsis: Synopsis
) -> dict[str, tuple[float, float, float]]:
    """How far videos ``"b 3 f h w"`` of ``synopsis`` show its first sub-prompt in their first
    quarter of frames and its last sub-prompt in their last quarter: the fraction of those frames
    that are *correct* for that sub-prompt (colour, shape and background), mean and 95% interval
    over videos (per video: :func:`synopsis_quarter_scores`)."""
    per_video = synopsis_quarter_scores(videos, synopsis)
    return {name: bootstrap_interval(values) for name, values in per_video.items()}


def synopsis_quarter_scores(videos: torch.Tensor, synopsis: Synopsis) -> dict[str, list[float]]:
    """Per video, the fractions of :func:`synopsis_quarters`: ``{"first": [...], "last": [...]}``
    (the first and the last quarter's frames that are correct for the first and last sub-prompt)."""
    f = videos.shape[2]
    quarter = max(1, f // 4)
    out = {}
    for name, text, frames in (
        ("first", synopsis.sub_prompts[0], slice(0, quarter)),
        ("last", synopsis.sub_prompts[-1], slice(f - quarter, f)),
    ):
        parse_caption(text)  # a clear error for a sub-prompt outside the world's grammar
        part = videos[:, :, frames]
        if part.shape[2] < 2:
            raise ValueError(f"num_frames must be >= 8 to score quarters, got {f}")
        out[name] = [r.correct for r in score_clips(part, [text] * part.shape[0])]
    return out


def paired_difference(
    a: Sequence[float], b: Sequence[float], resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``(mean, low, high)`` of ``a - b`` over paired videos (same captions and seeds, two
    conditions) with its 95% bootstrap interval: a difference is *shown* only when the interval
    excludes 0. Pairing removes what the two conditions share (caption, starting noise)."""
    if len(a) != len(b) or not len(a):
        raise ValueError(f"a and b must be paired, non-empty lists, got {len(a)} and {len(b)}")
    diff = torch.as_tensor(a, dtype=torch.float64) - torch.as_tensor(b, dtype=torch.float64)
    return bootstrap_interval(diff, resamples, seed)


def reconstruct(vae, videos: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Encode and decode videos ``"b 3 f h w"`` frame by frame (posterior means), clamped."""
    b = videos.shape[0]
    frames = videos.permute(0, 2, 1, 3, 4).flatten(0, 1)  # "(b f) 3 h w"
    with torch.no_grad():
        out = torch.cat(
            [vae.decode(vae.encode(x).latent_dist.mean).sample for x in frames.split(chunk)]
        )
    return out.clamp(-1, 1).unflatten(0, (b, -1)).permute(0, 2, 1, 3, 4)


def autoencoder_agreement(vae, clips: int = 96, num_frames: int = 16, seed: int = 99) -> dict:
    """How far the read-out of decoded real clips agrees with that of the originals: per frame
    found, colour, shape and background range; position and size within 0.5 px; per clip the
    direction score. Also the reconstruction error (MSE and PSNR on [-1, 1])."""
    from vstar_lite.tiny.measure import background_range, read_frames
    from vstar_lite.tiny.world import sample_clips

    real = sample_clips(clips, num_frames, seed)
    decoded = reconstruct(vae, real.videos)
    a, b = read_frames(real.videos), read_frames(decoded)
    flat = lambda rows: [v for row in rows for v in row]  # noqa: E731
    in_range = []
    for frames in (a, b):
        ok = torch.zeros(clips, num_frames, dtype=torch.bool)
        for i, text in enumerate(real.captions):
            low, high = background_range(parse_caption(text)["background"])
            ok[i] = (frames.clean_background[i] >= low) & (frames.clean_background[i] <= high)
        in_range.append(ok)
    agree = {
        "found": sum((x is None) == (y is None) for x, y in zip(flat(a.colour), flat(b.colour))),
        "colour": sum(x == y for x, y in zip(flat(a.colour), flat(b.colour))),
        "shape": sum(x == y for x, y in zip(flat(a.shape), flat(b.shape))),
        "background": int((in_range[0] == in_range[1]).sum()),
        "position": int((((a.x - b.x) ** 2 + (a.y - b.y) ** 2).sqrt() < 0.5).sum()),
        "size": int(((a.size - b.size).abs() < 0.5).sum()),
    }
    total = clips * num_frames
    result = {name: count / total for name, count in agree.items()}
    rows_a, rows_b = score_clips(real.videos, real.captions), score_clips(decoded, real.captions)
    result["direction"] = sum(abs(x.direction - y.direction) < 1e-9 for x, y in
                              zip(rows_a, rows_b)) / clips  # fmt: skip
    mse = float((decoded - real.videos).pow(2).mean())
    result["mse"] = mse
    result["psnr_db"] = float(10 * torch.log10(torch.tensor(4.0 / mse)))
    return result


@torch.no_grad()
def real_clip_attention(
    pipe,
    videos: torch.Tensor,
    captions: Sequence[str],
    seed: int = 0,
    tar: TARConfig | None = None,
) -> dict[tuple[int, int], torch.Tensor]:
    """Temporal attention maps ``{(level, step): "f f"}`` of real clips ``"b 3 f h w"``: for
    every step of the pipeline's DDIM schedule, the clips' latents are noised to that step's
    timestep (fresh noise per step) and denoised once with their captions, conditional only;
    with ``tar``, under TAR (its step limit counts these steps)."""
    from vstar_lite.diffusers_hooks import enable_vstar
    from vstar_lite.tiny.training import encode_videos

    x0 = encode_videos(pipe.vae, videos.to(pipe.device, pipe.dtype))
    context = pipe.unet_text(pipe.encode_prompt(list(captions)), videos.shape[2])
    scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config)
    scheduler.set_timesteps(pipe.default_steps)
    generator = torch.Generator().manual_seed(seed)
    with enable_vstar(pipe.unet, tar, capture=True, num_steps=len(scheduler.timesteps),
                      guidance=False) as handle:  # fmt: skip
        for step, t in enumerate(scheduler.timesteps):
            handle.set_step(step)
            noise = torch.randn(x0.shape, generator=generator).to(x0)
            pipe.unet(scheduler.add_noise(x0, noise, t.expand(x0.shape[0])), t,
                      encoder_hidden_states=context)  # fmt: skip
        return handle.capture.maps()


def attention_structure(maps: dict[tuple[int, int], torch.Tensor]) -> dict[int, dict[str, float]]:
    """Per level: diagonalness and mean diagonal probability of the maps averaged over all
    captured steps, with the uniform value ``1 / F`` beside them."""
    from vstar_lite.tar import diagonalness, mean_diagonal_probability

    levels: dict[int, list[torch.Tensor]] = {}
    for (level, _), value in maps.items():
        levels.setdefault(level, []).append(value)
    out = {}
    for level, values in sorted(levels.items()):
        mean = torch.stack(values).mean(0)
        out[level] = {"diagonalness": float(diagonalness(mean)),
                      "mean_diagonal": float(mean_diagonal_probability(mean)),
                      "uniform": 1.0 / mean.shape[-1]}  # fmt: skip
    return out


def swap_word(text: str, attribute: str) -> str:
    """``text`` with the word of one ``attribute`` changed: the next colour of the world's list,
    the other shape or background, the opposite direction."""
    words = parse_caption(text)
    if attribute == "direction":
        words["direction"] = OPPOSITE[words["direction"]]
    elif attribute in ("colour", "shape", "background"):
        pool = {"colour": list(COLOURS), "shape": list(SHAPES), "background": list(BACKGROUNDS)}
        options = pool[attribute]
        words[attribute] = options[(options.index(words[attribute]) + 1) % len(options)]
    else:
        raise ValueError(
            f"attribute must be one of colour, shape, direction, background, got {attribute!r}"
        )
    return caption(words["colour"], words["shape"], words["direction"], words["background"])


@torch.no_grad()
def word_reliance(
    pipe, clips: int = 64, timesteps: Sequence[int] = (900, 600, 300), seed: int = 777
) -> dict[str, dict[int, tuple[float, float, float]]]:
    """How much the denoiser of ``pipe`` relies on each word of its caption. Real clips are
    noised to each timestep and denoised once with their own captions, then again with one word
    of every caption swapped (:func:`swap_word`) or with the empty caption; the result is the
    ratio of the two errors against the training target, per clip: ``{"colour": {900: (mean,
    low, high), ...}, ..., "empty": {...}}`` with a 95% bootstrap interval over clips. A ratio of
    1 means the word changes nothing the denoiser outputs: it draws the same with either word."""
    from diffusers import DDPMScheduler

    from vstar_lite.tiny.training import diffusion_target, encode_videos
    from vstar_lite.tiny.world import sample_clips

    if not isinstance(clips, int) or clips < 2:
        raise ValueError(f"clips must be an int >= 2, got {clips!r}")
    if not timesteps or any(not isinstance(t, int) or not 0 <= t < 1000 for t in timesteps):
        raise ValueError(f"timesteps must be ints in [0, 999], got {timesteps!r}")
    real = sample_clips(clips, 16, seed)
    x0 = encode_videos(pipe.vae, real.videos.to(pipe.device, pipe.dtype))  # "b c f h w"
    schedule = DDPMScheduler.from_config(pipe.scheduler.config)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed)).to(x0)
    variants = {"empty": [""] * clips}
    for attribute in ("colour", "shape", "direction", "background"):
        variants[attribute] = [swap_word(c, attribute) for c in real.captions]
    out: dict[str, dict[int, tuple[float, float, float]]] = {name: {} for name in variants}
    for t in timesteps:
        step = torch.full((clips,), t, device=x0.device)
        noisy = schedule.add_noise(x0, noise, step)
        target = diffusion_target(schedule.config.prediction_type, schedule, x0, noise, step)

        def error(captions: list[str]) -> torch.Tensor:  # "b"
            context = pipe.unet_text(pipe.encode_prompt(captions), x0.shape[2])
            prediction = pipe.unet(noisy, step, encoder_hidden_states=context).sample
            return (prediction - target).float().pow(2).flatten(1).mean(1)

        own = error(list(real.captions))
        for name, captions in variants.items():
            out[name][t] = bootstrap_interval(error(captions) / own)
    return out
