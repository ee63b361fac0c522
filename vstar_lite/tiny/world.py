"""A synthetic video world: one coloured shape moving over a grey background.

Every clip is drawn by code from a handful of numbers, so any attribute can be read back from the
pixels exactly and nothing is downloaded. The caption names four attributes::

    "a red circle moves right on a dark background"
       colour shape       direction   background

Real videos need temporal modelling because much of what stays constant in a clip is *not* in the
caption, and because motion is not predictable from the caption alone. The world copies both:

- **uncaptioned constants**: the exact shade (hue jitter, saturation, value), the size, the exact
  background grey, the start position and the speed are drawn per clip. A model that generates
  frames independently gets a different shade and size in every frame; only by looking at other
  frames (temporal attention) can it keep them;
- **real motion**: 0.8-1.6 pixels per frame, bouncing off the borders, so where the shape is in
  frame ``i`` is best predicted from frames ``i - 1`` and ``i + 1``, not from the caption. A clip
  starts in the quarter of the frame its caption moves away from (a shape that "moves right"
  enters from the left), as a camera would frame it;
- **slow light changes**: the background brightness drifts along a slow sine of random amplitude,
  period and phase, so every pixel, not only the moving edge, is more similar to nearby frames
  than to distant ones.

**Why a circle and a bar, entering from one side.** A diffusion model learns a caption word
only as far as the word changes what the denoiser should output. Colour and background change
every pixel of the object or the frame, so they are learned first. An earlier version of this
world drew circles and squares of equal area anywhere in the frame: the two shapes then differ
only in their corners, less than one pixel of the 8 x 8 latent grid, and the mean clip of "moves
right" equals that of "moves left"; a tiny model trained on a CPU never learned either word. A
bar (2.2 times as wide as high, the circle's area) and a side of entry are visible at the
latent's resolution.

Clips are ``"b c f h w"`` float tensors in ``[-1, 1]``, 32 x 32 pixels, 16 frames for training
(any number of frames can be drawn).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "BACKGROUNDS",
    "BAR",
    "COLOURS",
    "DIRECTIONS",
    "IMAGE_SIZE",
    "SHAPES",
    "Clips",
    "WORLD_VERSION",
    "WorldParams",
    "caption",
    "half_extent",
    "parse_caption",
    "render",
    "sample_clips",
    "sample_params",
]

IMAGE_SIZE = 32
COLOURS: dict[str, float] = {
    "red": 0.0,
    "yellow": 55.0,
    "green": 120.0,
    "blue": 225.0,
    "purple": 285.0,
}
SHAPES = ("circle", "bar")
BAR = (1.3, 0.6)  # half-width and half-height of a bar, in radii: the circle's area
DIRECTIONS: dict[str, tuple[float, float]] = {
    "right": (1.0, 0.0),
    "left": (-1.0, 0.0),
    "down": (0.0, 1.0),
    "up": (0.0, -1.0),
}
# grey level ranges in [-1, 1] for the two captioned backgrounds
BACKGROUNDS: dict[str, tuple[float, float]] = {"dark": (-0.9, -0.6), "light": (0.25, 0.55)}

HUE_JITTER = 8.0  # degrees, uncaptioned
RADIUS = (3.5, 6.0)  # pixels, uncaptioned
SPEED = (0.8, 1.6)  # pixels per frame, uncaptioned
DRIFT_AMPLITUDE = (0.0, 0.12)  # background brightness drift, uncaptioned
DRIFT_PERIOD = (24.0, 48.0)  # frames
EXAMPLE_CAPTION = "a red circle moves right on a dark background"
# what this version of the world draws, recorded beside measurements made on it
WORLD_VERSION = "circles and bars, entering from the side behind their heading"


def caption(colour: str, shape: str, direction: str, background: str) -> str:
    """The caption grammar: ``"a {colour} {shape} moves {direction} on a {b} background"``."""
    return f"a {colour} {shape} moves {direction} on a {background} background"


def parse_caption(text: str) -> dict[str, str]:
    """Inverse of :func:`caption`: the four attributes, or a ``ValueError`` saying what is wrong."""
    words = text.lower().split()
    template = [
        "a",
        "<colour>",
        "<shape>",
        "moves",
        "<direction>",
        "on",
        "a",
        "<background>",
        "background",
    ]
    if len(words) != len(template):
        raise ValueError(f"caption must read like {EXAMPLE_CAPTION!r}, got {text!r}")
    found = {}
    for word, slot in zip(words, template):
        if slot.startswith("<"):
            name = slot[1:-1]
            options = {
                "colour": COLOURS,
                "shape": SHAPES,
                "direction": DIRECTIONS,
                "background": BACKGROUNDS,
            }[name]
            if word not in options:
                raise ValueError(f"unknown {name} {word!r} in caption; valid: {sorted(options)}")
            found[name] = word
        elif word != slot:
            raise ValueError(f"caption must read like {EXAMPLE_CAPTION!r}, got {text!r}")
    return found


@dataclass
class WorldParams:
    """Everything that defines a batch of clips, one entry per clip (tensors of shape ``"b"``)."""

    colour: list[str]
    shape: list[str]
    direction: list[str]
    background: list[str]
    hue: torch.Tensor  # degrees
    saturation: torch.Tensor
    value: torch.Tensor
    radius: torch.Tensor
    start: torch.Tensor  # "b 2", pixels (x, y)
    speed: torch.Tensor
    grey: torch.Tensor
    drift_amplitude: torch.Tensor
    drift_period: torch.Tensor
    drift_phase: torch.Tensor

    @property
    def captions(self) -> list[str]:
        return [caption(*a) for a in zip(self.colour, self.shape, self.direction, self.background)]


def _uniform(low: float, high: float, n: int, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _choice(options: list[str] | tuple[str, ...], n: int, generator: torch.Generator) -> list[str]:
    index = torch.randint(len(options), (n,), generator=generator)
    return [options[i] for i in index.tolist()]


def sample_params(
    batch: int,
    generator: torch.Generator,
    colour: str | None = None,
    shape: str | None = None,
    direction: str | None = None,
    background: str | None = None,
) -> WorldParams:
    """Draw ``batch`` clips' parameters; captioned attributes may be fixed (``colour="red"``)."""
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive int, got {batch!r}")
    fixed = {"colour": colour, "shape": shape, "direction": direction, "background": background}
    pools = {
        "colour": list(COLOURS),
        "shape": list(SHAPES),
        "direction": list(DIRECTIONS),
        "background": list(BACKGROUNDS),
    }
    chosen = {}
    for name, pool in pools.items():  # always draw, so fixing one attribute keeps the others
        drawn = _choice(pool, batch, generator)
        if fixed[name] is not None and fixed[name] not in pool:
            raise ValueError(f"{name} must be one of {pool}, got {fixed[name]!r}")
        chosen[name] = [fixed[name]] * batch if fixed[name] is not None else drawn
    radius = _uniform(*RADIUS, batch, generator)
    margin = half_extent(radius, chosen["shape"])  # "b 2"
    where = torch.rand(batch, 2, generator=generator)  # "b 2": 0 = low border, 1 = high
    heading = torch.tensor([DIRECTIONS[d] for d in chosen["direction"]])  # "b 2"
    # along the heading, start in the quarter behind it: where -> where / 4 (or 1 - where / 4)
    where = torch.where(heading > 0, where / 4, torch.where(heading < 0, 1 - where / 4, where))
    start = margin + (IMAGE_SIZE - 2 * margin) * where
    grey_low = torch.tensor([BACKGROUNDS[b][0] for b in chosen["background"]])
    grey_high = torch.tensor([BACKGROUNDS[b][1] for b in chosen["background"]])
    return WorldParams(
        **chosen,
        hue=torch.tensor([COLOURS[c] for c in chosen["colour"]])
        + _uniform(-HUE_JITTER, HUE_JITTER, batch, generator),
        saturation=_uniform(0.75, 1.0, batch, generator),
        value=_uniform(0.8, 1.0, batch, generator),
        radius=radius,
        start=start,
        speed=_uniform(*SPEED, batch, generator),
        grey=grey_low + (grey_high - grey_low) * torch.rand(batch, generator=generator),
        drift_amplitude=_uniform(*DRIFT_AMPLITUDE, batch, generator),
        drift_period=_uniform(*DRIFT_PERIOD, batch, generator),
        drift_phase=_uniform(0.0, 2 * math.pi, batch, generator),
    )


