"""End-to-end image hashing speed: Puente's fast path vs the naive pipeline, and hash drift.

    .venv/bin/python bench/image_hashing.py                 # photos from ../shared/data
    .venv/bin/python bench/image_hashing.py --per-size 6    # more photos per size

Test files are made at run time in a temporary folder under bench/results (gitignored): benign
photos from ../shared/data (kodak24, bsds500, Meta's bridge photos) rescaled to 1, 3, 6 and
12 MP and saved as JPEG quality 90, plus Meta's own 12 MP exif-rotn JPEGs as they are.

* naive: ``Image.open(path).convert("RGB")`` (full decode) + ``pdqhash.compute_dihedral``
* fast:  ``puente.hashing.pdq.hash_image(path)`` (DCT-domain reduced JPEG decoding keeping
  the short side >= 512 px, then PDQ with the 8 dihedral hashes; decode mode recorded)
* scan:  what ``puente scan`` computes by default (information, no goal): the fast path with
  border trimming and the query views (``HashPolicy(trim_borders=True, views=True)``: the
  4 edge-band views, and a straightened view when a rotation fill is found)

Both run on one core (single process). Drift = Hamming distance between the fast hash and
the naive (full-decode) hash of the same file. Prints one JSON line and a table; writes
bench/results/image_hashing.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from puente.hashing.pdq import HashPolicy, hamming, hash_image

SCAN_POLICY = HashPolicy(trim_borders=True, views=True)

DATA = Path(__file__).resolve().parents[2] / "shared/data"
SIZES_MP = (1, 3, 6, 12)


def naive(path: Path) -> str:
    rgb = np.asarray(Image.open(path).convert("RGB"))
    hashes, _ = pdqhash.compute_dihedral(rgb)
    return np.packbits(np.asarray(hashes[0], dtype=np.uint8)).tobytes().hex()


def sources(data: Path) -> list[Path]:
    found = sorted((data / "kodak24").glob("*.png"))
    found += sorted((data / "bsds500").rglob("*.jpg"))[:40]
    found += sorted((data / "threatexchange/pdq/data/bridge-mods").glob("aaa-orig.jpg"))
    return found


def make_corpus(data: Path, out: Path, per_size: int) -> list[tuple[Path, int]]:
    src = sources(data)
    if not src:
        sys.exit(f"no photos under {data}")
    rng = np.random.default_rng(0)
    files = []
    for mp in SIZES_MP:
        for k in rng.choice(len(src), min(per_size, len(src)), replace=False):
            im = Image.open(src[int(k)]).convert("RGB")
            scale = (mp * 1e6 / (im.width * im.height)) ** 0.5
            big = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
            p = out / f"{mp}mp-{k}.jpg"
            big.save(p, "JPEG", quality=90)
            files.append((p, mp))
    for p in sorted((data / "threatexchange/pdq/data/reg-test-input/exif-rotn").glob("*.jpg")):
        files.append((p, 12))
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--per-size", type=int, default=4, help="photos per size (1, 3, 6, 12 MP)")
    ap.add_argument("--repeat", type=int, default=3, help="timing passes (median)")
    args = ap.parse_args()
    # under bench/results (gitignored): shared /tmp is cleaned by other jobs on this machine
    work = Path(__file__).resolve().parent / "results"
    work.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="image-hashing-", dir=work) as tmp:
        files = make_corpus(args.data, Path(tmp), args.per_size)
        naive(files[0][0]), hash_image(files[0][0])  # warm up
        t_naive: dict[int, list[float]] = {mp: [] for mp in SIZES_MP}
        t_fast: dict[int, list[float]] = {mp: [] for mp in SIZES_MP}
        t_scan: dict[int, list[float]] = {mp: [] for mp in SIZES_MP}
        drift, modes = [], Counter()
        for path, mp in files:
            tn, tf, ts = [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                ref = naive(path)
                tn.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                res = hash_image(path)
                tf.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                hash_image(path, policy=SCAN_POLICY)
                ts.append(time.perf_counter() - t0)
            t_naive[mp].append(statistics.median(tn))
            t_fast[mp].append(statistics.median(tf))
            t_scan[mp].append(statistics.median(ts))
            drift.append(hamming(ref, res.hash_hex))
            modes[res.decode_mode] += 1
    per_size: dict[str, Any] = {}
    for mp in SIZES_MP:
        n, f = sum(t_naive[mp]), sum(t_fast[mp])
        per_size[f"{mp}MP"] = {
            "files": len(t_naive[mp]),
            "naive_img_s": len(t_naive[mp]) / n,
            "fast_img_s": len(t_fast[mp]) / f,
            "speedup": n / f,
        }
    total_n = sum(sum(v) for v in t_naive.values())
    total_f = sum(sum(v) for v in t_fast.values())
    total_s = sum(sum(v) for v in t_scan.values())
    out = {
        "bench": "image_hashing",
        "files": len(files),
        "naive_img_s_per_core": len(files) / total_n,
        "fast_img_s_per_core": len(files) / total_f,
        "speedup": total_n / total_f,
        "scan_img_s_per_core": len(files) / total_s,
        "scan_speedup": total_n / total_s,
        "drift_median": statistics.median(drift),
        "drift_max": max(drift),
        "decode_modes": dict(modes),
        "per_size": per_size,
    }
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "image_hashing.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out))
    print(f"{'size':6} {'files':>5} {'naive img/s':>12} {'fast img/s':>11} {'speedup':>8}")
    for k, v in per_size.items():
        print(
            f"{k:6} {v['files']:5d} {v['naive_img_s']:12.1f} {v['fast_img_s']:11.1f}"
            f" {v['speedup']:7.1f}x"
        )
    print(
        f"{'all':6} {len(files):5d} {out['naive_img_s_per_core']:12.1f}"
        f" {out['fast_img_s_per_core']:11.1f} {out['speedup']:7.1f}x"
    )
    print(
        f"scan policy (trimming + query views): {out['scan_img_s_per_core']:.1f} img/s,"
        f" {out['scan_speedup']:.1f}x naive (information)"
    )
    print(f"drift vs full decode: median {out['drift_median']} bits, max {out['drift_max']} bits")
    print(f"decode modes: {dict(modes)}")


if __name__ == "__main__":
    main()
