"""Hash-set import speed and memory vs the sqlite3 shell's ``.import``; exact lookup speed.

    .venv/bin/python bench/hashset_import.py            # 1M entries, lookup against 1M
    .venv/bin/python bench/hashset_import.py --full     # 10M entries, lookup against 10M
    .venv/bin/python bench/hashset_import.py --entries 200000 --lookup-set 200000  # quick

Import: N random (benign, synthetic) MD5 values written as a text list and as a VICS 2.0
hash set; each is imported by ``puente hashsets import`` logic (flows.import_file) into a
fresh SQLite database, in a child process whose peak RSS (ru_maxrss) is recorded. Peer, on
the same rows: the sqlite3 shell ``.import`` of a CSV into a table with the same unique key
(set, algorithm, value) and the same pragmas (WAL, synchronous=NORMAL) — the physical
reference — and, for information, into a table without any index. Constant memory is
shown by the peak RSS at N/10 next to the one at N.

Lookup: an ExactIndex over M random MD5 values; one batch of 1M (algorithm, value) pairs,
10% present. Peer: a Python dict {value: memberships} answering the same batch.

Prints one JSON line and a table; writes bench/results/hashset_import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def md5s(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def write_inputs(folder: Path, count: int, seed: int = 1) -> dict[str, Path]:
    """Text list, VICS 2.0 set and the peer's CSV, all holding the same rows."""
    from puente.hashsets.formats.vics import V2_KEY, V2_URL

    rng = random.Random(seed)
    text, vics, csv = folder / "set.txt", folder / "set.json", folder / "set.csv"
    with text.open("w") as t, vics.open("w") as v, csv.open("w") as c:
        v.write(json.dumps({V2_KEY: V2_URL.format(region="Default", kind="Media")})[:-1])
        v.write(', "value": [\n')
        for i in range(count):
            value = f"{rng.getrandbits(128):032x}"
            t.write(value + "\n")
            v.write(
                ("" if i == 0 else ",\n")
                + f'{{"MediaID": {i + 1}, "Category": null, "MD5": "{value.upper()}"}}'
            )
            c.write(f"1,md5,{value},uncategorised,puente\n")
        v.write("\n]}\n")
    return {"text": text, "vics2": vics, "csv": csv}


# -- child: one import, measured in its own process ------------------------------------------


def child(path: str, fmt: str, db: str) -> None:
    from puente.flows.hashsets import import_file
    from puente.hashsets.model import HashSetInfo
    from puente.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = import_file(engine, Path(path), HashSetInfo("bench"), fmt=fmt)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": (usage.ru_utime + usage.ru_stime)
                - (before.ru_utime + before.ru_stime),
                "entries": result.set.entry_count,
                "peak_rss": usage.ru_maxrss * 1024,
            }
        )
    )


def run_child(path: Path, fmt: str, folder: Path) -> dict[str, Any]:
    db = folder / f"puente-{fmt}-{path.stat().st_size}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), fmt, str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    data["db_bytes"] = db.stat().st_size
    return data


def sqlite_import(csv: Path, folder: Path, *, indexed: bool) -> dict[str, Any]:
    """The sqlite3 shell's .import of the same rows (timed inside the shell)."""
    db = folder / f"peer-{'idx' if indexed else 'raw'}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    unique = ", UNIQUE (set_id, algorithm, value)" if indexed else ""
    script = (
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n"
        "CREATE TABLE entries (set_id INTEGER, algorithm TEXT, value TEXT, category TEXT, "
        f"source_scheme TEXT{unique});\n"
        ".mode csv\n"
        f".import {csv} entries\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input=script, text=True, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM entries").fetchone()[0]
    return {"seconds": seconds, "cpu_seconds": cpu, "entries": rows, "db_bytes": db.stat().st_size}


# -- lookup -------------------------------------------------------------------------------------


