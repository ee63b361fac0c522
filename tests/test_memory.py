"""Memory estimates: refused requests, and the sampling estimate against a measured peak."""

import subprocess
import sys

import pytest
import torch
from vstar_lite.memory import GIB, available_bytes, check_fits, gib


def test_available_memory_is_read_on_this_machine():
    free = available_bytes("cpu")
    assert free is not None and free > 64 * 2**20
    assert available_bytes(torch.device("meta")) is None  # unknown: nothing is refused


def test_a_request_over_what_is_available_is_refused_in_one_line(monkeypatch):
    import vstar_lite.memory

    monkeypatch.setattr(vstar_lite.memory, "available_bytes", lambda device: 2 * GIB)
    check_fits(1.9 * GIB, "cpu", "this", "lower it")  # fits: nothing happens
    with pytest.raises(ValueError) as error:
        check_fits(3 * GIB, "cpu", "16 frames", "lower --frames")
    assert str(error.value) == (
        "16 frames needs about 3.0 GiB of cpu memory but 2.0 GiB is available; lower --frames"
    )
    assert gib(1.5 * GIB) == "1.5 GiB"


def test_the_sampling_estimate_grows_with_frames_pixels_videos_and_guidance():
    from vstar_lite.pipeline import VSTARPipeline

    pipe = VSTARPipeline.from_pretrained("tiny")
    base = pipe.estimate_memory(16, 32, 32, videos=1, guidance=True)
    assert pipe.estimate_memory(64, 32, 32) == pytest.approx(4 * base)
    assert pipe.estimate_memory(16, 64, 64) == pytest.approx(4 * base)
    assert pipe.estimate_memory(16, 32, 32, videos=3) == pytest.approx(3 * base)
    assert pipe.estimate_memory(16, 32, 32, guidance=False) < base


MEASURE = """
import torch
from vstar_lite import VSTARPipeline


def status(field):  # kB, from the kernel's own accounting of this process
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024


torch.set_num_threads(1)
pipe = VSTARPipeline.from_pretrained("tiny")
prompt = "a red circle moves right on a dark background"
pipe(prompt, num_frames=2, steps=1, progress=False)  # everything loaded and warmed up
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident set (VmHWM) to the current one
before = status("VmRSS")
pipe(prompt, num_frames=512, steps=1, progress=False)
print(status("VmHWM") - before, pipe.estimate_memory(512, 32, 32))
"""


def test_the_sampling_estimate_is_close_to_the_measured_peak():
    """The peak resident memory a 512-frame tiny-model video adds, in a fresh process (Linux's
    /proc accounting, whose peak can be reset after loading)."""
    result = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    grown, estimate = map(float, result.stdout.split()[-2:])
    assert 0.75 * grown <= estimate <= 1.25 * grown, (grown, estimate)
