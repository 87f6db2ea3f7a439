from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest

from puente.errors import FormatError, InvalidHash, LimitExceeded
from puente.hashing.pdq import hamming
from puente.hashing.vpdq import (
    VPDQ,
    VpdqFeature,
    format_vpdq,
    hash_video,
    match_video,
    parse_vpdq,
    read_vpdq,
    write_vpdq,
)

try:
    from conftest import SHARED_DATA
except ImportError:  # another conftest module shadows the root one
    SHARED_DATA = Path(
        os.environ.get("PUENTE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared/data")
    )

TE = SHARED_DATA / "threatexchange"
VIDEOS = TE / "tmk/sample-videos"
HASHES = TE / "vpdq/sample-hashes"
needs_te = pytest.mark.skipif(
    not VIDEOS.is_dir() or not HASHES.is_dir(), reason=f"Meta's sample videos not found at {TE}"
)
QUICK = [
    "doorknob-hd-no-bar",
    "pattern-sd-grey-bar",
    "pattern-sd-with-small-logo-bar",
    "test-padded-dimensions",
]


def all_names() -> list[str]:
    return sorted(p.stem for p in VIDEOS.glob("*.mp4") if (HASHES / f"{p.stem}.txt").exists())


_CACHE: dict[str, tuple[VpdqFeature, ...]] = {}


def ours(name: str) -> tuple[VpdqFeature, ...]:
    if name not in _CACHE:
        _CACHE[name] = hash_video(VIDEOS / f"{name}.mp4").features
    return _CACHE[name]


def conformance(names: list[str]) -> None:
    close = total = 0
    for name in names:
        meta = {f.frame_number: f for f in read_vpdq(HASHES / f"{name}.txt")}
        for f in ours(name):
            ref = meta[f.frame_number]
            assert f.quality == pytest.approx(ref.quality, abs=10)
            assert f.timestamp == pytest.approx(ref.timestamp, abs=0.002)
            if ref.quality >= 50:  # Meta's rule matches only frames of quality >= 50
                total += 1
                close += hamming(f.hash_hex, ref.hash_hex) <= 31
        # one frame per second, Meta's frame numbering
        assert [f.frame_number for f in ours(name)] == list(range(0, len(meta), 30))
    assert total and close / total >= 0.95


def match_matrix(names: list[str]) -> None:
    """Our hashes decide match / no match for every pair exactly as Meta's hashes do (1 fps)."""
    meta = {
        n: tuple(f for f in read_vpdq(HASHES / f"{n}.txt") if f.frame_number % 30 == 0)
        for n in names
    }
    for a in names:
        for b in names:
            expected = match_video(meta[a], meta[b]).is_match
            assert match_video(ours(a), ours(b)).is_match == expected, (a, b)
        # and each video matches Meta's own hash file of it, every frame of it
        full = read_vpdq(HASHES / f"{a}.txt")
        m = match_video(ours(a), full, candidate_pct=0)
        assert m.query_pct >= 95


@needs_te
def test_conformance_quick() -> None:
    conformance(QUICK)
    match_matrix(QUICK)


@needs_te
@pytest.mark.slow
def test_conformance_all_sample_videos() -> None:
    names = all_names()
    assert len(names) >= 12
    conformance(names)
    match_matrix(names)
    # the chair family matches itself and nothing of the pattern family
    assert match_video(ours("chair-orig-22-sd-bar"), ours("chair-22-sd-sepia-bar")).is_match
    assert not match_video(ours("chair-orig-22-sd-bar"), ours("pattern-hd-no-bar")).is_match


# --- generated videos ---------------------------------------------------------------------------


