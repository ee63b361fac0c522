"""Attention, and the four attentions of the SCVideo appendix (Eq. 1-4).

One function does the arithmetic, ``attention(q, k, v)``: ``softmax(q k^T / sqrt(d) + bias) v`` over
the last two dimensions. Four modules decide *which tokens meet*, each by the tensor it is given:

========================  =====================  ==========================================
module                    tokens (queries)       keys and values
========================  =====================  ==========================================
SpatialSelfAttention      ``(b f) (h w) c``      the same frame (Eq. 1)
SparseCausalAttention     ``(b f) (h w) c``      first frame and previous frame (Eq. 2)
CrossAttention            ``(b f) (h w) c``      text tokens, per video or per frame (Eq. 3)
TemporalAttention         ``(b h w) f c``        the same pixel in every frame (Eq. 4)
========================  =====================  ==========================================

As in diffusers, a module holds the weights (``to_q``, ``to_k``, ``to_v``, ``to_out``) and a
*processor* holds the behaviour. :class:`AttnProcessor` is the default; it can add a bias to the
logits (a tensor, or a function of the logits) and keep the last attention probabilities, which is
how later notebooks plot attention maps and plug in TAR. ``set_processor`` swaps it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn

__all__ = [
    "Attention",
    "AttnProcessor",
    "CrossAttention",
    "SparseCausalAttention",
    "SpatialSelfAttention",
    "TemporalAttention",
    "attention",
    "sparse_causal_kv",
]

# A bias on the logits: a tensor broadcastable to "... n m", or a function logits -> bias.
Bias = torch.Tensor | Callable[[torch.Tensor], torch.Tensor]


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"{name} must have shape (..., tokens, dim), got {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating point tensor, got dtype {t.dtype}")
    for name, t in (("k", k), ("v", v)):
        if t.dtype != q.dtype:
            raise TypeError(f"{name} has dtype {t.dtype} but q has {q.dtype}; they must match")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k's last dimension {k.shape[-1]} must equal q's {q.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k has {k.shape[-2]} tokens but v has {v.shape[-2]}; they must match")


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: Bias | None = None,
    return_probs: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention over the last two dimensions.

    ``Attention(Q, K, V) = Softmax(Q K^T / sqrt(d) + bias) V`` with ``q: "... n d"``,
    ``k: "... m d"``, ``v: "... m e"``; leading dimensions broadcast. ``bias`` is added to the
    ``"... n m"`` logits: a tensor, or a function that receives the logits and returns the bias
    (TAR's bias depends on each row's maximum logit). With ``return_probs`` the ``"... n m"``
    probabilities are returned too: ``(out, probs)``.

    Without probabilities and without a bias function, PyTorch's fused
    ``scaled_dot_product_attention`` does the work; otherwise the logits are formed explicitly.
    """
    _check_qkv(q, k, v)
    if isinstance(bias, torch.Tensor) and bias.dtype != q.dtype:
        raise TypeError(f"bias has dtype {bias.dtype} but q has {q.dtype}; they must match")
    if bias is not None and not (isinstance(bias, torch.Tensor) or callable(bias)):
        raise TypeError(f"bias must be a tensor, a callable or None, got {type(bias).__name__}")
    if not return_probs and not callable(bias):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)

    logits = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])  # "... n m"
    if bias is not None:
        logits = logits + (bias(logits) if callable(bias) else bias)
    probs = logits.softmax(dim=-1)
    out = probs @ v  # "... n e"
    return (out, probs) if return_probs else out


def _check_num_frames(num_frames: int, rows: int, name: str) -> None:
    """``num_frames`` must split the ``(b f)`` rows of ``name`` into whole videos."""
    if not isinstance(num_frames, int) or num_frames < 1 or rows % num_frames:
        raise ValueError(
            f"num_frames must be a positive int dividing {name}.shape[0]={rows}, got {num_frames!r}"
        )


# ------------------------------------------------------------------------------------ processors
class Processor(Protocol):
    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
    ) -> torch.Tensor: ...


