"""The ``vstar-lite`` command line.

Sub-commands that later parts of the course fill in are listed already, so ``--help`` shows the
whole tool; until they exist they say so and exit with status 2.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

from vstar_lite import __version__
from vstar_lite.bench import add_arguments as add_bench_arguments
from vstar_lite.bench import main as run_bench


def _info(_: argparse.Namespace) -> int:
    """Print versions and the available device: what a bug report needs."""
    import torch

    print(f"vstar-lite {__version__}")
    print(f"python     {platform.python_version()}")
    print(f"torch      {torch.__version__}")
    for name in ("diffusers", "transformers", "einops"):
        try:
            module = __import__(name)
            print(f"{name:<10} {module.__version__}")
        except ImportError:
            print(f"{name:<10} not installed")
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu only"
    print(f"device     {device}")
    return 0


def _train(args: argparse.Namespace) -> int:
    import dataclasses

    import torch

    from vstar_lite.tiny.training import PRESETS, train

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    preset = PRESETS[args.preset]
    overrides = {
        name: getattr(args, name)
        for name in (
            "layout",
            "prediction_type",
            "steps",
            "batch",
            "lr",
            "seed",
            "latent_pool",
            "text_pretrain",
            "text_lr",
        )
        if getattr(args, name) is not None
    }
    try:
        denoiser = dataclasses.replace(preset.denoiser, **overrides)
        autoencoder = preset.autoencoder
        if autoencoder is not None and (args.autoencoder_steps or args.seed is not None):
            autoencoder = dataclasses.replace(
                autoencoder,
                **({"steps": args.autoencoder_steps} if args.autoencoder_steps else {}),
                **({"seed": args.seed} if args.seed is not None else {}),
            )
    except ValueError as error:
        print(f"vstar-lite train: error: {error}", file=sys.stderr)
        return 2
    preset = dataclasses.replace(preset, autoencoder=autoencoder, denoiser=denoiser)
    print(f"training the tiny {denoiser.layout!r} model ({args.preset} preset) into {args.out}")
    folder = train(
        preset,
        args.out,
        autoencoder=args.autoencoder,
        resume=not args.restart,
        progress=not args.no_progress,
        stop_after=args.stop_after,
    )
    print(f"done: pipeline folder {folder}, curves in {args.out}/curves.csv")
    return 0


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from vstar_lite.tiny.parts import LAYOUTS
    from vstar_lite.tiny.training import PRESETS

    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="quick",
        help="; ".join(f"{name}: {p.about}" for name, p in sorted(PRESETS.items())),
    )
    parser.add_argument("--out", default="build/tiny_model", help="output and checkpoint folder")
    parser.add_argument(
        "--layout",
        choices=list(LAYOUTS),
        help="UNet layout: modelscope (default) or scvideo (sparse causal spatial attention)",
    )
    parser.add_argument(
        "--autoencoder", metavar="DIR", help="a trained AutoencoderKL folder: skip stage 1"
    )
    parser.add_argument("--autoencoder-steps", type=int, help="stage 1 optimizer steps")
    parser.add_argument(
        "--prediction-type",
        choices=["sample", "v_prediction", "epsilon"],
        help="what the UNet predicts: x0 (sample, the default), v or the noise",
    )
    parser.add_argument("--steps", type=int, help="stage 2 optimizer steps")
    parser.add_argument("--batch", type=int, help="clips per step (stage 2)")
    parser.add_argument(
        "--latent-pool",
        type=int,
        help="clips encoded once for stage 2 (default 4096; 0: fresh clips at every step)",
    )
    parser.add_argument("--lr", type=float, help="peak learning rate (stage 2)")
    parser.add_argument(
        "--text-pretrain",
        type=int,
        metavar="STEPS",
        help="stage 0 steps teaching the text encoder every caption word (0: none)",
    )
    parser.add_argument(
        "--text-lr",
        type=float,
        help="text encoder learning rate in stage 2, times --lr (0: frozen, as ModelScope's)",
    )
    parser.add_argument("--seed", type=int, help="seed of the weights and of the data stream")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--restart", action="store_true", help="ignore existing checkpoints")
    parser.add_argument(
        "--stop-after",
        type=int,
        metavar="STEP",
        help="stop stage 2 after STEP (schedule unchanged); run again to resume",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _tar_setting(text: str) -> tuple[int, float]:
    """``--tar LEVEL=SIGMA``, e.g. ``0=1``."""
    level, _, sigma = text.partition("=")
    try:
        return int(level), float(sigma)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--tar takes LEVEL=SIGMA, e.g. 0=1, got {text!r}"
        ) from None


def _check_sampling_flags(args: argparse.Namespace) -> None:
    """Flag values the pipeline would reject, reported by their flag's name."""

    def check(flag: str, value: object, ok: bool, valid: str) -> None:
        if value is not None and not ok:
            raise ValueError(f"{flag} must be {valid}, got {value!r}")

    check("--frames", args.frames, args.frames is None or args.frames >= 1, ">= 1")
    check("--steps", args.steps, args.steps is None or 1 <= args.steps <= 1000, "in [1, 1000]")
    check("--guidance", args.guidance, args.guidance is None or args.guidance >= 1,
          ">= 1 (1 = no guidance)")  # fmt: skip
    check("--seed", args.seed, args.seed is None or args.seed >= 0, ">= 0")
    check("--tar-until", args.tar_until, args.tar_until is None or args.tar_until >= 0, ">= 0")
    check("--decode-chunk", args.decode_chunk, args.decode_chunk >= 1, ">= 1")
    check("--fps", args.fps, 0 < args.fps <= 50, "in (0, 50]")
    check("--scale", args.scale, args.scale is None or args.scale >= 1, ">= 1")
    for flag, value in (("--height", args.height), ("--width", args.width)):
        check(flag, value, value is None or value >= 1, ">= 1")
    check("--threads", args.threads, args.threads is None or args.threads >= 1, ">= 1")


