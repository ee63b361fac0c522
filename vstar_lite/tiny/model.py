"""The tiny text-to-video model: a two-level video UNet of SS-T blocks on patchified frames.

Latent space: a fixed 4 x 4 patchify, ``"b 3 f 32 32" -> "b 48 f 8 8"``, not a learned autoencoder.
It is exact (no reconstruction error to confuse the measurements), costs nothing, and 8 x 8 = 64
tokens per frame keep spatial attention cheap on a CPU; the price is that the denoiser must model
pixel detail itself, which is fine for flat shapes.

Data flow (level 0 = full latent resolution 8 x 8, level 1 = 4 x 4)::

    patchify       "b 3 f 32 32" -> "b 48 f 8 8"
    conv_in        "(b f) 48 8 8" -> "(b f) c0 8 8"
    block0         SS-T block, level 0            --- skip ---.
    down           stride-2 conv -> "(b f) c1 4 4"            |
    block1, mid    two SS-T blocks, level 1                   |
    up             nearest x2 + conv -> "(b f) c0 8 8"        |
    merge          concat skip, 1x1 conv   <------------------'
    block2         SS-T block, level 0
    conv_out       -> "(b f) 48 8 8" -> unpatchify "b 3 f 32 32"

Two configurations share this code (:data:`CONFIGS`):

- ``"scvideo"``: SCVideo's SS-T block: sparse causal attention (Eq. 2), temporal conv, temporal
  attention;
- ``"vstar"``: the layout of the models VSTAR targets (ModelScope, VideoCrafter2): spatial
  self-attention inside each frame and temporal attention with frame positions as the *only* path
  between frames.

The network predicts the clean latents ``x0`` (diffusers' ``prediction_type="sample"``) under Stable
Diffusion's "scaled linear" noise schedule. Predicting the noise (``epsilon``) or the velocity ``v``
asks a network this small to reproduce every pixel of the Gaussian noise in its output; it cannot,
and what it misses stays in the sample as grain that flickers from frame to frame (measured in
notebook 05, section 5). An ``x0`` prediction that misses detail is blurred instead, and the
sampler's noise estimate ``(x_t - sqrt(abar) x0_hat) / sqrt(1 - abar)`` is then consistent with it.
``TinyConfig.prediction_type`` keeps the other two for comparison.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch
from einops import rearrange
from safetensors.torch import load_file, save_file
from torch import nn

from vstar_lite.attention import TemporalAttention
from vstar_lite.blocks import SSTBlock
from vstar_lite.tiny.text import TextEncoder

__all__ = [
    "CONFIGS",
    "SCHEDULER_CONFIG",
    "TinyConfig",
    "TinyT2V",
    "TinyVideoUNet",
    "to_latents",
    "to_video",
]

PATCH = 4
PREDICTION_TYPES = ("sample", "v_prediction", "epsilon")  # what the network outputs: x0, v, eps

# The noise schedule of training and sampling (diffusers scheduler config keys).
SCHEDULER_CONFIG: dict[str, object] = {
    "num_train_timesteps": 1000,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "prediction_type": "sample",
    "clip_sample": False,
    "timestep_spacing": "trailing",
}


def to_latents(video: torch.Tensor) -> torch.Tensor:
    """Patchify: ``"b c f (h p) (w q)" -> "b (c p q) f h w"`` with ``p = q = 4``."""
    return rearrange(video, "b c f (h p) (w q) -> b (c p q) f h w", p=PATCH, q=PATCH)


def to_video(latents: torch.Tensor) -> torch.Tensor:
    """Unpatchify: ``"b (c p q) f h w" -> "b c f (h p) (w q)"``."""
    return rearrange(latents, "b (c p q) f h w -> b c f (h p) (w q)", p=PATCH, q=PATCH)


@dataclass(frozen=True)
class TinyConfig:
    """Hyper-parameters of :class:`TinyT2V`; ``name`` picks one of :data:`CONFIGS`."""

    name: str = "vstar"
    frame_attention: Literal["sparse_causal", "spatial"] = "spatial"
    temporal_conv: bool = False
    channels: tuple[int, int] = (64, 128)
    heads: int = 4
    text_dim: int = 64
    position_scale: float = 0.5
    prediction_type: Literal["sample", "v_prediction", "epsilon"] = "sample"

    def __post_init__(self) -> None:
        if self.prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"prediction_type must be one of {PREDICTION_TYPES}, got {self.prediction_type!r}"
            )

    @property
    def scheduler_config(self) -> dict[str, object]:
        """:data:`SCHEDULER_CONFIG` with this model's ``prediction_type``."""
        return {**SCHEDULER_CONFIG, "prediction_type": self.prediction_type}

    @property
    def latent_channels(self) -> int:
        return 3 * PATCH * PATCH


CONFIGS: dict[str, TinyConfig] = {
    "vstar": TinyConfig(),
    "scvideo": TinyConfig(name="scvideo", frame_attention="sparse_causal", temporal_conv=True),
}


