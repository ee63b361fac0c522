"""VSTAR text-to-video pipeline: prompt or synopsis in, frames out, on diffusers components.

:class:`VSTARPipeline` holds the five parts every latent text-to-video model has (``tokenizer``,
``text_encoder``, ``unet``, ``vae``, ``scheduler``) and runs them:

1. encode the prompt (or each sub-prompt of a synopsis) and the empty/negative prompt;
2. VSP: sub-prompt embeddings ``"N L D"`` -> one per frame ``"F L D"``
   (:func:`~vstar_lite.vsp.interpolate_embeddings`); the unconditional embedding stays the same
   for every frame;
3. start from noise ``"b c f h w"``, drawn frame-major on the CPU from ``seed`` (so 16 and 64
   frames from one seed share their first frames' noise, on any device);
4. denoise with the scheduler (DDIM for the presets) and classifier-free guidance
   ``out = out_uncond + w (out_cond - out_uncond)``, with TAR, VSP and attention capture switched
   on by :func:`~vstar_lite.enable_vstar` for the duration of the loop only;
5. decode the latents a few frames at a time (``decode_chunk``), so that 64-128 frames fit.

Loading: :meth:`VSTARPipeline.from_pretrained` takes a model id, a local diffusers folder, a
name of :data:`PRESETS` or of :data:`TINY_PIPELINES`, and uses diffusers' own loaders. The
course's tiny models are diffusers pipeline folders too (the shipped ones under
``data/tiny_model/``, or one written by ``vstar-lite train``): they load offline through the
same code, and their ``vstar_lite.json`` sets their layout and sampling settings.
:meth:`VSTARPipeline.from_tiny` is ``from_pretrained`` restricted to those folders.

Written against and tested on CPU with diffusers 0.42.1 and transformers 5.23.0 (tiny random
components; the presets' weights are not downloaded by the tests).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from einops import rearrange
from tqdm.auto import tqdm

from vstar_lite.diffusers_hooks import check_tar, enable_vstar
from vstar_lite.memory import check_fits
from vstar_lite.processors import AttentionCapture
from vstar_lite.tar import TARConfig
from vstar_lite.unet_layers import unet_text
from vstar_lite.vsp import Synopsis, interpolate_embeddings, load_synopses

__all__ = [
    "DIFFUSERS_VERSION_TESTED",
    "PRESETS",
    "Preset",
    "TINY_PIPELINES",
    "VSTARPipeline",
    "VSTARResult",
    "is_tiny_model",
    "tiny_folder",
]

DIFFUSERS_VERSION_TESTED = "0.42.1"
# The course's tiny pipelines (folders under data/tiny_model/), by name; "scvideo" is the SCVideo
# layout, which ships only once it has been trained.
TINY_PIPELINES: dict[str, str] = {
    "tiny": "modelscope",
    "tiny-animatediff": "animatediff",
    "scvideo": "scvideo",
}


@dataclass(frozen=True)
class Preset:
    """A pretrained model and the settings it is usually sampled with."""

    model_id: str  # Hugging Face id of the diffusers pipeline (AnimateDiff: the SD 1.5 base)
    motion_adapter: str | None = None  # AnimateDiff: the MotionAdapter id
    variant: str | None = None  # weight file variant to load in float16 ("fp16")
    scheduler: dict[str, Any] = field(default_factory=dict)  # DDIMScheduler config overrides
    height: int = 256
    width: int = 256
    guidance: float = 9.0
    steps: int = 25
    eta: float = 1.0  # DDIM's noise: 1.0 as in the VSTAR paper, 0.0 deterministic
    why: str = ""  # where these settings come from


VSTAR_SAMPLING = (
    "DDIM, 25 steps, eta 1.0 as the VSTAR paper samples (TAR then covers steps 0-13, the first 56%)"
)
# Written against diffusers 0.42.1 (text-to-video pipelines now live in diffusers' deprecated/,
# but DiffusionPipeline.from_pretrained still loads them). Not downloaded by the CPU tests.
PRESETS: dict[str, Preset] = {
    # ModelScope text-to-video 1.7B (UNet3DConditionModel), 256 x 256
    "modelscope": Preset(
        "ali-vilab/text-to-video-ms-1.7b",
        variant="fp16",
        why=f"guidance 9, the model's own default in diffusers; {VSTAR_SAMPLING}",
    ),
    # Zeroscope v2 576w: ModelScope architecture fine-tuned at 576 x 320
    "zeroscope": Preset(
        "cerspense/zeroscope_v2_576w",
        height=320,
        width=576,
        why=f"576 x 320, the size it was fine-tuned at; guidance 9 as ModelScope; {VSTAR_SAMPLING}",
    ),
    # AnimateDiff v1.5.2 motion modules on an SD 1.5 fine-tune (UNetMotionModel), 512 x 512,
    # with the DDIM settings of diffusers' AnimateDiff documentation
    "animatediff": Preset(
        "emilianJR/epiCRealism",
        motion_adapter="guoyww/animatediff-motion-adapter-v1-5-2",
        scheduler={
            "clip_sample": False,
            "timestep_spacing": "linspace",
            "beta_schedule": "linear",
            "steps_offset": 1,
        },
        height=512,
        width=512,
        guidance=7.5,
        eta=0.0,
        why="512 x 512, guidance 7.5, 25 DDIM steps, eta 0: the settings of diffusers' "
        "AnimateDiff documentation (its example for these motion modules)",
    ),
}


# Settings for a model id or folder that is not a preset: the defaults of Preset, eta 0.
UNLISTED = Preset(
    "",
    eta=0.0,
    why="a model without a preset: guidance 9 and 25 steps as ModelScope, its own scheduler, "
    "eta 0 (deterministic DDIM)",
)


def is_tiny_model(name_or_dir: str | Path) -> bool:
    """A name in :data:`TINY_PIPELINES`, or a folder written by ``vstar-lite train`` (it holds
    ``vstar_lite.json``)."""
    from vstar_lite.tiny.parts import LAYOUT_FILE

    if isinstance(name_or_dir, str) and name_or_dir in TINY_PIPELINES:
        return True
    return (Path(name_or_dir) / LAYOUT_FILE).is_file()


def tiny_folder(name: str) -> Path:
    """The shipped folder of a name in :data:`TINY_PIPELINES`; a one-line
    ``FileNotFoundError`` that says how to train it when it is not shipped."""
    if name not in TINY_PIPELINES:
        raise ValueError(f"name must be one of {sorted(TINY_PIPELINES)}, got {name!r}")
    from vstar_lite.paths import data_path

    folder = TINY_PIPELINES[name]  # named after its layout
    try:
        return data_path("tiny_model", folder, "model_index.json").parent
    except FileNotFoundError:
        raise FileNotFoundError(
            f"tiny model {name!r} is not shipped: folder data/tiny_model/{folder} is missing; "
            f"train it with `vstar-lite train --preset quick --layout {folder} --out "
            f"runs/{folder}` and load runs/{folder}/pipeline (or copy it to "
            f"data/tiny_model/{folder})"
        ) from None


def _folder_settings(model_id: str) -> dict[str, Any]:
    """The ``vstar_lite.json`` of a local pipeline folder (layout, guidance, steps), or ``{}``."""
    from vstar_lite.tiny.parts import LAYOUT_FILE

    path = Path(model_id) / LAYOUT_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Load a local course folder without diffusers' and transformers' progress bars, notes and
    warnings (its own deprecation note, "accelerate not found"): they say nothing about a folder
    the course wrote itself, and they would land in every notebook's stored output. Restores
    both libraries' verbosity and progress-bar settings afterwards."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    saved = [(lib, lib.get_verbosity(), lib.is_progress_bar_enabled())
             for lib in (diffusers_logging, transformers_logging)]  # fmt: skip
    for lib, _, _ in saved:
        lib.set_verbosity_error()
        lib.disable_progress_bar()
    try:
        yield
    finally:
        for lib, verbosity, bars in saved:
            lib.set_verbosity(verbosity)
            (lib.enable_progress_bar if bars else lib.disable_progress_bar)()


def _resolve_dtype(dtype: torch.dtype | str | None, device: torch.device) -> torch.dtype:
    """float16 on CUDA, float32 elsewhere, unless given (a dtype or its name)."""
    if dtype is None:
        return torch.float16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, str):
        names = {
            "float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16,
            "bf16": torch.bfloat16, "float32": torch.float32, "fp32": torch.float32,
        }  # fmt: skip
        if dtype not in names:
            raise ValueError(f"dtype must be one of {sorted(names)}, got {dtype!r}")
        return names[dtype]
    if dtype not in (torch.float16, torch.bfloat16, torch.float32):
        raise ValueError(f"dtype must be float16, bfloat16 or float32, got {dtype!r}")
    return dtype


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if not ok or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an int {bound}, got {value!r}")
    return value


def _check_number(name: str, value: Any, low: float, high: float | None = None) -> float:
    """A finite real number in ``[low, high]`` (``nan`` and ``inf`` are refused by name)."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = is_number and math.isfinite(value) and value >= low
    if not ok or (high is not None and value > high):
        bound = f"in [{low:g}, {high:g}]" if high is not None else f">= {low:g}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


