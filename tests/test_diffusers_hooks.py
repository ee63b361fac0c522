"""VSTAR on diffusers UNets, tested on tiny random models built here (no downloads)."""

import math

import pytest
import torch
from diffusers import UNet2DConditionModel, UNet3DConditionModel, UNetMotionModel
from diffusers.models.attention_processor import AttnProcessor2_0
from einops import rearrange
from vstar_lite.diffusers_hooks import (
    enable_vstar,
    find_cross_attentions,
    find_temporal_attentions,
)
from vstar_lite.tar import TARConfig, tar_attention

FRAMES, TEXT_LEN, TEXT_DIM = 6, 3, 16
# what every small UNet of these tests shares
SMALL = dict(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
             cross_attention_dim=TEXT_DIM, norm_num_groups=4)  # fmt: skip


def with_live_temporal_layers(unet):
    """diffusers zero-initialises temporal outputs: give them weights so that they matter."""
    with torch.no_grad():
        for layer in find_temporal_attentions(unet):
            unet.get_submodule(layer.name).to_out[0].weight.normal_(0, 0.5)
    return unet.eval()


def tiny_unet3d(blocks: int = 2) -> UNet3DConditionModel:
    torch.manual_seed(0)
    unet = UNet3DConditionModel(
        **SMALL,
        down_block_types=("CrossAttnDownBlock3D",) * (blocks - 1) + ("DownBlock3D",),
        up_block_types=("UpBlock3D",) + ("CrossAttnUpBlock3D",) * (blocks - 1),
        block_out_channels=(16,) * blocks,
        attention_head_dim=4,
    )
    return with_live_temporal_layers(unet)


def tiny_motion_unet() -> UNetMotionModel:
    torch.manual_seed(0)
    unet = UNetMotionModel(
        **SMALL,
        block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlockMotion", "DownBlockMotion"),
        up_block_types=("UpBlockMotion", "CrossAttnUpBlockMotion"),
        num_attention_heads=2,
        motion_num_attention_heads=2,
        motion_max_seq_length=32,
    )
    return with_live_temporal_layers(unet)


@pytest.fixture(scope="module")
def unet3d():
    return tiny_unet3d()


