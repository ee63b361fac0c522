"""Scoring pipelines on the tiny world: synopsis quarters, autoencoder agreement, attention maps."""

import pytest
import torch
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.evaluate import (
    BENCHMARK_CAPTIONS,
    attention_structure,
    autoencoder_agreement,
    generate_grid,
    paired_difference,
    real_clip_attention,
    real_clips,
    synopsis_quarter_scores,
    synopsis_quarters,
)
from vstar_lite.tiny.measure import score_clips
from vstar_lite.tiny.parts import (
    build_autoencoder,
    build_scheduler,
    build_text_encoder,
    build_tokenizer,
    build_unet,
)
from vstar_lite.tiny.training import save_pipeline
from vstar_lite.tiny.world import parse_caption, sample_clips
from vstar_lite.vsp import load_synopses


def test_benchmark_captions_cover_every_attribute():
    words = [parse_caption(c) for c in BENCHMARK_CAPTIONS]
    assert len(BENCHMARK_CAPTIONS) == 12
    for name, count in (("colour", 5), ("shape", 2), ("direction", 4), ("background", 2)):
        assert len({w[name] for w in words}) == count


def test_synopsis_quarters_read_the_first_and_last_state():
    synopsis = load_synopses()["tiny_red_to_blue"]
    first = sample_clips(4, 16, 1, **parse_caption(synopsis.sub_prompts[0])).videos
    last = sample_clips(4, 16, 1, **parse_caption(synopsis.sub_prompts[-1])).videos
    follows = torch.cat([first[:, :, :8], last[:, :, 8:]], dim=2)
    quarters = synopsis_quarters(follows, synopsis)
    assert quarters["first"][0] == 1.0 and quarters["last"][0] == 1.0
    stuck = synopsis_quarters(first, synopsis)
    assert stuck["first"][0] == 1.0 and stuck["last"][0] == 0.0
    with pytest.raises(ValueError, match="num_frames must be >= 8"):
        synopsis_quarters(first[:, :, :4], synopsis)


def test_real_clips_follow_generate_grids_order_and_their_captions():
    captions = list(BENCHMARK_CAPTIONS[:3])
    clips = real_clips(captions, seeds=(0, 1), num_frames=16)
    assert clips.shape == (6, 3, 16, 32, 32)
    rows = score_clips(clips, captions * 2)  # seed-major: seed 0's three captions, then seed 1's
    assert all(r.correct == 1.0 for r in rows)
    longer = real_clips(captions, seeds=(0, 1), num_frames=24)
    torch.testing.assert_close(longer[:, :, :16], clips, atol=0, rtol=0)
    assert not torch.equal(clips[0], clips[3])  # another seed, another clip


def test_paired_difference_is_shown_only_when_its_interval_excludes_zero():
    base = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4]
    better = [v + 0.1 for v in base]  # every pair improves by 0.1
    mean, low, high = paired_difference(better, base)
    assert mean == pytest.approx(0.1) and low == pytest.approx(0.1) and high == pytest.approx(0.1)
    noisy = [v + (0.2 if i % 2 else -0.2) for i, v in enumerate(base)]  # no net change
    mean, low, high = paired_difference(noisy, base)
    assert low < 0 < high and mean == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="must be paired"):
        paired_difference(base, base[:-1])


def test_synopsis_quarter_scores_give_the_values_behind_the_interval():
    synopsis = load_synopses()["tiny_red_to_blue"]
    first = sample_clips(3, 16, 1, **parse_caption(synopsis.sub_prompts[0])).videos
    per_video = synopsis_quarter_scores(first, synopsis)
    assert per_video == {"first": [1.0, 1.0, 1.0], "last": [0.0, 0.0, 0.0]}


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    folder = save_pipeline(
        tmp_path_factory.mktemp("pipe") / "pipeline", vae=build_autoencoder(),
        text_encoder=build_text_encoder(len(tokenizer)), tokenizer=tokenizer,
        unet=build_unet(), scheduler=build_scheduler("sample"), dtype=torch.float32,
    )  # fmt: skip
    pipe = VSTARPipeline.from_pretrained(folder, device="cpu")
    pipe.default_steps = 3
    return pipe


def test_a_random_autoencoder_does_not_agree_with_real_clips(pipe):
    agreement = autoencoder_agreement(pipe.vae, clips=4, num_frames=4)
    assert agreement["colour"] < 0.5 and agreement["psnr_db"] < 20
    assert set(agreement) >= {"found", "colour", "shape", "background", "position", "size"}


