"""Obviously-correct references, written with Python loops (never the library's einops code)."""

import math

import torch


def naive_attention(q, k, v, bias=None):
    """One head: q "n d", k "m d", v "m e" -> (out "n e", probs "n m"), loop by loop, float64."""
    n, d = q.shape
    m = k.shape[0]
    out = torch.zeros(n, v.shape[1], dtype=torch.float64)
    probs = torch.zeros(n, m, dtype=torch.float64)
    for i in range(n):
        logits = []
        for j in range(m):
            dot = sum(float(q[i, t]) * float(k[j, t]) for t in range(d)) / math.sqrt(d)
            logits.append(dot + (float(bias[i][j]) if bias is not None else 0.0))
        top = max(logits)
        weights = [math.exp(value - top) for value in logits]
        total = sum(weights)
        for j in range(m):
            probs[i, j] = weights[j] / total
            out[i] += probs[i, j] * v[j].double()
    return out, probs


@torch.no_grad()
def naive_multihead(attn, queries, keys_source, bias=None):
    """A vstar_lite Attention module by hand: queries "n c", keys_source "m D" -> ("n c", probs)."""
    q_all = queries.double() @ attn.to_q.weight.double().T
    k_all = keys_source.double() @ attn.to_k.weight.double().T
    v_all = keys_source.double() @ attn.to_v.weight.double().T
    heads_out, heads_probs = [], []
    for head in range(attn.heads):
        cols = slice(head * attn.dim_head, (head + 1) * attn.dim_head)
        out, probs = naive_attention(q_all[:, cols], k_all[:, cols], v_all[:, cols], bias)
        heads_out.append(out)
        heads_probs.append(probs)
    merged = torch.cat(heads_out, dim=1)
    out = merged @ attn.to_out.weight.double().T + attn.to_out.bias.double()
    return out, torch.stack(heads_probs)
