"""Category mapping: (scheme, source category) -> normalised category, loaded from YAML data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from puente.errors import InputError
from puente.hashsets.model import CATEGORIES, UNCATEGORISED

BUNDLED = Path(__file__).with_name("categories.yaml")


class UnknownCategory(InputError):
    """A source category that the scheme does not define (reported per row)."""


@dataclass(frozen=True)
class Scheme:
    name: str
    description: str
    categories: Mapping[str, str]
    default: str | None = None  # for codes not listed; None: unknown codes are errors

    def map(self, source_category: str | None) -> str:
        if source_category is None or source_category == "":
            return UNCATEGORISED
        found = self.categories.get(source_category)
        if found is not None:
            return found
        if self.default is not None:
            return self.default
        known = ", ".join(self.categories) or "none"
        raise UnknownCategory(
            f"unknown category {source_category!r} in scheme {self.name!r} (known: {known})"
        )


@dataclass(frozen=True)
class CategoryMap:
    schemes: Mapping[str, Scheme]

    def scheme(self, name: str) -> Scheme:
        try:
            return self.schemes[name]
        except KeyError:
            known = ", ".join(sorted(self.schemes))
            raise InputError(f"unknown category scheme {name!r} (known: {known})") from None

    def map(self, scheme: str, source_category: str | None) -> str:
        return self.scheme(scheme).map(source_category)


def load_category_map(path: Path | None = None) -> CategoryMap:
    source = path or BUNDLED
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    schemes: dict[str, Scheme] = {}
    for name, spec in (data or {}).get("schemes", {}).items():
        cats = {str(k): str(v) for k, v in (spec.get("categories") or {}).items()}
        default = spec.get("default")
        for target in [*cats.values(), *([default] if default else [])]:
            if target not in CATEGORIES:
                raise InputError(f"{source}: scheme {name!r} maps to unknown category {target!r}")
        schemes[str(name)] = Scheme(str(name), str(spec.get("description", "")), cats, default)
    return CategoryMap(schemes)


@lru_cache(maxsize=1)
def default_category_map() -> CategoryMap:
    return load_category_map()
