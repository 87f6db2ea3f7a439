from __future__ import annotations

import hashlib
import os
from pathlib import Path

from puente.hashing.crypto import Digests
from puente.ingest.model import Item


def digests_of(data: bytes) -> Digests:
    return Digests(
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def by_path(items: list[Item]) -> dict[str, Item]:
    result: dict[str, Item] = {}
    for item in items:
        assert item.path not in result, f"duplicate item path {item.path!r}"
        result[item.path] = item
    return result


def snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    """(mode, size, mtime_ns, sha256) of every regular file: evidence must not change."""
    state = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            state[path] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return state
