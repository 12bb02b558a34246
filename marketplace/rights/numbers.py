"""Parse and validate the numbers that identify IP rights in China.

Pure functions and frozen dataclasses: no Flask, no database. Each parser accepts the forms people
actually type (prefixes, spaces, full-width characters, lower case) and returns one canonical form;
anything else raises :class:`InvalidIpNumber` with a message that says exactly what is wrong.

CNIPA application numbers (专利申请号), per the CNIPA standard on application numbers:

* filed since 2003-10-01: ``YYYY T SSSSSSS . C`` -- 4-digit filing year, type digit, 7-digit serial;
* filed before: ``YY T SSSSS . C`` -- 2-digit year (85 = 1985 ... 03 = 2003), type digit, 5 digits.

Type digits: 1 invention, 2 utility model, 3 design, 8 PCT invention entering the national phase,
9 PCT utility model entering the national phase.

The check character C: multiply the digits, left to right, by the weights 2, 3, 4, 5, 6, 7, 8, 9,
2, 3, 4, 5 (2 ... 9 for the 8-digit form), sum, take the remainder mod 11; a remainder of 10 is
written ``X``. The remainder *is* the check character (no ``11 - r`` step, unlike ISBN or the
identity card). Verified against numbers from public records in both eras and of every type, among
them 201910349801.1, 201811564288.X, 201420818800.X, 2016300227706, 99113861.9,
201880013080.0, 98211883.X and 200410024861.X (see ``tests/rights/test_numbers.py``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

__all__ = [
    "PATENT_KIND_LABELS",
    "InvalidIpNumber",
    "PatentKind",
    "PatentNumber",
    "PublicationNumber",
    "SoftwareCopyrightNumber",
    "TrademarkNumber",
    "base_patent_kind",
    "build_patent_number",
    "check_number_agrees",
    "parse_patent_number",
    "parse_publication_number",
    "parse_software_copyright_number",
    "parse_trademark_number",
    "patent_check_character",
]


class InvalidIpNumber(ValueError):
    """A right's number is malformed; the message says what is wrong and is fit to show a user."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(f"{text.strip() or repr(text)}: {problem}")
        #: what the user typed
        self.text = text
        #: the reason alone, without the number (for form-field error lists)
        self.problem = problem

    def __reduce__(self) -> tuple[type[InvalidIpNumber], tuple[str, str]]:
        return (type(self), (self.text, self.problem))


PatentKind = Literal["invention", "utility_model", "design", "pct_invention", "pct_utility_model"]
BasePatentKind = Literal["invention", "utility_model", "design"]

PATENT_KINDS: tuple[PatentKind, ...] = get_args(PatentKind)

_KIND_BY_TYPE_DIGIT: dict[str, PatentKind] = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "pct_invention",
    "9": "pct_utility_model",
}
_TYPE_DIGIT_BY_KIND: dict[PatentKind, str] = {kind: d for d, kind in _KIND_BY_TYPE_DIGIT.items()}

PATENT_KIND_LABELS: dict[str, str] = {
    "invention": "invention patent",
    "utility_model": "utility model",
    "design": "design patent",
    "pct_invention": "PCT invention (national phase)",
    "pct_utility_model": "PCT utility model (national phase)",
}

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
#: 12-digit application numbers replaced the 8-digit ones on this day.
TWELVE_DIGIT_SINCE = date(2003, 10, 1)
#: The Patent Law took effect on 1985-04-01; no application numbers before that.
FIRST_PATENT_YEAR = 1985

# Labels people paste along with the number, e.g. "专利号：ZL 2019 1 0349801.1".
_PATENT_LABELS = ("专利申请号", "申请号", "专利号")
_PUBLICATION_LABELS = ("授权公告号", "公告号", "公开号", "公布号")
_SOFTWARE_LABELS = ("登记号",)
_TRADEMARK_LABELS = ("商标注册号", "注册号")


