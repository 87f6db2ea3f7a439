"""PDQ index views (curator side) and query views (scan side): crops, rotations, overlays."""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw

from puente.errors import FormatError
from puente.hashing.pdq import (
    HashPolicy,
    band_views,
    decode_rgb,
    hamming,
    hash_array,
    hash_image,
    inscribed_scale,
    query_views,
    rotation_fill,
    rotation_views,
)
from puente.hashing.pdq_views import ANCHORS, crop_box, index_views, index_views_image

try:
    from conftest import SHARED_DATA
except ImportError:  # another conftest module shadows the root one
    SHARED_DATA = Path(
        os.environ.get("PUENTE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared/data")
    )

KODAK = SHARED_DATA / "kodak24"
needs_kodak = pytest.mark.skipif(
    not (KODAK / "kodim01.png").exists(), reason=f"kodak24 photos not found at {KODAK}"
)


def photo(w: int = 480, h: int = 320, seed: int = 3) -> Image.Image:
    """A benign synthetic picture: smooth gradients and a few discs."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        fx, fy, ph = rng.uniform(1, 6), rng.uniform(1, 6), rng.uniform(0, 6)
        img[..., c] = 127 + 100 * np.sin(x / w * fx * 3 + ph) * np.cos(y / h * fy * 3)
    for _ in range(6):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(10, min(w, h) // 3)
        img[(x - cx) ** 2 + (y - cy) ** 2 < r**2] = rng.integers(30, 226, 3)
    return Image.fromarray(np.clip(img, 30, 225).astype(np.uint8))


@functools.cache
def kodak(name: str) -> Image.Image:
    return Image.open(KODAK / name).convert("RGB")


@functools.cache
def views_of(name: str) -> tuple[str, ...]:
    rgb = np.asarray(kodak(name))
    return (hash_array(rgb)[0][0], *(h for h, _, _ in index_views(rgb)))


def query_set(im: Image.Image) -> list[str]:
    """What a scan queries with HashPolicy(trim_borders=True, views=True)."""
    rgb = np.asarray(im.convert("RGB"))
    hashes = list(hash_array(rgb)[0])
    for _, view in query_views(rgb):
        hashes += hash_array(np.ascontiguousarray(view))[0]
    return hashes


def best(query: list[str], stored: tuple[str, ...]) -> int:
    return min(hamming(q, s) for q in query for s in stored)


def as_array(im: Image.Image) -> npt.NDArray[np.uint8]:
    return np.asarray(im.convert("RGB"))


# --- index views -----------------------------------------------------------------------------


def test_index_views_labels_boxes_and_bad_input() -> None:
    views = index_views(as_array(photo()))
    labels = [label for _, _, label in views]
    assert len(labels) == len(set(labels)) <= 119
    assert {
        "crop10-centre",
        "crop20-tl",
        "crop2-right",
        "crop30-centre",
        "cut25-top",
        "rot-3",
    } <= set(labels)
    assert all(len(h) == 64 and q >= 50 for h, q, _ in views)
    assert crop_box(1000, 500, 0.10, "centre") == (50, 25, 950, 475)
    assert crop_box(1000, 500, 0.10, "br") == (100, 50, 1000, 500)
    assert len(ANCHORS) == 9
    assert len(index_views(as_array(photo()), rotations=())) == len(views) - 20
    assert index_views(np.zeros((20, 20, 3), np.uint8)) == []
    with pytest.raises(ValueError, match="RGB"):
        index_views(np.zeros((40, 40), np.uint8))
    # a flat picture has no view worth storing (quality < 50)
    assert index_views(np.full((100, 100, 3), 128, np.uint8)) == []


@needs_kodak
@pytest.mark.parametrize(
    "box",
    [
        (0.05, 0.05, 0.95, 0.95),
        (0.0, 0.0, 0.9, 0.9),
        (0.035, 0.035, 0.965, 0.965),
        (0, 0, 0.8, 0.8),
    ],
    ids=["centred-10%", "corner-10%", "centred-7%", "corner-20%"],
)
def test_cropped_copy_matches_a_view_of_the_original(box: tuple[float, ...]) -> None:
    im = kodak("kodim01.png")
    w, h = im.size
    cropped = im.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    query = query_set(cropped)
    assert hamming(query[0], views_of("kodim01.png")[0]) > 31  # plain PDQ misses it
    assert best(query, views_of("kodim01.png")) <= 31


@needs_kodak
def test_unrelated_photo_matches_no_view() -> None:
    for other in ("kodim02.png", "kodim03.png"):
        assert best(query_set(kodak(other)), views_of("kodim01.png")) > 31


# --- query views: rotations ------------------------------------------------------------------


def test_rotation_fill_detects_angle_direction_and_fill() -> None:
    im = photo()
    for deg in (3.0, -5.0, 10.0):
        got = rotation_fill(as_array(im.rotate(deg, Image.Resampling.BILINEAR)))
        assert got is not None and abs(got - deg) < 0.3
    white = im.rotate(4, Image.Resampling.BILINEAR, fillcolor=(255, 255, 255))
    assert rotation_fill(as_array(white)) == pytest.approx(4, abs=0.3)
    # not rotations: the photo itself, a letterboxed copy, a uniform image
    assert rotation_fill(as_array(im)) is None
    boxed = Image.new("RGB", (480, 400))
    boxed.paste(im, (0, 40))
    assert rotation_fill(as_array(boxed)) is None
    assert rotation_fill(np.zeros((100, 100, 3), np.uint8)) is None
    assert rotation_views(as_array(im)) == []


@needs_kodak
def test_straightened_copy_matches_a_rotated_view() -> None:
    im = kodak("kodim03.png")
    w, h = im.size
    s = inscribed_scale(w, h, 4.5)
    dx, dy = round(w * (1 - s) / 2), round(h * (1 - s) / 2)
    copy = im.rotate(4.5, Image.Resampling.BILINEAR).crop((dx, dy, w - dx, h - dy))
    assert rotation_fill(as_array(copy)) is None  # no fill left to detect
    assert best(query_set(copy), views_of("kodim03.png")) <= 31


def test_expanded_rotation_is_detected_and_trimmed() -> None:
    im = photo()
    rotated = as_array(im.rotate(6, Image.Resampling.BILINEAR, expand=True))
    assert rotation_fill(rotated) == pytest.approx(6, abs=0.3)
    labels = [label for label, _ in rotation_views(rotated)]
    assert labels[-1].endswith("-trim")
    trimmed = rotation_views(rotated)[-1][1]
    assert abs(trimmed.shape[1] - im.width) <= 4 and abs(trimmed.shape[0] - im.height) <= 4
    plain = hash_array(as_array(im))[0][0]
    assert hamming(hash_array(np.ascontiguousarray(trimmed))[0][0], plain) <= 31


def test_inscribed_scale() -> None:
    assert inscribed_scale(768, 512, 0) == 1
    assert inscribed_scale(768, 512, 10) == pytest.approx(0.803, abs=0.002)
    assert inscribed_scale(768, 512, -10) == inscribed_scale(768, 512, 10)


@needs_kodak
@pytest.mark.parametrize("deg", [3, -7])
def test_small_rotation_matches_through_counter_rotation(deg: int) -> None:
    im = kodak("kodim05.png")
    rotated = im.rotate(deg, Image.Resampling.BILINEAR)
    plain = hash_array(as_array(rotated))[0]
    assert min(hamming(h, views_of("kodim05.png")[0]) for h in plain) > 31
    labels = [label for label, _ in rotation_views(as_array(rotated))]
    assert len(labels) == 1 and labels[0].startswith("derot")
    assert best(query_set(rotated), views_of("kodim05.png")) <= 31


# --- query views: overlays -------------------------------------------------------------------


@needs_kodak
def test_logo_in_a_corner_matches_through_band_views() -> None:
    im = kodak("kodim08.png")
    logo = im.copy()
    w, h = im.width // 6, im.height // 6
    ImageDraw.Draw(logo).rectangle((im.width - w - 10, 10, im.width - 10, 10 + h), fill=(200, 0, 0))
    assert best(query_set(logo), views_of("kodim08.png")) <= 31
    assert [label for label, _ in band_views(as_array(im))] == [
        "cut25-top",
        "cut25-bottom",
        "cut25-left",
        "cut25-right",
    ]


def test_hash_image_views_policy() -> None:
    buf = io.BytesIO()
    photo().rotate(5, Image.Resampling.BILINEAR).save(buf, "PNG")
    plain = hash_image(buf.getvalue())
    assert plain.views == ()
    res = hash_image(buf.getvalue(), policy=HashPolicy(views=True))
    labels = [label for label, _ in res.views]
    assert labels[:4] == ["cut25-top", "cut25-bottom", "cut25-left", "cut25-right"]
    assert labels[4].startswith("derot+5")
    assert all(len(hashes) == 8 for _, hashes in res.views)
    assert res.hash_hex == plain.hash_hex


def test_index_views_image_decodes_as_hash_image(tmp_path: Path) -> None:
    data = io.BytesIO()
    photo().save(data, "PNG")
    raw = data.getvalue()
    rgb = decode_rgb(raw)
    assert hash_array(rgb)[0][0] == hash_image(raw).hash_hex
    assert index_views_image(raw) == index_views(rgb)
    res = hash_image(raw, policy=HashPolicy(index_views=True))
    assert list(res.index_views) == index_views(rgb)
    assert hash_image(raw).index_views == ()
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(FormatError, match=r"broken\.jpg"):
        index_views_image(bad)
