"""Reading the world's attributes back from pixels, and the scores built on them.

Because every clip is drawn by code, a generated video can be checked exactly: is the shape the
caption's colour in every frame, does it keep its shade and size, does it move, does the video
flicker more than a real clip? The read-out works per frame:

- **object mask**: the background is grey (chroma ``max(rgb) - min(rgb)`` = 0) and the shapes are
  saturated (chroma >= 0.6 on a [0, 1] scale), so ``chroma > 0.25`` separates them; a frame
  whose mask is smaller than 4 or larger than 200 pixels (the largest shape covers about 128),
  or fills less than 0.4 of its bounding box (a real shape fills 0.64 or more: a disc about
  pi / 4; specks scattered over the frame fill almost nothing), has no readable object: noise,
  specks, a smear or nothing;
- **colour**: the circular mean hue of the mask, assigned to the nearest caption hue (hue, not
  RGB distance: yellow and green are close in RGB and 65 degrees apart in hue);
- **position** and **size**: the chroma-weighted centroid and ``sqrt(area)`` of the mask;
- **background**: the mean grey outside the mask (dark below 0, light above).

Check the read-out on real clips before trusting it on generated ones (``tests/test_tiny_world.py``
and notebook 05 do).

**Clip scores** (:func:`score_clips`, :func:`summarize`) build on the per-frame read-out and are
calibrated: on real clips every one reads >= 0.97 (``tests/test_measure.py`` keeps it so).

- **shape**: a bar is about 2.2 times as wide as it is high, a circle as wide as high. With
  ``alpha`` the coverage of a pixel (its chroma over the shape's peak chroma: grey adds equal
  amounts to R, G and B, so chroma is exactly proportional to coverage), the soft bounding box is
  ``sum_x max_y alpha`` wide and ``sum_y max_x alpha`` high, and ``aspect = width / height``:
  about 1 for the world's circles, about 2.2 for its bars; :data:`ASPECT_THRESHOLD` separates
  them, and a blur of a pixel or two does not move a shape across it;
- **background**: the mean grey of the pixels at least one pixel away from the shape, inside the
  range real clips of the caption's background use (its grey range, widened by the largest light
  drift and a small margin);
- a frame is **correct** when a shape is found with the caption's colour and shape on the
  caption's background;
- **direction**: the fraction of steps that move along the caption's direction, where the heading
  flips when the shape bounces off the wall it was heading for (a step next to that wall may go
  either way);
- **speed**: the median centroid step, pixels per frame; **teleports**: steps longer than
  :data:`TELEPORT` pixels (real clips never move more than 1.6). Across frames where no shape is
  found, the jump between the found frames on either side is spread over the steps between
  them, so a shape that vanishes and reappears elsewhere still teleports;
- **frame change**: the mean absolute frame-to-frame pixel change, divided by that of real clips
  of the same caption (1 = as much change as real footage);
- **shade and size drift**: the standard deviation over frames of the hue (degrees) and of the
  size (pixels), constant in real clips.

Every summary carries a 95% bootstrap interval over videos (:func:`bootstrap_interval`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from vstar_lite.tiny.world import (
    BACKGROUNDS,
    COLOURS,
    DIRECTIONS,
    DRIFT_AMPLITUDE,
    SHAPES,
    parse_caption,
    sample_clips,
)

__all__ = [
    "ASPECT_THRESHOLD",
    "COMPACT_FILL",
    "CLIP_SCORES",
    "ClipScores",
    "FrameReadout",
    "VideoScores",
    "bootstrap_interval",
    "frame_letters",
    "frame_state_match",
    "mask_fill",
    "read_frames",
    "real_frame_change",
    "score_clips",
    "score_video",
    "score_videos",
    "summarize",
]

CHROMA_THRESHOLD = 0.25
EDGE_THRESHOLD = 0.1  # chroma above which a pixel counts towards the centroid
DIRECTION_STEPS = 4  # frames over which the initial direction is read
MIN_AREA = 4.0  # pixels: fewer means "no object in this frame"
MAX_AREA = 200.0  # pixels: the largest shape covers ~128; more is noise or a smear, not a shape
COMPACT_FILL = 0.4  # a shape's mask fills >= this share of its bounding box (real: >= 0.64)
ASPECT_THRESHOLD = 1.5  # width / height of the soft bounding box: circles ~1, bars ~2.2
BACKGROUND_MARGIN = 0.05  # grey levels beyond the real range still accepted
TELEPORT = 3.0  # pixels per frame: real shapes move at most 1.6
WALL_SLACK = 2.0  # pixels: a step this close to the wall ahead may be a bounce
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
    shape: list[list[str | None]]  # "circle" / "bar", None where no object is found
    width: torch.Tensor  # soft bounding box, pixels; nan without object
    height: torch.Tensor
    aspect: torch.Tensor  # width / height: ~1 circle, ~2.2 bar; nan
    clean_background: torch.Tensor  # mean grey at least one pixel away from the shape
    fill: torch.Tensor  # share of its bounding box the coloured mask fills; nan if < MIN_AREA


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
    fill = _fill(mask > 0)
    found = (area >= MIN_AREA) & (area <= MAX_AREA) & (fill >= COMPACT_FILL)
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
    width, height, clean_background = _soft_box_and_clean_background(chroma, mask, grey)
    width, height = torch.where(found, width, nan), torch.where(found, height, nan)
    aspect = width / height.clamp(min=1e-6)
    shape = [
        [(SHAPES[1] if v > ASPECT_THRESHOLD else SHAPES[0]) if ok else None
         for v, ok in zip(row_v, row_ok)]
        for row_v, row_ok in zip(aspect.tolist(), found.tolist())
    ]  # fmt: skip
    return FrameReadout(
        colour=colour,
        hue=mean_hue,
        x=torch.where(found, x, nan),
        y=torch.where(found, y, nan),
        size=torch.where(found, area.sqrt(), nan),
        background=background,
        shape=shape,
        width=width,
        height=height,
        aspect=aspect,
        clean_background=clean_background,
        fill=torch.where(area >= MIN_AREA, fill, nan),
    )


def _fill(mask: torch.Tensor) -> torch.Tensor:
    """``"b f"`` share of its bounding box that the boolean ``mask: "b f h w"`` fills (1 where
    the mask is empty)."""
    rows, cols = mask.any(dim=-1), mask.any(dim=-2)  # "b f h", "b f w"

    def span(hit: torch.Tensor) -> torch.Tensor:
        index = torch.arange(hit.shape[-1])
        first = torch.where(hit, index, hit.shape[-1]).amin(-1)
        last = torch.where(hit, index, -1).amax(-1)
        return (last - first + 1).clamp(min=1)

    return mask.sum(dim=(-1, -2)).float() / (span(rows) * span(cols)).float()


def mask_fill(videos: torch.Tensor) -> torch.Tensor:
    """How much of its bounding box the coloured mask of each frame fills, ``"b f"`` (nan where
    fewer than ``MIN_AREA`` pixels are coloured): :attr:`FrameReadout.fill` of
    :func:`read_frames`. A shape fills most of its box (a disc about pi / 4, real clips 0.64 or
    more); specks scattered over a frame fill almost none of theirs, so a frame whose mask fills
    less than :data:`COMPACT_FILL` has no object found."""
    return read_frames(videos).fill


def _soft_box_and_clean_background(
    chroma: torch.Tensor, mask: torch.Tensor, grey: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``"b f"`` width and height of the soft bounding box, and the grey at least one pixel away
    from any colour (see the module docstring)."""
    inside = chroma.masked_fill(mask == 0, torch.nan).flatten(-2)  # "b f (h w)"
    peak = torch.nanquantile(inside, 0.9, dim=-1).nan_to_num(1.0).clamp(min=CHROMA_THRESHOLD)
    alpha = (chroma / peak[..., None, None]).clamp(0, 1) * (chroma > EDGE_THRESHOLD)
    width = alpha.amax(dim=-2).sum(dim=-1)
    height = alpha.amax(dim=-1).sum(dim=-1)
    coloured = (chroma > EDGE_THRESHOLD).float().flatten(0, 1).unsqueeze(1)  # "(b f) 1 h w"
    near = torch.nn.functional.max_pool2d(coloured, 3, stride=1, padding=1).view(chroma.shape)
    away = 1 - near
    clean = (grey * away).sum((-1, -2)) / away.sum((-1, -2)).clamp(min=1.0)
    return width, height, clean


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


