"""PDQ perceptual hashes of images (Meta's reference C++ through the ``pdqhash`` package).

One call decodes an image once and returns its PDQ hash, quality and the 8 dihedral hashes
(original, rotate 90, rotate 180, rotate 270, flip X, flip Y, flip +1, flip -1 — Meta's order),
all derived from one DCT by ``pdqhash.compute_dihedral``.

Decoding policy (see docs/perceptual.md):

* Formats: whatever Pillow opens (JPEG, PNG, GIF, BMP, TIFF, WebP, …) plus HEIC/HEIF through
  pillow-heif. Animated or multi-page files: the first frame.
* EXIF orientation: the primary hash is of the pixels **as stored** (what Meta's reference
  ``pdq-photo-hasher`` does, so our hashes agree with hash lists built by it). Every EXIF
  orientation is one of the 8 dihedral transforms, so the hash of the image **as displayed** is
  in the dihedral set too; ``displayed_variant`` names it. ``HashPolicy(orientation="displayed")``
  swaps the two roles.
* Pixel limit: the size declared in the header is checked before anything is decoded;
  larger images raise LimitExceeded (decompression-bomb guard).
* Corrupt or truncated files raise FormatError; unreadable files raise EvidenceError.
* Fast path: JPEGs are decoded in the DCT domain at 1/2, 1/4 or 1/8 scale (Pillow ``draft``)
  keeping the short side ≥ ``min_side`` (512) px; the decode mode is recorded with each hash
  (``"full"`` or ``"jpeg-draft-1/N"``). Measured drift against full decoding:
  docs/benchmarks/image_hashing.md.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import numpy.typing as npt
import pdqhash
import pillow_heif
from PIL import Image, ImageFile, UnidentifiedImageError

from puente.errors import EvidenceError, FormatError, LimitExceeded

pillow_heif.register_heif_opener()

#: Meta's order of the 8 dihedral variants returned by ``pdqhash.compute_dihedral``.
DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flip_plus1",
    "flip_minus1",
)

# EXIF orientation tag value -> index in DIHEDRAL_NAMES of the hash of the displayed image,
# measured on Meta's exif-rotn test photos (tests/hashing/test_pdq.py pins it).
# (Meta's "flipx" mirrors top-bottom, its rotations are counter-clockwise.)
EXIF_TO_VARIANT: dict[int, int] = {1: 0, 2: 5, 3: 2, 4: 4, 5: 6, 6: 3, 7: 7, 8: 1}
# Variant that maps the displayed image back to the stored one (rotations invert).
_INVERSE_VARIANT = (0, 3, 2, 1, 4, 5, 6, 7)

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own default, also Settings.max_image_pixels
PDQ_HEX_LENGTH = 64


@dataclass(frozen=True)
class HashPolicy:
    """How an image is decoded before hashing. Recorded with results by callers."""

    orientation: Literal["stored", "displayed"] = "stored"
    fast: bool = True  # JPEG DCT-domain reduced decoding
    min_side: int = 512  # reduced decoding keeps the short side at least this long
    max_pixels: int = DEFAULT_MAX_PIXELS
    # also hash the image with uniform letterbox/pillarbox/frame bars cut (trimmed_dihedral)
    trim_borders: bool = False
    exact_dihedral: bool = False  # 8 exact variant hashes (4 DCTs) instead of 8 derived (1 DCT)
    # also hash query views (``query_views``): the image with one edge band cut (overlays)
    # and, when a small rotation with uniform corner fill is detected, the counter-rotated
    # image; they are meant to meet the index views of ``puente.hashing.pdq_views``
    views: bool = False
    # curator side: also compute ``puente.hashing.pdq_views.index_views`` of the same pixels
    # (~119 extra PDQs: for reference files only, never for a scan)
    index_views: bool = False


@dataclass(frozen=True)
class PdqResult:
    hash_hex: str  # 64 lowercase hex digits, the hash of the image under the policy
    quality: int  # 0..100; below 50 is too unreliable to match on (Meta)
    decode_mode: str  # "full" | "jpeg-draft-1/2" | "jpeg-draft-1/4" | "jpeg-draft-1/8"
    dihedral: tuple[str, ...]  # 8 hashes in DIHEDRAL_NAMES order; dihedral[0] == hash_hex
    width: int  # size as stored in the file (before reduced decoding)
    height: int
    format: str  # Pillow's format name, e.g. "JPEG", "HEIF"
    exif_orientation: int  # 1..8 (1 when absent)
    orientation: str  # policy used for hash_hex: "stored" or "displayed"
    displayed_variant: int  # index in ``dihedral`` of the image as displayed
    stored_variant: int  # index in ``dihedral`` of the image as stored in the file
    frames: int  # frames/pages in the file; the first was hashed
    trimmed: tuple[int, int, int, int] | None = None  # (left, top, right, bottom) kept, if cut
    # the 8 hashes of the trimmed image (same orientation and dihedral mode), if bars were cut
    trimmed_dihedral: tuple[str, ...] | None = None
    # earlier trimming steps (a bar cut, before a uniform margin or photo edge went too):
    # ((left, top, right, bottom), 8 hashes) each; query them as well
    trim_steps: tuple[tuple[tuple[int, int, int, int], tuple[str, ...]], ...] = ()
    # with HashPolicy(views=True): (label, 8 dihedral hashes) of each query view, e.g.
    # ("cut25-bottom", ...), ("derot+5.1", ...); query them as well
    views: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # with HashPolicy(index_views=True): (pdq hex, quality, view label) to store next to hash_hex
    index_views: tuple[tuple[str, int, str], ...] = ()


def hamming(a: str, b: str) -> int:
    """Hamming distance of two hex strings of equal length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _bits_to_hex(bits: npt.NDArray[np.integer]) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hash_array(rgb: npt.NDArray[np.uint8]) -> tuple[tuple[str, ...], int]:
    """The 8 dihedral PDQ hashes (Meta's order) and the quality of an RGB uint8 array (H, W, 3)."""
    arr = np.ascontiguousarray(rgb, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB array, got shape {arr.shape}")
    hashes, quality = pdqhash.compute_dihedral(arr)
    return tuple(_bits_to_hex(h) for h in hashes), int(quality)


# Physical flips whose hash (variant 0) and transpose (variant 6, exact: PDQ treats rows and
# columns alike) land on Meta's variants: (flip, index of plain hash, index of its transpose).
_EXACT_PLAN: tuple[tuple[int | None, int, int], ...] = (
    (None, 0, 6),
    (1, 5, 1),  # left-right mirror (numpy axis 1)
    (0, 4, 3),  # top-bottom mirror (axis 0)
    (-1, 2, 7),  # both = rotate 180
)


def exact_dihedral(rgb: npt.NDArray[np.uint8]) -> tuple[str, ...]:
    """The 8 hashes of the rotated/mirrored copies, each exactly as hashing that copy gives.

    ``compute_dihedral`` derives the variants from one DCT, which is exact only for the
    transpose: PDQ's downsampling grid is not mirror-symmetric, so on some photos a derived
    variant is 20-30 bits from the hash of the really rotated file (measured on kodak24,
    docs/perceptual.md). Hashing the 4 mirror images (4 DCTs) gives all 8 exactly.
    """
    out: list[str] = [""] * 8
    for flip, plain, transposed in _EXACT_PLAN:
        if flip is None:
            arr = rgb
        elif flip == -1:
            arr = rgb[::-1, ::-1]
        else:
            arr = np.flip(rgb, axis=flip)
        hashes, _ = hash_array(arr)
        out[plain], out[transposed] = hashes[0], hashes[6]
    return tuple(out)


def _source_name(source: str | os.PathLike[str] | bytes | BinaryIO, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return "<bytes>"


def _open(source: str | os.PathLike[str] | bytes | BinaryIO, where: str) -> Image.Image:
    try:
        if isinstance(source, bytes):
            return Image.open(io.BytesIO(source))
        if isinstance(source, str | os.PathLike):
            return Image.open(Path(source))
        return Image.open(source)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        raise EvidenceError(f"{where}: cannot read: {type(exc).__name__}: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise FormatError(where, "not a decodable image (format not recognised)") from exc
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(where, "max_image_pixels", str(exc)) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise FormatError(where, f"cannot open image: {type(exc).__name__}: {exc}") from exc


def _exif_orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not stop hashing of the pixels
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def trim_borders(
    rgb: npt.NDArray[np.uint8], *, tolerance: int = 12, max_fraction: float = 0.4
) -> tuple[npt.NDArray[np.uint8], tuple[int, int, int, int] | None]:
    """The last step of ``trim_steps`` (everything uniform cut), or (rgb, None)."""
    steps = trim_steps(rgb, tolerance=tolerance, max_fraction=max_fraction)
    return steps[-1] if steps else (rgb, None)


Box = tuple[int, int, int, int]


def trim_steps(
    rgb: npt.NDArray[np.uint8], *, tolerance: int = 12, max_fraction: float = 0.4
) -> list[tuple[npt.NDArray[np.uint8], Box]]:
    """Cut uniform bars (letterbox, pillarbox, frames, any colour) from the edges.

    A line (row or column) is part of a bar when all its pixels are within ``tolerance`` of
    the colour of the outermost line on that side. Repeated until nothing changes, so nested
    frames (a title bar, then a margin) go too. At most ``max_fraction`` of each dimension
    is cut per side, and nothing when the rest would be under 16 px (an almost uniform image
    is left alone). Returns the kept view and (left, top, right, bottom) in the decoded
    image's pixels, after each pass (a bar, then a margin, …): the photo's own uniform edge
    may be cut in a later pass, so callers query every step. Empty when nothing was cut.
    """
    h, w = rgb.shape[:2]
    steps: list[tuple[npt.NDArray[np.uint8], Box]] = []
    if h < 32 or w < 32:
        return steps
    a = rgb.astype(np.int16)
    top, bottom, left, right = 0, h, 0, w

    def run(lines: npt.NDArray[np.int16], limit: int) -> int:
        # lines: (n, k, 3), outermost first; walk inwards line by line (usually stops at 0)
        ref = lines[0].mean(axis=0)
        n = 0
        while n < min(limit, len(lines)) and np.all(np.abs(lines[n] - ref) <= tolerance):
            n += 1
        return n

    for _ in range(4):
        cur = a[top:bottom, left:right]
        ch, cw = cur.shape[:2]
        if ch < 32 or cw < 32:
            break
        lim_h = max(0, int(h * max_fraction) - min(top, h - bottom))
        lim_w = max(0, int(w * max_fraction) - min(left, w - right))
        t = run(cur, lim_h)
        b = run(cur[::-1], lim_h)
        lft = run(cur.transpose(1, 0, 2), lim_w)
        r = run(cur.transpose(1, 0, 2)[::-1], lim_w)
        if not (t or b or lft or r):
            break
        top, bottom, left, right = top + t, bottom - b, left + lft, right - r
        if bottom - top < 16 or right - left < 16:
            break
        steps.append((rgb[top:bottom, left:right], (left, top, right, bottom)))
    return steps


@dataclass(frozen=True)
class _Decoded:
    rgb: npt.NDArray[np.uint8]
    width: int
    height: int
    format: str
    frames: int
    orientation: int
    decode_mode: str


def _decode(
    source: str | os.PathLike[str] | bytes | BinaryIO, pol: HashPolicy, where: str
) -> _Decoded:
    with _open(source, where) as im:
        width, height = im.size
        if width * height > pol.max_pixels:
            raise LimitExceeded(
                where, "max_image_pixels", f"{width}x{height} = {width * height} pixels"
            )
        fmt = im.format or "unknown"
        frames = int(getattr(im, "n_frames", 1) or 1)
        orientation = _exif_orientation(im)
        decode_mode = "full"
        try:
            if pol.fast and fmt == "JPEG" and min(width, height) >= 2 * pol.min_side:
                # draft picks the largest DCT scale (1/2, 1/4, 1/8) keeping both sides >= request
                im.draft("RGB", (pol.min_side, pol.min_side))
            im.seek(0)
            # WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on import; a truncated
            # evidence image must be reported, never hashed from its decodable half.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            im.load()
            if im.size != (width, height):
                decode_mode = f"jpeg-draft-1/{round(width / im.size[0])}"
            rgb = np.asarray(im.convert("RGB"))
        except Image.DecompressionBombError as exc:
            raise LimitExceeded(where, "max_image_pixels", str(exc)) from exc
        except MemoryError as exc:
            raise LimitExceeded(where, "memory", f"{width}x{height}: {exc}") from exc
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
            raise FormatError(where, f"cannot decode image: {type(exc).__name__}: {exc}") from exc
    return _Decoded(rgb, width, height, fmt, frames, orientation, decode_mode)


def decode_rgb(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    policy: HashPolicy | None = None,
    name: str | None = None,
) -> npt.NDArray[np.uint8]:
    """The pixels ``hash_image`` hashes for ``hash_hex`` under the same policy (decode mode,
    EXIF orientation), e.g. for ``puente.hashing.pdq_views.index_views``. Same errors."""
    pol = policy or HashPolicy()
    dec = _decode(source, pol, _source_name(source, name))
    if pol.orientation == "displayed":
        return _apply_exif(dec.rgb, dec.orientation)
    return dec.rgb


def hash_image(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    policy: HashPolicy | None = None,
    name: str | None = None,
) -> PdqResult:
    """PDQ hash, quality and dihedral set of one image file (path, bytes or binary stream).

    ``name`` is the location used in errors (e.g. an archive member path). Raises
    LimitExceeded (pixel limit), FormatError (corrupt, truncated, not an image) or
    EvidenceError (cannot be read). The source is only read.
    """
    pol = policy or HashPolicy()
    dec = _decode(source, pol, _source_name(source, name))
    rgb, orientation = dec.rgb, dec.orientation
    width, height, fmt, frames, decode_mode = (
        dec.width,
        dec.height,
        dec.format,
        dec.frames,
        dec.decode_mode,
    )
    steps = trim_steps(rgb) if pol.trim_borders else []
    displayed, stored = EXIF_TO_VARIANT[orientation], 0
    if pol.orientation == "displayed" and displayed != 0:
        # Hash the displayed pixels themselves: a derived dihedral hash is only close to the
        # hash of the transformed image (grid alignment), and the primary hash must be exact.
        rgb = _apply_exif(rgb, orientation)
        steps = [(_apply_exif(np.ascontiguousarray(k), orientation), b) for k, b in steps]
        displayed, stored = 0, _INVERSE_VARIANT[displayed]
    dihedral, quality = hash_array(rgb)
    if pol.exact_dihedral:
        dihedral = exact_dihedral(rgb)
    view_sets = (
        tuple((label, hash_array(np.ascontiguousarray(arr))[0]) for label, arr in query_views(rgb))
        if pol.views
        else ()
    )
    stored_views: tuple[tuple[str, int, str], ...] = ()
    if pol.index_views:
        from puente.hashing.pdq_views import index_views  # imports this module

        stored_views = tuple(index_views(rgb))
    trim_sets = []
    for kept, box in steps:
        arr = np.ascontiguousarray(kept)
        trim_sets.append((box, exact_dihedral(arr) if pol.exact_dihedral else hash_array(arr)[0]))
    return PdqResult(
        hash_hex=dihedral[0],
        quality=quality,
        decode_mode=decode_mode,
        dihedral=dihedral,
        width=width,
        height=height,
        format=fmt,
        exif_orientation=orientation,
        orientation=pol.orientation,
        displayed_variant=displayed,
        stored_variant=stored,
        frames=frames,
        trimmed=trim_sets[-1][0] if trim_sets else None,
        trimmed_dihedral=trim_sets[-1][1] if trim_sets else None,
        trim_steps=tuple(trim_sets[:-1]),
        views=view_sets,
        index_views=stored_views,
    )


def _apply_exif(rgb: npt.NDArray[np.uint8], orientation: int) -> npt.NDArray[np.uint8]:
    """The stored pixels transformed as a viewer displays them for an EXIF orientation."""
    ops: dict[int, Image.Transpose] = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }
    op = ops.get(orientation)
    if op is None:
        return rgb
    return np.asarray(Image.fromarray(rgb).transpose(op))


# --- query views: overlays and small rotations (docs/perceptual.md, "Views") ---------------

#: Share of one edge cut by a band view, on the query and in the index alike: an overlay
#: (caption, logo, watermark) inside the outer quarter of one edge is then outside the view.
BAND_CUT = 0.25
_EDGES = ("top", "bottom", "left", "right")


def band_views(
    rgb: npt.NDArray[np.uint8], cut: float = BAND_CUT
) -> list[tuple[str, npt.NDArray[np.uint8]]]:
    """The image with ``cut`` of one edge removed, for each edge: ("cut25-top", view), …"""
    h, w = rgb.shape[:2]
    dh, dw = round(h * cut), round(w * cut)
    pct = round(cut * 100)
    views = (rgb[dh:], rgb[: h - dh], rgb[:, dw:], rgb[:, : w - dw])
    return [(f"cut{pct}-{e}", v) for e, v in zip(_EDGES, views, strict=True)]


def inscribed_scale(width: int, height: int, degrees: float) -> float:
    """Largest s such that the centred box of s·width × s·height fits in the frame rotated by
    ``degrees`` (what survives of a photo rotated without expanding its canvas)."""
    t = np.radians(abs(degrees))
    c, s = float(np.cos(t)), float(np.sin(t))
    x, y = width / 2, height / 2
    return min(1.0, x / (x * c + y * s), y / (x * s + y * c))


def rotation_fill(
    rgb: npt.NDArray[np.uint8],
    *,
    tolerance: int = 24,
    min_degrees: float = 0.7,
    max_degrees: float = 20.0,
) -> float | None:
    """Angle (degrees, counter-clockwise positive as Pillow's ``rotate``) of a small rotation
    whose 4 corners were filled with one uniform colour, or None.

    Each corner holds a right triangle of fill; its legs along the two edges give
    tan(angle) = short leg / long leg, and which leg is long gives the direction. At least
    3 corners must agree within 1 degree, so a photo with dark corners (vignetting, night
    sky) or bars (letterbox: the run covers the whole edge) is not taken for a rotation.
    When the rotation expanded the canvas, the photo's corners only touch the edges; the
    same is then measured 3 px inside the frame (the triangles there are similar: same angle).
    """
    h, w = rgb.shape[:2]
    if h < 32 or w < 32:
        return None
    a = rgb.astype(np.int16)
    for inset in (0, 3):
        sub = a[inset : h - inset, inset : w - inset] if inset else a
        deg = _corner_angle(sub, tolerance)
        if deg is not None:
            return deg if min_degrees <= abs(deg) <= max_degrees else None
    return None


def _corner_angle(a: npt.NDArray[np.int16], tolerance: int) -> float | None:
    h, w = a.shape[:2]
    corners = (a[0, 0], a[0, -1], a[-1, -1], a[-1, 0])
    fill = corners[0]
    if any(np.abs(c - fill).max() > tolerance for c in corners):
        return None

    def run(line: npt.NDArray[np.int16]) -> int:
        off = np.nonzero(np.abs(line - fill).max(axis=1) > tolerance)[0]
        return int(off[0]) if len(off) else len(line)

    # (leg along the horizontal edge, leg along the vertical edge) at TL, TR, BR, BL
    legs = (
        (run(a[0, :]), run(a[:, 0])),
        (run(a[0, ::-1]), run(a[:, -1])),
        (run(a[-1, ::-1]), run(a[::-1, -1])),
        (run(a[-1, :]), run(a[::-1, 0])),
    )
    angles: list[float] = []
    for k, (horiz, vert) in enumerate(legs):
        if min(horiz, vert) < 2 or horiz > 0.98 * w or vert > 0.98 * h:
            return None
        deg = float(np.degrees(np.arctan(min(horiz, vert) / max(horiz, vert))))
        # counter-clockwise: long horizontal leg at top-left and bottom-right
        ccw = (horiz > vert) == (k % 2 == 0)
        angles.append(deg if ccw else -deg)
    med = float(np.median(angles))
    if sum(abs(x - med) <= 1.0 for x in angles) < 3:
        return None
    # the inside of each agreeing triangle must be fill too (a third of the way along both
    # legs); a corner that disagrees is photo content as dark as the fill, not checked
    for (horiz, vert), (ys, xs), deg in zip(
        legs, ((1, 1), (1, -1), (-1, -1), (-1, 1)), angles, strict=True
    ):
        if abs(deg - med) > 1.0:
            continue
        y, x = vert // 3, horiz // 3
        py = y if ys > 0 else h - 1 - y
        px = x if xs > 0 else w - 1 - x
        if np.abs(a[py, px] - fill).max() > tolerance:
            return None
    return med


def rotation_views(rgb: npt.NDArray[np.uint8]) -> list[tuple[str, npt.NDArray[np.uint8]]]:
    """Views of an image rotated by a small angle with uniform corner fill, rotated back.

    The counter-rotated image's centred box that never saw the fill ("derot+5.0") is a
    centred crop of the original, which the index holds as views (``index_views``); when the
    rotation had expanded the canvas, trimming the fill of the counter-rotated image gives
    the original itself ("derot+5.0-trim"). Empty when no such rotation is detected.
    """
    deg = rotation_fill(rgb)
    if deg is None:
        return []
    h, w = rgb.shape[:2]
    fill = tuple(int(v) for v in rgb[0, 0])
    back = np.asarray(Image.fromarray(rgb).rotate(-deg, Image.Resampling.BILINEAR, fillcolor=fill))
    label = f"derot{deg:+.1f}"
    s = inscribed_scale(w, h, deg) * 0.99  # a pixel of margin against the blended edge
    dy, dx = round(h * (1 - s) / 2), round(w * (1 - s) / 2)
    views = [(label, back[dy : h - dy, dx : w - dx])]
    steps = trim_steps(back)
    if steps:
        views.append((f"{label}-trim", steps[-1][0]))
    return views


def query_views(rgb: npt.NDArray[np.uint8]) -> list[tuple[str, npt.NDArray[np.uint8]]]:
    """Extra views a scan queries: the 4 band views, and the rotation views if any."""
    return [*band_views(rgb), *rotation_views(rgb)]
