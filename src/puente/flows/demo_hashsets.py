"""The hash-set demo: benign images generated now -> a set -> VICS 2.0 -> re-import -> stats.

Every image is drawn at run time (gradients and shapes from a seeded generator); nothing is
read from anywhere else, and the sets are marked as demo material.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import Engine

from puente.flows import hashsets as flow
from puente.hashsets.model import HashSetInfo, SetDiff
from puente.store.hashsets import HashSetStore

DEMO_SET = "demo-reference"
DEMO_REIMPORTED = "demo-reimported"


@dataclass(frozen=True)
class DemoResult:
    images: int
    export_path: Path
    exported: int
    reimported: int
    diff: SetDiff
    stats: list[dict[str, Any]]


def generate_images(folder: Path, count: int, seed: int = 2026) -> list[Path]:
    """Benign synthetic pictures: a colour gradient with a few random shapes on it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        width, height = rng.choice([(320, 240), (256, 256), (400, 300)])
        image = Image.new("RGB", (width, height))
        top = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        bottom = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw = ImageDraw.Draw(image)
        for y in range(height):
            t = y / max(1, height - 1)
            draw.line(
                [(0, y), (width, y)],
                fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
            )
        for _ in range(rng.randrange(2, 6)):
            x0, y0 = rng.randrange(width), rng.randrange(height)
            box = (x0, y0, x0 + rng.randrange(10, 120), y0 + rng.randrange(10, 120))
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            if rng.random() < 0.5:
                draw.ellipse(box, fill=colour)
            else:
                draw.rectangle(box, fill=colour)
        path = folder / f"demo-{i:03d}.{'png' if i % 2 else 'jpg'}"
        image.save(path)
        paths.append(path)
    return paths


def run_demo(
    engine: Engine,
    workdir: Path,
    *,
    count: int = 24,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    store = HashSetStore(engine)
    for name in (DEMO_SET, DEMO_REIMPORTED):  # the demo can be run again and again
        if store.find_set(name) is not None:
            store.delete_set(name)
    step(f"generating {count} benign images in {workdir}")
    images = generate_images(workdir / "images", count)
    step("hashing them into the set " + DEMO_SET)
    info = HashSetInfo(
        DEMO_SET,
        version="demo",
        description="Benign images generated at run time by `puente demo`",
        caveats="Demo material only; contains no real hash list",
    )
    flow.add_files(engine, DEMO_SET, [workdir / "images"], "comparison", info=info)
    export_path = workdir / "demo-reference.vics2.json"
    step(f"exporting to {export_path} (VICS 2.0)")
    exported = flow.export_set(engine, DEMO_SET, "vics2", export_path)
    step("re-importing the export as " + DEMO_REIMPORTED)
    result = flow.import_file(
        engine, export_path, HashSetInfo(DEMO_REIMPORTED, version="demo"), fmt="auto"
    )
    return DemoResult(
        images=len(images),
        export_path=export_path,
        exported=exported,
        reimported=result.entries_added,
        diff=flow.diff(engine, DEMO_SET, DEMO_REIMPORTED),
        stats=[s for s in flow.stats(engine) if s["name"] in (DEMO_SET, DEMO_REIMPORTED)],
    )