# ------------------------------------------------------------------------------ clip scores
def background_range(background: str) -> tuple[float, float]:
    """Grey levels real clips of ``background`` show (drawn range, widened by the largest light
    drift and :data:`BACKGROUND_MARGIN`)."""
    low, high = BACKGROUNDS[background]
    slack = DRIFT_AMPLITUDE[1] + BACKGROUND_MARGIN
    return low - slack, high + slack


@dataclass
class ClipScores:
    """Scores of one video against its caption; fractions in [0, 1] unless named otherwise."""

    correct: float  # frames with the caption's colour and shape on its background
    found: float  # frames with a readable shape
    colour: float  # frames with the caption's colour
    shape: float  # frames with the caption's shape
    background: float  # frames whose background grey is in the caption's range
    direction: float  # steps consistent with the caption's direction (bounces allowed)
    teleports: float  # steps longer than TELEPORT pixels
    speed: float  # median centroid step, pixels per frame
    change_ratio: float  # frame-to-frame change / that of real clips of the caption
    hue_drift: float  # std of the hue over frames, degrees
    size_drift: float  # std of the size over frames, pixels


CLIP_SCORES: tuple[str, ...] = tuple(ClipScores.__dataclass_fields__)


def _direction_consistency(
    position: torch.Tensor, length: torch.Tensor, sign: float, extent: int
) -> float:
    """Fraction of steps along ``position`` (``"f"``, nan where lost) that move in the current
    heading; the heading starts as ``sign`` and flips at a bounce, a step whose shape (``length``
    along the axis, pixels) is within :data:`WALL_SLACK` of the wall ahead (such a step may go
    either way)."""
    heading, good, total = sign, 0, 0
    for i in range(len(position) - 1):
        a, b = float(position[i]), float(position[i + 1])
        total += 1
        if a != a or b != b:  # nan: the shape is lost in one of the two frames
            continue
        step = b - a
        half = 0.5 * float(length[i])
        room = (extent - a if heading > 0 else a) - half
        if room < WALL_SLACK:
            good += 1
            if step * heading < 0:
                heading = -heading
        elif step * heading > 0:
            good += 1
    return good / total if total else float("nan")


