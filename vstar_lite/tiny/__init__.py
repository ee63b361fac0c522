"""The tiny text-to-video model of notebooks 05-09: world, text encoder, UNet, training, sampling.

- :mod:`vstar_lite.tiny.world`: the synthetic video world and its captions;
- :mod:`vstar_lite.tiny.text`: tokenizer and text encoder;
- :mod:`vstar_lite.tiny.model`: the video UNet in two configurations, save/load as safetensors;
- :mod:`vstar_lite.tiny.train`: the training loop (``vstar-lite train``);
- :mod:`vstar_lite.tiny.sample`: DDIM sampling with guidance and per-frame text;
- :mod:`vstar_lite.tiny.measure`: attributes read back from pixels, and the scores built on them.
"""

from pathlib import Path

from vstar_lite.paths import data_path
from vstar_lite.tiny.model import CONFIGS, TinyConfig, TinyT2V
from vstar_lite.tiny.sample import generate

__all__ = ["CONFIGS", "TinyConfig", "TinyT2V", "generate", "load_tiny", "shipped_dir"]


def shipped_dir(name: str = "vstar") -> Path:
    """The folder of the shipped weights of ``name`` (``"vstar"`` or ``"scvideo"``)."""
    if name not in CONFIGS:
        raise ValueError(f"name must be one of {sorted(CONFIGS)}, got {name!r}")
    return data_path("tiny_model", name)


def load_tiny(name_or_dir: str | Path = "vstar", device: str = "cpu") -> TinyT2V:
    """The shipped tiny model (``"vstar"`` or ``"scvideo"``) or one saved in a folder; offline."""
    if isinstance(name_or_dir, str) and name_or_dir in CONFIGS:
        return TinyT2V.load(shipped_dir(name_or_dir), device)
    return TinyT2V.load(name_or_dir, device)
