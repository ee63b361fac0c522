"""vstar_lite.attention: Eq. 1-4 against loop references; biases, captures, errors, dtypes."""

import pytest
import torch
from vstar_lite.attention import (
    AttnProcessor,
    CrossAttention,
    SparseCausalAttention,
    SpatialSelfAttention,
    TemporalAttention,
    attention,
    sparse_causal_kv,
)

from naive import naive_attention, naive_multihead

B, C, F, H, W = 2, 8, 4, 2, 3  # a small video; every axis a different size
HEADS, L, D = 2, 3, 6  # heads; text tokens and text width


def rand(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def frame_tokens(video, i, j):
    """Frame j of video i as "(h w) c", pixel by pixel."""
    return torch.stack([video[i, :, j, y, x] for y in range(H) for x in range(W)])


def randomized(module):
    """The module in float64, every weight random (zero-initialised outputs would hide bugs)."""
    module = module.double()
    with torch.no_grad():
        for index, parameter in enumerate(module.parameters()):
            parameter.copy_(rand(*parameter.shape, seed=100 + index) * 0.5)
    return module


# ----------------------------------------------------------------------------------- attention()
def test_attention_matches_the_loop_reference_with_and_without_bias():
    q, k, v, bias = rand(4, 3, seed=1), rand(5, 3, seed=2), rand(5, 2, seed=3), rand(4, 5, seed=4)
    for b in (None, bias):
        want_out, want_probs = naive_attention(q, k, v, b)
        out, probs = attention(q, k, v, bias=b, return_probs=True)
        torch.testing.assert_close(out, want_out)
        torch.testing.assert_close(probs, want_probs)
        torch.testing.assert_close(attention(q, k, v, bias=b), want_out)  # the fused path


def test_attention_batches_over_leading_dimensions_and_accepts_a_bias_function():
    q, k, v = rand(2, 3, 4, 5, seed=1), rand(2, 3, 6, 5, seed=2), rand(2, 3, 6, 7, seed=3)
    out, probs = attention(q, k, v, return_probs=True)
    assert out.shape == (2, 3, 4, 7) and probs.shape == (2, 3, 4, 6)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, 3, 4, dtype=torch.float64))
    torch.testing.assert_close(out[1, 2], naive_attention(q[1, 2], k[1, 2], v[1, 2])[0])
    # a function of the logits: here +1 on each row's largest logit
    bump = lambda logits: (logits == logits.amax(-1, keepdim=True)).to(logits.dtype)  # noqa: E731
    logits = q @ k.transpose(-1, -2) / 5**0.5
    torch.testing.assert_close(attention(q, k, v, bias=bump), attention(q, k, v, bias=bump(logits)))


def test_attention_errors_name_the_argument():
    q = torch.zeros(2, 4, 3)
    with pytest.raises(ValueError, match="k's last dimension 5 must equal q's 3"):
        attention(q, torch.zeros(2, 4, 5), torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="k has 4 tokens but v has 6"):
        attention(q, q, torch.zeros(2, 6, 3))
    with pytest.raises(TypeError, match="v has dtype torch.float16 but q has torch.float32"):
        attention(q, q, q.half())
    with pytest.raises(TypeError, match="bias has dtype torch.float64 but q has torch.float32"):
        attention(q, q, q, bias=torch.zeros(4, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"q must have shape \(..., tokens, dim\), got \(3,\)"):
        attention(torch.zeros(3), q, q)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_attention_in_half_precision_is_close_to_float32(dtype):
    q, k, v = (rand(3, 2, 16, 8, seed=s, dtype=torch.float32) for s in (1, 2, 3))
    want, want_probs = attention(q, k, v, return_probs=True)
    for probs_too in (False, True):
        got = attention(q.to(dtype), k.to(dtype), v.to(dtype), return_probs=probs_too)
        out = got[0] if probs_too else got
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), want, atol=3e-2, rtol=3e-2)


# ------------------------------------------------------------------------------ the four modules
def test_spatial_self_attention_is_eq1_frame_by_frame():
    video = rand(B, C, F, H, W)
    attn = randomized(SpatialSelfAttention(C, heads=HEADS))
    out = attn(video.permute(0, 2, 3, 4, 1).reshape(B * F, H * W, C))  # "(b f) (h w) c"
    for i in range(B):
        for j in range(F):
            tokens = frame_tokens(video, i, j)
            torch.testing.assert_close(out[i * F + j], naive_multihead(attn, tokens, tokens)[0])


def test_sparse_causal_kv_is_first_frame_then_previous_frame():
    x = rand(B * F, H * W, C)
    kv = sparse_causal_kv(x, num_frames=F)
    assert kv.shape == (B * F, 2 * H * W, C)
    for i in range(B):
        for j in range(F):
            first, previous = x[i * F], x[i * F + max(j - 1, 0)]  # frame 1 uses itself twice
            assert torch.equal(kv[i * F + j], torch.cat([first, previous]))


def test_sparse_causal_attention_is_eq2():
    video = rand(B, C, F, H, W)
    attn = randomized(SparseCausalAttention(C, heads=HEADS))
    out = attn(video.permute(0, 2, 3, 4, 1).reshape(B * F, H * W, C), num_frames=F)
    for i in range(B):
        for j in range(F):
            keys = torch.cat([frame_tokens(video, i, 0), frame_tokens(video, i, max(j - 1, 0))])
            want = naive_multihead(attn, frame_tokens(video, i, j), keys)[0]
            torch.testing.assert_close(out[i * F + j], want)


