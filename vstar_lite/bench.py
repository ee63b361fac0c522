"""Benchmarks: TAR attention (time, memory), and sampling from the tiny model.

    vstar-lite bench [--frames 16 32 64 128 256] [--batch 5120] [--dim 40] [--repeats 3]
    vstar-lite bench --sampling [--frames 16 64] [--repeats 3]
    vstar-lite bench --unet3d [--frames 16 64 128] [--latent 32 32] [--repeats 3]  # a CUDA GPU
    vstar-lite bench --unet3d --small                                           # CPU smoke test

Three ways to compute temporal attention over ``(batch, frames, dim)`` inputs (batch = pixels x
heads x videos), fp32 on the CPU:

- ``sdpa``: PyTorch's ``scaled_dot_product_attention``, no regularization (the speed to match);
- ``tar``: :func:`vstar_lite.tar.tar_attention` (chunked, in-place);
- ``reference``: TAR written the straightforward way, as the authors' implementation does it:
  the Gaussian matrix rebuilt in Python on every call, logits and outputs with ``einsum``.

Each measurement runs in a fresh Python process, so that its peak memory (the growth of the
process's maximum resident set over the inputs) is its own. Time is the best of ``repeats`` calls
after one warm-up call.

``--unet3d`` times one denoising step of a real-size ModelScope-style ``UNet3DConditionModel``
(the UNet config of ``ali-vilab/text-to-video-ms-1.7b``, 1.4 B parameters) with *random* weights,
so nothing is downloaded: a guidance batch of 2 videos, fp16, on a CUDA GPU, without and with
:func:`~vstar_lite.enable_vstar` (TAR ``{0: 1, 1: 8}`` and per-frame text embeddings, i.e. VSP).
Speed and memory do not depend on the weights' values. ``--small`` swaps in a tiny config of the
same architecture, which also runs on a CPU (a smoke test of the command, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

METHODS = ("sdpa", "tar", "reference")


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
    passes a step, decoding included), with and without TAR on both levels."""
    import torch

    from vstar_lite.tar import TARConfig

    pipe, source = _tiny_pipeline()
    prompt = "a red circle moves right on a dark background"
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


# ------------------------------------------------- one denoising step of a real-size diffusers UNet
# The UNet of ali-vilab/text-to-video-ms-1.7b (its unet/config.json; also diffusers' defaults for
# UNet3DConditionModel). attention_head_dim 64: heads of 64 channels, so 5, 10 and 20 heads.
MODELSCOPE_UNET3D: dict = {
    "sample_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("CrossAttnDownBlock3D",) * 3 + ("DownBlock3D",),
    "up_block_types": ("UpBlock3D",) + ("CrossAttnUpBlock3D",) * 3,
    "block_out_channels": (320, 640, 1280, 1280),
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "cross_attention_dim": 1024,
    "attention_head_dim": 64,
}
# The same architecture at toy size (two levels), for the CPU smoke test (--small).
SMALL_UNET3D: dict = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("CrossAttnDownBlock3D", "DownBlock3D"),
    "up_block_types": ("UpBlock3D", "CrossAttnUpBlock3D"),
    "block_out_channels": (16, 32),
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "cross_attention_dim": 16,
    "attention_head_dim": 4,
}
TEXT_TOKENS = 77  # CLIP's context length, as in ModelScope's text encoder
UNET3D_TAR = {0: 1.0, 1: 8.0}  # the paper's setting for ~64 frames (full and half latent width)
UNET3D_TIMESTEP = 981  # the first of 25 DDIM steps (TAR is on there)

UNET3D_HEADER = (
    f"{'frames':>6} | {'base ms':>9} {'VSTAR ms':>9} {'overhead':>9} | "
    f"{'base GiB':>9} {'VSTAR GiB':>9} {'overhead':>9}"
)


def _percent(new: float | None, old: float | None) -> str:
    return "-" if new is None or old is None else f"{100 * (new - old) / old:+.1f}%"


def format_unet3d_row(row: dict) -> str:
    def cell(value: float | None, digits: int) -> str:
        if value is None:
            return "OOM" if row.get("oom") else "-"
        return f"{value:.{digits}f}"

    b, v = row["baseline"], row["vstar"]
    return (
        f"{row['frames']:>6} | {cell(b['ms'], 1):>9} {cell(v['ms'], 1):>9} "
        f"{_percent(v['ms'], b['ms']):>9} | {cell(b['peak_gib'], 2):>9} "
        f"{cell(v['peak_gib'], 2):>9} {_percent(v['peak_gib'], b['peak_gib']):>9}"
    )


