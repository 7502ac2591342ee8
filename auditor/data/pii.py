"""Personal data detectors: emails, phone numbers, payment cards, US SSNs, IBANs and IPv4 addresses.

Each detector validates what a regex proposes (Luhn and issuer prefix for cards, area/group/serial
ranges for SSNs, country length and mod-97 for IBANs, octets and context for IPv4, a keyword or a
phone-like column name for phone numbers) and returns only a *redacted* form of the value: the raw
value never leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PII_TYPES: tuple[str, ...] = ("email", "phone", "card", "ssn", "iban", "ipv4")

LABELS: dict[str, str] = {
    "email": "email addresses", "phone": "phone numbers", "card": "payment card numbers",
    "ssn": "US social security numbers", "iban": "IBANs", "ipv4": "IPv4 addresses",
}

# longest value looked at in one cell / one text line; longer ones are clipped, not skipped
MAX_VALUE_CHARS = 10_000


@dataclass(frozen=True)
class PiiHit:
    kind: str
    redacted: str
    start: int
    end: int


# --------------------------------------------------------------------------- column name hints

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def name_tokens(name: str) -> tuple[str, ...]:
    """``PhoneNumber`` / ``phone_number`` / ``phone-number`` -> ("phone", "number")."""
    return tuple(t for t in _SPLIT.split(_CAMEL.sub("_", name).lower()) if t)


PHONE_WORDS = frozenset({"phone", "tel", "telephone", "mobile", "cell", "cellphone", "fax", "msisdn",
                         "phonenumber", "mobilephone", "telefon", "telefono", "whatsapp"})
CARD_WORDS = frozenset({"card", "cc", "pan", "creditcard", "ccnum", "ccnumber", "cardnumber"})
SSN_WORDS = frozenset({"ssn", "social", "socialsecurity"})
VERSION_WORDS = frozenset({"version", "ver", "release", "build", "oid", "revision", "rev"})


def column_hints(name: str) -> frozenset[str]:
    tokens = set(name_tokens(name))
    hints = set()
    if tokens & PHONE_WORDS:
        hints.add("phone")
    if tokens & CARD_WORDS or {"credit", "number"} <= tokens:
        hints.add("card")
    if tokens & SSN_WORDS:
        hints.add("ssn")
    if tokens & VERSION_WORDS:
        hints.add("version")
    return frozenset(hints)


# --------------------------------------------------------------------------- email

_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*)\.([A-Za-z]{2,24})\b"
)
_NOT_TLD = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js", "css", "py"})


def redact_email(local: str, domain: str, tld: str) -> str:
    return f"{local[:1]}***@{domain[:1]}***.{tld}"


def find_emails(text: str) -> list[PiiHit]:
    if "@" not in text:
        return []
    out = []
    for m in _EMAIL.finditer(text):
        local, domain, tld = m.group(1), m.group(2), m.group(3)
        if tld.lower() in _NOT_TLD or local.startswith(".") or local.endswith("."):
            continue
        out.append(PiiHit("email", redact_email(local, domain, tld), m.start(), m.end()))
    return out


# --------------------------------------------------------------------------- payment cards


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a string of digits."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_issuer(digits: str) -> str | None:
    """The card network whose prefix and length ``digits`` has, or None."""
    n = len(digits)
    if n < 13 or n > 19:
        return None
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if n == 16 and (51 <= p2 <= 55 or 2221 <= p4 <= 2720):
        return "mastercard"
    if n == 15 and p2 in (34, 37):
        return "amex"
    if 16 <= n <= 19 and (p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925):
        return "discover"
    if 16 <= n <= 19 and 3528 <= p4 <= 3589:
        return "jcb"
    if 14 <= n <= 19 and (300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095):
        return "diners"
    if 16 <= n <= 19 and p2 == 62:
        return "unionpay"
    return None


def valid_card(digits: str) -> bool:
    return card_issuer(digits) is not None and luhn_valid(digits) and len(set(digits)) > 1


def redact_card(digits: str) -> str:
    return f"**** **** **** {digits[-4:]}"


_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")


def card_candidates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every 13-19 digit run (spaces/dashes allowed between digits)."""
    out = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append((m.start(), m.end(), digits))
    return out


def find_cards(text: str) -> list[PiiHit]:
    return [PiiHit("card", redact_card(d), s, e) for s, e, d in card_candidates(text) if valid_card(d)]


# --------------------------------------------------------------------------- US SSN

_SSN_DASHED = re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
_SSN_PLAIN = re.compile(r"^\s*(\d{3})[ -]?(\d{2})[ -]?(\d{4})\s*$")
# numbers published in advertising and widely misused; not a person's
_SSN_KNOWN_FAKE = frozenset({"078051120", "219099999"})


