"""The ``vstar-lite`` command line.

Sub-commands that later parts of the course fill in are listed already, so ``--help`` shows the
whole tool; until they exist they say so and exit with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
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
    if args.threads is not None and args.threads < 1:
        print(f"vstar-lite train: error: --threads must be >= 1, got {args.threads}",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.autoencoder is not None and not (Path(args.autoencoder) / "config.json").is_file():
        print(f"vstar-lite train: error: --autoencoder {args.autoencoder!r} is not an "
              "AutoencoderKL folder (no config.json)", file=sys.stderr)  # fmt: skip
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"training the tiny {denoiser.layout!r} model ({args.preset} preset) into {args.out}")
    try:
        folder = train(
            preset,
            args.out,
            autoencoder=args.autoencoder,
            resume=not args.restart,
            progress=not args.no_progress,
            stop_after=args.stop_after,
        )
    except (ValueError, RuntimeError, OSError) as error:
        print(f"vstar-lite train: error: {_one_line(error)}", file=sys.stderr)
        return 2
    print(f"done: pipeline folder {folder}, curves in {args.out}/curves.csv")
    return 0


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from vstar_lite.tiny.recipes import LAYOUTS, PRESETS

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
        help="UNet layout: modelscope (UNet3DConditionModel, the default), scvideo (the same "
        "with sparse causal spatial attention) or animatediff (UNetMotionModel)",
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


MAX_SEED = 2**64 - 1  # what torch.Generator.manual_seed takes (the pipeline checks it too)


def _check_sampling_flags(args: argparse.Namespace) -> None:
    """Flag values the pipeline would reject, reported by their flag's name before loading."""

    def check(flag: str, value: object, ok: bool, valid: str) -> None:
        if value is not None and not ok:
            raise ValueError(f"{flag} must be {valid}, got {value!r}")

    def finite(value: float | None, low: float, high: float = math.inf) -> bool:
        return value is None or (math.isfinite(value) and low <= value <= high)

    check("--frames", args.frames, args.frames >= 1, ">= 1")
    check("--steps", args.steps, args.steps is None or 1 <= args.steps <= 1000, "in [1, 1000]")
    check("--guidance", args.guidance, finite(args.guidance, 1.0),
          "a finite number >= 1 (1 = no guidance)")  # fmt: skip
    check("--eta", args.eta, finite(args.eta, 0.0, 1.0), "a finite number in [0, 1]")
    check("--seed", args.seed, 0 <= args.seed <= MAX_SEED, f"in [0, 2**64 - 1 = {MAX_SEED}]")
    check("--tar-until", args.tar_until, args.tar_until is None or 0 <= args.tar_until <= 24,
          "in [0, 24] (a step of a 25-step run; it scales with --steps)")  # fmt: skip
    check("--decode-chunk", args.decode_chunk, args.decode_chunk >= 1, ">= 1")
    check("--fps", args.fps, 0 < args.fps <= 50, "in (0, 50]")
    check("--scale", args.scale, args.scale is None or args.scale >= 1, ">= 1")
    for flag, value in (("--height", args.height), ("--width", args.width)):
        check(flag, value, value is None or value >= 1, ">= 1")
    check("--threads", args.threads, args.threads is None or args.threads >= 1, ">= 1")
    if getattr(args, "method", None) == "none" and (args.tar or args.synopsis):
        raise ValueError(
            "--method none samples the plain model: drop --tar and --synopsis, or use "
            "--method vstar"
        )


def _check_device(device: str | None) -> None:
    """``--device cuda`` on a machine whose torch sees no CUDA device: say so before loading."""
    if device is None:
        return
    import torch

    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise ValueError(f"--device must be cpu, cuda or cuda:N, got {device!r}") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"--device {device!r} asks for CUDA, but this torch ({torch.__version__}) finds no "
            "CUDA device; use --device cpu"
        )


