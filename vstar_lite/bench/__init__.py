"""Benchmarks, one module each; ``vstar-lite bench`` prints their tables.

    vstar-lite bench [--frames 16 32 64 128 256] [--batch 5120] [--dim 40] [--repeats 3]
    vstar-lite bench --sampling [--frames 16 64] [--repeats 1]
    vstar-lite bench --unet3d [--frames 16 64 128] [--latent 32 32] [--repeats 3]  # a CUDA GPU
    vstar-lite bench --unet3d --small                                           # CPU smoke test

- :mod:`vstar_lite.bench.attention`: temporal attention with TAR against PyTorch's fused
  attention and a straightforward reference (time and peak memory, one process each);
- :mod:`vstar_lite.bench.sampling`: whole tiny-model videos, with and without TAR;
- :mod:`vstar_lite.bench.unet3d`: one denoising step of a ModelScope-size UNet, with and without
  VSTAR (a GPU measurement).

This module imports nothing heavy: building ``vstar-lite --help`` reads its arguments.
"""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "main"]

DEFAULT_REPEATS = {"attention": 3, "sampling": 1, "unet3d": 3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--sampling", action="store_true", help="time tiny-model sampling instead of TAR attention"
    )
    mode.add_argument(
        "--unet3d",
        action="store_true",
        help="time one denoising step of a ModelScope-size UNet3DConditionModel (random weights, "
        "fp16), baseline vs VSTAR: needs a CUDA GPU, or --small",
    )
    parser.add_argument(
        "--small",
        action="store_true",
        help="with --unet3d: a tiny UNet config instead, which also runs on a CPU (smoke test)",
    )
    parser.add_argument(
        "--latent",
        type=int,
        nargs=2,
        default=None,
        metavar=("H", "W"),
        help="with --unet3d: latent height and width (default 32 32, ModelScope's 256 x 256 "
        "pixels; 8 8 with --small)",
    )
    parser.add_argument(
        "--frames",
        type=int,
        nargs="+",
        default=None,
        help="frame counts (default 16-256; 16 64 with --sampling; 16 64 128 with --unet3d; "
        "4 8 with --unet3d --small)",
    )
    parser.add_argument(
        "--batch", type=int, default=5120, help="attention: pixels x heads x videos (default 5120)"
    )
    parser.add_argument(
        "--dim", type=int, default=40, help="attention: head dimension (default 40)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed runs per measurement, after a warm-up; the best (attention, sampling) or the "
        "median (--unet3d) is reported (default 3; 1 with --sampling, whose videos take seconds)",
    )


def main(args: argparse.Namespace) -> int:
    """``vstar-lite bench``: check the flags, then run the chosen benchmark."""
    unet3d, sampling = getattr(args, "unet3d", False), getattr(args, "sampling", False)
    if args.repeats is None:
        args.repeats = DEFAULT_REPEATS[
            "unet3d" if unet3d else "sampling" if sampling else "attention"
        ]
    for name in ("batch", "dim", "repeats"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name} must be >= 1, got {getattr(args, name)}")
    small = getattr(args, "small", False)
    if small and not unet3d:
        raise SystemExit("--small only goes with --unet3d")
    if getattr(args, "latent", None) is not None and not unet3d:
        raise SystemExit("--latent only goes with --unet3d")
    if args.frames is None:
        if unet3d:
            args.frames = [4, 8] if small else [16, 64, 128]
        else:
            args.frames = [16, 64] if args.sampling else [16, 32, 64, 128, 256]
    if any(count < 1 for count in args.frames):
        raise SystemExit(f"--frames must all be >= 1, got {args.frames}")
    if unet3d:
        from vstar_lite.bench.unet3d import run

        return run(args)
    if sampling:
        from vstar_lite.bench.sampling import sampling_table

        sampling_table(args.frames, args.repeats)
        return 0
    import torch

    from vstar_lite.bench.attention import HEADER, run_table

    print(
        f"temporal attention, batch x heads = {args.batch}, head dim {args.dim}, fp32, CPU, "
        f"{torch.get_num_threads()} threads; best of {args.repeats}; peak = extra resident memory"
    )
    print(HEADER)
    print("-" * len(HEADER))
    run_table(args.frames, args.batch, args.dim, args.repeats)
    return 0
