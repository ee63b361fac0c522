"""Measure a tiny model against the bar of its issue and print a report (markdown tables).

    python tools/evaluate_tiny.py [vstar|scvideo|FOLDER] [--seeds 3] [--held-out 8]

- held-out denoising loss (clips from a data seed no training run uses);
- pixel scores of generated videos (12 captions x seeds, 16 and 64 frames) next to real clips;
- temporal attention structure of real clips and generated videos, per level.
The shipped numbers are in data/tiny_model/<name>/report.md.
"""

from __future__ import annotations

import argparse
import time

import torch
from diffusers import DDPMScheduler
from vstar_lite.tiny import TinyT2V, generate, load_tiny
from vstar_lite.tiny.analysis import (
    attention_structure,
    benchmark_captions,
    generated_attention,
    real_clip_attention,
    real_clips_for,
)
from vstar_lite.tiny.measure import score_videos
from vstar_lite.tiny.train import TrainConfig, training_loss

COLUMNS = [
    "colour",
    "background",
    "direction",
    "found",
    "frame_change",
    "speed",
    "hue_drift",
    "size_drift",
]


@torch.no_grad()
def held_out_loss(model: TinyT2V, batches: int) -> float:
    """Mean training loss on clips of a data seed no training run uses (999)."""
    scheduler = DDPMScheduler(**model.config.scheduler_config)
    config = TrainConfig(seed=999, caption_dropout=0.0)
    return sum(float(training_loss(model, scheduler, config, s)) for s in range(batches)) / batches


def row(name: str, frames: int, scores: dict[str, float], real_change: float) -> str:
    cells = [f"{scores[c]:.3f}" for c in COLUMNS] + [f"{scores['frame_change'] / real_change:.2f}"]
    return f"| {name} | {frames} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", default="vstar")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--held-out", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    model = load_tiny(args.model)
    print(f"# tiny model report: {args.model} ({model.config.name} layout)\n")
    print(
        f"held-out {model.config.prediction_type} loss ({args.held_out} batches of 16 clips): "
        f"{held_out_loss(model, args.held_out):.4f}\n"
    )
    texts = benchmark_captions()
    print("| videos | frames | " + " | ".join(COLUMNS) + " | change / real |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    for frames, subset in ((16, texts), (64, texts[:6])):
        real = torch.cat([real_clips_for(subset, frames, seed=s) for s in range(args.seeds)])
        real_scores = score_videos(real, subset * args.seeds)
        videos = torch.cat(
            [generate(model, subset, num_frames=frames, seed=s) for s in range(args.seeds)]
        )
        generated = score_videos(videos, subset * args.seeds)
        print(row("real clips", frames, real_scores, real_scores["frame_change"]))
        print(row("generated", frames, generated, real_scores["frame_change"]))
    print("\n| maps | frames | level | diagonalness | mean diagonal | 1/F |")
    print("|---|---|---|---|---|---|")
    for frames, subset in ((16, texts[:8]), (64, texts[:4])):
        real = real_clips_for(subset, frames, seed=0)
        _, generated_maps = generated_attention(model, subset, num_frames=frames, seed=0)
        for name, maps in (
            ("real clips", real_clip_attention(model, real, subset)),
            ("generated", generated_maps),
        ):
            for level, s in attention_structure(maps).items():
                print(
                    f"| {name} | {frames} | {level} | {s['diagonalness']:.3f} | "
                    f"{s['mean_diagonal']:.4f} | {s['uniform']:.4f} |"
                )
    print(
        f"\n{len(texts)} captions x {args.seeds} seeds at 16 frames, 6 x {args.seeds} at 64; "
        f"DDIM 25 steps, guidance 4; {time.perf_counter() - started:.0f} s on "
        f"{torch.get_num_threads()} threads"
    )


if __name__ == "__main__":
    main()
