from __future__ import annotations

import pickle
from dataclasses import fields, replace

from puente.hashing.crypto import Digests
from puente.hashing.vpdq import VpdqResult
from puente.ingest.model import Item, item_from_fields


def _item(**changes: object) -> Item:
    item = Item(
        path="a.zip!/b/\udcff.jpg",
        size=12,
        mtime=1.5,
        atime=2.5,
        ctime=3.5,
        kind="image/jpeg",
        digests=Digests("m" * 32, "s" * 40, "h" * 64),
        status="ok",
        detail="a detail",
        depth=1,
        container="a.zip",
        pdq=None,
        vpdq=VpdqResult((), 3, 25.0, 4, 5, "h264", ("late frame",)),
    )
    return replace(item, **changes)  # type: ignore[arg-type]


def test_items_survive_pickling_field_for_field() -> None:
    # Item.__reduce__ lists the fields by hand: every field must come back.
    for item in (_item(), _item(digests=None, vpdq=None, container=None, size=None)):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(item, protocol))
            assert type(back) is Item
            assert back == item
            assert hash(back) == hash(item)
            assert vars(back).keys() == {f.name for f in fields(Item)}
            assert [getattr(back, f.name) for f in fields(Item)] == [
                getattr(item, f.name) for f in fields(Item)
            ]
            assert back.digests is None or type(back.digests) is Digests


def test_item_from_fields_equals_the_constructor() -> None:
    item = _item(vpdq=None)
    digests = item.digests
    assert digests is not None
    made = item_from_fields(
        item.path,
        item.size,
        item.mtime,
        item.atime,
        item.ctime,
        item.kind,
        digests.md5,
        digests.sha1,
        digests.sha256,
        item.status,
        item.detail,
        item.depth,
        item.container,
        None,
        None,
    )
    assert made == item
    assert replace(made, status="error").status == "error"