def _normalise(text: str, labels: tuple[str, ...] = ()) -> str:
    """Fold full-width forms (NFKC), drop whitespace, upper-case, strip a leading label."""
    folded = unicodedata.normalize("NFKC", text)
    # NFKC folds the full-width "．" but not the ideographic full stop that Chinese IMEs type.
    folded = folded.replace("。", ".")
    compact = "".join(folded.split()).upper()
    for label in labels:
        if compact.startswith(label):
            compact = compact[len(label) :].lstrip(":")
            break
    return compact


def _article(noun: str) -> str:
    """``an invention patent``, ``a design patent``, ``a utility model`` (a "you" sound)."""
    return f"{'an' if noun[:1].lower() in 'aeio' else 'a'} {noun}"


def base_patent_kind(kind: str) -> BasePatentKind:
    """``pct_invention`` -> ``invention`` and so on; the term and fees follow the base kind."""
    if kind in ("invention", "pct_invention"):
        return "invention"
    if kind in ("utility_model", "pct_utility_model"):
        return "utility_model"
    if kind == "design":
        return "design"
    raise ValueError(f"{kind!r} is not a patent kind")


def patent_check_character(digits: str) -> str:
    """The check character for the 8 or 12 digits before the dot: ``0``-``9`` or ``X``."""
    if len(digits) not in (8, 12) or not digits.isdigit() or not digits.isascii():
        raise ValueError(f"expected 8 or 12 digits, got {digits!r}")
    remainder = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False)) % 11
    return "X" if remainder == 10 else str(remainder)


@dataclass(frozen=True, slots=True)
class PatentNumber:
    """A valid CNIPA application number in canonical form."""

    #: canonical, with the dot: ``202023135860.6`` or ``99113861.9``
    application_number: str
    kind: PatentKind
    #: the year in the number: the filing year, or for PCT national-phase numbers the year the
    #: application entered the national phase (its legal filing date is the international one)
    filing_year: int

    @property
    def patent_number(self) -> str:
        """The number on the certificate: ``ZL`` + the application number."""
        return f"ZL{self.application_number}"

    @property
    def base_kind(self) -> BasePatentKind:
        return base_patent_kind(self.kind)

    @property
    def is_pct(self) -> bool:
        return self.kind.startswith("pct_")

    @property
    def is_legacy(self) -> bool:
        """True for the 8-digit numbers issued before 2003-10-01."""
        return len(self.application_number) == 10

    def __str__(self) -> str:
        return self.application_number


def parse_patent_number(text: str, *, today: date | None = None) -> PatentNumber:
    """Parse an application or patent number as typed: ``ZL 2019 1 0349801.1``,
    ``cn201420818800x``, ``２０１６３００２２７７０６``, ``99113861.9`` ...

    :param today: the date that decides which years lie in the future (default: today).
    :raises InvalidIpNumber: saying what is wrong -- characters, length, year, type digit or
        check digit ("check digit should be 7, not 3").
    """
    compact = _normalise(text, _PATENT_LABELS)
    if compact.startswith(("ZL", "CN")):
        compact = compact[2:]
    if not compact:
        raise InvalidIpNumber(text, "no application number given")
    for char in compact:
        if char not in "0123456789.X":
            raise InvalidIpNumber(
                text, f"contains {char!r}; an application number has only digits, a dot and X"
            )
    if compact.count(".") > 1:
        raise InvalidIpNumber(text, "has more than one dot")
    if "." in compact:
        body, check = compact.split(".")
        if not check:
            raise InvalidIpNumber(text, "has no check character after the dot")
        if len(check) > 1:
            raise InvalidIpNumber(
                text, f"has {len(check)} characters after the dot; the check character is one"
            )
    elif len(compact) in (8, 12) and compact.isdigit():
        raise InvalidIpNumber(
            text, f"has {len(compact)} digits but no check character (the digit after the dot)"
        )
    else:
        body, check = compact[:-1], compact[-1]
    if "X" in body:
        raise InvalidIpNumber(text, "X can only be the check character, at the end")
    if len(body) not in (8, 12):
        if "." in compact:
            problem = f"has {len(body)} digits before the dot"
        else:
            problem = f"has {len(compact)} characters"
        raise InvalidIpNumber(
            text,
            f"{problem}; an application number is 12 digits and a check character "
            "(8 digits and one if filed before 2003-10-01)",
        )

    this_year = (today or date.today()).year
    if len(body) == 12:
        year, type_digit, serial = int(body[:4]), body[4], body[5:]
        if year < TWELVE_DIGIT_SINCE.year:
            raise InvalidIpNumber(
                text,
                f"year {year} is too early: 12-digit numbers began on 2003-10-01, older "
                "applications have 8 digits",
            )
        if year > this_year:
            raise InvalidIpNumber(text, f"year {year} lies in the future")
    else:
        two_digits, type_digit, serial = int(body[:2]), body[2], body[3:]
        year = 1900 + two_digits if two_digits >= 85 else 2000 + two_digits
        if not FIRST_PATENT_YEAR <= year <= TWELVE_DIGIT_SINCE.year:
            raise InvalidIpNumber(
                text,
                f"year digits {body[:2]} are impossible in an 8-digit number: those were issued "
                "from 1985 (85) to 2003 (03)",
            )
    kind = _KIND_BY_TYPE_DIGIT.get(type_digit)
    if kind is None:
        raise InvalidIpNumber(
            text,
            f"type digit {type_digit} is not 1 (invention), 2 (utility model), 3 (design), "
            "8 (PCT invention) or 9 (PCT utility model)",
        )
    if int(serial) == 0:
        raise InvalidIpNumber(text, "serial number is zero")
    expected = patent_check_character(body)
    if check != expected:
        raise InvalidIpNumber(text, f"check digit should be {expected}, not {check}")
    return PatentNumber(application_number=f"{body}.{check}", kind=kind, filing_year=year)