def _load_pipeline(args: argparse.Namespace, device: str | None = None) -> object:
    """The tiny model (a name or a trained folder) or a pretrained one (preset, id, folder)."""
    from vstar_lite.pipeline import VSTARPipeline

    try:
        return VSTARPipeline.from_pretrained(
            args.model, dtype=args.dtype, device=args.device or device
        )
    except (OSError, ImportError) as error:  # no weights offline, unknown id, missing package
        raise ValueError(f"--model {args.model!r} could not be loaded: {error}") from None


def _gif_scale(args: argparse.Namespace, pipe: object) -> int:
    """``--scale``, or by default 4 for the tiny model's 32 x 32 frames and 1 otherwise."""
    return args.scale or (4 if pipe.is_tiny else 1)


def _tar_from_flags(args: argparse.Namespace) -> dict[str, float] | None:
    return {str(level): sigma for level, sigma in args.tar} if args.tar else None


def _generate(args: argparse.Namespace) -> int:
    import torch

    from vstar_lite.batch import _tar_config
    from vstar_lite.export import VIDEO_SUFFIXES, ffmpeg_path
    from vstar_lite.vsp import load_synopses

    if (args.prompt is None) == (args.synopsis is None):
        print("vstar-lite generate: give a PROMPT or --synopsis NAME (not both)", file=sys.stderr)
        return 2
    try:
        _check_sampling_flags(args)
        if Path(args.out).suffix.lower() not in VIDEO_SUFFIXES:
            raise ValueError(f"--out must end in .gif or .mp4, got {args.out!r}")
        if Path(args.out).suffix.lower() == ".mp4":
            ffmpeg_path()  # fail before sampling, not after
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        pipe = _load_pipeline(args)
        synopsis = None
        if args.synopsis is not None:
            synopses = load_synopses()
            if args.synopsis not in synopses:
                tiny = pipe.is_tiny
                names = sorted(name for name in synopses if name.startswith("tiny_") == tiny)
                which = "the tiny model" if tiny else "pretrained models"
                raise ValueError(
                    f"--synopsis {args.synopsis!r} is not shipped; for {which}: {names}"
                )
            synopsis = synopses[args.synopsis]
        result = pipe(
            args.prompt,
            synopsis,
            num_frames=args.frames,
            steps=args.steps,
            guidance=args.guidance,
            tar=_tar_config(_tar_from_flags(args), args.tar_until),
            seed=args.seed,
            height=args.height,
            width=args.width,
            decode_chunk=args.decode_chunk,
            progress=not args.no_progress,
        )
        path = result.save(args.out, fps=args.fps, scale=_gif_scale(args, pipe))
    except (ValueError, RuntimeError) as error:
        print(f"vstar-lite generate: {error}", file=sys.stderr)
        return 2
    print(f"{args.frames} frames in {result.seconds:.1f} s -> {path}")
    return 0


