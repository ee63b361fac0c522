"""The synthetic world and the pixel read-out that scores the tiny model."""

import pytest
import torch
from vstar_lite.tiny.measure import frame_state_match, read_frames, score_video, score_videos
from vstar_lite.tiny.world import (
    COLOURS,
    IMAGE_SIZE,
    caption,
    half_extent,
    parse_caption,
    render,
    sample_clips,
    sample_params,
    trajectory,
)


def test_clips_are_deterministic_per_seed_and_in_range():
    a, b, c = sample_clips(4, 16, seed=3), sample_clips(4, 16, seed=3), sample_clips(4, 16, seed=4)
    assert a.videos.shape == (4, 3, 16, IMAGE_SIZE, IMAGE_SIZE)
    assert torch.equal(a.videos, b.videos) and a.captions == b.captions
    assert not torch.equal(a.videos, c.videos)
    assert a.videos.min() >= -1 and a.videos.max() <= 1


def test_longer_clips_extend_shorter_ones():
    generator = torch.Generator().manual_seed(0)
    params = sample_params(3, generator)
    assert torch.equal(render(params, 64)[:, :, :16], render(params, 16))


def test_caption_grammar_round_trips_and_rejects_unknown_words():
    text = caption("purple", "bar", "up", "light")
    assert text == "a purple bar moves up on a light background"
    assert parse_caption(text) == {
        "colour": "purple",
        "shape": "bar",
        "direction": "up",
        "background": "light",
    }
    with pytest.raises(ValueError, match="unknown colour 'pink'"):
        parse_caption("a pink bar moves up on a light background")
    with pytest.raises(ValueError, match="caption must read like"):
        parse_caption("a red bar")


def test_fixed_attributes_pin_the_caption_and_leave_the_rest_random():
    clips = sample_clips(8, 4, seed=0, colour="red", background="dark")
    assert all(c.startswith("a red ") and c.endswith("dark background") for c in clips.captions)
    assert len(set(clips.params.radius.tolist())) == 8
    with pytest.raises(ValueError, match="colour must be one of"):
        sample_clips(2, 4, colour="pink")


def test_trajectory_bounces_inside_the_frame_at_the_drawn_speed():
    params = sample_params(32, torch.Generator().manual_seed(1))
    path = trajectory(params, 128)  # "b f 2"
    half = half_extent(params.radius, params.shape).unsqueeze(1)  # "b 1 2": the shape stays inside
    assert (path >= half - 1e-4).all()
    assert (path <= IMAGE_SIZE - half + 1e-4).all()
    steps = path.diff(dim=1).norm(dim=-1)  # a bounce can shorten a step, never lengthen it
    assert (steps <= params.speed.view(-1, 1) + 1e-4).all()
    assert (steps.median(dim=1).values - params.speed).abs().max() < 1e-4
    flips = (path.diff(dim=1)[..., 0].sign().diff(dim=1) != 0).any(dim=1)
    assert flips.any(), "over 128 frames some shapes must bounce"


def test_bar_is_as_large_as_a_circle_and_twice_as_wide_as_high():
    params = sample_params(2, torch.Generator().manual_seed(0), shape="bar")
    params.radius = torch.tensor([4.0, 6.0])
    params.start = torch.full((2, 2), 16.0)
    frame = render(params, 1)[:, :, 0]  # "b 3 h w"
    chroma = frame.amax(dim=1) - frame.amin(dim=1)  # grey has none: coverage x the shape's chroma
    alpha = chroma / chroma.flatten(1).amax(dim=1).view(2, 1, 1)  # "b h w" coverage in [0, 1]
    width, height = alpha.amax(dim=1).sum(dim=1), alpha.amax(dim=2).sum(dim=1)  # "b" pixels
    assert ((width / height - 2.17).abs() < 0.1).all()
    circle = torch.pi * params.radius**2
    assert ((alpha.flatten(1).sum(dim=1) - circle).abs() / circle < 0.02).all()