def build_patent_number(filing_year: int, kind: PatentKind, serial: int) -> PatentNumber:
    """Compose a valid 12-digit application number (for demo data and tests).

    :raises ValueError: for a year before 2003 or a serial outside 1 ... 9 999 999.
    """
    if filing_year < TWELVE_DIGIT_SINCE.year or filing_year > 9999:
        raise ValueError(f"12-digit numbers exist from 2003 on, not {filing_year}")
    if not 1 <= serial <= 9_999_999:
        raise ValueError(f"serial {serial} is outside 1 ... 9999999")
    body = f"{filing_year:04d}{_TYPE_DIGIT_BY_KIND[kind]}{serial:07d}"
    check = patent_check_character(body)
    return PatentNumber(application_number=f"{body}.{check}", kind=kind, filing_year=filing_year)


def check_number_agrees(
    number: PatentNumber, *, kind: str | None = None, filing_date: date | None = None
) -> None:
    """Check that a right's declared kind and filing date agree with its application number.

    A declared ``invention`` accepts a ``pct_invention`` number (and so on): the national phase
    of a PCT application is an ordinary Chinese patent of the base kind. For PCT numbers the
    year in the number is the national-phase entry, so the (international) filing date may lie
    in an earlier year but not a later one.

    :raises InvalidIpNumber: naming the disagreement.
    """
    if kind is not None and kind not in (number.kind, number.base_kind):
        declared = PATENT_KIND_LABELS.get(kind, kind.replace("_", " "))
        raise InvalidIpNumber(
            number.application_number,
            f"the number is that of {_article(PATENT_KIND_LABELS[number.kind])}, "
            f"not of {_article(declared)}",
        )
    if filing_date is None:
        return
    if number.is_pct:
        if filing_date.year > number.filing_year:
            raise InvalidIpNumber(
                number.application_number,
                f"the international filing date {filing_date.isoformat()} is after the year "
                f"{number.filing_year} in which the number was given",
            )
        return
    if filing_date.year != number.filing_year:
        raise InvalidIpNumber(
            number.application_number,
            f"the filing date {filing_date.isoformat()} is not in {number.filing_year}, "
            "the year in the number",
        )
    if number.is_legacy and filing_date >= TWELVE_DIGIT_SINCE:
        raise InvalidIpNumber(
            number.application_number,
            f"applications filed on {filing_date.isoformat()} have 12-digit numbers; "
            "8-digit numbers ended on 2003-09-30",
        )
    if not number.is_legacy and filing_date < TWELVE_DIGIT_SINCE:
        raise InvalidIpNumber(
            number.application_number,
            f"applications filed on {filing_date.isoformat()} have 8-digit numbers; "
            "12-digit numbers began on 2003-10-01",
        )