def inputs(videos=1, guidance=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    rows = 2 * videos if guidance else videos
    sample = torch.randn(rows, 4, FRAMES, 8, 8, generator=g)
    text = torch.randn(rows, TEXT_LEN, TEXT_DIM, generator=g)
    return sample, text


def run(unet, sample, text, t=500):
    with torch.no_grad():
        return unet(sample, t, text).sample


def test_layers_and_levels_are_found_from_the_structure():
    unet = tiny_unet3d(blocks=4)
    levels = {
        layer.name.split(".temp_attentions")[0]: layer.level
        for layer in find_temporal_attentions(unet)
    }
    assert levels == {
        "transformer_in.transformer_blocks.0.attn1": 0,
        "transformer_in.transformer_blocks.0.attn2": 0,
        "down_blocks.0": 0, "down_blocks.1": 1, "down_blocks.2": 2,
        "mid_block": 3, "up_blocks.1": 2, "up_blocks.2": 1, "up_blocks.3": 0,
    }  # fmt: skip
    inputs_block = [layer for layer in find_temporal_attentions(unet) if layer.input_block]
    assert [layer.name.rsplit(".", 1)[1] for layer in inputs_block] == ["attn1", "attn2"]
    assert all(
        name.endswith("attn2") and ".attentions." in name for name in find_cross_attentions(unet)
    )


def test_tar_processor_equals_tar_attention_on_captured_inputs(unet3d):
    name = "down_blocks.0.temp_attentions.0.transformer_blocks.0.attn1"
    attn = unet3d.get_submodule(name)
    seen = {}
    hook = attn.register_forward_pre_hook(
        lambda m, args, kwargs: seen.update(x=args[0] if args else kwargs["hidden_states"]),
        with_kwargs=True,
    )
    sample, text = inputs()
    with enable_vstar(unet3d, TARConfig({0: 1.5}, until_step=None)):
        with torch.no_grad():
            unet3d(sample, 500, text)
            x = seen["x"]  # "(b h w) f c"
            assert x.shape[1] == FRAMES
            got = attn(x)
    hook.remove()
    with torch.no_grad():
        q, k, v = (
            rearrange(p(x), "b f (h d) -> b h f d", h=attn.heads)
            for p in (attn.to_q, attn.to_k, attn.to_v)
        )
        q = q * attn.scale * math.sqrt(q.shape[-1])
        want = attn.to_out[0](rearrange(tar_attention(q, k, v, 1.5), "b h f d -> b f (h d)"))
    torch.testing.assert_close(got, want)


def test_remove_restores_processors_and_outputs_bitwise(unet3d):
    sample, text = inputs(guidance=True)
    before_processors = dict(unet3d.attn_processors)
    before = run(unet3d, sample, text)
    handle = enable_vstar(unet3d, TARConfig({0: 1.0, 1: 4.0}, until_step=None), capture=True)
    during = run(unet3d, sample, text)
    handle.remove()
    assert not torch.allclose(during, before)
    assert torch.equal(run(unet3d, sample, text), before)
    after = unet3d.attn_processors
    assert all(after[name] is processor for name, processor in before_processors.items())
    with enable_vstar(unet3d, TARConfig({0: 1.0}), num_steps=25):
        pass
    assert torch.equal(run(unet3d, sample, text), before)  # the context manager form


def test_tar_skips_the_input_block_unless_asked(unet3d):
    config = TARConfig({0: 1.0}, until_step=None)
    with enable_vstar(unet3d, config) as handle:
        assert not any(layer.input_block for layer in handle.layers)
    config = TARConfig({0: 1.0}, include_input_block=True)
    with enable_vstar(unet3d, config, num_steps=25) as handle:
        assert sum(layer.input_block for layer in handle.layers) == 2


def test_step_cut_off_and_guidance_in_two_calls(unet3d):
    sample, text = inputs()
    baseline = [run(unet3d, sample, text, t) for t in (900, 800, 700)]
    config = TARConfig({0: 1.0, 1: 1.0}, until_step=1, reference_steps=None)  # absolute
    with enable_vstar(unet3d, config) as handle:
        step0 = run(unet3d, sample, text, 900)
        again = run(unet3d, sample, text, 900)  # the same timestep: still step 0
        assert handle.state.step == 0
        step1 = run(unet3d, sample, text, 800)
        step2 = run(unet3d, sample, text, 700)
        assert handle.state.step == 2
        restart = run(unet3d, sample, text, 900)  # a new video starts at the top again
        assert handle.state.step == 0
    assert not torch.allclose(step0, baseline[0]) and torch.equal(step0, again)
    assert not torch.allclose(step1, baseline[1])
    assert torch.equal(step2, baseline[2])  # past until_step: untouched
    assert torch.equal(restart, step0)


def test_both_guidance_halves_are_regularized(unet3d):
    sample, text = inputs(guidance=True)
    base = run(unet3d, sample, text)
    with enable_vstar(unet3d, TARConfig({0: 1.0, 1: 1.0}, until_step=None)):
        tar = run(unet3d, sample, text)
    assert not torch.allclose(tar[0], base[0]) and not torch.allclose(tar[1], base[1])


def capture_cross_attention_context(unet, name):
    attn = unet.get_submodule(name)
    seen = []
    hook = attn.to_k.register_forward_hook(lambda m, args, out: seen.append(args[0].clone()))
    return seen, hook


@pytest.mark.parametrize("guidance", [False, True])
def test_per_frame_text_reaches_its_frame_and_keeps_the_unconditional_half(unet3d, guidance):
    sample, text = inputs(videos=2, guidance=guidance)
    frame_text = torch.randn(
        2, FRAMES, TEXT_LEN, TEXT_DIM, generator=torch.Generator().manual_seed(5)
    )
    name = find_cross_attentions(unet3d)[0]
    seen, hook = capture_cross_attention_context(unet3d, name)
    with enable_vstar(unet3d, frame_embeddings=frame_text):
        run(unet3d, sample, text)
    hook.remove()
    context = seen[0]  # "(b f) l d" as the layer's to_k saw it
    rows = rearrange(context, "(b f) l d -> b f l d", f=FRAMES)
    conditional = rows[2:] if guidance else rows
    assert torch.equal(conditional, frame_text)
    if guidance:  # the unconditional videos keep their one embedding on every frame
        assert torch.equal(rows[:2], text[:2, None].expand(-1, FRAMES, -1, -1))


def test_per_frame_text_equal_to_the_prompt_changes_nothing(unet3d):
    sample, text = inputs(guidance=True)
    repeated = text[1:, None].expand(-1, FRAMES, -1, -1)  # the conditional prompt on every frame
    base = run(unet3d, sample, text)
    with enable_vstar(unet3d, frame_embeddings=repeated[0]):
        same = run(unet3d, sample, text)
    torch.testing.assert_close(same, base)


def test_capture_keeps_one_running_mean_per_level_and_step(unet3d):
    sample, text = inputs()
    with enable_vstar(unet3d, capture=True) as handle:
        for t in (900, 800):
            run(unet3d, sample, text, t)
    maps = handle.capture.maps()
    assert set(maps) == {(level, step) for level in (0, 1) for step in (0, 1)}
    for value in maps.values():
        assert value.shape == (FRAMES, FRAMES)
        torch.testing.assert_close(value.sum(-1), torch.ones(FRAMES))
    assert set(handle.capture.by_level()) == {0, 1}


def test_motion_unet_tar_and_per_frame_text():
    unet = tiny_motion_unet()
    levels = sorted({layer.level for layer in find_temporal_attentions(unet)})
    assert levels == [0, 1]
    sample, _ = inputs(guidance=True)
    text = torch.randn(2 * FRAMES, TEXT_LEN, TEXT_DIM)  # AnimateDiff pipelines pass "(b f) l d"
    base = run(unet, sample, text)
    with enable_vstar(unet, TARConfig({0: 1.0}, until_step=None)):
        tar = run(unet, sample, text)
    assert not torch.allclose(tar, base)
    assert torch.equal(run(unet, sample, text), base)
    frame_text = torch.randn(FRAMES, TEXT_LEN, TEXT_DIM)
    seen, hook = capture_cross_attention_context(unet, find_cross_attentions(unet)[0])
    with enable_vstar(unet, frame_embeddings=frame_text):
        run(unet, sample, text)
    hook.remove()
    assert torch.equal(seen[0][FRAMES:], frame_text) and torch.equal(
        seen[0][:FRAMES], text[:FRAMES]
    )


def test_models_without_temporal_attention_are_rejected_with_what_was_found():
    torch.manual_seed(0)
    image_unet = UNet2DConditionModel(
        **SMALL,
        block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        attention_head_dim=4,
    )
    with pytest.raises(
        ValueError,
        match=r"UNet2DConditionModel has no temporal attention .* found \d+ attention layers",
    ):
        enable_vstar(image_unet, TARConfig({0: 1.0}), num_steps=25)


def test_only_diffusers_attention_layers_are_hooked():
    """A module that merely lists ``temporal_attentions`` holds no diffusers attention: refused."""

    class NotDiffusers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.temporal_attentions = torch.nn.ModuleList([torch.nn.MultiheadAttention(8, 2)])

    with pytest.raises(ValueError, match=r"NotDiffusers has no temporal attention .* found 0 "):
        enable_vstar(NotDiffusers(), TARConfig({0: 1.0}), num_steps=25)


def test_bad_settings_are_named(unet3d):
    with pytest.raises(
        ValueError, match=r"unknown UNet levels \[5\]; this model has levels \[0, 1\]"
    ):
        enable_vstar(unet3d, TARConfig({5: 1.0}), num_steps=25)
    with pytest.raises(
        ValueError, match=r"frame_embeddings must have shape \(F, L, D\) or \(b, F, L, D\)"
    ):
        enable_vstar(unet3d, frame_embeddings=torch.zeros(3, 4))
    sample, text = inputs()
    with enable_vstar(unet3d, frame_embeddings=torch.zeros(FRAMES + 1, TEXT_LEN, TEXT_DIM)):
        with pytest.raises(ValueError, match=r"frame_embeddings are for 1 video\(s\) x 7 frames"):
            run(unet3d, sample, text)
    assert torch.equal(run(unet3d, sample, text), run(unet3d, sample, text))


# ----------------------------------------------------------------------- state of the hooks
def test_a_second_enable_is_refused_and_the_first_still_restores_exactly(unet3d):
    sample, text = inputs()
    before_processors = dict(unet3d.attn_processors)
    before = run(unet3d, sample, text)
    first = enable_vstar(unet3d, TARConfig({0: 1.0}, until_step=None))
    with pytest.raises(RuntimeError, match=r"VSTAR is already enabled on this UNet"):
        enable_vstar(unet3d, TARConfig({1: 2.0}, until_step=None))
    with pytest.raises(RuntimeError, match=r"already enabled"):
        enable_vstar(unet3d, frame_embeddings=torch.zeros(FRAMES, TEXT_LEN, TEXT_DIM))
    first.remove()
    first.remove()  # a second remove does nothing
    assert torch.equal(run(unet3d, sample, text), before)
    after = unet3d.attn_processors
    assert all(after[name] is processor for name, processor in before_processors.items())
    with enable_vstar(unet3d, TARConfig({1: 2.0}, until_step=None)):  # free again
        assert not torch.allclose(run(unet3d, sample, text), before)


def test_an_exception_inside_with_restores_the_model(unet3d):
    sample, text = inputs()
    before = run(unet3d, sample, text)
    with pytest.raises(KeyError):
        with enable_vstar(unet3d, TARConfig({0: 1.0}, until_step=None), capture=True):
            run(unet3d, sample, text)
            raise KeyError("raised by the user's code")
    assert torch.equal(run(unet3d, sample, text), before)
    enable_vstar(unet3d, capture=True).remove()  # not left "already enabled"


class RecordingProcessor(AttnProcessor2_0):
    """Stands for a processor the user installed (xformers, IP-Adapter): records its calls."""

    def __init__(self):
        super().__init__()
        self.contexts = []

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, *args, **kwargs):
        self.contexts.append(encoder_hidden_states)
        return super().__call__(attn, hidden_states, encoder_hidden_states, *args, **kwargs)


