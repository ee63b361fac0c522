"""The calibrated clip scores: every one reads real clips as correct, and each catches its fault."""

import pytest
import torch
from vstar_lite.tiny.measure import (
    CLIP_SCORES,
    TELEPORT,
    bootstrap_interval,
    frame_letters,
    read_frames,
    score_clips,
    summarize,
)
from vstar_lite.tiny.world import (
    BACKGROUNDS,
    COLOURS,
    DIRECTIONS,
    SHAPES,
    SPEED,
    caption,
    render,
    sample_clips,
    sample_params,
)

FRACTIONS = ("correct", "found", "colour", "shape", "background", "direction")


def _all_captions_clips(num_frames: int, per_caption: int = 3, seed: int = 0):
    """Real clips of every caption of the world (5 x 2 x 4 x 2 = 80 captions)."""
    videos, captions = [], []
    for i, (colour, shape, direction, background) in enumerate(
        (c, s, d, b) for c in COLOURS for s in SHAPES for d in DIRECTIONS for b in BACKGROUNDS
    ):
        clips = sample_clips(per_caption, num_frames, seed * 1000 + i, colour=colour,
                             shape=shape, direction=direction, background=background)  # fmt: skip
        videos.append(clips.videos)
        captions += clips.captions
    return torch.cat(videos), captions


@pytest.mark.parametrize("num_frames", [16, 64])
def test_every_score_reads_real_clips_as_correct(num_frames):
    videos, captions = _all_captions_clips(num_frames, per_caption=2 if num_frames > 16 else 3)
    rows = score_clips(videos, captions)
    for name in FRACTIONS:
        worst = min(getattr(r, name) for r in rows)
        assert worst >= 0.97, f"{name} reads a real clip as {worst:.3f}"
    assert max(r.teleports for r in rows) == 0.0
    speeds = torch.tensor([r.speed for r in rows])
    assert speeds.min() >= SPEED[0] - 0.05 and speeds.max() <= SPEED[1] + 0.05
    ratio = torch.tensor([r.change_ratio for r in rows])
    assert 0.8 < ratio.mean() < 1.25  # real clips change as much as real clips, on average
    assert max(r.hue_drift for r in rows) < 0.5


def test_shape_is_read_from_the_aspect_of_the_bounding_box():
    clips = sample_clips(200, 4, seed=3)
    frames = read_frames(clips.videos)
    for row, want in zip(frames.shape, clips.params.shape):
        assert row == [want] * 4
    aspect = frames.aspect.nanmean(dim=1)
    bar = torch.tensor([s == "bar" for s in clips.params.shape])
    assert aspect[bar].min() > 2.0 and aspect[~bar].max() < 1.1


def test_shape_survives_a_blur_of_a_pixel():
    """A decoder or denoiser that softens the edges must not turn a bar into a circle."""
    clips = sample_clips(60, 2, seed=4)
    kernel = torch.tensor([0.25, 0.5, 0.25])
    blurred = clips.videos.clone()
    for dim in (-1, -2):  # separable [1 2 1] / 4 blur, replicated borders
        padded = torch.cat([blurred.narrow(dim, 0, 1), blurred, blurred.narrow(dim, -1, 1)], dim)
        n = blurred.shape[dim]
        blurred = sum(k * padded.narrow(dim, i, n) for i, k in enumerate(kernel.tolist()))
    for row, want in zip(read_frames(blurred).shape, clips.params.shape):
        assert row == [want] * 2


def test_frame_letters_spell_colour_and_shape_and_mark_empty_frames():
    red = sample_clips(1, 3, seed=1, colour="red", shape="circle").videos
    blue = sample_clips(1, 3, seed=1, colour="blue", shape="bar").videos
    video = torch.cat([red, blue], dim=2)  # "1 3 6 h w": three red-circle frames, three blue bars
    video[:, :, 1] = video[:, :, 1].mean(dim=(-1, -2), keepdim=True).mean(dim=1, keepdim=True)
    assert frame_letters(video) == ["r.rBBB"]  # frame 1 made a flat grey: no shape


def test_fmt_rounds_without_negative_zero():
    from vstar_lite.utils import fmt

    assert fmt(-0.0001) == "0.00" and fmt(2.345, 1) == "2.3" and fmt(-1.5) == "-1.50"


def test_fmt_interval_writes_mean_and_interval_rounded_alike():
    from vstar_lite.utils import fmt_interval

    assert fmt_interval((0.5, -0.0001, 0.98765)) == "0.50 [0.00, 0.99]"
    assert fmt_interval((0.0123, 0.004, 0.033), 3) == "0.012 [0.004, 0.033]"