# --- Publication numbers (公开号 / 公告号) ------------------------------------------------------

_PUBLICATION_RE = re.compile(r"(CN)?(\d+)([A-Z]?)")
#: the first digit of a publication number names the patent kind
_PUBLICATION_KIND_BY_DIGIT: dict[str, BasePatentKind] = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
}
# Kind codes by patent kind. The current standard (utility models and designs since 2010)
# uses A (application published), B (invention granted), U (utility model), S (design); from
# 1989 to 2010 granted inventions were C, utility models Y, designs D.
_KIND_CODES: dict[BasePatentKind, str] = {"invention": "ABC", "utility_model": "UY", "design": "SD"}
_NINE_DIGIT_CODES = "ABCUYSD"
#: 7-digit numbers (1989 to 2007) predate the codes U and S.
_SEVEN_DIGIT_CODES = "ABCYD"


@dataclass(frozen=True, slots=True)
class PublicationNumber:
    """A publication or grant-announcement number, e.g. ``CN110013232B``; no check digit."""

    #: canonical: ``CN`` + digits + kind code
    publication_number: str
    kind: BasePatentKind
    kind_code: str

    @property
    def is_grant(self) -> bool:
        """False for an invention application publication (A), True for grant announcements."""
        return self.kind_code != "A"

    def __str__(self) -> str:
        return self.publication_number


def parse_publication_number(text: str) -> PublicationNumber:
    """Parse ``CN110013232B``, ``CN 116455754 B``, ``cn212334209u``, ``CN1383229A`` ...

    Publication numbers have 9 digits since 2007 (7 from 1989 to 2007) and end in a kind code:
    A, B, U, S; before 2010 also C, Y, D.

    :raises InvalidIpNumber: saying what is wrong.
    """
    compact = _normalise(text, _PUBLICATION_LABELS)
    if not compact:
        raise InvalidIpNumber(text, "no publication number given")
    match = _PUBLICATION_RE.fullmatch(compact)
    if match is None:
        raise InvalidIpNumber(
            text, "a publication number is CN, 9 digits and a kind code letter, like CN110013232B"
        )
    digits, code = match.group(2), match.group(3)
    if not code:
        raise InvalidIpNumber(
            text, "has no kind code letter at the end (A, B, U or S; C, Y or D before 2010)"
        )
    if code not in _NINE_DIGIT_CODES:
        raise InvalidIpNumber(text, f"kind code {code} is not one of A, B, U, S, C, Y, D")
    if len(digits) not in (7, 9):
        raise InvalidIpNumber(
            text, f"has {len(digits)} digits; publication numbers have 9 (7 before 2007)"
        )
    if len(digits) == 7 and code not in _SEVEN_DIGIT_CODES:
        raise InvalidIpNumber(
            text, f"kind code {code} came in 2010, with 9-digit numbers; this one has 7 digits"
        )
    kind = _PUBLICATION_KIND_BY_DIGIT.get(digits[0])
    if kind is None:
        raise InvalidIpNumber(
            text,
            f"first digit {digits[0]} is not 1 (invention), 2 (utility model) or 3 (design)",
        )
    if code not in _KIND_CODES[kind]:
        allowed = ", ".join(_KIND_CODES[kind])
        raise InvalidIpNumber(
            text,
            f"kind code {code} does not fit {_article(PATENT_KIND_LABELS[kind])} number "
            f"(starting with {digits[0]}): expected {allowed}",
        )
    return PublicationNumber(publication_number=f"CN{digits}{code}", kind=kind, kind_code=code)


# --- Software copyright registration numbers (软件著作权登记号) ---------------------------------

_SOFTWARE_RE = re.compile(r"(\d{4})SR(\d+)")
#: The first Computer Software Protection Regulations took effect on 1991-10-01.
FIRST_SOFTWARE_REGISTRATION_YEAR = 1991