def test_per_frame_text_hands_the_call_to_the_installed_processor():
    unet = tiny_unet3d()
    name = find_cross_attentions(unet)[0]
    mine = RecordingProcessor()
    unet.set_attn_processor({**unet.attn_processors, f"{name}.processor": mine})
    sample, text = inputs()
    frame_text = torch.randn(FRAMES, TEXT_LEN, TEXT_DIM)
    with enable_vstar(unet, frame_embeddings=frame_text):
        run(unet, sample, text)
    assert len(mine.contexts) == 1 and torch.equal(mine.contexts[0], frame_text)
    assert unet.attn_processors[f"{name}.processor"] is mine  # put back after


class ProcessorWithOptions(AttnProcessor2_0):
    """A processor with a keyword of its own, as IP-Adapter's have (its scale)."""

    def __init__(self):
        super().__init__()
        self.options = []

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None,
                 temb=None, strength_of_image=None):  # fmt: skip
        self.options.append(strength_of_image)
        return super().__call__(attn, hidden_states, encoder_hidden_states, attention_mask, temb)


def test_per_frame_text_passes_the_wrapped_processors_own_keywords():
    unet = tiny_unet3d()
    name = find_cross_attentions(unet)[0]
    mine = ProcessorWithOptions()
    unet.set_attn_processor({**unet.attn_processors, f"{name}.processor": mine})
    sample, text = inputs()
    with enable_vstar(unet, frame_embeddings=torch.randn(FRAMES, TEXT_LEN, TEXT_DIM)):
        with torch.no_grad():
            unet(sample, 500, text, cross_attention_kwargs={"strength_of_image": 0.7})
    assert mine.options == [0.7]


