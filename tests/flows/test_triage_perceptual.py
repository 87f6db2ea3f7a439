"""Perceptual matching in the scan flow: PDQ (with dihedral variants) and vPDQ, and the
decode failures a scan must record (corrupt, truncated, decompression bomb, broken video).

All images and videos are generated at run time (benign shapes and gradients)."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import Engine

from puente.config import Settings
from puente.flows import triage
from puente.hashing.pdq import hamming, hash_image
from puente.hashsets.model import Entry, HashSetInfo
from puente.store.hashsets import HashSetStore

try:
    from conftest import SHARED_DATA
except ImportError:  # another conftest module shadows the root one
    SHARED_DATA = Path(
        os.environ.get("PUENTE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared/data")
    )


def picture(seed: int, size: int = 320) -> Image.Image:
    """A benign generated photo-like picture: smooth noise plus a few shapes."""
    rng = np.random.default_rng(seed)
    base = Image.fromarray((rng.random((6, 6, 3)) * 255).astype("uint8")).resize(
        (size, size), Image.Resampling.BICUBIC
    )
    draw = ImageDraw.Draw(base)
    for _ in range(6):
        x0, y0 = (int(v) for v in rng.integers(0, size - 40, 2))
        x1, y1 = x0 + int(rng.integers(30, 150)), y0 + int(rng.integers(30, 150))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return base


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header declares width x height pixels (never decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def video(path: Path, frames: int = 48, fps: int = 12) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 128, "yuv420p"
        for i in range(frames):
            img = picture(100 + i // 12, 160).resize((160, 128))
            frame = av.VideoFrame.from_ndarray(np.asarray(img), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def add_set(engine: Engine, name: str, entries: list[Entry]) -> None:
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo(name, version="1", owner_agency="test"))
    assert info.id is not None
    store.add_entries(info.id, entries)
    store.set_status(info.id, "complete")


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    (root / "fotos").mkdir(parents=True)
    for k in range(5):
        (root / "fotos" / f"p{k}.png").write_bytes(encode(picture(k), "PNG"))
    # an image only inside an archive
    (root / "album.zip").write_bytes(_zip({"dentro/p5.jpg": encode(picture(5), "JPEG")}))
    good = encode(picture(9), "JPEG", quality=90)
    (root / "roto.jpg").write_bytes(good[: len(good) // 2])  # truncated
    (root / "corrupto.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x13" * 300)
    (root / "bomba.png").write_bytes(png_bomb())
    (root / "texto.txt").write_text("sin imagen\n")
    video(root / "clip.mp4")
    data = (root / "clip.mp4").read_bytes()
    (root / "clip_cortado.mp4").write_bytes(data[: len(data) // 3])
    return root


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_perceptual_matches_name_variant_distance_and_set(
    engine: Engine, settings: Settings, evidence: Path
) -> None:
    from puente.hashing.vpdq import hash_video

    # The set lists altered copies of pictures 0-3 and 5 (never the scanned bytes).
    altered = {
        "p0": picture(0).resize((160, 160)),  # resized to 50 %
        "p1": Image.open(io.BytesIO(encode(picture(1), "JPEG", quality=30))),  # re-encoded
        "p2": picture(2).rotate(90),  # rotated (counter-clockwise)
        "p3": picture(3).transpose(Image.Transpose.FLIP_LEFT_RIGHT),  # mirrored
        "p5": picture(5).transpose(Image.Transpose.FLIP_TOP_BOTTOM),  # mirrored, in a zip
    }
    entries = [
        Entry("pdq", hash_image(encode(img.convert("RGB"), "PNG")).hash_hex, "csam", source_id=k)
        for k, img in altered.items()
    ]
    features = hash_video(evidence / "clip.mp4").features
    entries.append(Entry("vpdq", ";".join(f.line() for f in features), "exploitive"))
    add_set(engine, "perceptual-test", entries)

    case = triage.create_case(engine, "pdq", "AR", "UFECI", "ana")
    ev = triage.add_evidence(engine, case.id, evidence, "folder", "ana")
    s = settings.model_copy(update={"workers": 2, "batch_size": 5})
    summary = triage.scan_evidence(engine, s, case.id, ev.id, "ana")
    _, items = triage.results(engine, case.id)
    by_path = {i.path: i for i in items}

    expected_variant = {
        "fotos/p0.png": "original",
        "fotos/p1.png": "original",
        "fotos/p2.png": "rotate90",
        "fotos/p3.png": "flipy",
        "album.zip!/dentro/p5.jpg": "flipx",
    }
    for path, variant in expected_variant.items():
        item = by_path[path]
        assert item.pdq is not None and item.pdq_quality is not None
        assert item.pdq_decode_mode == "full"
        assert item.pdq_dihedral is not None and len(item.pdq_dihedral.split(",")) == 8
        pdq = [m for m in item.matches if m.algorithm == "pdq"]
        assert len(pdq) == 1, (path, item.matches)
        m = pdq[0]
        assert (m.set_name, m.set_version, m.category) == ("perceptual-test", "1", "csam")
        assert m.variant == variant
        assert m.quality == item.pdq_quality
        assert m.distance is not None and 0 <= m.distance <= settings.pdq_threshold
        # the distance is the Hamming distance between the variant's hash and the entry
        variants = dict(
            zip(
                ("original", "rotate90", "rotate180", "rotate270", "flipx", "flipy"),
                item.pdq_dihedral.split(","),
                strict=False,
            )
        )
        assert hamming(variants[variant], m.value) == m.distance
    assert not by_path["fotos/p4.png"].matches  # not in the set
    assert by_path["fotos/p4.png"].pdq is not None

    clip = by_path["clip.mp4"]
    assert clip.status == "ok" and clip.vpdq is not None
    assert [m.algorithm for m in clip.matches] == ["vpdq"]
    assert clip.matches[0].category == "exploitive"
    assert clip.matches[0].detail is not None and "100.0%" in clip.matches[0].detail
    assert summary.counts["matched"] == 6


def test_decode_failures_are_recorded_never_dropped(
    sqlite_engine: Engine, settings: Settings, evidence: Path
) -> None:
    case = triage.create_case(sqlite_engine, "bad", "AR", "UFECI", "ana")
    ev = triage.add_evidence(sqlite_engine, case.id, evidence, "folder", "ana")
    triage.scan_evidence(
        sqlite_engine, settings.model_copy(update={"workers": 1}), case.id, ev.id, "ana"
    )
    _, items = triage.results(sqlite_engine, case.id)
    by_path = {i.path: i for i in items}
    for path, status, words in [
        ("roto.jpg", "error", "PDQ not computed"),
        ("corrupto.png", "error", "PDQ not computed"),
        ("bomba.png", "limit_exceeded", "max_image_pixels"),
        ("clip_cortado.mp4", "error", "vPDQ"),
    ]:
        item = by_path[path]
        assert item.status == status, (path, item.status, item.detail)
        assert item.detail is not None and words in item.detail
        assert item.sha256 is not None  # the bytes were read and hashed all the same
        assert item.pdq is None
    assert by_path["texto.txt"].status == "ok" and by_path["texto.txt"].pdq is None
    assert by_path["fotos/p0.png"].status == "ok"


def test_low_quality_images_are_recorded_not_matched(
    sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "flat"
    root.mkdir()
    flat = Image.new("RGB", (128, 128), (120, 130, 140))
    (root / "plano.png").write_bytes(encode(flat, "PNG"))
    result = hash_image(encode(flat, "PNG"))
    assert result.quality < settings.pdq_min_quality
    add_set(sqlite_engine, "flat-set", [Entry("pdq", result.hash_hex, "csam")])
    case = triage.create_case(sqlite_engine, "flat", "AR", "UFECI", "ana")
    ev = triage.add_evidence(sqlite_engine, case.id, root, "folder", "ana")
    triage.scan_evidence(
        sqlite_engine, settings.model_copy(update={"workers": 1}), case.id, ev.id, "ana"
    )
    _, items = triage.results(sqlite_engine, case.id)
    (item,) = items
    assert item.pdq == result.hash_hex and item.pdq_quality == result.quality
    assert not item.matches


def test_sets_built_from_files_find_cropped_overlaid_and_rotated_copies(
    sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """add-files stores index views; the scan queries its views: edits plain PDQ misses."""
    from puente.flows.hashsets import add_files

    photo = SHARED_DATA / "kodak24" / "kodim03.png"
    if not photo.exists():
        pytest.skip(f"benign test photo not found: {photo}")
    ref = tmp_path / "ref"
    ref.mkdir()
    original = Image.open(photo).convert("RGB")
    (ref / "original.png").write_bytes(encode(original, "PNG"))
    result = add_files(sqlite_engine, "views", [ref], "csam", perceptual=True, views=True)
    assert result.views > 50
    w, h = original.size
    cropped = original.crop((w // 10, h // 10, w - w // 10, h - h // 10))  # 20 % centred crop
    overlaid = original.copy()
    ImageDraw.Draw(overlaid).rectangle((w - w // 5, 8, w - 8, h // 6), fill=(200, 30, 30))
    rotated = original.rotate(5, Image.Resampling.BILINEAR)  # black corners
    root = tmp_path / "evidence"
    root.mkdir()
    edits = {"recorte.png": cropped, "logo.png": overlaid, "girada.png": rotated}
    for name, img in edits.items():
        (root / name).write_bytes(encode(img, "PNG"))
    assert all(  # plain PDQ misses each of them
        hamming(hash_image(root / n).hash_hex, hash_image(ref / "original.png").hash_hex) > 31
        for n in edits
    )
    case = triage.create_case(sqlite_engine, "views", "AR", "UFECI", "ana")
    ev = triage.add_evidence(sqlite_engine, case.id, root, "folder", "ana")
    s = settings.model_copy(update={"workers": 1})
    triage.scan_evidence(sqlite_engine, s, case.id, ev.id, "ana")
    _, items = triage.results(sqlite_engine, case.id)
    matched = {i.path: [m for m in i.matches if m.algorithm == "pdq"] for i in items}
    assert all(matched[n] for n in edits), matched
    assert all(m.distance is not None and m.distance <= 31 for ms in matched.values() for m in ms)
    # the crop is found through a stored crop view of the reference, and the match says so
    assert any((m.detail or "").startswith("view:crop") for m in matched["recorte.png"])

    # the same scan without query views: the overlay and the rotation are missed again
    case2 = triage.create_case(sqlite_engine, "no views", "AR", "UFECI", "ana")
    ev2 = triage.add_evidence(sqlite_engine, case2.id, root, "again", "ana")
    s2 = s.model_copy(update={"pdq_views": False})
    triage.scan_evidence(sqlite_engine, s2, case2.id, ev2.id, "ana")
    _, items = triage.results(sqlite_engine, case2.id)
    again = {i.path for i in items if i.matches}
    assert "recorte.png" in again and "girada.png" not in again


def test_per_set_threshold_and_low_quality_entries(
    sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "p.png").write_bytes(encode(picture(30), "PNG"))
    scanned = hash_image(root / "p.png").hash_hex
    value = int(scanned, 16)
    near = f"{value ^ ((1 << 20) - 1):064x}"  # 20 bits away from the scanned image
    other = f"{value ^ (((1 << 20) - 1) << 100):064x}"  # 20 other bits
    assert hamming(near, scanned) == hamming(other, scanned) == 20
    add_set(sqlite_engine, "tight", [Entry("pdq", near, "csam")])
    add_set(sqlite_engine, "wide", [Entry("pdq", near, "exploitive")])
    # recorded by add-files with quality 20: too unreliable to match on
    low = [Entry("pdq", other, "cgi", metadata={"pdq_quality": 20})]
    add_set(sqlite_engine, "low", low)
    store = HashSetStore(sqlite_engine)
    store.set_pdq_threshold("tight", 10)
    case = triage.create_case(sqlite_engine, "thr", "AR", "UFECI", "ana")
    ev = triage.add_evidence(sqlite_engine, case.id, root, "folder", "ana")
    summary = triage.scan_evidence(
        sqlite_engine, settings.model_copy(update={"workers": 1}), case.id, ev.id, "ana"
    )
    _, items = triage.results(sqlite_engine, case.id)
    (item,) = items
    # "tight" (10) misses at 20, "wide" (default 31) matches, "low" is never matched
    assert [(m.set_name, m.distance) for m in item.matches] == [("wide", 20)]
    used = {h.name: h.provenance or "" for h in summary.scan.hashsets}
    assert "PDQ threshold 10" in used["tight"] and "threshold" not in used["wide"]
