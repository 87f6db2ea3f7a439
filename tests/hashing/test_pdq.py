from __future__ import annotations

import csv
import functools
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from puente.errors import EvidenceError, FormatError, LimitExceeded
from puente.hashing.pdq import (
    DIHEDRAL_NAMES,
    EXIF_TO_VARIANT,
    HashPolicy,
    PdqResult,
    exact_dihedral,
    hamming,
    hash_array,
    hash_image,
    trim_borders,
)

try:
    from conftest import SHARED_DATA
except ImportError:  # another conftest module shadows the root one
    SHARED_DATA = Path(
        os.environ.get("PUENTE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared/data")
    )

TE = SHARED_DATA / "threatexchange"
needs_te = pytest.mark.skipif(
    not (TE / "EXPECTED_PDQ_HASHES.csv").exists(),
    reason=f"Meta's reference data not found at {TE}",
)
FULL = HashPolicy(fast=False)


def photo(w: int = 640, h: int = 480, seed: int = 1) -> Image.Image:
    """A benign synthetic 'photo': smooth colour gradients plus a few shapes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        fx, fy, ph = rng.uniform(1, 6), rng.uniform(1, 6), rng.uniform(0, 6)
        img[..., c] = 127 + 100 * np.sin(x / w * fx * 3 + ph) * np.cos(y / h * fy * 3)
    for _ in range(6):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(10, min(w, h) // 3)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r**2
        img[mask] = rng.integers(0, 256, 3)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@functools.cache
def full(image: str) -> PdqResult:
    """Full-decode hash of a reference file, computed once per test session."""
    return hash_image(TE / image, policy=FULL)


def expected_rows() -> list[dict[str, str]]:
    with (TE / "EXPECTED_PDQ_HASHES.csv").open() as f:
        return [r for r in csv.DictReader(f) if r["file_present"] == "True"]


# --- conformance with Meta's reference data -------------------------------------------------


@needs_te
def test_reference_images_within_metas_rule() -> None:
    """Meta's rule: at quality >= 80, <= 10 bits from the C++ reference (and Java, equal to it)."""
    checked = 0
    for row in expected_rows():
        image = row["image"]
        if "#" in image or not image.endswith((".jpg", ".jpeg", ".png")):
            continue
        if not row["reference_impl"].startswith(("cpp-reference", "java")):
            continue
        res = full(image)
        if res.quality >= 80:
            assert hamming(res.hash_hex, row["expected_pdq"]) <= 10, image
            checked += 1
    assert checked >= 20


@needs_te
def test_other_reference_implementations_match() -> None:
    """Meta's pure-Python and WASM ports use other decoders: still well inside the threshold."""
    for row in expected_rows():
        impl, image = row["reference_impl"], row["image"]
        if not impl.startswith(("python (pdqhashing)", "wasm")) or image.endswith(".mp4"):
            continue
        res = full(image)
        if res.quality >= 80:
            assert hamming(res.hash_hex, row["expected_pdq"]) <= 16, image


@needs_te
def test_identical_pixels_identical_hash() -> None:
    """pytx hashes with the same stack (Pillow + pdqhash): identical pixels, identical hash."""
    rows = [
        r
        for r in expected_rows()
        if r["reference_impl"].startswith("python-threatexchange (pdqhash/Pillow)")
    ]
    assert rows
    for row in rows:
        res = full(row["image"])
        assert res.hash_hex == row["expected_pdq"], row["image"]
        assert res.quality == int(row["quality"])
    # the same pixels through two lossless containers
    im = photo()
    a = hash_image(encode(im, "PNG"))
    b = hash_image(encode(im, "BMP"))
    c = hash_image(encode(im, "TIFF"))
    assert a.hash_hex == b.hash_hex == c.hash_hex
    assert a.dihedral == b.dihedral


