"""Hash-set use cases: import, export, stats, diff, conflicts, delete, add-files, exact index.

Import streams: rows are read one at a time and written in batches, so memory does not grow
with the file. Default mode commits valid rows and lists the rejects; strict mode validates
the whole file first and writes nothing if any row is bad. A file-level error (malformed or
truncated file, wrong format) removes what this import wrote. An interrupted import leaves
the set marked "importing" (never used for matching); running it again resumes, and the
store's unique key makes the re-run add only what is missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from puente.errors import Conflict, InputError, NotFound, Problem, PuenteError, ValidationError
from puente.flows.background import BatchWriter
from puente.hashing.crypto import hash_file, open_readonly
from puente.hashing.isolation import IsolatedHasher
from puente.hashing.pdq import DEFAULT_MAX_PIXELS, HashPolicy
from puente.hashsets.formats import WRITABLE, detect, get_format
from puente.hashsets.formats.base import Item, Progress, ReadOptions, atomic_text_writer
from puente.hashsets.model import (
    CATEGORIES,
    Bulk,
    Conflicting,
    Entry,
    HashSetInfo,
    Row,
    RowError,
    SetDiff,
)
from puente.hashsets.provenance import ImportRecord, file_sha256
from puente.ingest.detect import detect_kind
from puente.ingest.perceptual import is_image, is_video
from puente.match.exact import ExactIndex
from puente.store.hashsets import HashSetStore

MAX_PROBLEMS = 1000  # problems kept for the report; all are counted and passed to on_reject

# (done, total, entries so far); total 0: reading is done, the entries are being written
ProgressCallback = Callable[[int, int, int], None]


@dataclass(frozen=True)
class ImportResult:
    set: HashSetInfo
    format: str
    rows_read: int
    entries_read: int
    entries_added: int
    duplicates: int
    rejected: int
    problems: tuple[RowError, ...]
    notes: tuple[RowError, ...] = ()  # duplicates inside the file (same category)
    resumed: bool = False


@dataclass
class _Tally:
    rows: int = 0
    entries: int = 0
    added: int = 0
    rejected: int = 0
    problems: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)

    def reject(self, error: RowError, on_reject: Callable[[RowError], None] | None) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(error)
        if on_reject is not None:
            on_reject(error)


def _problems(errors: Sequence[RowError], total: int) -> list[Problem]:
    problems = [
        Problem(f"{e.source}:{e.line}" if e.line is not None else e.source, e.reason)
        for e in errors[:20]
    ]
    if total > len(problems):
        problems.append(Problem("…", f"{total - len(problems)} more bad row(s) not shown"))
    return problems


def resolve_format(path: Path, fmt: str) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a hash-set file")
    if fmt == "auto":
        return detect(path)
    get_format(fmt)
    return fmt


def read_items(path: Path, fmt: str, options: ReadOptions) -> Iterator[Item]:
    return get_format(fmt).read(path, options)


def validate_file(path: Path, fmt: str, options: ReadOptions) -> tuple[int, int, list[RowError]]:
    """Read everything without writing: (rows, entries, errors); file errors raise."""
    rows = entries = 0
    errors: list[RowError] = []
    total = 0
    for item in read_items(path, fmt, options):
        rows += 1
        if isinstance(item, RowError):
            total += 1
            if len(errors) < MAX_PROBLEMS:
                errors.append(item)
        elif isinstance(item, Bulk):
            rows += item.row_count - 1
            entries += len(item.values)
        else:
            entries += len(item.entries)
    if total:
        raise ValidationError(f"{path} ({fmt})", _problems(errors, total))
    return rows, entries, errors


def import_file(
    engine: Engine,
    path: Path,
    info: HashSetInfo,
    *,
    fmt: str = "auto",
    strict: bool = False,
    options: ReadOptions | None = None,
    batch_size: int = 50_000,
    operator: str = "unknown",
    on_progress: ProgressCallback | None = None,
    on_reject: Callable[[RowError], None] | None = None,
) -> ImportResult:
    """Import a hash-set file into the set ``info.name`` (created, or resumed if interrupted)."""
    fmt = resolve_format(path, fmt)
    progress = Progress(path.stat().st_size)
    options = replace(options or ReadOptions(), progress=progress, bulk=True)
    if strict:
        validate_file(path, fmt, replace(options, progress=None))

    store = HashSetStore(engine)
    existing = store.find_set(info.name)
    resumed = False
    if existing is not None:
        if existing.status != "importing":
            raise Conflict(
                f"a hash set named {info.name!r} already exists; delete it first "
                "or import under another name"
            )
        resumed = True
        target = existing
        assert target.id is not None
        store.mark_interrupted(target.id)
    else:
        target = store.create_set(replace(info, source_format=fmt))
    assert target.id is not None
    sha, size = file_sha256(path)
    import_id = store.start_import(
        target.id,
        ImportRecord(
            target.name,
            str(path),
            sha,
            size,
            fmt,
            operator,
            datetime.now(UTC),
            None,
            0,
            0,
            0,
            0,
            "running",
        ),
    )
    tally = _Tally()
    committed: list[int] = []  # counted in the writer thread (staged on SQLite: 0 each)
    try:
        with store.writer(target.id, staged=True) as writer:
            background = BatchWriter[Sequence[Entry | Bulk]](
                lambda batch: committed.append(writer.add(batch)), name="hashset-writer"
            )

            def put(batch: Sequence[Entry | Bulk]) -> int:
                background.put(batch)
                return 0

            def tick() -> None:
                if on_progress is not None:
                    on_progress(progress.total, 0, tally.entries)

            def finish() -> int:
                background.close()
                return sum(committed) + writer.flush(tick)

            try:
                _stream(
                    read_items(path, fmt, options),
                    str(path),
                    put,
                    finish,
                    tally,
                    batch_size,
                    progress,
                    on_progress,
                    on_reject,
                )
            finally:  # an error or Ctrl-C: the writer thread ends before the connection closes
                with contextlib.suppress(BaseException):
                    background.close()
        if strict and tally.rejected:
            # Only conflicts found while writing get here (e.g. one hash with two categories).
            raise ValidationError(f"{path} ({fmt})", _problems(tally.problems, tally.rejected))
        if tally.entries == 0:
            detail = f"{tally.rejected} row(s) rejected" if tally.rejected else "no rows"
            raise ValidationError(
                f"{path} ({fmt}): no valid hash entries ({detail})",
                _problems(tally.problems, tally.rejected),
            )
    except KeyboardInterrupt:
        tally.added = max(tally.added, sum(committed))  # direct writes already committed
        _finish_import(store, import_id, tally, "interrupted", "interrupted; run again to resume")
        raise
    except BaseException as exc:
        if resumed:
            _finish_import(store, import_id, tally, "failed", str(exc))
        else:
            store.delete_set(target.name)  # nothing half-written
        raise
    final = store.set_status(target.id, "complete")
    _finish_import(
        store, import_id, tally, "complete", "; ".join(str(p) for p in tally.problems[:20])
    )
    return ImportResult(
        set=final,
        format=fmt,
        rows_read=tally.rows,
        entries_read=tally.entries,
        entries_added=tally.added,
        duplicates=tally.entries - tally.added,
        rejected=tally.rejected,
        problems=tuple(tally.problems),
        notes=tuple(tally.notes),
        resumed=resumed,
    )


def _finish_import(
    store: HashSetStore, import_id: int, tally: _Tally, status: str, detail: str
) -> None:
    store.finish_import(
        import_id,
        status=status,
        rows_read=tally.rows,
        entries_added=tally.added,
        duplicates=tally.entries - tally.added,
        rejected=tally.rejected,
        detail=detail,
    )


def _stream(
    items: Iterable[Item],
    source: str,
    write: Callable[[Sequence[Entry | Bulk]], int],
    finish: Callable[[], int],
    tally: _Tally,
    batch_size: int,
    progress: Progress,
    on_progress: ProgressCallback | None,
    on_reject: Callable[[RowError], None] | None,
) -> None:
    batch: list[Entry | Bulk] = []
    size = 0  # entries in the batch
    seen: _Seen = {}  # algorithm -> value -> its first row in this batch

    def write_if_full() -> None:
        nonlocal batch, size, seen
        if size >= batch_size:
            tally.added += write(batch)
            batch, size, seen = [], 0, {}
            if on_progress is not None:
                on_progress(progress.done, progress.total, tally.entries)

    for item in items:
        kind = type(item)
        if kind is Bulk:
            assert isinstance(item, Bulk)
            tally.rows += item.row_count
            start = 0
            while start < len(item.values):  # in pieces that fill the batch, no further
                end = start + batch_size - size
                piece = item if start == 0 and end >= len(item.values) else item.part(start, end)
                size += _take_bulk(piece, seen, batch, tally, source, on_reject)
                start = end
                write_if_full()
            continue
        if kind is Row:
            assert isinstance(item, Row)
            tally.rows += 1
            line = item.line
            for entry in item.entries:
                first = _first(seen, entry.algorithm, entry.value, line, entry.category)
                if first is None:
                    batch.append(entry)
                    size += 1
                elif not _repeat(first, entry, line, tally, source, on_reject):
                    continue
                tally.entries += 1
            write_if_full()
        else:
            assert isinstance(item, RowError)
            tally.rows += 1
            tally.reject(item, on_reject)
    if batch:
        tally.added += write(batch)
    tally.added += finish()
    if on_progress is not None:
        on_progress(progress.total, progress.total, tally.entries)


# What _stream remembers of a value's first row in a batch: (line, category), or the Bulk
# that holds it (looked up only when the value comes again: rare).
_Origin = tuple[int, str] | Bulk
_Seen = dict[str, dict[str, _Origin]]


def _origin(first: _Origin, value: str) -> tuple[int, str]:
    if isinstance(first, Bulk):
        return first.lines[first.values.index(value)], first.template.category
    return first


def _first(seen: _Seen, algorithm: str, value: str, line: int, cat: str) -> tuple[int, str] | None:
    """The first (line, category) of a value in this batch; None (and recorded) if new."""
    by_value = seen.get(algorithm)
    if by_value is None:
        by_value = seen[algorithm] = {}
    first = by_value.get(value)
    if first is None:
        by_value[value] = (line, cat)
        return None
    return _origin(first, value)


def _repeat(
    first: tuple[int, str],
    entry: Entry,
    line: int,
    tally: _Tally,
    source: str,
    on_reject: Callable[[RowError], None] | None,
) -> bool:
    """A value seen before in the batch: False if rejected (another category), else True."""
    if first[1] != entry.category and first[0] != line:
        tally.reject(
            RowError(
                source,
                line,
                f"{entry.algorithm} {entry.value[:16]}… already given on line {first[0]} "
                f"with category {first[1]!r}, here {entry.category!r}",
            ),
            on_reject,
        )
        return False
    if first[0] != line and len(tally.notes) < MAX_PROBLEMS:
        tally.notes.append(RowError(source, line, f"duplicate of line {first[0]}: skipped"))
    return True


def _take_bulk(
    bulk: Bulk,
    seen: _Seen,
    batch: list[Entry | Bulk],
    tally: _Tally,
    source: str,
    on_reject: Callable[[RowError], None] | None,
) -> int:
    """Add a Bulk's entries to the batch as _stream adds a Row's; returns how many were added.

    A block whose values are all new to the batch is taken whole (the common case, without
    a Python step per value); otherwise value by value, exactly like rows.
    """
    t = bulk.template
    by_value = seen.get(t.algorithm)
    if by_value is None:
        by_value = seen[t.algorithm] = {}
    values = bulk.values
    if by_value.keys().isdisjoint(values):
        before = len(by_value)
        by_value.update(zip(values, repeat(bulk)))
        if len(by_value) - before == len(values):
            batch.append(bulk)
            tally.entries += len(values)
            return len(values)
        for value in values:  # a value twice in the block: undo, go value by value
            by_value.pop(value, None)
    kept: list[str] = []
    lines: list[int] = []
    ids: list[str | None] = []
    source_ids = bulk.source_ids or [t.source_id] * len(values)
    for value, line, source_id in zip(values, bulk.lines, source_ids, strict=True):
        first = _first(seen, t.algorithm, value, line, t.category)
        if first is None:
            kept.append(value)
            lines.append(line)
            ids.append(source_id)
        elif not _repeat(first, replace(t, value=value), line, tally, source, on_reject):
            continue
        tally.entries += 1
    if kept:
        batch.append(Bulk(t, kept, lines, ids, rows=0))
    return len(kept)


# -- export ---------------------------------------------------------------------------------


def export_set(engine: Engine, name: str, fmt: str, output: Path) -> int:
    """Write a set to ``output`` in ``fmt``; the file appears whole or not at all."""
    if fmt not in WRITABLE:
        raise InputError(f"cannot export to {fmt!r} (formats: {', '.join(WRITABLE)})")
    store = HashSetStore(engine)
    info = store.get_set(name)
    if info.status != "complete":
        raise Conflict(f"hash set {name!r} is still importing (run the import again to finish)")
    writer = get_format(fmt).write
    assert writer is not None
    newline = "" if fmt in ("csv", "icse") else None
    with atomic_text_writer(output, newline=newline) as out:
        return writer(out, info, store.iter_entries(name))


# -- library views ----------------------------------------------------------------------------


def list_sets(engine: Engine) -> list[HashSetInfo]:
    return HashSetStore(engine).list_sets()


def show_set(engine: Engine, name: str) -> tuple[HashSetInfo, list[ImportRecord], dict[str, Any]]:
    store = HashSetStore(engine)
    info = store.get_set(name)
    stats = next((s for s in store.stats() if s["name"] == name), {})
    return info, store.imports(name), stats


def stats(engine: Engine) -> list[dict[str, Any]]:
    return HashSetStore(engine).stats()


def diff(engine: Engine, a: str, b: str) -> SetDiff:
    return HashSetStore(engine).diff(a, b)


def conflicts(engine: Engine, limit: int | None = 1000) -> tuple[list[Conflicting], int]:
    return HashSetStore(engine).conflicts(limit)


def set_pdq_threshold(engine: Engine, name: str, threshold: int | None) -> HashSetInfo:
    """A set's own PDQ match distance (None: the scan's default, Settings.pdq_threshold)."""
    return HashSetStore(engine).set_pdq_threshold(name, threshold)


def delete_set(engine: Engine, name: str) -> int:
    return HashSetStore(engine).delete_set(name)


def build_exact_index(engine: Engine, set_names: Sequence[str] | None = None) -> ExactIndex:
    """The in-memory index scans match against (complete sets only, or those named)."""
    store = HashSetStore(engine)
    return ExactIndex(store.iter_memberships(set_names), store.summaries(set_names))


# -- add-files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddFilesResult:
    set: HashSetInfo
    files: int
    entries_added: int
    # files not added, and perceptual hashes not computed (the file's MD5/SHA-1/SHA-256 were)
    errors: tuple[RowError, ...]
    # recorded but worth knowing: PDQ below the quality threshold, partial vPDQ
    notes: tuple[RowError, ...] = ()
    pdq: int = 0  # images with a PDQ entry
    vpdq: int = 0  # videos with a vPDQ entry
    views: int = 0  # index-view PDQs computed (add-files --views)


def _walk(paths: Sequence[Path], errors: list[RowError]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():

            def onerror(exc: OSError, top: Path = path) -> None:
                errors.append(RowError(str(exc.filename or top), None, f"cannot list: {exc}"))

            for root, dirs, files in os.walk(path, onerror=onerror):
                dirs.sort()
                for name in sorted(files):
                    yield Path(root) / name
        elif path.exists() or path.is_symlink():
            yield path
        else:
            errors.append(RowError(str(path), None, "no such file or directory"))


def _head(path: Path) -> bytes:
    fd = open_readonly(path)
    with os.fdopen(fd, "rb", buffering=0) as stream:
        return stream.read(8192)


def _perceptual(
    hasher: IsolatedHasher,
    path: Path,
    kind: str,
    min_quality: int,
    max_pixels: int,
    errors: list[RowError],
    notes: list[RowError],
    views: list[tuple[str, int, str]] | None = None,
) -> tuple[str, str, dict[str, Any]] | None:
    """(algorithm, value, metadata) of an image's PDQ or a video's vPDQ; None otherwise.

    A file that does not decode is listed in ``errors`` (its cryptographic hashes are still
    added: its bytes are what they are); nothing is dropped silently. With ``views`` (a
    list), an image's index views (``puente.hashing.pdq_views``) are appended to it.
    """
    where = str(path)
    if is_image(kind):
        policy = HashPolicy(max_pixels=max_pixels, index_views=views is not None)
        try:
            image = hasher.hash_image(path, policy=policy)
        except PuenteError as exc:
            errors.append(RowError(where, None, f"PDQ not computed: {type(exc).__name__}: {exc}"))
            return None
        low = image.quality < min_quality
        if low:
            notes.append(
                RowError(
                    where,
                    None,
                    f"PDQ quality {image.quality} < {min_quality}: recorded, flagged "
                    "pdq_below_min_quality (too unreliable to match on)",
                )
            )
        meta: dict[str, Any] = {
            "pdq_quality": image.quality,
            "pdq_decode_mode": image.decode_mode,
        }
        if low:
            meta["pdq_below_min_quality"] = True
        if views is not None:
            views.extend(image.index_views)
        return "pdq", image.hash_hex, meta
    if is_video(kind):
        try:
            video = hasher.hash_video(path, max_pixels=max_pixels, name=where)
        except PuenteError as exc:
            errors.append(RowError(where, None, f"vPDQ not computed: {type(exc).__name__}: {exc}"))
            return None
        value = ";".join(f.line() for f in video.features)
        meta = {"vpdq_frames": len(video.features), "vpdq_fps": round(video.fps, 3)}
        if video.errors:
            meta["vpdq_partial"] = True
            notes.append(RowError(where, None, "vPDQ partial: " + "; ".join(video.errors)))
        return "vpdq", value, meta
    return None


def add_files(
    engine: Engine,
    set_name: str,
    paths: Sequence[Path],
    category: str,
    *,
    info: HashSetInfo | None = None,
    on_file: Callable[[Path], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    perceptual: bool = False,
    views: bool = False,
    min_quality: int = 50,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decode_timeout: float = 120.0,
) -> AddFilesResult:
    """Hash reference files into a set (MD5, SHA-1, SHA-256; PDQ of images, vPDQ of videos).

    For the curator's own, already categorised, benign reference material. With
    ``perceptual`` (what ``puente hashsets add-files`` does unless ``--no-perceptual``; off
    here so that the demos' sets keep their exact entries only), images and
    videos are recognised by their first bytes and decoded in an isolated worker process
    (``hashing.isolation``), so a decoder crash costs one file, not the run. A PDQ below
    ``min_quality`` (Settings.pdq_min_quality) is recorded with ``pdq_below_min_quality`` in
    its metadata and listed in ``notes``. Files that cannot be read, and perceptual hashes
    that cannot be computed, are listed in ``errors``, never skipped silently.

    ``views`` (with ``perceptual``; ``add-files`` default) also stores each image's index
    views: up to 119 PDQs of cropped, banded and straightened views
    (``puente.hashing.pdq_views``), so that cropped, overlaid or slightly rotated copies
    match. Each is an entry of its own, metadata ``pdq_view`` (label), ``pdq_quality`` and
    ``view_of`` (the file's SHA-256); ~80x the PDQ work per image.
    """
    if category not in CATEGORIES:
        raise InputError(f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
    store = HashSetStore(engine)
    target = store.find_set(set_name)
    if target is None:
        target = store.create_set(
            replace(info or HashSetInfo(set_name), name=set_name, source_format="files")
        )
    elif target.status != "complete":
        raise Conflict(f"hash set {set_name!r} is still importing")
    assert target.id is not None
    errors: list[RowError] = []
    notes: list[RowError] = []
    files = added = n_pdq = n_vpdq = n_views = 0
    batch: list[Entry] = []
    found = list(_walk(paths, errors))  # paths only: the total for the progress bar
    if on_total is not None:
        on_total(len(found))
    with store.writer(target.id) as writer, IsolatedHasher(timeout=decode_timeout) as hasher:
        for path in found:
            if on_file is not None:
                on_file(path)
            if path.is_symlink() or not path.is_file():
                errors.append(RowError(str(path), None, "not a regular file: skipped"))
                continue
            try:
                digests, size = hash_file(path)
                head = _head(path) if perceptual else b""
            except OSError as exc:
                errors.append(RowError(str(path), None, f"cannot read: {exc}"))
                continue
            files += 1
            meta: dict[str, Any] = {"file_name": path.name, "size": size}
            found_views: list[tuple[str, int, str]] | None = [] if views else None
            extra = (
                _perceptual(
                    hasher,
                    path,
                    detect_kind(head),
                    min_quality,
                    max_pixels,
                    errors,
                    notes,
                    found_views,
                )
                if head
                else None
            )
            values = list(digests.as_dict().items())
            if extra is not None:
                algorithm, value, more = extra
                # One metadata object for all of a file's entries: a VICS Media record
                # carries one set of fields, so the quality survives a VICS round trip.
                meta.update(more)
                values.append((algorithm, value))
                n_pdq += algorithm == "pdq"
                n_vpdq += algorithm == "vpdq"
            for algorithm, value in values:
                batch.append(
                    Entry(
                        algorithm,
                        value,
                        category,
                        "puente",
                        category,
                        digests.sha256,
                        metadata=meta,
                    )
                )
            for value, quality, label in found_views or ():
                view_meta = {"pdq_view": label, "pdq_quality": quality, "view_of": digests.sha256}
                batch.append(
                    Entry(
                        "pdq",
                        value,
                        category,
                        "puente",
                        category,
                        digests.sha256,
                        metadata=view_meta,
                    )
                )
                n_views += 1
            if len(batch) >= 3000:
                added += writer.add(batch)
                batch = []
        added += writer.add(batch)
    final = store.set_status(target.id, "complete")
    if files == 0 and not errors:
        raise NotFound("no files found under the given paths")
    return AddFilesResult(
        final, files, added, tuple(errors), tuple(notes), pdq=n_pdq, vpdq=n_vpdq, views=n_views
    )


__all__ = [
    "AddFilesResult",
    "ImportResult",
    "add_files",
    "build_exact_index",
    "conflicts",
    "delete_set",
    "diff",
    "export_set",
    "import_file",
    "list_sets",
    "show_set",
    "stats",
    "validate_file",
]