def test_wrong_shape_colour_or_background_is_not_correct():
    clips = sample_clips(6, 16, seed=1, colour="red", shape="circle", background="dark")
    direction = clips.params.direction
    truth = score_clips(clips.videos, clips.captions)
    assert all(r.correct == 1.0 for r in truth)
    for wrong in (
        [caption("red", "bar", d, "dark") for d in direction],
        [caption("blue", "circle", d, "dark") for d in direction],
        [caption("red", "circle", d, "light") for d in direction],
    ):
        assert all(r.correct == 0.0 for r in score_clips(clips.videos, wrong))


def _clips_from_the_centre(num_frames: int, direction: str) -> tuple[torch.Tensor, list[str]]:
    """Clips that start at the centre and cannot reach a wall within ``num_frames``."""
    params = sample_params(24, torch.Generator().manual_seed(2), direction=direction)
    params.radius = torch.full((24,), 3.5)
    params.start = torch.full((24, 2), 16.0)
    return render(params, num_frames), params.captions


@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_direction_fails_on_the_opposite_caption_and_on_frozen_clips(direction):
    videos, captions = _clips_from_the_centre(7, direction)
    assert min(r.direction for r in score_clips(videos, captions)) == 1.0
    opposite = {"left": "right", "right": "left", "up": "down", "down": "up"}[direction]
    turned = [c.replace(f"moves {direction}", f"moves {opposite}") for c in captions]
    assert max(r.direction for r in score_clips(videos, turned)) == 0.0
    frozen = videos[:, :, :1].expand(-1, -1, 7, -1, -1)
    frozen_rows = score_clips(frozen, captions)
    assert max(r.speed for r in frozen_rows) == 0.0
    assert max(r.direction for r in frozen_rows) == 0.0


def test_direction_allows_a_bounce_only_at_the_wall_ahead():
    clips = sample_clips(40, 64, seed=2)  # 64 frames: every shape bounces
    rows = score_clips(clips.videos, clips.captions)
    assert min(r.direction for r in rows) == 1.0
    # the same clips with every second half mirrored in time turn around in mid-air
    half = clips.videos[:, :, :32]
    bounced = torch.cat([half, half.flip(2)], dim=2)
    turned = torch.tensor([r.direction for r in score_clips(bounced, clips.captions)])
    assert turned.mean() < 0.92 and (turned < 1).float().mean() > 0.8  # a few turn at a wall


def test_teleports_and_flicker_are_caught():
    clips = sample_clips(8, 16, seed=4, direction="right")
    shuffled = clips.videos[:, :, torch.randperm(16, generator=torch.Generator().manual_seed(0))]
    rows = score_clips(shuffled, clips.captions)
    assert min(r.teleports for r in rows) > 0.2
    steps = torch.tensor([r.speed for r in rows])
    assert steps.mean() > TELEPORT  # the median step of a shuffled clip is a jump
    noisy = (clips.videos + 0.2 * torch.randn(clips.videos.shape)).clamp(-1, 1)
    assert min(r.change_ratio for r in score_clips(noisy, clips.captions)) > 5


def test_a_jump_through_frames_without_a_shape_is_still_a_teleport():
    yy, xx = torch.meshgrid(torch.arange(32) + 0.5, torch.arange(32) + 0.5, indexing="ij")

    def disc(x: float, y: float) -> torch.Tensor:  # "h w", a red disc of radius 4
        return ((xx - x) ** 2 + (yy - y) ** 2) <= 16

    def clip(centres: list[list[tuple[float, float]]]) -> torch.Tensor:  # discs per frame
        video = torch.full((1, 3, len(centres), 32, 32), -0.8)
        for f, discs in enumerate(centres):
            for x, y in discs:
                video[0, 0, f][disc(x, y)] = 1.0
        return video

    smooth = [[(6.0 + t, 8.0)] for t in range(16)]  # one disc, 1 px per frame to the right
    jumps = smooth[:7] + [[(13.0, 8.0), (20.0, 26.0)]] + [[(13.0 + t, 26.0)] for t in range(8, 16)]
    text = ["a red circle moves right on a dark background"]
    assert score_clips(clip(smooth), text)[0].teleports == 0.0
    frames = read_frames(clip(jumps))
    assert frames.colour[0][7] is None  # two discs in frame 7: no shape found
    row = score_clips(clip(jumps), text)[0]
    assert row.found == pytest.approx(15 / 16)
    assert row.teleports == pytest.approx(2 / 15)  # 20 px over frame 7's two steps: both jumps