@needs_te
def test_dihedral_files_match_their_original_through_the_dihedral_set() -> None:
    dih = sorted((TE / "pdq/data/reg-test-input/dih").glob("*.jpg"))
    assert len(dih) == 8
    rel = [str(p.relative_to(TE)) for p in dih]
    original = full(rel[0])
    for k, path in enumerate(dih):
        plain = full(rel[k]).hash_hex
        assert hamming(plain, original.dihedral[k]) <= 10, path.name  # files are in Meta's order
        if k:
            assert hamming(plain, original.hash_hex) > 31  # invisible to a plain lookup


@needs_te
def test_exif_orientation_policy() -> None:
    """As stored by default (agrees with Meta's C++), the displayed hash is in the dihedral set."""
    exif = TE / "pdq/data/reg-test-input/exif-rotn"
    for path in sorted(exif.glob("*.jpg")):
        stored = hash_image(path)  # 12 MP: the fast path keeps this test quick
        shown = hash_image(path, policy=HashPolicy(orientation="displayed"))
        assert stored.orientation == "stored"
        assert stored.exif_orientation == int(path.stem.split("-")[-1])
        assert stored.displayed_variant == EXIF_TO_VARIANT[stored.exif_orientation]
        # derived from one DCT: close; hashed from the 4 mirror images: bit for bit
        assert hamming(stored.dihedral[stored.displayed_variant], shown.hash_hex) <= 31
        assert hamming(shown.dihedral[shown.stored_variant], stored.hash_hex) <= 31
        exact = hash_image(path, policy=HashPolicy(exact_dihedral=True))
        assert exact.dihedral[exact.displayed_variant] == shown.hash_hex


@needs_te
def test_fast_path_drift_and_mode_recorded() -> None:
    path = TE / "pdq/data/reg-test-input/exif-rotn/exif-rotn-1.jpg"  # 4032x3024
    full = hash_image(path, policy=FULL)
    fast = hash_image(path)
    assert full.decode_mode == "full"
    assert fast.decode_mode == "jpeg-draft-1/4"
    assert (fast.width, fast.height) == (full.width, full.height) == (4032, 3024)
    assert hamming(full.hash_hex, fast.hash_hex) <= 10


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "kw"),
    [
        ("JPEG", {"quality": 90}),
        ("PNG", {}),
        ("BMP", {}),
        ("TIFF", {}),
        ("WEBP", {"quality": 90}),
        ("GIF", {}),
        ("HEIF", {"quality": 90}),
    ],
)
def test_formats(fmt: str, kw: dict[str, object]) -> None:
    im = photo()
    ref = hash_image(encode(im, "PNG"))
    res = hash_image(encode(im, fmt, **kw), name=f"x.{fmt.lower()}")
    assert res.quality >= 50
    assert len(res.hash_hex) == 64 and len(res.dihedral) == 8
    assert hamming(res.hash_hex, ref.hash_hex) <= 31, fmt


def test_gif_first_frame() -> None:
    a, b = photo(seed=1), photo(seed=2)
    data = encode(a, "GIF", save_all=True, append_images=[b])
    res = hash_image(data)
    assert res.frames == 2
    first = hash_image(encode(a, "GIF"))
    assert res.hash_hex == first.hash_hex


def test_heic_generated_with_pillow_heif() -> None:
    im = photo(800, 600, seed=3)
    heif = pillow_heif.from_pillow(im)
    buf = io.BytesIO()
    heif.save(buf, quality=90)
    res = hash_image(buf.getvalue(), name="x.heic")
    assert res.format == "HEIF"
    assert hamming(res.hash_hex, hash_image(encode(im, "PNG")).hash_hex) <= 31


# --- bad input ----------------------------------------------------------------------------------


