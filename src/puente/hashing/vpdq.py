"""vPDQ video hashes: PDQ of one frame per second, Meta's file format, Meta's matching rule.

Hashing (Meta's ``vpdq`` semantics, implemented with PyAV + pdqhash because the ``vpdq`` wheel
needs FFmpeg development libraries): every frame is decoded, and frame ``n`` is hashed when
``n % round(fps × seconds_per_hash) == 0`` (``seconds_per_hash=0`` hashes every frame, as in
Meta's sample hashes). Frames keep their native resolution.

File format (Meta's ``vpdq/sample-hashes``): one line per hashed frame,
``frame_number,quality,pdq_hex,timestamp_seconds`` (timestamp with 3 decimals).

Matching (Meta's rule, bag of unique frames, order ignored): frames below the quality
threshold are dropped, identical hashes counted once; ``query_pct`` is the share of the
query's unique frames within ``distance`` of some candidate frame, ``candidate_pct`` the same
the other way round; a match needs both percentages at or above their thresholds.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from puente.errors import EvidenceError, FormatError, InvalidHash, LimitExceeded
from puente.hashing.pdq import DEFAULT_MAX_PIXELS, hash_array

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".3gp", ".m4v")


@dataclass(frozen=True)
class VpdqFeature:
    frame_number: int
    quality: int
    hash_hex: str
    timestamp: float  # seconds from the start of the stream

    def line(self) -> str:
        return f"{self.frame_number},{self.quality},{self.hash_hex},{self.timestamp:.3f}"


@dataclass(frozen=True)
class VpdqResult:
    features: tuple[VpdqFeature, ...]
    frames_decoded: int
    fps: float
    width: int
    height: int
    codec: str
    # decode problems met after the first frame: the hash covers the frames before them
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class VideoMatch:
    query_pct: float  # % of the query's unique frames with a candidate frame within distance
    candidate_pct: float  # % of the candidate's unique frames with a query frame within distance
    is_match: bool
    query_frames: int  # unique frames compared (after the quality filter)
    candidate_frames: int


def hash_video(
    path: str | os.PathLike[str],
    *,
    seconds_per_hash: float = 1.0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int | None = None,
    name: str | None = None,
) -> VpdqResult:
    """vPDQ features of a video file (mp4, mov, avi, mkv, webm, 3gp, …), read-only.

    Raises EvidenceError (unreadable), FormatError (not a video, or no frame decodes) or
    LimitExceeded (frame larger than ``max_pixels``). Decoding errors after some frames were
    hashed are recorded in ``errors`` with the partial result.
    """
    import av  # PyAV; imported here so that image-only users do not load FFmpeg

    where = name or os.fspath(path)
    try:
        container = av.open(os.fspath(path), mode="r")
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        raise EvidenceError(f"{where}: cannot read: {type(exc).__name__}: {exc}") from exc
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise FormatError(where, f"not a decodable video: {exc}") from exc
    features: list[VpdqFeature] = []
    errors: list[str] = []
    decoded = 0
    with container:
        if not container.streams.video:
            raise FormatError(where, "no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if width * height > max_pixels:
            raise LimitExceeded(where, "max_image_pixels", f"video frame {width}x{height}")
        rate = stream.average_rate or stream.guessed_rate or 30
        fps = float(rate)
        step = max(1, round(fps * seconds_per_hash)) if seconds_per_hash > 0 else 1
        try:
            for frame in container.decode(stream):
                n = decoded
                decoded += 1
                if n % step == 0:
                    rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                    if rgb.shape[0] * rgb.shape[1] > max_pixels:
                        raise LimitExceeded(where, "max_image_pixels", f"frame {n}")
                    hashes, quality = hash_array(rgb)
                    ts = float(frame.time) if frame.time is not None else n / fps
                    features.append(VpdqFeature(n, quality, hashes[0], ts))
                if max_frames is not None and decoded >= max_frames:
                    errors.append(f"stopped after max_frames={max_frames}")
                    break
        except (av.FFmpegError, OSError, ValueError) as exc:
            if not features:
                raise FormatError(where, f"no frame could be decoded: {exc}") from exc
            errors.append(f"decoding stopped at frame {decoded}: {type(exc).__name__}: {exc}")
    if not features:
        raise FormatError(where, "no frame could be decoded")
    return VpdqResult(
        features=tuple(features),
        frames_decoded=decoded,
        fps=fps,
        width=width,
        height=height,
        codec=str(ctx.name),
        errors=tuple(errors),
    )


# --- Meta's vPDQ hash file format -------------------------------------------------------------


def parse_vpdq(text: str, *, source: str = "<vpdq>") -> tuple[VpdqFeature, ...]:
    """Features from Meta's format (lines, or ``;``-joined lines); FormatError names the line."""
    out = []
    for lineno, raw in enumerate(text.replace(";", "\n").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) not in (3, 4):
            raise FormatError(source, f"expected frame,quality,hash[,timestamp]: {line!r}", lineno)
        try:
            frame, quality = int(parts[0]), int(parts[1])
            ts = float(parts[3]) if len(parts) == 4 else 0.0
        except ValueError:
            raise FormatError(source, f"bad number in {line!r}", lineno) from None
        h = parts[2].lower()
        if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
            raise FormatError(source, f"PDQ hash must be 64 hex digits: {parts[2]!r}", lineno)
        if frame < 0 or not 0 <= quality <= 100:
            raise FormatError(source, f"frame < 0 or quality outside 0..100: {line!r}", lineno)
        out.append(VpdqFeature(frame, quality, h, ts))
    return tuple(out)