def scene(i: int, w: int, h: int) -> np.ndarray:
    """Benign synthetic frames: random colour blocks, a new pattern every second (10 fps)."""
    rng = np.random.default_rng(i // 10)
    blocks = rng.integers(0, 256, (h // 16, w // 16, 3), dtype=np.uint8)
    return np.kron(blocks, np.ones((16, 16, 1), np.uint8))


def make_video(path: Path, codec: str, frames: int = 50, w: int = 176, h: int = 144) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=10)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(scene(i, w, h), format="rgb24")
            for pk in s.encode(frame):
                c.mux(pk)
        for pk in s.encode():
            c.mux(pk)
    return path


CONTAINERS = [
    ("mp4", "libx264"),
    ("mov", "mpeg4"),
    ("avi", "mpeg4"),
    ("mkv", "libx264"),
    ("webm", "libvpx"),
    ("3gp", "h263"),
]


def test_containers_hash_and_match_each_other(tmp_path: Path) -> None:
    results = {}
    for ext, codec in CONTAINERS:
        res = hash_video(make_video(tmp_path / f"v.{ext}", codec))
        assert res.frames_decoded == 50 and res.fps == 10
        assert [f.frame_number for f in res.features] == [0, 10, 20, 30, 40]
        assert [round(f.timestamp, 3) for f in res.features] == [0.0, 1.0, 2.0, 3.0, 4.0]
        assert not res.errors
        results[ext] = res.features
    for ext in results:
        m = match_video(results["mp4"], results[ext])
        assert m.is_match and m.query_pct == 100 and m.candidate_pct == 100, ext


def test_every_frame_mode(tmp_path: Path) -> None:
    res = hash_video(make_video(tmp_path / "v.mp4", "libx264", 12), seconds_per_hash=0)
    assert [f.frame_number for f in res.features] == list(range(12))


def test_corrupt_and_truncated_videos(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    with pytest.raises(FormatError) as err:
        hash_video(bad)
    assert "bad.mp4" in str(err.value)
    text = tmp_path / "notes.avi"
    text.write_text("not a video at all")
    with pytest.raises(FormatError):
        hash_video(text)
    good = make_video(tmp_path / "v.avi", "mpeg4", 50).read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(good[: len(good) // 2])
    res = hash_video(cut)  # the frames before the cut are hashed
    assert 0 < len(res.features) < 5
    with pytest.raises(LimitExceeded):
        hash_video(tmp_path / "v.avi", max_pixels=1000)


# --- format and matching rule -----------------------------------------------------------------


def test_file_format_round_trip(tmp_path: Path) -> None:
    feats = (
        VpdqFeature(0, 100, "ab" * 32, 0.0),
        VpdqFeature(30, 43, "cd" * 32, 1.0),
    )
    text = format_vpdq(feats)
    assert text == f"0,100,{'ab' * 32},0.000\n30,43,{'cd' * 32},1.000\n"
    write_vpdq(tmp_path / "x.txt", feats)
    assert read_vpdq(tmp_path / "x.txt") == feats
    with pytest.raises(FormatError) as err:
        parse_vpdq(f"0,100,{'ab' * 32},0.0\n1,100,xyz,0.1\n", source="h.txt")
    assert err.value.line == 2 and err.value.source == "h.txt"
    with pytest.raises(FormatError):
        parse_vpdq("0,100\n")
    assert VPDQ.normalise(text.upper().replace("\n", ";")) == ";".join(
        f.line() for f in feats
    ).replace("AB", "ab")
    with pytest.raises(InvalidHash):
        VPDQ.normalise("1,2,3")


def test_registered_in_hashing_registry() -> None:
    registry = pytest.importorskip("puente.hashing.registry")
    assert registry.get_algorithm("vpdq").name == "vpdq"


def test_matching_rule_unique_frames_quality_and_percentages() -> None:
    a, b, c = "00" * 32, "ff" * 32, "0f" * 32
    near_a = "00" * 31 + "07"  # 3 bits from a
    q = [VpdqFeature(i, 100, a, i) for i in range(5)] + [VpdqFeature(9, 100, b, 9)]
    cand = [VpdqFeature(0, 100, near_a, 0), VpdqFeature(1, 100, c, 1)]
    m = match_video(q, cand)
    # unique query frames {a, b}: a matches -> 50 %; candidate {near_a, c}: 50 %
    assert (m.query_pct, m.candidate_pct, m.query_frames) == (50.0, 50.0, 2)
    assert not m.is_match
    assert match_video(q, cand, query_pct=50, candidate_pct=50).is_match
    low = [VpdqFeature(0, 10, a, 0)]
    assert match_video(low, cand).query_frames == 0
    assert not match_video(low, cand).is_match
    assert match_video(q, cand, distance=2).query_pct == 0
