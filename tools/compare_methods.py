"""VSTAR, FreeNoise and FreeInit on the tiny models: the same prompts, seeds and frame counts.

    python tools/compare_methods.py            # about 20 minutes on 2 CPU cores

Writes ``data/tiny_model/comparison.md`` and ``comparison.json``: for the AnimateDiff-style model
(``data/tiny_model/animatediff``) every method of :func:`vstar_lite.compare.methods_for`, and for
the ModelScope-style model (``data/tiny_model/modelscope``) VSTAR's; at 16 and 64 frames; on the 12
benchmark captions and the three tiny synopses. Each score is a mean with its 95% bootstrap
interval over videos (:func:`vstar_lite.tiny.measure.bootstrap_interval`); wall time and UNet
calls are per video.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch
from vstar_lite.compare import COMPARED_TAR, FREE_INIT, FREE_NOISE, compare
from vstar_lite.paths import data_path
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.evaluate import BENCHMARK_CAPTIONS
from vstar_lite.tiny.measure import bootstrap_interval
from vstar_lite.vsp import load_synopses

SYNOPSES = ("tiny_red_to_blue", "tiny_traffic_light", "tiny_dusk")
MODELS = {"AnimateDiff-style": "tiny-animatediff", "ModelScope-style": "tiny"}
PROMPT_SCORES = ("correct", "direction", "speed", "teleports", "change_ratio")
SYNOPSIS_SCORES = ("first", "last", "teleports")


def summarize_row(row: dict) -> dict:
    """Means and intervals of a comparison row's scores, seconds and UNet calls."""
    names = PROMPT_SCORES if row["kind"] == "prompt" else SYNOPSIS_SCORES
    out = {n: bootstrap_interval([v[n] for v in row["videos"]]) for n in names}
    out["seconds"] = sum(row["seconds"]) / len(row["seconds"])
    out["unet_calls"] = sum(row["unet_calls"]) / len(row["unet_calls"])
    return out


def _cell(value: tuple[float, float, float]) -> str:
    return f"{value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}]"


def write_markdown(report: dict, path: Path) -> None:
    lines = [
        "# VSTAR, FreeNoise and FreeInit on the tiny models",
        "",
        f"Written by `{report['command']}` ({report['minutes']:.0f} min on 2 CPU cores, torch "
        f"{report['torch']}, diffusers {report['diffusers']}). DDIM 25 steps (eta 0), guidance 4. "
        f"Prompts: the 12 benchmark captions x seeds {report['seeds']} (16 frames) and "
        f"{report['long_seeds']} (64 frames); synopses {', '.join(SYNOPSES)} x seeds "
        f"{report['synopsis_seeds']} (16 frames) and {report['long_synopsis_seeds']} (64 "
        "frames). Each cell: mean [95% bootstrap interval over videos]. TAR: "
        f"{report['tar']}; FreeNoise: {report['free_noise']}; FreeInit: {report['free_init']}.",
        "",
    ]
    for kind, names, title in (
        ("prompt", PROMPT_SCORES, "One prompt"),
        ("synopsis", SYNOPSIS_SCORES, "Synopses (first and last quarter: the state of the "
                                      "first and the last sub-prompt)"),
    ):  # fmt: skip
        lines += [f"## {title}", "",
                  "| model | frames | method | videos | " + " | ".join(names)
                  + " | s per video | UNet calls |",
                  "|---" * (len(names) + 6) + "|"]  # fmt: skip
        for row in report["rows"]:
            if row["kind"] != kind:
                continue
            s = row["summary"]
            lines.append(
                f"| {row['model']} | {row['frames']} | {row['method']} | {len(row['videos'])} | "
                + " | ".join(_cell(s[n]) for n in names)
                + f" | {s['seconds']:.2f} | {s['unet_calls']:.0f} |"
            )
        lines.append("")
    lines += [
        "`correct`: fraction of frames with the caption's colour and shape on its background; "
        "`direction`: fraction of steps along the caption's direction (bounces allowed); `speed`: "
        "median step in pixels per frame (real clips: about 1.15); `teleports`: fraction of steps "
        "over 3 px; `change_ratio`: frame-to-frame change over that of real clips (1 = real). A "
        "guided step is one UNet call on two rows; FreeNoise's motion modules run once per "
        "window inside each call; FreeInit samples three times.",
        "",
    ]
    path.write_text("\n".join(lines))


def _rounded(value: object) -> object:
    """Floats to 4 decimals, all the way down (the JSON stays small)."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per caption at 16 frames")
    parser.add_argument("--long-seeds", type=int, default=1, help="seeds per caption, 64 frames")
    parser.add_argument("--synopsis-seeds", type=int, default=6)
    parser.add_argument("--long-synopsis-seeds", type=int, default=3)
    parser.add_argument("--frames", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--out", default=str(data_path("tiny_model")))
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    import diffusers

    started = time.perf_counter()
    models = {name: VSTARPipeline.from_tiny(folder) for name, folder in MODELS.items()}
    shipped = load_synopses()
    synopses = {name: shipped[name] for name in SYNOPSES}
    rows = []
    for frames in args.frames:
        long = frames > 16
        rows += compare(
            models, list(BENCHMARK_CAPTIONS), synopses,
            seeds=list(range(args.long_seeds if long else args.seeds)),
            synopsis_seeds=list(range(args.long_synopsis_seeds if long else args.synopsis_seeds)),
            frame_counts=[frames], tar=COMPARED_TAR, progress=print,
        )  # fmt: skip
    for row in rows:
        row["summary"] = summarize_row(row)
    report = {
        "command": "python tools/compare_methods.py " + shlex.join(argv or sys.argv[1:]),
        "minutes": (time.perf_counter() - started) / 60,
        "torch": torch.__version__.split("+")[0],
        "diffusers": diffusers.__version__,
        "seeds": list(range(args.seeds)),
        "long_seeds": list(range(args.long_seeds)),
        "synopsis_seeds": list(range(args.synopsis_seeds)),
        "long_synopsis_seeds": list(range(args.long_synopsis_seeds)),
        "tar": f"sigmas {dict(COMPARED_TAR.sigmas)}, " + COMPARED_TAR.describe(25),
        "free_noise": ", ".join(f"{k}={v}" for k, v in FREE_NOISE.items()),
        "free_init": ", ".join(f"{k}={v}" for k, v in FREE_INIT.items()),
        "rows": rows,
    }
    out = Path(args.out)
    (out / "comparison.json").write_text(json.dumps(_rounded(report)) + "\n")
    write_markdown(report, out / "comparison.md")
    print(f"wrote {out / 'comparison.md'} in {report['minutes']:.1f} min")


if __name__ == "__main__":
    main()
