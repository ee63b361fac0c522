"""Benchmarks: TAR attention (time, memory), and sampling from the tiny model.

    vstar-lite bench [--frames 16 32 64 128 256] [--batch 5120] [--dim 40] [--repeats 3]
    vstar-lite bench --sampling [--frames 16 64] [--repeats 3]

Three ways to compute temporal attention over ``(batch, frames, dim)`` inputs (batch = pixels x
heads x videos), fp32 on the CPU:

- ``sdpa``: PyTorch's ``scaled_dot_product_attention``, no regularization (the speed to match);
- ``tar``: :func:`vstar_lite.tar.tar_attention` (chunked, in-place);
- ``reference``: TAR written the straightforward way, as the authors' implementation does it:
  the Gaussian matrix rebuilt in Python on every call, logits and outputs with ``einsum``.

Each measurement runs in a fresh Python process, so that its peak memory (the growth of the
process's maximum resident set over the inputs) is its own. Time is the best of ``repeats`` calls
after one warm-up call.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence

METHODS = ("sdpa", "tar", "reference")


def reference_tar(q, k, v, sigma: float = 1.0, scale: float = 1.0):  # noqa: ANN001, ANN201
    """TAR as a direct transcription: a Python-built Gaussian, einsum logits, softmax, einsum."""
    import torch

    frames = q.shape[-2]
    gaussian = torch.tensor(
        [
            [math.exp(-((i - j) ** 2) / (2 * sigma**2)) for j in range(frames)]
            for i in range(frames)
        ],
        dtype=q.dtype,
    )
    logits = torch.einsum("bid,bjd->bij", q, k) / math.sqrt(q.shape[-1])
    logits = logits + scale * logits.amax(dim=-1, keepdim=True) * gaussian
    return torch.einsum("bij,bjd->bid", logits.softmax(dim=-1), v)


def _peak_kib() -> int:
    import resource  # Unix only: imported here so that the command line loads everywhere

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure_one(method: str, frames: int, batch: int, dim: int, repeats: int) -> dict[str, float]:
    """Time and extra peak memory of one method in this process (call it in a fresh process)."""
    import torch
    import torch.nn.functional as F

    from vstar_lite.tar import tar_attention

    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(batch, frames, dim, generator=generator) for _ in range(3))
    run = {
        "sdpa": lambda: F.scaled_dot_product_attention(q, k, v),
        "tar": lambda: tar_attention(q, k, v, 1.0),
        "reference": lambda: reference_tar(q, k, v, 1.0),
    }[method]
    baseline = _peak_kib()
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {"ms": 1000 * min(times), "peak_mib": (_peak_kib() - baseline) / 1024}


def run_table(frames: Sequence[int], batch: int, dim: int, repeats: int) -> list[dict]:
    rows = []
    for count in frames:
        row: dict = {"frames": count}
        for method in METHODS:
            command = [
                sys.executable,
                "-m",
                "vstar_lite.bench",
                "--one",
                method,
                "--frames",
                str(count),
                "--batch",
                str(batch),
                "--dim",
                str(dim),
                "--repeats",
                str(repeats),
            ]
            result = subprocess.run(command, capture_output=True, text=True, check=True)
            row[method] = json.loads(result.stdout)
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


HEADER = (
    f"{'frames':>6} | {'sdpa ms':>9} {'tar ms':>9} {'ref ms':>9} | {'sdpa MiB':>9} {'tar MiB':>9} "
    f"{'ref MiB':>9} | {'tar/sdpa':>8} {'ref/tar':>8}"
)


def format_row(row: dict) -> str:
    s, t, r = row["sdpa"], row["tar"], row["reference"]
    return (
        f"{row['frames']:>6} | {s['ms']:>9.1f} {t['ms']:>9.1f} {r['ms']:>9.1f} | "
        f"{s['peak_mib']:>9.0f} {t['peak_mib']:>9.0f} {r['peak_mib']:>9.0f} | "
        f"{t['ms'] / s['ms']:>7.2f}x {r['ms'] / t['ms']:>7.2f}x"
    )


def sampling_table(frames: Sequence[int], repeats: int, steps: int = 25) -> list[dict]:
    """Seconds for one tiny-model video (DDIM, guidance 4: two UNet passes a step), with and
    without TAR on both levels. Speed does not depend on the weights: random ones are used when
    the shipped weights are absent."""
    import torch

    from vstar_lite.diffusers_hooks import enable_vstar
    from vstar_lite.tar import TARConfig
    from vstar_lite.tiny import TinyT2V, generate, load_tiny

    try:
        model, source = load_tiny("vstar"), "shipped weights"
    except FileNotFoundError:
        torch.manual_seed(0)
        model, source = TinyT2V("vstar").eval(), "random weights"
    prompt = "a red circle moves right on a dark background"
    print(
        f"tiny model sampling ({source}): {steps} DDIM steps, guidance 4, fp32, CPU, "
        f"{torch.get_num_threads()} threads; best of {repeats}"
    )
    header = (
        f"{'frames':>6} | {'baseline s':>10} {'per step ms':>11} | {'TAR s':>7} {'TAR/base':>8}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for count in frames:
        row = {"frames": count}
        for name, tar in (("baseline", None), ("tar", TARConfig({0: 1.0, 1: 8.0}))):
            times = []
            for _ in range(repeats + 1):  # the first call warms up
                with enable_vstar(model.unet, tar):
                    start = time.perf_counter()
                    generate(model, prompt, num_frames=count, steps=steps)
                    times.append(time.perf_counter() - start)
            row[name] = min(times[1:])
        rows.append(row)
        print(
            f"{count:>6} | {row['baseline']:>10.2f} {1000 * row['baseline'] / steps:>11.0f} | "
            f"{row['tar']:>7.2f} {row['tar'] / row['baseline']:>7.2f}x",
            flush=True,
        )
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sampling", action="store_true", help="time tiny-model sampling instead of TAR attention"
    )
    parser.add_argument(
        "--frames",
        type=int,
        nargs="+",
        default=None,
        help="frame counts (default 16-256; 16 64 with --sampling)",
    )
    parser.add_argument("--batch", type=int, default=5120, help="pixels x heads x videos")
    parser.add_argument("--dim", type=int, default=40, help="head dimension")
    parser.add_argument("--repeats", type=int, default=3)


def main(args: argparse.Namespace) -> int:
    for name in ("batch", "dim", "repeats"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.frames is None:
        args.frames = [16, 64] if args.sampling else [16, 32, 64, 128, 256]
    if any(count < 1 for count in args.frames):
        raise SystemExit(f"--frames must all be >= 1, got {args.frames}")
    if args.sampling:
        sampling_table(args.frames, args.repeats)
        return 0
    import torch

    print(
        f"temporal attention, batch x heads = {args.batch}, head dim {args.dim}, fp32, CPU, "
        f"{torch.get_num_threads()} threads; best of {args.repeats}; peak = extra resident memory"
    )
    print(HEADER)
    print("-" * len(HEADER))
    run_table(args.frames, args.batch, args.dim, args.repeats)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--one", choices=METHODS, help=argparse.SUPPRESS)
    cli_args = parser.parse_args()
    if cli_args.one:
        one = measure_one(
            cli_args.one, cli_args.frames[0], cli_args.batch, cli_args.dim, cli_args.repeats
        )
        print(json.dumps(one))
    else:
        raise SystemExit(main(cli_args))