class AttnProcessor:
    """Project, split heads, attend, merge heads, project out.

    ``bias``: added to every head's logits (see :func:`attention`). ``capture``: keep the last
    probabilities in ``self.probs``, shape ``"batch heads n m"``, detached.
    """

    def __init__(self, bias: Bias | None = None, capture: bool = False):
        self.bias = bias
        self.capture = capture
        self.probs: torch.Tensor | None = None

    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
    ) -> torch.Tensor:
        context = (
            hidden_states if encoder_hidden_states is None else self.context(encoder_hidden_states)
        )
        q = rearrange(attn.to_q(hidden_states), "b n (h d) -> b h n d", h=attn.heads)
        k = rearrange(attn.to_k(context), "b m (h d) -> b h m d", h=attn.heads)
        v = rearrange(attn.to_v(context), "b m (h d) -> b h m d", h=attn.heads)
        out = self.attend(attn, q, k, v)
        return attn.to_out(rearrange(out, "b h n d -> b n (h d)"))

    def context(self, encoder_hidden_states: torch.Tensor) -> torch.Tensor:
        """The keys' and values' source of a cross-attention (subclasses change this)."""
        return encoder_hidden_states

    def attend(
        self, attn: Attention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
    ) -> torch.Tensor:
        """``"b h n d"`` queries against ``"b h m d"`` keys and values (subclasses change this)."""
        if self.capture:
            out, probs = attention(q, k, v, bias=self.bias, return_probs=True)
            self.probs = probs.detach()
            return out
        return attention(q, k, v, bias=self.bias)


# --------------------------------------------------------------------------------------- modules
class Attention(nn.Module):
    """Multi-head attention weights ``to_q``, ``to_k``, ``to_v``, ``to_out``, named as in diffusers.

    ``query_dim``: channels of the tokens; ``context_dim``: channels of the keys' source (the text
    embedding for cross-attention; ``query_dim`` otherwise). ``zero_out``: start ``to_out`` at zero,
    so that a residual branch ``x + attn(x)`` is the identity when the layer is new.
    """

    def __init__(
        self,
        query_dim: int,
        heads: int = 4,
        dim_head: int | None = None,
        context_dim: int | None = None,
        zero_out: bool = False,
    ):
        super().__init__()
        for name, value in (("query_dim", query_dim), ("heads", heads)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if dim_head is None:
            if query_dim % heads:
                raise ValueError(f"heads={heads} must divide query_dim={query_dim}")
            dim_head = query_dim // heads
        self.heads, self.dim_head = heads, dim_head
        self.query_dim = query_dim
        self.context_dim = query_dim if context_dim is None else context_dim
        inner = heads * dim_head
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(self.context_dim, inner, bias=False)
        self.to_v = nn.Linear(self.context_dim, inner, bias=False)
        self.to_out = nn.Linear(inner, query_dim)
        if zero_out:
            nn.init.zeros_(self.to_out.weight)
            nn.init.zeros_(self.to_out.bias)
        self.processor: Processor = AttnProcessor()

    @property
    def scale(self) -> float:
        """``1 / sqrt(d)``, the logits' scale (diffusers' name)."""
        return self.dim_head**-0.5

    def set_processor(self, processor: Processor) -> Processor:
        """Install ``processor``; return the previous one (to put it back later)."""
        previous, self.processor = self.processor, processor
        return previous

    def _check_tokens(self, tokens: torch.Tensor, name: str, layout: str, channels: int) -> None:
        if not isinstance(tokens, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tokens).__name__}")
        if tokens.ndim != 3 or tokens.shape[-1] != channels:
            raise ValueError(
                f"{name} must have shape {layout} with c={channels}, got {tuple(tokens.shape)}"
            )
        if tokens.dtype != self.to_q.weight.dtype:
            raise TypeError(
                f"{name} has dtype {tokens.dtype} but the layer's weights are "
                f"{self.to_q.weight.dtype}; convert one of them"
            )

    def _check_frames(self, tokens: torch.Tensor, num_frames: int) -> None:
        _check_num_frames(num_frames, tokens.shape[0], "hidden_states")


class SpatialSelfAttention(Attention):
    """Eq. 1: ``Q, K, V = W^Q F', W^K F', W^V F'`` with ``F' = RS(F; (bf), (hw), c)``.

    Each frame attends to itself only: ``(b f) (h w) c -> (b f) (h w) c``.
    """

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        self._check_tokens(hidden_states, "hidden_states", "(b f) (h w) c", self.query_dim)
        return self.processor(self, hidden_states)


