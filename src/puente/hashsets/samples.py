"""Synthetic, benign sample hash sets for tests, benchmarks and the demo.

Values are random (seeded) and correspond to no file at all; categories are drawn from the
scheme's codes. Nothing here comes from any real hash list.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from puente.hashsets.formats.icse import HEADER as ICSE_HEADER
from puente.hashsets.formats.vics import V1_KEY, V1_URL, V2_KEY, V2_URL


def random_hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def media_records(
    count: int, seed: int = 0, *, photodna: bool = True
) -> Iterator[dict[str, object]]:
    """VICS Media records as distributed: uppercase hex, string booleans, some PhotoDNA."""
    rng = random.Random(seed)
    for i in range(1, count + 1):
        record: dict[str, object] = {
            "MediaID": i,
            "Category": rng.choice([0, 1, 2, 3, 4, None]),
            "MD5": random_hex(rng, 32).upper(),
            "SHA1": random_hex(rng, 40).upper(),
            "MediaSize": rng.randrange(1000, 10_000_000),
            "VictimIdentified": rng.choice(["true", "false"]),
            "IsDistributed": rng.choice([True, False]),
            "Series": rng.choice(["", "serie-ñandú", "série-ação"]),
        }
        if photodna and i % 7 == 0:
            record["PhotoDNA"] = "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                for _ in range(192)
            )
        yield record


def write_vics(
    path: Path,
    records: Iterator[dict[str, object]],
    version: str = "2.0",
    *,
    region: str = "Default",
    bom: bool = False,
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8") as out:
        if version == "2.0":
            head = {V2_KEY: V2_URL.format(region=region, kind="Media")}
        else:
            head = {V1_KEY: V1_URL.format(version=version, kind="Media")}
        out.write(json.dumps(head)[:-1] + ', "value": [\n')
        first = True
        for record in records:
            if version != "2.0" and "PhotoDNA" in record:
                record = dict(record)
                record["AlternativeHashes"] = [
                    {"HashName": "PhotoDNA", "HashValue": record.pop("PhotoDNA")}
                ]
            out.write(("" if first else ",\n") + json.dumps(record, ensure_ascii=False))
            first = False
        out.write("\n]}\n")
    return path


def write_text(path: Path, count: int, seed: int = 0, digits: int = 32) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(count):
            out.write(random_hex(rng, digits) + "\n")
    return path


def write_icse(path: Path, count: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(";".join(ICSE_HEADER) + "\n")
        for i in range(1, count + 1):
            flags = [rng.choice(["true", "false", ""]) for _ in range(3)]
            row = [
                random_hex(rng, 32).upper(),
                random_hex(rng, 40).upper() if i % 2 else "",
                "",
                str(1000 + i),
                *flags,
                rng.choice(["", "series-a"]),
                str(rng.randrange(1, 9)),
                rng.choice(["true", "false"]),
                rng.choice(["image", "video"]),
                rng.choice(["true", "false"]),
            ]
            out.write(";".join(row) + "\n")
    return path


def write_nsrl(path: Path, count: int, seed: int = 0, *, duplicates: int = 0) -> Path:
    """An RDSv3-shaped SQLite database (minimal flavour schema) with random hashes."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
          crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
          package_id INTEGER NOT NULL,
          PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id));
        CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL,
          version VARCHAR NOT NULL, operating_system_id INTEGER NOT NULL,
          manufacturer_id INTEGER NOT NULL, language VARCHAR NOT NULL,
          application_type VARCHAR NOT NULL);
        CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,
          build_date TIMESTAMP, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL);
        CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
        """
    )
    rows = []
    for i in range(count):
        rows.append(
            (
                random_hex(rng, 64).upper(),
                random_hex(rng, 40).upper(),
                random_hex(rng, 32).upper(),
                random_hex(rng, 8).upper(),
                f"file{i}.dll",
                rng.randrange(1, 1 << 20),
                rng.randrange(1, 50),
            )
        )
    for i in range(duplicates):  # same content under another name / package
        sha256, sha1, md5, crc, _, size, _ = rows[i]
        rows.append((sha256, sha1, md5, crc, f"copy{i}.dll", size, 999))
    conn.executemany("INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute(
        "INSERT INTO VERSION VALUES ('2099.01.1', 'synthetic', NULL, '2099-01-01', 'test only')"
    )
    conn.commit()
    conn.close()
    return path
