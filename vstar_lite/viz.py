"""Looking at videos: frame strips (PNG figures) and GIFs that play in notebooks.

GIFs are embedded in the notebook itself, so they play wherever the ``.ipynb`` is opened:
JupyterLab, Colab and GitHub's notebook viewer. :class:`GifVideo` publishes the GIF's bytes under
the ``image/png`` MIME type, because all three show ``image/png`` outputs as an ``<img>`` element
(and the browser plays the GIF it finds inside), whereas ``image/gif`` outputs are not shown by all
of them. Its ``text/plain`` part is a one-line description (frames, size, speed) that nbval checks.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from einops import rearrange
from matplotlib.figure import Figure
from PIL import Image

__all__ = [
    "GifVideo",
    "attention_heatmap",
    "attention_overlay",
    "frame_rows",
    "frame_strip",
    "gif_bytes",
    "save_gif",
    "show_video",
    "to_uint8_frames",
    "use_png_figures",
    "video_grid",
]

# Values this close outside ``value_range`` are float rounding, not an error: they are clamped.
# Anything further out raises, so that a video in the wrong range is never silently clipped.
RANGE_TOLERANCE = 1e-3


def _as_array(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def to_uint8_frames(
    video: torch.Tensor | np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)
) -> np.ndarray:
    """Convert one video ``c f h w`` (c = 1 or 3) to ``f h w 3`` uint8 frames for display.

    Floats are mapped linearly from ``value_range`` to 0..255; uint8 input is taken as is.
    """
    array = _as_array(video)
    if array.ndim != 4 or array.shape[0] not in (1, 3):
        raise ValueError(
            f"video must have shape (c, f, h, w) with c = 1 or 3, got shape {array.shape}"
        )
    if array.dtype == np.uint8:
        frames = array
    else:
        low, high = value_range
        if not high > low:
            raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            raise ValueError("video contains NaN or infinite values")
        lo_seen, hi_seen = float(array.min()), float(array.max())
        slack = RANGE_TOLERANCE * (high - low)
        if lo_seen < low - slack or hi_seen > high + slack:
            raise ValueError(
                f"video values must lie in value_range=[{low}, {high}], "
                f"got min {lo_seen:.4g} and max {hi_seen:.4g}"
            )
        scaled = np.clip((array - low) / (high - low), 0.0, 1.0)
        frames = np.round(scaled * 255.0).astype(np.uint8)
    frames = rearrange(frames, "c f h w -> f h w c")
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    return np.ascontiguousarray(frames)


def _auto_scale(height: int, width: int, target: int = 160) -> int:
    """The integer upscaling that brings the longer side to at least ``target`` pixels."""
    return max(1, -(-target // max(height, width)))


def gif_bytes(
    video: torch.Tensor | np.ndarray,
    *,
    fps: float = 4.0,
    scale: int | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> bytes:
    """Encode a ``c f h w`` video as a looping GIF; ``scale`` enlarges pixels (nearest neighbour).

    The bytes depend only on the input, so a notebook that stores them is reproducible.
    """
    if not (isinstance(fps, (int, float)) and 0 < fps <= 50):
        raise ValueError(f"fps must be in (0, 50], got {fps!r}")
    frames = to_uint8_frames(video, value_range)
    height, width = frames.shape[1:3]
    scale = _auto_scale(height, width) if scale is None else scale
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive int or None, got {scale!r}")
    frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    images = [Image.fromarray(frame) for frame in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=round(1000 / fps),
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()


class GifVideo:
    """A GIF that displays itself in a notebook (see the module docstring for the MIME type)."""

    def __init__(self, data: bytes, *, num_frames: int, height: int, width: int, fps: float):
        self.data = data
        self.num_frames, self.height, self.width, self.fps = num_frames, height, width, fps

    def __repr__(self) -> str:
        return f"GIF: {self.num_frames} frames of {self.width}x{self.height} px at {self.fps:g} fps"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/png": base64.b64encode(self.data).decode("ascii"), "text/plain": repr(self)}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.data)
        return path


def show_video(
    video: torch.Tensor | np.ndarray,
    *,
    fps: float = 4.0,
    scale: int | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> GifVideo:
    """Return a :class:`GifVideo` of a ``c f h w`` video; the last line of a cell displays it."""
    data = gif_bytes(video, fps=fps, scale=scale, value_range=value_range)
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        num_frames = image.n_frames
    return GifVideo(data, num_frames=num_frames, height=height, width=width, fps=fps)


def save_gif(video: torch.Tensor | np.ndarray, path: str | Path, **kwargs: Any) -> Path:
    """Write a ``c f h w`` video to ``path`` as a GIF (keyword arguments as :func:`gif_bytes`)."""
    path = Path(path)
    path.write_bytes(gif_bytes(video, **kwargs))
    return path


def frame_strip(
    video: torch.Tensor | np.ndarray,
    *,
    title: str | None = None,
    frame_size: float = 1.2,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> Figure:
    """One row of frames of a ``c f h w`` video, labelled ``f = 0, 1, ...``."""
    frames = to_uint8_frames(video, value_range)
    num_frames = len(frames)
    fig, axes = plt.subplots(
        1, num_frames, figsize=(frame_size * num_frames, frame_size + 0.4), squeeze=False
    )
    for index, (ax, frame) in enumerate(zip(axes[0], frames)):
        ax.imshow(frame, interpolation="nearest")
        ax.set_title(f"f = {index}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def frame_rows(
    rows: dict[str, torch.Tensor | np.ndarray],
    frames: Sequence[int],
    *,
    title: str = "",
    frame_size: float = 0.9,
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> Figure:
    """Chosen ``frames`` of several ``c f h w`` videos, one row per video labelled by its key.

    Comparing videos frame by frame (a real clip above its reconstruction, a sample beside a real
    clip) is easier in one figure than in separate strips; columns are titled ``f = i``.
    """
    frames = list(frames)
    if not rows or not frames:
        raise ValueError("rows and frames must each name at least one video / frame")
    fig, axes = plt.subplots(
        len(rows),
        len(frames),
        squeeze=False,
        figsize=(frame_size * len(frames) + 0.8, frame_size * len(rows) + 0.5),
    )
    for row_axes, (label, video) in zip(axes, rows.items()):
        images = to_uint8_frames(video, value_range)  # "f h w c"
        if not all(0 <= index < len(images) for index in frames):
            raise ValueError(f"frames must lie in [0, {len(images)}) for {label!r}, got {frames}")
        for ax, index in zip(row_axes, frames):
            ax.imshow(images[index], interpolation="none")
            ax.set(xticks=[], yticks=[])
        row_axes[0].set_ylabel(label, fontsize=8)
    for ax, index in zip(axes[0], frames):
        ax.set_title(f"f = {index}", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def video_grid(
    videos: torch.Tensor, columns: int | None = None, border: float = 1.0
) -> torch.Tensor:
    """Several videos ``"b c f h w"`` laid out as one ``"c f H W"`` video, ``columns`` per row.

    Each video gets a 1-pixel frame of value ``border`` (white for videos in ``[-1, 1]`` or
    ``[0, 1]``), so neighbours stay apart. ``columns`` defaults to all in one row and must divide
    the number of videos.
    """
    if not isinstance(videos, torch.Tensor) or videos.ndim != 5:
        raise ValueError(
            f"videos must have shape (b, c, f, h, w), got {tuple(getattr(videos, 'shape', ()))}"
        )
    count = videos.shape[0]
    columns = count if columns is None else columns
    if isinstance(columns, bool) or not isinstance(columns, int) or not 1 <= columns <= count:
        raise ValueError(f"columns must be an int in [1, {count}], got {columns!r}")
    if count % columns:
        raise ValueError(f"columns={columns} must divide the number of videos, {count}")
    padded = torch.nn.functional.pad(videos, (1, 1, 1, 1), value=border)
    return rearrange(padded, "(r k) c f h w -> c f (r h) (k w)", k=columns)


def use_png_figures(dpi: int = 80) -> None:
    """Inline matplotlib figures as PNG at a fixed dpi (small, reproducible notebook outputs)."""
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")
    plt.rcParams["figure.dpi"] = dpi
    plt.rcParams["savefig.dpi"] = dpi


def attention_heatmap(
    probs: torch.Tensor | np.ndarray,
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    xlabel: str = "key",
    ylabel: str = "query",
    annotate: bool = False,
    vmax: float | None = None,
) -> plt.Axes:
    """Draw an attention matrix ``"n m"`` (rows: queries, columns: keys) as an image.

    ``annotate`` writes each probability in its cell (for matrices small enough to read).
    """
    matrix = _as_array(probs).astype(np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"probs must be a 2-D matrix (n, m), got shape {matrix.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2))
    image = ax.imshow(matrix, cmap="magma", vmin=0.0, vmax=vmax, interpolation="nearest")
    if annotate:
        top = matrix.max() if vmax is None else vmax
        for (row, col), value in np.ndenumerate(matrix):
            colour = "black" if value > 0.6 * top else "white"
            ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=8, color=colour)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def attention_overlay(
    frame: torch.Tensor | np.ndarray,
    weights: torch.Tensor | np.ndarray,
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    alpha: float = 0.6,
) -> plt.Axes:
    """Show where one query attends in a frame: the frame ``"c h w"`` under weights ``"h w"``."""
    image = to_uint8_frames(frame[:, None] if frame.ndim == 3 else frame)[0]
    heat = _as_array(weights).astype(np.float32)
    if heat.shape != image.shape[:2]:
        raise ValueError(f"weights must have the frame's shape {image.shape[:2]}, got {heat.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(image, interpolation="nearest")
    ax.imshow(heat, cmap="magma", alpha=alpha, interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    if title:
        ax.set_title(title, fontsize=9)
    return ax
