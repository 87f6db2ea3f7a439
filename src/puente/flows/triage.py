"""Triage use cases: cases, evidence, custody, scans and their results.

The only place where cases, ingest, matching and the store meet. Every action that
changes a case is written to its custody log in the same transaction as the change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from puente import __version__
from puente.cases import custody as chain
from puente.cases.model import (
    Case,
    CustodyEntry,
    EvidenceItem,
    HashSetUsed,
    Scan,
    ScanItem,
    ScanMatch,
)
from puente.config import Settings
from puente.errors import (
    Conflict,
    EvidenceError,
    InputError,
    IntegrityError,
    Problem,
    UnknownFormat,
)
from puente.flows.background import BatchWriter, ReadAhead
from puente.hashing.crypto import open_readonly
from puente.hashsets.model import CATEGORIES
from puente.ingest.detect import HEAD_SIZE, archive_format
from puente.ingest.model import OK, Item, Limits, display_path
from puente.ingest.perceptual import PerceptualPolicy
from puente.ingest.scanner import check_root, plan
from puente.ingest.scanner import scan as scan_tree
from puente.match.exact import ExactIndex, Membership
from puente.store.cases import (
    CaseStore,
    conflict_if_running,
    match_row,
    path_key,
    scan_counts,
)

if TYPE_CHECKING:
    from puente.report import triage as report_triage

# The report and export stacks (Jinja2, YAML, …) are imported by the functions that use
# them: a scan process does not pay for them at start-up.


def parse_when(text: str, what: str = "date") -> datetime:
    """ISO 8601 date or date-time; without an offset it is taken as UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"{what} {text!r} is not an ISO 8601 date or date-time (e.g. 2026-03-01T10:30Z)"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def create_case(
    engine: Engine,
    title: str,
    country: str,
    agency: str,
    operator: str,
    *,
    reference: str | None = None,
) -> Case:
    return CaseStore(engine).create_case(title, country, agency, reference, operator)


def add_evidence(
    engine: Engine,
    case_id: int,
    path: Path,
    description: str,
    operator: str,
    *,
    acquired_by: str | None = None,
    acquired_at: datetime | None = None,
    source_hash: str | None = None,
) -> EvidenceItem:
    """Register evidence by its absolute path; the path must exist (it is never written)."""
    store = CaseStore(engine)
    store.get_case(case_id)
    if not path.exists() and not path.is_symlink():
        raise InputError(f"evidence path {str(path)!r} does not exist")
    resolved = path.resolve()
    if not (resolved.is_dir() or resolved.is_file()):
        raise InputError(f"evidence path {str(path)!r} is neither a folder nor a regular file")
    return store.add_evidence(
        case_id,
        str(resolved),
        description,
        operator,
        acquired_by=acquired_by,
        acquired_at=acquired_at,
        source_hash=source_hash,
    )