def read_vpdq(path: str | os.PathLike[str]) -> tuple[VpdqFeature, ...]:
    p = Path(path)
    try:
        text = p.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise FormatError(str(p), f"not an ASCII vPDQ file: {exc}") from exc
    return parse_vpdq(text, source=str(p))


def format_vpdq(features: Iterable[VpdqFeature]) -> str:
    return "".join(f.line() + "\n" for f in features)


def write_vpdq(path: str | os.PathLike[str], features: Iterable[VpdqFeature]) -> None:
    Path(path).write_text(format_vpdq(features), encoding="ascii")


# --- matching ------------------------------------------------------------------------------------


def _unique_words(features: Sequence[VpdqFeature], quality: int) -> np.ndarray:
    hexes = sorted({f.hash_hex for f in features if f.quality >= quality})
    if not hexes:
        return np.zeros((0, 4), np.uint64)
    raw = bytes.fromhex("".join(hexes))
    return np.frombuffer(raw, np.uint8).reshape(-1, 32).copy().view(np.uint64)


def match_video(
    query: Sequence[VpdqFeature],
    candidate: Sequence[VpdqFeature],
    *,
    distance: int = 31,
    quality: int = 50,
    query_pct: float = 80.0,
    candidate_pct: float = 80.0,
) -> VideoMatch:
    """Meta's vPDQ rule: match iff query_pct and candidate_pct reach their thresholds.

    Settings: ``vpdq_frame_threshold`` (distance), ``pdq_min_quality`` (quality),
    ``vpdq_match_percent`` (both percentages).
    """
    q = _unique_words(query, quality)
    c = _unique_words(candidate, quality)
    if len(q) == 0 or len(c) == 0:
        return VideoMatch(0.0, 0.0, False, len(q), len(c))
    close = np.zeros((len(q), len(c)), bool)
    for lo in range(0, len(q), 256):  # bounded memory for long videos
        x = np.bitwise_count(q[lo : lo + 256, None, :] ^ c[None, :, :]).sum(axis=2)
        close[lo : lo + 256] = x <= distance
    qp = 100.0 * float(close.any(axis=1).mean())
    cp = 100.0 * float(close.any(axis=0).mean())
    return VideoMatch(qp, cp, qp >= query_pct and cp >= candidate_pct, len(q), len(c))


# --- registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VpdqAlgorithm:
    """Storage form of a vPDQ value: Meta's lines joined with ``;``, lowercase hex."""

    name: str = "vpdq"

    def normalise(self, value: str) -> str:
        try:
            features = parse_vpdq(value)
        except FormatError as exc:
            raise InvalidHash(f"vpdq value: {exc.problem}") from None
        if not features:
            raise InvalidHash("vpdq value has no frames")
        return ";".join(f.line() for f in features)


VPDQ = VpdqAlgorithm()


def register() -> None:
    """Add "vpdq" to the hashing registry (idempotent)."""
    from puente.hashing import registry

    registry.register(VPDQ, replace=True)


with contextlib.suppress(ImportError):  # registry absent in an older checkout
    register()
