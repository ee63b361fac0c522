"""The tiny text-to-video model: text, both UNet layouts, training, sampling, hooks."""

import dataclasses
import json

import pytest
import torch
from diffusers import DDIMScheduler
from vstar_lite import TARConfig
from vstar_lite.diffusers_hooks import enable_vstar
from vstar_lite.tar import tar_attention
from vstar_lite.tiny import TinyT2V, generate
from vstar_lite.tiny.model import PREDICTION_TYPES, TinyConfig, to_latents, to_video
from vstar_lite.tiny.text import MAX_TOKENS, tokenize
from vstar_lite.tiny.train import TrainConfig, diffusion_target, read_curve, train

PROMPT = "a red circle moves right on a dark background"


def random_model(name: str = "vstar", seed: int = 0) -> TinyT2V:
    """A model whose zero-initialised layers are made non-zero, so every path is live."""
    torch.manual_seed(seed)
    model = TinyT2V(name).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model


def zero_temporal_attention(model: TinyT2V) -> None:
    with torch.no_grad():
        for _, _, attn in model.unet.temporal_attentions():
            attn.to_out.weight.zero_()
            attn.to_out.bias.zero_()


def frames_changed(model: TinyT2V, frame: int, frames: int = 6) -> list[int]:
    """Which output frames move when only input frame ``frame`` is changed."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 48, frames, 8, 8, generator=g)
    y = x.clone()
    y[:, :, frame] += torch.randn(1, 48, 8, 8, generator=g)
    context = model.encode(PROMPT)
    with torch.no_grad():
        diff = model(x, torch.tensor([500]), context) - model(y, torch.tensor([500]), context)
    return [i for i in range(frames) if diff[:, :, i].abs().max() > 1e-6]


def test_patchify_round_trips():
    video = torch.randn(2, 3, 5, 32, 32)
    latents = to_latents(video)
    assert latents.shape == (2, 48, 5, 8, 8)
    assert torch.equal(to_video(latents), video)
    # a latent pixel is one 4 x 4 patch of the frame
    assert torch.equal(latents[0, :, 1, 2, 3].view(3, 4, 4), video[0, :, 1, 8:12, 12:16])


def test_tokenizer_pads_and_names_unknown_words():
    ids = tokenize([PROMPT, ""])
    assert ids.shape == (2, MAX_TOKENS)
    assert (ids[0, :9] > 0).all() and (ids[0, 9:] == 0).all() and (ids[1] == 0).all()
    with pytest.raises(ValueError, match="unknown word 'pink'.*knows: a moves"):
        tokenize("a pink circle")
    with pytest.raises(ValueError, match="at most 12"):
        tokenize(" ".join(["a"] * 13))


@pytest.mark.parametrize("name", ["vstar", "scvideo"])
def test_unet_shapes_and_per_frame_text(name):
    model = random_model(name)
    x = torch.randn(2, 48, 4, 8, 8)
    per_video = model.encode([PROMPT, PROMPT.replace("red", "blue")])
    out = model(x, torch.tensor([10, 900]), per_video)
    assert out.shape == x.shape
    per_frame = per_video.repeat_interleave(4, dim=0)  # "(b f) L D"
    torch.testing.assert_close(model(x, torch.tensor([10, 900]), per_frame), out)


def test_vstar_layout_has_temporal_attention_as_the_only_path_between_frames():
    model = random_model("vstar")
    assert frames_changed(model, 2) == [0, 1, 2, 3, 4, 5]
    zero_temporal_attention(model)
    assert frames_changed(model, 2) == [2]


def test_scvideo_layout_also_passes_information_through_sparse_causal_attention():
    model = random_model("scvideo")
    zero_temporal_attention(model)
    with torch.no_grad():
        for name in ("block0", "block1", "mid", "block2"):
            getattr(model.unet, name).conv3d.weight[:, :, [0, 2]] = 0  # temporal conv: centre only
    # frame 2 feeds frame 3 (previous frame), which feeds frame 4 in the next block, and so on
    assert frames_changed(model, 2)[:2] == [2, 3]
    assert frames_changed(model, 0) == [0, 1, 2, 3, 4, 5]  # the first frame feeds everyone


def test_temporal_attentions_are_listed_with_their_levels():
    found = random_model().unet.temporal_attentions()
    assert [(name, level) for name, level, _ in found] == [
        ("block0.temp_attn1", 0),
        ("block0.temp_attn2", 0),
        ("block1.temp_attn1", 1),
        ("block1.temp_attn2", 1),
        ("mid.temp_attn1", 1),
        ("mid.temp_attn2", 1),
        ("block2.temp_attn1", 0),
        ("block2.temp_attn2", 0),
    ]


def test_save_and_load_round_trip(tmp_path):
    model = random_model("scvideo")
    model.config = dataclasses.replace(model.config, prediction_type="v_prediction")
    model.save(tmp_path / "fp32", dtype=torch.float32)
    loaded = TinyT2V.load(tmp_path / "fp32")
    assert loaded.config == model.config
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), name
    model.save(tmp_path / "fp16")
    half = TinyT2V.load(tmp_path / "fp16")
    assert next(half.parameters()).dtype == torch.float32
    assert json.loads((tmp_path / "fp16" / "config.json").read_text())["name"] == "scvideo"
    with pytest.raises(FileNotFoundError, match="not a tiny model directory"):
        TinyT2V.load(tmp_path)
    with pytest.raises(ValueError, match="config must be one of"):
        TinyT2V("unet")


def test_training_lowers_the_loss_and_resumes_exactly(tmp_path):
    config = TrainConfig(steps=6, batch=2, frames=4, log_every=1, checkpoint_every=3, lr=3e-3)
    straight = train(config, tmp_path / "a", progress=False)
    train(dataclasses.replace(config, steps=3), tmp_path / "b", progress=False)
    resumed = train(config, tmp_path / "b", progress=False)  # picks up at step 3
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    curve = read_curve(tmp_path / "b" / "curves.csv")
    assert curve["step"] == [1, 2, 3, 4, 5, 6]
    assert curve == read_curve(tmp_path / "a" / "curves.csv") | {"seconds": curve["seconds"]}
    assert (tmp_path / "a" / "model.safetensors").exists()


def test_train_config_rejects_bad_values():
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match=r"lr must be in \(0, 1\)"):
        TrainConfig(lr=2.0)
    with pytest.raises(ValueError, match="prediction_type must be one of"):
        TrainConfig(prediction_type="x0")
    with pytest.raises(ValueError, match="model must be one of"):
        TrainConfig(model="unet")
    with pytest.raises(ValueError, match="prediction_type must be one of"):
        TinyConfig(prediction_type="velocity")


@pytest.mark.parametrize("prediction_type", PREDICTION_TYPES)
def test_training_target_is_what_the_sampler_expects(prediction_type):
    """An oracle that outputs the training target exactly makes DDIM recover the true x0."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(2, 48, 3, 8, 8, generator=g)
    noise = torch.randn(x0.shape, generator=g)
    scheduler = DDIMScheduler(**TinyConfig(prediction_type=prediction_type).scheduler_config)
    scheduler.set_timesteps(25)
    for t in scheduler.timesteps[[0, 12, 24]]:
        noisy = scheduler.add_noise(x0, noise, t)
        target = diffusion_target(prediction_type, scheduler, x0, noise, t)
        step = scheduler.step(target, t, noisy)
        torch.testing.assert_close(step.pred_original_sample, x0, atol=2e-4, rtol=1e-4)
        prev = t - scheduler.config.num_train_timesteps // scheduler.num_inference_steps
        if prev >= 0:  # deterministic DDIM lands exactly on the same noise at the previous step
            torch.testing.assert_close(
                step.prev_sample, scheduler.add_noise(x0, noise, prev), atol=2e-4, rtol=1e-4
            )


