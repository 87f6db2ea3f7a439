"""The channels pack: central authorities and 24/7 contact points, each cited or unknown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from puente.drafting.model import Channel, ChannelEntry
from puente.errors import FormatError
from puente.network import COUNTRIES

PACK = Path(__file__).parent / "packs" / "channels.yaml"
CHANNELS = (Channel.CENTRAL_AUTHORITY.value, Channel.CONTACT_24_7.value)
REQUIRED = ("name", "citation", "source", "as_of", "confidence")


def _as_date(value: Any, where: str, source: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FormatError(source, f"{where}: as_of {value!r} is not a date") from None


def parse_channels(data: Any, source: str) -> tuple[ChannelEntry, ...]:
    """Check the pack: every country, both channels, named entries fully cited."""
    if not isinstance(data, Mapping) or data.get("kind") != "channels":
        raise FormatError(source, "not a channels pack (kind: channels)")
    countries = data.get("countries")
    if not isinstance(countries, Mapping):
        raise FormatError(source, "countries: must be a mapping")
    missing = sorted(set(COUNTRIES) - set(countries))
    if missing:
        raise FormatError(source, f"countries missing: {', '.join(missing)}")
    entries: list[ChannelEntry] = []
    for code, channels in countries.items():
        if code not in COUNTRIES:
            raise FormatError(source, f"unknown country {code!r}")
        if not isinstance(channels, Mapping):
            raise FormatError(source, f"{code}: must be a mapping")
        for channel in CHANNELS:
            raw = channels.get(channel)
            where = f"{code}.{channel}"
            if not isinstance(raw, Mapping):
                raise FormatError(source, f"{where}: missing (write status: unknown if unknown)")
            if raw.get("status") == "unknown":
                entries.append(ChannelEntry(code, channel, note=str(raw.get("note", ""))))
                continue
            absent = [key for key in REQUIRED if not raw.get(key)]
            if absent:
                raise FormatError(source, f"{where}: {', '.join(absent)} required unless unknown")
            if raw["confidence"] not in ("H", "M", "L"):
                raise FormatError(source, f"{where}: confidence must be H, M or L")
            entries.append(
                ChannelEntry(
                    country=code,
                    channel=channel,
                    name=str(raw["name"]),
                    detail=str(raw.get("detail", "")),
                    citation=str(raw["citation"]),
                    source=str(raw["source"]),
                    as_of=_as_date(raw["as_of"], where, source),
                    confidence=str(raw["confidence"]),
                    note=str(raw.get("note", "")),
                )
            )
    return tuple(entries)


@cache
def load_channels(path: Path = PACK) -> tuple[ChannelEntry, ...]:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormatError(str(path), f"invalid YAML: {exc}") from None
    return parse_channels(data, str(path))


def for_country(entries: tuple[ChannelEntry, ...], country: str) -> tuple[ChannelEntry, ...]:
    return tuple(e for e in entries if e.country == country)