@dataclass(frozen=True, slots=True)
class SoftwareCopyrightNumber:
    """A Copyright Protection Center of China registration number, e.g. ``2017SR248720``."""

    #: canonical: upper case, no spaces; the serial keeps its leading zeros as issued
    registration_number: str
    year: int

    def __str__(self) -> str:
        return self.registration_number


def parse_software_copyright_number(
    text: str, *, today: date | None = None
) -> SoftwareCopyrightNumber:
    """Parse ``2017SR248720``, ``2021 sr 0589334``, ``登记号：2019SR0854684`` ...

    The serial had 6 digits until about 2018 and 7 (zero-padded) since; 5 to 7 are accepted.

    :raises InvalidIpNumber: saying what is wrong.
    """
    compact = _normalise(text, _SOFTWARE_LABELS)
    if not compact:
        raise InvalidIpNumber(text, "no registration number given")
    if "软著登字" in compact:
        raise InvalidIpNumber(
            text,
            "this is the certificate number (软著登字第…号); give the registration number, "
            "like 2017SR248720",
        )
    match = _SOFTWARE_RE.fullmatch(compact)
    if match is None:
        if "SR" not in compact:
            problem = "has no SR between the year and the serial number (like 2017SR248720)"
        else:
            problem = "a registration number is a 4-digit year, SR and digits, like 2017SR248720"
        raise InvalidIpNumber(text, problem)
    year, serial = int(match.group(1)), match.group(2)
    this_year = (today or date.today()).year
    if year < FIRST_SOFTWARE_REGISTRATION_YEAR:
        raise InvalidIpNumber(text, f"year {year} is before software registration began (1991)")
    if year > this_year:
        raise InvalidIpNumber(text, f"year {year} lies in the future")
    if not 5 <= len(serial) <= 7:
        raise InvalidIpNumber(
            text, f"serial number has {len(serial)} digits; registration numbers have 5 to 7"
        )
    if int(serial) == 0:
        raise InvalidIpNumber(text, "serial number is zero")
    return SoftwareCopyrightNumber(registration_number=f"{year}SR{serial}", year=year)


# --- Trademark registration numbers (商标注册号) ------------------------------------------------

#: Domestic registration numbers run from 1 to about 8 × 10^7 (2025); 8 digits at most.
TRADEMARK_MAX_DIGITS = 8
#: International (Madrid) registrations designating China are shown as G + WIPO number.
INTERNATIONAL_MAX_DIGITS = 7


@dataclass(frozen=True, slots=True)
class TrademarkNumber:
    """A trademark registration number: digits, or ``G`` + digits for a Madrid registration."""

    registration_number: str
    is_international: bool

    def __str__(self) -> str:
        return self.registration_number


def parse_trademark_number(text: str) -> TrademarkNumber:
    """Parse ``8086301``, ``第 8086301 号``, ``注册号：8086301``, ``G1047453`` ...

    :raises InvalidIpNumber: saying what is wrong.
    """
    compact = _normalise(text, _TRADEMARK_LABELS)
    if compact.startswith("第") and compact.endswith("号"):
        compact = compact[1:-1]
    if not compact:
        raise InvalidIpNumber(text, "no registration number given")
    international = compact.startswith("G")
    digits = compact[1:] if international else compact
    for char in digits:
        if not ("0" <= char <= "9"):
            raise InvalidIpNumber(
                text,
                f"contains {char!r}; a trademark registration number is digits only "
                "(G and digits for an international registration)",
            )
    if not digits:
        raise InvalidIpNumber(text, "has no digits after G")
    if digits.startswith("0"):
        raise InvalidIpNumber(text, "starts with 0; registration numbers do not")
    limit = INTERNATIONAL_MAX_DIGITS if international else TRADEMARK_MAX_DIGITS
    if len(digits) > limit:
        what = "international registration numbers" if international else "registration numbers"
        raise InvalidIpNumber(text, f"has {len(digits)} digits; {what} have at most {limit}")
    return TrademarkNumber(registration_number=compact, is_international=international)
