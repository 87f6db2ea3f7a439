"""Index-time PDQ views of a reference image: extra hashes so cropped copies still match.

PDQ moves past the threshold of 31 bits under small crops (a 5 % centred crop is a median
46 bits away on kodak24) and is even more sensitive to where the crop box lies (shifting a
box by 1 % of the side costs a median 35 bits). No query-side trick can put back what a crop
removed, so the curator's side stores the hashes of cropped views of each reference image;
an evidence copy cropped the same way lands near one of them. Measured in
docs/benchmarks/match_quality.md:

* a view matches crops whose box is within about ±1 % (scale) of it at the same anchor, so
  levels every 2 % cover a range without gaps; shifted boxes (the same size elsewhere) do
  not match, so each anchor (centre, 4 corners, 4 edge middles) needs its own views;
* centred views go further (to 30 %) because a small rotation with uniform corner fill is
  turned back on the query side and cropped to the part that never saw the fill
  (``puente.hashing.pdq.rotation_views``): a centred crop;
* the band views (one edge cut by a quarter) meet the same views of the query
  (``puente.hashing.pdq.band_views``): an overlay in that band is then cut from both;
* straightened views (rotated every degree up to ±10 and cropped to the part that never saw
  the fill, as phone editors straighten a photo) meet rotated copies that carry no fill the
  query side could detect.

Hashes of quality below ``min_quality`` (50, Meta's advice) are not returned: a flat crop
would only add noise to the index.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from puente.hashing.pdq import BAND_CUT, HashPolicy, band_views, decode_rgb, inscribed_scale

#: Crop levels (share of each side removed) of the anchored views: every 2 % up to 20 %.
CROP_LEVELS: tuple[float, ...] = tuple(round(0.02 * k, 2) for k in range(1, 11))
#: Further centred levels (rotations of up to ~12 degrees and 30 % centred crops).
CENTRE_LEVELS: tuple[float, ...] = tuple(round(0.02 * k, 2) for k in range(11, 16))
#: Angles (degrees) of the "straightened" views: rotated and cropped to the part that never
#: saw a fill, as phone editors straighten a photo. Every degree: a 0.5 degree miss stays
#: within 24 bits on kodak24, a 1 degree miss does not (36).
ROTATIONS: tuple[float, ...] = tuple(float(d) for d in range(-10, 11) if d)
#: Anchor name -> (share of the cut taken on the left, share taken on the top).
ANCHORS: dict[str, tuple[float, float]] = {
    "centre": (0.5, 0.5),
    "tl": (0.0, 0.0),
    "tr": (1.0, 0.0),
    "bl": (0.0, 1.0),
    "br": (1.0, 1.0),
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
}


def _bits_hex(bits: npt.NDArray[np.integer]) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def crop_box(width: int, height: int, level: float, anchor: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the view removing ``level`` of each side at ``anchor``."""
    fx, fy = ANCHORS[anchor]
    cut_w, cut_h = width * level, height * level
    left, top = round(cut_w * fx), round(cut_h * fy)
    return left, top, left + round(width - cut_w), top + round(height - cut_h)


def view_boxes(width: int, height: int) -> Iterator[tuple[str, tuple[int, int, int, int]]]:
    """Labels and boxes of the crop views, e.g. ("crop10-centre", box)."""
    for level in CROP_LEVELS:
        for anchor in ANCHORS:
            yield f"crop{round(level * 100)}-{anchor}", crop_box(width, height, level, anchor)
    for level in CENTRE_LEVELS:
        yield f"crop{round(level * 100)}-centre", crop_box(width, height, level, "centre")


def straightened(rgb: npt.NDArray[np.uint8], degrees: float) -> npt.NDArray[np.uint8]:
    """The image rotated by ``degrees`` (counter-clockwise) and cropped to the centred box
    that never saw the fill (1 % margin against the blended edge)."""
    h, w = rgb.shape[:2]
    rotated = np.asarray(Image.fromarray(rgb).rotate(degrees, Image.Resampling.BILINEAR))
    s = inscribed_scale(w, h, degrees) * 0.99
    dy, dx = round(h * (1 - s) / 2), round(w * (1 - s) / 2)
    return rotated[dy : h - dy, dx : w - dx]


def index_views(
    rgb: npt.NDArray[np.uint8],
    *,
    min_quality: int = 50,
    rotations: tuple[float, ...] = ROTATIONS,
) -> list[tuple[str, int, str]]:
    """(PDQ hex, quality, view label) of each derived view of a reference image.

    ``rgb`` is the decoded reference image, (H, W, 3) uint8, as hashed for its plain PDQ
    (the plain hash itself is not repeated here). 119 views at most: 9 anchors x 10 crop
    levels ("crop10-tl"), 5 further centred levels ("crop30-centre"), 4 band views
    ("cut25-top") and 20 straightened views ("rot-3"); views under ``min_quality`` are
    left out. ``rotations=()`` drops the straightened views.
    """
    arr = np.ascontiguousarray(rgb, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB array, got shape {arr.shape}")
    h, w = arr.shape[:2]
    out: list[tuple[str, int, str]] = []
    if h < 32 or w < 32:
        return out
    views: list[tuple[str, npt.NDArray[np.uint8]]] = [
        (label, arr[top:bottom, left:right])
        for label, (left, top, right, bottom) in view_boxes(w, h)
    ]
    views += band_views(arr, BAND_CUT)
    views += [(f"rot{d:+g}", straightened(arr, d)) for d in rotations]
    for label, view in views:
        bits, quality = pdqhash.compute(np.ascontiguousarray(view))
        if quality >= min_quality:
            out.append((_bits_hex(bits), int(quality), label))
    return out


def index_views_image(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    policy: HashPolicy | None = None,
    name: str | None = None,
) -> list[tuple[str, int, str]]:
    """``index_views`` of an image file, decoded as ``hash_image`` decodes it under the same
    policy (so the views sit next to the plain hash it stores). Errors as ``hash_image``."""
    return index_views(decode_rgb(source, policy=policy, name=name))
