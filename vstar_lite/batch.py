"""``vstar-lite batch``: many prompts and synopses from one JSON file, on one or several processes.

The file is either

- a list of items, each an object with
  ``"name"`` (the output file's stem; letters, digits, ``_ . -``),
  exactly one of ``"prompt"`` (a string) or ``"synopsis"`` (a name in ``data/synopses.json``, or
  an object ``{"prompt": ..., "sub_prompts": [...], "keyframes": [...]}``),
  and optionally ``"frames"``, ``"seed"``, ``"steps"``, ``"guidance"``, ``"eta"``, ``"tar"``
  (an object level -> sigma such as ``{"0": 1, "1": 8}``, or ``null`` for no TAR) and
  ``"tar_until"`` (the last regularized step, counted on a 25-step run and scaled to ``steps``),
  which override the command line's values for that item. An inline synopsis lists its
  sub-prompts in order and, optionally, the frame at which each one is reached (``keyframes``:
  strictly increasing from 0 to ``frames - 1``; without them the sub-prompts are spread evenly
  over the video)::

      [{"name": "circle", "prompt": "a red circle moves right on a dark background"},
       {"name": "dusk", "synopsis": "tiny_dusk", "frames": 24, "tar": {"0": 1}},
       {"name": "turn", "frames": 16, "seed": 3, "eta": 1.0,
        "synopsis": {
            "prompt": "a circle turns from red to blue",
            "sub_prompts": ["a red circle moves right on a dark background",
                            "a green circle moves right on a dark background",
                            "a blue circle moves right on a dark background"],
            "keyframes": [0, 4, 15]}}]

- or a synopses file in the format of ``data/synopses.json``
  (``{"name": {"prompt": ..., "sub_prompts": [...]}, ...}``): one synopsis item per entry.

Each item is written to ``OUT_DIR/NAME.gif`` (or ``.mp4``). A failing item is reported on stderr
and the others go on; the summary at the end counts the failures and the exit status is 1 if any.

Several processes (``accelerate launch -m vstar_lite batch ...``, ``torchrun``, or any launcher that
sets ``RANK``/``WORLD_SIZE``) share the items: process ``r`` of ``n`` takes items ``r, r + n, ...``
and runs on its own GPU (``LOCAL_RANK``). accelerate is optional (from a clone:
``pip install -e ".[multi-gpu]"``); without it the environment variables are read directly.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "BatchItem",
    "ProcessSlot",
    "generate_item",
    "load_batch",
    "process_slot",
    "run_batch",
    "tar_config",
]

ITEM_FIELDS = {"name", "prompt", "synopsis", "frames", "seed", "steps", "guidance", "eta", "tar",
               "tar_until"}  # fmt: skip
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class BatchItem:
    """One video to make; ``None`` fields take the command line's values."""

    name: str
    prompt: str | None = None
    synopsis: Any = None  # a shipped name or a vstar_lite.vsp.Synopsis
    frames: int | None = None
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    eta: float | None = None
    tar: Mapping[str, float] | None | str = "default"  # "default": the command line's --tar
    tar_until: int | None = None


def load_batch(path: str | Path) -> list[BatchItem]:
    """Read a batch file (format in the module docstring); structural errors name the item."""
    from vstar_lite.vsp import Synopsis

    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"FILE {str(path)!r} is not a readable JSON file: {error}") from None
    if isinstance(raw, dict):  # the synopses.json format
        raw = [{"name": name, "synopsis": entry} for name, entry in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"FILE {str(path)!r} must hold a non-empty list of items or synopses")
    items, names = [], set()
    for index, entry in enumerate(raw):
        where = f"item {index} of {path.name}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object, got {entry!r}")
        unknown = set(entry) - ITEM_FIELDS
        if unknown:
            raise ValueError(f"{where} has unknown fields {sorted(unknown)}; known: "
                             f"{sorted(ITEM_FIELDS)}")  # fmt: skip
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"{where}: name must be letters, digits, '_', '.', '-', got {name!r}")
        if name in names:
            raise ValueError(f"{where}: name {name!r} is used twice")
        names.add(name)
        if ("prompt" in entry) == ("synopsis" in entry):
            raise ValueError(f"{where} ({name!r}) needs exactly one of 'prompt' and 'synopsis'")
        synopsis = entry.get("synopsis")
        if isinstance(synopsis, dict):
            try:
                synopsis = Synopsis.from_dict(synopsis)
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{where} ({name!r}): bad synopsis: {error}") from None
        fields = {key: entry[key] for key in ITEM_FIELDS - {"name", "synopsis"} if key in entry}
        items.append(BatchItem(name=name, synopsis=synopsis, **fields))
    return items


