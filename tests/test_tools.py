"""The measurement scripts in tools/: the parts that are not just calls into the library."""

from __future__ import annotations

import pytest
import torch
from diffusers import DDPMScheduler
from vstar_lite.tiny.parts import build_scheduler
from vstar_lite.tiny.training import diffusion_target

import recipe_ab
from shape_diagnostics import clean_estimate


@pytest.mark.parametrize("kind", ["sample", "epsilon", "v_prediction"])
def test_clean_estimate_inverts_a_perfect_prediction_of_each_target(kind):
    schedule = DDPMScheduler.from_config(build_scheduler(kind).config)
    x0, noise = torch.randn(2, 8, 3, 4, 4), torch.randn(2, 8, 3, 4, 4)
    for t in (5, 300, 900):
        steps = torch.full((2,), t)
        noisy = schedule.add_noise(x0, noise, steps)
        target = diffusion_target(kind, schedule, x0, noise, steps)
        torch.testing.assert_close(clean_estimate(schedule, target, noisy, t), x0, atol=2e-4,
                                   rtol=1e-4)  # fmt: skip


def test_the_recipe_report_keeps_the_notes_written_below_its_table(tmp_path):
    row = {"steps": 600, "train_minutes": 12.0, "final_loss": 0.1, "world": "circles and bars, x",
           "summary": {c: (0.5, 0.4, 0.6) for c in recipe_ab.COLUMNS}}  # fmt: skip
    report = tmp_path / "ab.md"
    recipe_ab.write_markdown({"a": row}, report, seeds=3)
    assert (
        "| a | circles and bars | 600 | 12.0 |" in report.read_text()
        and recipe_ab.NOTES_MARK in report.read_text()
    )
    report.write_text(report.read_text() + "\n## What it means\n\nhand-written\n")
    recipe_ab.write_markdown({"a": row, "b": row}, report, seeds=3)
    text = report.read_text()
    assert "| b | circles and bars | 600 |" in text and text.endswith(
        "## What it means\n\nhand-written\n"
    )
    assert text.count(recipe_ab.NOTES_MARK) == 1


def test_the_training_length_probe_refuses_a_length_it_cannot_split_before_training(capsys):
    import training_length_probe

    for steps in ("6", "0"):
        with pytest.raises(SystemExit):
            training_length_probe.main(["modelscope", steps])
        assert "steps must be a positive multiple of 4" in capsys.readouterr().err


def test_the_report_shows_caption_words_only_when_measured():
    import evaluate_pipeline

    assert evaluate_pipeline._words_section(None) == []
    words = {"empty": {"900": (1.5, 1.4, 1.6)}, "direction": {"900": (1.0, 0.99, 1.01)}}
    lines = evaluate_pipeline._words_section(words)
    assert "| caption | t = 900 |" in lines
    assert "| direction swapped | 1.000 [0.990, 1.010] |" in lines
    assert "| empty caption | 1.500 [1.400, 1.600] |" in lines
