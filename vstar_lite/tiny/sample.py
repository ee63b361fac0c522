"""Sampling from the tiny model: DDIM (diffusers' scheduler) with classifier-free guidance.

Conditioning is one embedding per video (``"b L D"``, from a prompt) or one per frame
(``"(b f) L D"``, what video synopsis prompting produces). The unconditional half of the guidance
batch always uses the empty prompt's embedding, the same for every frame. Guidance is
``out = out_uncond + w (out_cond - out_uncond)`` on the network's output (``x0``, or ``v`` /
``eps`` for models trained to predict those).
"""

from __future__ import annotations

import torch
from diffusers import DDIMScheduler
from einops import repeat
from tqdm.auto import tqdm

from vstar_lite.tiny.model import TinyT2V, to_video

__all__ = ["DEFAULT_GUIDANCE", "DEFAULT_STEPS", "generate"]

DEFAULT_STEPS = 25
DEFAULT_GUIDANCE = 4.0


def _conditioning(
    model: TinyT2V,
    prompt: str | list[str] | None,
    frame_embeddings: torch.Tensor | None,
    num_frames: int,
) -> torch.Tensor:
    """``"b L D"`` from prompts, or ``"(b f) L D"`` from ``"f L D"``/``"b f L D"`` embeddings."""
    if (prompt is None) == (frame_embeddings is None):
        raise ValueError("give exactly one of prompt and frame_embeddings")
    if prompt is not None:
        return model.encode(prompt)
    e = frame_embeddings
    if e.ndim == 3:
        e = e.unsqueeze(0)
    dim = model.config.text_dim
    if e.ndim != 4 or e.shape[1] != num_frames or e.shape[-1] != dim:
        raise ValueError(
            f"frame_embeddings must have shape (num_frames={num_frames}, L, {dim}) or "
            f"(b, num_frames, L, {dim}), got {tuple(frame_embeddings.shape)}"
        )
    return e.flatten(0, 1).to(model.unet.conv_in.weight)


@torch.no_grad()
def generate(
    model: TinyT2V,
    prompt: str | list[str] | None = None,
    *,
    num_frames: int = 16,
    frame_embeddings: torch.Tensor | None = None,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    seed: int = 0,
    eta: float = 0.0,
    progress: bool = False,
) -> torch.Tensor:
    """Videos ``"b 3 f 32 32"`` in ``[-1, 1]`` for a prompt (or list) or per-frame embeddings.

    ``guidance=1`` turns classifier-free guidance off (one UNet pass per step instead of two).
    The starting noise depends on ``seed`` only, so 16 and 64 frames from the same seed share
    their first frames' noise.
    """
    if not isinstance(num_frames, int) or num_frames < 1:
        raise ValueError(f"num_frames must be an int >= 1, got {num_frames!r}")
    if not isinstance(steps, int) or not 1 <= steps <= 1000:
        raise ValueError(f"steps must be an int in [1, 1000], got {steps!r}")
    if not guidance >= 1.0:
        raise ValueError(f"guidance must be >= 1 (1 = no guidance), got {guidance!r}")
    cond = _conditioning(model, prompt, frame_embeddings, num_frames)
    per_frame = frame_embeddings is not None
    b = cond.shape[0] // num_frames if per_frame else cond.shape[0]
    device, dtype = model.unet.conv_in.weight.device, model.unet.conv_in.weight.dtype
    scheduler = DDIMScheduler(**model.config.scheduler_config)
    scheduler.set_timesteps(steps)
    generator = torch.Generator().manual_seed(seed)
    channels = model.config.latent_channels
    noise = torch.randn(
        b, num_frames, channels, 8, 8, generator=generator
    )  # frame-major: prefix-stable
    latents = noise.transpose(1, 2).contiguous().to(device, dtype)  # "b 48 f 8 8"
    if guidance > 1.0:
        uncond = model.encode("")
        uncond = repeat(uncond, "1 l d -> n l d", n=cond.shape[0])
        context = torch.cat([uncond, cond])
    for t in tqdm(scheduler.timesteps, disable=not progress, desc="sampling"):
        if guidance > 1.0:
            out_uncond, out_cond = model(torch.cat([latents, latents]), t, context).chunk(2)
            out = out_uncond + guidance * (out_cond - out_uncond)
        else:
            out = model(latents, t, cond)
        latents = scheduler.step(out, t, latents, eta=eta, generator=generator).prev_sample
    return to_video(latents).clamp(-1, 1)