def test_truncated_and_corrupt(tmp_path: Path) -> None:
    data = encode(photo(), "JPEG", quality=90)
    with pytest.raises(FormatError) as err:
        hash_image(data[: len(data) // 2], name="case/evidence.jpg")
    assert "case/evidence.jpg" in str(err.value)
    with pytest.raises(FormatError, match="not a decodable image"):
        hash_image(b"this is not an image", name="notes.txt")
    png = encode(photo(), "PNG")
    with pytest.raises(FormatError):
        hash_image(png[: len(png) - 5000], name="cut.png")
    with pytest.raises(EvidenceError):
        hash_image(tmp_path / "missing.jpg")


def test_decompression_bomb_is_a_limit() -> None:
    # a 1x1 PNG whose header declares 30000 x 30000 pixels: 70 bytes on disk
    png = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    png[16:24] = struct.pack(">II", 30000, 30000)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    bomb = bytes(png)
    assert len(bomb) < 100
    with pytest.raises(LimitExceeded) as err:
        hash_image(bomb, name="bomb.png", policy=HashPolicy(max_pixels=10_000_000))
    assert err.value.limit == "max_image_pixels"
    assert "bomb.png" in str(err.value)


def test_tiny_image_quality_zero() -> None:
    res = hash_image(encode(Image.new("RGB", (4, 4), "red"), "PNG"))
    assert res.quality == 0


# --- dihedral and borders -------------------------------------------------------------------


def test_dihedral_names_and_exact_dihedral() -> None:
    assert len(DIHEDRAL_NAMES) == 8
    im = photo(768, 512, seed=4)
    rgb = np.asarray(im)
    exact = exact_dihedral(rgb)
    plain, _ = hash_array(rgb)
    assert exact[0] == plain[0]
    ops = [
        None,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
        Image.Transpose.FLIP_TOP_BOTTOM,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    ]
    for k, op in enumerate(ops):
        if op is None:
            continue
        h, _ = hash_array(np.asarray(im.transpose(op)))
        # the exact set holds the hash of every transformed copy, bit for bit
        assert h[0] in exact, (k, DIHEDRAL_NAMES[k])


def test_trim_borders() -> None:
    im = np.asarray(photo(400, 300))
    boxed = np.zeros((400, 400, 3), np.uint8)
    boxed[50:350] = im
    kept, box = trim_borders(boxed)
    assert box == (0, 50, 400, 350)
    assert kept.shape == im.shape
    same, none = trim_borders(im)
    assert none is None and same is im


# --- isolation ---------------------------------------------------------------------------------


@pytest.mark.slow  # starts Python worker processes (spawn) three times
def test_isolated_worker_survives_a_crash(tmp_path: Path) -> None:
    from puente.hashing.isolation import IsolatedHasher

    good = tmp_path / "a.png"
    good.write_bytes(encode(photo(), "PNG"))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(encode(photo(), "JPEG")[:3000])
    direct = hash_image(good)
    with IsolatedHasher(timeout=60) as hasher:
        assert hasher.hash_image(good) == direct
        with pytest.raises(EvidenceError, match="crashed \\(signal 11\\); worker restarted"):
            hasher.run("crash", good)
        assert hasher.restarts == 1
        with pytest.raises(FormatError) as err:  # errors keep their class and fields
            hasher.hash_image(cut)
        assert err.value.source == str(cut)
        assert hasher.hash_image(good) == direct  # the restarted worker carries on


def test_trim_policy_hashes_both_plain_and_trimmed() -> None:
    im = photo(400, 300, seed=8)
    boxed = Image.new("RGB", (400, 420))
    boxed.paste(im, (0, 60))
    data = encode(boxed, "PNG")
    plain = hash_image(data)
    both = hash_image(data, policy=HashPolicy(trim_borders=True))
    assert both.dihedral == plain.dihedral and plain.trimmed_dihedral is None
    assert both.trimmed == (0, 60, 400, 360)
    assert both.trimmed_dihedral is not None
    ref = hash_image(encode(im, "PNG")).hash_hex
    assert hamming(both.trimmed_dihedral[0], ref) <= 4 < 31 < hamming(plain.hash_hex, ref)


def test_truncated_image_is_an_error_even_after_weasyprint_import() -> None:
    # WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    data = encode(photo(), "JPEG", quality=90)
    with pytest.raises(FormatError):
        hash_image(data[: len(data) // 2], name="half.jpg")