def valid_ssn(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    if area == "000" or area == "666" or area[0] == "9":
        return False
    if group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_KNOWN_FAKE


def redact_ssn(serial: str) -> str:
    return f"***-**-**{serial[-2:]}"


def find_ssns(text: str, plain_allowed: bool = False) -> list[PiiHit]:
    out = []
    for m in _SSN_DASHED.finditer(text):
        if valid_ssn(m.group(1), m.group(2), m.group(3)):
            out.append(PiiHit("ssn", redact_ssn(m.group(3)), m.start(), m.end()))
    if not out and plain_allowed:
        m2 = _SSN_PLAIN.match(text)
        if m2 and valid_ssn(m2.group(1), m2.group(2), m2.group(3)):
            out.append(PiiHit("ssn", redact_ssn(m2.group(3)), m2.start(1), m2.end(3)))
    return out


# --------------------------------------------------------------------------- IBAN

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)(?![a-z0-9])")


def iban_valid(iban: str) -> bool:
    """Country length and the ISO 13616 mod-97 check (spaces ignored, case-insensitive)."""
    s = iban.replace(" ", "").upper()
    if len(s) < 5 or not s.isalnum() or not s.isascii():
        return False
    if IBAN_LENGTHS.get(s[:2]) != len(s) or not s[2:4].isdigit():
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def redact_iban(compact: str) -> str:
    return f"{compact[:2]}** **** **** **{compact[-2:]}"


def find_ibans(text: str) -> list[PiiHit]:
    out = []
    for m in _IBAN.finditer(text):
        compact = m.group(1).replace(" ", "")
        want = IBAN_LENGTHS.get(compact[:2])
        if want is None or len(compact) < want:
            continue
        candidate = compact[:want]
        if iban_valid(candidate):
            out.append(PiiHit("iban", redact_iban(candidate), m.start(), m.end()))
    return out


# --------------------------------------------------------------------------- IPv4

_IPV4 = re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\.?\d)(?![A-Za-z_])")
_VERSION_CONTEXT = re.compile(r"(?i)(?:version|ver\.?|release|build|rev|v|==|>=|<=|~=|!=|@)\s*[:=]?\s*$")
_MASK_OCTETS = frozenset({"0", "128", "192", "224", "240", "248", "252", "254", "255"})


def valid_ipv4(octets: Iterable[str]) -> bool:
    """Four decimal octets 0-255 without leading zeros, and a unicast address a person could hold
    (not 0.x, loopback, multicast/reserved, broadcast, or a netmask)."""
    parts = list(octets)
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or (len(p) > 1 and p[0] == "0") or int(p) > 255:
            return False
    first = int(parts[0])
    if first in (0, 127) or first >= 224:
        return False
    return not (parts[0] == "255" and all(p in _MASK_OCTETS for p in parts))


def redact_ipv4(first: str) -> str:
    return f"{first}.*.*.*"


def find_ipv4(text: str, version_context: bool = False) -> list[PiiHit]:
    if text.count(".") < 3 or version_context:
        return []
    out = []
    for m in _IPV4.finditer(text):
        if not valid_ipv4(m.groups()):
            continue
        if _VERSION_CONTEXT.search(text[max(0, m.start() - 16):m.start()]):
            continue
        out.append(PiiHit("ipv4", redact_ipv4(m.group(1)), m.start(), m.end()))
    return out


# --------------------------------------------------------------------------- phone numbers

_PHONE_VALUE = re.compile(r"^\s*(\+?[\d\s().\-/]{6,24}\d)\s*(?:(?:x|ext\.?|#)\s*\d{1,6})?\s*$", re.IGNORECASE)
_PHONE_KEYWORD = re.compile(r"(?i)\b(?:tel|phone|telephone|mobile|cell|fax|whatsapp|call(?:\s+me)?(?:\s+(?:at|on))?)"
                            r"\b\.?(?:\s*(?:no\.?|number|#))?\s*[:=]?\s*")
_PHONE_AFTER_KEYWORD = re.compile(r"\+?\(?\d[\d\s().\-/]{5,22}\d")
# formats that are phone numbers on their own, used where a table header names a phone column
_PHONE_STRICT = re.compile(
    r"(?<![\w+])(\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}|\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4})(?![\w-])"
)
_DATE_LIKE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")


def _phone_digits_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return False
    if _DATE_LIKE.match(candidate.strip()):
        return False
    # a decimal number (one dot, no other separator) is a measurement, not a phone number
    stripped = candidate.strip()
    return not re.fullmatch(r"\d+\.\d+", stripped)


def redact_phone(candidate: str) -> str:
    digits_seen = sum(c.isdigit() for c in candidate)
    out = []
    n = 0
    for c in candidate.strip():
        if c.isdigit():
            n += 1
            out.append(c if n > digits_seen - 2 else "*")
        else:
            out.append(c)
    return "".join(out)


def find_phone_value(value: str) -> list[PiiHit]:
    """A whole cell value that is a phone number (for phone-like columns)."""
    m = _PHONE_VALUE.match(value)
    if m and _phone_digits_ok(m.group(1)):
        return [PiiHit("phone", redact_phone(m.group(1)), m.start(1), m.end(1))]
    return []


