"""Shared document plumbing: Jinja2 environment, message catalogs, HTML to PDF.

Each area keeps its own templates (``report/templates/<area>/``) and message catalog
(``report/i18n/<area>.yaml``: key -> {es, pt, en}); the product speaks Spanish,
Portuguese and English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from puente.errors import InputError

LANGS = ("es", "pt", "en")
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
I18N = HERE / "i18n"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render ``report/templates/<template>`` with the given context."""
    return environment().get_template(template).render(**context)


@cache
def _catalog(domain: str) -> dict[str, dict[str, str]]:
    data = yaml.safe_load((I18N / f"{domain}.yaml").read_text(encoding="utf-8")) or {}
    return {str(k): {str(lk): str(lv) for lk, lv in v.items()} for k, v in data.items()}


def messages(domain: str, lang: str) -> dict[str, str]:
    """The catalog of one area in one language: key -> text (every key has all languages)."""
    check_lang(lang)
    return {key: texts[lang] for key, texts in _catalog(domain).items()}


def html_to_pdf(html: str, output: Path) -> Path:
    """Write a PDF with WeasyPrint; fonts come from the system (fonts-dejavu in CI)."""
    import logging

    from weasyprint import HTML

    # WeasyPrint logs every unsupported CSS property at WARNING; keep the CLI quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    output.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(output.parent)).write_pdf(str(output))
    return output
