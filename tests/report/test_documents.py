from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from puente.errors import InputError
from puente.report.documents import I18N, LANGS, check_lang


def test_unknown_language_is_an_input_error() -> None:
    with pytest.raises(InputError, match="fr"):
        check_lang("fr")


@pytest.mark.parametrize("catalog", sorted(I18N.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_message_has_every_language(catalog: Path) -> None:
    data = yaml.safe_load(catalog.read_text(encoding="utf-8")) or {}
    for key, texts in data.items():
        assert set(texts) == set(LANGS), f"{catalog.name}: {key}"
        assert all(str(t).strip() for t in texts.values()), f"{catalog.name}: {key}"
