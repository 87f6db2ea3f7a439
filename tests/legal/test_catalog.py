from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from puente.errors import FormatError, NotFound, UnknownCountry, ValidationError
from puente.legal.catalog import bundled_files, collect, load_catalog
from puente.legal.schema import AREAS, STATUSES, Catalog

TEST_PACKS = Path(__file__).parent / "packs"

AR = (TEST_PACKS / "ar.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, name: str = "ar.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(paths: list[Path]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_catalog(paths)
    return [str(p) for p in info.value.problems]


def test_bundled_baseline_loads() -> None:
    catalog = load_catalog()
    ids = [c.id for c in catalog.criteria]
    assert len(ids) == len(set(ids)) == 34
    assert {c.area for c in catalog.criteria} == set(AREAS)
    for c in catalog.criteria:
        for ref in c.baseline:
            catalog.provision(ref)
    assert catalog.cite("budapest:9(1)(e)") == "Budapest Convention, Art. 9(1)(e)"


def test_every_bundled_file_is_a_pack() -> None:
    assert any(f.name == "criteria.yaml" for f in bundled_files())


def test_test_pack_lookups(test_catalog: Catalog) -> None:
    assert test_catalog.countries == ("AR", "BR", "MX")
    f = test_catalog.finding("AR", "off.possession")
    assert f.status == "met" and f.confidence == "H" and f.as_of == date(2026, 2, 28)
    assert "128" in (f.citation or "")
    unknown = test_catalog.finding("AR", "off.sextortion")
    assert unknown.status == "unknown" and unknown.citation is None
    assert unknown.as_of == date(2026, 11, 1)  # pack date when the entry has none
    assert test_catalog.country_name("BR", "en") == "Brazil"
    assert test_catalog.country_name("MX", "es") == "México"
    assert all(f.status in STATUSES for f in test_catalog.findings("MX"))


def test_unknown_country_and_criterion(test_catalog: Catalog) -> None:
    with pytest.raises(UnknownCountry, match="ZZ"):
        test_catalog.country("ZZ")
    with pytest.raises(UnknownCountry, match="no pack loaded for country CL"):
        test_catalog.country("CL")
    with pytest.raises(NotFound, match=r"off\.nope"):
        test_catalog.finding("AR", "off.nope")


def test_unknown_criterion_id_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, AR + "  off.teleportation:\n    status: unknown\n")
    probs = _problems([path])
    assert any(
        "ar.yaml: criteria.off.teleportation" in p and "unknown criterion" in p for p in probs
    )


def test_missing_citation_names_file_and_key(tmp_path: Path) -> None:
    text = AR.replace('    citation: "Código Penal, art. 128 párr. 2 (Ley 27.436)"\n', "", 1)
    text = text.replace("    citation: Código Penal, art. 128 párr. 2 (Ley 27.436)\n", "", 1)
    assert text != AR
    probs = _problems([_write(tmp_path, text)])
    assert probs == [
        f"{tmp_path / 'ar.yaml'}: criteria.off.possession.citation: missing "
        "(required unless status is unknown)"
    ]


def test_missing_source_and_confidence(tmp_path: Path) -> None:
    text = AR.replace(
        "  off.sextortion:\n    status: unknown\n", "  off.sextortion:\n    status: met\n"
    )
    probs = _problems([_write(tmp_path, text)])
    assert any("criteria.off.sextortion.citation: missing" in p for p in probs)
    assert any("criteria.off.sextortion.source: missing" in p for p in probs)
    assert any("criteria.off.sextortion.confidence: missing" in p for p in probs)


@pytest.mark.parametrize("bad", ["2025-13-01", "30/06/2025", "yesterday", "2999-01-01"])
def test_bad_date(tmp_path: Path, bad: str) -> None:
    text = AR.replace("as_of: 2026-11-01", f"as_of: {bad}", 1)
    probs = _problems([_write(tmp_path, text)])
    assert any("ar.yaml: as_of" in p and bad in p for p in probs), probs


def test_unknown_country_code(tmp_path: Path) -> None:
    probs = _problems([_write(tmp_path, AR.replace("country: AR", "country: PE"))])
    assert any("ar.yaml: country" in p and "'PE'" in p for p in probs)


def test_duplicate_criterion_key_is_a_format_error(tmp_path: Path) -> None:
    text = AR + "  off.possession:\n    status: unknown\n"
    with pytest.raises(FormatError) as info:
        load_catalog([_write(tmp_path, text)])
    assert info.value.source.endswith("ar.yaml")
    assert "off.possession" in info.value.problem and info.value.line is not None


def test_duplicate_country_across_files(tmp_path: Path) -> None:
    a = _write(tmp_path, AR, "ar.yaml")
    b = _write(tmp_path, AR, "ar-copy.yaml")
    probs = _problems([a, b])
    assert any("ar-copy.yaml: country" in p and "duplicate id 'AR'" in p for p in probs)


def test_duplicate_criterion_in_criteria_pack(tmp_path: Path) -> None:
    crit = (Path(bundled_files()[0])).read_text(encoding="utf-8")
    crit += "  - id: off.possession\n    area: offences\n    title: {es: a, pt: b, en: c}\n"
    crit += "    baseline: []\n"
    probs = _problems([_write(tmp_path, crit, "criteria.yaml"), TEST_PACKS / "ar.yaml"])
    assert any("criteria.yaml: criteria.off.possession.id" in p and "duplicate" in p for p in probs)


def test_unknown_keys_rejected(tmp_path: Path) -> None:
    text = AR.replace("languages: [es]", "languages: [es]\nflag: blue").replace(
        "    status: met\n", "    status: met\n    colour: red\n", 1
    )
    probs = _problems([_write(tmp_path, text)])
    assert any("ar.yaml: flag: unknown key" in p for p in probs)
    assert any("ar.yaml: criteria.def.child_under_18.colour: unknown key" in p for p in probs)


def test_missing_criterion_and_bad_status(tmp_path: Path) -> None:
    text = AR.replace("  off.sextortion:\n    status: unknown\n    note: research to do\n", "")
    text = text.replace("status: partial", "status: maybe", 1)
    probs = _problems([_write(tmp_path, text)])
    assert any("criteria.off.sextortion: missing" in p for p in probs)
    assert any("status: 'maybe' is not allowed" in p for p in probs)


def test_broken_yaml_is_a_format_error_with_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as info:
        load_catalog([_write(tmp_path, "kind: country\ncountry: [AR\n")])
    assert info.value.line is not None


def test_collect_reports_all_problems_without_raising(tmp_path: Path) -> None:
    text = AR.replace("country: AR", "country: XX").replace("as_of: 2026-11-01", "as_of: x", 1)
    catalog, probs = collect([_write(tmp_path, text)])
    assert catalog is None and len(probs) >= 2


def test_missing_path_is_input_error(tmp_path: Path) -> None:
    from puente.errors import InputError

    with pytest.raises(InputError, match="no such pack"):
        load_catalog([tmp_path / "nope"])


# -- translated summaries, short names and labels ---------------------------------------
GROOMING = (
    "    summary: Contacting a minor by electronic means for a sexual offence is an offence.\n"
)


def test_translated_summary_loads_and_falls_back(tmp_path: Path) -> None:
    assert GROOMING in AR
    text = AR.replace(GROOMING, GROOMING + "    summary_es: Contactar a un menor es delito.\n")
    cat = load_catalog([_write(tmp_path, text)])
    f = cat.finding("AR", "off.grooming")
    assert f.summary_in("es") == ("Contactar a un menor es delito.", "es")
    # No Portuguese text: the English summary, flagged as English for the document.
    assert f.summary_in("pt") == (f.summary, "en")
    assert f.summary_in("en") == (f.summary, "en")


def test_translation_without_english_summary_is_an_error(tmp_path: Path) -> None:
    text = AR.replace(GROOMING, "    summary_pt: Contatar um menor é crime.\n")
    problems = _problems([_write(tmp_path, text)])
    assert any("ar.yaml: criteria.off.grooming.summary: missing" in p for p in problems)


def test_unknown_translation_key_is_still_rejected(tmp_path: Path) -> None:
    text = AR.replace(GROOMING, GROOMING + "    summary_fr: Contacter un mineur.\n")
    problems = _problems([_write(tmp_path, text)])
    assert any("criteria.off.grooming.summary_fr: unknown key" in p for p in problems)


def test_instrument_short_names_need_both_languages(tmp_path: Path) -> None:
    src = (Path(bundled_files()[0]).parent / "instruments" / "opsc.yaml").read_text("utf-8")
    broken = "\n".join(ln for ln in src.splitlines() if not ln.startswith("short_pt:")) + "\n"
    problems = _problems([_write(tmp_path, broken, "opsc.yaml"), TEST_PACKS])
    assert any(
        p.endswith("opsc.yaml: short_pt: missing (give short_es and short_pt together)")
        for p in problems
    ), problems


def test_cite_in_the_document_language() -> None:
    cat = load_catalog()
    assert cat.cite("budapest:9(1)(e)", "es") == "Convenio de Budapest, Art. 9(1)(e)"
    assert cat.cite("budapest:9(1)(e)", "pt") == "Convenção de Budapeste, Art. 9(1)(e)"
    assert cat.cite("icmec:4", "es") == "Legislación modelo del ICMEC, Criterio 4"
    assert cat.cite("icmec:4") == "ICMEC Model Legislation, Criterion 4"
    assert cat.cite("medellin:iber@", "pt") == "Tratado de Medellín, canal Iber@"


def test_empty_citation_or_source_is_reported_not_dropped(tmp_path: Path) -> None:
    line = next(ln for ln in AR.splitlines() if ln.startswith("    citation:"))
    problems = _problems([_write(tmp_path, AR.replace(line, '    citation: ""', 1))])
    assert any(
        p.endswith("citation: must not be empty (required unless status is unknown)")
        for p in problems
    ), problems


def test_empty_pack_folder_is_an_error(tmp_path: Path) -> None:
    from puente.errors import InputError

    with pytest.raises(InputError, match="no pack files"):
        load_catalog([tmp_path])


def test_missing_kind_is_named(tmp_path: Path) -> None:
    problems = _problems([_write(tmp_path, "country: AR\n")])
    assert any(
        p.endswith("ar.yaml: kind: missing (one of criteria, measures, instrument, country)")
        for p in problems
    ), problems
