"""The tiny text-to-video world and its model, built from diffusers and transformers components.

- :mod:`vstar_lite.tiny.world`: the synthetic video world and its captions;
- :mod:`vstar_lite.tiny.parts`: the model's parts (``CLIPTokenizer`` over the world's words,
  ``CLIPTextModel``, ``AutoencoderKL``, ``UNet3DConditionModel``, DDIM) and its two layouts;
- :mod:`vstar_lite.tiny.training`: both training stages (``vstar-lite train``), exported as a
  diffusers pipeline folder that :meth:`vstar_lite.VSTARPipeline.from_pretrained` loads;
- :mod:`vstar_lite.tiny.measure`: attributes read back from pixels, and the scores built on them;
- :mod:`vstar_lite.tiny.evaluate`: captions x seeds through ``VSTARPipeline``, scored with
  intervals, and attention maps of real clips.
"""
