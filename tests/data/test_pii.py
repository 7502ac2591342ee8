"""PII detectors: validators (Luhn, issuer prefixes, SSN ranges, IBAN mod-97, IPv4), context rules for
phone numbers, redaction, and column classification."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.data import pii


@pytest.mark.parametrize("number", [
    "4111111111111111", "4012888888881881", "5555555555554444", "5105105105105100", "2223003122003222",
    "378282246310005", "371449635398431", "6011111111111117", "6011000990139424", "3530111333300000",
    "30569309025904", "6200000000000005",
])
def test_known_test_cards_are_cards(number: str) -> None:
    assert pii.luhn_valid(number)
    assert pii.card_issuer(number) is not None
    assert pii.valid_card(number)


@pytest.mark.parametrize("number,why", [
    ("4111111111111112", "Luhn fails"),
    ("9111111111111119", "no issuer with prefix 9"),
    ("1234567812345670", "no issuer with prefix 1 (Luhn passes)"),
    ("41111111111111", "Visa is 13, 16 or 19 digits"),
    ("0000000000000000", "one repeated digit"),
    ("37828224631000", "Amex is 15 digits"),
])
def test_not_cards(number: str, why: str) -> None:
    assert not pii.valid_card(number), why


def test_luhn_rejects_non_digits() -> None:
    assert not pii.luhn_valid("4111-1111")
    assert not pii.luhn_valid("")
    assert not pii.luhn_valid("٤١١١")  # non-ASCII digits


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
@settings(max_examples=200, deadline=None)
def test_luhn_check_digit_property(body: str) -> None:
    """Exactly one check digit makes a number Luhn-valid."""
    valid = [d for d in "0123456789" if pii.luhn_valid(body + d)]
    assert len(valid) == 1


@pytest.mark.parametrize("value,ok", [
    ("123-45-6789", True), ("536-22-1234", True), ("899-99-9999", True),
    ("000-12-3456", False), ("666-12-3456", False), ("900-12-3456", False), ("999-12-3456", False),
    ("123-00-4567", False), ("123-45-0000", False), ("078-05-1120", False),
])
def test_ssn_ranges(value: str, ok: bool) -> None:
    area, group, serial = value.split("-")
    assert pii.valid_ssn(area, group, serial) is ok
    assert bool(pii.find_ssns(f"ssn: {value}")) is ok


def test_plain_ssn_needs_an_ssn_column() -> None:
    assert not pii.scan_value("123456789")
    assert [h.kind for h in pii.scan_value("123456789", pii.column_hints("SSN"))] == ["ssn"]
    assert not pii.scan_value("000456789", pii.column_hints("ssn"))


@pytest.mark.parametrize("iban", [
    "GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000",
    "FR1420041010050500013M02606", "NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957",
    "NO9386011117947", "MT84MALT011000012345MTLCAST001S",
])
def test_valid_ibans(iban: str) -> None:
    assert pii.iban_valid(iban)
    assert [h.kind for h in pii.find_ibans(f"pay to {iban} today")] == ["iban"]


@pytest.mark.parametrize("iban", [
    "GB82WEST12345698765433",  # check digits wrong
    "GB82WEST1234569876543",  # length wrong for GB
    "XX82WEST12345698765432",  # unknown country
    "DE00370400440532013000",
])
def test_invalid_ibans(iban: str) -> None:
    assert not pii.iban_valid(iban)
    assert not pii.find_ibans(iban)


def test_iban_followed_by_more_groups_is_still_found() -> None:
    hits = pii.find_ibans("GB82 WEST 1234 5698 7654 32 ABCD")
    assert len(hits) == 1 and hits[0].redacted == "GB** **** **** **32"


@pytest.mark.parametrize("text,found", [
    ("client 203.0.113.7 connected", True),
    ("from 10.1.2.3.", True),
    ("version 1.2.3.4", False),
    ("v1.2.3.4", False),
    ("pkg==1.2.3.4", False),
    ("256.1.1.1", False),
    ("01.2.3.4", False),
    ("127.0.0.1", False),
    ("0.0.0.0", False),
    ("255.255.255.0", False),
    ("239.1.2.3", False),
    ("1.3.6.1.4.1.2021", False),  # an OID, not an address
])
def test_ipv4(text: str, found: bool) -> None:
    assert bool(pii.find_ipv4(text)) is found


def test_ipv4_in_version_column_is_ignored() -> None:
    assert not pii.scan_value("1.2.3.4", pii.column_hints("client_version"))
    assert [h.kind for h in pii.scan_value("1.2.3.4", pii.column_hints("host"))] == ["ipv4"]


@pytest.mark.parametrize("text,found", [
    ("Tel: +49 30 1234567", True),
    ("call me at (415) 555-0132", True),
    ("phone number 020 7946 0958", True),
    ("order 4155550132 shipped", False),
    ("measured 2024-01-15 at 10:00", False),
    ("total 1234567.89", False),
])
def test_phone_needs_context_in_free_text(text: str, found: bool) -> None:
    assert bool(pii.find_phones_in_text(text)) is found


def test_phone_column_accepts_plain_numbers_and_rejects_other_values() -> None:
    hints = pii.column_hints("mobile_phone")
    assert "phone" in hints
    assert pii.scan_value("+44 20 7946 0958", hints)[0].kind == "phone"
    assert pii.scan_value("4155550132", hints)[0].kind == "phone"
    assert not pii.scan_value("n/a", hints)
    assert not pii.scan_value("2024-01-15", hints)


def test_phone_in_table_output_with_a_phone_header() -> None:
    text = "   name   phone\n0  ann  +1-202-555-0100\n1  bob  +1-202-555-0101\n"
    assert {h.kind for h in pii.scan_text(text)} == {"phone"}
    assert not pii.scan_text("   name   ref\n0  ann  202-555-0100\n")


def test_emails() -> None:
    hits = pii.find_emails("write to John.Doe+x@mail.example.co.uk or logo@2x.png")
    assert [h.redacted for h in hits] == ["J***@m***.uk"]
    assert not pii.find_emails("no at sign here")


def test_card_in_text_and_overlap() -> None:
    hits = pii.scan_text("card 4111 1111 1111 1111 exp 12/30")
    assert [h.kind for h in hits] == ["card"]
    assert hits[0].redacted == "**** **** **** 1111"


@pytest.mark.parametrize("raw,kind", [
    ("jane.roe@mailhost.org", "email"), ("4111111111111111", "card"), ("GB82WEST12345698765432", "iban"),
    ("123-45-6789", "ssn"), ("203.0.113.77", "ipv4"),
])
def test_redacted_never_contains_raw_value(raw: str, kind: str) -> None:
    hits = pii.scan_text(f"value: {raw}")
    assert [h.kind for h in hits] == [kind]
    assert raw not in hits[0].redacted
    # no long run of the raw value's characters survives either
    assert raw[:8] not in hits[0].redacted


@given(st.integers(min_value=0, max_value=10**15 - 1))
@settings(max_examples=100, deadline=None)
def test_card_redaction_keeps_only_last_four(n: int) -> None:
    body = "4" + f"{n:015d}"[:14]
    number = next(body + d for d in "0123456789" if pii.luhn_valid(body + d))
    hits = pii.find_cards(f"cc {number}")
    assert hits and hits[0].redacted == f"**** **** **** {number[-4:]}"
    assert number[:12] not in repr(hits)


def test_column_classification_ratio_and_example() -> None:
    values = ["a@mailhost.org", "", "b@mailhost.org", "none"]
    [col] = pii.classify_column("contact", values)
    assert (col.kind, col.hits, col.rows) == ("email", 2, 4)
    assert col.ratio == 0.5
    assert col.example == "a***@m***.org"


def test_card_column_needs_most_values_valid() -> None:
    ids = [str(4000000000000000 + i) for i in range(50)]  # ~1 in 10 passes Luhn
    assert not pii.classify_column("row_id", ids)
    assert [c.kind for c in pii.classify_column("card_number", ids)] == ["card"]
    assert [c.kind for c in pii.classify_column("row_id", ["4111111111111111"] * 5)] == ["card"]


def test_column_hints() -> None:
    assert pii.name_tokens("PhoneNumber") == ("phone", "number")
    assert "phone" in pii.column_hints("tel")
    assert "card" in pii.column_hints("credit_card_number")
    assert "ssn" in pii.column_hints("social_security")
    assert not pii.column_hints("telemetry")
