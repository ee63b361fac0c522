"""Training the tiny text-to-video model in two stages, as latent video models are trained.

1. **The autoencoder** (:func:`train_autoencoder`): an ``AutoencoderKL`` learns to compress single
   frames of the world, ``"3 32 32" -> "8 8 8"``: the posterior mean is decoded (it is what the
   diffusion model will see) with a reconstruction loss, L1 + MSE (MSE alone blurs the shapes'
   edges and the shapes' proportions), plus a very small KL term that keeps the latents'
   scale in check.
2. **The denoiser** (:func:`train_denoiser`): with the autoencoder frozen, the
   ``UNet3DConditionModel`` and the ``CLIPTextModel`` learn together to denoise latent clips of
   16 frames given their captions (10% of captions dropped to ``""`` for classifier-free guidance).

Stage 1 draws fresh clips from the world at every step, from ``seed`` and the step alone. Stage 2
encodes a pool of ``latent_pool`` clips once (the frozen encoder would otherwise cost a third of
every step) and draws each batch from it, again from ``seed`` and the step alone. Either way a
run resumed from its checkpoint sees exactly the clips it would have seen without the interruption,
and two runs with one seed are identical. Checkpoints hold the weights, their running average
(EMA), the optimizer, the step and the loss curve (``torch.save``, read back with
``weights_only=True``); what is exported is the EMA weights, as safetensors.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import torch
from diffusers import AutoencoderKL, DDPMScheduler
from torch import nn
from tqdm.auto import tqdm
from transformers import CLIPTextModel

from vstar_lite.tiny.parts import (
    LAYOUT_FILE,
    SAMPLING,
    apply_layout,
    build_autoencoder,
    build_scheduler,
    build_text_encoder,
    build_tokenizer,
    build_unet,
    no_dropout,
    split_motion_unet,
)
from vstar_lite.tiny.recipes import (
    PRESETS,
    SHIPPED_DENOISER,
    AutoencoderConfig,
    DenoiserConfig,
    Preset,
)
from vstar_lite.tiny.world import BACKGROUNDS, COLOURS, DIRECTIONS, SHAPES, caption, sample_clips
from vstar_lite.unet_layers import unet_text

__all__ = [
    "PRESETS",
    "SHIPPED_DENOISER",
    "AutoencoderConfig",
    "DenoiserConfig",
    "LatentPool",
    "Preset",
    "encode_pool",
    "encode_videos",
    "diffusion_target",
    "learning_rate",
    "min_snr_weight",
    "object_mask",
    "read_curve",
    "save_pipeline",
    "shipped_autoencoder",
    "train",
    "train_autoencoder",
    "train_denoiser",
]

CURVE_COLUMNS = ("step", "loss", "lr", "seconds")  # the loss curve: checkpoint and curves.csv


def learning_rate(config: object, step: int) -> float:
    """Linear warm-up over ``config.warmup`` steps, then cosine decay to 10% of ``config.lr``."""
    lr, warmup, steps = config.lr, config.warmup, config.steps  # type: ignore[attr-defined]
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def diffusion_target(
    prediction_type: str,
    scheduler: DDPMScheduler,
    x0: torch.Tensor,
    noise: torch.Tensor,
    t: torch.Tensor,
) -> torch.Tensor:
    """The network's target for ``add_noise(x0, noise, t)``: ``x0``, ``v`` or ``noise``."""
    if prediction_type == "sample":
        return x0
    if prediction_type == "v_prediction":
        return scheduler.get_velocity(x0, noise, t)
    return noise


def min_snr_weight(
    prediction_type: str, scheduler: DDPMScheduler, t: torch.Tensor, gamma: float
) -> torch.Tensor:
    """Min-SNR-gamma loss weights ``"b"`` for the target ``prediction_type``: an error in the
    target is turned into the same x0 error times ``min(SNR, gamma)``, where ``SNR =
    alpha_bar / (1 - alpha_bar)``. For x0 that is ``min(SNR, gamma)`` itself; the noise target
    divides it by ``SNR``, v by ``SNR + 1``."""
    alpha_bar = scheduler.alphas_cumprod[t]
    snr = alpha_bar / (1 - alpha_bar)
    clipped = snr.clamp(max=gamma)
    if prediction_type == "sample":
        return clipped
    if prediction_type == "v_prediction":
        return clipped / (snr + 1)
    return clipped / snr


