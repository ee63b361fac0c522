"""TAR: temporal attention regularization (VSTAR, ICLR 2025).

A temporal self-attention call has, per pixel position and head, ``F x F`` logits
``S[i, j] = q_i . k_j / sqrt(d)``. TAR adds a Gaussian band around the diagonal, scaled by each
row's largest logit ``m_i = max_j S[i, j]``:

    R[i, j]  = exp(-(i - j)^2 / (2 sigma^2))          (diagonal exactly 1, symmetric Toeplitz)
    S'[i, j] = S[i, j] + scale * m_i * R[i, j]
    A        = softmax_j(S'),   output = A v

A small ``sigma`` favours nearby frames strongly (more change over time, less coherence); a large
one spreads the boost over many frames. Because the boost is proportional to ``m_i``, a row whose
largest logit is negative has its diagonal pushed *down*; the reference does not guard against
this and neither do we (notebook 07 shows it).

Where TAR is applied is configured by :class:`TARConfig`: a sigma per UNet level, a scale, and the
last regularized denoising step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import torch

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "TARConfig",
    "diagonalness",
    "gaussian_toeplitz",
    "mean_diagonal_probability",
    "regularized_attention_probs",
    "tar_attention",
]

DEFAULT_CHUNK_BYTES = (
    8 * 2**20
)  # logits held at once by tar_attention (cache-sized chunks are fastest)


def _check_sigma(sigma: float) -> float:
    is_number = isinstance(sigma, (int, float)) and not isinstance(sigma, bool)
    if not (is_number and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    return float(sigma)


def _check_scale(scale: float) -> float:
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale):
        raise ValueError(f"scale must be a finite number, got {scale!r}")
    return float(scale)


def gaussian_toeplitz(
    num_frames: int,
    sigma: float,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """The ``F x F`` matrix ``R[i, j] = exp(-(i - j)^2 / (2 sigma^2))``; its diagonal is 1."""
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 1:
        raise ValueError(f"num_frames must be an int >= 1, got {num_frames!r}")
    sigma = _check_sigma(sigma)
    index = torch.arange(num_frames, device=device, dtype=torch.float64)
    offset = index[:, None] - index[None, :]  # "f f": i - j
    matrix = torch.exp(-(offset**2) / (2.0 * sigma**2))
    return matrix.to(dtype or torch.get_default_dtype())


def _check_square(tensor: torch.Tensor, name: str) -> int:
    if tensor.ndim < 2 or tensor.shape[-1] != tensor.shape[-2]:
        raise ValueError(f"{name} must have shape (..., F, F), got {tuple(tensor.shape)}")
    return tensor.shape[-1]


def regularized_attention_probs(
    logits: torch.Tensor, sigma: float, scale: float = 1.0
) -> torch.Tensor:
    """TAR's probabilities ``softmax(S + scale * rowmax(S) * R)`` for logits ``S: (..., F, F)``."""
    num_frames = _check_square(logits, "logits")
    matrix = gaussian_toeplitz(num_frames, sigma, device=logits.device, dtype=logits.dtype)
    row_max = logits.amax(dim=-1, keepdim=True)  # "... f 1"
    return (logits + _check_scale(scale) * row_max * matrix).softmax(dim=-1)


