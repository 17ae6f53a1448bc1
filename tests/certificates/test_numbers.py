"""Tests for certreg.certificates.numbers."""

from __future__ import annotations

import pytest
from stdnum import damm

from certreg.certificates.numbers import (
    ParsedNumber,
    check_digit,
    format_number,
    is_valid_number,
    parse_number,
)

SAMPLE = format_number("KG", "T", 2026, 123)


def test_format() -> None:
    assert SAMPLE == "KG-T-2026-000123-5"
    # The check digit is Damm over the IBAN-style digit expansion (K=20, G=16, T=29).
    assert damm.calc_check_digit("201629" + "2026" + "000123") == "5"
    assert check_digit("KG", "T", "2026", "000123") == "5"
    assert format_number("UZ", "company", 2027, 1) == "UZ-C-2027-000001-" + check_digit("UZ", "C", "2027", "000001")
    assert format_number("KG", "technician", 2026, 123) == SAMPLE
    overflow = format_number("KG", "T", 2026, 1_234_567)
    assert overflow.startswith("KG-T-2026-1234567-")
    assert parse_number(overflow).sequence == 1_234_567


@pytest.mark.parametrize(
    "args",
    [("kg", "T", 2026, 1), ("KGZ", "T", 2026, 1), ("KG", "X", 2026, 1), ("KG", "T", 26, 1), ("KG", "T", 2026, -1)],
)
def test_format_rejects(args: tuple[str, str, int, int]) -> None:
    with pytest.raises(ValueError):
        format_number(*args)


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE,
        SAMPLE.lower(),
        " kg t 2026 000123 5 ",
        "KGT20260001235",
        "KG-T-2026-0001235",
        "KG–T–2026–000123–5",
        "ＫＧ-T-2026-000123-5",
    ],
)
def test_parse_is_tolerant(text: str) -> None:
    parsed = parse_number(text)
    assert parsed == ParsedNumber("KG", "technician", 2026, 123, "5", "000123")
    assert parsed.canonical == SAMPLE == str(parsed)
    assert parsed.kind_code == "T"
    assert is_valid_number(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not a certificate number"),
        ("KG-T-2026-000123", "not a certificate number"),
        ("KG-X-2026-000123-5", "not a certificate number"),
        ("K1-T-2026-000123-5", "not a certificate number"),
        ("KG-T-2026-00123-5", "not a certificate number"),
        ("KG-T-2026-000124-5", "check digit"),
        ("KG-T-2026-0000123-5", "too many digits"),
    ],
)
def test_parse_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_number(text)
    assert not is_valid_number(text)


def _digit_positions(number: str) -> list[int]:
    return [i for i, ch in enumerate(number) if ch.isdigit()]


def test_every_single_digit_substitution_is_detected() -> None:
    count = 0
    for pos in _digit_positions(SAMPLE):
        for digit in "0123456789":
            if digit == SAMPLE[pos]:
                continue
            typo = SAMPLE[:pos] + digit + SAMPLE[pos + 1 :]
            assert not is_valid_number(typo), typo
            count += 1
    assert count == 11 * 9  # 4 year + 6 sequence + 1 check digit positions


def test_every_adjacent_digit_transposition_is_detected() -> None:
    # Adjacent within the digit stream YYYY NNNNNN D, i.e. also across a dash
    # (people drop dashes when they type).  Use a sample with many distinct digits.
    number = format_number("KG", "T", 2019, 384756)
    digits = [number[i] for i in _digit_positions(number)]
    positions = _digit_positions(number)
    count = 0
    for k in range(len(digits) - 1):
        if digits[k] == digits[k + 1]:
            continue
        swapped = digits.copy()
        swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
        chars = list(number)
        for pos, d in zip(positions, swapped, strict=True):
            chars[pos] = d
        typo = "".join(chars)
        assert not is_valid_number(typo), typo
        count += 1
    assert count >= 9
    # ... and for the sample number too.
    for pos in range(len(SAMPLE) - 1):
        a, b = SAMPLE[pos], SAMPLE[pos + 1]
        if a.isdigit() and b.isdigit() and a != b:
            assert not is_valid_number(SAMPLE[:pos] + b + a + SAMPLE[pos + 2 :])


def test_company_and_kind_letter_is_checked() -> None:
    company = format_number("KG", "C", 2026, 123)
    assert parse_number(company).kind == "company"
    # Swapping the kind letter changes the expansion, and the check digit catches it.
    assert not is_valid_number(company.replace("-C-", "-T-"))
