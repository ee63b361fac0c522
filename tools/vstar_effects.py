"""Measure VSTAR's four claims on a tiny model and print a report (markdown tables).

    python tools/vstar_effects.py [vstar|scvideo|FOLDER] [--seeds 3] [--json FILE]

1. VSP: do videos move through a synopsis' states (colour or background) where the single
   prompt does not? Tiny-world synopses of ``data/synopses.json``, 16 and 64 frames.
2. TAR at the training length (16 frames), sigma sweep at level 0 (cf. supplement G.6): smaller
   sigma, more change over time; larger sigma, more coherence.
3. TAR beyond the training length (64 frames): does it restore alignment and quality (G.3)?
4. Too strong a regularization (sigma 1 at levels 0 and 1) breaks coherence.

Every number is a mean over captions x seeds, read from pixels (``vstar_lite.tiny.measure``).
The shipped numbers are in data/tiny_model/vstar/effects.md (and effects.json, which notebook 09
reads).
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.tar import TARConfig
from vstar_lite.tiny import generate, load_tiny
from vstar_lite.tiny.analysis import benchmark_captions, follow_synopsis, real_clips_for
from vstar_lite.tiny.measure import score_videos
from vstar_lite.vsp import load_synopses

# name -> TAR sigmas per level (None: no TAR); the paper's settings, by level of the tiny UNet
SETTINGS: dict[str, dict[int, float] | None] = {
    "baseline": None,
    "tar 0:8": {0: 8.0},
    "tar 0:4": {0: 4.0},
    "tar 0:1": {0: 1.0},
    "tar 0:1 1:8": {0: 1.0, 1: 8.0},
    "tar 0:1 1:1 (too strong)": {0: 1.0, 1: 1.0},
}
SCORES = ["colour", "found", "direction", "frame_change", "speed", "hue_drift", "size_drift"]
VSP_MODES = {  # name -> (vsp, TAR sigmas)
    "first sub-prompt only": (False, None),
    "vsp": (True, None),
    "vsp + tar 0:1 1:8": (True, {0: 1.0, 1: 8.0}),
}


def tar_config(sigmas: dict[int, float] | None) -> TARConfig | None:
    return None if sigmas is None else TARConfig(sigmas=sigmas)


@torch.no_grad()
def sweep(model, frames: int, captions: list[str], seeds: range) -> dict[str, dict[str, float]]:
    """Pixel scores of every TAR setting (and of real clips) at ``frames`` frames."""
    real = torch.cat([real_clips_for(captions, frames, seed=s) for s in seeds])
    results = {"real clips": score_videos(real, captions * len(seeds))}
    for name, sigmas in SETTINGS.items():
        with enable_vstar(model.unet, tar_config(sigmas)):
            videos = torch.cat(
                [generate(model, captions, num_frames=frames, seed=s) for s in seeds]
            )
        results[name] = score_videos(videos, captions * len(seeds))
    return results


def sweep_table(results: dict[str, dict[str, float]]) -> list[str]:
    real_change = results["real clips"]["frame_change"]
    lines = ["| setting | " + " | ".join(SCORES) + " | change / real |", "|---" * 9 + "|"]
    for name, scores in results.items():
        cells = [f"{scores[c]:.3f}" for c in SCORES]
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {scores['frame_change'] / real_change:.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", default="vstar")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args()
    started = time.perf_counter()
    model = load_tiny(args.model)
    seeds = range(args.seeds)
    report: dict[str, object] = {"model": args.model, "seeds": args.seeds}
    print(f"# VSTAR's claims on the tiny model: {args.model} ({model.config.name} layout)\n")

    print("## 1. VSP: following a synopsis\n")
    print("Fraction of frames in the state (colour and background) of the sub-prompt nearest in")
    print("time: first quarter, last quarter, all frames; and last-quarter frames still in the")
    print("first state. The baseline gives every frame the first sub-prompt: the tiny grammar")
    print("cannot say 'turns from red to blue' in one prompt.\n")
    print("| synopsis | frames | conditioning | start | end | all | end still first |")
    print("|---|---|---|---|---|---|---|")
    vsp_results = {}
    for name, synopsis in load_synopses().items():
        if not name.startswith("tiny_"):
            continue
        for frames in (16, 64):
            for mode, (vsp, sigmas) in VSP_MODES.items():
                r = follow_synopsis(model, synopsis, frames, seeds, vsp=vsp, tar=tar_config(sigmas))
                vsp_results[f"{name}|{frames}|{mode}"] = r
                print(
                    f"| {name} | {frames} | {mode} | {r['start']:.2f} | {r['end']:.2f} | "
                    f"{r['all']:.2f} | {r['end_is_start']:.2f} |"
                )
    report["vsp"] = vsp_results

    captions = benchmark_captions(6)
    for section, frames in (
        ("2. TAR at the training length", 16),
        ("3-4. TAR on longer videos", 64),
    ):
        print(f"\n## {section}: {frames} frames\n")
        results = sweep(model, frames, captions, seeds)
        report[f"tar_{frames}"] = results
        print("\n".join(sweep_table(results)))
    print(
        f"\n{len(captions)} captions x {args.seeds} seeds per row; DDIM 25 steps, guidance 4; TAR "
        f"on denoising steps 0-13 of 25, both temporal attentions of every block, both guidance "
        f"halves; {time.perf_counter() - started:.0f} s on {torch.get_num_threads()} threads"
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1, sort_keys=True)
            handle.write("\n")


if __name__ == "__main__":
    main()
