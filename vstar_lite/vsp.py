"""VSP: video synopsis prompting (VSTAR, ICLR 2025).

A prompt that describes a change over time ("a peony starts to bloom") is rewritten as ``N``
sub-prompts, one per key visual state. Each sub-prompt is encoded (``E_0 ... E_{N-1}``, each
``L x D``) and every frame gets its own embedding, interpolated between the two sub-prompts around
it. With keyframes ``k_n = floor(n (F - 1) / (N - 1))``, a frame ``f`` with ``k_n <= f <= k_{n+1}``
gets

    E(f) = (1 - beta) E_n + beta E_{n+1},   beta = (f - k_n) / (k_{n+1} - k_n),

so each keyframe gets its sub-prompt exactly. ``mode="same"`` instead gives every frame the
embedding of the last keyframe at or before it (no blending). The reference computes keyframes in
8-bit integers, which breaks past 127 frames; here they are plain Python ints.

:class:`Synopsis` holds a prompt, its sub-prompts and optional keyframes, and reads and writes
JSON, and converts to and from the ``{frame: prompt}`` dict of diffusers' FreeNoise;
:func:`write_synopsis` asks any text-in, text-out language model for one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch

from vstar_lite.paths import data_path

__all__ = [
    "SYNOPSIS_INSTRUCTION",
    "Synopsis",
    "default_keyframes",
    "interpolate_embeddings",
    "load_synopses",
    "save_synopses",
    "write_synopsis",
]

SYNOPSES_FILE = "synopses.json"  # in the shipped data folder (vstar_lite.paths.data_path)


def default_keyframes(num_sub_prompts: int, num_frames: int) -> list[int]:
    """``k_n = floor(n (F - 1) / (N - 1))``: evenly spread, first and last frame included."""
    _check_counts(num_sub_prompts, num_frames)
    if num_sub_prompts == 1:
        return [0]
    return [n * (num_frames - 1) // (num_sub_prompts - 1) for n in range(num_sub_prompts)]


def _check_counts(num_sub_prompts: int, num_frames: int) -> None:
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 1:
        raise ValueError(f"num_frames must be an int >= 1, got {num_frames!r}")
    if not 1 <= num_sub_prompts <= num_frames:
        raise ValueError(
            f"the number of sub-prompts N must be in [1, num_frames={num_frames}], "
            f"got {num_sub_prompts}"
        )


def _check_keyframes(keyframes: Sequence[int], num_sub_prompts: int, num_frames: int) -> list[int]:
    keyframes = list(keyframes)
    if len(keyframes) != num_sub_prompts or not all(
        isinstance(k, int) and not isinstance(k, bool) for k in keyframes
    ):
        raise ValueError(
            f"keyframes must be {num_sub_prompts} ints (one per sub-prompt), got {keyframes!r}"
        )
    if keyframes[0] != 0 or keyframes[-1] != num_frames - 1:
        raise ValueError(
            f"keyframes must start at 0 and end at num_frames - 1 = {num_frames - 1}, "
            f"got {keyframes}"
        )
    if any(b <= a for a, b in zip(keyframes, keyframes[1:])):
        raise ValueError(f"keyframes must be strictly increasing, got {keyframes}")
    return keyframes


def interpolate_embeddings(
    embeddings: torch.Tensor,
    num_frames: int,
    keyframes: Sequence[int] | None = None,
    mode: Literal["linear", "same"] = "linear",
) -> torch.Tensor:
    """Sub-prompt embeddings ``"N L D"`` to one embedding per frame, ``"F L D"``.

    ``keyframes``: the frame of each sub-prompt (default :func:`default_keyframes`); strictly
    increasing, first 0, last ``num_frames - 1``. ``mode``: ``"linear"`` blends between keyframes,
    ``"same"`` holds each sub-prompt until the next keyframe.
    """
    if not isinstance(embeddings, torch.Tensor) or embeddings.ndim != 3:
        raise ValueError(
            f"embeddings must have shape (N, L, D), got {tuple(getattr(embeddings, 'shape', ()))}"
        )
    if mode not in ("linear", "same"):
        raise ValueError(f"mode must be 'linear' or 'same', got {mode!r}")
    count = embeddings.shape[0]
    _check_counts(count, num_frames)
    if count == 1:
        return embeddings.expand(num_frames, -1, -1).clone()
    keys = default_keyframes(count, num_frames) if keyframes is None else keyframes
    keys = _check_keyframes(keys, count, num_frames)

    frames = torch.arange(num_frames, dtype=torch.float64)
    starts = torch.tensor(keys[:-1], dtype=torch.float64)
    # segment n holds frames k_n <= f < k_{n+1}; the last frame belongs to the last segment
    segment = (torch.searchsorted(starts, frames, right=True) - 1).clamp(max=count - 2)
    lower = torch.tensor(keys, dtype=torch.float64)[segment]
    upper = torch.tensor(keys, dtype=torch.float64)[segment + 1]
    beta = (frames - lower) / (upper - lower)  # "F", 0 at k_n, 1 at k_{n+1}
    if mode == "same":
        beta = (beta >= 1.0).to(torch.float64)  # only the last frame reaches beta = 1
    beta = beta.to(embeddings.dtype).view(num_frames, 1, 1)
    return (1 - beta) * embeddings[segment] + beta * embeddings[segment + 1]


@dataclass(frozen=True)
class Synopsis:
    """A prompt, the sub-prompts describing its key visual states in order, optional keyframes."""

    prompt: str
    sub_prompts: tuple[str, ...]
    keyframes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ValueError(f"prompt must be a non-empty string, got {self.prompt!r}")
        subs = tuple(self.sub_prompts) if not isinstance(self.sub_prompts, str) else ()
        if not subs or not all(isinstance(s, str) and s.strip() for s in subs):
            raise ValueError(f"sub_prompts must be non-empty strings, got {self.sub_prompts!r}")
        object.__setattr__(self, "sub_prompts", subs)
        if self.keyframes is not None:
            object.__setattr__(self, "keyframes", tuple(self.keyframes))
            if len(self.keyframes) != len(subs):
                raise ValueError(
                    f"keyframes must have one entry per sub-prompt ({len(subs)}), "
                    f"got {self.keyframes}"
                )

    def keyframes_for(self, num_frames: int) -> list[int]:
        """The keyframes for a video of ``num_frames`` (validated), given or default."""
        if self.keyframes is None:
            return default_keyframes(len(self.sub_prompts), num_frames)
        _check_counts(len(self.sub_prompts), num_frames)
        return _check_keyframes(self.keyframes, len(self.sub_prompts), num_frames)

    def to_free_noise(self, num_frames: int) -> dict[int, str]:
        """The prompt dict of diffusers' FreeNoise (``AnimateDiffPipeline`` after
        ``enable_free_noise``): ``{keyframe: sub-prompt}`` for a video of ``num_frames``.

        FreeNoise interpolates linearly between consecutive keys, as :func:`interpolate_embeddings`
        does, and holds the last key's prompt to the end of the video; so a trailing sub-prompt
        equal to the one before it (a hold) is left out, and :meth:`from_free_noise` restores it.
        The synopsis' overall ``prompt`` has no place in the dict."""
        keys = self.keyframes_for(num_frames)
        pairs = list(zip(keys, self.sub_prompts))
        while len(pairs) > 1 and pairs[-1][1] == pairs[-2][1]:
            pairs.pop()
        return dict(pairs)

    @classmethod
    def from_free_noise(cls, prompts: dict[int, str], num_frames: int, prompt: str) -> Synopsis:
        """The synopsis of a FreeNoise prompt dict ``{frame: prompt}`` for ``num_frames`` frames,
        with the overall ``prompt`` (the dict does not have one). Keys must be ints in
        ``[0, num_frames - 1]`` and include 0, as FreeNoise requires. A last key before the final
        frame becomes a hold (its prompt repeated at frame ``num_frames - 1``, which is what
        FreeNoise does). Keyframes equal to :func:`default_keyframes` are left implicit."""
        if not isinstance(prompts, dict) or not prompts:
            raise ValueError(f"prompts must be a non-empty dict {{frame: prompt}}, got {prompts!r}")
        _check_counts(1, num_frames)
        bad = [k for k in prompts if isinstance(k, bool) or not isinstance(k, int)]
        if bad:
            raise ValueError(f"prompts' keys must be int frames, got {bad!r}")
        if min(prompts) != 0 or max(prompts) > num_frames - 1:
            raise ValueError(
                f"prompts' keys must include 0 and lie in [0, num_frames - 1 = {num_frames - 1}], "
                f"got {sorted(prompts)}"
            )
        pairs = sorted(prompts.items())
        if pairs[-1][0] != num_frames - 1 and len(pairs) > 1:
            pairs.append((num_frames - 1, pairs[-1][1]))
        keys, subs = tuple(k for k, _ in pairs), tuple(v for _, v in pairs)
        if len(subs) == 1 or list(keys) == default_keyframes(len(subs), num_frames):
            return cls(prompt, subs)
        return cls(prompt, subs, keys)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["sub_prompts"] = list(self.sub_prompts)
        if self.keyframes is None:
            del data["keyframes"]
        else:
            data["keyframes"] = list(self.keyframes)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Synopsis:
        """From ``{"prompt": str, "sub_prompts": [str, ...], "keyframes": [int, ...]?}``; a
        missing field or a value of the wrong type is a ``ValueError`` that names it."""
        if not isinstance(data, dict):
            raise ValueError(f"a synopsis must be an object, got {data!r}")
        unknown = set(data) - {"prompt", "sub_prompts", "keyframes"}
        if unknown:
            raise ValueError(f"unknown synopsis fields {sorted(unknown)}")
        missing = [name for name in ("prompt", "sub_prompts") if name not in data]
        if missing:
            raise ValueError(f"synopsis is missing {missing}")
        subs, keyframes = data["sub_prompts"], data.get("keyframes")
        if not isinstance(subs, (list, tuple)):
            raise ValueError(f"sub_prompts must be a list of strings, got {subs!r}")
        if keyframes is not None and not isinstance(keyframes, (list, tuple)):
            raise ValueError(f"keyframes must be a list of ints, got {keyframes!r}")
        if keyframes is not None and not all(
            isinstance(k, int) and not isinstance(k, bool) for k in keyframes
        ):
            raise ValueError(f"keyframes must be a list of ints, got {keyframes!r}")
        return cls(data["prompt"], tuple(subs), tuple(keyframes) if keyframes else None)


