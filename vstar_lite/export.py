"""Writing generated videos: GIF (always) and browser-playable MP4 (when ffmpeg is installed).

MP4 files are H.264 in ``yuv420p`` with ``+faststart``, the combination every browser plays;
``yuv420p`` needs even width and height, so odd sizes are padded by one pixel. ffmpeg is called
as a subprocess reading raw RGB frames from a pipe (no temporary files, no Python binding).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import torch

__all__ = ["VIDEO_SUFFIXES", "check_export_memory", "ffmpeg_path", "save_mp4", "save_video"]

VIDEO_SUFFIXES = (".gif", ".mp4")


def _frames(video: torch.Tensor | np.ndarray) -> np.ndarray:
    """``"f h w 3"`` uint8 frames, as they are."""
    array = video.detach().cpu().numpy() if isinstance(video, torch.Tensor) else np.asarray(video)
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(
            f"frames must be uint8 with shape (f, h, w, 3), got {array.dtype} {array.shape}"
        )
    return np.ascontiguousarray(array)


def ffmpeg_path() -> str:
    """The ffmpeg executable on ``PATH``, or a ``RuntimeError`` saying how to get one."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise RuntimeError(
            "MP4 export needs the ffmpeg program, which is not on PATH: install it "
            "(apt install ffmpeg, brew install ffmpeg or conda install -c conda-forge ffmpeg) "
            "or write a .gif instead"
        )
    return found


def save_mp4(frames: torch.Tensor | np.ndarray, path: str | Path, *, fps: float = 8.0) -> Path:
    """Write ``"f h w 3"`` uint8 frames as an H.264 / yuv420p MP4 that browsers play."""
    array = _frames(frames)
    if not (isinstance(fps, (int, float)) and 0 < fps <= 120):
        raise ValueError(f"fps must be in (0, 120], got {fps!r}")
    num_frames, height, width, _ = array.shape
    path = Path(path)
    command = [
        ffmpeg_path(), "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps:g}",
        "-i", "-",
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",  # yuv420p needs even sizes
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        str(path),
    ]  # fmt: skip
    result = subprocess.run(command, input=array.tobytes(), capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"ffmpeg failed writing {path} ({num_frames} frames): {message}")
    return path


def check_export_memory(num_frames: int, height: int, width: int, scale: int) -> None:
    """Refuse, before sampling, an export whose enlarged frames cannot fit in memory: they are
    held about three times at once (the enlarged copy, the encoder's images, the file)."""
    from vstar_lite.memory import check_fits

    needed = 3 * num_frames * (height * scale) * (width * scale) * 3
    check_fits(needed, "cpu", f"writing {num_frames} frames of {height} x {width} enlarged "
               f"{scale} times", "lower the scale (--scale) or the number of frames")  # fmt: skip


def save_video(
    frames: torch.Tensor | np.ndarray, path: str | Path, *, fps: float = 8.0, scale: int = 1
) -> Path:
    """Write ``"f h w 3"`` uint8 frames to ``path``: ``.gif`` or ``.mp4`` (needs ffmpeg).

    ``scale`` enlarges pixels (nearest neighbour), for the tiny model's 32 x 32 frames.
    """
    from vstar_lite.viz import save_gif

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"path must end in {' or '.join(VIDEO_SUFFIXES)}, got {str(path)!r}")
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be an int >= 1, got {scale!r}")
    array = _frames(frames)
    check_export_memory(array.shape[0], array.shape[1], array.shape[2], scale)
    if suffix == ".gif":
        video = np.ascontiguousarray(array.transpose(3, 0, 1, 2))  # "3 f h w" for save_gif
        return save_gif(video, path, fps=fps, scale=scale)
    return save_mp4(array.repeat(scale, axis=1).repeat(scale, axis=2), path, fps=fps)
