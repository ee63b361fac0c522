"""VSTAR against diffusers' FreeNoise and FreeInit (vstar_lite.compare), and the synopsis <->
FreeNoise prompt-dict converter (vstar_lite.vsp), on tiny random components built here."""

import pytest
import torch
from vstar_lite.compare import (
    METHODS,
    Generation,
    animatediff_pipeline,
    compare,
    generate,
    methods_for,
)
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.vsp import Synopsis, interpolate_embeddings, load_synopses

from test_diffusers_hooks import tiny_motion_unet
from test_pipeline import SYNOPSIS, tiny_parts

LONG = 24  # FreeNoise's windows of 16, stride 4: [0, 15], [4, 19], [8, 23]


# ------------------------------------------------------------------- synopsis <-> FreeNoise
@pytest.mark.parametrize("frames", [16, 64, 129])
@pytest.mark.parametrize("name", sorted(load_synopses()))
def test_a_shipped_synopsis_round_trips_through_the_prompt_dict(name, frames):
    synopsis = load_synopses()[name]
    prompts = synopsis.to_free_noise(frames)
    assert list(prompts) == synopsis.keyframes_for(frames)
    assert list(prompts.values()) == list(synopsis.sub_prompts)
    assert Synopsis.from_free_noise(prompts, frames, synopsis.prompt) == synopsis


def test_explicit_keyframes_and_a_held_last_prompt_round_trip():
    held = {0: "a red cat", 5: "a blue dog"}  # FreeNoise holds "a blue dog" from frame 5 on
    synopsis = Synopsis.from_free_noise(held, 16, "a cat turns into a dog")
    assert synopsis.sub_prompts == ("a red cat", "a blue dog", "a blue dog")
    assert synopsis.keyframes == (0, 5, 15)
    assert synopsis.to_free_noise(16) == held
    explicit = Synopsis("p", ("a", "b", "c"), (0, 3, 15))
    assert Synopsis.from_free_noise(explicit.to_free_noise(16), 16, "p") == explicit
    assert Synopsis.from_free_noise({0: "a"}, 16, "p") == Synopsis("p", ("a",))


@pytest.mark.parametrize(
    "prompts, frames, message",
    [
        ({}, 16, "non-empty dict"),
        ({3: "a", 9: "b"}, 16, "must include 0"),
        ({0: "a", 16: "b"}, 16, r"\[0, num_frames - 1 = 15\]"),
        ({0: "a", "8": "b"}, 16, "keys must be int frames"),
        ({0: "a", True: "b"}, 16, "keys must be int frames"),
        ({0: "a"}, 0, "num_frames must be an int >= 1"),
    ],
)
def test_a_prompt_dict_freenoise_would_refuse_is_refused_here(prompts, frames, message):
    with pytest.raises(ValueError, match=message):
        Synopsis.from_free_noise(prompts, frames, "p")


def test_keyframes_of_one_length_cannot_be_a_dict_for_another():
    synopsis = Synopsis("p", ("a", "b"), (0, 15))
    with pytest.raises(ValueError, match="keyframes must start at 0 and end at"):
        synopsis.to_free_noise(64)


# ------------------------------------------------------------------------------ the runner
@pytest.fixture(scope="module")
def motion_pipe(tmp_path_factory):
    return VSTARPipeline(**tiny_parts(tmp_path_factory, tiny_motion_unet()), guidance=5.0, steps=3)


@pytest.fixture(scope="module")
def diffusers_pipe(motion_pipe):
    return animatediff_pipeline(motion_pipe)


def test_freenoise_interpolates_the_prompt_dict_as_vsp_does(motion_pipe, diffusers_pipe):
    diffusers_pipe.enable_free_noise(context_length=16, context_stride=4)
    try:
        theirs, _ = diffusers_pipe._encode_prompt_free_noise(
            SYNOPSIS.to_free_noise(LONG), LONG, "cpu", 1, do_classifier_free_guidance=False
        )
    finally:
        diffusers_pipe.disable_free_noise()
    ours = interpolate_embeddings(motion_pipe.encode_prompt(list(SYNOPSIS.sub_prompts)), LONG)
    torch.testing.assert_close(theirs, ours, rtol=1e-5, atol=1e-6)


