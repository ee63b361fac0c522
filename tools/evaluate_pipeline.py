"""The tiny pipeline's report: every score with its 95% interval, real clips beside it.

    python tools/evaluate_pipeline.py data/tiny_model/modelscope --seeds 3

Writes ``report.md`` and ``report.json`` into the folder:

- the autoencoder: reconstruction error, and how far the read-out of decoded real clips agrees
  with that of the originals;
- 16 frames: the benchmark captions x seeds, all scores, against real clips of the same captions;
- VSP at 16 frames: first- and last-quarter state of the tiny synopses;
- 64 frames: baseline, TAR and a sigma sweep; VSP with and without TAR.

Every video comes from ``VSTARPipeline``, the command line's sampling loop.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tar import TARConfig
from vstar_lite.tiny.evaluate import (
    BENCHMARK_CAPTIONS,
    attention_structure,
    autoencoder_agreement,
    generate_grid,
    real_clip_attention,
    real_clips,
    synopsis_quarter_scores,
    word_reliance,
)
from vstar_lite.tiny.measure import CLIP_SCORES, bootstrap_interval, score_clips, summarize
from vstar_lite.vsp import load_synopses

SYNOPSES = ("tiny_red_to_blue", "tiny_traffic_light", "tiny_dusk")
TAR_SETTINGS = {  # the long-video sweep (supplement G.3: sigma 1 at full width, 8 at half)
    "TAR {0: 1, 1: 8}": {0: 1.0, 1: 8.0},
    "TAR {0: 2, 1: 8}": {0: 2.0, 1: 8.0},
    "TAR {0: 4, 1: 8}": {0: 4.0, 1: 8.0},
}
SHORT_SWEEP = {  # the training-length sweep (supplement G.6: one level at sigma 8 or 1; two at 1)
    "TAR {0: 8}": {0: 8.0},
    "TAR {0: 4}": {0: 4.0},
    "TAR {0: 1}": {0: 1.0},
    "TAR {0: 1, 1: 1}": {0: 1.0, 1: 1.0},
}
LONG_TAR = {0: 1.0, 1: 8.0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="a tiny pipeline folder")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--vsp-seeds", type=int, default=12, help="videos per synopsis")
    parser.add_argument("--long-seeds", type=int, help="seeds of the long videos (default --seeds)")
    parser.add_argument("--long", type=int, default=64, help="frames of the long videos")
    parser.add_argument(
        "--sweep", nargs="*", default=list(TAR_SETTINGS), choices=list(TAR_SETTINGS)
    )
    parser.add_argument(
        "--short-sweep", nargs="*", default=list(SHORT_SWEEP), choices=list(SHORT_SWEEP)
    )
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--skip-long-vsp-baseline", action="store_true")
    parser.add_argument(
        "--compare", nargs="*", default=[], help="other models (names or folders) at 16 frames"
    )
    parser.add_argument(
        "--guidance-sweep",
        nargs="*",
        type=float,
        default=[],
        help="more guidance scales at 16 frames",
    )
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    pipe = VSTARPipeline.from_pretrained(folder, device="cpu")
    seeds = list(range(args.seeds))
    captions = list(BENCHMARK_CAPTIONS)
    command = ["python", "tools/evaluate_pipeline.py", *(sys.argv[1:] if argv is None else argv)]
    report: dict = {"command": shlex.join(command), "seeds": seeds, "captions": captions,
                    "guidance": pipe.default_guidance, "steps": pipe.default_steps,
                    "vsp_seeds": args.vsp_seeds}  # fmt: skip
    began = time.perf_counter()
    report["autoencoder"] = autoencoder_agreement(pipe.vae)
    report["words"] = {name: {str(t): v for t, v in per.items()}
                       for name, per in word_reliance(pipe).items()}  # fmt: skip
    conditions: dict[str, dict] = {}

    def run(name: str, num_frames: int, tar=None, guidance=None, seeds=seeds) -> None:
        start = time.perf_counter()
        videos = generate_grid(pipe, captions, seeds, num_frames=num_frames, tar=tar,
                               guidance=guidance)  # fmt: skip
        real = real_clips(captions, seeds, num_frames)
        rows = score_clips(videos, captions * len(seeds))
        conditions[name] = {
            "frames": num_frames,
            "generated": summarize(rows),
            "videos": {s: [round(getattr(r, s), 5) for r in rows] for s in CLIP_SCORES},
            "real": summarize(score_clips(real, captions * len(seeds))),
            "seconds": time.perf_counter() - start,
            "seeds": len(seeds),
        }
        print(f"{name}: {conditions[name]['seconds']:.0f} s, correct "
              f"{conditions[name]['generated']['correct']}", flush=True)  # fmt: skip

    run("16 frames", 16)
    for name in args.short_sweep:
        run(f"16 frames, {name}", 16, TARConfig(SHORT_SWEEP[name]))
    for scale in args.guidance_sweep:
        run(f"16 frames, guidance {scale:g}", 16, guidance=scale)
    for other in args.compare:
        start = time.perf_counter()
        other_pipe = VSTARPipeline.from_pretrained(other, device="cpu")
        videos = generate_grid(other_pipe, captions, seeds, num_frames=16)
        conditions[f"16 frames, model {other}"] = {
            "frames": 16,
            "generated": summarize(score_clips(videos, captions * len(seeds))),
            "real": conditions["16 frames"]["real"],
            "seconds": time.perf_counter() - start,
        }
    synopses = load_synopses()
    vsp: dict[str, dict] = {}

    def run_vsp(label: str, num_frames: int, tar=None, *, single: bool = False) -> None:
        """Every synopsis, ``--vsp-seeds`` videos; ``single``: its first sub-prompt on every
        frame instead (the baseline: one prompt, as without VSP)."""
        for name in SYNOPSES:
            if single:
                first = [synopses[name].sub_prompts[0]]
                videos = generate_grid(pipe, first, range(args.vsp_seeds), num_frames=num_frames,
                                       tar=tar)  # fmt: skip
            else:
                videos = generate_grid(pipe, seeds=range(args.vsp_seeds), synopsis=name,
                                       num_frames=num_frames, tar=tar)  # fmt: skip
            per_video = synopsis_quarter_scores(videos, synopses[name])
            vsp.setdefault(label, {})[name] = {
                **{k: bootstrap_interval(v) for k, v in per_video.items()},
                "videos": {k: [round(x, 5) for x in v] for k, v in per_video.items()},
            }
        print(f"VSP {label}: {vsp[label]}", flush=True)

    run_vsp("16 frames, first sub-prompt", 16, single=True)
    run_vsp("16 frames", 16)
    run_vsp("16 frames, TAR {0: 1, 1: 8}, first sub-prompt", 16, TARConfig(LONG_TAR), single=True)
    run_vsp("16 frames, VSP + TAR {0: 1, 1: 8}", 16, TARConfig(LONG_TAR))
    if not args.skip_long:
        long_seeds = list(range(args.long_seeds or args.seeds))
        run(f"{args.long} frames", args.long, seeds=long_seeds)
        for name in args.sweep:
            run(f"{args.long} frames, {name}", args.long, TARConfig(TAR_SETTINGS[name]),
                seeds=long_seeds)  # fmt: skip
        if not args.skip_long_vsp_baseline:
            run_vsp(f"{args.long} frames, first sub-prompt", args.long, single=True)
            run_vsp(f"{args.long} frames", args.long)
        run_vsp(f"{args.long} frames, VSP + TAR {{0: 1, 1: 8}}", args.long, TARConfig(LONG_TAR))
    attention = {}
    for frames in (16, args.long):
        real = real_clips(captions[:4], [0], frames)
        attention[f"real clips, {frames} frames"] = attention_structure(
            real_clip_attention(pipe, real, captions[:4])
        )
        result = pipe(captions[:4], num_frames=frames, capture=True, progress=False)
        attention[f"generated, {frames} frames"] = attention_structure(result.capture.maps())
    report["attention"] = attention
    report["conditions"], report["vsp"] = conditions, vsp
    report["minutes"] = (time.perf_counter() - began) / 60
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / "report.md").write_text(markdown(report, folder))
    print(f"wrote {folder / 'report.md'}")


def rewrite_markdown(folder: str | Path) -> None:
    """Rewrite ``report.md`` from ``report.json`` (after a change to the table layout)."""
    folder = Path(folder)
    (folder / "report.md").write_text(markdown(json.loads((folder / "report.json").read_text()),
                                               folder))  # fmt: skip


def _cell(triple) -> str:
    mean, low, high = triple
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _words_section(words: dict | None) -> list[str]:
    """The "Caption words" table of :func:`vstar_lite.tiny.evaluate.word_reliance` (none in a
    report written before it was measured)."""
    if not words:
        return []
    steps = list(next(iter(words.values())))
    lines = [
        "## Caption words",
        "",
        "How much the UNet relies on each word: its error on 64 real clips noised to a timestep, "
        "with one word of every caption swapped (the next colour, the other shape or background, "
        "the opposite direction) or with the empty caption, over its error with the clips' own "
        "captions (`word_reliance`; 1 = the word changes nothing):",
        "",
        "| caption | " + " | ".join(f"t = {t}" for t in steps) + " |",
        "|---|" + "---|" * len(steps),
    ]
    for name, per in words.items():
        label = "empty caption" if name == "empty" else f"{name} swapped"
        lines.append(f"| {label} | " + " | ".join(_cell(per[t]) for t in steps) + " |")
    return [*lines, ""]


def markdown(report: dict, folder: Path) -> str:
    n = len(report["captions"]) * len(report["seeds"])
    lines = [
        f"# The tiny model's report: `{folder.name}`",
        "",
        f"Written by `{report.get('command', f'python tools/evaluate_pipeline.py {folder}')}` "
        f"({report['minutes']:.0f} min on "
        f"2 CPU cores). {len(report['captions'])} benchmark captions x {len(report['seeds'])} seeds"
        f" = {n} videos per condition, DDIM {report['steps']} steps (eta 0), guidance "
        f"{report['guidance']:g}. Each cell: mean [95% bootstrap interval over videos]. Real "
        "clips: one clip of the world per caption and seed.",
        "",
        "## Autoencoder",
        "",
        "Read-out of 96 decoded real clips x 16 frames against the originals (fraction of frames "
        "that agree; position and size within 0.5 px; direction: clips with the same score):",
        "",
        "| " + " | ".join(report["autoencoder"]) + " |",
        "|" + "---|" * len(report["autoencoder"]),
        "| " + " | ".join(f"{v:.4f}" for v in report["autoencoder"].values()) + " |",
        "",
        *_words_section(report.get("words")),
        "## Scores",
        "",
        "| condition | videos | " + " | ".join(CLIP_SCORES) + " |",
        "|---|---|" + "---|" * len(CLIP_SCORES),
    ]
    for name, c in report["conditions"].items():
        videos = c.get("seeds", len(report["seeds"])) * len(report["captions"])
        for label, key in ((name, "generated"), (f"{name}, real clips", "real")):
            cells = " | ".join(_cell(c[key][s]) for s in CLIP_SCORES)
            lines.append(f"| {label} | {videos} | {cells} |")
    lines += [
        "",
        "## Video synopsis prompting",
        "",
        "Fraction of the first (last) quarter's frames correct for the first (last) sub-prompt, "
        f"{report['vsp_seeds']} videos (seeds) per synopsis:",
        "",
        "| condition | synopsis | first quarter | last quarter |",
        "|---|---|---|---|",
    ]
    for label, per in report["vsp"].items():
        for name, q in per.items():
            lines.append(f"| {label} | `{name}` | {_cell(q['first'])} | {_cell(q['last'])} |")
    lines += [
        "",
        "## Temporal attention",
        "",
        "Maps averaged over layers, heads, pixels and the 25 steps, per UNet level (4 captions; "
        "real clips noised to each step's timestep; generated: captured while sampling):",
        "",
        "| clips | level | diagonalness | mean diagonal | uniform |",
        "|---|---|---|---|---|",
    ]
    for name, levels in report["attention"].items():
        for level, a in levels.items():
            lines.append(f"| {name} | {level} | {a['diagonalness']:.3f} | "
                         f"{a['mean_diagonal']:.3f} | {a['uniform']:.3f} |")  # fmt: skip
    lines += [
        "",
        "Scores (`vstar_lite/tiny/measure.py`): `correct` frames show the caption's colour and "
        "shape on its background; `direction` is the fraction of steps along the caption's "
        "direction, bounces allowed; `teleports` the fraction of steps over 3 px; `speed` the "
        "median step (px per frame); `change_ratio` the frame-to-frame change over that of real "
        "clips of the caption; drifts are standard deviations over frames.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
