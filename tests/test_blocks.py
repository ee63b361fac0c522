"""vstar_lite.blocks: the SS-T block's data flow, Make-A-Video identity init, causality, errors."""

import pytest
import torch
from vstar_lite.blocks import SSTBlock, frame_position_embedding

B, C, F, H, W, L, D, T = 2, 16, 6, 3, 4, 3, 12, 8


def inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(B, C, F, H, W, generator=g),
        torch.randn(B, L, D, generator=g),
        torch.randn(B, T, generator=g),
    )


def make_block(frame_attention, seed=0):
    torch.manual_seed(seed)
    return SSTBlock(C, D, heads=4, groups=4, time_dim=T, frame_attention=frame_attention).eval()


def perturb_video_layers(block):
    with torch.no_grad():
        block.conv3d.weight.add_(0.1 * torch.randn_like(block.conv3d.weight))
        for attn in (block.temp_attn1, block.temp_attn2):
            attn.to_out.weight.normal_(0, 0.2)


@pytest.mark.parametrize("frame_attention", ["sparse_causal", "spatial"])
def test_fresh_block_is_exactly_its_image_layers(frame_attention):
    block, (x, text, temb) = make_block(frame_attention), inputs()
    out = block(x, text, temb)
    assert out.shape == x.shape
    assert torch.equal(out, block.image_forward(x, text, temb))  # bitwise: new layers are no-ops
    perturb_video_layers(block)
    assert not torch.allclose(block(x, text, temb), block.image_forward(x, text, temb))


def test_fresh_spatial_block_is_the_image_block_applied_frame_by_frame():
    block, (x, text, temb) = make_block("spatial"), inputs()
    one_at_a_time = torch.cat(
        [block.image_forward(x[:, :, j : j + 1], text, temb) for j in range(F)], dim=2
    )
    # the same computation with frames in separate calls: equal up to float summation order
    torch.testing.assert_close(block(x, text, temb), one_at_a_time, rtol=0, atol=1e-5)


def test_sparse_causal_block_on_a_still_video_is_the_image_block_too():
    block, (x, text, temb) = make_block("sparse_causal"), inputs()
    still = x[:, :, :1].expand(-1, -1, F, -1, -1).contiguous()  # every frame the same
    one_frame = block.image_forward(still[:, :, :1], text, temb)
    torch.testing.assert_close(
        block(still, text, temb), one_frame.expand_as(still), rtol=0, atol=1e-5
    )


def test_sparse_causal_frames_see_only_the_first_and_previous_frame():
    block, (x, text, temb) = make_block("sparse_causal"), inputs()
    changed = x.clone()
    changed[:, :, 3] += 1.0
    delta = (block.image_forward(changed, text, temb) - block.image_forward(x, text, temb)).abs()
    per_frame = delta.amax(dim=(0, 1, 3, 4))
    assert per_frame[3] > 0 and per_frame[4] > 0  # frame 4 reads frame 3 as its previous frame
    assert torch.all(per_frame[[0, 1, 2, 5]] == 0)  # nobody else reads frame 3


def test_temporal_layers_connect_every_frame_once_trained():
    block, (x, text, temb) = make_block("spatial"), inputs()
    perturb_video_layers(block)
    changed = x.clone()
    changed[:, :, 0] += 1.0
    per_frame = (block(changed, text, temb) - block(x, text, temb)).abs().amax(dim=(0, 1, 3, 4))
    assert torch.all(per_frame > 0)


def test_reset_video_layers_restores_the_identity():
    block, (x, text, temb) = make_block("sparse_causal"), inputs()
    perturb_video_layers(block)
    block.reset_video_layers()
    kernel = block.conv3d.weight[:, :, :, 0, 0]  # "out in t"
    assert torch.equal(kernel[:, :, 1], torch.eye(C)) and not kernel[:, :, [0, 2]].any()
    assert torch.equal(block(x, text, temb), block.image_forward(x, text, temb))


def test_per_frame_text_is_accepted():
    block, (x, _, temb) = make_block("spatial"), inputs()
    text = torch.randn(B * F, L, D)
    assert block(x, text, temb).shape == x.shape


def test_block_in_bfloat16_is_close_to_float32():
    block, (x, text, temb) = make_block("sparse_causal"), inputs()
    perturb_video_layers(block)
    want = block(x, text, temb)
    got = block.to(torch.bfloat16)(x.bfloat16(), text.bfloat16(), temb.bfloat16())
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want, atol=0.1, rtol=0.05)


def test_frame_positions_are_sinusoids_that_differ_per_frame():
    position = frame_position_embedding(5, 8)
    assert position.shape == (5, 8)
    torch.testing.assert_close(position[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert torch.unique(position, dim=0).shape[0] == 5


def test_block_errors_name_the_argument():
    block, (x, text, temb) = make_block("spatial"), inputs()
    with pytest.raises(ValueError, match=r"x must have shape \(b, c=16, f, h, w\)"):
        block(x[:, :8], text, temb)
    with pytest.raises(ValueError, match=r"context must have shape \(b, L, D\) or \(b\*f, L, D\)"):
        block(x, text[0], temb)
    with pytest.raises(ValueError, match="temb is required"):
        block(x, text)
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        block(x.double(), text, temb)
    with pytest.raises(ValueError, match="frame_attention must be 'sparse_causal' or 'spatial'"):
        SSTBlock(C, D, frame_attention="full")
    with pytest.raises(ValueError, match="groups=5 must divide channels=16"):
        SSTBlock(C, D, groups=5)