def hsv_to_rgb(hue: torch.Tensor, saturation: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``"b"`` hue in degrees, saturation and value in [0, 1] -> ``"b 3"`` RGB in [0, 1]."""
    h = (hue % 360.0) / 60.0
    k = (torch.tensor([5.0, 3.0, 1.0]) + h.unsqueeze(-1)) % 6.0  # "b 3"
    ramp = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return value.unsqueeze(-1) * (1.0 - saturation.unsqueeze(-1) * ramp)


def half_extent(radius: torch.Tensor, shapes: list[str]) -> torch.Tensor:
    """``"b 2"`` half-width and half-height of each shape, in pixels (a circle's are its radius)."""
    scale = torch.tensor([BAR if s == "bar" else (1.0, 1.0) for s in shapes])  # "b 2"
    return radius.unsqueeze(1) * scale


def trajectory(params: WorldParams, num_frames: int) -> torch.Tensor:
    """Centre of the shape per frame, ``"b f 2"`` (x, y) in pixels, bouncing off the borders."""
    step = torch.tensor([DIRECTIONS[d] for d in params.direction]) * params.speed.unsqueeze(1)
    t = torch.arange(num_frames, dtype=torch.float32).view(1, -1, 1)  # "1 f 1"
    low = half_extent(params.radius, params.shape).unsqueeze(1)  # "b 1 2"
    span = IMAGE_SIZE - 2 * low  # room to move in
    free = params.start.unsqueeze(1) - low + step.unsqueeze(1) * t  # unbounded path, from low
    folded = torch.remainder(free, 2 * span)  # reflect at both borders: a triangle wave
    return low + torch.where(folded > span, 2 * span - folded, folded)


def render(params: WorldParams, num_frames: int = 16) -> torch.Tensor:
    """Draw the clips: ``"b c f h w"`` in ``[-1, 1]`` with ``c = 3`` (RGB)."""
    if not isinstance(num_frames, int) or num_frames < 1:
        raise ValueError(f"num_frames must be a positive int, got {num_frames!r}")
    b = len(params.colour)
    centre = trajectory(params, num_frames)  # "b f 2"
    grid = torch.arange(IMAGE_SIZE, dtype=torch.float32) + 0.5
    dx = grid.view(1, 1, 1, -1) - centre[..., 0].view(b, num_frames, 1, 1)  # "b f 1 w"
    dy = grid.view(1, 1, -1, 1) - centre[..., 1].view(b, num_frames, 1, 1)  # "b f h 1"
    radius = params.radius.view(b, 1, 1, 1)
    is_bar = torch.tensor([s == "bar" for s in params.shape]).view(b, 1, 1, 1)
    # signed distance to the border, in pixels (negative inside); a bar is BAR radii wide and high
    circle = torch.sqrt(dx**2 + dy**2) - radius
    bar = torch.maximum(dx.abs() - BAR[0] * radius, dy.abs() - BAR[1] * radius)
    coverage = torch.clamp(0.5 - torch.where(is_bar, bar, circle), 0.0, 1.0)  # "b f h w"
    t = torch.arange(num_frames, dtype=torch.float32).view(1, -1)
    drift = params.drift_amplitude.view(b, 1) * torch.sin(
        2 * math.pi * t / params.drift_period.view(b, 1) + params.drift_phase.view(b, 1)
    )  # "b f"
    grey = (params.grey.view(b, 1) + drift).view(b, 1, num_frames, 1, 1)  # "b 1 f 1 1"
    rgb = hsv_to_rgb(params.hue, params.saturation, params.value) * 2 - 1  # "b 3" in [-1, 1]
    colour = rgb.view(b, 3, 1, 1, 1)
    alpha = coverage.unsqueeze(1)  # "b 1 f h w"
    return grey * (1 - alpha) + colour * alpha


@dataclass
class Clips:
    """A batch of rendered clips with their captions and the parameters that drew them."""

    videos: torch.Tensor  # "b c f h w"
    captions: list[str]
    params: WorldParams


def sample_clips(
    batch: int, num_frames: int = 16, seed: int | torch.Generator = 0, **fixed: str
) -> Clips:
    """``batch`` random clips, deterministic per ``seed``; ``fixed`` pins captioned attributes."""
    generator = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    params = sample_params(batch, generator, **fixed)
    return Clips(render(params, num_frames), params.captions, params)