def unet3d_table(
    frames: Sequence[int],
    latent: tuple[int, int] = (32, 32),
    repeats: int = 3,
    *,
    small: bool = False,
    device: str | None = None,
) -> list[dict]:
    """Milliseconds and peak CUDA memory of one denoising step (a guidance batch: 2 videos),
    baseline vs VSTAR (TAR + VSP through :func:`~vstar_lite.enable_vstar`), per frame count.

    Random weights (nothing is downloaded); fp16 on CUDA, fp32 on a CPU. Time: the median of
    ``repeats`` steps after two warm-up steps. Peak: ``torch.cuda.max_memory_allocated`` over
    those steps (weights included); ``None`` on a CPU. A frame count that runs out of GPU memory
    gives a row marked ``oom``.
    """
    import statistics

    import torch
    from diffusers import UNet3DConditionModel

    from vstar_lite.diffusers_hooks import enable_vstar
    from vstar_lite.tar import TARConfig

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    cuda = device.startswith("cuda")
    dtype = torch.float16 if cuda else torch.float32
    config = SMALL_UNET3D if small else MODELSCOPE_UNET3D
    tokens = 8 if small else TEXT_TOKENS
    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet3DConditionModel(**config)
    unet = (unet.half() if dtype == torch.float16 else unet).eval()  # .to(dtype) warns in 0.42
    params = sum(p.numel() for p in unet.parameters())
    if cuda:
        torch.cuda.empty_cache()
    threads = torch.get_num_threads()
    where = torch.cuda.get_device_name(device) if cuda else f"CPU, {threads} threads"
    size = "small smoke-test" if small else "ModelScope-size"
    print(
        f"one denoising step of a {size} UNet3DConditionModel ({params / 1e6:.1f} M parameters, "
        f"random weights), guidance batch of 2, latent {latent[0]}x{latent[1]}, "
        f"{str(dtype).removeprefix('torch.')}, {where}; median of {repeats} steps after 2 "
        f"warm-up steps; VSTAR = TAR {UNET3D_TAR} + per-frame text (VSP)"
    )
    print(UNET3D_HEADER)
    print("-" * len(UNET3D_HEADER))

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize(device)

    generator = torch.Generator(device="cpu").manual_seed(0)
    rows = []
    for count in frames:
        row: dict = {"frames": count, "oom": False}
        shape = (2, config["in_channels"], count, *latent)  # "b c f h w", b = [uncond; cond]
        try:
            sample = torch.randn(shape, generator=generator).to(device, dtype)
            text = torch.randn(2, tokens, config["cross_attention_dim"], generator=generator)
            text = text.to(device, dtype)  # "b L D"
            per_frame = text[1:].unsqueeze(1).repeat(1, count, 1, 1)  # "b F L D", b = 1
            per_frame = per_frame + 0.01 * torch.randn(per_frame.shape, generator=generator).to(
                device, dtype
            )
            for name in ("baseline", "vstar"):
                if cuda:
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats(device)
                hooks = (
                    enable_vstar(unet, TARConfig(UNET3D_TAR), frame_embeddings=per_frame)
                    if name == "vstar"
                    else None
                )
                try:
                    times = []
                    with torch.inference_mode():
                        for index in range(repeats + 2):  # the first two warm up
                            sync()
                            start = time.perf_counter()
                            unet(sample, UNET3D_TIMESTEP, encoder_hidden_states=text)
                            sync()
                            if index >= 2:
                                times.append(time.perf_counter() - start)
                    if hooks is not None and hooks.state.step != 0:
                        raise RuntimeError("TAR was not on: the step counter left step 0")
                finally:
                    if hooks is not None:
                        hooks.remove()
                peak = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else None
                row[name] = {"ms": 1000 * statistics.median(times), "peak_gib": peak}
        except torch.cuda.OutOfMemoryError:
            row["oom"] = True
            row.setdefault("baseline", {"ms": None, "peak_gib": None})
            row.setdefault("vstar", {"ms": None, "peak_gib": None})
        finally:
            sample = text = per_frame = None
            if cuda:
                torch.cuda.empty_cache()
        rows.append(row)
        print(format_unet3d_row(row), flush=True)
    return rows


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
    parser.add_argument("--batch", type=int, default=5120, help="pixels x heads x videos")
    parser.add_argument("--dim", type=int, default=40, help="head dimension")
    parser.add_argument("--repeats", type=int, default=3)


def main(args: argparse.Namespace) -> int:
    for name in ("batch", "dim", "repeats"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name} must be >= 1, got {getattr(args, name)}")
    unet3d, small = getattr(args, "unet3d", False), getattr(args, "small", False)
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
        return _run_unet3d(args)
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


def _run_unet3d(args: argparse.Namespace) -> int:
    import torch

    config = SMALL_UNET3D if args.small else MODELSCOPE_UNET3D
    factor = 2 ** (len(config["block_out_channels"]) - 1)  # the UNet's downsampling
    latent = tuple(args.latent) if args.latent is not None else ((8, 8) if args.small else (32, 32))
    if any(side < 1 or side % factor for side in latent):
        raise SystemExit(f"--latent must be two positive multiples of {factor}, got {list(latent)}")
    if not args.small and not torch.cuda.is_available():
        print(
            "vstar-lite bench --unet3d: needs a CUDA GPU (torch.cuda.is_available() is False). "
            "It builds a ModelScope-size UNet (1.4 B parameters) and runs it in fp16, which "
            "would take minutes per step on a CPU and measure nothing useful. For a CPU smoke "
            "test of the command, add --small.",
            file=sys.stderr,
        )
        return 2
    unet3d_table(args.frames, latent, args.repeats, small=args.small)
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