def test_the_baseline_in_diffusers_loop_is_the_frames_of_vstar_pipeline(
    motion_pipe, diffusers_pipe
):
    ours = motion_pipe("a red cat", num_frames=LONG, seed=3, progress=False).videos
    theirs = generate(motion_pipe, "baseline", prompt="a red cat", num_frames=LONG, seed=3,
                      animatediff=diffusers_pipe)  # fmt: skip
    assert isinstance(theirs, Generation) and theirs.unet_calls == 3
    torch.testing.assert_close(theirs.video, ours, rtol=0, atol=1e-6)


def _state(unet):
    return {k: v.clone() for k, v in unet.state_dict().items()}, {
        k: type(p) for k, p in unet.attn_processors.items()
    }


@pytest.mark.parametrize("method", ["TAR", "FreeNoise", "FreeNoise + TAR", "FreeInit"])
def test_each_method_changes_the_video_and_leaves_the_model_as_it_was(
    motion_pipe, diffusers_pipe, method
):
    weights, processors = _state(motion_pipe.unet)
    base = generate(motion_pipe, "baseline", prompt="a red cat", num_frames=LONG, seed=1,
                    animatediff=diffusers_pipe)  # fmt: skip
    out = generate(motion_pipe, method, prompt="a red cat", num_frames=LONG, seed=1,
                   animatediff=diffusers_pipe)  # fmt: skip
    assert out.video.shape == base.video.shape == (1, 3, LONG, 16, 16)
    assert out.video.isfinite().all()
    assert (out.video - base.video).abs().max() > 1e-3, f"{method} changed nothing"
    assert out.unet_calls == (9 if method == "FreeInit" else 3)  # FreeInit: three passes
    after, processors_after = _state(motion_pipe.unet)
    assert processors_after == processors
    assert after.keys() == weights.keys()
    assert all(torch.equal(after[k], weights[k]) for k in weights)
    again = generate(motion_pipe, "baseline", prompt="a red cat", num_frames=LONG, seed=1,
                     animatediff=diffusers_pipe)  # fmt: skip
    assert torch.equal(again.video, base.video)


def test_tar_inside_freenoise_acts_on_its_windows(motion_pipe, diffusers_pipe):
    alone = generate(motion_pipe, "FreeNoise", prompt="a red cat", num_frames=LONG, seed=2,
                     animatediff=diffusers_pipe)  # fmt: skip
    both = generate(motion_pipe, "FreeNoise + TAR", prompt="a red cat", num_frames=LONG, seed=2,
                    animatediff=diffusers_pipe)  # fmt: skip
    assert (both.video - alone.video).abs().max() > 1e-3


@pytest.mark.parametrize("method", ["VSP", "VSTAR", "FreeNoise"])
def test_a_synopsis_method_draws_other_frames_than_its_first_sub_prompt(
    motion_pipe, diffusers_pipe, method
):
    first = generate(motion_pipe, "FreeNoise" if method == "FreeNoise" else "baseline",
                     prompt=SYNOPSIS.sub_prompts[0], num_frames=LONG, seed=0,
                     animatediff=diffusers_pipe)  # fmt: skip
    out = generate(motion_pipe, method, synopsis=SYNOPSIS, num_frames=LONG, seed=0,
                   animatediff=diffusers_pipe)  # fmt: skip
    assert (out.video[:, :, -1] - first.video[:, :, -1]).abs().max() > 1e-3


def test_bad_requests_are_refused_before_sampling(motion_pipe, pipe_3d):
    calls = []
    hook = motion_pipe.unet.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        with pytest.raises(ValueError, match="method must be one of"):
            generate(motion_pipe, "FreeLunch", prompt="a red cat")
        with pytest.raises(ValueError, match="follows a synopsis"):
            generate(motion_pipe, "VSP", prompt="a red cat")
        with pytest.raises(ValueError, match="exactly one of prompt and synopsis"):
            generate(motion_pipe, "baseline")
        for bad, message in (({"steps": 0}, r"steps must be an int in \[1, 1000\]"),
                             ({"guidance": float("nan")}, "guidance"),
                             ({"eta": 2.0}, "eta"), ({"seed": -1}, "seed"),
                             ({"num_frames": 0}, "num_frames")):  # fmt: skip
            with pytest.raises(ValueError, match=message):
                generate(motion_pipe, "FreeInit", prompt="a red cat", **bad)
    finally:
        hook.remove()
    assert not calls
    with pytest.raises(ValueError, match="needs a UNetMotionModel"):
        generate(pipe_3d, "FreeNoise", prompt="a red cat")
    with pytest.raises(ValueError, match="need an AnimateDiff UNet"):
        animatediff_pipeline(pipe_3d)


