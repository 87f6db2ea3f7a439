"""Scan throughput: Puente's ingest scan() side by side with hashdeep and two references.

In one run, on one generated tree (mixed file sizes, random content):

- read:     read every byte over all cores (the I/O reference: nothing can be faster);
- cpu-ref:  MD5+SHA-1+SHA-256 in one pass over all cores in a minimal loop (CPU reference);
- hashdeep: ``hashdeep -r -c md5,sha1,sha256`` (Debian package; threads = cores);
- puente:   ``puente.ingest.scanner.scan`` with all items consumed (ingest level: type
            detection, change checks, archive detection; no store writes);
- puente-cli: the whole ``puente scan CASE EVIDENCE --quiet`` command in a fresh data folder
            (process start, matching, custody log and every record written to SQLite).

Goals (issue #3): puente >= 1.0x hashdeep in MB/s and files/s, >= 0.8x cpu-ref.
Each contender runs --repeat times in interleaved rounds; medians are reported. The tree
is written just before, synced to disk, and read from the page cache after a warm-up pass,
so this measures CPU cost, not the disk.

    .venv/bin/python bench/scan.py            # 2,000 files / 200 MB (a few minutes)
    .venv/bin/python bench/scan.py --full     # 20,000 files / 2 GB
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from puente.ingest.model import Limits
from puente.ingest.scanner import scan

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 1 << 20


def generate(root: Path, files: int, total_bytes: int, seed: int = 42) -> tuple[int, int]:
    """Mixed sizes: many small files, some medium, a few large (log-uniform 1 KB..32 MB),
    scaled so that the total is ``total_bytes``. Spread over nested folders."""
    rng = random.Random(seed)
    raw = [2 ** rng.uniform(10, 25) for _ in range(files)]
    scale = total_bytes / sum(raw)
    sizes = [max(0, int(s * scale)) for s in raw]
    block = os.urandom(1 << 22)
    written = 0
    for index, size in enumerate(sizes):
        folder = root / f"d{index % 20:02}" / f"e{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        offset = rng.randrange(0, len(block))
        with open(folder / f"f{index:06}.bin", "wb") as fh:
            # Unique content per file without paying for os.urandom on every byte.
            fh.write(index.to_bytes(8, "little"))
            left = max(0, size - 8)
            while left:
                piece = block[offset : offset + min(left, len(block) - offset)]
                fh.write(piece)
                left -= len(piece)
                offset = 0
        written += max(size, 8)
    return files, written


def _cpu_seconds() -> float:
    """User+system CPU of this process and of its finished children (workers, hashdeep)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _files(root: Path) -> list[str]:
    paths = []
    for dirpath, _dirs, names in os.walk(root):
        paths.extend(os.path.join(dirpath, name) for name in names)
    return paths


def _read_one(paths: list[str]) -> int:
    total = 0
    buffer = bytearray(CHUNK)
    for path in paths:
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buffer):
                total += n
    return total


def _hash_one(paths: list[str]) -> int:
    total = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    for path in paths:
        md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buffer):
                chunk = view[:n]
                md5.update(chunk)
                sha1.update(chunk)
                sha256.update(chunk)
                total += n
        md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest()
    return total


def _pooled(func: Callable[[list[str]], int], root: Path, workers: int) -> None:
    paths = _files(root)
    batches = [paths[i : i + 64] for i in range(0, len(paths), 64)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        sum(pool.map(func, batches))


def run_read(root: Path, workers: int) -> None:
    _pooled(_read_one, root, workers)


def run_cpu_ref(root: Path, workers: int) -> None:
    _pooled(_hash_one, root, workers)


def run_hashdeep(root: Path, workers: int) -> None:
    subprocess.run(
        ["hashdeep", "-r", "-j", str(workers), "-c", "md5,sha1,sha256", str(root)],
        stdout=subprocess.DEVNULL,
        check=True,
    )


def run_puente(root: Path, workers: int) -> None:
    for item in scan(root, Limits(), workers=workers):
        if item.status != "ok":
            raise SystemExit(f"unexpected {item.status} for {item.path}: {item.detail}")


_CLI_HOMES: list[Path] = []


def prepare_cli(root: Path, base: Path, workers: int, rounds: int) -> None:
    """One data folder per round with the case and evidence registered, outside the timing.

    Puente's sources are byte-compiled first, as a wheel install has them (with
    PYTHONDONTWRITEBYTECODE set, each command would recompile them at start-up)."""
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parents[1] / "src", quiet=1)
    for i in range(rounds):
        home = base / f"home-{i}"
        env = {**os.environ, "PUENTE_HOME": str(home), "PUENTE_WORKERS": str(workers)}
        for args in (
            ["case", "create", "bench", "--country", "AR", "--agency", "bench"],
            ["evidence", "add", "1", str(root), "--description", "generated tree"],
        ):
            cmd = [sys.executable, "-m", "puente", *args]
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        _CLI_HOMES.append(home)


