"""One denoising step of a real-size ModelScope-style ``UNet3DConditionModel``, with and without
VSTAR.

The UNet config of ``ali-vilab/text-to-video-ms-1.7b`` (1.4 B parameters) with *random* weights,
so nothing is downloaded: a guidance batch of 2 videos, fp16, on a CUDA GPU, without and with
:func:`~vstar_lite.enable_vstar` (TAR ``{0: 1, 1: 8}`` and per-frame text embeddings, i.e. VSP).
Speed and memory do not depend on the weights' values. ``--small`` swaps in a tiny config of the
same architecture, which also runs on a CPU (a smoke test of the command, not a measurement).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

__all__ = ["MODELSCOPE_UNET3D", "SMALL_UNET3D", "UNET3D_HEADER", "run", "unet3d_table"]

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
                    enable_vstar(
                        unet,
                        TARConfig(UNET3D_TAR),
                        frame_embeddings=per_frame,
                        num_steps=25,
                        guidance=True,
                    )  # fmt: skip
                    if name == "vstar"
                    else None
                )
                if hooks is not None:
                    hooks.set_step(0)  # the first of 25 DDIM steps, where TAR is on
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


def run(args: argparse.Namespace) -> int:
    """``vstar-lite bench --unet3d``."""
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
