"""vstar_lite.tar against an independent, loop-by-loop implementation of the reference formula."""

import math

import pytest
import torch
from vstar_lite.tar import (
    TARConfig,
    diagonalness,
    gaussian_toeplitz,
    mean_diagonal_probability,
    regularized_attention_probs,
    tar_attention,
)


def reference_probs(logits, sigma, strength):
    """Row by row: S'[i, j] = S[i, j] + strength * max_j S[i, j] * exp(-(i-j)^2 / (2 sigma^2))."""
    f = logits.shape[-1]
    flat = logits.reshape(-1, f, f).tolist()
    out = []
    for matrix in flat:
        rows = []
        for i, row in enumerate(matrix):
            top = max(row)
            boosted = [
                s + strength * top * math.exp(-((i - j) ** 2) / (2 * sigma**2))
                for j, s in enumerate(row)
            ]
            weights = [math.exp(b - max(boosted)) for b in boosted]
            rows.append([w / sum(weights) for w in weights])
        out.append(rows)
    return torch.tensor(out, dtype=torch.float64).reshape(logits.shape)


def test_gaussian_toeplitz_entries_diagonal_and_symmetry():
    for f, sigma in [(1, 1.0), (5, 0.5), (16, 4.0), (130, 8.0)]:
        matrix = gaussian_toeplitz(f, sigma, dtype=torch.float64)
        assert matrix.shape == (f, f) and torch.equal(
            matrix.diagonal(), torch.ones(f, dtype=torch.float64)
        )
        for i, j in [(0, f - 1), (f // 2, f // 3), (f - 1, 0)]:
            assert matrix[i, j].item() == pytest.approx(math.exp(-((i - j) ** 2) / (2 * sigma**2)))
        assert torch.equal(matrix, matrix.T)
    assert gaussian_toeplitz(4, 1.0).dtype == torch.get_default_dtype()


@pytest.mark.parametrize("f", [2, 5, 16, 33])
@pytest.mark.parametrize(("sigma", "strength"), [(1.0, 1.0), (4.0, 1.0), (0.7, 3.0)])
def test_regularized_probs_match_the_reference_formula(f, sigma, strength):
    logits = torch.randn(
        2, 3, f, f, dtype=torch.float64, generator=torch.Generator().manual_seed(f)
    )
    got = regularized_attention_probs(logits, sigma, strength)
    torch.testing.assert_close(got, reference_probs(logits, sigma, strength))


def test_a_negative_row_maximum_pushes_the_diagonal_down():
    negative = regularized_attention_probs(torch.full((3, 3), -2.0), sigma=1.0)
    positive = regularized_attention_probs(torch.full((3, 3), 2.0), sigma=1.0)
    for i in range(3):  # all logits equal: only the sign of the row maximum differs
        off_diagonal = torch.cat([negative[i, :i], negative[i, i + 1 :]])
        assert negative[i, i] < off_diagonal.min() and negative[i, i] < 1 / 3
        assert positive[i, i] > 1 / 3


@pytest.mark.parametrize("f", [3, 16, 64, 130])
def test_tar_attention_equals_probs_times_values_in_any_chunking(f):
    g = torch.Generator().manual_seed(f)
    q, k = torch.randn(2, 5, f, 8, generator=g), torch.randn(2, 5, f, 8, generator=g)
    v = torch.randn(2, 5, f, 6, generator=g)
    want = regularized_attention_probs(q @ k.transpose(-1, -2) / math.sqrt(8), 2.0, 1.0) @ v
    for budget in (1, f * f * 4 * 3, 2**30):  # one row per chunk, 3 rows, everything at once
        torch.testing.assert_close(tar_attention(q, k, v, 2.0, max_chunk_bytes=budget), want)


def test_tar_attention_errors_name_the_argument():
    q = torch.zeros(4, 8, 3)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got 0"):
        tar_attention(q, q, q, 0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got nan"):
        tar_attention(q, q, q, float("nan"))
    with pytest.raises(ValueError, match="strength must be a finite number, got inf"):
        tar_attention(q, q, q, 1.0, strength=float("inf"))
    with pytest.raises(ValueError, match="max_chunk_bytes must be a positive int, got 0"):
        tar_attention(q, q, q, 1.0, max_chunk_bytes=0)
    with pytest.raises(ValueError, match=r"v must have shape \(..., F, e\) matching"):
        tar_attention(q, q, torch.zeros(4, 7, 3), 1.0)
    with pytest.raises(TypeError, match="v has dtype torch.float64"):
        tar_attention(q, q, q.double(), 1.0)
    with pytest.raises(ValueError, match=r"logits must have shape \(..., F, F\)"):
        regularized_attention_probs(torch.zeros(3, 4), 1.0)
    with pytest.raises(ValueError, match="num_frames must be an int >= 1, got 0"):
        gaussian_toeplitz(0, 1.0)


def test_diagonalness_is_the_index_correlation():
    f = 8
    assert diagonalness(torch.eye(f)).item() == pytest.approx(1.0)
    assert diagonalness(torch.full((f, f), 1 / f)).item() == pytest.approx(0.0, abs=1e-12)
    assert diagonalness(torch.eye(f).flip(1)).item() == pytest.approx(-1.0)
    # independent check: the Pearson correlation of (i, j) samples weighted by the map
    a = torch.rand(f, f, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    pairs = [(i, j, float(a[i, j])) for i in range(f) for j in range(f)]
    total = sum(w for *_, w in pairs)
    mi = sum(i * w for i, _, w in pairs) / total
    mj = sum(j * w for _, j, w in pairs) / total
    cov = sum((i - mi) * (j - mj) * w for i, j, w in pairs) / total
    vi = sum((i - mi) ** 2 * w for i, _, w in pairs) / total
    vj = sum((j - mj) ** 2 * w for _, j, w in pairs) / total
    assert diagonalness(a).item() == pytest.approx(cov / math.sqrt(vi * vj))
    assert diagonalness(torch.stack([torch.eye(f), a])).shape == (2,)
    with pytest.raises(ValueError, match="non-negative"):
        diagonalness(-a)


def test_mean_diagonal_probability():
    assert mean_diagonal_probability(torch.full((4, 4), 0.25)).item() == pytest.approx(0.25)
    assert mean_diagonal_probability(torch.eye(5)).item() == 1.0


def test_tar_config_is_exported_from_the_package():
    import vstar_lite

    assert vstar_lite.TARConfig is TARConfig


def test_tar_config_levels_widths_steps_and_errors():
    config = TARConfig(sigmas={1: 8, 0: 1.0})
    assert config.sigmas == {0: 1.0, 1: 8.0} and config.sigma_for(2) is None
    assert config.active(0) and config.active(13) and not config.active(14)
    assert TARConfig({0: 1.0}, until_step=None).active(10_000)
    # the cut-off keeps the reference's share (14 of 25 steps) at other step counts
    assert [config.last_step(n) for n in (25, 50, 10, 100, 1)] == [13, 27, 5, 55, 0]
    assert config.active(27, num_steps=50) and not config.active(28, num_steps=50)
    assert config.needs_num_steps and not TARConfig({0: 1.0}, reference_steps=None).needs_num_steps
    assert config.describe(50) == "TAR on steps 0-27 of 50 (the first 56% of sampling)"
    absolute = TARConfig({0: 1.0}, until_step=13, reference_steps=None)
    assert absolute.last_step(50) == 13 and absolute.active(13, 50) and not absolute.active(14, 50)
    with pytest.raises(ValueError, match=r"until_step=13 is past the last of 10 sampling steps"):
        absolute.last_step(10)
    with pytest.raises(ValueError, match=r"until_step must be in \[0, reference_steps - 1 = 24\]"):
        TARConfig({0: 1.0}, until_step=25)
    with pytest.raises(ValueError, match="reference_steps must be an int >= 1 or None, got 0"):
        TARConfig({0: 1.0}, reference_steps=0)
    with pytest.raises(ValueError, match="num_steps must be an int >= 1, got 0"):
        config.last_step(0)
    with pytest.raises(ValueError, match="strength must be a finite number, got nan"):
        TARConfig({0: 1.0}, strength=float("nan"))
    with pytest.raises(ValueError, match="latent_width must be an int >= 1, got 0"):
        TARConfig.from_widths({8: 1.0}, latent_width=0)
    paper = TARConfig.from_widths({64: 1.0, 32: 8.0}, latent_width=64)  # VideoCrafter2, 40 x 64
    assert paper.sigmas == {0: 1.0, 1: 8.0}
    assert TARConfig.from_widths({8: 2.0}, latent_width=64).sigmas == {3: 2.0}
    with pytest.raises(
        ValueError,
        match=r"key 48 is not a feature width .* valid widths: \[64, 32, 16, 8, 4, 2, 1\]",
    ):
        TARConfig.from_widths({48: 1.0}, latent_width=64)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got -1"):
        TARConfig({0: -1})
    with pytest.raises(ValueError, match="sigmas keys must be UNet levels, ints >= 0, got 'up'"):
        TARConfig({"up": 1.0})
    with pytest.raises(ValueError, match="until_step must be an int >= 0 or None, got -1"):
        TARConfig({0: 1.0}, until_step=-1)
    with pytest.raises(
        ValueError, match=r"unknown UNet levels \[3\]; this model has levels \[0, 1, 2\]"
    ):
        TARConfig({0: 1.0, 3: 2.0}).check_levels([0, 1, 2])


def test_bench_reference_is_tar():
    from vstar_lite.bench.attention import reference_tar

    q, k, v = (torch.randn(6, 20, 4, generator=torch.Generator().manual_seed(s)) for s in range(3))
    torch.testing.assert_close(reference_tar(q, k, v, 2.0), tar_attention(q, k, v, 2.0))


def test_tar_attention_is_differentiable_and_matches_the_no_grad_path():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(5, 9, 4, generator=g, requires_grad=True) for _ in range(3))
    out = tar_attention(q, k, v, sigma=2.0, max_chunk_bytes=9 * 9 * 4 * 2)  # 2 rows per chunk
    with torch.no_grad():
        torch.testing.assert_close(out, tar_attention(q, k, v, sigma=2.0))
    out.square().sum().backward()
    reference = q.detach().requires_grad_()
    logits = reference @ k.detach().transpose(1, 2) / 2.0
    probs = (logits + logits.amax(-1, keepdim=True) * gaussian_toeplitz(9, 2.0)).softmax(-1)
    (probs @ v.detach()).square().sum().backward()
    torch.testing.assert_close(q.grad, reference.grad)


def test_a_vanishing_sigma_gives_the_identity_not_nan():
    for sigma in (1e-200, 1e-30, 1e-3):
        matrix = gaussian_toeplitz(8, sigma)
        assert torch.equal(matrix, torch.eye(8)), sigma
    logits = torch.randn(3, 8, 8, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(regularized_attention_probs(logits, 1e-200)).all()


def test_diagonalness_of_a_map_without_spread_is_zero_not_nan():
    f = 6
    one_column = torch.zeros(f, f)
    one_column[:, 2] = 1.0  # every query attends to frame 2
    one_row = one_column.T.contiguous()
    single = torch.zeros(f, f)
    single[3, 3] = 1.0
    for attention_map in (one_column, one_row, single):
        value = diagonalness(attention_map)
        assert torch.isfinite(value) and value.item() == 0.0
    both = diagonalness(torch.stack([one_column, torch.eye(f)]))
    assert both.tolist() == pytest.approx([0.0, 1.0])


@pytest.mark.parametrize(
    ("dtype", "budget"), [(torch.float16, 2**-10), (torch.bfloat16, 2**-7)], ids=["fp16", "bf16"]
)
def test_half_precision_tar_is_as_accurate_as_its_rounded_inputs(dtype, budget):
    """At 128 frames with large logits, half-precision TAR must stay within a few rounding steps
    of an fp64 reference computed from the *same rounded* inputs; half-precision logits and
    softmax (without the float32 upcast) miss by about 25x the budget."""
    frames, dim = 128, 16
    g = torch.Generator().manual_seed(0)
    q, k, v = (3.0 * torch.randn(8, frames, dim, generator=g) for _ in range(3))  # logits ~ 36
    q16, k16, v16 = (t.to(dtype) for t in (q, k, v))
    logits = q16.double() @ k16.double().transpose(1, 2) / math.sqrt(dim)
    reference = regularized_attention_probs(logits, 4.0) @ v16.double()
    got = tar_attention(q16, k16, v16, 4.0)
    assert got.dtype == dtype
    error = (got.double() - reference).abs().max().item()
    scale = reference.abs().max().item()
    assert error <= 4 * budget * scale, (error, scale)
    # the same computation without the upcast, for contrast: logits and softmax in `dtype`
    naive_logits = (q16 @ k16.transpose(1, 2)) / math.sqrt(dim)
    boost = naive_logits.amax(-1, keepdim=True) * gaussian_toeplitz(frames, 4.0, dtype=dtype)
    naive = (naive_logits + boost).softmax(-1) @ v16
    assert (naive.double() - reference).abs().max().item() > 4 * budget * scale


def test_default_chunk_bytes_depend_on_the_device():
    from vstar_lite.tar import ACCELERATOR_CHUNK_BYTES, DEFAULT_CHUNK_BYTES, default_chunk_bytes

    assert default_chunk_bytes("cpu") == DEFAULT_CHUNK_BYTES == 8 * 2**20
    assert default_chunk_bytes(torch.device("cuda", 0)) == ACCELERATOR_CHUNK_BYTES == 2**28