def test_generate_shapes_guidance_and_per_frame_text():
    model = random_model()
    video = generate(model, PROMPT, num_frames=5, steps=2)
    assert video.shape == (1, 3, 5, 32, 32) and video.abs().max() <= 1
    assert torch.equal(video, generate(model, PROMPT, num_frames=5, steps=2))
    assert not torch.equal(video, generate(model, PROMPT, num_frames=5, steps=2, seed=1))
    same = model.encode([PROMPT] * 5)  # "f L D": the prompt on every frame
    per_frame = generate(model, frame_embeddings=same, num_frames=5, steps=2)
    torch.testing.assert_close(per_frame, video, atol=1e-4, rtol=1e-4)  # same text, other batching
    unguided = generate(model, PROMPT, num_frames=5, steps=2, guidance=1.0)
    assert not torch.allclose(unguided, video)


def test_generate_rejects_bad_arguments():
    model = random_model()
    with pytest.raises(ValueError, match="num_frames must be an int >= 1"):
        generate(model, PROMPT, num_frames=0)
    with pytest.raises(ValueError, match=r"steps must be an int in \[1, 1000\]"):
        generate(model, PROMPT, steps=0)
    with pytest.raises(ValueError, match="guidance must be >= 1"):
        generate(model, PROMPT, guidance=0.5)
    with pytest.raises(ValueError, match="exactly one of prompt and frame_embeddings"):
        generate(model)
    with pytest.raises(ValueError, match=r"frame_embeddings must have shape \(num_frames=4"):
        generate(model, frame_embeddings=model.encode([PROMPT] * 3), num_frames=4)


