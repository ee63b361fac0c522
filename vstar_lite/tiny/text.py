"""The tiny model's text side: a word-level tokenizer over the world's grammar and a small encoder.

Real text-to-video models use a pretrained CLIP or T5 encoder (77 tokens x 1024 dims in
VideoCrafter2). Here the language is a 17-word grammar, so a learned embedding per word plus one
transformer layer (so that "red" can depend on its position and neighbours) is enough, and it is
trained together with the denoiser. The output has the same role and layout as CLIP's: ``"b L D"``,
one vector per token, which the cross-attentions read and video synopsis prompting interpolates.

The empty prompt ``""`` encodes to all padding: it is the unconditional embedding of classifier-free
guidance (captions are dropped to ``""`` for 10% of training clips).
"""

from __future__ import annotations

import torch
from torch import nn

from vstar_lite.tiny.world import BACKGROUNDS, COLOURS, DIRECTIONS, SHAPES

__all__ = ["MAX_TOKENS", "VOCABULARY", "TextEncoder", "tokenize"]

MAX_TOKENS = 12
PAD = "<pad>"
VOCABULARY: tuple[str, ...] = (
    PAD,
    "a",
    "moves",
    "on",
    "background",
    *COLOURS,
    *SHAPES,
    *DIRECTIONS,
    *BACKGROUNDS,
)


def tokenize(prompts: str | list[str]) -> torch.Tensor:
    """Prompts -> token ids ``"b L"`` (``L = 12``), padded with id 0; unknown words are an error."""
    if isinstance(prompts, str):
        prompts = [prompts]
    index = {word: i for i, word in enumerate(VOCABULARY)}
    ids = torch.zeros(len(prompts), MAX_TOKENS, dtype=torch.long)
    for row, prompt in enumerate(prompts):
        words = prompt.lower().replace(",", " ").split()
        if len(words) > MAX_TOKENS:
            raise ValueError(f"prompt has {len(words)} words, at most {MAX_TOKENS}: {prompt!r}")
        for col, word in enumerate(words):
            if word not in index or word == PAD:
                known = " ".join(VOCABULARY[1:])
                raise ValueError(
                    f"unknown word {word!r} in prompt {prompt!r}; the tiny model knows: {known}"
                )
            ids[row, col] = index[word]
    return ids


class TextEncoder(nn.Module):
    """Token ids ``"b L"`` -> ``"b L D"``: word + position embedding, one transformer layer."""

    def __init__(self, dim: int = 64, heads: int = 4, layers: int = 1):
        super().__init__()
        self.dim = dim
        self.words = nn.Embedding(len(VOCABULARY), dim)
        self.positions = nn.Parameter(torch.randn(MAX_TOKENS, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.norm(self.layers(self.words(ids) + self.positions[: ids.shape[1]]))

    def encode(self, prompts: str | list[str]) -> torch.Tensor:
        """Prompts -> ``"b L D"`` embeddings on the encoder's device (differentiable)."""
        ids = tokenize(prompts).to(self.words.weight.device)
        return self(ids)
