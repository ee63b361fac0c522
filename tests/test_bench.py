"""`vstar-lite bench --unet3d`: the GPU benchmark's table, smoke-tested on CPU with --small."""

import re

import pytest
import torch
from vstar_lite.bench.unet3d import MODELSCOPE_UNET3D, UNET3D_HEADER, unet3d_table
from vstar_lite.cli import main

NUMBER = r"\d+\.\d"
PERCENT = r"[+-]\d+\.\d%"


def table_lines(stdout: str) -> tuple[str, list[str]]:
    lines = stdout.splitlines()
    start = lines.index(UNET3D_HEADER)
    assert set(lines[start + 1]) == {"-"}
    return lines[start], lines[start + 2 :]


def test_small_unet3d_bench_prints_a_row_per_frame_count(capsys):
    assert main(["bench", "--unet3d", "--small", "--frames", "2", "3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "small smoke-test UNet3DConditionModel" in out and "TAR {0: 1.0, 1: 8.0}" in out
    header, rows = table_lines(out)
    assert header.split() == (
        "frames | base ms VSTAR ms overhead | base GiB VSTAR GiB overhead".split()
    )
    assert len(rows) == 2
    for frames, row in zip(("2", "3"), rows):
        cells = row.split()
        assert len(cells) == 9 and cells[0] == frames and cells[1] == "|" == cells[5]
        assert re.fullmatch(NUMBER, cells[2]) and re.fullmatch(NUMBER, cells[3])
        assert re.fullmatch(PERCENT, cells[4])
        assert cells[6:] == ["-", "-", "-"]  # no CUDA memory figures on a CPU


def test_small_unet3d_table_times_the_baseline_plain_and_vstar_with_tar_on(monkeypatch):
    """What the two columns measure: the baseline with the UNet's own processors, VSTAR with TAR
    regularizing every temporal layer it names; the UNet is left as it was."""
    from diffusers import UNet3DConditionModel
    from vstar_lite.processors import FrameTextProcessor, TemporalProcessor

    calls = {"tar": 0, "text": 0}
    regularizing, context = TemporalProcessor.regularizing, FrameTextProcessor.context

    def count_tar(self):
        on = regularizing(self)
        calls["tar"] += on
        return on

    def count_text(self, states):
        calls["text"] += 1
        return context(self, states)

    monkeypatch.setattr(TemporalProcessor, "regularizing", count_tar)
    monkeypatch.setattr(FrameTextProcessor, "context", count_text)
    built = []
    init = UNet3DConditionModel.__init__

    def keep(self, *args, **kwargs):
        init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(UNet3DConditionModel, "__init__", keep)
    rows = unet3d_table([2], (8, 8), repeats=1, small=True, device="cpu")
    assert [row["frames"] for row in rows] == [2] and not rows[0]["oom"]
    (unet,) = built
    from vstar_lite.bench.unet3d import UNET3D_TAR
    from vstar_lite.diffusers_hooks import find_cross_attentions, find_temporal_attentions

    named = [layer for layer in find_temporal_attentions(unet)
             if layer.level in UNET3D_TAR and not layer.input_block]  # fmt: skip
    # TAR and the per-frame text in every one of VSTAR's 3 calls (2 warm-ups + 1 timed)
    assert len(named) > 0 and calls["tar"] == 3 * len(named)
    assert calls["text"] == 3 * len(find_cross_attentions(unet))
    assert not any(
        isinstance(p, (TemporalProcessor, FrameTextProcessor))
        for p in unet.attn_processors.values()
    )


def test_unet3d_bench_refuses_without_a_gpu_unless_small(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["bench", "--unet3d"]) == 2
    err = capsys.readouterr().err
    assert "needs a CUDA GPU" in err and "--small" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bench", "--small"], "--small only goes with --unet3d"),
        (["bench", "--latent", "8", "8"], "--latent only goes with --unet3d"),
        (["bench", "--unet3d", "--small", "--latent", "7", "8"], "--latent must be two"),
        (["bench", "--unet3d", "--small", "--frames", "0"], "--frames must all be >= 1"),
    ],
)
def test_unet3d_bench_names_the_bad_flag(argv, message):
    with pytest.raises(SystemExit, match=re.escape(message)):
        main(argv)


def test_the_full_size_config_is_modelscopes_unet():
    """ali-vilab/text-to-video-ms-1.7b's unet/config.json, built without memory (meta device)."""
    from diffusers import UNet3DConditionModel
    from vstar_lite.diffusers_hooks import find_temporal_attentions

    with torch.device("meta"):
        unet = UNet3DConditionModel(**MODELSCOPE_UNET3D)
    assert 1.40e9 < sum(p.numel() for p in unet.parameters()) < 1.42e9
    levels = {layer.level for layer in find_temporal_attentions(unet) if not layer.input_block}
    assert levels == {0, 1, 2, 3}
    heads = unet.get_submodule("down_blocks.0.temp_attentions.0.transformer_blocks.0.attn1").heads
    assert heads == 320 // 64
