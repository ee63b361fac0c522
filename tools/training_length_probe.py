"""Does a longer stage 2 teach the UNet the direction word? Train in chunks, measure after each.

    python tools/training_length_probe.py animatediff 4800    # about 30 minutes on 2 CPU cores

Trains the preset's denoiser (``modelscope``: the shipped recipe's stage 2; ``animatediff``: the
AnimateDiff-style UNet) for ``steps`` UNet steps, on the shipped autoencoder, in four equal chunks
(one resumable run: the learning-rate schedule is that of the whole length). After each chunk it
measures the EMA weights:

- how far the UNet relies on each caption word (:func:`vstar_lite.tiny.evaluate.word_reliance`,
  64 real clips, timesteps 900, 600, 300);
- direction, teleports and ``correct`` of 12 benchmark captions x 2 seeds at 16 frames.

Appends one JSON line per chunk to ``data/tiny_model/training_length_probe.jsonl`` (checkpoints
go to ``runs/probe_<layout>_<steps>/``, outside git).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

from vstar_lite.paths import data_path
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.evaluate import BENCHMARK_CAPTIONS, generate_grid, word_reliance
from vstar_lite.tiny.measure import bootstrap_interval, score_clips
from vstar_lite.tiny.recipes import ANIMATEDIFF_DENOISER, SHIPPED_DENOISER
from vstar_lite.tiny.training import shipped_autoencoder, train_denoiser

DENOISERS = {"modelscope": SHIPPED_DENOISER, "animatediff": ANIMATEDIFF_DENOISER}
CHUNKS = 4


def measure(folder: Path) -> dict:
    """Word reliance and three clip scores of the pipeline in ``folder``."""
    pipe = VSTARPipeline.from_pretrained(folder, device="cpu")
    reliance = word_reliance(pipe)
    captions = list(BENCHMARK_CAPTIONS)
    rows = score_clips(generate_grid(pipe, captions, (0, 1)), captions * 2)
    scores = {name: bootstrap_interval([getattr(r, name) for r in rows])
              for name in ("direction", "teleports", "correct")}  # fmt: skip
    return {"words": {name: {str(t): v for t, v in per.items()} for name, per in
                      reliance.items()}, "scores": scores}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("layout", choices=list(DENOISERS))
    parser.add_argument("steps", type=int, help="UNet steps in all (a multiple of 4)")
    args = parser.parse_args(argv)
    if args.steps < CHUNKS or args.steps % CHUNKS:
        parser.error(f"steps must be a positive multiple of {CHUNKS}, got {args.steps}")
    config = replace(DENOISERS[args.layout], steps=args.steps)
    out = Path("runs") / f"probe_{args.layout}_{args.steps}"
    record = data_path("tiny_model") / "training_length_probe.jsonl"
    for stop in range(args.steps // CHUNKS, args.steps + 1, args.steps // CHUNKS):
        began = time.perf_counter()
        folder = train_denoiser(config, out, shipped_autoencoder(), progress=False,
                                stop_after=stop)  # fmt: skip
        row = {"layout": args.layout, "steps": args.steps, "step": stop,
               "train_s": round(time.perf_counter() - began), **measure(folder),
               "config": asdict(config)}  # fmt: skip
        with open(record, "a") as handle:
            handle.write(json.dumps(row) + "\n")
        words, scores = row["words"], row["scores"]
        print(f"step {stop}: direction swapped {words['direction']['600'][0]:.3f} at t = 600, "
              f"colour swapped {words['colour']['600'][0]:.3f}; direction score "
              f"{scores['direction'][0]:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