@dataclass(frozen=True)
class CustodyReport:
    case: Case
    entries: tuple[CustodyEntry, ...]
    problems: tuple[Problem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def custody_report(engine: Engine, case_id: int) -> CustodyReport:
    store = CaseStore(engine)
    case = store.get_case(case_id)
    entries = store.custody(case_id)
    problems = chain.verify(entries, case_id=case_id, head=store.custody_head(case_id))
    return CustodyReport(case, tuple(entries), tuple(problems))


def verify_custody(engine: Engine, case_id: int) -> CustodyReport:
    """The custody report, or an IntegrityError naming every broken entry."""
    report = custody_report(engine, case_id)
    if report.problems:
        lines = "; ".join(str(p) for p in report.problems)
        raise IntegrityError(
            f"custody log of case {case_id} is broken ({len(report.problems)} problem(s)): {lines}"
        )
    return report


def results(
    engine: Engine,
    case_id: int,
    *,
    matched_only: bool = False,
    category: str | None = None,
    scan_id: int | None = None,
) -> tuple[list[Scan], list[ScanItem]]:
    """Stored items of the newest scan of each evidence item (or of one given scan)."""
    if category is not None and category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")
    store = CaseStore(engine)
    if scan_id is not None:
        scan = store.get_scan(scan_id)
        if scan.case_id != case_id:
            raise InputError(f"scan {scan_id} does not belong to case {case_id}")
        scans = [scan]
    else:
        scans = store.latest_scans(case_id)
    items = list(store.items([s.id for s in scans], matched_only=matched_only, category=category))
    return scans, items


# -- scans ---------------------------------------------------------------------------------


class ScanObserver:
    """What a scan reports while it runs (the CLI draws a progress bar from it)."""

    def started(self, scan: Scan, total_files: int, total_bytes: int, resumed: bool) -> None:
        """The scan is about to read the evidence.

        The totals (top-level regular files and their bytes) come from a walk of the
        evidence made only for an observer that overrides this method.
        """

    def skipped(self, path: str) -> None:
        """A top-level file already stored by the interrupted run was not read again."""

    def stored(self, item: ScanItem) -> None:
        """An item (file, member, error or limit hit) was written to the store.

        Called from the thread that writes the batches, not the one that called the scan.
        An observer that does not override this method costs the scan nothing per item.
        """


@dataclass(frozen=True)
class ScanSummary:
    scan: Scan
    resumed: bool
    counts: dict[str, int]

    @property
    def errors(self) -> int:
        return sum(
            v for k, v in self.counts.items() if k.startswith("status_") and k != "status_ok"
        )


ScanFunction = Callable[..., Iterator[Item]]


@dataclass
class PerceptualIndex:
    """The hash sets' PDQ entries (in a NearIndex) and vPDQ entries, for one scan."""

    pdq: list[tuple[str, Membership]]
    videos: list[tuple[str, tuple[Any, ...], Membership]]  # (value, VpdqFeatures, membership)
    near: Any = None  # NearIndex over ``pdq`` values, row i = pdq[i]
    # sets with their own PDQ match distance (hashsets threshold); others use the default
    thresholds: dict[str, int] = field(default_factory=dict)
    # PDQ entries left out: their recorded quality is below Settings.pdq_min_quality
    low_quality: int = 0
    # PDQ value -> the index view it hashes (add-files views), for the report
    stored_views: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        pdq: Sequence[tuple[str, Membership]] = (),
        videos: Sequence[tuple[str, Membership]] = (),
        *,
        thresholds: dict[str, int] | None = None,
        low_quality: int = 0,
        stored_views: dict[str, str] | None = None,
    ) -> PerceptualIndex:
        thresholds = dict(thresholds or {})
        near = None
        if pdq:
            from puente.match.near import DEFAULT_THRESHOLD, NearIndex, codes_from_hex

            widest = max([DEFAULT_THRESHOLD, *thresholds.values()])
            near = NearIndex(codes_from_hex([v for v, _ in pdq]), max_threshold=widest)
        parsed = []
        if videos:
            from puente.hashing.vpdq import parse_vpdq

            for value, membership in videos:
                features = parse_vpdq(value.replace(";", "\n"), source=f"{membership.set_name}")
                parsed.append((value, features, membership))
        return cls(list(pdq), parsed, near, thresholds, low_quality, dict(stored_views or {}))

    def threshold(self, set_name: str, default: int) -> int:
        return self.thresholds.get(set_name, default)

    def __len__(self) -> int:
        return len(self.pdq) + len(self.videos)


def _indexes(
    engine: Engine, names: Sequence[str] | None, min_quality: int = 50
) -> tuple[ExactIndex, PerceptualIndex]:
    """Exact index of every entry, and the perceptual one, from one pass over the sets.

    PDQ entries whose recorded quality (add-files) is below ``min_quality`` stay out of the
    perceptual index: too unreliable to match on, as for scanned images.
    """
    from puente.store.hashsets import HashSetStore

    store = HashSetStore(engine)
    wanted = list(names) if names else None
    pdq: list[tuple[str, Membership]] = []
    videos: list[tuple[str, Membership]] = []
    meta = store.pdq_metadata(wanted)
    low = 0

    def rows() -> Iterator[tuple[str, str, Membership]]:
        nonlocal low
        for algorithm, value, membership in store.iter_memberships(wanted):
            if algorithm == "pdq":
                quality = meta.get(value, (None, None))[0]
                if quality is not None and quality < min_quality:
                    low += 1
                else:
                    pdq.append((value, membership))
            elif algorithm == "vpdq":
                videos.append((value, membership))
            yield algorithm, value, membership

    summaries = store.summaries(wanted)
    exact = ExactIndex(rows(), summaries)
    thresholds = {s.name: s.pdq_threshold for s in summaries if s.pdq_threshold is not None}
    views = {value: view for value, (_, view) in meta.items() if view is not None}
    return exact, PerceptualIndex.build(
        pdq, videos, thresholds=thresholds, low_quality=low, stored_views=views
    )