def _check_output_file(out: str) -> Path:
    """``--out``: a .gif or .mp4 path in an existing, writable folder, not a folder itself."""
    from vstar_lite.export import VIDEO_SUFFIXES, ffmpeg_path

    path = Path(out)
    if path.is_dir():
        raise ValueError(f"--out {out!r} is a folder; give a file name such as {out}/video.gif")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"--out must end in .gif or .mp4, got {out!r}")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"--out {out!r}: folder {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"--out {out!r}: folder {str(folder)!r} is not writable")
    if path.suffix.lower() == ".mp4":
        ffmpeg_path()  # fail before sampling, not after
    return path


def _check_output_dir(out_dir: str) -> Path:
    """``--out-dir``: created now (before loading) and writable."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--out-dir {out_dir!r} cannot be created: {error.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise ValueError(f"--out-dir {out_dir!r} is not writable")
    return folder


def _one_line(error: BaseException) -> str:
    """An exception as one line; the Hub's "see the stacktrace above" (none is printed here)
    becomes what it means."""
    text = " ".join(str(error).split()) or type(error).__name__
    hint = "see the stacktrace above"
    if hint in text.lower():
        text = text[: text.lower().index(hint)].rstrip(" ,;:-(") + (
            ": no local copy was found and the Hugging Face Hub could not be reached "
            "(offline?); download it once with a connection, or give a local folder"
        )
    return text


def _load_pipeline(args: argparse.Namespace, device: str | None = None) -> object:
    """The tiny model (a name or a trained folder) or a pretrained one (preset, id, folder)."""
    from vstar_lite.pipeline import VSTARPipeline

    try:
        return VSTARPipeline.from_pretrained(
            args.model, dtype=args.dtype, device=args.device or device
        )
    except Exception as error:  # no weights offline, unknown id, broken folder, missing package
        raise ValueError(
            f"--model {args.model!r} could not be loaded: {_one_line(error)}"
        ) from None


def _gif_scale(args: argparse.Namespace, pipe: object) -> int:
    """``--scale``, or by default 4 for the tiny model's 32 x 32 frames and 1 otherwise."""
    return args.scale or (4 if pipe.is_tiny else 1)


def _tar_from_flags(args: argparse.Namespace) -> dict[str, float] | None:
    return {str(level): sigma for level, sigma in args.tar} if args.tar else None


