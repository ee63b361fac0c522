"""Where a tiny pipeline loses the bars: decoder, denoiser or prompt.

    python tools/shape_diagnostics.py data/tiny_model/modelscope --out runs/shape.json

Real clips of bars (24 clips x 8 frames, world seed 5) are read back as bars or not:

1. decoded from their own latents, and from latents with Gaussian noise of a few standard
   deviations added (how much error the decoder tolerates before a bar turns round);
2. from the denoiser's one-step estimate of the clean latents, at a few timesteps, prompted once
   with the clips' own (bar) captions and once with the same captions saying "circle" (does
   the shape word change what the denoiser draws?).

Prints a table and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from diffusers import DDPMScheduler
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.measure import read_frames
from vstar_lite.tiny.training import encode_videos
from vstar_lite.tiny.world import sample_clips

NOISE_LEVELS = (0.0, 0.1, 0.2, 0.4)  # in standard deviations of the scaled latents (about 1)
TIMESTEPS = (50, 150, 300, 500, 700)


def bar_fraction(videos: torch.Tensor) -> float:
    """Fraction of the frames of ``"b 3 f h w"`` read as a bar."""
    shapes = [s for row in read_frames(videos).shape for s in row]
    return sum(s == "bar" for s in shapes) / len(shapes)


def clean_estimate(
    schedule: DDPMScheduler, output: torch.Tensor, noisy: torch.Tensor, t: int
) -> torch.Tensor:
    """The UNet's ``output`` at timestep ``t`` as an estimate of the clean latents."""
    a = schedule.alphas_cumprod[t]
    kind = schedule.config.prediction_type
    if kind == "sample":
        return output
    if kind == "v_prediction":
        return a.sqrt() * noisy - (1 - a).sqrt() * output
    return (noisy - (1 - a).sqrt() * output) / a.sqrt()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="a tiny pipeline folder")
    parser.add_argument("--out", help="JSON file for the numbers")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    pipe = VSTARPipeline.from_pretrained(args.folder, device="cpu")
    clips = sample_clips(24, 8, seed=5, shape="bar")
    latents = encode_videos(pipe.vae, clips.videos)  # "b c f h w", scaled
    generator = torch.Generator().manual_seed(0)
    decode = pipe.decode_latents

    def context(captions: list[str]) -> torch.Tensor:
        with torch.no_grad():
            return pipe.encode_prompt(captions)

    result: dict = {"folder": str(args.folder), "real": bar_fraction(clips.videos)}
    scale = float(latents.std())
    result["decoded"] = {
        str(level): bar_fraction(
            decode(latents + level * scale * torch.randn(latents.shape, generator=generator))
        )  # fmt: skip
        for level in NOISE_LEVELS
    }
    schedule = DDPMScheduler.from_config(pipe.scheduler.config)
    bar, circle = (
        context(clips.captions),
        context([c.replace(" bar ", " circle ") for c in clips.captions]),
    )
    result["estimate"] = {}
    for t in TIMESTEPS:
        steps = torch.full((len(latents),), t)
        noisy = schedule.add_noise(latents, torch.randn(latents.shape, generator=generator), steps)
        row = {}
        with torch.no_grad():
            for name, ctx in (("bar prompt", bar), ("circle prompt", circle)):
                out = pipe.unet(noisy, steps, encoder_hidden_states=ctx).sample
                x0 = clean_estimate(schedule, out, noisy, t)
                row[name] = bar_fraction(decode(x0))
            row["x0 rms error"] = float((x0 - latents).pow(2).mean().sqrt())
        result["estimate"][str(t)] = row
    print(f"real clips read as bars: {result['real']:.2f}")
    for level, value in result["decoded"].items():
        print(f"decoded, latent noise {float(level):.1f} std: {value:.2f}")
    for t, row in result["estimate"].items():
        print(
            f"denoiser estimate at t={t:>3}: bar prompt {row['bar prompt']:.2f}, circle "
            f"prompt {row['circle prompt']:.2f}, x0 rms error {row['x0 rms error']:.3f}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
