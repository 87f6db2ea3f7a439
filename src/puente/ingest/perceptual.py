"""Perceptual hashes during a scan: PDQ of images, vPDQ of videos, in an isolated decoder.

libjpeg, libpng, libheif, libwebp and FFmpeg are C code fed with seized files. Every decode
runs in a ``puente.hashing.isolation`` worker process (one per scan process, started on the
first image): a crash or a timeout kills only that worker, which is restarted, and the file
is reported as an error. Images are hashed from the bytes the scan already read (the same
bytes as the MD5/SHA-1/SHA-256, read once, with O_NOATIME); videos are opened by path.

The outcome is folded into the Item: ``pdq``/``vpdq`` on success; a decode failure is
``status="error"``, a pixel-limit hit or a decode timeout ``status="limit_exceeded"``, with
the cause in ``detail`` (the file's cryptographic digests stay: its bytes were read).
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from puente.errors import DecoderCrashed, FormatError, LimitExceeded, PuenteError
from puente.ingest.model import ERROR, LIMIT_EXCEEDED, OK, Item

if TYPE_CHECKING:  # imported when the first image or video is met: numpy, Pillow, pdqhash
    from puente.hashing.isolation import IsolatedHasher
    from puente.hashing.pdq import HashPolicy

__all__ = [
    "IMAGE_KINDS",
    "VIDEO_KINDS",
    "Perceiver",
    "PerceptualPolicy",
    "is_image",
    "is_video",
]

# MIME types (as detect_kind gives them) that are decoded for PDQ / vPDQ.
IMAGE_KINDS = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "image/x-ms-bmp",
        "image/tiff",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
    }
)
VIDEO_KINDS = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/x-msvideo",
        "video/x-matroska",
        "video/webm",
        "video/3gpp",
        "video/x-m4v",
    }
)


def is_image(kind: str) -> bool:
    return kind in IMAGE_KINDS


def is_video(kind: str) -> bool:
    return kind in VIDEO_KINDS


@dataclass(frozen=True)
class PerceptualPolicy:
    """What a scan hashes perceptually (from Settings; recorded by the settings digest)."""

    max_pixels: int = 178_956_970  # Settings.max_image_pixels
    timeout: float = 120.0  # seconds per file in the decoder before it is killed
    trim_borders: bool = True  # also hash letterboxed/framed images without their bars
    views: bool = True  # query views (Settings.pdq_views): band cuts, small rotations
    video: bool = True
    # images above this many bytes are decoded from the file, not from memory
    max_in_memory: int = 256 * 1024**2

    @property
    def hash_policy(self) -> HashPolicy:
        from puente.hashing.pdq import HashPolicy

        return HashPolicy(
            max_pixels=self.max_pixels, trim_borders=self.trim_borders, views=self.views
        )


def _describe(exc: BaseException) -> str:
    # The item already names the file: give the cause only.
    if isinstance(exc, LimitExceeded):
        return f"limit {exc.limit} exceeded" + (f" ({exc.detail})" if exc.detail else "")
    if isinstance(exc, FormatError):
        return f"FormatError: {exc.problem}"
    return f"{type(exc).__name__}: {exc}"


def _fold(item: Item, status: str, detail: str) -> Item:
    """Record a perceptual failure on the item; an earlier problem keeps precedence."""
    text = f"{item.detail}; {detail}" if item.detail else detail
    return replace(item, status=status if item.status == OK else item.status, detail=text)


class Perceiver:
    """Hashes images and videos for one scan process, through one isolated decoder."""

    def __init__(self, policy: PerceptualPolicy) -> None:
        self.policy = policy
        self._hasher: IsolatedHasher | None = None
        self._pid = os.getpid()  # a forked copy must not use its parent's decoder pipe

    def _worker(self) -> IsolatedHasher:
        if self._hasher is None:
            from puente.hashing.isolation import IsolatedHasher

            self._hasher = IsolatedHasher(timeout=self.policy.timeout)
        return self._hasher

    def close(self) -> None:
        if self._hasher is not None:
            self._hasher.close()
            self._hasher = None

    def _run(self, item: Item, kind: str, source: str | bytes, **kwargs: Any) -> tuple[Any, Item]:
        where = item.display
        what = "PDQ" if kind == "pdq" else "vPDQ"
        try:
            return self._worker().run(kind, source, where=where, name=where, **kwargs), item
        except LimitExceeded as exc:
            return None, _fold(item, LIMIT_EXCEEDED, f"{what} not computed: {_describe(exc)}")
        except DecoderCrashed as exc:  # the item names the file: the cause is enough
            return None, _fold(
                item,
                ERROR,
                f"{what} not computed: decoder process crashed ({exc.cause}); worker restarted",
            )
        except PuenteError as exc:
            return None, _fold(item, ERROR, f"{what} not computed: {_describe(exc)}")

    def image(self, item: Item, source: str | bytes) -> Item:
        """``item`` with its PDQ, or with the decode failure recorded."""
        result, item = self._run(item, "pdq", source, policy=self.policy.hash_policy)
        from puente.hashing.pdq import PdqResult

        if isinstance(result, PdqResult):
            return replace(item, pdq=result)
        return item

    def video(self, item: Item, path: str) -> Item:
        if not self.policy.video:
            return item
        result, item = self._run(item, "vpdq", path, max_pixels=self.policy.max_pixels)
        from puente.hashing.vpdq import VpdqResult

        if isinstance(result, VpdqResult):
            item = replace(item, vpdq=result)
            if result.errors:
                item = _fold(item, ERROR, "vPDQ partial: " + "; ".join(result.errors))
        return item


_PROCESS: dict[PerceptualPolicy, Perceiver] = {}


def perceiver(policy: PerceptualPolicy) -> Perceiver:
    """This process's Perceiver for ``policy`` (its decoder worker is reused across files)."""
    found = _PROCESS.get(policy)
    if found is None or found._pid != os.getpid():
        found = _PROCESS[policy] = Perceiver(policy)
    return found


@atexit.register
def _close_all() -> None:
    for p in list(_PROCESS.values()):
        if p._pid == os.getpid():
            p.close()