def test_guidance_layout_is_taken_as_told(unet3d):
    """Two videos without guidance have as many rows as one video with guidance: told apart
    only when the caller says which it is."""
    sample, text = inputs(videos=2)
    one_video = torch.randn(FRAMES, TEXT_LEN, TEXT_DIM)
    name = find_cross_attentions(unet3d)[0]
    seen, hook = capture_cross_attention_context(unet3d, name)
    with enable_vstar(unet3d, frame_embeddings=one_video, guidance=True):
        run(unet3d, sample, text)  # read as [uncond; cond] of one video
    assert torch.equal(seen[0][FRAMES:], one_video)
    with enable_vstar(unet3d, frame_embeddings=one_video, guidance=False):
        with pytest.raises(ValueError, match=r"without guidance .* should receive 6 rows; .* 12"):
            run(unet3d, sample, text)
    two_videos = torch.randn(2, FRAMES, TEXT_LEN, TEXT_DIM)
    seen.clear()
    with enable_vstar(unet3d, frame_embeddings=two_videos, guidance=False):
        run(unet3d, sample, text)
    hook.remove()
    assert torch.equal(seen[0], rearrange(two_videos, "b f l d -> (b f) l d"))


def test_a_told_step_wins_over_the_timestep_and_the_cut_off_scales(unet3d):
    sample, text = inputs()
    base = run(unet3d, sample, text, 900)
    config = TARConfig({0: 1.0, 1: 1.0})  # steps 0..13 of 25 -> 0..27 of 50
    with enable_vstar(unet3d, config, num_steps=50) as handle:
        handle.set_step(27)
        last_on = run(unet3d, sample, text, 900)  # a high timestep would read as step 0
        handle.set_step(28)
        first_off = run(unet3d, sample, text, 900)
        assert handle.state.step == 28
        handle.reset()
        run(unet3d, sample, text, 900)
        assert handle.state.step == 0  # inference again after reset
    assert not torch.allclose(last_on, base)
    assert torch.equal(first_off, base)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(tar={0: 1.0}), r"tar must be a vstar_lite.TARConfig or None, got dict"),
        (dict(tar=TARConfig({0: 1.0})), r"num_steps is needed: .*step 13 of 25"),
        (dict(tar=TARConfig({0: 1.0}), num_steps=0), r"num_steps must be an int >= 1"),
        (
            dict(tar=TARConfig({0: 1.0}, until_step=30, reference_steps=None), num_steps=25),
            r"until_step=30 is past the last of 25 sampling steps",
        ),
        (dict(capture=True, guidance="yes"), r"guidance must be True, False or None"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_installed(unet3d, kwargs, message):
    before = dict(unet3d.attn_processors)
    with pytest.raises(ValueError, match=message):
        enable_vstar(unet3d, **kwargs)
    assert all(unet3d.attn_processors[name] is p for name, p in before.items())