def find_phones_in_text(text: str, table_context: bool = False) -> list[PiiHit]:
    """Phone numbers in free text: after a phone keyword, or (``table_context``: the text names a
    phone column) in an unambiguous phone format."""
    out: list[PiiHit] = []
    for k in _PHONE_KEYWORD.finditer(text):
        m = _PHONE_AFTER_KEYWORD.match(text, k.end())
        if m and _phone_digits_ok(m.group(0)):
            out.append(PiiHit("phone", redact_phone(m.group(0)), m.start(), m.end()))
    if table_context:
        seen = {h.start for h in out}
        for m in _PHONE_STRICT.finditer(text):
            if m.start() not in seen and _phone_digits_ok(m.group(1)):
                out.append(PiiHit("phone", redact_phone(m.group(1)), m.start(), m.end()))
    return out


_PHONE_HEADER = re.compile(r"(?i)(?<![a-z])(?:phone|tel|telephone|mobile|msisdn)(?:[_ ]?(?:number|no))?(?![a-z])")

# --------------------------------------------------------------------------- entry points


def scan_value(value: str, hints: frozenset[str] = frozenset()) -> list[PiiHit]:
    """PII in one cell value; ``hints`` from ``column_hints`` of its column name."""
    if not value:
        return []
    text = value[:MAX_VALUE_CHARS]
    hits: list[PiiHit] = []
    hits.extend(find_emails(text))
    ndigits = sum(1 for c in text if c.isdigit()) if len(text) < 256 else 99
    if ndigits >= 7:
        hits.extend(find_cards(text))
        hits.extend(find_ssns(text, plain_allowed="ssn" in hints))
        if "phone" in hints:
            hits.extend(find_phone_value(text) or find_phones_in_text(text, table_context=True))
        else:
            hits.extend(find_phones_in_text(text))
        hits.extend(find_ibans(text))
    if ndigits >= 4:
        hits.extend(find_ipv4(text, version_context="version" in hints))
    return _dedupe(hits)


def scan_text(text: str) -> list[PiiHit]:
    """PII in free text such as notebook outputs (phone numbers need a keyword or a phone header)."""
    text = text[: MAX_VALUE_CHARS * 100]
    hits: list[PiiHit] = []
    hits.extend(find_emails(text))
    hits.extend(find_cards(text))
    hits.extend(find_ssns(text))
    hits.extend(find_phones_in_text(text, table_context=bool(_PHONE_HEADER.search(text))))
    hits.extend(find_ibans(text))
    hits.extend(find_ipv4(text))
    return _dedupe(hits)


def _dedupe(hits: list[PiiHit]) -> list[PiiHit]:
    """Drop a hit overlapping a stronger one (a card is not also a phone; an SSN not a phone)."""
    strength = {"card": 0, "iban": 1, "ssn": 2, "email": 3, "ipv4": 4, "phone": 5}
    kept: list[PiiHit] = []
    for h in sorted(hits, key=lambda h: (strength[h.kind], h.start)):
        if any(h.start < k.end and k.start < h.end for k in kept):
            continue
        kept.append(h)
    return sorted(kept, key=lambda h: h.start)


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class ColumnPii:
    column: str
    kind: str
    hits: int  # sampled rows with at least one value of this type
    rows: int  # sampled rows
    example: str  # redacted

    @property
    def ratio(self) -> float:
        return self.hits / self.rows if self.rows else 0.0


# a card-number column must be mostly valid card numbers: random 16-digit ids pass Luhn one time in
# ten, so a few "hits" among many card-shaped ids are noise, not cards
CARD_MIN_SHARE = 0.5
# share of a column's non-empty values in an unambiguous phone format that makes it a phone column
PHONE_MIN_SHARE = 0.5


def classify_column(name: str, values: Iterable[str]) -> list[ColumnPii]:
    """PII types found in a column's sampled values, with counts and one redacted example each."""
    hints = column_hints(name)
    hits: dict[str, int] = {}
    examples: dict[str, str] = {}
    rows = 0
    card_shaped = 0
    nonempty = 0
    formatted_phones: list[str] = []
    for value in values:
        rows += 1
        if not value:
            continue
        nonempty += 1
        found = scan_value(value, hints)
        if "phone" not in hints and not found and _PHONE_STRICT.fullmatch(value.strip()):
            formatted_phones.append(value.strip())
        if "card" not in hints and any(c.isdigit() for c in value[:64]) and card_candidates(value[:MAX_VALUE_CHARS]):
            card_shaped += 1
        for kind in {h.kind for h in found}:
            hits[kind] = hits.get(kind, 0) + 1
            if kind not in examples:
                examples[kind] = next(h.redacted for h in found if h.kind == kind)
    # a column of formatted phone numbers under a name that does not say so ("contact", "mobil")
    if "phone" not in hits and len(formatted_phones) >= max(3, PHONE_MIN_SHARE * nonempty):
        phones = [p for p in formatted_phones if _phone_digits_ok(p)]
        if len(phones) >= max(3, PHONE_MIN_SHARE * nonempty):
            hits["phone"] = len(phones)
            examples["phone"] = redact_phone(phones[0])
    out = []
    for kind in PII_TYPES:
        n = hits.get(kind, 0)
        if not n:
            continue
        if kind == "card" and "card" not in hints and n < CARD_MIN_SHARE * card_shaped:
            continue
        out.append(ColumnPii(name, kind, n, rows, examples[kind]))
    return out
