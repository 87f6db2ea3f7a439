"""Domain values of cooperation requests: types, facts, legal context, drafts.

Everything here is a plain frozen value. The legal knowledge base and the cases store are
reached through the flows, which turn them into these values; the core stays testable
without either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

DRAFT_LANGS: tuple[str, ...] = ("es", "pt", "en")


class RequestType(StrEnum):
    PRESERVATION = "preservation"  # Budapest Art. 29 (six elements, Art. 29(2))
    TRAFFIC_DISCLOSURE = "traffic_disclosure"  # Budapest Art. 30
    MLA_STORED_DATA = "mla_stored_data"  # Budapest Art. 31, incl. subscriber information
    EMERGENCY = "emergency"  # 24/7 network, Budapest Art. 35
    PROVIDER_DIRECT = "provider_direct"  # Second Protocol Art. 7, else provider's own channel
    IBERRED = "iberred"  # Iber@ under the Tratado de Medellín
    MLA_GENERIC = "mla_generic"  # Nassau Convention or a bilateral treaty


class Channel(StrEnum):
    """Who receives the request."""

    CONTACT_24_7 = "contact_24_7"
    CENTRAL_AUTHORITY = "central_authority"
    PROVIDER = "provider"


# Channel each type goes through (Budapest Art. 35 gives preservation to the 24/7 network).
TYPE_CHANNEL: dict[RequestType, Channel] = {
    RequestType.PRESERVATION: Channel.CONTACT_24_7,
    RequestType.TRAFFIC_DISCLOSURE: Channel.CONTACT_24_7,
    RequestType.MLA_STORED_DATA: Channel.CENTRAL_AUTHORITY,
    RequestType.EMERGENCY: Channel.CONTACT_24_7,
    RequestType.PROVIDER_DIRECT: Channel.PROVIDER,
    RequestType.IBERRED: Channel.CENTRAL_AUTHORITY,
    RequestType.MLA_GENERIC: Channel.CENTRAL_AUTHORITY,
}

DATA_KINDS: tuple[str, ...] = (
    "ip",
    "account",
    "email",
    "url",
    "phone",
    "subscriber",
    "traffic",
    "content",
    "other",
)

PRESERVATION_MAX_DAYS = 90  # Budapest Art. 16(2) / 29(7): at least 60, we ask 90; renewable


def default_lang(requested_country: str) -> str:
    """The requested country's language: Portuguese for Brazil, Spanish elsewhere."""
    return "pt" if requested_country == "BR" else "es"


@dataclass(frozen=True)
class Contact:
    name: str = ""
    role: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Authority:
    name: str = ""
    office: str = ""
    address: str = ""


@dataclass(frozen=True)
class Offence:
    conduct: str = ""  # criterion id of the knowledge base, e.g. "off.distribution"
    description: str = ""
    statute: str = ""  # the requesting country's provision
    penalty: str = ""


@dataclass(frozen=True)
class DataItem:
    kind: str
    value: str
    timestamp: datetime | None = None  # aware datetime when valid; naive ones are flagged
    timestamp_text: str = ""  # as given, for messages and the draft
    provider: str = ""
    relation: str = ""  # how it relates to the offence (Art. 29(2)(c))

    @property
    def timestamp_utc(self) -> str:
        """The timestamp in UTC when it was given with another offset ("" otherwise):
        providers search their logs in UTC, so the draft states both."""
        ts = self.timestamp
        if ts is None or ts.utcoffset() is None or ts.utcoffset() == timedelta(0):
            return ""
        return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Custodian:
    name: str = ""
    location: str = ""


@dataclass(frozen=True)
class LegalBasisGiven:
    """A basis the drafter states (bilateral treaty, reciprocity, domestic order)."""

    treaty: str = ""
    citation: str = ""
    reciprocity: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """The part of a case a request needs (from the cases store or typed in)."""

    case_id: int
    title: str
    country: str
    agency: str = ""
    reference: str = ""


