"""vstar_lite.video: the SCVideo reshapes against explicit loops, and the toy clip."""

import pytest
import torch
from vstar_lite.video import (
    spatial_tokens,
    temporal_tokens,
    toy_clip,
    video_from_spatial_tokens,
    video_from_temporal_tokens,
)

B, C, F, H, W = 2, 3, 5, 4, 6  # every axis a different size, so no two can be confused


@pytest.fixture
def video() -> torch.Tensor:
    return torch.randn(B, C, F, H, W, generator=torch.Generator().manual_seed(0))


def test_spatial_tokens_match_loops(video):
    tokens = spatial_tokens(video)
    assert tokens.shape == (B * F, H * W, C)
    for i in range(B):
        for j in range(F):
            for y in range(H):
                for x in range(W):
                    assert torch.equal(tokens[i * F + j, y * W + x], video[i, :, j, y, x])


def test_temporal_tokens_match_loops(video):
    tokens = temporal_tokens(video)
    assert tokens.shape == (B * H * W, F, C)
    for i in range(B):
        for y in range(H):
            for x in range(W):
                for j in range(F):
                    assert torch.equal(tokens[(i * H + y) * W + x, j], video[i, :, j, y, x])


def test_inverses_round_trip(video):
    assert torch.equal(video_from_spatial_tokens(spatial_tokens(video), frames=F, height=H), video)
    assert torch.equal(video_from_temporal_tokens(temporal_tokens(video), batch=B, height=H), video)


@pytest.mark.parametrize("fn", [spatial_tokens, temporal_tokens])
def test_wrong_rank_names_the_argument(fn):
    with pytest.raises(ValueError, match=r"video must have 5 dimensions \(b c f h w\)"):
        fn(torch.zeros(3, 4, 5, 6))
    with pytest.raises(TypeError, match="video must be a torch.Tensor"):
        fn([[1.0]])


def test_inverse_errors_name_the_parameter(video):
    tokens = spatial_tokens(video)
    with pytest.raises(ValueError, match=r"frames=3 must divide tokens.shape\[0\]=10"):
        video_from_spatial_tokens(tokens, frames=3, height=H)
    with pytest.raises(ValueError, match=r"height=5 must divide tokens.shape\[1\]=24"):
        video_from_spatial_tokens(tokens, frames=F, height=5)
    with pytest.raises(ValueError, match="batch must be a positive int, got 0"):
        video_from_temporal_tokens(temporal_tokens(video), batch=0, height=H)
    with pytest.raises(ValueError, match=r"tokens must have 3 dimensions \(\(b h w\) f c\)"):
        video_from_temporal_tokens(video, batch=B, height=H)


def test_toy_clip_layout_range_and_determinism():
    clip = toy_clip(num_frames=6, height=24, width=40)
    assert clip.shape == (3, 6, 24, 40) and clip.dtype == torch.float32
    assert 0.0 <= float(clip.min()) and float(clip.max()) <= 1.0
    assert torch.equal(clip, toy_clip(num_frames=6, height=24, width=40))


def test_toy_clip_disc_moves_right_and_background_stays():
    clip = toy_clip(num_frames=8, height=32, width=32)
    red = (clip[0] > 0.9) & (clip[1] < 0.2)  # "f h w": the red disc's pixels
    xs = torch.arange(32, dtype=torch.float32)
    centre_x = [float((red[t].float().sum(0) * xs).sum() / red[t].sum()) for t in range(8)]
    assert all(later > earlier + 1 for earlier, later in zip(centre_x, centre_x[1:]))
    corner = clip[:, :, 1, 30]  # top right: neither object passes there
    assert torch.equal(corner, corner[:, :1].expand_as(corner))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_frames": 0}, "num_frames must be an int >= 1, got 0"),
        ({"height": 4}, "height must be an int >= 8, got 4"),
        ({"width": 16.0}, "width must be an int >= 8, got 16.0"),
    ],
)
def test_toy_clip_rejects_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        toy_clip(**kwargs)
