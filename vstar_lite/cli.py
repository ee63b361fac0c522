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
    "generate": "generate a video (GIF) from a prompt or a synopsis",
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
    train(config, args.out, resume=not args.restart, progress=not args.no_progress)
    print(f"done: {args.out}/model.safetensors, curves in {args.out}/curves.csv")
    return 0


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from vstar_lite.tiny.train import PRESETS

    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick",
                        help="quick: under 15 minutes on 2 CPU cores; shipped: the shipped weights")  # fmt: skip
    parser.add_argument("--out", default="build/tiny_model", help="output and checkpoint folder")
    parser.add_argument("--model", choices=["vstar", "scvideo"], help="model configuration")
    parser.add_argument("--steps", type=int, help="total optimizer steps")
    parser.add_argument("--batch", type=int, help="clips per step")
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--seed", type=int, help="seed of the weights and of the data stream")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
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
    trainer = commands.add_parser("train", help="train the tiny text-to-video model on CPU (resumable)")
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