def _run_items(command: str, args: argparse.Namespace) -> int:
    """``generate`` (a batch of one item) and ``batch``: check, load once, sample, write.

    Every check that can fail runs before the model is loaded; any error is one line on stderr
    and exit status 2. In a batch a failing item is reported and the others go on (status 1).
    """
    import torch

    from vstar_lite.batch import BatchItem, load_batch, process_slot, run_batch
    from vstar_lite.export import check_export_memory, ffmpeg_path

    try:
        _check_sampling_flags(args)
        _check_device(args.device)
        if command == "generate":
            if (args.prompt is None) == (args.synopsis is None):
                raise ValueError("give a PROMPT or --synopsis NAME (not both)")
            out = _check_output_file(args.out)
            items = [BatchItem(name=out.stem, prompt=args.prompt, synopsis=args.synopsis)]
            out_dir, suffix = out.parent, out.suffix
        else:
            items = load_batch(args.file)
            if args.format == "mp4":
                ffmpeg_path()  # fail before sampling, not after
            out_dir, suffix = _check_output_dir(args.out_dir), f".{args.format}"
        slot = process_slot()
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        pipe = _load_pipeline(args, device=slot.device())
        scale = _gif_scale(args, pipe)
        for item in items:
            frames = item.frames if item.frames is not None else args.frames
            if isinstance(frames, int):
                check_export_memory(frames, args.height or pipe.height,
                                    args.width or pipe.width, scale)  # fmt: skip
        mine = len(items[slot.rank :: slot.world_size])
        if command == "batch":
            print(f"[{slot.rank}/{slot.world_size}] {mine} of {len(items)} items ({slot.launcher})")
        defaults = {
            "frames": args.frames, "seed": args.seed, "steps": args.steps,
            "guidance": args.guidance, "eta": args.eta, "tar": _tar_from_flags(args),
            "tar_until": args.tar_until, "decode_chunk": args.decode_chunk,
            "method": getattr(args, "method", "vstar"),
        }  # fmt: skip
        written, failed = run_batch(
            items, pipe, out_dir, slot=slot, defaults=defaults, suffix=suffix, fps=args.fps,
            scale=scale, progress=not args.no_progress, stop_on_error=command == "generate",
        )  # fmt: skip
    except (ValueError, RuntimeError, OSError) as error:
        print(f"vstar-lite {command}: {_one_line(error)}", file=sys.stderr)
        return 2
    if command == "generate":
        return 0
    summary = f"[{slot.rank}/{slot.world_size}] {len(written)} of {mine} items written"
    if failed:
        print(f"vstar-lite batch: {summary}, {len(failed)} failed: {failed}", file=sys.stderr)
        return 1
    print(f"{summary} to {args.out_dir}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    return _run_items("generate", args)


def _batch(args: argparse.Namespace) -> int:
    return _run_items("batch", args)


def _add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``generate`` and ``batch`` share: the model, sampling, TAR and output settings."""
    parser.add_argument(
        "--model",
        default="tiny",
        help="tiny model: tiny (default, the shipped ModelScope-style pipeline folder), "
        "tiny-animatediff (the AnimateDiff-style one), scvideo (once trained) or a folder "
        "written by train; or a pretrained diffusers model: a preset (modelscope, "
        "zeroscope, animatediff), a Hub id or a folder",
    )
    parser.add_argument("--frames", type=int, default=16, help="number of frames (default 16)")
    parser.add_argument("--steps", type=int, help="denoising steps (default: the model's, 25)")
    parser.add_argument(
        "--guidance",
        type=float,
        help="classifier-free guidance scale; 1 turns it off (default: the model's; tiny 4, "
        "presets 7.5-9)",
    )
    parser.add_argument(
        "--eta",
        type=float,
        help="DDIM noise in [0, 1]: 0 deterministic, 1 as in the VSTAR paper (default: the "
        "model's; tiny 0, modelscope and zeroscope 1, animatediff 0)",
    )
    parser.add_argument(
        "--tar",
        type=_tar_setting,
        action="append",
        metavar="LEVEL=SIGMA",
        help="TAR sigma for a UNet level (repeatable), e.g. --tar 0=1 --tar 1=8",
    )
    parser.add_argument(
        "--tar-until",
        type=int,
        metavar="STEP",
        help="last TAR step, counted on a 25-step run and scaled to --steps (default 13: the "
        "first 56%% of sampling, as in the paper)",
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
    parser.add_argument(
        "--method",
        choices=["vstar", "freenoise", "freeinit", "none"],
        default="vstar",
        help="vstar (default): TAR (--tar) and VSP (--synopsis) in this package's pipeline; "
        "freenoise or freeinit: diffusers' FreeNoise or FreeInit (AnimateDiff models, e.g. "
        "--model tiny-animatediff), with --tar and --synopsis where given; none: the plain model",
    )
    _add_sampling_arguments(parser)
    parser.add_argument(
        "--out", default="video.gif", help="output .gif or .mp4 (needs ffmpeg; default video.gif)"
    )


def _add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        metavar="FILE.json",
        help="a list of items or a synopses file like data/synopses.json (format below)",
    )
    parser.add_argument("--out-dir", default="videos", help="output folder (default videos)")
    parser.add_argument(
        "--format", choices=["gif", "mp4"], default="gif", help="output format (default gif)"
    )
    _add_sampling_arguments(parser)


def _batch_format() -> str:
    """The batch file format, from the docstring of :mod:`vstar_lite.batch` (read without
    importing it, so that ``--help`` stays fast)."""
    import ast

    source = (Path(__file__).parent / "batch.py").read_text(encoding="utf-8")
    text = ast.get_docstring(ast.parse(source)) or ""
    return text.replace("``", "").replace("::", ":").split("\n", 1)[-1].strip()


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
        description="Generate one video per item of FILE.json, loading the model once.",
        epilog=_batch_format(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
