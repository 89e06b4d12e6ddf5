"""Tests for the easy-read checker: table tests from ``cases/<rule>.toml`` plus properties.

Why a table: each rule's good and bad examples sit together in a data file that people who know
easy read can add to without writing Python.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easyread.checker import (
    MIN_READING_EASE,
    RULES,
    Issue,
    _caps_allowed,
    _data_lines,
    _jargon_patterns,
    check_message,
    reading_ease,
)

CASES = Path(__file__).parent / "cases"


def _load_cases() -> Iterator[Any]:
    """One pytest param per ``[[case]]`` row, with an id naming the file and the row."""
    for path in sorted(CASES.glob("*.toml")):
        rows = tomllib.loads(path.read_text("utf-8"))["case"]
        for number, row in enumerate(rows, start=1):
            yield pytest.param(row, id=f"{path.stem}-{number:02d}")


@pytest.mark.parametrize("case", list(_load_cases()))
def test_case(case: dict[str, Any]) -> None:
    issues = check_message(case["text"])
    assert sorted(issue.rule for issue in issues) == sorted(case["expect"]), (
        case["description"],
        issues,
    )


@pytest.mark.parametrize("path", sorted(CASES.glob("*.toml")), ids=lambda p: p.stem)
def test_case_file_is_well_formed(path: Path) -> None:
    rows = tomllib.loads(path.read_text("utf-8"))["case"]
    assert rows
    for row in rows:
        assert set(row) == {"description", "text", "expect"}, row
        assert row["description"].strip()
        assert isinstance(row["text"], str)
        assert set(row["expect"]) <= set(RULES), row
    # Each file shows its rule failing at least once and a message that passes.
    assert any(path.stem in row["expect"] for row in rows)
    assert any(row["expect"] == [] for row in rows)


def test_every_rule_has_a_cases_file() -> None:
    assert {path.stem for path in CASES.glob("*.toml")} == set(RULES)


def test_issues_come_in_rule_order() -> None:
    text = (
        "Will the NHS do an assessment of two things? And three more things? "
        "Organisational responsibilities determine appropriate accommodations very "
        "effectively and enormously for everybody concerned in the whole wide world."
    )
    rules = [issue.rule for issue in check_message(text)]
    assert rules == sorted(rules, key=RULES.index)
    assert set(rules) == set(RULES)


def test_jargon_detail_names_the_word() -> None:
    [issue] = check_message("Are you a Service User?")
    assert issue == Issue("jargon", issue.detail)
    assert '"service user"' in issue.detail


def test_acronym_detail_names_the_acronym() -> None:
    [issue] = check_message("Your PDFs are ready.")
    assert issue.rule == "acronym"
    assert '"PDF"' in issue.detail


def test_number_detail_names_the_word() -> None:
    [issue] = check_message("Pick Three.")
    assert issue.rule == "number_in_words"
    assert '"three"' in issue.detail


def test_long_sentence_detail_gives_the_count() -> None:
    [issue] = check_message(" ".join(["word"] * 20) + ".")
    assert "20 words" in issue.detail


def test_reading_ease_formula() -> None:
    # 3 one-syllable words in 1 sentence: 206.835 - 1.015 * 3 - 84.6 * 1.
    assert reading_ease("The cat sat.") == pytest.approx(119.19)


def test_reading_ease_counts_syllables_with_pyphen_and_fallback() -> None:
    # "table" is not split by pyphen; the fallback counts 2 vowel groups ("-le" is sounded).
    # "swimming" is split by pyphen: swim-ming.
    assert reading_ease("table swimming") == pytest.approx(206.835 - 1.015 * 2 - 84.6 * 2)
    # A silent final "e" is not a syllable.
    assert reading_ease("make time") == pytest.approx(206.835 - 1.015 * 2 - 84.6 * 1)


def test_reading_ease_is_higher_for_simple_text() -> None:
    simple = "We will keep your answers safe. You can stop at any time."
    hard = (
        "Personalisation facilitates holistic commissioning of multidisciplinary "
        "interventions, determining eligibility and organisational accountability."
    )
    assert reading_ease(simple) >= MIN_READING_EASE > reading_ease(hard)
    assert reading_ease(simple) - reading_ease(hard) > 50


def test_reading_ease_of_nothing() -> None:
    assert reading_ease("") == pytest.approx(206.835)
    assert reading_ease("😀 \n\n • ") == pytest.approx(206.835)


def test_placeholder_reads_as_a_short_word() -> None:
    assert reading_ease("Hello {name}.") == reading_ease("Hello Sam.")


def test_jargon_list_size_and_shape() -> None:
    entries = _data_lines("jargon.txt")
    assert 30 <= len(entries) <= 60
    assert len(set(entries)) == len(entries)
    assert all(entry == entry.lower() for entry in entries)
    assert len(_jargon_patterns()) == len(entries)
    for must in ("assessment", "provision", "facilitate", "outcome", "service user"):
        assert must in entries


def test_caps_allowed_has_the_keywords_people_type() -> None:
    keywords = {"STOP", "START", "HELP", "YES", "NO", "PROFILE", "LINK", "STOPALL", "UNSTOP"}
    assert keywords <= _caps_allowed()
    assert {"PDF", "SMS", "NHS"}.isdisjoint(_caps_allowed())


_ANY_CHARACTER = st.characters(exclude_categories=())


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet=_ANY_CHARACTER))
def test_never_raises(text: str) -> None:
    issues = check_message(text)
    assert all(isinstance(issue, Issue) and issue.rule in RULES for issue in issues)
    assert math.isfinite(reading_ease(text))


@settings(deadline=None, max_examples=25)
@given(
    st.text(
        alphabet=st.one_of(_ANY_CHARACTER, st.sampled_from(" .?!\n{}•-😀")),
        min_size=1,
        max_size=40,
    )
)
def test_never_raises_on_huge_text(chunk: str) -> None:
    text = (chunk * 10_000)[:10_000]
    issues = check_message(text)
    assert all(issue.rule in RULES for issue in issues)
    assert math.isfinite(reading_ease(text))


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x1b[31m\x7f",
        "\ud800 lone surrogate",
        "x" * 10_000,
        "A" * 10_000,
        "?" * 10_000,
        "{" * 5_000 + "}" * 5_000,
        "word " * 2_000,
        "😀" * 10_000,
        "\n" * 10_000,
    ],
    ids=[
        "control",
        "surrogate",
        "long-word",
        "long-caps",
        "questions",
        "braces",
        "words",
        "emoji",
        "newlines",
    ],
)
def test_never_raises_on_odd_text(text: str) -> None:
    check_message(text)
    assert math.isfinite(reading_ease(text))
