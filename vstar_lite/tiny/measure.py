"""Reading the world's attributes back from pixels, and the scores built on them.

Because every clip is drawn by code, a generated video can be checked exactly: is the shape the
caption's colour in every frame, does it keep its shade and size, does it move, does the video
flicker more than a real clip? The read-out works per frame:

- **object mask**: the background is grey (chroma ``max(rgb) - min(rgb)`` = 0) and the shapes are
  saturated (chroma >= 0.6 on a [0, 1] scale), so ``chroma > 0.25`` separates them; a frame
  whose mask is smaller than 4 or larger than 200 pixels (the largest shape covers about 117)
  has no readable object: noise, a smear or nothing;
- **colour**: the circular mean hue of the mask, assigned to the nearest caption hue (hue, not
  RGB distance: yellow and green are close in RGB and 65 degrees apart in hue);
- **position** and **size**: the chroma-weighted centroid and ``sqrt(area)`` of the mask;
- **background**: the mean grey outside the mask (dark below 0, light above).

Check the read-out on real clips before trusting it on generated ones (``tests/test_tiny_world.py``
and notebook 05 do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from vstar_lite.tiny.world import COLOURS, DIRECTIONS, parse_caption

__all__ = [
    "FrameReadout",
    "VideoScores",
    "frame_state_match",
    "read_frames",
    "score_video",
    "score_videos",
]

CHROMA_THRESHOLD = 0.25
EDGE_THRESHOLD = 0.1  # chroma above which a pixel counts towards the centroid
DIRECTION_STEPS = 4  # frames over which the initial direction is read
MIN_AREA = 4.0  # pixels: fewer means "no object in this frame"
MAX_AREA = 200.0  # pixels: the largest shape covers ~117; more is noise or a smear, not a shape
_NAMES = list(COLOURS)
_HUES = torch.tensor(list(COLOURS.values()))


@dataclass
class FrameReadout:
    """Per-frame attributes of a batch of videos, each ``"b f"``."""

    colour: list[list[str | None]]  # None where no object is found
    hue: torch.Tensor  # degrees, nan without object
    x: torch.Tensor  # centroid, pixels
    y: torch.Tensor
    size: torch.Tensor  # sqrt(area), pixels
    background: torch.Tensor  # mean grey outside the object, [-1, 1]


def read_frames(videos: torch.Tensor) -> FrameReadout:
    """Attributes of every frame of ``videos: "b 3 f h w"`` in ``[-1, 1]``."""
    if not isinstance(videos, torch.Tensor) or videos.ndim != 5 or videos.shape[1] != 3:
        raise ValueError(
            f"videos must have shape (b, 3, f, h, w), got {tuple(getattr(videos, 'shape', ()))}"
        )
    rgb = (videos.detach().float().cpu().clamp(-1, 1) + 1) / 2  # "b 3 f h w" in [0, 1]
    top, bottom = rgb.amax(dim=1), rgb.amin(dim=1)  # "b f h w"
    chroma = top - bottom
    mask = (chroma > CHROMA_THRESHOLD).float()
    area = mask.sum(dim=(-1, -2))  # "b f"
    found = (area >= MIN_AREA) & (area <= MAX_AREA)
    h, w = videos.shape[-2:]
    ys = torch.arange(h, dtype=torch.float32).view(1, 1, -1, 1) + 0.5
    xs = torch.arange(w, dtype=torch.float32).view(1, 1, 1, -1) + 0.5
    # centroid weighted by chroma: an edge pixel half covered counts half (sub-pixel accurate)
    soft = chroma * (chroma > EDGE_THRESHOLD)
    total = soft.sum(dim=(-1, -2)).clamp(min=1e-6)
    x = (soft * xs).sum(dim=(-1, -2)) / total
    y = (soft * ys).sum(dim=(-1, -2)) / total
    # hue of every pixel (degrees), then the circular mean over the mask
    r, g, b = rgb.unbind(dim=1)
    delta = chroma.clamp(min=1e-6)
    hue_sector = torch.where(
        top == r,
        ((g - b) / delta) % 6,
        torch.where(top == g, (b - r) / delta + 2, (r - g) / delta + 4),
    )
    angle = torch.deg2rad(hue_sector * 60.0)
    weight = mask * chroma
    mean_hue = torch.rad2deg(
        torch.atan2((weight * angle.sin()).sum((-1, -2)), (weight * angle.cos()).sum((-1, -2)))
    )
    mean_hue = torch.where(found, mean_hue % 360.0, torch.nan)
    distance = (mean_hue.unsqueeze(-1) - _HUES + 180.0) % 360.0 - 180.0  # "b f colours"
    nearest = distance.abs().argmin(dim=-1)
    colour = [
        [_NAMES[i] if ok else None for i, ok in zip(row_i, row_ok)]
        for row_i, row_ok in zip(nearest.tolist(), found.tolist())
    ]
    grey = rgb.mean(dim=1) * 2 - 1  # "b f h w"
    outside = 1 - mask
    background = (grey * outside).sum((-1, -2)) / outside.sum((-1, -2)).clamp(min=1.0)
    nan = torch.full_like(x, torch.nan)
    return FrameReadout(
        colour=colour,
        hue=mean_hue,
        x=torch.where(found, x, nan),
        y=torch.where(found, y, nan),
        size=torch.where(found, area.sqrt(), nan),
        background=background,
    )


@dataclass
class VideoScores:
    """Scores of one video against its caption (fractions in [0, 1], changes per frame)."""

    colour: float  # fraction of frames with the caption's colour
    background: float  # fraction of frames with the caption's background
    direction: float  # 1 if the first frames' mean motion is along the caption's direction
    found: float  # fraction of frames with an object
    frame_change: float  # mean |x_{t+1} - x_t| over pixels and frames, on [-1, 1]
    speed: float  # mean centroid movement per frame, pixels (dynamics)
    hue_drift: float  # std of the hue over frames, degrees (identity)
    size_drift: float  # std of the size over frames, pixels (identity)


def _nan_std(values: torch.Tensor) -> float:
    values = values[~values.isnan()]
    return float(values.std(unbiased=False)) if values.numel() > 1 else float("nan")


def _circular_std(hues: torch.Tensor) -> float:
    hues = hues[~hues.isnan()]
    if hues.numel() < 2:
        return float("nan")
    centre = torch.rad2deg(
        torch.atan2(torch.deg2rad(hues).sin().mean(), torch.deg2rad(hues).cos().mean())
    )
    return float(((hues - centre + 180.0) % 360.0 - 180.0).pow(2).mean().sqrt())


def score_video(video: torch.Tensor, caption: str) -> VideoScores:
    """Scores of ``video: "3 f h w"`` (or ``"1 3 f h w"``) against ``caption``."""
    if video.ndim == 4:
        video = video.unsqueeze(0)
    wanted = parse_caption(caption)
    frames = read_frames(video)
    colours = frames.colour[0]
    f = len(colours)
    dark = frames.background[0] < 0
    background_ok = dark if wanted["background"] == "dark" else ~dark
    x, y = frames.x[0], frames.y[0]
    steps = torch.stack([x.diff(), y.diff()], dim=-1)  # "f-1 2"
    valid = ~steps.isnan().any(dim=-1)
    speed = float(steps[valid].norm(dim=-1).mean()) if valid.any() else float("nan")
    opening = steps[:DIRECTION_STEPS]  # before the first bounce, mostly
    opening = opening[~opening.isnan().any(dim=-1)]
    direction = torch.tensor(DIRECTIONS[wanted["direction"]])
    moving = float((opening.mean(dim=0) @ direction) > 0) if len(opening) else 0.0
    change = float((video[:, :, 1:] - video[:, :, :-1]).abs().mean()) if f > 1 else 0.0
    return VideoScores(
        colour=sum(c == wanted["colour"] for c in colours) / f,
        background=float(background_ok.float().mean()),
        direction=moving,
        found=sum(c is not None for c in colours) / f,
        frame_change=change,
        speed=speed,
        hue_drift=_circular_std(frames.hue[0]),
        size_drift=_nan_std(frames.size[0]),
    )


def score_videos(videos: torch.Tensor, captions: list[str]) -> dict[str, float]:
    """Mean of :func:`score_video` over a batch ``"b 3 f h w"`` (nan-aware)."""
    if len(captions) != videos.shape[0]:
        raise ValueError(f"captions has {len(captions)} entries for {videos.shape[0]} videos")
    rows = [score_video(v, c) for v, c in zip(videos, captions)]
    table = torch.tensor([list(vars(r).values()) for r in rows], dtype=torch.float64)
    return {
        name: float(table[:, i][~table[:, i].isnan()].mean())
        for i, name in enumerate(vars(rows[0]))
    }


def frame_state_match(videos: torch.Tensor, frame_captions: Sequence[str]) -> torch.Tensor:
    """``"b f"``: 1.0 where frame ``i`` shows the colour *and* background of ``frame_captions[i]``.

    For video synopsis prompting, ``frame_captions`` names the state each frame should be in
    (e.g. the sub-prompt nearest in time), so the mean over a stretch of frames says how far the
    video follows the synopsis there. A frame without a readable object does not match.
    """
    if len(frame_captions) != videos.shape[2]:
        raise ValueError(
            f"frame_captions has {len(frame_captions)} entries for {videos.shape[2]} frames"
        )
    frames = read_frames(videos)
    wanted = [parse_caption(c) for c in frame_captions]
    match = torch.zeros(videos.shape[0], videos.shape[2])
    for b, colours in enumerate(frames.colour):
        for i, (colour, want) in enumerate(zip(colours, wanted)):
            dark = bool(frames.background[b, i] < 0)
            match[b, i] = float(colour == want["colour"] and dark == (want["background"] == "dark"))
    return match