def test_sparse_causal_first_frame_equals_plain_self_attention():
    """The convention [f_1; f_1] for frame 1 is the same as frame 1 attending to itself."""
    x = rand(B * F, H * W, C)
    sc = randomized(SparseCausalAttention(C, heads=HEADS))
    spatial = SpatialSelfAttention(C, heads=HEADS).double()
    spatial.load_state_dict(sc.state_dict())
    torch.testing.assert_close(sc(x, num_frames=F)[::F], spatial(x)[::F])


@pytest.mark.parametrize("per_frame", [False, True], ids=["per-video text", "per-frame text"])
def test_cross_attention_is_eq3(per_frame):
    video = rand(B, C, F, H, W)
    text = rand(B * F if per_frame else B, L, D, seed=7)
    attn = randomized(CrossAttention(C, heads=HEADS, context_dim=D))
    out = attn(video.permute(0, 2, 3, 4, 1).reshape(B * F, H * W, C), text, num_frames=F)
    for i in range(B):
        for j in range(F):
            context = text[i * F + j] if per_frame else text[i]
            want = naive_multihead(attn, frame_tokens(video, i, j), context)[0]
            torch.testing.assert_close(out[i * F + j], want)


def test_per_frame_text_reaches_only_its_frame():
    x, text = rand(B * F, H * W, C), rand(B * F, L, D, seed=7)
    attn = randomized(CrossAttention(C, heads=HEADS, context_dim=D))
    changed = text.clone()
    changed[5] += 1.0  # video 1, frame 1
    delta = (attn(x, changed, num_frames=F) - attn(x, text, num_frames=F)).abs().amax(dim=(1, 2))
    assert delta[5] > 1e-3 and torch.all(delta[torch.arange(B * F) != 5] == 0)
    # and one text per video equals that text repeated for every frame
    per_video = rand(B, L, D, seed=8)
    torch.testing.assert_close(
        attn(x, per_video, num_frames=F), attn(x, per_video.repeat_interleave(F, 0), num_frames=F)
    )


def test_temporal_attention_is_eq4_pixel_by_pixel():
    video = rand(B, C, F, H, W)
    attn = randomized(TemporalAttention(C, heads=HEADS))
    out = attn(video.permute(0, 3, 4, 2, 1).reshape(B * H * W, F, C))  # "(b h w) f c"
    for i in range(B):
        for y in range(H):
            for x in range(W):
                sequence = torch.stack([video[i, :, j, y, x] for j in range(F)])  # "f c"
                want = naive_multihead(attn, sequence, sequence)[0]
                torch.testing.assert_close(out[(i * H + y) * W + x], want)


def test_temporal_attention_starts_at_zero_output():
    attn = TemporalAttention(C, heads=HEADS)
    assert torch.equal(attn(rand(5, F, C, dtype=torch.float32)), torch.zeros(5, F, C))


def test_processor_captures_probabilities_and_adds_a_bias_on_the_f_by_f_logits():
    t = rand(6, F, C)
    attn = randomized(TemporalAttention(C, heads=HEADS))
    plain = attn(t)
    bias = torch.eye(F, dtype=torch.float64) * 2.0  # favour each frame's own position
    capture = AttnProcessor(bias=bias, capture=True)
    previous = attn.set_processor(capture)
    out = attn(t)
    assert capture.probs.shape == (6, HEADS, F, F)
    want_out, want_probs = naive_multihead(attn, t[4], t[4], bias=bias)
    torch.testing.assert_close(out[4], want_out)
    torch.testing.assert_close(capture.probs[4], want_probs)
    assert not torch.allclose(out, plain)  # the bias made a difference ...
    assert attn.set_processor(previous) is capture
    assert torch.equal(attn(t), plain)  # ... and removing it restores the layer bitwise


def test_module_errors_name_the_argument():
    sc = SparseCausalAttention(C, heads=HEADS)
    x = torch.zeros(B * F, H * W, C)
    with pytest.raises(
        ValueError, match=r"hidden_states must have shape \(b f\) \(h w\) c with c=8"
    ):
        sc(torch.zeros(B * F, H * W, C + 1), num_frames=F)
    with pytest.raises(
        ValueError, match="num_frames must be a positive int dividing hidden_states"
    ):
        sc(x, num_frames=3)
    with pytest.raises(
        TypeError, match="hidden_states has dtype torch.float64 but the layer's weights"
    ):
        sc(x.double(), num_frames=F)
    cross = CrossAttention(C, heads=HEADS, context_dim=D)
    with pytest.raises(
        ValueError, match=r"encoder_hidden_states.shape\[0\] must be b=2 .* or b\*f=8"
    ):
        cross(x, torch.zeros(3, L, D), num_frames=F)
    with pytest.raises(ValueError, match=r"encoder_hidden_states must have shape .* with c=6"):
        cross(x, torch.zeros(B, L, D + 1), num_frames=F)
    with pytest.raises(ValueError, match="heads=3 must divide query_dim=8"):
        TemporalAttention(C, heads=3)
    with pytest.raises(ValueError, match="num_frames must be a positive int dividing x.shape"):
        sparse_causal_kv(x, num_frames=0)
