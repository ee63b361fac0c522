"""Training recipes of the tiny model, as plain data: no torch, no diffusers.

The command line reads them to build ``vstar-lite train --help`` (which stays fast because this
module imports nothing heavy); :mod:`vstar_lite.tiny.training` runs them.

- :class:`AutoencoderConfig`: stage 1, the ``AutoencoderKL`` that maps 32 x 32 frames to 8 x 8
  latents;
- :class:`DenoiserConfig`: stage 2, the ``UNet3DConditionModel`` (and stage 0, the text
  encoder's word pre-training);
- :data:`PRESETS`: the recipes ``vstar-lite train --preset`` offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

__all__ = [
    "LAYOUTS",
    "PREDICTION_TYPES",
    "PRESETS",
    "QUICK_DENOISER",
    "SHIPPED_DENOISER",
    "TEXT_ENCODERS",
    "ANIMATEDIFF_DENOISER",
    "AutoencoderConfig",
    "DenoiserConfig",
    "Preset",
]

PREDICTION_TYPES = ("sample", "v_prediction", "epsilon")  # the network outputs x0, v or noise
LAYOUTS = ("modelscope", "scvideo", "animatediff")
TEXT_ENCODERS = ("train", "shipped")  # stage 0 here, or the shipped model's (frozen)


def _check_positive_ints(config: object, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def _check_numbers(config: object, ranges: dict[str, tuple[float, float]]) -> None:
    """Each named field is a number in its closed range ``[low, high]`` (NaN is not)."""
    for name, (low, high) in ranges.items():
        value = getattr(config, name)
        if not (isinstance(value, (int, float)) and low <= value <= high):
            raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")


def _check_common(config: object) -> None:
    _check_positive_ints(config, ("steps", "log_every", "checkpoint_every"))
    lr, ema = getattr(config, "lr"), getattr(config, "ema")
    if not (isinstance(lr, (int, float)) and 0 < lr < 1):
        raise ValueError(f"lr must be in (0, 1), got {lr!r}")
    if not (isinstance(ema, (int, float)) and 0 <= ema < 1):
        raise ValueError(f"ema must be in [0, 1) (0 turns it off), got {ema!r}")
    warmup = getattr(config, "warmup")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")


@dataclass(frozen=True)
class AutoencoderConfig:
    """Stage 1: ``clips x frames_per_clip`` frames per step; loss L1 + MSE (weighted by
    :func:`shape_weight`) + ``kl_weight`` x KL. ``latent_noise``: the decoder learns from
    latents with Gaussian noise added, of a standard deviation drawn per frame from
    ``[0, latent_noise]`` times that of the batch's latents, so that the small errors a
    denoiser leaves do not change what the decoded frame shows."""

    steps: int = 1500
    clips: int = 8
    frames_per_clip: int = 4
    lr: float = 1e-3
    warmup: int = 50
    kl_weight: float = 1e-6
    shape_weight: float = 10.0
    latent_noise: float = 0.0
    ema: float = 0.999
    seed: int = 0
    log_every: int = 25
    checkpoint_every: int = 250

    def __post_init__(self) -> None:
        _check_common(self)
        _check_positive_ints(self, ("clips", "frames_per_clip"))
        if not 0 <= self.kl_weight < 1:
            raise ValueError(f"kl_weight must be in [0, 1), got {self.kl_weight!r}")
        if not 0 <= self.shape_weight <= 1000:
            raise ValueError(f"shape_weight must be in [0, 1000], got {self.shape_weight!r}")
        _check_numbers(self, {"latent_noise": (0, 2)})


@dataclass(frozen=True)
class DenoiserConfig:
    """Stage 2: the UNet (``layout``, ``width``) and the text encoder, ``batch`` clips of
    ``frames`` frames per step, drawn from a pool of ``latent_pool`` clips encoded once
    (``0``: fresh clips, encoded at every step). ``text_encoder="shipped"`` takes the shipped
    model's trained text encoder, frozen, in place of stage 0 (so that two UNets read the very
    same text); it needs ``text_pretrain=0`` and ``text_lr=0``."""

    layout: str = "modelscope"
    prediction_type: str = "sample"
    width: tuple[int, int] = (32, 64)
    steps: int = 3000
    batch: int = 8
    frames: int = 16
    lr: float = 1e-3
    warmup: int = 100
    grad_clip: float = 1.0
    caption_dropout: float = 0.1
    ema: float = 0.999
    latent_pool: int = 4096
    text_lr: float = 1.0
    text_pretrain: int = 0
    text_encoder: str = "train"
    object_weight: float = 0.0
    snr_gamma: float = 0.0
    seed: int = 0
    log_every: int = 25
    checkpoint_every: int = 250

    def __post_init__(self) -> None:
        _check_common(self)
        _check_positive_ints(self, ("batch", "frames"))
        if not (isinstance(self.latent_pool, int) and 0 <= self.latent_pool <= 65536):
            raise ValueError(f"latent_pool must be an int in [0, 65536], got {self.latent_pool!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")
        if self.prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"prediction_type must be one of {PREDICTION_TYPES}, got {self.prediction_type!r}"
            )
        _check_numbers(self, {"text_lr": (0, 10), "object_weight": (0, 100), "snr_gamma": (0, 100)})
        if not (isinstance(self.text_pretrain, int) and 0 <= self.text_pretrain <= 10000):
            raise ValueError(
                f"text_pretrain must be an int in [0, 10000], got {self.text_pretrain!r}"
            )
        if self.text_encoder not in TEXT_ENCODERS:
            raise ValueError(
                f"text_encoder must be one of {TEXT_ENCODERS}, got {self.text_encoder!r}"
            )
        if self.text_encoder == "shipped" and (self.text_pretrain or self.text_lr):
            raise ValueError(
                "text_encoder='shipped' is frozen: it needs text_pretrain=0 and text_lr=0, got "
                f"{self.text_pretrain!r} and {self.text_lr!r}"
            )
        if not 0 <= self.caption_dropout < 1:
            raise ValueError(f"caption_dropout must be in [0, 1), got {self.caption_dropout!r}")
        if len(self.width) != 2 or any(w % 16 or w < 16 for w in self.width):
            raise ValueError(f"width must be two multiples of 16, got {self.width!r}")


@dataclass(frozen=True)
class Preset:
    """A training recipe: stage 1 (``None``: reuse the shipped autoencoder) and stage 2."""

    autoencoder: AutoencoderConfig | None
    denoiser: DenoiserConfig
    about: str


# The shipped recipe's stage 2: the text encoder learns every caption word first (stage 0,
# seconds) and then stays frozen, as ModelScope's pretrained OpenCLIP encoder does
# (data/tiny_model/recipe_ab.md measured why); then 2400 UNet steps. At 600 steps the UNet drew
# the caption's shape in 0.74 of the frames, at 2400 in 0.99 (data/tiny_model/README.md).
SHIPPED_DENOISER = DenoiserConfig(steps=2400, text_pretrain=300, text_lr=0.0)
# A learner's run: the same recipe for half the UNet steps, 11 minutes on 2 CPU cores; it drew the
# caption's shape in 0.97 [0.94, 0.99] of the frames, read before the fill test of measure.py
# (data/tiny_model/quick_report.md).
QUICK_DENOISER = replace(SHIPPED_DENOISER, steps=1200)
# The AnimateDiff-style UNet (UNetMotionModel: motion modules with sinusoidal frame positions, no
# temporal convolution) with the shipped recipe, on the shipped autoencoder and text encoder.
ANIMATEDIFF_DENOISER = replace(
    SHIPPED_DENOISER, layout="animatediff", text_pretrain=0, text_encoder="shipped"
)
PRESETS: dict[str, Preset] = {
    "quick": Preset(
        None,
        QUICK_DENOISER,
        "stage 2 only (text encoder, then 1200 UNet steps, half the shipped 2400) on the shipped "
        "autoencoder: about 12 minutes on 2 CPU cores",
    ),  # fmt: skip
    "shipped": Preset(
        AutoencoderConfig(),
        SHIPPED_DENOISER,
        "both stages, as the shipped weights were trained: about 40 minutes on 2 CPU cores",
    ),  # fmt: skip
    "animatediff": Preset(
        None,
        ANIMATEDIFF_DENOISER,
        "the AnimateDiff-style UNet (2400 steps) on the shipped autoencoder and text encoder: "
        "about 15 minutes on 2 CPU cores",
    ),  # fmt: skip
}