def load_synopses(path: str | Path | None = None) -> dict[str, Synopsis]:
    """Named synopses from a JSON file ``{"name": {"prompt": ..., "sub_prompts": [...]}, ...}``;
    by default the shipped ``data/synopses.json``."""
    path = data_path(SYNOPSES_FILE) if path is None else Path(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: Synopsis.from_dict(entry) for name, entry in raw.items()}


def save_synopses(synopses: dict[str, Synopsis], path: str | Path) -> Path:
    path = Path(path)
    payload = {name: synopsis.to_dict() for name, synopsis in synopses.items()}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


SYNOPSIS_INSTRUCTION = """\
You turn a text-to-video prompt into a video synopsis: the sequence of key visual states the video
passes through, from the first frame to the last.

Prompt: {prompt}

Write between {min_states} and {max_states} states. Each state is one short, self-contained image
description that repeats the subject and the setting (do not write "it" or "then"), and consecutive
states differ only in what changes over time. Answer with a numbered list and nothing else:
1. <first state>
2. <second state>
..."""


def write_synopsis(
    language_model: Callable[[str], str],
    prompt: str,
    *,
    min_states: int = 2,
    max_states: int = 5,
    instruction: str = SYNOPSIS_INSTRUCTION,
) -> Synopsis:
    """Ask ``language_model`` (any ``str -> str`` callable) for a synopsis of ``prompt``.

    The model receives ``instruction`` filled with the prompt and the state bounds, and must answer
    with a numbered list; the answer is parsed and validated (a ``ValueError`` says what is wrong).
    Nothing here needs a network or a key: pass whatever callable you have.
    """
    if not 1 <= min_states <= max_states:
        raise ValueError(f"need 1 <= min_states <= max_states, got {min_states} and {max_states}")
    answer = language_model(
        instruction.format(prompt=prompt, min_states=min_states, max_states=max_states)
    )
    if not isinstance(answer, str):
        raise ValueError(f"the language model must return a string, got {type(answer).__name__}")
    states = [m.group(2).strip() for m in re.finditer(r"^\s*(\d+)[.)]\s+(.+?)\s*$", answer, re.M)]
    numbers = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)[.)]\s+", answer, re.M)]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(
            f"expected a list numbered 1, 2, 3, ...; got numbers {numbers} in {answer!r}"
        )
    if not min_states <= len(states) <= max_states:
        raise ValueError(
            f"expected {min_states} to {max_states} states, got {len(states)} in {answer!r}"
        )
    return Synopsis(prompt=prompt, sub_prompts=tuple(states))
