"""The README's tiny command-line examples draw what the README says they draw.

The commands are read from the README itself (the ``vstar-lite generate`` lines of its bash block
that run offline on a tiny model), run through the CLI, and their GIFs read back frame by frame
with the tiny world's read-out.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest
import torch

README = Path(__file__).resolve().parents[1] / "README.md"
UPSCALE = 4  # the CLI writes the tiny model's 32 x 32 frames 4 times larger


def tiny_generate_commands() -> dict[str, list[str]]:
    """``{gif name: argv}`` for every README ``vstar-lite generate`` line on a tiny model."""
    text = README.read_text().replace("\\\n", " ")  # join continued lines
    commands = {}
    for line in text.splitlines():
        words = shlex.split(line.split("#", 1)[0]) if line.startswith("vstar-lite generate") else []
        model = words[words.index("--model") + 1] if "--model" in words else "tiny"
        if words and model.startswith("tiny"):
            commands[Path(words[words.index("--out") + 1]).name] = words[1:]
    return commands


def read_gif(path: Path) -> torch.Tensor:
    """A GIF written by the CLI back as a ``"1 3 f h w"`` video in [-1, 1]."""
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        frames = [np.asarray(f.convert("RGB"), np.float32) for f in ImageSequence.Iterator(gif)]
    video = torch.from_numpy(np.stack(frames))[:, ::UPSCALE, ::UPSCALE]  # "f h w 3"
    return video.permute(3, 0, 1, 2)[None] / 127.5 - 1


def test_the_readme_has_the_three_tiny_examples():
    assert set(tiny_generate_commands()) == {"red.gif", "vsp.gif", "freenoise.gif"}


def generate(name: str, tmp_path: Path) -> torch.Tensor:
    """Run the README's command for ``name``; its GIF read back as ``"1 3 f h w"``."""
    from vstar_lite.cli import main

    argv = tiny_generate_commands()[name]
    argv[argv.index("--out") + 1] = str(tmp_path / name)
    assert main([*argv, "--no-progress"]) == 0
    return read_gif(tmp_path / name)


def test_red_gif_is_a_red_circle_on_a_dark_background_in_14_of_16_frames(tmp_path):
    from vstar_lite.tiny.measure import frame_letters, score_clips

    video = generate("red.gif", tmp_path)
    letters = frame_letters(video)[0]
    prompt = tiny_generate_commands()["red.gif"][1]  # [0] is "generate"
    clip = score_clips(video, [prompt])[0]
    assert len(letters) == 16 and letters.count("r") == 14, letters
    assert clip.background == 1.0 and round(clip.correct * 16) == 14
    assert letters[10:12] == "..", letters  # the frames where one circle gives way to another


# What the README says of each synopsis example: (first, last frame, letter) runs, "." = no shape
# found in that run's frames; at most ``lost`` frames without a shape in all.
SYNOPSIS_EXAMPLES = {
    "vsp.gif": ([(0, 10, "r"), (12, 47, "p"), (48, 63, "b")], 7),
    "freenoise.gif": ([(0, 6, "r"), (7, 18, "."), (19, 46, "p"), (47, 63, "b")], 12),
}


@pytest.mark.parametrize("name", list(SYNOPSIS_EXAMPLES))
def test_the_synopsis_examples_go_from_red_through_purple_to_blue(tmp_path, name):
    from vstar_lite.tiny.measure import frame_letters

    runs, lost = SYNOPSIS_EXAMPLES[name]
    letters = frame_letters(generate(name, tmp_path))[0]
    assert len(letters) == 64 and letters.count(".") <= lost, letters
    for first, last, letter in runs:
        assert set(letters[first : last + 1]) <= {letter, "."}, (first, last, letter, letters)