def test_bootstrap_interval_brackets_the_mean_and_shrinks_with_more_videos():
    values = torch.rand(400, generator=torch.Generator().manual_seed(0))
    mean, low, high = bootstrap_interval(values[:40])
    assert low < mean < high
    assert bootstrap_interval(values[:40]) == (mean, low, high)  # deterministic per seed
    _, low_all, high_all = bootstrap_interval(values)
    assert high_all - low_all < high - low
    assert bootstrap_interval([0.5, 0.5, float("nan")]) == (0.5, 0.5, 0.5)
    assert all(v != v for v in bootstrap_interval([float("nan")]))


def test_summary_has_every_score_and_bad_input_is_refused():
    clips = sample_clips(3, 8, seed=0)
    summary = summarize(score_clips(clips.videos, clips.captions))
    assert tuple(summary) == CLIP_SCORES
    with pytest.raises(ValueError, match="one caption each"):
        score_clips(clips.videos, clips.captions[:2])
    with pytest.raises(ValueError, match="at least 2 frames"):
        score_clips(clips.videos[:, :, :1], clips.captions)


def test_check_predictions_passes_right_answers_and_names_the_wrong_ones(capsys):
    from vstar_lite.utils import check_predictions

    items = {"rises": (1.0, 2.0), "falls": (2.0, 1.0), "stays": (1.0, 1.0 + 1e-9)}
    check_predictions(items, {"rises": "up", "falls": "down", "stays": "same"})
    assert "rises" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"look again at: \['falls'\]"):
        check_predictions(items, {"rises": "up", "falls": "up", "stays": "same"})
    with pytest.raises(AssertionError, match="must answer exactly"):
        check_predictions(items, {"rises": "up"})


def test_mask_fill_tells_a_shape_from_scattered_specks_and_reads_real_clips_as_shapes():
    from vstar_lite.tiny.measure import COMPACT_FILL, mask_fill
    from vstar_lite.tiny.world import sample_clips

    video = torch.full((1, 3, 2, 32, 32), -1.0)
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    disc = ((yy - 15.5) ** 2 + (xx - 15.5) ** 2) <= 36  # radius 6
    video[0, 0, 0][disc] = 1.0  # a red disc
    for y, x in ((1, 1), (1, 30), (30, 1), (30, 30), (15, 2)):
        video[0, 0, 1, y, x] = 1.0  # five red specks in the corners and at one edge
    fill = mask_fill(video)[0]
    naive = disc.sum() / ((disc.any(1).sum()) * (disc.any(0).sum()))  # area over its box
    assert fill[0].item() == pytest.approx(float(naive)) and fill[0] > 0.7
    assert fill[1] < 0.01
    assert mask_fill(torch.full((1, 3, 1, 32, 32), -1.0)).isnan().all()  # nothing coloured
    real = sample_clips(48, 16, 7).videos
    assert (mask_fill(real) >= COMPACT_FILL).float().mean() >= 0.97


def test_scattered_specks_are_no_object_found():
    from vstar_lite.tiny.measure import read_frames

    video = torch.full((1, 3, 2, 32, 32), -0.8)  # dark background
    video[0, 0, 0, 12:20, 12:20] = 1.0  # frame 0: a compact red patch of 64 pixels
    for y in range(2, 30, 6):  # frame 1: 25 red specks of one pixel over the whole frame
        for x in range(2, 30, 6):
            video[0, 0, 1, y, x] = 1.0
    frames = read_frames(video)
    assert frames.colour[0] == ["red", None]  # 25 pixels is area enough: only the fill says no
    assert frames.x[0, 1].isnan() and frames.fill[0, 1] < 0.05
    scores = score_clips(video, ["a red circle moves right on a dark background"])
    assert scores[0].found == 0.5


def test_wrap_items_breaks_between_items_only_and_indents_every_line():
    from vstar_lite.utils import wrap_items

    items = [f"item number {i}" for i in range(6)]
    text = wrap_items(items, indent=4, width=40)
    lines = text.splitlines()
    assert len(lines) > 1 and all(line.startswith("    ") and len(line) <= 40 for line in lines)
    assert text.replace("\n    ", " ").strip() == ", ".join(items)  # nothing lost or split
    assert all(line.strip().split(", ")[0] in items for line in lines)  # each line starts an item
    with pytest.raises(ValueError, match=r"indent must be in \[0, width=40\), got 40"):
        wrap_items(items, indent=40, width=40)
