"""Decode backends behind one call: ``read_video`` / ``count_frames`` for video files and frame folders.

``decord`` is the default, ``pyav`` the fallback (and selectable), ``torchcodec`` is used when it loads
(it needs the system FFmpeg libraries). All return uint8 RGB ``(T, H, W, 3)`` and raise
:class:`DecodeError` with a short reason for any bad input, so callers can skip the clip and go on.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import av
import numpy as np

from evalkit.data.backends import ffmpeg_log, frame_folder
from evalkit.data.backends.errors import BackendUnavailableError, DecodeError
from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS, frame_size_problem

BACKEND_MODULES = {
    "decord": "evalkit.data.backends.decord_backend",
    "pyav": "evalkit.data.backends.pyav_backend",
    "torchcodec": "evalkit.data.backends.torchcodec_backend",
}
AUTO_ORDER = ("decord", "pyav", "torchcodec")
BACKEND_CHOICES = ("auto", *BACKEND_MODULES)

__all__ = [
    "BACKEND_CHOICES",
    "BackendUnavailableError",
    "DecodeError",
    "backend_status",
    "count_frames",
    "damaged_frames",
    "read_video",
    "resolve_backend",
]

_loaded: dict[str, ModuleType | str] = {}


def _load(name: str) -> ModuleType | str:
    """The backend module, or the reason it cannot be imported (cached)."""
    if name not in _loaded:
        try:
            _loaded[name] = importlib.import_module(BACKEND_MODULES[name])
        except Exception as exc:  # noqa: BLE001 - any import failure (missing FFmpeg libs included) means "unavailable"
            _loaded[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return _loaded[name]


def backend_status() -> dict[str, str]:
    """``{name: "available" | reason it is not}`` for every backend."""
    return {name: "available" if isinstance(_load(name), ModuleType) else _load(name) for name in BACKEND_MODULES}


def resolve_backend(backend: str = "auto") -> str:
    """The concrete backend name for ``backend`` (``auto`` picks the first available of decord, pyav, torchcodec)."""
    if backend == "auto":
        for name in AUTO_ORDER:
            if isinstance(_load(name), ModuleType):
                return name
        raise BackendUnavailableError(f"no video decode backend can be imported: {backend_status()}")
    if backend not in BACKEND_MODULES:
        raise ValueError(f"unknown decode backend {backend!r}; choose one of: {', '.join(BACKEND_CHOICES)}")
    module = _load(backend)
    if not isinstance(module, ModuleType):
        raise BackendUnavailableError(f"decode backend {backend!r} is unavailable: {module}")
    return backend


def _module_for(path: Path, backend: str) -> ModuleType:
    name = resolve_backend(backend)
    if not path.exists():
        raise DecodeError(path, "file not found")
    if path.is_dir():
        return frame_folder
    if path.stat().st_size == 0:
        raise DecodeError(path, "empty file (0 bytes)")
    return _load(name)  # type: ignore[return-value]


@contextmanager
def _as_decode_error(path: Path) -> Iterator[None]:
    """Turn any decoder exception raised on bad input into a :class:`DecodeError` with a one-line reason."""
    try:
        yield
    except DecodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - decoders raise many types (RuntimeError, av.FFmpegError, DECORDError)
        lines = str(exc).strip().splitlines()
        raise DecodeError(path, f"unreadable: {type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")) from exc


def check_video_stream(path: Path, max_pixels: int = DEFAULT_MAX_FRAME_PIXELS) -> None:
    """Reject files without a video stream, grey or alpha videos (decoders would silently convert them), and
    frames over ``max_pixels`` (from the header: such a file is never decoded)."""
    with av.open(str(path)) as container:
        _check_stream(container, path, max_pixels)


def _check_stream(container: av.container.InputContainer, path: Path, max_pixels: int) -> None:
    """:func:`check_video_stream` on an open container."""
    if not container.streams.video:
        raise DecodeError(path, "no video stream")
    stream = container.streams.video[0]
    too_large = frame_size_problem(stream.codec_context.width, stream.codec_context.height, max_pixels)
    if too_large:
        raise DecodeError(path, too_large)
    pixel_format = stream.format
    if pixel_format is not None and len(pixel_format.components) != 3:
        raise DecodeError(
            path,
            f"wrong channels: pixel format {pixel_format.name} has {len(pixel_format.components)}, "
            "expected 3 (colour, no alpha)",
        )


def damaged_frames(path: Path, max_pixels: int = DEFAULT_MAX_FRAME_PIXELS) -> tuple[list[int], list[int], str]:
    """Frame indices (in presentation order, as every backend numbers them) whose packet the demuxer flags
    corrupt (e.g. the partial last frame of a cut-short file), the key frame indices, and a note when the
    header declares more frames than the file holds; demuxing only, no decoding, after the checks of
    :func:`check_video_stream` in the same file opening."""
    with av.open(str(path)) as container:
        _check_stream(container, path, max_pixels)
        stream = container.streams.video[0]
        packets = [(p.pts, p.is_corrupt, p.is_keyframe) for p in container.demux(stream) if p.size]
        declared = stream.frames
    if all(pts is not None for pts, _, _ in packets):
        packets.sort(key=lambda packet: packet[0])
    damaged = [index for index, (_, corrupt, _) in enumerate(packets) if corrupt]
    keyframes = [index for index, (_, _, key) in enumerate(packets) if key]
    short = f"; the header declares {declared} frames, the file holds {len(packets)}" if declared > len(packets) else ""
    return damaged, keyframes, short


def _damage_in_clip(path: Path, indices: list[int], max_pixels: int) -> tuple[str | None, int]:
    """Why the clip ``indices`` rests on a damaged packet (one of its frames, or one they are decoded from since
    the key frame before the first), or None; and that key frame."""
    damaged, keyframes, short = damaged_frames(path, max_pixels)
    start = max((key for key in keyframes if key <= indices[0]), default=0)
    inside = [index for index in damaged if index in set(indices)]
    if inside:
        return f"damaged frame {inside[0]}: its packet is truncated or corrupt{short}", start
    decoded_from = [index for index in damaged if start <= index < indices[-1]]
    if decoded_from:
        return (
            f"damaged frame {decoded_from[0]}: its packet is truncated or corrupt, and the clip's frames are "
            f"decoded from it (key frame {start}){short}"
        ), start
    return None, start


def _flagged_corrupt(path: Path, start: int, last: int) -> list[int]:
    """Frames ``start``..``last`` that PyAV's decoder flags corrupt (it concealed errors in them), decoding from
    the first frame: where another backend's decode logged an error, this says whether it was in the clip."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        timestamps = sorted(packet.pts for packet in container.demux(stream) if packet.size and packet.pts is not None)
    index_of = {pts: index for index, pts in enumerate(timestamps)}
    flagged = []
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            index = index_of.get(frame.pts, -1)
            if frame.is_corrupt and start <= index <= last:
                flagged.append(index)
            if index >= last:
                break
    return flagged