@dataclass(frozen=True)
class ProcessSlot:
    """This process's place in a multi-process run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    launcher: str = "single process"

    def device(self) -> str:
        import torch

        return f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu"


def process_slot(environ: Mapping[str, str] | None = None) -> ProcessSlot:
    """Rank and world size: from accelerate's ``PartialState`` when accelerate is installed and
    the process was started by a distributed launcher, else from ``RANK``, ``WORLD_SIZE`` and
    ``LOCAL_RANK`` (as ``torchrun`` and ``accelerate launch`` set them), else one process."""
    env = os.environ if environ is None else environ
    launched = "MASTER_ADDR" in env and int(env.get("WORLD_SIZE", "1")) > 1
    if launched and environ is None:
        try:
            from accelerate import PartialState
        except ImportError:
            pass
        else:
            state = PartialState()
            return ProcessSlot(state.process_index, state.num_processes,
                               state.local_process_index, "accelerate")  # fmt: skip
    try:
        rank = int(env.get("RANK", "0"))
        world = int(env.get("WORLD_SIZE", "1"))
        local = int(env.get("LOCAL_RANK", str(rank)))
    except ValueError as error:
        raise ValueError(f"RANK, WORLD_SIZE and LOCAL_RANK must be integers: {error}") from None
    if world < 1 or not 0 <= rank < world or local < 0:
        raise ValueError(
            f"need WORLD_SIZE >= 1 and 0 <= RANK < WORLD_SIZE, got RANK={rank} WORLD_SIZE={world}"
        )
    return ProcessSlot(rank, world, local, "environment" if world > 1 else "single process")


def tar_config(value: Any, until: int | None = None) -> Any:
    """A ``TARConfig`` from a batch item's ``tar`` (level -> sigma, JSON keys are strings) and
    ``tar_until`` (``None``: the config's own default, steps 0-13 of 25, scaled)."""
    from vstar_lite.tar import TARConfig

    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"tar must be an object level -> sigma or null, got {value!r}")
    try:
        sigmas = {int(level): sigma for level, sigma in value.items()}
    except ValueError:
        raise ValueError(f"tar keys must be UNet levels (integers), got {list(value)}") from None
    return TARConfig(sigmas, **({} if until is None else {"until_step": until}))


def _setting(item: BatchItem, defaults: Mapping[str, Any], name: str) -> Any:
    """The item's own value of a setting, or the command line's."""
    own = getattr(item, name)
    return defaults.get(name) if own is None else own


def generate_item(
    item: BatchItem,
    pipeline: Any,
    path: Path,
    defaults: Mapping[str, Any],
    *,
    fps: float = 8.0,
    scale: int = 1,
    progress: bool = False,
) -> tuple[Path, int, float]:
    """Make one item's video and write it to ``path``; returns (path, frames, seconds).

    ``defaults``: ``frames, seed, steps, guidance, eta, tar`` (a mapping or None), ``tar_until``,
    ``decode_chunk`` and ``method`` (``vstar``, the default, or ``none``: this pipeline;
    ``freenoise`` or ``freeinit``: diffusers' own, see :mod:`vstar_lite.compare`); an item's own
    fields win. The pipeline checks every value before sampling.
    """
    tar_value = defaults.get("tar") if item.tar == "default" else item.tar
    frames = _setting(item, defaults, "frames")
    method = defaults.get("method") or "vstar"
    if method in ("freenoise", "freeinit"):  # diffusers' own, in AnimateDiffPipeline
        return _generate_with_diffusers_method(item, pipeline, path, defaults, method, tar_value,
                                               fps=fps, scale=scale)  # fmt: skip
    result = pipeline(
        item.prompt,
        item.synopsis,
        num_frames=frames,
        steps=_setting(item, defaults, "steps"),
        guidance=_setting(item, defaults, "guidance"),
        eta=_setting(item, defaults, "eta"),
        seed=_setting(item, defaults, "seed"),
        tar=tar_config(tar_value, _setting(item, defaults, "tar_until")),
        decode_chunk=defaults.get("decode_chunk", 8),
        progress=progress,
    )
    return result.save(path, fps=fps, scale=scale), frames, result.seconds