def _index(engine: Engine, names: Sequence[str] | None) -> ExactIndex:
    return _indexes(engine, names)[0]


def perceptual_policy(settings: Settings) -> PerceptualPolicy:
    return PerceptualPolicy(max_pixels=settings.max_image_pixels, views=settings.pdq_views)


def _hashsets_used(index: ExactIndex) -> tuple[HashSetUsed, ...]:
    used = []
    for s in index.sets():
        owner = " / ".join(x for x in (s.owner_agency, s.owner_country) if x) or None
        provenance = ", ".join(
            x
            for x in (
                s.source_format and f"format {s.source_format}",
                f"{s.entry_count} entries",
                s.pdq_threshold is not None and f"PDQ threshold {s.pdq_threshold}",
                s.updated_at and f"updated {s.updated_at.isoformat()}",
            )
            if x
        )
        used.append(HashSetUsed(s.name, s.version, owner, provenance or None))
    return tuple(sorted(used, key=lambda h: (h.name, h.version)))


_ALGORITHMS = ("md5", "sha1", "sha256")


def _perceptual_matches(item: Item, index: PerceptualIndex, settings: Settings) -> list[ScanMatch]:
    """PDQ matches (every dihedral variant queried) and vPDQ matches of one item."""
    out: list[ScanMatch] = []
    if item.pdq is not None and index.near is not None:
        from puente.match.dihedral import match_image

        default = settings.pdq_threshold
        found = match_image(
            index.near,
            item.pdq,
            threshold=max([default, *index.thresholds.values()]),
            min_quality=settings.pdq_min_quality,
        )
        for hit in found:
            value, m = index.pdq[hit.entry_id]
            if hit.distance > index.threshold(m.set_name, default):
                continue  # within another set's wider threshold, not this one's
            out.append(
                ScanMatch(
                    algorithm="pdq",
                    value=value,
                    set_name=m.set_name,
                    set_version=m.set_version,
                    category=m.category,
                    source_category=m.source_category or "",
                    distance=hit.distance,
                    quality=item.pdq.quality,
                    variant=hit.variant,
                    # the entry is a hash of an index view of the reference image
                    detail=(
                        f"view:{index.stored_views[value]}" if value in index.stored_views else None
                    ),
                )
            )
    if item.vpdq is not None and index.videos:
        from puente.hashing.vpdq import match_video
        from puente.report import triage as report_triage

        for value, features, m in index.videos:
            vm = match_video(
                item.vpdq.features,
                features,
                distance=settings.vpdq_frame_threshold,
                quality=settings.pdq_min_quality,
                query_pct=settings.vpdq_match_percent,
                candidate_pct=settings.vpdq_match_percent,
            )
            if vm.is_match:
                out.append(
                    ScanMatch(
                        algorithm="vpdq",
                        # the entry's features can run to many kB: stored by their SHA-256
                        value="sha256:" + hashlib.sha256(value.encode()).hexdigest(),
                        set_name=m.set_name,
                        set_version=m.set_version,
                        category=m.category,
                        source_category=m.source_category or "",
                        detail=report_triage.vpdq_detail(
                            vm.query_pct, vm.query_frames, vm.candidate_pct, vm.candidate_frames
                        ),
                    )
                )
    return out


@dataclass
class _Rows:
    """A batch of ingest items as store rows (see CaseStore.add_rows), and as records."""

    rows: list[tuple[Any, ...]]
    matches: list[tuple[str, tuple[Any, ...]]]
    records: list[ScanItem] | None  # only for an observer that looks at stored items
    plain: list[tuple[Any, ...]] = field(default_factory=list)  # PLAIN_ROW_COLUMNS rows