@dataclass(frozen=True)
class RequestFacts:
    """Everything the drafter supplies for one request (the --facts YAML)."""

    requesting_authority: Authority = field(default_factory=Authority)
    contact: Contact = field(default_factory=Contact)
    offence: Offence = field(default_factory=Offence)
    summary: str = ""
    data: tuple[DataItem, ...] = ()
    custodian: Custodian = field(default_factory=Custodian)
    necessity: str = ""
    mla_to_follow: bool | None = None
    preservation_days: int = PRESERVATION_MAX_DAYS
    renewal_of: str = ""
    related_request: str = ""
    assistance_sought: str = ""
    emergency_reason: str = ""
    legal_basis: LegalBasisGiven = field(default_factory=LegalBasisGiven)
    urgency: str = "normal"  # normal | urgent
    confidentiality: bool = True
    dates: tuple[tuple[str, date | datetime], ...] = ()  # other dated facts (where, value)


@dataclass(frozen=True)
class LegalFact:
    """One statement of the knowledge base, with its provenance (unknown is valid)."""

    country: str
    criterion_id: str
    status: str  # met | partial | not_met | unknown
    citation: str = ""
    source: str = ""
    as_of: date | None = None
    confidence: str | None = None

    @property
    def known_yes(self) -> bool:
        return self.status in ("met", "partial")


@dataclass(frozen=True)
class ChannelEntry:
    """An addressee from the channels pack; name empty when the reference lacks it."""

    country: str
    channel: str
    name: str = ""
    detail: str = ""
    citation: str = ""
    source: str = ""
    as_of: date | None = None
    confidence: str | None = None
    note: str = ""

    @property
    def known(self) -> bool:
        return bool(self.name)


@dataclass(frozen=True)
class Instrument:
    """A treaty the request can rest on, and whether both countries are known parties."""

    key: str  # budapest | protocol2 | medellin | nassau | bilateral | reciprocity
    name: str
    article: str
    requesting: LegalFact | None
    requested: LegalFact | None

    @property
    def common(self) -> bool:
        """Both known to be parties. For coop.party_* "partial" means signed, not ratified."""
        return bool(
            self.requesting
            and self.requested
            and self.requesting.status == "met"
            and self.requested.status == "met"
        )

    @property
    def excluded(self) -> bool:
        """Known not to bind both: at least one side is recorded as not a party."""
        return any(
            f is not None and f.status == "not_met" for f in (self.requesting, self.requested)
        )


@dataclass(frozen=True)
class LegalContext:
    """What the knowledge base says for this pair of countries and this conduct."""

    requesting_country: str
    requested_country: str
    conduct_requesting: LegalFact | None = None
    conduct_requested: LegalFact | None = None
    parties: tuple[LegalFact, ...] = ()  # coop.party_* findings for both countries
    channels: tuple[ChannelEntry, ...] = ()
    country_names: tuple[tuple[str, str], ...] = ()  # (code, name) in the draft's language
    conduct_title: str = ""  # the conduct's criterion title in the draft's language, if known

    def party(self, country: str, criterion_id: str) -> LegalFact | None:
        for fact in self.parties:
            if fact.country == country and fact.criterion_id == criterion_id:
                return fact
        return None

    def channel(self, channel: str) -> ChannelEntry | None:
        for entry in self.channels:
            if entry.country == self.requested_country and entry.channel == channel:
                return entry
        return None

    def name(self, code: str) -> str:
        return dict(self.country_names).get(code, code)


@dataclass(frozen=True)
class Draft:
    """A validated request, ready to render: warnings travel with it."""

    type: RequestType
    lang: str
    case: CaseFacts
    requesting_country: str
    requested_country: str
    facts: RequestFacts
    legal: LegalContext
    instrument: Instrument | None
    addressee: ChannelEntry | None
    channel_note: str
    warnings: tuple[str, ...]  # English, for the terminal and the store
    created_at: datetime
    notices: tuple[Any, ...] = ()  # validation.Notice: the same, for the templates to word
    text: str = ""  # the rendered draft (structured text, see drafting.render)
