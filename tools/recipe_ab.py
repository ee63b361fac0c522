"""Choose the tiny denoiser's recipe by measurement: train each variant for the same budget on the
same autoencoder, sample the benchmark captions with the same seeds, score with the calibrated
read-out (``vstar_lite.tiny.measure``), and write a table with 95% intervals.

    python tools/recipe_ab.py --autoencoder runs/ae/vae --steps 600 --out runs/ab \\
        --report data/tiny_model/recipe_ab

Each variant's run folder is resumable (``--out``/<variant>); the report is ``.md`` + ``.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.evaluate import score_pipeline
from vstar_lite.tiny.training import PRESETS, read_curve, train_denoiser
from vstar_lite.tiny.world import WORLD_VERSION

VARIANTS: dict[str, dict] = {
    "x0, lr 1e-3": {"prediction_type": "sample"},
    "v, lr 1e-3": {"prediction_type": "v_prediction"},
    "eps, lr 1e-3": {"prediction_type": "epsilon"},
    "x0, lr 2e-3": {"prediction_type": "sample", "lr": 2e-3},
    "x0, width 48/96": {"prediction_type": "sample", "width": (48, 96)},
    "x0, text encoder frozen": {"prediction_type": "sample", "text_lr": 0.0},
    "x0, text encoder pretrained then frozen": {
        "prediction_type": "sample",
        "text_pretrain": 300,
        "text_lr": 0.0,
    },  # the shipped recipe
    "x0, text encoder lr x0.1": {"prediction_type": "sample", "text_lr": 0.1},
    "x0, text encoder lr x3": {"prediction_type": "sample", "text_lr": 3.0},
    "x0, object weight 10": {"prediction_type": "sample", "object_weight": 10.0},
    "x0, object weight 30": {"prediction_type": "sample", "object_weight": 30.0},
    "x0, min-SNR 5": {"prediction_type": "sample", "snr_gamma": 5.0},
}
NOTES_MARK = "<!-- written by hand below this line; tools/recipe_ab.py keeps it -->"
COLUMNS = ("correct", "direction", "teleports", "change_ratio", "speed")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--autoencoder", required=True, help="AutoencoderKL folder (stage 1)")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", default="runs/ab", help="folder for the runs (outside git)")
    parser.add_argument("--report", default="data/tiny_model/recipe_ab")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument(
        "--label",
        default="",
        help="appended to each variant's name in the report (e.g. the autoencoder)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    # the common recipe: the text encoder trained with the UNet from its random start (each
    # variant changes one thing; "x0, text encoder pretrained then frozen" is the quick preset)
    base = replace(PRESETS["quick"].denoiser, steps=args.steps, text_pretrain=0, text_lr=1.0)
    report_json = Path(args.report).with_suffix(".json")
    results = json.loads(report_json.read_text()) if report_json.exists() else {}
    for name in args.variants:
        config = replace(base, **VARIANTS[name])
        run = Path(args.out) / _slug(name + args.label)
        began = time.perf_counter()
        folder = train_denoiser(config, run, args.autoencoder, progress=False,
                                pool_cache=Path(args.out) / "latent_pool.pt")  # fmt: skip
        curve = read_curve(run / "curves.csv")
        pipe = VSTARPipeline.from_pretrained(folder, device="cpu")
        started = time.perf_counter()
        _, summary = score_pipeline(pipe, seeds=range(args.seeds))
        results[f"{name}{args.label}"] = {
            "config": {k: v for k, v in VARIANTS[name].items()},
            "autoencoder": str(args.autoencoder),
            "steps": args.steps,
            "train_minutes": curve["seconds"][-1] / 60,
            "final_loss": curve["loss"][-1],
            "score_seconds": time.perf_counter() - started,
            "summary": summary,
            "world": WORLD_VERSION,
        }
        print(f"{name}: {time.perf_counter() - began:.0f} s, correct {summary['correct']}")
        report_json.parent.mkdir(parents=True, exist_ok=True)
        report_json.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, Path(args.report).with_suffix(".md"), args.seeds)


def write_markdown(results: dict, path: Path, seeds: int) -> None:
    lines = [
        "# The tiny denoiser's recipe, chosen by measurement",
        "",
        "Written by `python tools/recipe_ab.py` (torch "
        f"{torch.__version__}, 2 CPU cores). Within one world, every variant: the same "
        "autoencoder, the same "
        "training clips (seed 0, a pool of 4096 clips encoded once), batch 8 x 16 frames, "
        "AdamW with warm-up and cosine decay, "
        f"EMA; scored on 12 benchmark captions x {seeds} seeds at 16 frames, DDIM 25 steps, "
        "guidance 4. Each cell: mean [95% bootstrap interval over videos].",
        "",
        "| variant | world | steps | train min | final loss | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for name, r in results.items():
        cells = [
            f"{m:.3f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in (r["summary"][c] for c in COLUMNS)
        ]
        world = r.get("world", "").split(",")[0]  # e.g. "circles and bars"
        lines.append(f"| {name} | {world} | {r['steps']} | {r['train_minutes']:.1f} | "
                     f"{r['final_loss']:.4f} | " + " | ".join(cells) + " |")  # fmt: skip
    lines += [
        "",
        "`correct`: fraction of frames with the caption's colour and shape on its background; "
        "`direction`: fraction of steps along the caption's direction (bounces allowed); "
        "`teleports`: fraction of steps over 3 px; `change_ratio`: frame-to-frame change over "
        "that of real clips (1 = real); `speed`: median step, px per frame. "
        "The losses of different targets are not comparable with each other.",
        "",
        NOTES_MARK,
    ]
    # what was written by hand below the table (what it means, checks after it) is kept
    old = path.read_text() if path.is_file() else ""
    kept = old.split(NOTES_MARK, 1)[1] if NOTES_MARK in old else "\n"
    path.write_text("\n".join(lines) + kept)


if __name__ == "__main__":
    main()
