"""The tiny text-to-video model of notebooks 05-09: world, text encoder, UNet, training, sampling.

- :mod:`vstar_lite.tiny.world`: the synthetic video world and its captions;
- :mod:`vstar_lite.tiny.text`: tokenizer and text encoder;
- :mod:`vstar_lite.tiny.model`: the video UNet in two configurations, save/load as safetensors;
- :mod:`vstar_lite.tiny.train`: the training loop (``vstar-lite train``);
- :mod:`vstar_lite.tiny.sample`: DDIM sampling with guidance and per-frame text;
- :mod:`vstar_lite.tiny.measure`: attributes read back from pixels, and the scores built on them.
"""

from vstar_lite.tiny.model import CONFIGS, TinyConfig, TinyT2V
from vstar_lite.tiny.sample import generate

__all__ = ["CONFIGS", "TinyConfig", "TinyT2V", "generate"]
