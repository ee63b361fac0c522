"""Sampling from the tiny model through ``VSTARPipeline``: seconds per video, TAR's overhead."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["sampling_table"]


def _tiny_pipeline() -> tuple[object, str]:
    """The shipped tiny pipeline (``"tiny"``) on the CPU, or the same architecture with random
    weights if it is absent (speed does not depend on the weights' values)."""
    import tempfile

    import torch

    from vstar_lite.pipeline import VSTARPipeline

    try:
        return VSTARPipeline.from_pretrained("tiny", device="cpu"), "shipped weights"
    except FileNotFoundError:
        pass
    from vstar_lite.tiny.parts import (
        build_autoencoder,
        build_scheduler,
        build_text_encoder,
        build_tokenizer,  # fmt: skip
        build_unet,
    )
    from vstar_lite.tiny.training import save_pipeline

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    random_folder = save_pipeline(
        Path(tempfile.mkdtemp()) / "pipeline", vae=build_autoencoder(),
        text_encoder=build_text_encoder(len(tokenizer)), tokenizer=tokenizer, unet=build_unet(),
        scheduler=build_scheduler("sample"), dtype=torch.float32,
    )  # fmt: skip
    return VSTARPipeline.from_pretrained(random_folder, device="cpu"), "random weights"


def sampling_table(frames: Sequence[int], repeats: int, steps: int = 25) -> list[dict]:
    """Seconds for one tiny-model video through ``VSTARPipeline`` (DDIM, guidance on: two UNet
    passes a step, decoding included), with and without TAR on both levels.

    Before timing, one 1-step video per frame count gives an estimate of the whole run, printed
    first, so that nobody waits minutes without being told."""
    import torch

    from vstar_lite.tar import TARConfig

    pipe, source = _tiny_pipeline()
    prompt = "a red circle moves right on a dark background"
    per_step = {}
    for count in frames:  # also the warm-up
        start = time.perf_counter()
        pipe(prompt, num_frames=count, steps=1, progress=False)
        per_step[count] = time.perf_counter() - start
    videos = 2 * len(frames) * (repeats + 1)
    estimate = sum(2 * (repeats + 1) * steps * seconds for seconds in per_step.values())
    print(
        f"timing {videos} videos (2 settings x {len(frames)} frame counts x {repeats} repeats "
        f"+ 1 warm-up): about {estimate:.0f} s at most",
        flush=True,
    )
    print(
        f"tiny model sampling ({source}): {steps} DDIM steps, guidance {pipe.default_guidance:g},"
        f" fp32, CPU, {torch.get_num_threads()} threads; best of {repeats}"
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
                start = time.perf_counter()
                pipe(prompt, num_frames=count, steps=steps, tar=tar, progress=False)
                times.append(time.perf_counter() - start)
            row[name] = min(times[1:])
        rows.append(row)
        print(
            f"{count:>6} | {row['baseline']:>10.2f} {1000 * row['baseline'] / steps:>11.0f} | "
            f"{row['tar']:>7.2f} {row['tar'] / row['baseline']:>7.2f}x",
            flush=True,
        )
    return rows