# ------------------------------------------------------------------------------ the loop
def _save_checkpoint(path: Path, state: dict, step: int, curve: list[dict]) -> None:
    state = {
        **state,
        "step": torch.tensor(step),
        "curve": {key: torch.tensor([row[key] for row in curve]) for key in CURVE_COLUMNS},
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _curve_rows(state: dict) -> list[dict]:
    """A checkpoint's curve (one tensor per column) as rows."""
    columns = state["curve"]
    return [dict(zip(columns, values)) for values in zip(*(columns[k].tolist() for k in columns))]


def _run(
    config: AutoencoderConfig | DenoiserConfig,
    model: nn.Module,
    loss_fn: Callable[[int], torch.Tensor],
    out: Path,
    *,
    resume: bool,
    progress: bool,
    stop_after: int | None,
    desc: str,
    grad_clip: float | None = None,
    groups: list[dict] | None = None,
) -> nn.Module:
    """The loop both stages share: AdamW, warm-up + cosine, gradient clipping, EMA (its decay
    ramps up as ``(1 + s) / (10 + s)`` so that short runs are not dominated by the random start),
    resumable checkpoints and a loss curve. ``groups``: optimizer parameter groups, each with an
    ``lr_scale`` (default: all of ``model``'s parameters at scale 1). Returns the EMA model (the
    plain one when ``ema=0``)."""
    if stop_after is not None and not (
        isinstance(stop_after, int) and 0 < stop_after <= config.steps
    ):
        raise ValueError(f"stop_after must be in [1, steps={config.steps}], got {stop_after!r}")
    out.mkdir(parents=True, exist_ok=True)
    ema = copy.deepcopy(model).requires_grad_(False) if config.ema > 0 else None
    if groups is None:
        groups = [{"params": list(model.parameters()), "lr_scale": 1.0}]
    optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=0.01)
    checkpoint = out / "checkpoint.pt"
    start, curve = 0, []
    if resume and checkpoint.exists():
        state = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        start, curve = int(state["step"]), _curve_rows(state)
    last = config.steps if stop_after is None else stop_after
    model.train()
    running, logged = 0.0, 0
    began = time.perf_counter() - (curve[-1]["seconds"] if curve else 0.0)
    bar = tqdm(
        range(start, last), initial=start, total=config.steps, disable=not progress, desc=desc
    )
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step) * group["lr_scale"]
        loss = loss_fn(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        if ema is not None:
            decay = min(config.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.lerp_(p, 1 - decay)
        running, logged, done = running + loss.item(), logged + 1, step + 1
        if done % config.log_every == 0 or done == last:
            curve.append({"step": done, "loss": running / logged,
                          "lr": optimizer.param_groups[0]["lr"],
                          "seconds": time.perf_counter() - began})  # fmt: skip
            running, logged = 0.0, 0
            bar.set_postfix(loss=f"{curve[-1]['loss']:.4f}")
        if done % config.checkpoint_every == 0 or done == last:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "ema": (ema or model).state_dict()}  # fmt: skip
            _save_checkpoint(checkpoint, state, done, curve)
    bar.close()
    _write_curve(curve, out / "curves.csv")
    (out / "train_config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    return (ema if ema is not None else model).eval()


def _write_curve(curve: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CURVE_COLUMNS)
        writer.writeheader()
        for row in curve:
            cells = {"step": int(row["step"]), "loss": f"{row['loss']:.5f}",
                     "lr": f"{row['lr']:.6f}", "seconds": f"{row['seconds']:.1f}"}  # fmt: skip
            writer.writerow(cells)


def read_curve(path: str | Path) -> dict[str, list[float]]:
    """``curves.csv`` -> columns ``step``, ``loss``, ``lr``, ``seconds``."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [float(r[name]) for r in rows] for name in CURVE_COLUMNS}


def _generator(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + step)


# ------------------------------------------------------------------------------ stage 1
def _frames_of_step(config: AutoencoderConfig, step: int) -> torch.Tensor:
    """The training frames of ``step``: ``"n 3 32 32"``, a few random frames of fresh clips."""
    generator = _generator(config.seed, step)
    videos = sample_clips(config.clips, 16, generator).videos  # "b 3 f h w"
    pick = torch.stack([torch.randperm(16, generator=generator)[: config.frames_per_clip]
                        for _ in range(config.clips)])  # fmt: skip
    frames = videos.permute(0, 2, 1, 3, 4)  # "b f 3 h w"
    return frames[torch.arange(config.clips).unsqueeze(1), pick].flatten(0, 1)


def shape_weight(frames: torch.Tensor, weight: float) -> torch.Tensor:
    """``"n 1 h w"`` loss weights: ``1 + weight`` on and next to the shape (coloured pixels,
    grown by one pixel), 1 elsewhere. The shape covers about 5% of a frame; unweighted, the
    grey background dominates the loss and the shape's outline is learned last."""
    rgb = (frames + 1) / 2
    coloured = ((rgb.amax(dim=1) - rgb.amin(dim=1)) > 0.1).float().unsqueeze(1)
    near = torch.nn.functional.max_pool2d(coloured, 3, stride=1, padding=1)
    return 1 + weight * near


def latent_scaling(vae: AutoencoderKL, seed: int = 12345, clips: int = 64) -> float:
    """``1 / std`` of the latents of real clips (posterior means), for ``scaling_factor``."""
    videos = sample_clips(clips, 16, seed).videos
    with torch.no_grad():
        frames = videos.permute(0, 2, 1, 3, 4).flatten(0, 1)
        latents = torch.cat([vae.encode(chunk).latent_dist.mean for chunk in frames.split(256)])
    return float(1.0 / latents.std())


def train_autoencoder(
    config: AutoencoderConfig,
    out: str | Path,
    *,
    resume: bool = True,
    progress: bool = True,
    stop_after: int | None = None,
) -> AutoencoderKL:
    """Stage 1 into ``out`` (checkpoint, curve, and the exported ``AutoencoderKL`` folder
    ``out/vae`` with ``scaling_factor`` set). Returns the EMA autoencoder."""
    out = Path(out)
    torch.manual_seed(config.seed)
    vae = build_autoencoder()

    def loss_fn(step: int) -> torch.Tensor:
        frames = _frames_of_step(config, step)
        posterior = vae.encode(frames).latent_dist
        # decode the posterior mean, as the diffusion model's latents are (encode_videos): noise
        # drawn from the posterior at this size only blurs the frames while the KL term is tiny
        latents = posterior.mean
        if config.latent_noise > 0:
            generator = _generator(config.seed, 10**9 + step)  # a stream apart from the frames
            level = config.latent_noise * torch.rand(len(frames), 1, 1, 1, generator=generator)
            noise = torch.randn(latents.shape, generator=generator)
            latents = latents + level * latents.detach().std() * noise
        reconstruction = vae.decode(latents).sample
        kl = posterior.kl().mean() / frames[0].numel()
        error = reconstruction - frames  # L1 keeps the shapes' edges sharper than MSE alone
        weight = shape_weight(frames, config.shape_weight)
        per_pixel = (error.abs() + error.pow(2)).mean(dim=1, keepdim=True)  # "n 1 h w"
        return (weight * per_pixel).sum() / weight.sum() + config.kl_weight * kl

    final = _run(config, vae, loss_fn, out, resume=resume, progress=progress,
                 stop_after=stop_after, desc="train autoencoder")  # fmt: skip
    final.register_to_config(scaling_factor=latent_scaling(final))
    final.save_pretrained(out / "vae", safe_serialization=True)
    return final


# ------------------------------------------------------------------------------ stage 2
def encode_videos(vae: AutoencoderKL, videos: torch.Tensor) -> torch.Tensor:
    """Videos ``"b 3 f h w"`` -> scaled latents ``"b c f h/4 w/4"`` (posterior means)."""
    b = videos.shape[0]
    frames = videos.permute(0, 2, 1, 3, 4).flatten(0, 1)  # "(b f) 3 h w"
    with torch.no_grad():
        latents = vae.encode(frames).latent_dist.mean * vae.config.scaling_factor
    return latents.unflatten(0, (b, -1)).permute(0, 2, 1, 3, 4)  # "b c f h w"


def _autoencoder_digest(vae_dir: Path) -> str:
    """A short hash of an autoencoder folder's weights: a cached pool belongs to one encoder."""
    digest = hashlib.sha256()
    for path in sorted(vae_dir.glob("*.safetensors")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class LatentPool(NamedTuple):
    """Clips encoded once for stage 2: ``latents`` ``"n 8 f 8 8"``, their ``captions``, and
    ``masks`` ``"n f 8 8"``, the latent pixels that hold the shape or touch it."""

    latents: torch.Tensor
    captions: list[str]
    masks: torch.Tensor


def object_mask(videos: torch.Tensor) -> torch.Tensor:
    """Videos ``"b 3 f h w"`` -> ``"b f h/4 w/4"`` booleans: the latent pixels (4 x 4 frame
    pixels each) that hold a coloured pixel of the shape or its one-pixel rim."""
    frames = videos.permute(0, 2, 1, 3, 4).flatten(0, 1)  # "(b f) 3 h w"
    near = shape_weight(frames, 1.0) > 1  # "(b f) 1 h w"
    pooled = nn.functional.max_pool2d(near.float(), 4)  # "(b f) 1 h/4 w/4"
    return pooled[:, 0].unflatten(0, videos.shape[:1] + videos.shape[2:3]) > 0


def cached_pool(
    vae: AutoencoderKL, vae_dir: Path, config: DenoiserConfig, cache: Path, *, progress: bool
) -> LatentPool:
    """:func:`encode_pool` for ``config``, read from ``cache`` when that file holds the pool of
    the same autoencoder, size, length and seed, else encoded and written there."""
    key = f"v3-{_autoencoder_digest(vae_dir)}-{config.latent_pool}-{config.frames}-{config.seed}"
    if cache.is_file():
        stored = torch.load(cache, weights_only=True)
        if stored.get("key") == key:
            return LatentPool(stored["latents"], list(stored["captions"]), stored["masks"])
    pool = encode_pool(vae, config.latent_pool, config.frames, config.seed, progress=progress)
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"key": key, **pool._asdict()}, cache)
    return pool


def encode_pool(
    vae: AutoencoderKL, clips: int, frames: int, seed: int, *, progress: bool = False
) -> LatentPool:
    """``clips`` random clips of ``frames`` frames, encoded once, deterministic per ``seed`` (a
    stream of its own, distinct from the steps')."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 - 1)
    latents, captions, masks = [], [], []
    for start in tqdm(range(0, clips, 32), disable=not progress, desc="encode latent pool"):
        drawn = sample_clips(min(32, clips - start), frames, generator)
        latents.append(encode_videos(vae, drawn.videos))
        masks.append(object_mask(drawn.videos))
        captions += drawn.captions
    return LatentPool(torch.cat(latents), captions, torch.cat(masks))


class _Denoiser(nn.Module):
    """The two trained parts of stage 2 under one module (one optimizer, one EMA)."""

    def __init__(self, unet: nn.Module, text_encoder: nn.Module):
        super().__init__()
        self.unet, self.text_encoder = unet, text_encoder


CAPTION_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "colour": tuple(COLOURS), "shape": SHAPES, "direction": tuple(DIRECTIONS),
    "background": tuple(BACKGROUNDS),
}  # fmt: skip


def pretrain_text_encoder(
    text_encoder: nn.Module, tokenizer, steps: int, seed: int = 0, lr: float = 3e-3
) -> list[float]:
    """Stage 0: teach ``text_encoder`` to tell every caption word apart, as CLIP's pretraining
    taught the frozen text encoders of ModelScope and VideoCrafter2. One linear head per caption
    attribute reads each token from the last caption word on (``"background"``, the end token and
    the padding, which have seen the whole caption) and predicts that attribute; the loss is the
    mean cross-entropy over heads and tokens, on all 80 captions of the world at every step.
    Returns the loss per step. Without it, a text encoder trained together with the UNet learns
    the colour (the word that changes the most pixels) and loses the shape and the direction
    (``data/tiny_model/recipe_ab.md``)."""
    captions, labels = [], []
    for values in _all_attribute_values():
        captions.append(caption(*values))
        labels.append([CAPTION_ATTRIBUTES[k].index(v) for k, v in zip(CAPTION_ATTRIBUTES, values)])
    ids = tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length,
                    return_tensors="pt").input_ids  # fmt: skip
    first = len(captions[0].split())  # token index of "background": BOS + 9 words - 1
    labels_t = torch.tensor(labels)  # "n 4"
    generator = torch.Generator().manual_seed(seed)
    width = text_encoder.config.hidden_size
    heads = nn.ModuleList(nn.Linear(width, len(v)) for v in CAPTION_ATTRIBUTES.values())
    for head in heads:
        nn.init.normal_(head.weight, std=width**-0.5, generator=generator)
        nn.init.zeros_(head.bias)
    optimizer = torch.optim.AdamW([*text_encoder.parameters(), *heads.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        hidden = text_encoder(ids)[0][:, first:]  # "n l D": tokens that have read every word
        loss = torch.stack([
            nn.functional.cross_entropy(head(hidden).flatten(0, 1),
                                        labels_t[:, k].repeat_interleave(hidden.shape[1]))
            for k, head in enumerate(heads)
        ]).mean()  # fmt: skip
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _all_attribute_values() -> list[tuple[str, ...]]:
    """Every (colour, shape, direction, background) of the world, in a fixed order."""
    rows: list[tuple[str, ...]] = [()]
    for options in CAPTION_ATTRIBUTES.values():
        rows = [(*row, v) for row in rows for v in options]
    return rows


def train_denoiser(
    config: DenoiserConfig,
    out: str | Path,
    autoencoder: str | Path,
    *,
    resume: bool = True,
    progress: bool = True,
    stop_after: int | None = None,
    pool_cache: str | Path | None = None,
) -> Path:
    """Stage 2 into ``out``: trains UNet and text encoder on the frozen autoencoder in the folder
    ``autoencoder`` (an ``AutoencoderKL`` folder, or a pipeline folder with ``vae/``) and exports
    a diffusers pipeline folder ``out/pipeline``. Returns that folder. The encoded latent pool is
    kept in ``pool_cache`` (default ``out/latent_pool.pt``) so that a resumed run, or another
    run on the same autoencoder, does not encode it again."""
    out = Path(out)
    vae_dir = Path(autoencoder)
    vae_dir = vae_dir / "vae" if (vae_dir / "vae" / "config.json").is_file() else vae_dir
    if not (vae_dir / "config.json").is_file():
        raise FileNotFoundError(f"autoencoder: no AutoencoderKL folder at {autoencoder}")
    vae = AutoencoderKL.from_pretrained(vae_dir, use_safetensors=True).float().eval()
    vae.requires_grad_(False)
    torch.manual_seed(config.seed)
    tokenizer = build_tokenizer()
    unet = apply_layout(no_dropout(build_unet(config.width, config.layout)), config.layout)
    if config.text_encoder == "shipped":
        text_encoder = CLIPTextModel.from_pretrained(
            shipped_autoencoder().parent / "text_encoder", use_safetensors=True
        ).float()
    else:
        text_encoder = build_text_encoder(len(tokenizer))
    model = _Denoiser(unet, text_encoder)
    if config.text_pretrain:
        pretrain_text_encoder(model.text_encoder, tokenizer, config.text_pretrain, config.seed)
    groups = [{"params": list(unet.parameters()), "lr_scale": 1.0}]
    if config.text_lr > 0:
        groups.append({"params": list(model.text_encoder.parameters()),
                       "lr_scale": float(config.text_lr)})  # fmt: skip
    else:
        model.text_encoder.requires_grad_(False)
    noise_schedule = DDPMScheduler.from_config(build_scheduler(config.prediction_type).config)
    token_cache: dict[str, torch.Tensor] = {}
    if config.latent_pool:
        cache = Path(pool_cache) if pool_cache is not None else out / "latent_pool.pt"
        pool = cached_pool(vae, vae_dir, config, cache, progress=progress)

    def tokens(captions: list[str]) -> torch.Tensor:
        for text in set(captions) - token_cache.keys():
            token_cache[text] = tokenizer(
                text, padding="max_length", max_length=tokenizer.model_max_length,
                truncation=True, return_tensors="pt",
            ).input_ids[0]  # fmt: skip
        return torch.stack([token_cache[c] for c in captions])

    def loss_fn(step: int) -> torch.Tensor:
        generator = _generator(config.seed, step)
        if config.latent_pool:
            pick = torch.randint(0, config.latent_pool, (config.batch,), generator=generator)
            x0, batch_captions = pool.latents[pick], [pool.captions[i] for i in pick.tolist()]
            mask = pool.masks[pick]
        else:
            clips = sample_clips(config.batch, config.frames, generator)
            x0, batch_captions = encode_videos(vae, clips.videos), clips.captions
            mask = object_mask(clips.videos)
        # x0: "b 8 f 8 8"
        noise = torch.randn(x0.shape, generator=generator)
        t = torch.randint(0, 1000, (config.batch,), generator=generator)
        drop = torch.rand(config.batch, generator=generator) < config.caption_dropout
        captions = ["" if d else c for d, c in zip(drop.tolist(), batch_captions)]
        context = model.text_encoder(tokens(captions))[0]  # "b L D"
        context = unet_text(model.unet, context, x0.shape[2])  # AnimateDiff: "(b f) L D"
        noisy = noise_schedule.add_noise(x0, noise, t)
        target = diffusion_target(config.prediction_type, noise_schedule, x0, noise, t)
        prediction = model.unet(noisy, t, encoder_hidden_states=context).sample
        weight = 1 + config.object_weight * mask.unsqueeze(1).float()  # "b 1 f 8 8"
        squared = (prediction - target).pow(2).mean(dim=1, keepdim=True)  # "b 1 f 8 8"
        per_clip = (weight * squared).flatten(1).sum(1) / weight.flatten(1).sum(1)  # "b"
        if config.snr_gamma:
            per_clip = per_clip * min_snr_weight(config.prediction_type, noise_schedule, t,
                                                 config.snr_gamma)  # fmt: skip
        return per_clip.mean()

    final = _run(config, model, loss_fn, out, resume=resume, progress=progress,
                 stop_after=stop_after, desc=f"train {config.layout} denoiser",
                 grad_clip=config.grad_clip, groups=groups)  # fmt: skip
    return save_pipeline(
        out / "pipeline", vae=vae, text_encoder=final.text_encoder, tokenizer=tokenizer,
        unet=final.unet, scheduler=build_scheduler(config.prediction_type), layout=config.layout,
    )  # fmt: skip


def save_pipeline(
    folder: str | Path,
    *,
    vae: nn.Module,
    text_encoder: nn.Module,
    tokenizer: object,
    unet: nn.Module,
    scheduler: object,
    layout: str = "modelscope",
    dtype: torch.dtype = torch.float16,
) -> Path:
    """Write a diffusers pipeline folder (``model_index.json``, one sub-folder per part, weights
    as safetensors in ``dtype``) plus ``vstar_lite.json`` with the layout and the sampling
    settings (:data:`~vstar_lite.tiny.parts.SAMPLING`). The folder names the pipeline class of
    its UNet: ``TextToVideoSDPipeline`` (ModelScope) for a ``UNet3DConditionModel``,
    ``AnimateDiffPipeline`` for a ``UNetMotionModel``, saved as AnimateDiff ships: an image
    ``unet`` and a ``motion_adapter`` (:func:`~vstar_lite.tiny.parts.split_motion_unet`), which
    ``AnimateDiffPipeline.from_pretrained`` joins again."""
    from diffusers import AnimateDiffPipeline, TextToVideoSDPipeline, UNetMotionModel

    folder = Path(folder)
    parts = {name: copy.deepcopy(m).to(dtype) for name, m in
             (("vae", vae), ("text_encoder", text_encoder), ("unet", unet))}  # fmt: skip
    if isinstance(unet, UNetMotionModel):
        image_unet, adapter = split_motion_unet(parts["unet"])
        pipe = AnimateDiffPipeline(tokenizer=tokenizer, scheduler=scheduler, motion_adapter=adapter,
                                   **parts)  # fmt: skip
        pipe.register_modules(unet=image_unet)  # saved apart, as AnimateDiff ships them
    else:
        pipe = TextToVideoSDPipeline(tokenizer=tokenizer, scheduler=scheduler, **parts)
    pipe.save_pretrained(folder, safe_serialization=True)
    settings = {"layout": layout, **SAMPLING}
    (folder / LAYOUT_FILE).write_text(json.dumps(settings, indent=2) + "\n")
    return folder


def shipped_autoencoder() -> Path:
    """The ``vae/`` folder of the shipped tiny model."""
    from vstar_lite.paths import data_path

    return data_path("tiny_model", "modelscope", "vae")


def train(
    preset: Preset,
    out: str | Path,
    *,
    autoencoder: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
    stop_after: int | None = None,
) -> Path:
    """Both stages into ``out``: stage 1 in ``out/autoencoder`` (skipped when ``autoencoder``
    names a trained one, or the preset reuses the shipped one), stage 2 in ``out``. Returns the
    exported pipeline folder ``out/pipeline``; ``stop_after`` applies to stage 2."""
    out = Path(out)
    if autoencoder is None and preset.autoencoder is not None:
        train_autoencoder(preset.autoencoder, out / "autoencoder", resume=resume,
                          progress=progress)  # fmt: skip
        autoencoder = out / "autoencoder" / "vae"
    if autoencoder is None:
        autoencoder = shipped_autoencoder()
    return train_denoiser(preset.denoiser, out, autoencoder, resume=resume, progress=progress,
                          stop_after=stop_after)  # fmt: skip
