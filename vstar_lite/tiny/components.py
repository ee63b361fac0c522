"""The tiny model dressed as diffusers components, so :class:`vstar_lite.pipeline.VSTARPipeline`
runs it with the same code as a pretrained ModelScope or AnimateDiff model.

Each adapter has the one call the pipeline makes on the real component:

- :class:`TinyTokenizer`: ``tokenizer(prompts, padding=..., max_length=..., ...).input_ids``;
- :class:`TinyTextEncoder`: ``text_encoder(ids)[0]`` is ``"b L D"`` (as CLIP's last hidden state);
- :class:`TinyUNet`: ``unet(sample, timestep, encoder_hidden_states).sample`` on ``"b c f h w"``;
- :class:`TinyVAE`: ``vae.decode(latents "n 48 8 8").sample`` is ``"n 3 32 32"`` (the model's
  fixed 4 x 4 unpatchify, one frame at a time), ``config.scaling_factor = 1``,
  ``spatial_scale = 4`` (a diffusers VAE's is ``2 ** (len(config.block_out_channels) - 1)``).

Nothing here copies weights: the adapters hold the tiny model's own modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import torch
from einops import rearrange
from torch import nn

from vstar_lite.tiny.model import PATCH, TinyT2V
from vstar_lite.tiny.text import MAX_TOKENS, tokenize

__all__ = ["TinyTextEncoder", "TinyTokenizer", "TinyUNet", "TinyVAE", "tiny_components"]


@dataclass
class TinyTokens:
    """What a Hugging Face tokenizer returns, reduced to the field the pipeline reads."""

    input_ids: torch.Tensor  # "b L"


class TinyTokenizer:
    """The tiny word-level tokenizer behind a Hugging Face tokenizer's call."""

    model_max_length = MAX_TOKENS

    def __call__(self, prompts: str | list[str], **_: Any) -> TinyTokens:
        """Padding and truncation are fixed (12 tokens, padded); other keywords are accepted."""
        return TinyTokens(tokenize(prompts))


class TinyTextEncoder(nn.Module):
    """``encoder(ids "b L")[0]`` is ``"b L D"``, like ``CLIPTextModel``'s last hidden state."""

    def __init__(self, model: TinyT2V):
        super().__init__()
        self.encoder = model.text_encoder

    @property
    def dtype(self) -> torch.dtype:
        return self.encoder.words.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.encoder.words.weight.device

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.encoder(input_ids.to(self.device)),)


class TinyUNet(nn.Module):
    """The tiny video UNet with diffusers' call: ``unet(sample, timestep, encoder_hidden_states)``.

    ``vstar_target`` is the module :func:`vstar_lite.enable_vstar` works on (the tiny UNet itself).
    """

    def __init__(self, model: TinyT2V):
        super().__init__()
        self.vstar_target = model.unet
        self.config = SimpleNamespace(
            in_channels=model.config.latent_channels, sample_size=8, model_type="tiny"
        )

    @property
    def dtype(self) -> torch.dtype:
        return self.vstar_target.conv_in.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.vstar_target.conv_in.weight.device

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | int,
        encoder_hidden_states: torch.Tensor,
        **_: Any,
    ) -> SimpleNamespace:
        return SimpleNamespace(sample=self.vstar_target(sample, timestep, encoder_hidden_states))


class TinyVAE(nn.Module):
    """The fixed 4 x 4 unpatchify as a "VAE": ``decode("n (3 4 4) h w").sample = "n 3 4h 4w"``."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("_anchor", torch.zeros(()), persistent=False)  # carries device/dtype
        self.config = SimpleNamespace(scaling_factor=1.0)
        self.spatial_scale = PATCH  # pixels per latent position, per side

    @property
    def dtype(self) -> torch.dtype:
        return self._anchor.dtype

    @property
    def device(self) -> torch.device:
        return self._anchor.device

    def decode(self, latents: torch.Tensor) -> SimpleNamespace:
        image = rearrange(latents, "n (c p q) h w -> n c (h p) (w q)", p=PATCH, q=PATCH)
        return SimpleNamespace(sample=image)


def tiny_components(model: TinyT2V) -> dict[str, Any]:
    """``tokenizer, text_encoder, unet, vae, scheduler`` for :class:`VSTARPipeline`."""
    from diffusers import DDIMScheduler

    return {
        "tokenizer": TinyTokenizer(),
        "text_encoder": TinyTextEncoder(model),
        "unet": TinyUNet(model),
        "vae": TinyVAE(),
        "scheduler": DDIMScheduler(**model.config.scheduler_config),
    }
