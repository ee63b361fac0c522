"""The ``vstar-lite`` command line.

Sub-commands that later parts of the course fill in are listed already, so ``--help`` shows the
whole tool; until they exist they say so and exit with status 2.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence

from vstar_lite import __version__
from vstar_lite.bench import add_arguments as add_bench_arguments
from vstar_lite.bench import main as run_bench

# Sub-commands that later issues implement: name -> what it will do.
PLANNED_COMMANDS: dict[str, str] = {
    "batch": "generate videos for many synopses from a JSON file, on one or several GPUs",
}


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

    from vstar_lite.tiny.train import PRESETS, train

    overrides = {
        name: getattr(args, name)
        for name in ("model", "steps", "batch", "lr", "seed")
        if getattr(args, name) is not None
    }
    config = dataclasses.replace(PRESETS[args.preset], **overrides)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"training {config.model!r} ({args.preset} preset) into {args.out}")
    train(
        config,
        args.out,
        resume=not args.restart,
        progress=not args.no_progress,
        stop_after=args.stop_after,
    )
    print(f"done: {args.out}/model.safetensors, curves in {args.out}/curves.csv")
    return 0


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from vstar_lite.tiny.train import PRESETS

    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="quick",
        help="quick: under 15 minutes on 2 CPU cores; shipped: the shipped weights",
    )
    parser.add_argument("--out", default="build/tiny_model", help="output and checkpoint folder")
    parser.add_argument("--model", choices=["vstar", "scvideo"], help="model configuration")
    parser.add_argument("--steps", type=int, help="total optimizer steps")
    parser.add_argument("--batch", type=int, help="clips per step")
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--seed", type=int, help="seed of the weights and of the data stream")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    parser.add_argument(
        "--stop-after",
        type=int,
        metavar="STEP",
        help="stop after STEP (schedule unchanged); run again to resume",
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


def _generate(args: argparse.Namespace) -> int:
    import time

    import torch

    from vstar_lite.diffusers_hooks import enable_vstar
    from vstar_lite.tar import TARConfig
    from vstar_lite.tiny import generate, load_tiny
    from vstar_lite.viz import save_gif
    from vstar_lite.vsp import interpolate_embeddings, load_synopses

    if (args.prompt is None) == (args.synopsis is None):
        print("vstar-lite generate: give a PROMPT or --synopsis NAME (not both)", file=sys.stderr)
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        model = load_tiny(args.model)
        tar = TARConfig(dict(args.tar), until_step=args.tar_until) if args.tar else None
        prompt, embeddings = args.prompt, None
        if args.synopsis is not None:
            synopses = load_synopses()
            if args.synopsis not in synopses:
                tiny = sorted(name for name in synopses if name.startswith("tiny_"))
                raise ValueError(
                    f"--synopsis {args.synopsis!r} is not shipped; for the tiny model: {tiny}"
                )
            synopsis = synopses[args.synopsis]
            sub = model.encode(list(synopsis.sub_prompts))
            embeddings = interpolate_embeddings(
                sub, args.frames, synopsis.keyframes_for(args.frames)
            )
            prompt = synopsis.sub_prompts[0]
        started = time.perf_counter()
        with enable_vstar(model.unet, tar, frame_embeddings=embeddings):
            video = generate(
                model,
                prompt,
                num_frames=args.frames,
                steps=args.steps,
                guidance=args.guidance,
                seed=args.seed,
                progress=not args.no_progress,
            )
        seconds = time.perf_counter() - started
    except ValueError as error:
        print(f"vstar-lite generate: {error}", file=sys.stderr)
        return 2
    path = save_gif(video[0], args.out, value_range=(-1, 1), scale=4, fps=8)
    print(f"{args.frames} frames in {seconds:.1f} s -> {path}")
    return 0


def _add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "prompt", nargs="?", help='e.g. "a red circle moves right on a dark background"'
    )
    parser.add_argument("--synopsis", help="a synopsis name from data/synopses.json (VSP)")
    parser.add_argument(
        "--model",
        default="vstar",
        help="tiny model: vstar (default), scvideo, or a folder written by train",
    )
    parser.add_argument("--frames", type=int, default=16, help="number of frames (default 16)")
    parser.add_argument("--steps", type=int, default=25, help="DDIM steps (default 25)")
    parser.add_argument("--guidance", type=float, default=4.0, help="guidance scale (default 4)")
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
    parser.add_argument("--out", default="video.gif", help="output GIF (default video.gif)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _not_yet(args: argparse.Namespace) -> int:
    print(
        f"vstar-lite {args.command}: not yet available in vstar-lite {__version__}.",
        file=sys.stderr,
    )
    return 2


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
    generator = commands.add_parser("generate", help="generate a GIF from a prompt or a synopsis")
    _add_generate_arguments(generator)
    generator.set_defaults(run=_generate)
    trainer = commands.add_parser(
        "train", help="train the tiny text-to-video model on CPU (resumable)"
    )
    _add_train_arguments(trainer)
    trainer.set_defaults(run=_train)
    for name, summary in PLANNED_COMMANDS.items():
        sub = commands.add_parser(name, help=f"{summary} (not yet available)")
        sub.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        sub.set_defaults(run=_not_yet)
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