def count_frames(path: str | Path, backend: str = "auto", max_pixels: int = DEFAULT_MAX_FRAME_PIXELS) -> int:
    """Number of frames of a video file (from its packet index, no decoding) or of a frame folder.

    The header is checked first (:func:`check_video_stream`; the first image of a frame folder), so clip
    manifests skip audio-only, grey and alpha videos and frames over ``max_pixels`` with a reason.
    """
    path = Path(path)
    module = _module_for(path, backend)
    with _as_decode_error(path):
        if module is frame_folder:
            return frame_folder.count_frames(path, max_pixels)
        check_video_stream(path, max_pixels)
        return int(module.count_frames(path))


def read_video(
    path: str | Path,
    frame_indices: list[int] | tuple[int, ...] | None = None,
    backend: str = "auto",
    max_pixels: int = DEFAULT_MAX_FRAME_PIXELS,
    warnings: list[str] | None = None,
) -> np.ndarray:
    """Decode ``frame_indices`` (default: all frames) of a video or frame folder to uint8 RGB ``(T, H, W, 3)``.

    Indices may repeat or come in any order (``pad-last`` / ``loop`` clips); each distinct frame is
    decoded once, by seeking, never by decoding the whole video. Frames over ``max_pixels`` are refused
    from the header, before decoding; a clip holding a damaged frame (a corrupt or truncated packet, a frame
    the decoder flags corrupt, an error FFmpeg logs while decoding it) is refused, since decoders conceal
    such damage with plausible pixels. Errors FFmpeg logs while decoding past the clip's frames are appended to
    ``warnings`` (its plain warnings, e.g. every MPEG-4 AVI's "Failed to parse extradata", go to the debug log).
    """
    warnings = [] if warnings is None else warnings
    path = Path(path)
    module = _module_for(path, backend)
    if frame_indices is not None and min(frame_indices, default=0) < 0:
        raise ValueError(f"frame indices must be >= 0, got {min(frame_indices)} for {path}")
    with _as_decode_error(path):
        if module is not frame_folder and frame_indices is None:
            check_video_stream(path, max_pixels)  # before counting; with indices, damaged_frames checks it
        wanted = np.asarray(
            range(module.count_frames(path)) if frame_indices is None else frame_indices, dtype=np.int64
        )
        if wanted.size == 0:
            raise DecodeError(path, "no frames to decode (the video has no frames?)")
        unique, inverse = np.unique(wanted, return_inverse=True)
        if module is frame_folder:
            frames = frame_folder.read_frames(path, unique.tolist(), max_pixels)
        else:
            reason, start = _damage_in_clip(path, unique.tolist(), max_pixels)
            if reason:
                raise DecodeError(path, reason)
            log: list[tuple[int, str]] = []
            frames = module.read_frames(path, unique.tolist(), log)
            errors = [line for level, line in log if level <= ffmpeg_log.AV_LOG_ERROR]
            flagged = _flagged_corrupt(path, start, int(unique[-1])) if errors else []
            if flagged:
                raise DecodeError(
                    path, f"damaged frame {flagged[0]}: the decoder reported {errors[0]!r} and concealed it"
                )
            warnings.extend(f"{line} (outside the clip's frames)" for line in errors)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) != len(unique):
        raise DecodeError(path, f"decoder returned {frames.dtype} {tuple(frames.shape)}; expected uint8 (T, H, W, 3)")
    return frames if len(unique) == len(wanted) and (unique == wanted).all() else frames[inverse]