def _generate_with_diffusers_method(
    item: BatchItem,
    pipeline: Any,
    path: Path,
    defaults: Mapping[str, Any],
    method: str,
    tar_value: Any,
    *,
    fps: float,
    scale: int,
) -> tuple[Path, int, float]:
    """``--method freenoise`` or ``freeinit``: :func:`vstar_lite.compare.generate`, with TAR
    (``tar``) and a synopsis (FreeNoise: its prompt dict; FreeInit: VSP) where given."""
    from vstar_lite.compare import Method, generate
    from vstar_lite.pipeline import VSTARResult

    tar = tar_config(tar_value, _setting(item, defaults, "tar_until"))
    synopsis = pipeline._resolve_synopses(item.synopsis)[0] if item.synopsis else None
    name = {"freenoise": "FreeNoise", "freeinit": "FreeInit"}[method]
    spec = Method(name, tar=tar is not None, vsp=synopsis is not None,
                  free_noise=method == "freenoise", free_init=method == "freeinit")  # fmt: skip
    frames = _setting(item, defaults, "frames")
    made = generate(
        pipeline, spec, prompt=item.prompt, synopsis=synopsis, num_frames=frames,
        seed=_setting(item, defaults, "seed"), tar=tar, steps=_setting(item, defaults, "steps"),
        guidance=_setting(item, defaults, "guidance"), eta=_setting(item, defaults, "eta"),
    )  # fmt: skip
    result = VSTARResult(made.video, None, made.seconds)
    return result.save(path, fps=fps, scale=scale), frames, result.seconds


def run_batch(
    items: list[BatchItem],
    pipeline: Any,
    out_dir: str | Path,
    *,
    slot: ProcessSlot = ProcessSlot(),
    defaults: Mapping[str, Any],
    suffix: str = ".gif",
    fps: float = 8.0,
    scale: int = 1,
    progress: bool = False,
    log: TextIO | None = None,
    errors: TextIO | None = None,
    stop_on_error: bool = False,
) -> tuple[list[Path], list[str]]:
    """Generate this process's share of ``items`` into ``out_dir/NAME{suffix}``; returns (written
    paths, failed names). A failing item is reported on ``errors`` and the others go on, unless
    ``stop_on_error`` (``vstar-lite generate``, a batch of one) lets the error through. ``log``
    and ``errors`` default to the ``sys.stdout`` and ``sys.stderr`` of the call.
    ``defaults``: as in :func:`generate_item`.
    """
    log = sys.stdout if log is None else log  # looked up now: sys.stdout may have been replaced
    errors = sys.stderr if errors is None else errors
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mine = items[slot.rank :: slot.world_size]
    written, failed = [], []
    for item in mine:
        try:
            path, frames, seconds = generate_item(
                item, pipeline, out_dir / f"{item.name}{suffix}", defaults,
                fps=fps, scale=scale, progress=progress,
            )  # fmt: skip
        except Exception as error:  # one bad item must not stop the others
            if stop_on_error:
                raise
            failed.append(item.name)
            print(f"vstar-lite batch: item {item.name!r} failed: {error}", file=errors)
            continue
        written.append(path)
        print(f"[{slot.rank}/{slot.world_size}] {item.name}: {frames} frames in "
              f"{seconds:.1f} s -> {path}", file=log)  # fmt: skip
    return written, failed