def _add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``generate`` and ``batch`` share: the model, sampling, TAR and output settings."""
    parser.add_argument(
        "--model",
        default="tiny",
        help="tiny model: tiny (default, the shipped pipeline folder), scvideo (once trained) or "
        "a folder written by train; or a pretrained diffusers model: a preset (modelscope, "
        "zeroscope, animatediff), a Hub id or a folder",
    )
    parser.add_argument("--frames", type=int, default=16, help="number of frames (default 16)")
    parser.add_argument("--steps", type=int, help="denoising steps (default 25)")
    parser.add_argument(
        "--guidance", type=float, help="guidance scale (default: tiny 4, presets 7.5-9)"
    )
    parser.add_argument(
        "--tar",
        type=_tar_setting,
        action="append",
        metavar="LEVEL=SIGMA",
        help="TAR sigma for a UNet level (repeatable), e.g. --tar 0=1 --tar 1=8",
    )
    parser.add_argument(
        "--tar-until", type=int, default=13, help="last regularized step (default 13)"
    )
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    parser.add_argument("--height", type=int, help="frame height in pixels (default: the model's)")
    parser.add_argument("--width", type=int, help="frame width in pixels (default: the model's)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda if available)")
    parser.add_argument(
        "--dtype",
        choices=["float16", "bfloat16", "float32"],
        help="pretrained models' precision (default float16 on CUDA, float32 on CPU)",
    )
    parser.add_argument(
        "--decode-chunk", type=int, default=8, help="frames decoded at once (default 8)"
    )
    parser.add_argument("--fps", type=float, default=8.0, help="frames per second (default 8)")
    parser.add_argument(
        "--scale", type=int, help="enlarge pixels by this factor (default: tiny 4, else 1)"
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "prompt", nargs="?", help='e.g. "a red circle moves right on a dark background"'
    )
    parser.add_argument("--synopsis", help="a synopsis name from data/synopses.json (VSP)")
    _add_sampling_arguments(parser)
    parser.add_argument(
        "--out", default="video.gif", help="output .gif or .mp4 (needs ffmpeg; default video.gif)"
    )


def _batch(args: argparse.Namespace) -> int:
    import torch

    from vstar_lite.batch import load_batch, process_slot, run_batch
    from vstar_lite.export import ffmpeg_path

    try:
        _check_sampling_flags(args)
        items = load_batch(args.file)
        if args.format == "mp4":
            ffmpeg_path()  # fail before sampling, not after
        slot = process_slot()
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        pipe = _load_pipeline(args, device=slot.device())
    except (ValueError, RuntimeError) as error:
        print(f"vstar-lite batch: {error}", file=sys.stderr)
        return 2
    mine = len(items[slot.rank :: slot.world_size])
    print(f"[{slot.rank}/{slot.world_size}] {mine} of {len(items)} items ({slot.launcher})")
    defaults = {
        "frames": args.frames, "seed": args.seed, "steps": args.steps, "guidance": args.guidance,
        "tar": _tar_from_flags(args), "tar_until": args.tar_until,
        "decode_chunk": args.decode_chunk,
    }  # fmt: skip
    written, failed = run_batch(
        items,
        pipe,
        args.out_dir,
        slot=slot,
        defaults=defaults,
        suffix=f".{args.format}",
        fps=args.fps,
        scale=_gif_scale(args, pipe),
        progress=not args.no_progress,
    )
    summary = f"[{slot.rank}/{slot.world_size}] {len(written)} of {mine} items written"
    if failed:
        print(f"vstar-lite batch: {summary}, {len(failed)} failed: {failed}", file=sys.stderr)
        return 1
    print(f"{summary} to {args.out_dir}")
    return 0


def _add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        metavar="FILE.json",
        help="a list of items [{name, prompt or synopsis, frames?, seed?, steps?, guidance?, "
        "tar?, tar_until?}] or a synopses file like data/synopses.json",
    )
    parser.add_argument("--out-dir", default="videos", help="output folder (default videos)")
    parser.add_argument(
        "--format", choices=["gif", "mp4"], default="gif", help="output format (default gif)"
    )
    _add_sampling_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vstar-lite",
        description="VSTAR (temporal attention regularization and video synopsis prompting) "
        "for text-to-video diffusion, from the vstar-lite course.",
    )
    parser.add_argument("--version", action="version", version=f"vstar-lite {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("info", help="print versions and the device").set_defaults(run=_info)
    bench = commands.add_parser("bench", help="benchmark TAR attention: time and peak memory")
    add_bench_arguments(bench)
    bench.set_defaults(run=run_bench)
    generator = commands.add_parser(
        "generate", help="generate a GIF or MP4 from a prompt or a synopsis"
    )
    _add_generate_arguments(generator)
    generator.set_defaults(run=_generate)
    batch = commands.add_parser(
        "batch",
        help="generate videos for many prompts or synopses from a JSON file, on one process "
        "or several (accelerate launch)",
        description="Items are split between processes (accelerate launch, torchrun or "
        "RANK/WORLD_SIZE); one output per item; failed items are reported, the others kept.",
    )
    _add_batch_arguments(batch)
    batch.set_defaults(run=_batch)
    trainer = commands.add_parser(
        "train", help="train the tiny text-to-video model on CPU (resumable)"
    )
    _add_train_arguments(trainer)
    trainer.set_defaults(run=_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