def lookup_bench(size: int, batch: int = 1_000_000) -> dict[str, Any]:
    from puente.match.exact import ExactIndex, Membership

    member = Membership("bench", "1", "uncategorised", "")
    values = md5s(size, seed=7)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    index = ExactIndex(("md5", v, member) for v in values)
    build = time.perf_counter() - start
    rng = random.Random(8)
    present = rng.sample(values, min(size, batch // 10))
    query = [("md5", v) for v in present] + [("md5", v) for v in md5s(batch - len(present), 9)]
    rng.shuffle(query)
    timings, cpu = [], []
    for _ in range(3):
        start, cpu0 = time.perf_counter(), time.process_time()
        result = index.lookup_many(query)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu0)
    hits = sum(1 for p in query if result[p])
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Peer: a plain dict from value to memberships, the obvious Python structure.
    table = {v: (member,) for v in values}
    peer, peer_cpu = [], []
    for _ in range(3):
        start, cpu0 = time.perf_counter(), time.process_time()
        answer = {p: table.get(p[1].lower(), ()) for p in query}
        peer.append(time.perf_counter() - start)
        peer_cpu.append(time.process_time() - cpu0)
    assert sum(1 for p in query if answer[p]) == hits
    best, peer_best = sorted(timings)[1], sorted(peer)[1]
    return {
        "set_size": size,
        "batch": batch,
        "hits": hits,
        "build_seconds": build,
        "index_rss_growth_bytes": (rss1 - rss0) * 1024,
        "index_array_bytes": index.nbytes(),
        "lookups_per_s": batch / best,
        "dict_lookups_per_s": batch / peer_best,
        "lookups_per_cpu_s": batch / sorted(cpu)[1],
        "dict_lookups_per_cpu_s": batch / sorted(peer_cpu)[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--lookup-set", type=int, default=1_000_000)
    parser.add_argument("--full", action="store_true", help="10M entries and a 10M lookup set")
    parser.add_argument("--skip-lookup", action="store_true")
    parser.add_argument("--skip-import", action="store_true", help="only the exact lookup")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if shutil.which("sqlite3") is None:
        sys.exit("the sqlite3 shell is needed for the peer measurement (apt-get install sqlite3)")
    entries = 10_000_000 if args.full else args.entries
    lookup_set = 10_000_000 if args.full else args.lookup_set
    results: dict[str, Any] = {
        "bench": "hashset_import",
        "entries": entries,
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
    }
    if args.skip_import:
        results["lookup"] = lookup_bench(lookup_set)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "hashset_lookup.json").write_text(json.dumps(results, indent=2))
        print(json.dumps(results))
        _print_lookup(results["lookup"])
        return
    with tempfile.TemporaryDirectory(prefix="puente-bench-") as tmp:
        folder = Path(tmp)
        small = max(1, entries // 10)
        inputs = write_inputs(folder, entries)
        small_dir = folder / "small"
        small_dir.mkdir()
        small_inputs = write_inputs(small_dir, small, seed=2)
        results["peer_indexed"] = sqlite_import(inputs["csv"], folder, indexed=True)
        results["peer_raw"] = sqlite_import(inputs["csv"], folder, indexed=False)
        for fmt in ("text", "vics2"):
            big = run_child(inputs[fmt], fmt, folder)
            little = run_child(small_inputs[fmt], fmt, small_dir)
            assert big["entries"] == entries, big
            big["peak_rss_at_tenth"] = little["peak_rss"]
            results[fmt] = big
    peer = entries / results["peer_indexed"]["seconds"]
    peer_cpu = entries / results["peer_indexed"]["cpu_seconds"]
    for fmt in ("text", "vics2"):
        r = results[fmt]
        r["entries_per_s"] = entries / r["seconds"]
        r["ratio_vs_sqlite_import"] = r["entries_per_s"] / peer
        r["entries_per_cpu_s"] = entries / r["cpu_seconds"]
        r["cpu_ratio_vs_sqlite_import"] = r["entries_per_cpu_s"] / peer_cpu
    results["peer_indexed"]["entries_per_s"] = peer
    results["peer_raw"]["entries_per_s"] = entries / results["peer_raw"]["seconds"]
    if not args.skip_lookup:
        results["lookup"] = lookup_bench(lookup_set)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hashset_import.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    mib = 1 << 20
    print(f"\nimport of {entries:,} MD5 entries into SQLite")
    print(
        f"{'what':44} {'entries/s':>12} {'ratio':>7} {'per CPU-s':>10} {'ratio':>6} "
        f"{'peak RSS':>9} {'at N/10':>8}"
    )
    for label, key in (("puente text", "text"), ("puente VICS 2.0", "vics2")):
        r = results[key]
        print(
            f"{label:44} {r['entries_per_s']:>12,.0f} {r['ratio_vs_sqlite_import']:>7.2f} "
            f"{r['entries_per_cpu_s']:>10,.0f} {r['cpu_ratio_vs_sqlite_import']:>6.2f} "
            f"{r['peak_rss'] / mib:>7.0f}Mi {r['peak_rss_at_tenth'] / mib:>6.0f}Mi"
        )
    print(
        f"{'sqlite3 .import, same unique key (peer)':44} "
        f"{results['peer_indexed']['entries_per_s']:>12,.0f} {1:>7.2f} {peer_cpu:>10,.0f} {1:>6.2f}"
    )
    print(
        f"{'sqlite3 .import, no index (information)':44} "
        f"{results['peer_raw']['entries_per_s']:>12,.0f} "
        f"{results['peer_raw']['entries_per_s'] / peer:>7.2f}"
    )
    if "lookup" in results:
        _print_lookup(results["lookup"])


def _print_lookup(lk: dict[str, Any]) -> None:
    mib = 1 << 20
    print(
        f"\nexact lookup: batch of {lk['batch']:,} against {lk['set_size']:,} entries "
        f"({lk['hits']:,} hits); index built in {lk['build_seconds']:.1f}s, "
        f"arrays {lk['index_array_bytes'] / mib:.0f}Mi "
        f"(peak RSS +{lk['index_rss_growth_bytes'] / mib:.0f}Mi)"
    )
    print(
        f"{'ExactIndex.lookup_many':44} {lk['lookups_per_s']:>12,.0f} lookups/s, "
        f"{lk['lookups_per_cpu_s']:>12,.0f} per CPU-s"
    )
    print(
        f"{'dict (peer)':44} {lk['dict_lookups_per_s']:>12,.0f} lookups/s, "
        f"{lk['dict_lookups_per_cpu_s']:>12,.0f} per CPU-s "
        f"(ratio {lk['lookups_per_s'] / lk['dict_lookups_per_s']:.2f})"
    )


if __name__ == "__main__":
    main()
