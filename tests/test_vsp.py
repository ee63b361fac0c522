"""vstar_lite.vsp against an independent, frame-by-frame implementation of the reference rule."""

import json

import pytest
import torch
from vstar_lite.vsp import (
    SYNOPSIS_INSTRUCTION,
    Synopsis,
    default_keyframes,
    interpolate_embeddings,
    load_synopses,
    save_synopses,
    write_synopsis,
)


def reference_interpolation(embeddings, num_frames, keyframes, mode):
    """Frame by frame, with Python ints: find the keyframes around f, then blend (or hold)."""
    frames = []
    for f in range(num_frames):
        n = max(i for i, key in enumerate(keyframes) if key <= f)
        if n == len(keyframes) - 1:
            frames.append(embeddings[n].double())
            continue
        beta = (f - keyframes[n]) / (keyframes[n + 1] - keyframes[n])
        if mode == "same":
            beta = 0.0
        frames.append((1 - beta) * embeddings[n].double() + beta * embeddings[n + 1].double())
    return torch.stack(frames)


FRAME_COUNTS = [2, 3, 7, 16, 24, 64, 127, 128, 129, 200, 256, 300]
CASES = [(f, n) for f in FRAME_COUNTS for n in (1, 2, 3, 5, 9) if n <= f]  # N > F: rejected, below