def sparse_causal_kv(x: torch.Tensor, num_frames: int) -> torch.Tensor:
    """The keys' and values' source of Eq. 2: ``[f_1; f_{i-1}]`` for every frame ``i``.

    ``"(b f) n c -> (b f) (2 n) c"``: row ``i`` holds the first frame's tokens followed by the
    previous frame's. The first frame has no previous frame; it uses itself, ``[f_1; f_1]``, as
    Tune-A-Video does. Repeating the same keys twice leaves the attention output unchanged (each
    copy gets half the weight), so frame 1 simply attends to itself, and every frame keeps the same
    ``2n`` keys, so all frames are computed in one batch.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 3:
        raise ValueError(f"x must have shape (b f) n c, got {getattr(x, 'shape', type(x))}")
    _check_num_frames(num_frames, x.shape[0], "x")
    frames = rearrange(x, "(b f) n c -> b f n c", f=num_frames)
    first = frames[:, [0] * num_frames]  # "b f n c": frame 1 for everyone
    previous = frames[:, [max(i - 1, 0) for i in range(num_frames)]]  # frame i-1 (frame 1 for 1)
    return rearrange(torch.cat([first, previous], dim=2), "b f n c -> (b f) n c")


class SparseCausalAttention(Attention):
    """Eq. 2: ``Q = W^Q f_i``, ``K = W^K [f_1; f_{i-1}]``, ``V = W^V [f_1; f_{i-1}]``.

    Frame ``i`` queries the first and the previous frame: ``(b f) (h w) c -> (b f) (h w) c``.
    Its weights have the shapes of :class:`SpatialSelfAttention`'s, so an image model's spatial
    self-attention weights load into it unchanged (Tune-A-Video, SCVideo).
    """

    def forward(self, hidden_states: torch.Tensor, num_frames: int) -> torch.Tensor:
        self._check_tokens(hidden_states, "hidden_states", "(b f) (h w) c", self.query_dim)
        self._check_frames(hidden_states, num_frames)
        return self.processor(self, hidden_states, sparse_causal_kv(hidden_states, num_frames))


class CrossAttention(Attention):
    """Eq. 3: ``Q = W^Q F'``, ``K = W^K C``, ``V = W^V C``, with ``C`` the text embedding.

    ``encoder_hidden_states`` is ``b L D`` (one text per video, shared by its frames) or
    ``(b f) L D`` (one text per frame, what video synopsis prompting needs).
    """

    def forward(
        self, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor, num_frames: int
    ) -> torch.Tensor:
        self._check_tokens(hidden_states, "hidden_states", "(b f) (h w) c", self.query_dim)
        self._check_frames(hidden_states, num_frames)
        context = encoder_hidden_states
        self._check_tokens(context, "encoder_hidden_states", "b L D or (b f) L D", self.context_dim)
        rows, videos = hidden_states.shape[0], hidden_states.shape[0] // num_frames
        if context.shape[0] == videos and context.shape[0] != rows:
            context = repeat(context, "b l d -> (b f) l d", f=num_frames)  # same text every frame
        elif context.shape[0] != rows:
            raise ValueError(
                f"encoder_hidden_states.shape[0] must be b={videos} (one text per video) or "
                f"b*f={rows} (one per frame), got {context.shape[0]}"
            )
        return self.processor(self, hidden_states, context)


class TemporalAttention(Attention):
    """Eq. 4: ``Q, K, V = W^Q F'', W^K F'', W^V F''`` with ``F'' = RS(F; (bhw), f, c)``.

    Each pixel position attends to itself across frames: ``(b h w) f c -> (b h w) f c``. Its
    ``f x f`` logits are where TAR adds its bias; capture the probabilities with
    ``set_processor(AttnProcessor(capture=True))``. Made with ``zero_out=True`` by default: a new
    temporal layer starts as a no-op inside its residual branch (Make-A-Video initialization).
    """

    def __init__(
        self, query_dim: int, heads: int = 4, dim_head: int | None = None, zero_out: bool = True
    ):
        super().__init__(query_dim, heads=heads, dim_head=dim_head, zero_out=zero_out)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        self._check_tokens(hidden_states, "hidden_states", "(b h w) f c", self.query_dim)
        return self.processor(self, hidden_states)