MAX_SEED = 2**64 - 1  # torch.Generator.manual_seed takes a 64-bit unsigned seed
# Peak memory of sampling, in units of one full-resolution activation of the UNet's first level
# (rows x frames x channels x latent pixels): 36-43 measured on the tiny model at 16-1024 frames
# and 32-128 pixels (growth of the peak resident memory), so 40.
ACTIVATIONS_AT_PEAK = 40


def _check_prompts(prompt: Any) -> list[str]:
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, (list, tuple)) or not prompts:
        raise ValueError(f"prompt must be a non-empty string or a list of them, got {prompt!r}")
    for text in prompts:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                f"prompt must be a non-empty string or a list of them, got {text!r} in {prompt!r}"
            )
    return list(prompts)


def _dtype_kwarg(dtype: torch.dtype) -> dict[str, torch.dtype]:
    """diffusers renamed ``from_pretrained``'s ``torch_dtype`` to ``dtype`` (deprecated ~0.36)."""
    try:
        from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401
    except ImportError:
        return {"torch_dtype": dtype}
    return {"dtype": dtype}


@dataclass
class VSTARResult:
    """Videos ``"b 3 f h w"`` (float32, CPU, in [-1, 1]), the attention capture if asked."""

    videos: torch.Tensor
    capture: AttentionCapture | None = None
    seconds: float = 0.0

    @property
    def frames(self) -> list[np.ndarray]:
        """One ``"f h w 3"`` uint8 array per video."""
        from vstar_lite.viz import to_uint8_frames

        return [to_uint8_frames(video, (-1.0, 1.0)) for video in self.videos]

    def save(self, path: str | Path, index: int = 0, *, fps: float = 8.0, scale: int = 1) -> Path:
        """Write video ``index`` as ``.gif`` or ``.mp4`` (:func:`vstar_lite.export.save_video`)."""
        from vstar_lite.export import save_video

        return save_video(self.frames[index], path, fps=fps, scale=scale)


