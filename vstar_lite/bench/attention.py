"""Temporal attention with and without TAR: time and peak memory, one fresh process each.

Three ways to compute temporal attention over ``(batch, frames, dim)`` inputs (batch = pixels x
heads x videos), fp32 on the CPU:

- ``sdpa``: PyTorch's ``scaled_dot_product_attention``, no regularization (the speed to match);
- ``tar``: :func:`vstar_lite.tar.tar_attention` (chunked, in-place);
- ``reference``: TAR written the straightforward way, as the authors' implementation does it:
  the Gaussian matrix rebuilt in Python on every call, logits and outputs with ``einsum``.

Each measurement runs in a fresh Python process (``python -c``, calling :func:`measure_one`), so
that its peak memory (the growth of the process's maximum resident set over the inputs) is its
own. Time is the best of ``repeats`` calls after one warm-up call.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence

__all__ = ["HEADER", "METHODS", "format_row", "measure_one", "reference_tar", "run_table"]

METHODS = ("sdpa", "tar", "reference")
IMPORT = "from vstar_lite.bench.attention import measure_one"


def reference_tar(q, k, v, sigma: float = 1.0, strength: float = 1.0):  # noqa: ANN001, ANN201
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
    logits = logits + strength * logits.amax(dim=-1, keepdim=True) * gaussian
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
            call = f"measure_one({method!r}, {count}, {batch}, {dim}, {repeats})"
            code = f"import json; {IMPORT}; print(json.dumps({call}))"
            result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True)  # fmt: skip
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