def _scan_rows(
    scan_id: int,
    items: Sequence[Item],
    index: ExactIndex,
    perceptual: PerceptualIndex | None = None,
    settings: Settings | None = None,
    *,
    records: bool = True,
) -> _Rows:
    """Store rows for a batch of ingest items, matched with one index query.

    Rows are built straight from the items (no ScanItem per file unless ``records``): the
    main process shares the cores with the hashing workers, so every step per file counts.
    """
    found: dict[tuple[str, str], tuple[Membership, ...]] = {}
    if len(index):
        pairs = [
            (algorithm, getattr(item.digests, algorithm))
            for item in items
            if item.digests is not None
            for algorithm in _ALGORITHMS
        ]
        if pairs:
            found = index.lookup_many(pairs)
    perceptual_on = perceptual is not None and settings is not None and len(perceptual) > 0
    out = _Rows([], [], [] if records else None)
    rows, match_rows = out.rows, out.matches
    md5: str | None
    sha1: str | None
    sha256: str | None
    for item in items:
        digests = item.digests
        matches: list[ScanMatch] = []
        if digests is not None:
            md5, sha1, sha256 = digests.md5, digests.sha1, digests.sha256
            if found:
                for algorithm, value in (("md5", md5), ("sha1", sha1), ("sha256", sha256)):
                    for m in found.get((algorithm, value), ()):
                        matches.append(
                            ScanMatch(
                                algorithm=algorithm,
                                value=value,
                                set_name=m.set_name,
                                set_version=m.set_version,
                                category=m.category,
                                source_category=m.source_category or "",
                            )
                        )
        else:
            md5 = sha1 = sha256 = None
        if perceptual_on:
            assert perceptual is not None and settings is not None
            matches += _perceptual_matches(item, perceptual, settings)
        # Non-UTF-8 names are kept printable (\xNN escapes): every database stores them.
        path = display_path(item.path)
        key = path_key(path)
        container = item.container
        pdq = item.pdq
        # The first PLAIN_ROW_COLUMNS of every row; a plain row (a top-level file read whole,
        # no perceptual hash) is only these: the store binds half the parameters.
        head = (
            scan_id,
            key,
            path,
            item.size,
            item.mtime,
            item.atime,
            item.ctime,
            item.kind,
            md5,
            sha1,
            sha256,
        )
        for match in matches:
            match_rows.append((key, match_row(match)))
        if (
            item.status == OK
            and item.depth == 0
            and container is None
            and item.detail is None
            and pdq is None
            and item.vpdq is None
            and out.records is None
        ):
            out.plain.append(head)
            continue
        row = (
            *head,
            item.status,
            item.detail,
            item.depth,
            display_path(container) if container is not None else None,
            pdq.hash_hex if pdq else None,
            pdq.quality if pdq else None,
            pdq.decode_mode if pdq else None,
            ",".join(pdq.dihedral) if pdq else None,
            _vpdq_text(item) if item.vpdq is not None else None,
        )
        rows.append(row)
        if out.records is not None:
            out.records.append(ScanItem(scan_id, *row[2:15], tuple(matches), *row[15:]))
    return out


def _vpdq_text(item: Item) -> str | None:
    if item.vpdq is None:
        return None
    from puente.hashing.vpdq import format_vpdq

    return format_vpdq(item.vpdq.features)