class VSTARPipeline:
    """Text-to-video sampling with TAR and VSP on diffusers components (see the module docstring).

    ``unet`` is called as ``unet(sample "b c f h w", timestep, encoder_hidden_states).sample``;
    a ``UNetMotionModel`` (AnimateDiff) gets its text as ``"(b f) L D"``, every other UNet as
    ``"b L D"``. ``vae.decode(latents "n c h w").sample`` gives images in [-1, 1].
    """

    def __init__(
        self,
        tokenizer: Any,
        text_encoder: torch.nn.Module,
        unet: torch.nn.Module,
        vae: torch.nn.Module,
        scheduler: Any,
        *,
        guidance: float = UNLISTED.guidance,
        steps: int = UNLISTED.steps,
        eta: float = UNLISTED.eta,
        height: int | None = None,
        width: int | None = None,
        name: str = "",
        tiny: bool = False,
    ):
        self.tokenizer, self.text_encoder, self.unet = tokenizer, text_encoder, unet
        self.vae, self.scheduler = vae, scheduler
        self.default_guidance, self.default_steps, self.default_eta = guidance, steps, eta
        self.vae_scale_factor = getattr(vae, "spatial_scale", None) or 2 ** (
            len(vae.config.block_out_channels) - 1
        )
        self.height = height or unet.config.sample_size * self.vae_scale_factor
        self.width = width or unet.config.sample_size * self.vae_scale_factor
        self.name, self.tiny = name, tiny

    # ------------------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(
        cls,
        model: str | Path,
        dtype: torch.dtype | str | None = None,
        device: torch.device | str | None = None,
        **kwargs: Any,
    ) -> VSTARPipeline:
        """Load a preset name (:data:`PRESETS`), a diffusers model id or folder, or a tiny model
        (a name in :data:`TINY_PIPELINES`, or a folder written by ``vstar-lite train``).

        ``dtype``: float16 on CUDA, float32 on CPU by default. Weights load from safetensors only
        (``use_safetensors=True``: a pickled ``.bin`` can run code when loaded); pass
        ``use_safetensors=False`` to accept a model that has only ``.bin`` files. Further keyword
        arguments go to diffusers' ``from_pretrained`` (e.g. ``cache_dir``,
        ``local_files_only=True``).
        """
        kwargs.setdefault("use_safetensors", True)
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if str(model) in TINY_PIPELINES:  # a shipped tiny pipeline folder
            model = tiny_folder(str(model))
        dtype = _resolve_dtype(dtype, device)
        from diffusers import DDIMScheduler, DiffusionPipeline

        preset = PRESETS.get(str(model))
        model_id = preset.model_id if preset else str(model)
        if preset is not None and preset.motion_adapter is not None:
            from diffusers import AnimateDiffPipeline, MotionAdapter

            adapter = MotionAdapter.from_pretrained(
                preset.motion_adapter,
                use_safetensors=kwargs["use_safetensors"],
                **_dtype_kwarg(dtype),
            )
            pipe = AnimateDiffPipeline.from_pretrained(
                model_id, motion_adapter=adapter, **_dtype_kwarg(dtype), **kwargs
            )
        else:
            if preset is not None and preset.variant and dtype == torch.float16:
                kwargs.setdefault("variant", preset.variant)
            quiet = contextlib.nullcontext()
            if Path(model_id).is_dir():
                kwargs.setdefault("local_files_only", True)
                if _folder_settings(model_id):  # written by vstar-lite train
                    quiet = _quiet_loading()
            with quiet:
                pipe = DiffusionPipeline.from_pretrained(model_id, **_dtype_kwarg(dtype), **kwargs)
        missing = [
            part
            for part in ("tokenizer", "text_encoder", "unet", "vae", "scheduler")
            if getattr(pipe, part, None) is None
        ]
        if missing:
            raise ValueError(
                f"model {model!r} loads as {type(pipe).__name__}, which lacks {missing}: "
                "VSTARPipeline needs a UNet text-to-video model (ModelScope / Zeroscope style or "
                f"AnimateDiff); presets: {sorted(PRESETS)}"
            )
        scheduler = pipe.scheduler
        if preset is not None:
            scheduler = DDIMScheduler.from_config(scheduler.config, **preset.scheduler)
        settings = _folder_settings(model_id)
        if settings:  # a folder written by vstar-lite train: its layout and sampling settings
            from vstar_lite.tiny.parts import apply_layout

            apply_layout(pipe.unet, settings.get("layout", "modelscope"))
            return cls(pipe.tokenizer, pipe.text_encoder.to(device), pipe.unet.to(device),
                       pipe.vae.to(device), scheduler,
                       guidance=settings.get("guidance", UNLISTED.guidance),
                       steps=settings.get("steps", UNLISTED.steps),
                       eta=settings.get("eta", UNLISTED.eta), name=str(model),
                       tiny=True)  # fmt: skip
        return cls(
            pipe.tokenizer,
            pipe.text_encoder.to(device),
            pipe.unet.to(device),
            pipe.vae.to(device),
            scheduler,
            guidance=(preset or UNLISTED).guidance,
            steps=(preset or UNLISTED).steps,
            eta=(preset or UNLISTED).eta,
            height=preset.height if preset else None,  # an unlisted model: its UNet's own size
            width=preset.width if preset else None,
            name=str(model),
        )

    @classmethod
    def from_tiny(
        cls, name_or_dir: str | Path = "tiny", device: torch.device | str = "cpu"
    ) -> VSTARPipeline:
        """A tiny model of the course, offline: a name in :data:`TINY_PIPELINES` (``"tiny"``:
        ``data/tiny_model/modelscope``) or a pipeline folder written by ``vstar-lite train``."""
        if not is_tiny_model(name_or_dir):
            raise ValueError(
                f"name_or_dir must be one of {sorted(TINY_PIPELINES)} or a folder written by "
                f"vstar-lite train (with vstar_lite.json), got {str(name_or_dir)!r}"
            )
        return cls.from_pretrained(name_or_dir, device=device)

    # ------------------------------------------------------------------------------ the parts
    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.unet.parameters()).dtype

    @property
    def is_tiny(self) -> bool:
        """A model of the course's tiny world (32 x 32 frames)."""
        return self.tiny

    def unet_text(self, context: torch.Tensor, num_frames: int) -> torch.Tensor:
        """Text ``"b L D"`` as this pipeline's UNet reads it
        (:func:`~vstar_lite.unet_layers.unet_text`)."""
        return unet_text(self.unet, context, num_frames)

    def check_words(self, prompts: Sequence[str]) -> None:
        """A tiny-world pipeline refuses a word outside its grammar (a ``ValueError`` naming it);
        any other pipeline takes every word."""
        if self.tiny:
            from vstar_lite.tiny.parts import check_prompt

            for text in prompts:
                check_prompt(text)

    @torch.no_grad()
    def encode_prompt(self, prompts: Sequence[str]) -> torch.Tensor:
        """Prompts -> ``"b L D"`` text embeddings (padded to the tokenizer's maximum length),
        after :meth:`check_words`."""
        self.check_words(prompts)
        tokens = self.tokenizer(
            list(prompts),
            padding="max_length",
            max_length=self.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        )
        hidden = self.text_encoder(tokens.input_ids.to(self.text_encoder.device))[0]
        return hidden.to(self.device, self.dtype)

    def prepare_latents(
        self, videos: int, num_frames: int, height: int, width: int, generator: torch.Generator
    ) -> torch.Tensor:
        """Starting noise ``"b c f h w"``: drawn as ``"b f c h w"`` on the CPU (prefix-stable)."""
        channels = self.unet.config.in_channels
        shape = (videos, num_frames, channels, height // self.vae_scale_factor,
                 width // self.vae_scale_factor)  # fmt: skip
        noise = torch.randn(shape, generator=generator)
        latents = noise.transpose(1, 2).contiguous().to(self.device, self.dtype)
        return latents * self.scheduler.init_noise_sigma

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor, decode_chunk: int = 8) -> torch.Tensor:
        """Latents ``"b c f h w"`` -> videos ``"b 3 f H W"`` (float32, CPU, clamped to [-1, 1]),
        decoding ``decode_chunk`` frames at a time."""
        _check_int("decode_chunk", decode_chunk, 1)
        b = latents.shape[0]
        frames = rearrange(latents, "b c f h w -> (b f) c h w") / self.vae.config.scaling_factor
        vae_dtype = getattr(self.vae, "dtype", frames.dtype)
        images = [
            self.vae.decode(chunk.to(vae_dtype)).sample.float().cpu()
            for chunk in frames.split(decode_chunk)
        ]
        video = rearrange(torch.cat(images), "(b f) c h w -> b c f h w", b=b)
        return video.clamp(-1.0, 1.0)

    def _conditioning(
        self, prompt: str | Sequence[str] | None, synopsis: Any, num_frames: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``"b L D"`` conditional text, and ``"b F L D"`` per-frame text for a synopsis."""
        if prompt is not None:
            return self.encode_prompt(_check_prompts(prompt)), None
        per_video = []
        for entry in self._resolve_synopses(synopsis):
            sub = self.encode_prompt(entry.sub_prompts)  # "N L D"
            per_video.append(
                interpolate_embeddings(sub, num_frames, entry.keyframes_for(num_frames))
            )
        frame_embeddings = torch.stack(per_video)  # "b F L D"
        return frame_embeddings[:, 0], frame_embeddings

    def estimate_memory(
        self, num_frames: int, height: int, width: int, videos: int = 1, guidance: bool = True
    ) -> int:
        """An estimate, in bytes, of the memory that sampling this request needs beyond the
        weights: the UNet's activations at their peak (``ACTIVATIONS_AT_PEAK`` full-resolution
        activations of its first level, measured) and the decoded float32 video."""
        rows = videos * (2 if guidance else 1)
        latent_pixels = (height // self.vae_scale_factor) * (width // self.vae_scale_factor)
        channels = self.unet.config.block_out_channels[0]
        element = torch.finfo(self.dtype).bits // 8
        activation = rows * num_frames * channels * latent_pixels * element
        video = videos * num_frames * 3 * height * width * 4
        return ACTIVATIONS_AT_PEAK * activation + 2 * video

    def _resolve_synopses(self, synopsis: Any) -> list[Synopsis]:
        """Synopses and shipped names -> ``Synopsis`` objects, all checked before any encoding."""
        if isinstance(synopsis, (Synopsis, str)):
            entries = [synopsis]
        elif isinstance(synopsis, (list, tuple)) and synopsis:
            entries = list(synopsis)
        else:
            raise ValueError(
                "synopsis must be a Synopsis, a shipped name or a non-empty list of them, "
                f"got {synopsis!r}"
            )
        shipped = load_synopses() if any(isinstance(e, str) for e in entries) else {}
        resolved = []
        for entry in entries:
            if isinstance(entry, str):
                if entry not in shipped:  # list the ones this model can draw
                    names = sorted(n for n in shipped if n.startswith("tiny_") == self.tiny)
                    which = "the tiny model" if self.tiny else "pretrained models"
                    raise ValueError(f"synopsis {entry!r} is not shipped; for {which}: {names}")
                entry = shipped[entry]
            if not isinstance(entry, Synopsis):
                raise ValueError(f"synopsis must be a Synopsis or a shipped name, got {entry!r}")
            resolved.append(entry)
        return resolved

    # ------------------------------------------------------------------------------ sampling
    @torch.no_grad()
    def __call__(
        self,
        prompt: str | Sequence[str] | None = None,
        synopsis: Synopsis | str | Sequence[Synopsis | str] | None = None,
        *,
        num_frames: int = 16,
        steps: int | None = None,
        guidance: float | None = None,
        tar: TARConfig | None = None,
        seed: int = 0,
        height: int | None = None,
        width: int | None = None,
        negative_prompt: str = "",
        eta: float | None = None,
        decode_chunk: int = 8,
        progress: bool = True,
        capture: bool = False,
        output: Literal["video", "latent"] = "video",
    ) -> VSTARResult:
        """Generate videos for a prompt (or list) or a synopsis (or list; ``Synopsis`` or a name
        in ``data/synopses.json``). ``tar``: a :class:`~vstar_lite.tar.TARConfig` or None.
        ``guidance=1`` turns classifier-free guidance off. ``output="latent"`` skips decoding
        (``videos`` are then the latents ``"b c f h w"``). ``eta``: DDIM's noise (0 deterministic,
        1 as in the VSTAR paper; default: the model's, see :data:`PRESETS`); schedulers without it
        ignore it.

        Every argument is checked before any compute; a bad one raises a one-line
        ``ValueError`` that names it and its valid range."""
        _check_int("num_frames", num_frames, 1)
        steps = _check_int("steps", self.default_steps if steps is None else steps, 1, 1000)
        guidance = self.default_guidance if guidance is None else guidance
        guidance = _check_number("guidance (1 = no guidance)", guidance, 1.0)
        eta = _check_number("eta", self.default_eta if eta is None else eta, 0.0, 1.0)
        _check_int("seed", seed, 0, MAX_SEED)
        _check_int("decode_chunk", decode_chunk, 1)
        if tar is not None and not isinstance(tar, TARConfig):
            raise ValueError(f"tar must be a TARConfig or None, got {type(tar).__name__}")
        if tar is not None:
            tar.last_step(steps)  # an absolute cut-off past the run's end is refused here
        check_tar(self.unet, tar, capture=capture)
        if output not in ("video", "latent"):
            raise ValueError(f"output must be 'video' or 'latent', got {output!r}")
        if not isinstance(negative_prompt, str):
            raise ValueError(f"negative_prompt must be a string, got {negative_prompt!r}")
        if (prompt is None) == (synopsis is None):
            raise ValueError("give exactly one of prompt and synopsis")
        if prompt is not None:
            _check_prompts(prompt)
        else:
            self._resolve_synopses(synopsis)
        height, width = height or self.height, width or self.width
        for label, size in (("height", height), ("width", width)):
            if (
                isinstance(size, bool)
                or not isinstance(size, int)
                or size < 1
                or (size % self.vae_scale_factor)
            ):
                raise ValueError(
                    f"{label} must be a positive multiple of {self.vae_scale_factor}, got {size!r}"
                )
        videos = (
            len(_check_prompts(prompt))
            if prompt is not None
            else len(self._resolve_synopses(synopsis))
        )
        check_fits(
            self.estimate_memory(num_frames, height, width, videos, guidance > 1.0),
            self.device,
            f"{videos} video(s) of {num_frames} frames at {height} x {width}",
            "lower num_frames (--frames), height and width (--height, --width) or the number "
            "of prompts",
        )
        started = time.perf_counter()
        cond, frame_embeddings = self._conditioning(prompt, synopsis, num_frames)
        videos = cond.shape[0]
        use_guidance = guidance > 1.0
        context = cond
        if use_guidance:
            uncond = self.encode_prompt([negative_prompt]).expand(videos, -1, -1)
            context = torch.cat([uncond, cond])
        context = self.unet_text(context, num_frames)

        scheduler = type(self.scheduler).from_config(self.scheduler.config)
        scheduler.set_timesteps(steps, device=self.device)
        generator = torch.Generator().manual_seed(seed)
        latents = self.prepare_latents(videos, num_frames, height, width, generator)
        step_kwargs = self._step_kwargs(scheduler, eta, generator)

        hooks = (
            enable_vstar(
                self.unet,
                tar,
                frame_embeddings=frame_embeddings,
                capture=capture,
                num_steps=steps,
                guidance=use_guidance,
            )  # fmt: skip
            if tar is not None or frame_embeddings is not None or capture
            else contextlib.nullcontext()
        )
        order = getattr(scheduler, "order", 1)  # UNet calls per step (2 for Heun)
        with hooks as handle:
            for index, t in enumerate(
                tqdm(scheduler.timesteps, disable=not progress, desc="denoising")
            ):
                if handle is not None:
                    handle.set_step(index // order)
                model_input = torch.cat([latents, latents]) if use_guidance else latents
                model_input = scheduler.scale_model_input(model_input, t)
                out = self.unet(model_input, t, encoder_hidden_states=context).sample
                if use_guidance:
                    out_uncond, out_cond = out.chunk(2)
                    out = out_uncond + guidance * (out_cond - out_uncond)
                latents = scheduler.step(out, t, latents, **step_kwargs).prev_sample
        store = handle.capture if capture else None
        result = latents.float().cpu() if output == "latent" else None
        if result is None:
            result = self.decode_latents(latents, decode_chunk)
        return VSTARResult(result, store, time.perf_counter() - started)

    @staticmethod
    def _step_kwargs(scheduler: Any, eta: float, generator: torch.Generator) -> dict[str, Any]:
        accepted = set(inspect.signature(scheduler.step).parameters)
        kwargs: dict[str, Any] = {}
        if "eta" in accepted:
            kwargs["eta"] = eta
        if "generator" in accepted:
            kwargs["generator"] = generator
        return kwargs
