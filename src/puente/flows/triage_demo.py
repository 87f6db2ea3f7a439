"""The triage demo: a benign evidence folder generated at run time, a demo hash set that
lists some of its files, a scan, and the HTML report.

Everything is synthetic: images are random shapes drawn with Pillow, documents are
invented administrative text. The demo hash set labels some of these benign files with
categories only to show how matches appear; it is not, and contains nothing from, a real
hash list.

Unreadable file: permission bits do not stop root (CAP_DAC_OVERRIDE), so besides a
``chmod 000`` file (unreadable for any other user) the folder holds a symbolic link that
points to itself, which nobody can open (ELOOP); the scan records both as errors.
"""

from __future__ import annotations

import io
import os
import random
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import Engine

from puente.config import Settings
from puente.errors import InputError
from puente.flows import hashsets as hashset_flows
from puente.flows import triage
from puente.hashsets.model import HashSetInfo

DEMO_SET = "demo-reference"
DEMO_AGENCY = "Unidad de demostración"


@dataclass(frozen=True)
class DemoEvidence:
    folder: Path
    alert_files: tuple[Path, ...]  # listed in the demo set as a stand-in alert category
    known_files: tuple[Path, ...]  # listed as known good (e.g. office templates)
    files: int


@dataclass(frozen=True)
class DemoResult:
    case_id: int
    evidence_id: int
    evidence: Path
    report: Path
    summary: dict[str, int]


def _image(rng: random.Random, size: int = 96) -> Image.Image:
    img = Image.new("RGB", (size, size), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randrange(3, 9)):
        x0, y0 = rng.randrange(size), rng.randrange(size)
        x1, y1 = x0 + rng.randrange(8, size), y0 + rng.randrange(8, size)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return img


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buf.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2025, 6, 1, 12, 0, 0)), data)
    return buf.getvalue()