def _may_have_members(file: Path) -> bool:
    """Whether a top-level file is an archive (or cannot be told apart from one)."""
    try:
        mode = os.lstat(file).st_mode
        if stat.S_ISLNK(mode):
            return True
        if not stat.S_ISREG(mode):
            return False  # FIFOs, devices: never opened, recorded as they are
        fd = open_readonly(file, os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            head = os.read(fd, HEAD_SIZE)
        finally:
            os.close(fd)
    except OSError:
        return True
    return archive_format(head) is not None


# Not smaller: SQLite's cost per row falls with the batch (each commit writes every index
# page it touched): CaseStore.add_rows took ~20-26 us of CPU a row in batches of 500,
# ~14-20 in batches of 2000.
# What is left to write after the last file is hashed is still at most ~2000 rows.
_MIN_BATCH = 2000


def _thread_safe(engine: Engine) -> bool:
    """Whether another thread may write through ``engine`` (not: in-memory SQLite)."""
    url = engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def scan_evidence(
    engine: Engine,
    settings: Settings,
    case_id: int,
    evidence_id: int,
    operator: str,
    *,
    hashsets: Sequence[str] | None = None,
    workers: int | None = None,
    resume: bool = False,
    observer: ScanObserver | None = None,
    index: ExactIndex | None = None,
    scanner: ScanFunction | None = None,
    perceptual_index: PerceptualIndex | None = None,
) -> ScanSummary:
    """Hash every file and archive member of an evidence item, match, and store the results.

    Items go to the store in batches, each batch with its matches in one transaction, and
    a repeated path is ignored. A resumed scan skips top-level files already stored, except
    archives (their members may have been only partly stored): those are read again and
    what is stored already is ignored, so the result equals an uninterrupted scan.
    """
    store = CaseStore(engine)
    evidence = store.get_evidence(case_id, evidence_id)
    observer = observer or ScanObserver()
    root = Path(evidence.path)
    if not root.exists():
        raise EvidenceError(f"evidence {evidence_id} path {evidence.path!r} does not exist")
    if not (root.is_dir() or root.is_file()):
        raise EvidenceError(f"evidence {evidence_id} path {evidence.path!r} cannot be read")
    # Evidence that cannot be listed fails here, before any scan is recorded. The totals
    # (a walk of the whole tree before the scan) only when the observer shows them.
    if type(observer).started is ScanObserver.started:
        check_root(root)
        total_files = total_bytes = 0
    else:
        total_files, total_bytes = plan(root)
    digest = settings.digest()
    unfinished = [s for s in store.scans(case_id, evidence_id) if s.status != "finished"]
    scan_fn = scanner or scan_tree
    workers = workers or settings.workers

    def read(skip: Callable[[str], bool] | None) -> Iterator[Item]:
        return scan_fn(
            root,
            Limits.from_settings(settings),
            workers=workers,
            skip=skip,
            perceptual=perceptual_policy(settings),
        )

    ahead: ReadAhead[Item] | None = None
    if resume:
        if not unfinished:
            raise Conflict(f"evidence {evidence_id} of case {case_id} has no unfinished scan")
        scan = unfinished[-1]
        if scan.settings_digest != digest:
            raise Conflict(
                f"scan {scan.id} ran with settings digest {scan.settings_digest[:12]}…, "
                f"now {digest[:12]}…: restore the settings to resume it, or start a new scan"
            )
        names = [h.name for h in scan.hashsets]
        if index is None:
            if names:
                index, perceptual_index = _indexes(engine, names, settings.pdq_min_quality)
            else:
                index = ExactIndex([])
        already = store.count_items(scan.id)
        scan = store.set_scan_status(
            scan, "running", operator, action="scan_resumed", details={"items_stored": already}
        )
    else:
        for s in unfinished:
            conflict_if_running(s)
        # Hashing starts now, while the hash sets load and the scan is recorded (seconds
        # for large sets): the items wait until the scan is ready to store them.
        ahead = ReadAhead(read(None), name="puente-scan-ahead")
        try:
            if index is None:
                index, perceptual_index = _indexes(engine, hashsets, settings.pdq_min_quality)
            scan = store.start_scan(
                case_id,
                evidence_id,
                digest,
                _hashsets_used(index),
                operator,
                details={
                    "workers": workers,
                    # what perceptual matching could find: entries indexed, by algorithm
                    "pdq_entries": len(perceptual_index.pdq) if perceptual_index else 0,
                    "vpdq_entries": len(perceptual_index.videos) if perceptual_index else 0,
                    "pdq_entries_below_min_quality": (
                        perceptual_index.low_quality if perceptual_index else 0
                    ),
                },
            )
        except BaseException:
            ahead.close()
            raise
    stored = store.stored_top_level(scan.id) if resume else {}
    file_root = root.parent if root.is_file() else root

    def skip(path: str) -> bool:
        if display_path(path) not in stored or _may_have_members(file_root / path):
            return False
        observer.skipped(path)
        return True

    observer.started(scan, total_files, total_bytes, resume)
    index_used = index
    near_used = perceptual_index or PerceptualIndex.build()
    # The default observer ignores stored items: then no ScanItem is built per file.
    notify = type(observer).stored is not ScanObserver.stored

    def write(items: list[Item]) -> None:
        out = _scan_rows(scan.id, items, index_used, near_used, settings, records=notify)
        store.add_rows(out.rows, out.matches, plain=out.plain)
        for record in out.records or ():
            observer.stored(record)

    # with the writes inline, the hashing workers ran out of queued files at every commit
    writer = BatchWriter(write, threaded=_thread_safe(engine), name="puente-scan-writer")
    batch: list[Item] = []
    items: Iterable[Item] = ahead if ahead is not None else read(skip if stored else None)
    try:
        for item in items:
            batch.append(item)
            # Full batches, or smaller ones whenever the writer has nothing to do: what is
            # left to write when the last file is hashed stays small.
            if len(batch) >= settings.batch_size or (len(batch) >= _MIN_BATCH and writer.idle()):
                writer.put(batch)
                batch = []
        writer.put(batch)
        batch = []
        writer.close()
    except BaseException as exc:
        # Whatever stops the scan (Ctrl-C, evidence gone), what was read stays stored and
        # the custody log says the scan was interrupted; --resume continues it.
        with contextlib.suppress(Exception):
            writer.close()
        with contextlib.suppress(Exception):
            write(batch)
        with contextlib.suppress(Exception):
            store.set_scan_status(
                scan,
                "interrupted",
                operator,
                action="scan_interrupted",
                details={"reason": f"{type(exc).__name__}: {exc}"[:500]},
            )
        raise
    finally:
        if ahead is not None:
            ahead.close()
    counts = scan_counts(engine, scan.id)
    scan = store.set_scan_status(scan, "finished", operator, action="scan_finished", details=counts)
    return ScanSummary(scan, resume, counts)


# -- report and exports --------------------------------------------------------------------

REPORT_FORMATS = ("html", "pdf", "json")
EXPORT_FORMATS = ("vics", "case")


def build_report(
    engine: Engine, settings: Settings, case_id: int, operator: str
) -> report_triage.TriageReport:
    """Gather a case's records for the report (newest scan of each evidence item)."""
    from puente.report import triage as report_triage

    store = CaseStore(engine)
    case = store.get_case(case_id)
    custody = custody_report(engine, case_id)
    scans = store.latest_scans(case_id)
    items = tuple(store.items([s.id for s in scans]))
    digests = sorted({s.settings_digest for s in scans})
    return report_triage.TriageReport(
        case=case,
        evidence=tuple(store.list_evidence(case_id)),
        scans=tuple(scans),
        items=items,
        custody=custody.entries,
        custody_problems=tuple(str(p) for p in custody.problems),
        settings_digest=", ".join(digests) if digests else settings.digest(),
        generated_at=datetime.now(UTC),
        operator=operator,
        puente_version=__version__,
        libraries=report_triage.library_versions(),
    )


def _default_output(settings: Settings, folder: str, case_id: int, ext: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.home / folder / f"case-{case_id}-{stamp}.{ext}"


def _write_atomically(output: Path, write: Callable[[Path], object]) -> str:
    """Write via a temporary file beside ``output``: a failure leaves nothing half-written."""
    output = output.expanduser()
    if output.is_dir():
        raise InputError(f"output {str(output)!r} is a folder: give a file name")
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.partial")
    try:
        write(temporary)
        digest = hashlib.sha256(temporary.read_bytes()).hexdigest()
        temporary.replace(output)
    finally:
        temporary.unlink(missing_ok=True)
    return digest


def write_report(
    engine: Engine,
    settings: Settings,
    case_id: int,
    operator: str,
    *,
    fmt: str = "html",
    lang: str | None = None,
    output: Path | None = None,
) -> Path:
    """Write the report and record it (format, language, file and its SHA-256) in custody."""
    from puente.report import triage as report_triage
    from puente.report.documents import check_lang

    if fmt not in REPORT_FORMATS:
        raise UnknownFormat(f"unknown report format {fmt!r}: use {', '.join(REPORT_FORMATS)}")
    lang = check_lang(lang or settings.lang)
    report = build_report(engine, settings, case_id, operator)
    output = output or _default_output(settings, "reports", case_id, fmt)
    digest = _write_atomically(output, lambda p: report_triage.write(report, fmt, lang, p))
    CaseStore(engine).append_custody(
        case_id,
        "report_generated",
        {"format": fmt, "lang": lang, "file": str(output), "sha256": digest},
        operator,
    )
    return output


def export_case(
    engine: Engine,
    settings: Settings,
    case_id: int,
    operator: str,
    *,
    fmt: str,
    output: Path,
) -> Path:
    """Write a VICS case export or a CASE/UCO JSON-LD graph, and record it in custody."""
    from puente.report import case_export

    if fmt not in EXPORT_FORMATS:
        raise UnknownFormat(f"unknown export format {fmt!r}: use {', '.join(EXPORT_FORMATS)}")
    report = build_report(engine, settings, case_id, operator)
    data = case_export.vics_case(report) if fmt == "vics" else case_export.case_uco(report)

    def write(path: Path) -> None:
        # VICS readers expect UTF-8 without BOM; CASE tools read any JSON-LD.
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    digest = _write_atomically(output, write)
    CaseStore(engine).append_custody(
        case_id,
        "export",
        {"format": fmt, "file": str(output), "sha256": digest, "items": len(report.items)},
        operator,
    )
    return output