@pytest.fixture(scope="module")
def pipe_3d(tmp_path_factory):
    from test_diffusers_hooks import tiny_unet3d

    return VSTARPipeline(**tiny_parts(tmp_path_factory, tiny_unet3d()), guidance=5.0, steps=3)


def test_the_methods_compared_are_those_each_model_can_run():
    assert methods_for(True, False) == ["baseline", "TAR", "FreeNoise", "FreeInit",
                                        "FreeNoise + TAR"]  # fmt: skip
    assert methods_for(False, True) == ["baseline", "VSP", "VSTAR"]
    assert all(not METHODS[m].needs_animatediff for m in methods_for(False, False))


def test_compare_scores_every_method_on_every_request(motion_pipe, pipe_3d, monkeypatch):
    """The runner's bookkeeping on tiny random models (16 x 16 frames: the read-out still runs)."""
    rows = compare({"motion": motion_pipe, "3d": pipe_3d}, ["a red cat"], {"s": SYNOPSIS},
                   seeds=[0, 1], synopsis_seeds=[0], frame_counts=[16],
                   score=lambda video, text, synopsis: {"mean": float(video.mean())})  # fmt: skip
    kinds = {(r["model"], r["kind"]): [x["method"] for x in rows if x["model"] == r["model"]
                                       and x["kind"] == r["kind"]] for r in rows}  # fmt: skip
    assert kinds[("motion", "prompt")] == methods_for(True, False)
    assert kinds[("3d", "synopsis")] == methods_for(False, True)
    for row in rows:
        count = 2 if row["kind"] == "prompt" else 1
        assert len(row["videos"]) == len(row["seconds"]) == len(row["unet_calls"]) == count
        assert all(v["mean"] == v["mean"] for v in row["videos"])  # scored, not nan
        assert all(s > 0 for s in row["seconds"])


def test_the_report_tool_summarizes_and_writes_every_row(motion_pipe, tmp_path):
    import compare_methods

    rows = compare({"AnimateDiff-style": motion_pipe}, ["a red cat"], {"s": SYNOPSIS},
                   seeds=[0, 1], frame_counts=[16],
                   score=lambda video, text, synopsis: {
                       "correct": 0.5, "direction": 1.0, "speed": 1.0, "teleports": 0.0,
                       "change_ratio": 1.0, "first": 1.0, "last": 0.0})  # fmt: skip
    for row in rows:
        row["summary"] = compare_methods.summarize_row(row)
        assert row["summary"]["correct"][0] == 0.5 if row["kind"] == "prompt" else True
        assert row["summary"]["unet_calls"] == (9 if row["method"] == "FreeInit" else 3)
    report = {"command": "python tools/compare_methods.py", "minutes": 1.0, "torch": "2",
              "diffusers": "0", "seeds": [0, 1], "long_seeds": [0], "synopsis_seeds": [0, 1],
              "long_synopsis_seeds": [0], "tar": "t", "free_noise": "n", "free_init": "i",
              "rows": rows}  # fmt: skip
    path = tmp_path / "comparison.md"
    compare_methods.write_markdown(report, path)
    text = path.read_text()
    for row in rows:
        assert f"| AnimateDiff-style | 16 | {row['method']} | 2 |" in text
    assert "0.500 [0.500, 0.500]" in text


def test_a_word_outside_the_tiny_grammar_is_refused_before_any_text_or_unet_call():
    pipe = VSTARPipeline.from_tiny("tiny-animatediff")
    calls = []
    hooks = [m.register_forward_pre_hook(lambda *_: calls.append(1))
             for m in (pipe.unet, pipe.text_encoder)]  # fmt: skip
    try:
        with pytest.raises(ValueError, match="unknown word 'pink'"):
            generate(pipe, "FreeNoise", prompt="a pink circle moves right on a dark background")
    finally:
        for hook in hooks:
            hook.remove()
    assert not calls