@pytest.mark.parametrize("direction", ["right", "left", "down", "up"])
def test_a_clip_enters_from_the_side_its_caption_moves_away_from(direction):
    params = sample_params(64, torch.Generator().manual_seed(3), direction=direction)
    axis = 0 if direction in ("right", "left") else 1
    half = half_extent(params.radius, params.shape)[:, axis]
    room = IMAGE_SIZE - 2 * half
    behind = params.start[:, axis] - half  # distance from the wall behind the heading
    if direction in ("left", "up"):
        behind = room - behind
    assert (behind <= room / 4 + 1e-4).all() and (behind >= -1e-4).all()
    other = params.start[:, 1 - axis]  # across the heading: anywhere
    assert other.max() - other.min() > 10


def test_read_out_recovers_the_drawn_attributes_on_real_clips():
    clips = sample_clips(200, 8, seed=5)
    frames = read_frames(clips.videos)
    assert all(c == want for row, want in zip(frames.colour, clips.params.colour) for c in row)
    hue_error = (frames.hue - clips.params.hue.view(-1, 1) % 360 + 180) % 360 - 180
    assert hue_error.abs().max() < 0.5
    centre = trajectory(clips.params, 8)
    assert (frames.x - centre[..., 0]).abs().max() < 0.3
    assert (frames.y - centre[..., 1]).abs().max() < 0.3
    dark = torch.tensor([b == "dark" for b in clips.params.background]).view(-1, 1)
    assert torch.equal(frames.background < 0, dark.expand(-1, 8))


def test_read_out_tells_yellow_from_green():
    # the prototype's nearest-RGB read-out called yellow green; hue does not
    for colour in ("yellow", "green"):
        clips = sample_clips(50, 2, seed=7, colour=colour)
        assert {c for row in read_frames(clips.videos).colour for c in row} == {colour}


def test_scores_of_real_clips():
    clips = sample_clips(64, 16, seed=2)
    scores = score_videos(clips.videos, clips.captions)
    assert scores["colour"] == 1.0 and scores["background"] == 1.0 and scores["found"] == 1.0
    assert scores["hue_drift"] < 1e-3 and scores["size_drift"] < 0.3
    assert 0.8 <= scores["speed"] <= 1.6
    assert scores["direction"] > 0.75  # a bounce in the first frames reverses a few
    assert scores["frame_change"] < 0.05


def test_scores_see_a_wrong_colour_flicker_and_a_static_video():
    clips = sample_clips(1, 16, seed=0, colour="red")
    video, text = clips.videos[0], clips.captions[0]
    blue = text.replace("red", "blue")
    assert score_video(video, blue).colour == 0.0
    static = video[:, :1].expand(-1, 16, -1, -1)
    assert score_video(static, text).speed == 0.0
    noisy = (
        video + 0.3 * torch.randn(video.shape, generator=torch.Generator().manual_seed(0))
    ).clamp(-1, 1)
    assert score_video(noisy, text).frame_change > 5 * score_video(video, text).frame_change
    empty = torch.full_like(video, -0.8)
    assert score_video(empty, text).found == 0.0
    noise = torch.rand(video.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert score_video(noise, text).found == 0.0  # colourful everywhere is not a shape
    with pytest.raises(ValueError, match="captions has 2 entries"):
        score_videos(clips.videos, [text, text])


def test_frame_state_match_follows_a_colour_change_frame_by_frame():
    red = sample_clips(1, 8, seed=3, colour="red", background="dark")
    blue = sample_clips(1, 8, seed=3, colour="blue", background="dark")
    spliced = torch.cat([red.videos[:, :, :5], blue.videos[:, :, 5:]], dim=2)  # red, then blue
    states = [red.captions[0]] * 4 + [blue.captions[0]] * 4
    assert frame_state_match(spliced, states).tolist() == [[1, 1, 1, 1, 0, 1, 1, 1]]
    light = [c.replace("dark", "light") for c in states]
    assert frame_state_match(spliced, light).sum() == 0  # right colour, wrong background
    with pytest.raises(ValueError, match="frame_captions has 3 entries for 8 frames"):
        frame_state_match(spliced, states[:3])


def test_every_colour_is_named_in_the_world():
    assert len(COLOURS) == 5