def timestep_embedding(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of diffusion timesteps, ``"b" -> "b dim"``."""
    half = dim // 2
    frequency = torch.exp(-math.log(10_000.0) * torch.arange(half, device=timesteps.device) / half)
    angles = timesteps.float().unsqueeze(1) * frequency
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class TinyVideoUNet(nn.Module):
    """``v = unet(latents "b 48 f 8 8", timesteps "b", context "b L D" or "(b f) L D")``."""

    def __init__(self, config: TinyConfig):
        super().__init__()
        self.config = config
        c0, c1 = config.channels
        time_dim = 4 * c0
        self.time_mlp = nn.Sequential(
            nn.Linear(c0, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim)
        )

        def block(channels: int) -> SSTBlock:
            return SSTBlock(
                channels,
                config.text_dim,
                heads=config.heads,
                time_dim=time_dim,
                frame_attention=config.frame_attention,
                position_scale=config.position_scale,
                temporal_conv=config.temporal_conv,
            )

        self.conv_in = nn.Conv2d(config.latent_channels, c0, 3, padding=1)
        self.block0 = block(c0)
        self.down = nn.Conv2d(c0, c1, 3, stride=2, padding=1)
        self.block1, self.mid = block(c1), block(c1)
        self.up = nn.Conv2d(c1, c0, 3, padding=1)
        self.merge = nn.Conv2d(2 * c0, c0, 1)
        self.block2 = block(c0)
        self.norm_out = nn.GroupNorm(8, c0)
        self.conv_out = nn.Conv2d(c0, config.latent_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    # UNet level of each block: 0 = full latent resolution (8 x 8), 1 = 4 x 4
    LEVELS = {"block0": 0, "block1": 1, "mid": 1, "block2": 0}

    def temporal_attentions(self) -> list[tuple[str, int, TemporalAttention]]:
        """``(name, level, module)`` for both temporal attentions of every block, in data order."""
        found = []
        for block_name, level in self.LEVELS.items():
            block = getattr(self, block_name)
            for attn_name in ("temp_attn1", "temp_attn2"):
                found.append((f"{block_name}.{attn_name}", level, getattr(block, attn_name)))
        return found

    def _per_frame(self, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
        f = x.shape[2]
        out = layer(rearrange(x, "b c f h w -> (b f) c h w"))
        return rearrange(out, "(b f) c h w -> b c f h w", f=f)

    def forward(
        self, latents: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        b, c, f, h, w = latents.shape
        if c != self.config.latent_channels:
            raise ValueError(f"latents must have {self.config.latent_channels} channels, got {c}")
        timesteps = torch.as_tensor(timesteps, device=latents.device).reshape(-1).expand(b)
        temb = self.time_mlp(timestep_embedding(timesteps, self.config.channels[0]))
        x = self._per_frame(self.conv_in, latents)  # "b c0 f 8 8"
        skip = x = self.block0(x, context, temb)
        x = self._per_frame(self.down, x)  # "b c1 f 4 4"
        x = self.mid(self.block1(x, context, temb), context, temb)
        x = rearrange(x, "b c f h w -> (b f) c h w")
        x = self.up(nn.functional.interpolate(x, scale_factor=2.0, mode="nearest"))
        x = rearrange(x, "(b f) c h w -> b c f h w", b=b)  # "b c0 f 8 8"
        x = self._per_frame(self.merge, torch.cat([x, skip], dim=1))
        x = self.block2(x, context, temb)
        x = nn.functional.silu(self._per_frame(self.norm_out, x))
        return self._per_frame(self.conv_out, x)  # "b 48 f 8 8"


class TinyT2V(nn.Module):
    """Text encoder + video UNet, saved and loaded as safetensors (no pickle, no network)."""

    def __init__(self, config: TinyConfig | str = "vstar"):
        super().__init__()
        if isinstance(config, str):
            if config not in CONFIGS:
                raise ValueError(f"config must be one of {sorted(CONFIGS)}, got {config!r}")
            config = CONFIGS[config]
        self.config = config
        self.text_encoder = TextEncoder(config.text_dim)
        self.unet = TinyVideoUNet(config)

    def encode(self, prompts: str | list[str]) -> torch.Tensor:
        """Prompts -> ``"b L D"`` text embeddings (``""`` is the unconditional prompt)."""
        return self.text_encoder.encode(prompts)

    def forward(
        self, latents: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        return self.unet(latents, timesteps, context)

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part, for the notebook's table."""
        parts: dict[str, int] = {
            "text encoder": sum(p.numel() for p in self.text_encoder.parameters())
        }
        for name, module in self.unet.named_children():
            group = name if name.startswith(("block", "mid")) else "convs, time, in/out"
            parts[group] = parts.get(group, 0) + sum(p.numel() for p in module.parameters())
        return parts

    def save(self, directory: str | Path, dtype: torch.dtype = torch.float16) -> Path:
        """Write ``model.safetensors`` (in ``dtype``) and ``config.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {
            k: v.detach().to("cpu", dtype).contiguous() for k, v in self.state_dict().items()
        }
        save_file(tensors, directory / "model.safetensors")
        (directory / "config.json").write_text(json.dumps(asdict(self.config), indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str | torch.device = "cpu") -> TinyT2V:
        """Load a model written by :meth:`save`, in float32."""
        directory = Path(directory)
        for name in ("config.json", "model.safetensors"):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory / name} not found: not a tiny model directory")
        fields = json.loads((directory / "config.json").read_text())
        fields["channels"] = tuple(fields["channels"])
        model = cls(TinyConfig(**fields))
        state = {k: v.float() for k, v in load_file(directory / "model.safetensors").items()}
        model.load_state_dict(state)
        return model.to(device).eval()
