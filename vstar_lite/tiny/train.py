"""Training the tiny model on freshly drawn clips: x0 prediction, AdamW, warm-up + cosine, EMA.

The data of step ``s`` is drawn from ``seed`` and ``s`` alone, so a run resumed from its checkpoint
sees exactly the clips it would have seen without the interruption. Checkpoints (model, EMA,
optimizer, step, loss curve) are written every ``checkpoint_every`` steps with ``torch.save`` and
read back with ``weights_only=True``; the exported model is the EMA weights as safetensors.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from diffusers import DDPMScheduler
from tqdm.auto import tqdm

from vstar_lite.tiny.model import CONFIGS, PREDICTION_TYPES, TinyT2V, to_latents
from vstar_lite.tiny.training import (
    _curve_rows,
    _save_checkpoint,
    diffusion_target,
    learning_rate,
    read_curve,
)
from vstar_lite.tiny.training import _write_curve as write_curve
from vstar_lite.tiny.world import sample_clips

__all__ = ["PRESETS", "TrainConfig", "export_checkpoint", "read_curve", "train"]


@dataclass(frozen=True)
class TrainConfig:
    """One training run. ``model`` names a configuration of :data:`vstar_lite.tiny.CONFIGS`."""

    model: str = "vstar"
    prediction_type: str = "sample"
    steps: int = 1500
    batch: int = 16
    frames: int = 16
    lr: float = 1e-3
    warmup: int = 100
    grad_clip: float = 1.0
    caption_dropout: float = 0.1
    ema: float = 0.995
    seed: int = 0
    log_every: int = 25
    checkpoint_every: int = 250

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "frames", "log_every", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.model not in CONFIGS:
            raise ValueError(f"model must be one of {sorted(CONFIGS)}, got {self.model!r}")
        if self.prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"prediction_type must be one of {PREDICTION_TYPES}, got {self.prediction_type!r}"
            )
        if not 0 < self.lr < 1:
            raise ValueError(f"lr must be in (0, 1), got {self.lr!r}")
        if not 0 <= self.caption_dropout < 1:
            raise ValueError(f"caption_dropout must be in [0, 1), got {self.caption_dropout!r}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1) (0 turns it off), got {self.ema!r}")


PRESETS: dict[str, TrainConfig] = {
    # what a learner can retrain on 2 CPU cores in under 15 minutes
    "quick": TrainConfig(steps=1500, batch=8),
    # the shipped weights (data/tiny_model/): a longer run of the same recipe
    "shipped": TrainConfig(steps=4000, ema=0.999),
}


def training_loss(
    model: TinyT2V, scheduler: DDPMScheduler, config: TrainConfig, step: int
) -> torch.Tensor:
    """The denoising loss on the clips of ``step`` (deterministic in ``seed`` and ``step``): MSE
    between the network's output and :func:`diffusion_target` for its ``prediction_type``."""
    generator = torch.Generator().manual_seed(config.seed * 1_000_003 + step)
    clips = sample_clips(config.batch, config.frames, generator)
    x0 = to_latents(clips.videos)  # "b 48 f 8 8"
    noise = torch.randn(x0.shape, generator=generator)
    t = torch.randint(0, scheduler.config.num_train_timesteps, (config.batch,), generator=generator)
    drop = torch.rand(config.batch, generator=generator) < config.caption_dropout
    captions = ["" if d else c for d, c in zip(drop.tolist(), clips.captions)]
    noisy = scheduler.add_noise(x0, noise, t)
    target = diffusion_target(model.config.prediction_type, scheduler, x0, noise, t)
    prediction = model(noisy, t, model.encode(captions))
    return torch.nn.functional.mse_loss(prediction, target)


def train(
    config: TrainConfig,
    out: str | Path,
    resume: bool = True,
    progress: bool = True,
    stop_after: int | None = None,
) -> TinyT2V:
    """Train (or resume) into ``out``; returns the EMA model (the plain model when ``ema=0``).

    ``stop_after``: stop (checkpoint, export) after this step, as if interrupted there; the
    learning-rate schedule still spans ``config.steps``. A later call resumes.

    ``out`` receives ``checkpoint.pt`` (for resuming), ``curves.csv`` (step, loss, lr, seconds),
    ``train_config.json`` and the exported model (``model.safetensors`` + ``config.json``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    model = TinyT2V(replace(CONFIGS[config.model], prediction_type=config.prediction_type))
    ema = copy.deepcopy(model).requires_grad_(False) if config.ema > 0 else None
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    scheduler = DDPMScheduler(**model.config.scheduler_config)
    start, curve, elapsed = 0, [], 0.0
    checkpoint = out / "checkpoint.pt"
    if resume and checkpoint.exists():
        state = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"])
        if ema is not None and state["ema"]:
            ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["step"])
        curve = _curve_rows(state)
        elapsed = curve[-1]["seconds"] if curve else 0.0
    (out / "train_config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")

    model.train()
    running, logged, began = 0.0, 0, time.perf_counter() - elapsed
    if stop_after is not None and not 0 < stop_after <= config.steps:
        raise ValueError(f"stop_after must be in [1, steps={config.steps}], got {stop_after!r}")
    last = config.steps if stop_after is None else stop_after
    bar = tqdm(
        range(start, last),
        initial=start,
        total=config.steps,
        disable=not progress,
        desc=f"train {config.model}",
    )
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step)
        loss = training_loss(model, scheduler, config, step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        if ema is not None:
            with torch.no_grad():
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.lerp_(p, 1 - config.ema)
        running, logged = running + loss.item(), logged + 1
        done = step + 1
        if done % config.log_every == 0 or done == config.steps:
            row = {
                "step": done,
                "loss": running / logged,
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": time.perf_counter() - began,
            }
            curve.append(row)
            running, logged = 0.0, 0
            bar.set_postfix(loss=f"{row['loss']:.4f}")
        if done % config.checkpoint_every == 0 or done in (config.steps, last):
            _save_checkpoint(
                checkpoint,
                {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "ema": ema.state_dict() if ema is not None else {}},
                done,
                curve,
            )  # fmt: skip
    bar.close()
    write_curve(curve, out / "curves.csv")
    final = (ema if ema is not None else model).eval()
    final.save(out)
    return final


def export_checkpoint(run: str | Path, out: str | Path, ema: bool = True) -> Path:
    """Save the model of a run's ``checkpoint.pt`` (EMA weights by default) as a model folder."""
    run = Path(run)
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    config = json.loads((run / "train_config.json").read_text())
    model = TinyT2V(config["model"])
    model.load_state_dict(state["ema"] if ema and state["ema"] else state["model"])
    directory = model.save(out)
    write_curve(_curve_rows(state), directory / "curves.csv")
    return directory