def make_demo_evidence(folder: Path, *, images: int = 300, seed: int = 2026) -> DemoEvidence:
    """Write the benign demo evidence folder (same bytes for the same seed)."""
    if images < 1:
        raise InputError("the demo needs at least one image")
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=False)
    alert: list[Path] = []
    known: list[Path] = []
    albums = ["DCIM/100CAMERA", "DCIM/101CAMERA", "Descargas", "WhatsApp/Media", "Escritorio"]
    pictures: list[bytes] = []
    alert_pictures: list[bytes] = []
    for i in range(images):
        fmt = "JPEG" if i % 3 else "PNG"
        data = _encode(_image(rng), fmt)
        pictures.append(data)
        path = folder / albums[i % len(albums)] / f"IMG_{i:04d}.{'jpg' if fmt == 'JPEG' else 'png'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if i % 25 == 7 or (images < 8 and i == 0):
            alert.append(path)
            alert_pictures.append(data)
    docs = folder / "Documentos"
    docs.mkdir()
    for i in range(30):
        (docs / f"acta_{i:03d}.txt").write_text(
            f"Acta de procedimiento n.º {i}\nLugar: oficina central\n"
            f"Texto de ejemplo {rng.random()}\n",
            encoding="utf-8",
        )
    for i in range(10):
        rows = "\n".join(f"{j};{rng.randrange(1000)};ejemplo" for j in range(20))
        (docs / f"planilla_{i:02d}.csv").write_text(
            "n;valor;nota\n" + rows + "\n", encoding="utf-8"
        )
    template = docs / "plantilla_oficio.txt"
    template.write_text("Plantilla de oficio (modelo institucional)\n", encoding="utf-8")
    known.append(template)
    known.append(docs / "acta_000.txt")
    # A nested archive: a zip holding pictures and a tar.gz with more pictures.
    # Listed pictures reappear two archives deep, to show that members match too.
    inner = _tar_gz(
        {f"viejas/foto_{k}.jpg": alert_pictures[k % len(alert_pictures)] for k in range(3)}
    )
    outer = {f"fotos/IMG_{k:04d}.jpg": pictures[(k * 11) % images] for k in range(5)}
    outer["respaldo/antiguas.tar.gz"] = inner
    outer["respaldo/leeme.txt"] = b"Copia de seguridad de ejemplo.\n"
    backups = folder / "Respaldos"
    backups.mkdir()
    (backups / "respaldo_2025.zip").write_bytes(_zip(outer))
    # A corrupt archive (cut short) and a file whose name says JPEG but whose bytes do not.
    damaged = _zip({"a.txt": b"x" * 5000, "b.txt": b"y" * 5000})
    (backups / "danado.zip").write_bytes(damaged[: len(damaged) // 2])
    (folder / "Descargas" / "no_es_imagen.jpg").write_bytes(b"%PDF-1.4 not really an image\n")
    # Unreadable: chmod 000 (stops everyone but root) and a self-referencing link (stops all).
    private = folder / "Privado"
    private.mkdir()
    locked = private / "bloqueado.txt"
    locked.write_text("contenido inaccesible\n", encoding="utf-8")
    locked.chmod(0)
    os.symlink("enlace_circular", private / "enlace_circular")
    files = sum(1 for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    return DemoEvidence(folder, tuple(alert), tuple(known), files)


def _altered(data: bytes, k: int) -> bytes:
    """A rotated or mirrored, resized, re-encoded copy: what comes back from circulation."""
    with Image.open(io.BytesIO(data)) as opened:
        img: Image.Image = opened.convert("RGB")
    if k % 2 == 0:
        img = img.transpose(Image.Transpose.ROTATE_90)
    else:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.Resampling.LANCZOS)
    return _encode(img, "JPEG")


def _add_perceptual_entries(engine: Engine, demo: DemoEvidence, count: int = 2) -> list[Path]:
    """List PDQ hashes of altered copies of a few unlisted demo pictures in the demo set,
    so the scan shows perceptual matches (with their rotation or mirror) beside exact ones."""
    from puente.hashing.pdq import hash_image
    from puente.hashsets.model import Entry
    from puente.store.hashsets import HashSetStore

    listed = set(demo.alert_files)
    chosen: list[Path] = []
    entries: list[Entry] = []
    for path in sorted(demo.folder.glob("DCIM/*/IMG_*")):
        if path in listed:
            continue
        data = path.read_bytes()
        if hash_image(data).quality < 70:  # a clear picture, well above the quality floor
            continue
        k = len(chosen)
        altered = hash_image(_altered(data, k))
        entries.append(
            Entry(
                "pdq",
                altered.hash_hex,
                "csam",
                source_id=f"demo-pdq-{k + 1}",
                comment="PDQ of a rotated or mirrored, resized, re-encoded copy (demo only)",
            )
        )
        chosen.append(path)
        if len(chosen) == count:
            break
    store = HashSetStore(engine)
    info = store.get_set(DEMO_SET)
    assert info.id is not None
    store.add_entries(info.id, entries)
    return chosen


def run_triage_demo(
    settings: Settings,
    engine: Engine,
    progress: Callable[[str], None] | None = None,
    *,
    observer: triage.ScanObserver | None = None,
    images: int = 300,
    lang: str | None = None,
) -> DemoResult:
    """Create a demo case, generate evidence, import the demo set, scan, write the report."""
    say = progress or (lambda _message: None)
    operator = settings.operator
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = settings.home / "demo" / f"evidence-{stamp}"
    say(f"generating benign demo evidence in {folder}")
    demo = make_demo_evidence(folder, images=images)
    say(f"importing demo hash set {DEMO_SET!r} (synthetic, benign files)")
    info = HashSetInfo(
        DEMO_SET,
        version="1",
        owner_country="AR",
        owner_agency=DEMO_AGENCY,
        description="Demo set: hashes of generated benign files, labelled only for the demo.",
    )
    hashset_flows.add_files(engine, DEMO_SET, list(demo.alert_files), "csam", info=info)
    hashset_flows.add_files(engine, DEMO_SET, list(demo.known_files), "known_good", info=info)
    near = _add_perceptual_entries(engine, demo)
    say(f"demo set also lists PDQ hashes of altered copies of {len(near)} pictures")
    case = triage.create_case(
        engine,
        "Caso de demostración (datos sintéticos)",
        "AR",
        DEMO_AGENCY,
        operator,
        reference=f"DEMO-{stamp[:15]}",
    )
    evidence = triage.add_evidence(
        engine,
        case.id,
        folder,
        "Carpeta de evidencia de demostración generada (benigna)",
        operator,
        acquired_by=operator,
    )
    say(f"scanning evidence {evidence.id} of case {case.id}")
    summary = triage.scan_evidence(
        engine,
        settings,
        case.id,
        evidence.id,
        operator,
        hashsets=[DEMO_SET],
        observer=observer,
    )
    report = triage.write_report(
        engine, settings, case.id, operator, fmt="html", lang=lang or settings.lang
    )
    say(f"report written: {report}")
    return DemoResult(case.id, evidence.id, folder, report, summary.counts)