def test_enable_vstar_on_the_tiny_model_captures_and_restores_bitwise():
    model = random_model()
    before = generate(model, PROMPT, num_frames=6, steps=3)
    processors = [attn.processor for _, _, attn in model.unet.temporal_attentions()]
    with enable_vstar(model.unet, TARConfig({0: 1.0}, until_step=1), capture=True) as handle:
        during = generate(model, PROMPT, num_frames=6, steps=3)
        maps = handle.capture.maps()
    assert sorted(maps) == [(level, step) for level in (0, 1) for step in range(3)]
    for value in maps.values():
        torch.testing.assert_close(value.sum(-1), torch.ones(6))
    assert not torch.equal(during, before)
    assert [attn.processor for _, _, attn in model.unet.temporal_attentions()] == processors
    assert torch.equal(generate(model, PROMPT, num_frames=6, steps=3), before)
    with pytest.raises(ValueError, match=r"unknown UNet levels \[2\]"):
        enable_vstar(model.unet, TARConfig({2: 1.0}))


def test_tar_on_the_tiny_model_is_tar_attention():
    model = random_model()
    name, level, attn = model.unet.temporal_attentions()[0]
    tokens = torch.randn(3, 7, attn.query_dim)  # "(b h w) f c"
    q, k, v = (
        torch.stack(t.split(attn.dim_head, -1), 1)
        for t in (attn.to_q(tokens), attn.to_k(tokens), attn.to_v(tokens))
    )
    expected = attn.to_out(tar_attention(q, k, v, sigma=2.0).transpose(1, 2).flatten(2))
    with enable_vstar(model.unet, TARConfig({0: 2.0}, until_step=None)) as handle:
        handle.state.step = 0
        torch.testing.assert_close(attn(tokens), expected)


def test_per_frame_text_through_the_hook_reaches_only_its_frame():
    model = random_model()
    zero_temporal_attention(model)  # no path between frames: each frame sees only its own text
    plain = generate(model, PROMPT, num_frames=4, steps=2)
    texts = [PROMPT, PROMPT, PROMPT.replace("red", "blue"), PROMPT]
    with enable_vstar(model.unet, frame_embeddings=model.encode(texts)):
        mixed = generate(model, PROMPT, num_frames=4, steps=2)
    moved = [(mixed - plain)[:, :, i].abs().max().item() > 1e-3 for i in range(4)]
    assert moved == [False, False, True, False]


def test_synopsis_states_and_embeddings():
    from vstar_lite.tiny.analysis import follow_synopsis, synopsis_embeddings, synopsis_states
    from vstar_lite.vsp import Synopsis, interpolate_embeddings

    subs = ("a red circle moves right on a dark background", PROMPT.replace("red", "purple"))
    synopsis = Synopsis("red to purple", subs + (PROMPT.replace("red", "blue"),))
    states = synopsis_states(synopsis, 9)  # keyframes 0, 4, 8; ties go to the earlier state
    assert states == [subs[0]] * 3 + [subs[1]] * 4 + [synopsis.sub_prompts[2]] * 2
    model = random_model()
    expected = interpolate_embeddings(model.encode(list(synopsis.sub_prompts)), 9)
    torch.testing.assert_close(synopsis_embeddings(model, synopsis, 9), expected)
    scores = follow_synopsis(model, synopsis, 4, seeds=[0], vsp=False)
    assert set(scores) == {"start", "end", "all", "end_is_start"}
    assert all(0.0 <= value <= 1.0 for value in scores.values())


def test_benchmark_captions_cover_the_grammar():
    from vstar_lite.tiny.analysis import benchmark_captions
    from vstar_lite.tiny.world import BACKGROUNDS, COLOURS, DIRECTIONS, SHAPES, parse_caption

    parsed = [parse_caption(c) for c in benchmark_captions(12)]
    assert {p["colour"] for p in parsed} == set(COLOURS)
    assert {p["shape"] for p in parsed} == set(SHAPES)
    assert {p["direction"] for p in parsed} == set(DIRECTIONS)
    assert {p["background"] for p in parsed} == set(BACKGROUNDS)