def tar_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    sigma: float,
    scale: float = 1.0,
    *,
    max_chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> torch.Tensor:
    """Temporal attention with TAR: ``q, k: "... f d"``, ``v: "... f e"`` -> ``"... f e"``.

    The leading dimensions (pixels x heads x batch) are processed in chunks so that the ``f x f``
    logits held at once stay under ``max_chunk_bytes``: memory beyond the output stays bounded
    however long the video, where the plain formula needs all ``batch x f x f`` logits at once.
    """
    if q.shape[:-1] != k.shape[:-1] or q.shape[-1] != k.shape[-1]:
        raise ValueError(
            "q and k must have the same shape (..., F, d), "
            f"got {tuple(q.shape)} and {tuple(k.shape)}"
        )
    if v.shape[:-1] != k.shape[:-1]:
        raise ValueError(
            f"v must have shape (..., F, e) matching k's {tuple(k.shape[:-1])}, "
            f"got {tuple(v.shape)}"
        )
    for name, tensor in (("k", k), ("v", v)):
        if tensor.dtype != q.dtype:
            raise TypeError(f"{name} has dtype {tensor.dtype} but q has {q.dtype}; they must match")
    if not isinstance(max_chunk_bytes, int) or max_chunk_bytes < 1:
        raise ValueError(f"max_chunk_bytes must be a positive int, got {max_chunk_bytes!r}")
    scale = _check_scale(scale)
    *lead, num_frames, dim = q.shape
    matrix = gaussian_toeplitz(num_frames, sigma, device=q.device, dtype=q.dtype)
    qs, ks, vs = (t.reshape(-1, num_frames, t.shape[-1]) for t in (q, k, v))  # "(...) f d"
    out = torch.empty(qs.shape[0], num_frames, v.shape[-1], dtype=q.dtype, device=q.device)
    per_row = num_frames * num_frames * q.element_size()
    rows = max(1, max_chunk_bytes // per_row)
    differentiable = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
    pieces: list[torch.Tensor] = []
    for start in range(0, qs.shape[0], rows):
        stop = min(start + rows, qs.shape[0])
        logits = torch.bmm(qs[start:stop], ks[start:stop].transpose(1, 2))  # "n f f"
        if differentiable:  # autograd: the out-of-place formula
            probs = regularized_attention_probs(logits / math.sqrt(dim), sigma, scale)
            pieces.append(torch.bmm(probs, vs[start:stop]))
        else:
            logits.mul_(1.0 / math.sqrt(dim))  # S = q k^T / sqrt(d), in place
            row_max = logits.amax(dim=-1, keepdim=True)  # "n f 1"
            logits.addcmul_(row_max, matrix, value=scale)  # S + scale * m_i * R[i, j]
            torch.bmm(logits.softmax(dim=-1), vs[start:stop], out=out[start:stop])
    if differentiable:  # autograd cannot write into a preallocated output
        out = torch.cat(pieces)
    return out.reshape(*lead, num_frames, v.shape[-1])


def diagonalness(attention_map: torch.Tensor) -> torch.Tensor:
    """How much of an attention map's mass lies along the diagonal, in ``[-1, 1]``.

    The non-negative ``(..., F, F)`` map is read as a joint distribution over (row index, column
    index); the result is the Pearson correlation of the two indices: 1 when all mass is on the
    diagonal, 0 for a map without structure (e.g. uniform). Works on any leading dimensions.
    """
    num_frames = _check_square(attention_map, "attention_map")
    if num_frames < 2:
        raise ValueError("attention_map must be at least 2 x 2 for a correlation")
    p = attention_map.double()
    if (p < 0).any():
        raise ValueError("attention_map must be non-negative")
    p = p / p.sum(dim=(-2, -1), keepdim=True)
    index = torch.arange(num_frames, dtype=torch.float64, device=p.device)
    p_row, p_col = p.sum(dim=-1), p.sum(dim=-2)  # marginals, "... f"
    mean_row, mean_col = (p_row * index).sum(-1), (p_col * index).sum(-1)
    var_row = (p_row * index**2).sum(-1) - mean_row**2
    var_col = (p_col * index**2).sum(-1) - mean_col**2
    cov = (p * index[:, None] * index[None, :]).sum(dim=(-2, -1)) - mean_row * mean_col
    return (cov / torch.sqrt(var_row * var_col)).to(attention_map.dtype)


def mean_diagonal_probability(attention_map: torch.Tensor) -> torch.Tensor:
    """The mean diagonal of ``(..., F, F)`` probabilities; uniform attention gives ``1/F``."""
    _check_square(attention_map, "attention_map")
    return attention_map.diagonal(dim1=-2, dim2=-1).mean(dim=-1)


@dataclass(frozen=True)
class TARConfig:
    """Where and how strongly TAR regularizes temporal attention.

    ``sigmas``: sigma per UNet level; level 0 is the full latent resolution, level ``n`` is
    ``2**n`` times smaller (the middle block is the deepest level); levels not named are left alone.
    ``scale``: the ``lambda`` of the formula (1.0 in every published setting).
    ``until_step``: the last regularized denoising step, counted from 0 = noisiest; ``None``
    regularizes every step. The reference regularizes steps 0..13 of 25.
    ``include_input_block``: also regularize a lone temporal attention that sits before the first
    down block (diffusers' ``transformer_in``); the reference does not. Both attentions of every
    temporal block are regularized either way.

    The paper names sigmas by feature-map *width* (for VideoCrafter2's 40 x 64 latent: width 64 =
    level 0, 32 = level 1, 16 = level 2, 8 = the middle block); :meth:`from_widths` converts.
    """

    sigmas: Mapping[int, float]
    scale: float = 1.0
    until_step: int | None = 13
    include_input_block: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.sigmas, Mapping) or not self.sigmas:
            raise ValueError(
                f"sigmas must be a non-empty mapping level -> sigma, got {self.sigmas!r}"
            )
        checked = []
        for level, sigma in self.sigmas.items():
            if isinstance(level, bool) or not isinstance(level, int) or level < 0:
                raise ValueError(f"sigmas keys must be UNet levels, ints >= 0, got {level!r}")
            checked.append((level, _check_sigma(sigma)))
        object.__setattr__(self, "sigmas", dict(sorted(checked)))
        object.__setattr__(self, "scale", _check_scale(self.scale))
        if self.until_step is not None and (
            isinstance(self.until_step, bool)
            or not isinstance(self.until_step, int)
            or self.until_step < 0
        ):
            raise ValueError(f"until_step must be an int >= 0 or None, got {self.until_step!r}")

    @classmethod
    def from_widths(
        cls, sigmas_by_width: Mapping[int, float], latent_width: int, **kwargs: object
    ) -> TARConfig:
        """Build from the paper's width keys: width ``latent_width / 2**n`` is level ``n``."""
        sigmas = {}
        for width, sigma in sigmas_by_width.items():
            ratio = latent_width / width if isinstance(width, int) and width > 0 else 0
            level = round(math.log2(ratio)) if ratio >= 1 else -1
            if level < 0 or latent_width != width * 2**level:
                valid = [latent_width // 2**n for n in range(8) if latent_width % 2**n == 0]
                raise ValueError(
                    f"sigmas_by_width key {width!r} is not a feature width of a latent "
                    f"{latent_width} wide; valid widths: {valid}"
                )
            sigmas[level] = sigma
        return cls(sigmas=sigmas, **kwargs)  # type: ignore[arg-type]

    def sigma_for(self, level: int) -> float | None:
        """The sigma of a UNet level, or ``None`` where TAR is off."""
        return self.sigmas.get(level)

    def active(self, step: int) -> bool:
        """Whether denoising step ``step`` (0 = noisiest) is regularized."""
        return self.until_step is None or step <= self.until_step

    def check_levels(self, levels: Iterable[int]) -> None:
        """Raise if the config names a level the model does not have."""
        available = sorted(set(levels))
        unknown = sorted(set(self.sigmas) - set(available))
        if unknown:
            raise ValueError(
                f"sigmas names unknown UNet levels {unknown}; this model has levels {available}"
            )
