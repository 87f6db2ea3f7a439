"""Shared example values for the drafting tests (see puente.drafting.examples)."""

from __future__ import annotations

from puente.drafting.examples import (
    EXAMPLE_CASE as CASE,
)
from puente.drafting.examples import (
    EXAMPLE_NOW as NOW,
)
from puente.drafting.examples import (
    example_facts as parsed,
)
from puente.drafting.examples import (
    example_facts_dict as facts_dict,
)
from puente.drafting.examples import (
    example_legal_context as legal_context,
)

__all__ = ["CASE", "NOW", "facts_dict", "legal_context", "parsed"]