def test_generate_grid_orders_videos_seed_major(pipe):
    prompts = list(BENCHMARK_CAPTIONS[:2])
    grid = generate_grid(pipe, prompts, seeds=(0, 1), num_frames=4)
    assert grid.shape == (4, 3, 4, 32, 32)
    again = pipe(prompts, num_frames=4, seed=1, progress=False).videos
    torch.testing.assert_close(grid[2:], again)


def test_real_clip_attention_has_one_map_per_level_and_step(pipe):
    clips = sample_clips(2, 6, 0)
    maps = real_clip_attention(pipe, clips.videos, clips.captions)
    assert sorted({step for _, step in maps}) == [0, 1, 2]
    assert sorted({level for level, _ in maps}) == [0, 1]
    for value in maps.values():
        assert value.shape == (6, 6)
        torch.testing.assert_close(value.sum(-1), torch.ones(6, dtype=value.dtype))
    structure = attention_structure(maps)
    assert structure[0]["uniform"] == pytest.approx(1 / 6)


def test_real_clip_attention_under_tar_follows_its_step_limit(pipe):
    from vstar_lite.tar import TARConfig, diagonalness

    clips = sample_clips(2, 6, 0)
    plain = real_clip_attention(pipe, clips.videos, clips.captions)
    tar = TARConfig({0: 0.5}, until_step=0)
    nursed = real_clip_attention(pipe, clips.videos, clips.captions, tar=tar)
    assert diagonalness(nursed[(0, 0)]) > diagonalness(plain[(0, 0)]) + 0.02  # step 0: TAR on
    for level in (0, 1):  # step 1: TAR off again, the same noise: the same maps
        torch.testing.assert_close(nursed[(level, 1)], plain[(level, 1)])


def test_swap_word_changes_exactly_one_attribute():
    from vstar_lite.tiny.evaluate import swap_word

    text = "a red circle moves right on a dark background"
    assert swap_word(text, "direction") == "a red circle moves left on a dark background"
    assert swap_word(text, "shape") == "a red bar moves right on a dark background"
    assert swap_word(text, "background") == "a red circle moves right on a light background"
    for attribute in ("colour", "shape", "direction", "background"):
        before, after = parse_caption(text), parse_caption(swap_word(text, attribute))
        assert [k for k in before if before[k] != after[k]] == [attribute]
    with pytest.raises(ValueError, match="attribute must be one of"):
        swap_word(text, "speed")


def test_word_reliance_is_one_for_a_denoiser_that_ignores_its_text(pipe):
    from vstar_lite.tiny.evaluate import word_reliance

    unet = pipe.unet
    reliance = word_reliance(pipe, clips=4, timesteps=(800,))
    assert set(reliance) == {"empty", "colour", "shape", "direction", "background"}
    assert any(abs(r[800][0] - 1) > 1e-4 for r in reliance.values())  # random weights read text

    class Deaf(torch.nn.Module):  # the same UNet, handed zeros instead of the text
        def __init__(self):
            super().__init__()
            self.inner = unet

        def forward(self, sample, t, encoder_hidden_states):
            return self.inner(sample, t, encoder_hidden_states=encoder_hidden_states * 0)

    pipe.unet = Deaf()
    try:
        deaf = word_reliance(pipe, clips=4, timesteps=(800, 200))
    finally:
        pipe.unet = unet
    for name, per_step in deaf.items():
        for t, (mean, low, high) in per_step.items():
            assert mean == pytest.approx(1.0) and low == pytest.approx(1.0), (name, t)
    with pytest.raises(ValueError, match="timesteps must be ints in"):
        word_reliance(pipe, clips=4, timesteps=(1000,))
    with pytest.raises(ValueError, match="clips must be an int"):
        word_reliance(pipe, clips=1)


def test_word_reliance_reads_the_words_the_shipped_unet_draws():
    from vstar_lite.tiny.evaluate import word_reliance

    pipe = VSTARPipeline.from_pretrained("tiny", device="cpu")
    reliance = word_reliance(pipe, clips=16, timesteps=(600,))
    for word in ("colour", "shape", "background", "empty"):
        assert reliance[word][600][1] > 1.1, word  # its lower bound: a word the UNet uses