@pytest.mark.parametrize(("num_frames", "count"), CASES)
@pytest.mark.parametrize("mode", ["linear", "same"])
def test_interpolation_matches_the_reference_rule(num_frames, count, mode):
    embeddings = torch.randn(count, 4, 6, generator=torch.Generator().manual_seed(count))
    keys = [n * (num_frames - 1) // (count - 1) for n in range(count)] if count > 1 else [0]
    assert default_keyframes(count, num_frames) == keys
    got = interpolate_embeddings(embeddings, num_frames, mode=mode)
    assert got.shape == (num_frames, 4, 6)
    want = reference_interpolation(embeddings, num_frames, keys, mode)  # float64
    torch.testing.assert_close(got, want.float())  # float32 tolerances
    for n, key in enumerate(keys):
        assert torch.equal(got[key], embeddings[n])  # keyframes get their sub-prompt exactly


def test_keyframes_beyond_127_frames_do_not_wrap():
    keys = default_keyframes(3, 256)
    assert keys == [0, 127, 255]  # an 8-bit computation would wrap n * (F - 1) past 127
    embeddings = torch.stack([torch.zeros(1, 1), torch.ones(1, 1), 2 * torch.ones(1, 1)])
    out = interpolate_embeddings(embeddings, 256).flatten()
    assert torch.all(out[1:] >= out[:-1]) and out[-1] == 2.0


def test_custom_keyframes_and_same_mode():
    embeddings = torch.arange(3.0).view(3, 1, 1)  # E_n = n
    linear = interpolate_embeddings(embeddings, 6, keyframes=[0, 1, 5]).flatten().tolist()
    assert linear == pytest.approx([0.0, 1.0, 1.25, 1.5, 1.75, 2.0])
    same = (
        interpolate_embeddings(embeddings, 6, keyframes=[0, 1, 5], mode="same").flatten().tolist()
    )
    assert same == [0.0, 1.0, 1.0, 1.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_frames": 2}, r"number of sub-prompts N must be in \[1, num_frames=2\], got 3"),
        ({"num_frames": 8, "keyframes": [0, 3]}, "keyframes must be 3 ints"),
        (
            {"num_frames": 8, "keyframes": [1, 3, 7]},
            "must start at 0 and end at num_frames - 1 = 7",
        ),
        (
            {"num_frames": 8, "keyframes": [0, 3, 6]},
            "must start at 0 and end at num_frames - 1 = 7",
        ),
        ({"num_frames": 8, "keyframes": [0, 5, 5]}, "must start at 0 and end"),
        ({"num_frames": 8, "keyframes": [0, 7, 7]}, "strictly increasing"),
        ({"num_frames": 8, "mode": "cubic"}, "mode must be 'linear' or 'same'"),
        ({"num_frames": 0}, "num_frames must be an int >= 1, got 0"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        interpolate_embeddings(torch.zeros(3, 2, 2), **kwargs)


def test_embeddings_must_be_n_l_d():
    with pytest.raises(ValueError, match=r"embeddings must have shape \(N, L, D\), got \(3, 2\)"):
        interpolate_embeddings(torch.zeros(3, 2), 8)


def test_synopsis_json_round_trip_and_shipped_file(tmp_path):
    synopses = {
        "bloom": Synopsis("a peony blooms", ("a bud", "an open flower")),
        "keyed": Synopsis("x", ("a", "b", "c"), keyframes=(0, 2, 9)),
    }
    path = save_synopses(synopses, tmp_path / "s.json")
    assert load_synopses(path) == synopses
    assert "keyframes" not in json.loads(path.read_text())["bloom"]
    assert synopses["keyed"].keyframes_for(10) == [0, 2, 9]
    with pytest.raises(ValueError, match="end at num_frames - 1 = 7"):
        synopses["keyed"].keyframes_for(8)
    shipped = load_synopses()  # data/synopses.json
    assert len(shipped) >= 5 and all(2 <= len(s.sub_prompts) <= 9 for s in shipped.values())


def test_synopsis_validation():
    with pytest.raises(ValueError, match="prompt must be a non-empty string"):
        Synopsis("", ("a",))
    with pytest.raises(ValueError, match="sub_prompts must be non-empty strings"):
        Synopsis("p", ())
    with pytest.raises(ValueError, match="keyframes must have one entry per sub-prompt"):
        Synopsis("p", ("a", "b"), keyframes=(0,))
    with pytest.raises(ValueError, match=r"unknown synopsis fields \['colour'\]"):
        Synopsis.from_dict({"prompt": "p", "sub_prompts": ["a"], "colour": "red"})


def test_write_synopsis_parses_a_numbered_answer_and_rejects_others():
    asked = []

    def fake_model(text: str) -> str:
        asked.append(text)
        return "1. A closed bud\n2) A half-open flower\n3. A fully open flower\n"

    synopsis = write_synopsis(fake_model, "A peony starts to bloom")
    assert synopsis.sub_prompts == ("A closed bud", "A half-open flower", "A fully open flower")
    assert asked == [
        SYNOPSIS_INSTRUCTION.format(prompt="A peony starts to bloom", min_states=2, max_states=5)
    ]
    with pytest.raises(ValueError, match="expected 2 to 5 states, got 1"):
        write_synopsis(lambda _: "1. only one", "p")
    with pytest.raises(ValueError, match=r"numbered 1, 2, 3, ...; got numbers \[1, 3\]"):
        write_synopsis(lambda _: "1. a\n3. b", "p")
    with pytest.raises(ValueError, match="must return a string"):
        write_synopsis(lambda _: None, "p")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"prompt": "p", "sub_prompts": "abc"},
            r"sub_prompts must be a list of strings, got 'abc'",
        ),
        ({"prompt": "p", "sub_prompts": [1, 2]}, r"sub_prompts must be non-empty strings"),
        ({"prompt": 7, "sub_prompts": ["a"]}, r"prompt must be a non-empty string, got 7"),
        ({"prompt": "p"}, r"synopsis is missing \['sub_prompts'\]"),
        ({"sub_prompts": ["a"]}, r"synopsis is missing \['prompt'\]"),
        (
            {"prompt": "p", "sub_prompts": ["a"], "keyframes": "0"},
            r"keyframes must be a list of in",
        ),
        ({"prompt": "p", "sub_prompts": ["a", "b"], "keyframes": [0, 1.5]}, r"keyframes must be a"),
        ({"prompt": "p", "sub_prompts": ["a"], "extra": 1}, r"unknown synopsis fields \['extra'\]"),
        (["p", ["a"]], r"a synopsis must be an object"),
    ],
)
def test_synopsis_from_dict_names_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=message):
        Synopsis.from_dict(data)
