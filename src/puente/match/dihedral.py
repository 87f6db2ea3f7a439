"""Perceptual image matching: every hash of a scanned image against a NearIndex of PDQs.

A scanned image is queried with its 8 dihedral hashes (rotated and mirrored copies), when
bars were trimmed the 8 hashes of the trimmed image, and with ``HashPolicy(views=True)``
the 8 hashes of each query view (an edge band cut, a small rotation turned back). For each
stored entry within the threshold, the closest variant is reported (ties: the plain hash
first), so the report can say "matched as rotate90" or "matched after trimming borders,
as flipy".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from puente.hashing.pdq import DIHEDRAL_NAMES, PdqResult
from puente.match.near import NearIndex


@dataclass(frozen=True)
class PerceptualMatch:
    entry_id: int  # row of the stored code in the NearIndex
    distance: int
    variant: str  # DIHEDRAL_NAMES entry; "trimmed:" prefix: border-trimmed image
    # ("trimmedK:": after trimming step K only, see PdqResult.trim_steps; "cut25-top:",
    # "derot+5.1:": a query view, see PdqResult.views)
    query_hash: str  # the scanned image's hash that matched


def query_hashes(result: PdqResult) -> list[tuple[str, str]]:
    """(variant, hash) pairs to look up for one scanned image, plain hash first."""
    pairs = list(zip(DIHEDRAL_NAMES, result.dihedral, strict=True))
    for k, (_, hashes) in enumerate(result.trim_steps, start=1):
        pairs += [(f"trimmed{k}:{n}", h) for n, h in zip(DIHEDRAL_NAMES, hashes, strict=True)]
    if result.trimmed_dihedral is not None:
        pairs += [
            (f"trimmed:{n}", h)
            for n, h in zip(DIHEDRAL_NAMES, result.trimmed_dihedral, strict=True)
        ]
    for label, hashes in result.views:  # HashPolicy(views=True): "cut25-bottom", "derot+5.1"
        pairs += [(f"{label}:{n}", h) for n, h in zip(DIHEDRAL_NAMES, hashes, strict=True)]
    return pairs


def match_image(
    index: NearIndex,
    result: PdqResult,
    *,
    threshold: int = 31,
    min_quality: int = 50,
    variants: Sequence[tuple[str, str]] | None = None,
) -> list[PerceptualMatch]:
    """Stored entries within ``threshold`` of any variant, closest first.

    Images below ``min_quality`` (Settings.pdq_min_quality) are not matched: Meta's advice,
    their hashes are too unreliable. ``variants`` overrides the hashes queried.
    """
    if result.quality < min_quality:
        return []
    pairs = list(variants) if variants is not None else query_hashes(result)
    found = index.query_batch([h for _, h in pairs], threshold, threads=1)
    best: dict[int, PerceptualMatch] = {}
    for (variant, h), hits in zip(pairs, found, strict=True):
        for entry, dist in hits:
            cur = best.get(entry)
            if cur is None or dist < cur.distance:
                best[entry] = PerceptualMatch(entry, dist, variant, h)
    return sorted(best.values(), key=lambda m: (m.distance, m.entry_id))
