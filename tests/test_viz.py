"""vstar_lite.viz: uint8 conversion, GIF encoding, the notebook GIF display, frame strips."""

import base64
import io

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image
from vstar_lite.video import toy_clip
from vstar_lite.viz import (
    frame_rows,
    frame_strip,
    gif_bytes,
    save_gif,
    show_video,
    to_uint8_frames,
    video_grid,
)

matplotlib.use("Agg")


def decode_gif(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
    return frames


def test_to_uint8_maps_the_range_linearly():
    video = torch.tensor([0.0, 0.5, 1.0]).view(1, 3, 1, 1)  # c=1, f=3, 1x1 pixels
    frames = to_uint8_frames(video)
    assert frames.shape == (3, 1, 1, 3) and frames.dtype == np.uint8  # grey becomes RGB
    assert frames[:, 0, 0, 0].tolist() == [0, 128, 255]
    signed = to_uint8_frames(torch.tensor([-1.0, 0.0, 1.0]).view(1, 3, 1, 1), value_range=(-1, 1))
    assert signed[:, 0, 0, 0].tolist() == [0, 128, 255]


def test_to_uint8_refuses_out_of_range_and_nan():
    with pytest.raises(ValueError, match=r"value_range=\[0.0, 1.0\], got min -0.5 and max 1"):
        to_uint8_frames(torch.tensor([-0.5, 1.0]).view(1, 2, 1, 1))
    with pytest.raises(ValueError, match="NaN or infinite"):
        to_uint8_frames(torch.tensor([float("nan")]).view(1, 1, 1, 1))
    with pytest.raises(
        ValueError, match=r"shape \(c, f, h, w\) with c = 1 or 3, got shape \(2, 1, 1, 1\)"
    ):
        to_uint8_frames(torch.zeros(2, 1, 1, 1))
    # float rounding just past the edge is not an error
    assert to_uint8_frames(torch.tensor([1.0 + 1e-6]).view(1, 1, 1, 1))[0, 0, 0, 0] == 255


def test_gif_has_every_frame_at_the_requested_scale_and_colours():
    clip = toy_clip(num_frames=5, height=16, width=24)
    data = gif_bytes(clip, fps=5, scale=2)
    assert data[:6] == b"GIF89a"
    frames = decode_gif(data)
    assert len(frames) == 5 and frames[0].shape == (32, 48, 3)
    expected = to_uint8_frames(clip)
    for decoded, original in zip(frames, expected):
        # a 2x nearest-neighbour upscale: every source pixel is a 2x2 block of the same colour
        assert np.abs(decoded[::2, ::2].astype(int) - original.astype(int)).max() <= 8
    assert data == gif_bytes(clip, fps=5, scale=2)  # deterministic


def test_gif_argument_errors():
    clip = toy_clip(num_frames=2)
    with pytest.raises(ValueError, match=r"fps must be in \(0, 50\], got 0"):
        gif_bytes(clip, fps=0)
    with pytest.raises(ValueError, match="scale must be a positive int or None, got 0"):
        gif_bytes(clip, scale=0)


def test_show_video_publishes_gif_bytes_as_png_mime_and_a_description(tmp_path):
    clip = toy_clip(num_frames=4, height=16, width=16)
    shown = show_video(clip, fps=2)
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == shown.data == gif_bytes(clip, fps=2)
    assert bundle["text/plain"] == "GIF: 4 frames of 160x160 px at 2 fps"  # auto scale 10x
    assert save_gif(clip, tmp_path / "clip.gif", fps=2).read_bytes() == shown.data


def test_frame_strip_has_one_titled_axis_per_frame():
    fig = frame_strip(toy_clip(num_frames=3), title="three")
    assert [ax.get_title() for ax in fig.axes] == ["f = 0", "f = 1", "f = 2"]
    assert fig._suptitle.get_text() == "three"


def test_video_grid_places_each_video_in_its_cell_with_a_border():
    videos = torch.arange(6, dtype=torch.float32).view(6, 1, 1, 1, 1).expand(6, 3, 2, 4, 5)
    grid = video_grid(videos, columns=3, border=-1.0)  # 2 rows x 3 columns of 6 x 7 cells
    assert grid.shape == (3, 2, 2 * 6, 3 * 7)
    for index in range(6):
        row, column = divmod(index, 3)
        cell = grid[:, :, row * 6 : (row + 1) * 6, column * 7 : (column + 1) * 7]
        assert torch.equal(cell[:, :, 1:-1, 1:-1], videos[index])
        assert (cell[:, :, 0] == -1).all() and (cell[:, :, :, -1] == -1).all()
    assert video_grid(videos[:2]).shape == (3, 2, 6, 14)  # default: one row
    with pytest.raises(ValueError, match="must divide the number of videos, 6"):
        video_grid(videos, columns=4)
    with pytest.raises(ValueError, match=r"columns must be an int in \[1, 6\]"):
        video_grid(videos, columns=0)
    with pytest.raises(ValueError, match=r"videos must have shape \(b, c, f, h, w\)"):
        video_grid(videos[0])


def test_frame_rows_draws_the_chosen_frames_of_each_video_in_its_labelled_row():
    dark = torch.full((3, 4, 2, 2), -1.0)  # "c f h w" in [-1, 1]
    ramp = torch.linspace(-1, 1, 4).view(1, 4, 1, 1).expand(3, 4, 2, 2)  # frame f at grey f / 3
    fig = frame_rows({"dark": dark, "ramp": ramp}, [0, 3], title="two rows")
    assert len(fig.axes) == 4 and fig._suptitle.get_text() == "two rows"
    assert [ax.get_title() for ax in fig.axes[:2]] == ["f = 0", "f = 3"]
    assert [fig.axes[0].get_ylabel(), fig.axes[2].get_ylabel()] == ["dark", "ramp"]
    shown = [ax.get_images()[0].get_array()[0, 0, 0] for ax in fig.axes]  # top-left pixel, red
    assert list(shown) == [0, 0, 0, 255]  # dark: black twice; the ramp: black, then white


def test_frame_rows_refuses_frames_outside_a_video_and_values_outside_the_range():
    video = torch.zeros(3, 4, 2, 2)
    with pytest.raises(ValueError, match=r"frames must lie in \[0, 4\) for 'clip', got \[0, 4\]"):
        frame_rows({"clip": video}, [0, 4])
    with pytest.raises(ValueError, match="value_range"):
        frame_rows({"clip": video + 3.0}, [0])
    with pytest.raises(ValueError, match="at least one"):
        frame_rows({}, [0])