def run_puente_cli(root: Path, workers: int) -> None:
    home = _CLI_HOMES.pop(0)
    env = {**os.environ, "PUENTE_HOME": str(home), "PUENTE_WORKERS": str(workers)}
    subprocess.run(
        [sys.executable, "-m", "puente", "scan", "1", "1", "--quiet"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--mb", type=int, default=200, help="total size of the tree in MB")
    parser.add_argument("--full", action="store_true", help="20,000 files / 2 GB (issue size)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to generate the tree")
    args = parser.parse_args()
    if args.full:
        args.files, args.mb = 20_000, 2000
    load_before = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="puente-bench-scan-", dir=args.dir))
    root = base / "tree"
    try:
        started = time.perf_counter()
        files, total = generate(root, args.files, args.mb * 1_000_000)
        # Written back now, not by the kernel in the middle of some contender's rounds.
        os.sync()
        gen_s = time.perf_counter() - started
        contenders: dict[str, Callable[[Path, int], None]] = {
            "read": run_read,
            "cpu-ref": run_cpu_ref,
        }
        if shutil.which("hashdeep"):
            contenders["hashdeep"] = run_hashdeep
        contenders["puente"] = run_puente
        contenders["puente-cli"] = run_puente_cli
        prepare_cli(root, base, args.workers, args.repeat)
        run_read(root, args.workers)  # warm the page cache
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.repeat):
            for name, func in contenders.items():
                c0 = _cpu_seconds()
                t0 = time.perf_counter()
                func(root, args.workers)
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(_cpu_seconds() - c0)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    rows = {
        name: {
            "seconds": round(seconds, 3),
            "mb_per_s": round(total / 1e6 / seconds, 1),
            "files_per_s": round(files / seconds, 1),
            "cpu_seconds": round(cpu_medians[name], 3),
        }
        for name, seconds in medians.items()
    }
    ratios = {
        "puente_vs_cpu_ref": round(medians["cpu-ref"] / medians["puente"], 3),
        "puente_vs_read": round(medians["read"] / medians["puente"], 3),
    }
    # Wall-clock ratios suffer when the machine is shared; CPU seconds (all processes
    # of a contender) show the work each one needs for the same tree.
    ratios["puente_vs_cpu_ref_cpu_seconds"] = round(
        cpu_medians["cpu-ref"] / cpu_medians["puente"], 3
    )
    if "hashdeep" in medians:
        ratios["puente_vs_hashdeep"] = round(medians["hashdeep"] / medians["puente"], 3)
        ratios["puente_vs_hashdeep_cpu_seconds"] = round(
            cpu_medians["hashdeep"] / cpu_medians["puente"], 3
        )
        ratios["puente_cli_vs_hashdeep"] = round(medians["hashdeep"] / medians["puente-cli"], 3)
    ratios["puente_cli_vs_cpu_ref"] = round(medians["cpu-ref"] / medians["puente-cli"], 3)
    ratios["puente_cli_vs_cpu_ref_cpu_seconds"] = round(
        cpu_medians["cpu-ref"] / cpu_medians["puente-cli"], 3
    )
    result = {
        "bench": "scan",
        "files": files,
        "bytes": total,
        "workers": args.workers,
        "repeat": args.repeat,
        "generate_s": round(gen_s, 1),
        "results": rows,
        "ratios": ratios,
        "goals": {
            "puente_vs_hashdeep": ">= 1.0",
            "puente_vs_cpu_ref": ">= 0.8",
            "puente_cli_vs_hashdeep": ">= 1.0",
            "puente_cli_vs_cpu_ref": ">= 0.8",
        },
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}",
        # 1-minute load average before and after: above ~0.5 the machine was shared.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "hashdeep": "present" if "hashdeep" in medians else "absent (not measured)",
    }
    line = json.dumps(result, sort_keys=True)
    print(line)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (RESULTS / f"scan-{stamp}.json").write_text(line + "\n")
    print(f"\n{files} files, {total / 1e6:.0f} MB, {args.workers} workers, median of {args.repeat}")
    print(f"{'contender':<11} {'s':>8} {'MB/s':>9} {'files/s':>9} {'cpu s':>8}")
    for name, row in rows.items():
        print(
            f"{name:<11} {row['seconds']:>8.2f} {row['mb_per_s']:>9.1f} "
            f"{row['files_per_s']:>9.1f} {row['cpu_seconds']:>8.2f}"
        )
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x")
    print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
