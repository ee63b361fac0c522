"""Temporal attention maps of the earlier tiny model, whose temporal attention adds frame positions.

    python tools/position_layout_maps.py [--captions 4] [--seeds 1] [--out FILE]

The earlier tiny model (``data/tiny_model/vstar``, :class:`vstar_lite.tiny.model.TinyT2V`, trained
on 16-frame clips) adds sinusoidal *absolute* frame positions to the input of every temporal
attention (``vstar_lite/blocks.py``), as AnimateDiff's motion modules do. At 64 frames it meets
positions it never saw in training. Notebook 06 contrasts its maps with those of the shipped
position-free pipeline (``data/tiny_model/modelscope``) without loading the earlier model: this
script writes what it needs to ``data/tiny_model/position_layout_maps.json``:

- ``generated``: per frame count (16, 64) and UNet level, the mean temporal attention map
  ``"f f"`` of generated videos (captured while sampling: DDIM 25 steps, guidance 4, both halves
  of the guidance batch), averaged over the 25 steps, with its diagonalness and mean diagonal;
- ``real_clips``: per level, the same numbers for real 64-frame clips of the same captions
  (noised to every step's timestep), and the map's diagonal (one value per query frame) instead
  of the whole map, which keeps the file under 100 KB.

Numbers are rounded to 4 decimals. The run takes about 2 minutes on one CPU thread.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import diffusers
import torch
from vstar_lite.tar import diagonalness, mean_diagonal_probability
from vstar_lite.tiny import load_tiny, shipped_dir
from vstar_lite.tiny.analysis import generated_attention, real_clip_attention, real_clips_for
from vstar_lite.tiny.evaluate import BENCHMARK_CAPTIONS
from vstar_lite.tiny.sample import DEFAULT_GUIDANCE, DEFAULT_STEPS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "tiny_model" / "position_layout_maps.json"
TRAINING_FRAMES = 16  # the earlier model's training clips (data/tiny_model/vstar/train_config.json)
DIGITS = 4


def rounded(tensor: torch.Tensor) -> list:
    """A tensor as nested lists of floats with :data:`DIGITS` decimals (no -0.0)."""
    return [rounded(row) for row in tensor] if tensor.ndim else round(float(tensor), DIGITS) + 0.0


def step_mean(maps: dict[tuple[int, int], torch.Tensor]) -> dict[int, torch.Tensor]:
    """``{(level, step): "f f"}`` -> ``{level: "f f"}``, the mean over the captured steps."""
    levels: dict[int, list[torch.Tensor]] = {}
    for (level, _), value in maps.items():
        levels.setdefault(level, []).append(value)
    return {level: torch.stack(values).mean(0) for level, values in sorted(levels.items())}


def summary(matrix: torch.Tensor, keep: str) -> dict:
    """Diagonalness and mean diagonal of an ``"f f"`` map, with the map or only its diagonal."""
    out = {"diagonalness": round(float(diagonalness(matrix)), DIGITS) + 0.0,
           "mean_diagonal": round(float(mean_diagonal_probability(matrix)), DIGITS) + 0.0,
           "uniform": round(1.0 / matrix.shape[-1], DIGITS)}  # fmt: skip
    out[keep] = rounded(matrix if keep == "map" else matrix.diagonal())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captions", type=int, default=4, help="first N benchmark captions")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 per caption")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    captions = list(BENCHMARK_CAPTIONS[: args.captions])
    seeds = list(range(args.seeds))
    began = time.perf_counter()
    model = load_tiny("vstar")
    generated: dict[str, dict] = {}
    for frames in (TRAINING_FRAMES, 4 * TRAINING_FRAMES):
        per_seed = [generated_attention(model, captions, num_frames=frames, seed=s)[1]
                    for s in seeds]  # fmt: skip
        levels = [step_mean(maps) for maps in per_seed]
        generated[str(frames)] = {
            str(level): summary(torch.stack([m[level] for m in levels]).mean(0), "map")
            for level in levels[0]
        }
        print(f"generated, {frames} frames: {time.perf_counter() - began:.0f} s", flush=True)
    frames = 4 * TRAINING_FRAMES
    real = real_clips_for(captions, num_frames=frames, seed=0)  # "b 3 f 32 32"
    real_maps = step_mean(real_clip_attention(model, real, captions, seed=0))
    real_clips = {str(frames): {str(level): summary(m, "diagonal")
                                for level, m in real_maps.items()}}  # fmt: skip
    seconds = time.perf_counter() - began
    report = {
        "written_by": "tools/position_layout_maps.py",
        "model": str(shipped_dir("vstar").relative_to(ROOT)),
        "model_description": (
            "the earlier tiny model (vstar_lite.tiny.model.TinyT2V, layout 'vstar'): spatial "
            "attention per frame, temporal attention with sinusoidal absolute frame positions "
            "(scale 0.5) added to its input, no temporal convolution"
        ),
        "training_frames": TRAINING_FRAMES,
        "captions": captions,
        "seeds": seeds,
        "steps": DEFAULT_STEPS,
        "guidance": DEFAULT_GUIDANCE,
        "averaged_over": (
            "the 25 DDIM steps, heads, pixel positions, videos and the temporal attention "
            "layers of a UNet level (generated: both halves of the guidance batch; real clips: "
            "noised to every step's timestep, conditional pass)"
        ),
        "levels": {"0": "8 x 8 latent positions", "1": "4 x 4 latent positions"},
        "generated": generated,
        "real_clips": real_clips,
        "seconds": round(seconds, 1),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "python": platform.python_version(),
    }
    args.out.write_text(json.dumps(report, separators=(",", ":")) + "\n")
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.0f} KB) in {seconds:.0f} s")


if __name__ == "__main__":
    main()
