"""vstar-lite: the small library behind the vstar-lite notebooks on video diffusion.

Modules, in the order the notebooks meet them:

- :mod:`vstar_lite.video`: the ``b c f h w`` layout, the SCVideo reshapes, a synthetic clip;
- :mod:`vstar_lite.viz`: frame strips and GIFs that play in notebooks;
- :mod:`vstar_lite.utils`: seeding and the notebooks' set-up cell.
"""

__version__ = "0.1.0.dev0"