def _steps_across_gaps(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Centroid step per frame, pixels, between consecutive frames where the shape is found
    (``x``, ``y``: ``"f"``, nan where lost). Across a gap of lost frames the distance between
    the two found frames is spread evenly over the gap's steps, each counted: a shape that fades
    out and reappears 15 px away over two steps moves 7.5 px in each, a teleport twice (losing
    it for those frames does not hide the jump)."""
    found = (~x.isnan() & ~y.isnan()).nonzero().flatten()
    if len(found) < 2:
        return torch.zeros(0)
    gap = found.diff()  # steps between consecutive found frames
    distance = torch.stack([x[found].diff(), y[found].diff()], -1).norm(dim=-1)
    return (distance / gap).repeat_interleave(gap)


def real_frame_change(captions: Sequence[str], num_frames: int, clips: int = 16) -> dict:
    """Mean frame-to-frame change of ``clips`` real clips per distinct caption (fixed seed)."""
    change = {}
    for text in sorted(set(captions)):
        real = sample_clips(clips, num_frames, 2024, **parse_caption(text)).videos
        change[text] = float((real[:, :, 1:] - real[:, :, :-1]).abs().mean())
    return change


def score_clips(videos: torch.Tensor, captions: Sequence[str]) -> list[ClipScores]:
    """:class:`ClipScores` of every video of ``"b 3 f h w"`` against its caption."""
    if videos.ndim != 5 or len(captions) != videos.shape[0]:
        raise ValueError(
            f"need videos (b, 3, f, h, w) and one caption each, got {tuple(videos.shape)} "
            f"and {len(captions)} captions"
        )
    f, extent = videos.shape[2], videos.shape[-1]
    if f < 2:
        raise ValueError(f"videos need at least 2 frames to be scored, got {f}")
    frames = read_frames(videos)
    reference = real_frame_change(captions, f)
    rows = []
    for i, text in enumerate(captions):
        want = parse_caption(text)
        low, high = background_range(want["background"])
        grey = frames.clean_background[i]
        background_ok = (grey >= low) & (grey <= high)
        colour_ok = torch.tensor([c == want["colour"] for c in frames.colour[i]])
        shape_ok = torch.tensor([s == want["shape"] for s in frames.shape[i]])
        dx, dy = DIRECTIONS[want["direction"]]
        along, length = (frames.x[i], frames.width[i]) if dx else (frames.y[i], frames.height[i])
        steps = _steps_across_gaps(frames.x[i], frames.y[i])
        change = float((videos[i, :, 1:] - videos[i, :, :-1]).abs().mean())
        rows.append(
            ClipScores(
                correct=float((colour_ok & shape_ok & background_ok).float().mean()),
                found=sum(c is not None for c in frames.colour[i]) / f,
                colour=float(colour_ok.float().mean()),
                shape=float(shape_ok.float().mean()),
                background=float(background_ok.float().mean()),
                direction=_direction_consistency(along, length, dx + dy, extent),
                teleports=float((steps > TELEPORT).float().mean()) if len(steps) else 0.0,
                speed=float(steps.median()) if len(steps) else float("nan"),
                change_ratio=change / reference[text],
                hue_drift=_circular_std(frames.hue[i]),
                size_drift=_nan_std(frames.size[i]),
            )
        )
    return rows


def frame_letters(videos: torch.Tensor) -> list[str]:
    """The read-out of every frame as one letter, a line per video ``"b 3 f h w"``: the colour's
    initial, lower case for a circle and upper case for a bar, ``.`` where no shape is found
    (``"rrrrPPPbbb"``: a red circle, then a purple bar, then a blue circle)."""
    frames = read_frames(videos)
    return ["".join("." if c is None else (c[0].upper() if s == "bar" else c[0])
                    for c, s in zip(colours, shapes))
            for colours, shapes in zip(frames.colour, frames.shape)]  # fmt: skip


def bootstrap_interval(
    values: Sequence[float] | torch.Tensor, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` (nan ignored) and its 95% percentile
    bootstrap interval over resampled values (videos), deterministic per ``seed``."""
    data = torch.as_tensor(values, dtype=torch.float64).flatten()
    data = data[~data.isnan()]
    if data.numel() == 0:
        return (float("nan"),) * 3
    generator = torch.Generator().manual_seed(seed)
    index = torch.randint(data.numel(), (resamples, data.numel()), generator=generator)
    means = data[index].mean(dim=1)
    low, high = torch.quantile(means, torch.tensor([0.025, 0.975], dtype=torch.float64))
    return float(data.mean()), float(low), float(high)


def summarize(rows: Sequence[ClipScores]) -> dict[str, tuple[float, float, float]]:
    """Every score of :class:`ClipScores` as ``(mean, low, high)`` over the videos of ``rows``."""
    return {name: bootstrap_interval([getattr(r, name) for r in rows]) for name in CLIP_SCORES}
