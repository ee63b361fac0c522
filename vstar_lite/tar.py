"""TAR: temporal attention regularization (VSTAR, ICLR 2025).

A temporal self-attention call has, per pixel position and head, ``F x F`` logits
``S[i, j] = q_i . k_j / sqrt(d)``. TAR adds a Gaussian band around the diagonal, scaled by each
row's largest logit ``m_i = max_j S[i, j]``:

    R[i, j]  = exp(-(i - j)^2 / (2 sigma^2))          (diagonal exactly 1, symmetric Toeplitz)
    S'[i, j] = S[i, j] + strength * m_i * R[i, j]
    A        = softmax_j(S'),   output = A v

A small ``sigma`` favours nearby frames strongly (more change over time, less coherence); a large
one spreads the boost over many frames. Because the boost is proportional to ``m_i``, a row whose
largest logit is negative has its diagonal pushed *down*; the reference does not guard against
this and neither do we (notebook 10 shows it).

``strength`` is the paper's ``lambda`` (1.0 in every published setting); it is not called
``scale`` so that it cannot be confused with attention's own ``1 / sqrt(d)`` (``attn.scale``).

Logits and softmax are computed in float32 for half-precision inputs: with 128 frames and large
logits, float16 would otherwise lose most of the boost's effect (``tests/test_tar.py`` measures it).

Where TAR is applied is configured by :class:`TARConfig`: a sigma per UNet level, a strength, and
the last regularized denoising step (which scales with the number of sampling steps).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import torch

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "TARConfig",
    "default_chunk_bytes",
    "diagonalness",
    "gaussian_toeplitz",
    "mean_diagonal_probability",
    "regularized_attention_probs",
    "tar_attention",
]

DEFAULT_CHUNK_BYTES = 8 * 2**20  # logits held at once on a CPU: cache-sized chunks are fastest
ACCELERATOR_CHUNK_BYTES = 256 * 2**20  # on a GPU: few, large chunks (one Python step per chunk)


def default_chunk_bytes(device: torch.device | str) -> int:
    """The logits buffer ``tar_attention`` holds at once by default on ``device``.

    8 MiB on a CPU (fits the cache); 256 MiB on an accelerator, where a small buffer would mean
    about a hundred Python iterations per call at 128 frames for no saving that matters.
    """
    return DEFAULT_CHUNK_BYTES if torch.device(device).type == "cpu" else ACCELERATOR_CHUNK_BYTES


def _check_sigma(sigma: float) -> float:
    is_number = isinstance(sigma, (int, float)) and not isinstance(sigma, bool)
    if not (is_number and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    return float(sigma)


def _check_strength(strength: float) -> float:
    is_number = isinstance(strength, (int, float)) and not isinstance(strength, bool)
    if not (is_number and math.isfinite(strength)):
        raise ValueError(f"strength must be a finite number, got {strength!r}")
    return float(strength)


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
    offset = (index[:, None] - index[None, :]) / sigma  # "f f": (i - j) / sigma
    matrix = torch.exp(-0.5 * offset**2)  # never 0 / 0: a tiny sigma gives the identity
    return matrix.to(dtype or torch.get_default_dtype())


def _check_square(tensor: torch.Tensor, name: str) -> int:
    if tensor.ndim < 2 or tensor.shape[-1] != tensor.shape[-2]:
        raise ValueError(f"{name} must have shape (..., F, F), got {tuple(tensor.shape)}")
    return tensor.shape[-1]


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32 for half-precision inputs (fp16, bf16), the input's own dtype otherwise."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def regularized_attention_probs(
    logits: torch.Tensor, sigma: float, strength: float = 1.0
) -> torch.Tensor:
    """TAR's probabilities ``softmax(S + strength * rowmax(S) * R)`` for logits ``S: (..., F, F)``.

    Half-precision logits are upcast to float32 for the sum and the softmax; the result has the
    input's dtype.
    """
    num_frames = _check_square(logits, "logits")
    strength = _check_strength(strength)
    wide = logits.to(_compute_dtype(logits.dtype))
    matrix = gaussian_toeplitz(num_frames, sigma, device=logits.device, dtype=wide.dtype)
    row_max = wide.amax(dim=-1, keepdim=True)  # "... f 1"
    return (wide + strength * row_max * matrix).softmax(dim=-1).to(logits.dtype)


def tar_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    sigma: float,
    strength: float = 1.0,
    *,
    max_chunk_bytes: int | None = None,
) -> torch.Tensor:
    """Temporal attention with TAR: ``q, k: "... f d"``, ``v: "... f e"`` -> ``"... f e"``.

    The leading dimensions (pixels x heads x batch) are processed in chunks so that the ``f x f``
    logits held at once stay under ``max_chunk_bytes`` (default: :func:`default_chunk_bytes` of
    ``q``'s device): memory beyond the output stays bounded however long the video, where the
    plain formula needs all ``batch x f x f`` logits at once. Half-precision inputs get float32
    logits and softmax, chunk by chunk, so the upcast costs no more memory than the chunk.
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
    if max_chunk_bytes is None:
        max_chunk_bytes = default_chunk_bytes(q.device)
    if isinstance(max_chunk_bytes, bool) or not isinstance(max_chunk_bytes, int):
        raise ValueError(f"max_chunk_bytes must be a positive int, got {max_chunk_bytes!r}")
    if max_chunk_bytes < 1:
        raise ValueError(f"max_chunk_bytes must be a positive int, got {max_chunk_bytes!r}")
    strength = _check_strength(strength)
    *lead, num_frames, dim = q.shape
    wide = _compute_dtype(q.dtype)
    matrix = gaussian_toeplitz(num_frames, sigma, device=q.device, dtype=wide)
    qs, ks, vs = (t.reshape(-1, num_frames, t.shape[-1]) for t in (q, k, v))  # "(...) f d"
    out = torch.empty(qs.shape[0], num_frames, v.shape[-1], dtype=q.dtype, device=q.device)
    per_row = num_frames * num_frames * torch.finfo(wide).bits // 8
    rows = max(1, max_chunk_bytes // per_row)
    differentiable = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
    pieces: list[torch.Tensor] = []
    for start in range(0, qs.shape[0], rows):
        stop = min(start + rows, qs.shape[0])
        q_chunk, k_chunk = qs[start:stop].to(wide), ks[start:stop].to(wide)
        logits = torch.bmm(q_chunk, k_chunk.transpose(1, 2))  # "n f f", in the compute dtype
        if differentiable:  # autograd: the out-of-place formula
            probs = regularized_attention_probs(logits / math.sqrt(dim), sigma, strength)
            pieces.append(torch.bmm(probs.to(v.dtype), vs[start:stop]))
        else:
            logits.mul_(1.0 / math.sqrt(dim))  # S = q k^T / sqrt(d), in place
            row_max = logits.amax(dim=-1, keepdim=True)  # "n f 1"
            logits.addcmul_(row_max, matrix, value=strength)  # S + strength * m_i * R[i, j]
            probs = logits.softmax(dim=-1).to(v.dtype)
            torch.bmm(probs, vs[start:stop], out=out[start:stop])
    if differentiable:  # autograd cannot write into a preallocated output
        out = torch.cat(pieces)
    return out.reshape(*lead, num_frames, v.shape[-1])


def diagonalness(attention_map: torch.Tensor) -> torch.Tensor:
    """How much of an attention map's mass lies along the diagonal, in ``[-1, 1]``.

    The non-negative ``(..., F, F)`` map is read as a joint distribution over (row index, column
    index); the result is the Pearson correlation of the two indices: 1 when all mass is on the
    diagonal, 0 for a map without structure (e.g. uniform). A map whose mass sits in one row or
    one column (every query attends to the same frame) has no correlation to measure and gives 0.
    Works on any leading dimensions.
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
    d_row = index - mean_row[..., None]  # "... f": centred row index
    d_col = index - mean_col[..., None]
    var_row, var_col = (p_row * d_row**2).sum(-1), (p_col * d_col**2).sum(-1)
    cov = (p * d_row[..., :, None] * d_col[..., None, :]).sum(dim=(-2, -1))
    spread = torch.sqrt(var_row * var_col)
    degenerate = spread <= 1e-12  # all mass in one row or column: nothing to correlate
    correlation = torch.where(degenerate, 0.0, cov / torch.where(degenerate, 1.0, spread))
    return correlation.to(attention_map.dtype)


def mean_diagonal_probability(attention_map: torch.Tensor) -> torch.Tensor:
    """The mean diagonal of ``(..., F, F)`` probabilities; uniform attention gives ``1/F``."""
    _check_square(attention_map, "attention_map")
    return attention_map.diagonal(dim1=-2, dim2=-1).mean(dim=-1)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class TARConfig:
    """Where and how strongly TAR regularizes temporal attention.

    ``sigmas``: sigma per UNet level; level 0 is the full latent resolution, level ``n`` is
    ``2**n`` times smaller (the middle block is the deepest level); levels not named are left alone.
    ``strength``: the ``lambda`` of the formula (1.0 in every published setting).
    ``until_step`` and ``reference_steps``: the last regularized denoising step (0 = noisiest)
    *of a run with* ``reference_steps`` *steps*. The reference regularizes steps 0..13 of 25, the
    first 56% of sampling; at another step count the cut-off keeps that share (steps 0..27 of 50,
    see :meth:`last_step`). ``reference_steps=None`` makes ``until_step`` absolute, whatever the
    step count; ``until_step=None`` regularizes every step.
    ``include_input_block``: also regularize a lone temporal attention that sits before the first
    down block (diffusers' ``transformer_in``); the reference does not. Both attentions of every
    temporal block are regularized either way.

    The paper names sigmas by feature-map *width* (for VideoCrafter2's 40 x 64 latent: width 64 =
    level 0, 32 = level 1, 16 = level 2, 8 = the middle block); :meth:`from_widths` converts.
    """

    sigmas: Mapping[int, float]
    strength: float = 1.0
    until_step: int | None = 13
    reference_steps: int | None = 25
    include_input_block: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.sigmas, Mapping) or not self.sigmas:
            raise ValueError(
                f"sigmas must be a non-empty mapping level -> sigma, got {self.sigmas!r}"
            )
        checked = []
        for level, sigma in self.sigmas.items():
            if not _is_int(level) or level < 0:
                raise ValueError(f"sigmas keys must be UNet levels, ints >= 0, got {level!r}")
            checked.append((level, _check_sigma(sigma)))
        object.__setattr__(self, "sigmas", dict(sorted(checked)))
        object.__setattr__(self, "strength", _check_strength(self.strength))
        if self.until_step is not None and (not _is_int(self.until_step) or self.until_step < 0):
            raise ValueError(f"until_step must be an int >= 0 or None, got {self.until_step!r}")
        if self.reference_steps is not None:
            if not _is_int(self.reference_steps) or self.reference_steps < 1:
                raise ValueError(
                    f"reference_steps must be an int >= 1 or None, got {self.reference_steps!r}"
                )
            if self.until_step is not None and self.until_step >= self.reference_steps:
                raise ValueError(
                    f"until_step must be in [0, reference_steps - 1 = {self.reference_steps - 1}]"
                    f", got {self.until_step!r}"
                )
        if not isinstance(self.include_input_block, bool):
            raise ValueError(
                f"include_input_block must be True or False, got {self.include_input_block!r}"
            )

    @classmethod
    def from_widths(
        cls, sigmas_by_width: Mapping[int, float], latent_width: int, **kwargs: object
    ) -> TARConfig:
        """Build from the paper's width keys: width ``latent_width / 2**n`` is level ``n``."""
        if not _is_int(latent_width) or latent_width < 1:
            raise ValueError(f"latent_width must be an int >= 1, got {latent_width!r}")
        sigmas = {}
        for width, sigma in sigmas_by_width.items():
            ratio = latent_width / width if _is_int(width) and width > 0 else 0
            level = round(math.log2(ratio)) if ratio >= 1 else -1
            if level < 0 or latent_width != width * 2**level:
                valid = [latent_width >> n for n in range(8) if latent_width % 2**n == 0]
                raise ValueError(
                    f"sigmas_by_width key {width!r} is not a feature width of a latent "
                    f"{latent_width} wide; valid widths: {valid}"
                )
            sigmas[level] = sigma
        return cls(sigmas=sigmas, **kwargs)  # type: ignore[arg-type]

    @property
    def needs_num_steps(self) -> bool:
        """Whether the cut-off depends on the number of sampling steps (it scales)."""
        return self.until_step is not None and self.reference_steps is not None

    def last_step(self, num_steps: int) -> int:
        """The last regularized step of a run with ``num_steps`` steps.

        Scaled: the first ``until_step + 1`` of ``reference_steps`` steps become the same share of
        ``num_steps``, rounded, at least one step (14 of 25 -> 28 of 50 -> 6 of 10).
        """
        if not _is_int(num_steps) or num_steps < 1:
            raise ValueError(f"num_steps must be an int >= 1, got {num_steps!r}")
        if self.until_step is None:
            return num_steps - 1
        if self.reference_steps is None:
            if self.until_step >= num_steps:
                raise ValueError(
                    f"until_step={self.until_step} is past the last of {num_steps} sampling "
                    f"steps; use until_step in [0, {num_steps - 1}] or None"
                )
            return self.until_step
        share = (self.until_step + 1) * num_steps / self.reference_steps
        return max(1, round(share)) - 1

    def active(self, step: int, num_steps: int | None = None) -> bool:
        """Whether denoising step ``step`` (0 = noisiest) of ``num_steps`` is regularized.

        ``num_steps=None`` reads ``until_step`` as is (a run of ``reference_steps`` steps).
        """
        if self.until_step is None:
            return True
        last = self.until_step if num_steps is None else self.last_step(num_steps)
        return step <= last

    def describe(self, num_steps: int) -> str:
        """One line for people: which steps of ``num_steps`` are regularized."""
        last = self.last_step(num_steps)
        share = (last + 1) / num_steps
        return f"TAR on steps 0-{last} of {num_steps} (the first {share:.0%} of sampling)"

    def sigma_for(self, level: int) -> float | None:
        """The sigma of a UNet level, or ``None`` where TAR is off."""
        return self.sigmas.get(level)

    def check_levels(self, levels: Iterable[int]) -> None:
        """Raise if the config names a level the model does not have."""
        available = sorted(set(levels))
        unknown = sorted(set(self.sigmas) - set(available))
        if unknown:
            raise ValueError(
                f"sigmas names unknown UNet levels {unknown}; this model has levels {available}"
            )
