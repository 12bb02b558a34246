"""Legal life of IP rights: terms, expiry, remaining term, and the patent annual-fee clock.

Pure functions and frozen dataclasses: no Flask, no database. The ORM model of a right satisfies
:class:`RightDates`, so ``remaining_term(right, on=day)`` works on it directly.

Conventions, decided once here:

* A term of N years counted from a date ends on the day *before* the N-th anniversary (a patent
  filed 1999-09-01 expires at the end of 2019-08-31). The anniversary of 29 February in a
  non-leap year is 1 March, so such a term still ends on 28 February. (Art. 5 of the
  Implementing Regulations would put that anniversary on 28 February; the two readings differ
  by one day, only for rights dated 29 February, and we keep one rule for terms and fee dates.)
* Periods in months (the 6-month grace periods) end on the same day of the last month, or on
  that month's last day when it has no such day (Implementing Regulations of the Patent Law,
  Art. 5). Moving a deadline off a public holiday is not modelled.
* Annual-fee years run from the filing date; the fee for year N is due on the (N-1)-th filing
  anniversary, computed as above -- so "paid through" is always the day before a due date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

from marketplace.rights.numbers import (
    PATENT_KIND_LABELS,
    PATENT_KINDS,
    BasePatentKind,
    base_patent_kind,
)

__all__ = [
    "ANNUAL_FEES",
    "ANNUAL_FEE_SOURCE",
    "TERM_RULES",
    "FeeStatus",
    "InvalidTermFacts",
    "RemainingTerm",
    "RightDates",
    "TermRule",
    "TrademarkRenewal",
    "add_months",
    "anniversary",
    "annual_fee",
    "copyright_expiry",
    "expiry_date",
    "fee_due_date",
    "fee_status",
    "fee_year_on",
    "late_surcharge",
    "new_drug_extension_days",
    "paid_through_for",
    "patent_expiry",
    "plant_variety_expiry",
    "remaining_term",
    "term_end",
    "term_rule",
    "trademark_expiry",
    "trademark_renewal",
]

ONE_DAY = timedelta(days=1)


class InvalidTermFacts(ValueError):
    """The dates or options given cannot produce a term: missing, contradictory or over a limit."""


# --- Calendar arithmetic ---------------------------------------------------------------------


def anniversary(start: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls on 1 March in a non-leap year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def term_end(start: date, years: int) -> date:
    """Last day of a term of ``years`` counted from ``start``: the day before the anniversary."""
    return anniversary(start, years) - ONE_DAY


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or the last day of a shorter month."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _full_months_between(start: date, end: date) -> int:
    """How many whole months fit from ``start`` up to ``end`` (``end`` not included)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


# --- The table of terms -----------------------------------------------------------------------

Anchor = Literal["filing_date", "grant_date", "registration_date", "first_publication", "death"]


@dataclass(frozen=True, slots=True)
class TermRule:
    """One version of the law's term for one kind (and category) of right."""

    kind: str
    #: plant varieties: ``woody`` (trees, fruit trees, ornamental trees, vines) or ``other``;
    #: copyright: ``legal_person`` or ``natural_person``; otherwise None
    category: str | None
    years: int
    #: the date the term is counted from
    counted_from: Anchor
    #: this version governs rights whose ``counted_from`` date (filing date for patents, grant
    #: date for plant varieties, registration date for trademarks) is on or after this day
    applies_from: date
    #: True when the term runs to 31 December of the last year (copyright)
    ends_31_december: bool
    law: str
    note: str = ""


_PATENT_1984 = "Patent Law (1984, in force 1985-04-01), Art. 45"
_PATENT_1992 = "Patent Law as amended 1992 (in force 1993-01-01), Art. 45; Art. 42 since 2009"
_PATENT_2020 = "Patent Law as amended 2020 (in force 2021-06-01), Art. 42(1)"
_OLD_RENEWAL = "renewable once for 3 years on request (not modelled: all such rights ended by 2001)"
_COPYRIGHT = "Copyright Law (2020) Art. 23; Computer Software Protection Regulations (2013) Art. 14"
_PLANTS_1997 = (
    "Regulations on the Protection of New Varieties of Plants (1997, rev. 2013 and 2014), Art. 34"
)
_PLANTS_2025 = (
    "Regulations on the Protection of New Varieties of Plants, revised 2025 (in force 2025-06-01)"
)
_PLANTS_2025_NOTE = (
    "applied by grant date; whether varieties granted earlier and still in force also get the "
    "longer term depends on the revision's transitional rules, not yet confirmed here"
)

#: Every statutory term, keyed by kind, category and the day the law's version took effect.
#: Add a row when a law changes; never edit a past row.
TERM_RULES: tuple[TermRule, ...] = (
    TermRule("invention", None, 15, "filing_date", date(1985, 4, 1), False, _PATENT_1984),
    TermRule("invention", None, 20, "filing_date", date(1993, 1, 1), False, _PATENT_1992),
    TermRule(
        "utility_model", None, 5, "filing_date", date(1985, 4, 1), False, _PATENT_1984, _OLD_RENEWAL
    ),
    TermRule("utility_model", None, 10, "filing_date", date(1993, 1, 1), False, _PATENT_1992),
    TermRule("design", None, 5, "filing_date", date(1985, 4, 1), False, _PATENT_1984, _OLD_RENEWAL),
    TermRule("design", None, 10, "filing_date", date(1993, 1, 1), False, _PATENT_1992),
    TermRule(
        "design",
        None,
        15,
        "filing_date",
        date(2021, 6, 1),
        False,
        _PATENT_2020,
        "applications filed on or after 2021-06-01",
    ),
    TermRule(
        "trademark",
        None,
        10,
        "registration_date",
        date(1983, 3, 1),
        False,
        "Trademark Law (1982, in force 1983-03-01); Art. 39 and 40 of the 2019 text",
        "renewable for 10 years at a time, each from the day after the previous term ends",
    ),
    TermRule(
        "software_copyright",
        "legal_person",
        50,
        "first_publication",
        date.min,
        True,
        _COPYRIGHT,
        "ends 31 December of the 50th year after first publication; unpublished software is "
        "no longer protected 50 years after completion",
    ),
    TermRule(
        "software_copyright",
        "natural_person",
        50,
        "death",
        date.min,
        True,
        _COPYRIGHT,
        "ends 31 December of the 50th year after the (last surviving) author's death",
    ),
    TermRule("plant_variety", "woody", 20, "grant_date", date(1997, 10, 1), False, _PLANTS_1997),
    TermRule("plant_variety", "other", 15, "grant_date", date(1997, 10, 1), False, _PLANTS_1997),
    TermRule(
        "plant_variety",
        "woody",
        25,
        "grant_date",
        date(2025, 6, 1),
        False,
        _PLANTS_2025,
        _PLANTS_2025_NOTE,
    ),
    TermRule(
        "plant_variety",
        "other",
        20,
        "grant_date",
        date(2025, 6, 1),
        False,
        _PLANTS_2025,
        _PLANTS_2025_NOTE,
    ),
)

PlantCategory = Literal["woody", "other"]
#: other works (not software) follow the same Copyright Law Art. 23 terms
_COPYRIGHT_KINDS = ("software_copyright", "copyright")


def _rule_kind(kind: str) -> str:
    if kind in PATENT_KINDS:
        return base_patent_kind(kind)
    if kind in _COPYRIGHT_KINDS:
        return "software_copyright"
    return kind


def term_rule(kind: str, *, on: date, category: str | None = None) -> TermRule:
    """The version of the term that governs a right whose anchor date is ``on``.

    :raises InvalidTermFacts: when no version applies (unknown kind, or a date before the law).
    """
    rule_kind = _rule_kind(kind)
    candidates = [
        rule
        for rule in TERM_RULES
        if rule.kind == rule_kind and rule.category == category and rule.applies_from <= on
    ]
    if not candidates:
        raise InvalidTermFacts(
            f"no statutory term for kind {kind!r}"
            + (f", category {category!r}" if category else "")
            + f" on {on.isoformat()}"
        )
    return max(candidates, key=lambda rule: rule.applies_from)


# --- Patents -----------------------------------------------------------------------------------

#: Patent Law Art. 42(3): a new-drug extension is at most 5 years ...
DRUG_EXTENSION_MAX_YEARS = 5
#: ... and leaves at most 14 years of term after marketing approval in China.
DRUG_MAX_YEARS_AFTER_APPROVAL = 14


def patent_expiry(
    kind: str,
    filing_date: date,
    *,
    adjustment_days: int = 0,
    extension_days: int = 0,
    drug_approval_date: date | None = None,
) -> date:
    """Last day of a patent's term.

    :param kind: ``invention``, ``utility_model``, ``design`` or a ``pct_`` kind; for PCT
        national-phase patents ``filing_date`` is the international filing date.
    :param adjustment_days: patent term adjustment for unreasonable examination delay granted by
        CNIPA (Patent Law Art. 42(2)); invention patents only.
    :param extension_days: new-drug term extension granted by CNIPA (Art. 42(3)); invention
        patents only, applied after any adjustment.
    :param drug_approval_date: marketing approval in China; when given, the extension is checked
        against the 14-year limit.
    :raises InvalidTermFacts: for negative days, days on a kind that cannot have them, or an
        extension over 5 years or leaving more than 14 years after approval.
    """
    base = base_patent_kind(kind)
    if adjustment_days < 0 or extension_days < 0:
        raise InvalidTermFacts("term adjustment and extension cannot be negative")
    if (adjustment_days or extension_days) and base != "invention":
        raise InvalidTermFacts(
            "term adjustment and new-drug extension apply to invention patents only"
        )
    end = term_end(filing_date, term_rule(base, on=filing_date).years) + timedelta(
        days=adjustment_days
    )
    if extension_days:
        longest = (anniversary(end, DRUG_EXTENSION_MAX_YEARS) - end).days
        if extension_days > longest:
            raise InvalidTermFacts(
                f"a new-drug extension is at most {DRUG_EXTENSION_MAX_YEARS} years "
                f"({longest} days here), not {extension_days} days"
            )
        if drug_approval_date is not None:
            latest = term_end(drug_approval_date, DRUG_MAX_YEARS_AFTER_APPROVAL)
            if end + timedelta(days=extension_days) > latest:
                allowed = max((latest - end).days, 0)
                raise InvalidTermFacts(
                    f"the extension would leave more than {DRUG_MAX_YEARS_AFTER_APPROVAL} years "
                    f"of term after approval on {drug_approval_date.isoformat()}: at most "
                    f"{allowed} days, not {extension_days}"
                )
        end += timedelta(days=extension_days)
    return end


def new_drug_extension_days(*, filing_date: date, approval_date: date, expires_on: date) -> int:
    """Days of new-drug extension the law allows (Patent Law Art. 42(3); Implementing
    Regulations 2023, Art. 80): the time from filing to marketing approval in China minus 5
    years, at most 5 years, and leaving at most 14 years of term after approval.

    :param expires_on: the last day without extension (including any term adjustment).
    """
    wanted = (approval_date - anniversary(filing_date, 5)).days
    longest = (anniversary(expires_on, DRUG_EXTENSION_MAX_YEARS) - expires_on).days
    within_14 = (term_end(approval_date, DRUG_MAX_YEARS_AFTER_APPROVAL) - expires_on).days
    return max(0, min(wanted, longest, within_14))


# --- Trademarks --------------------------------------------------------------------------------

#: Trademark Law Art. 40: renewal may be filed in the 12 months before expiry ...
RENEWAL_WINDOW_MONTHS = 12
#: ... or within 6 months' grace after it.
RENEWAL_GRACE_MONTHS = 6


def trademark_expiry(registration_date: date, *, renewals: int = 0) -> date:
    """Last day of the current term after ``renewals`` renewals; each renewed term runs 10 years
    from the day after the previous one ended."""
    if renewals < 0:
        raise InvalidTermFacts("renewals cannot be negative")
    years = term_rule("trademark", on=registration_date).years
    start, end = registration_date, registration_date
    for _ in range(renewals + 1):
        end = term_end(start, years)
        start = end + ONE_DAY
    return end


TrademarkStanding = Literal["in_force", "grace_period", "expired"]


@dataclass(frozen=True, slots=True)
class TrademarkRenewal:
    """Where a trademark stands in its renewal cycle on a given day."""

    status: TrademarkStanding
    expires_on: date
    #: first day a renewal may be filed
    window_opens: date
    #: last day of the 6 months' grace; after it the registration is cancelled
    grace_ends: date
    #: whether a renewal may be filed on that day
    renewable: bool


def trademark_renewal(expires_on: date, *, on: date) -> TrademarkRenewal:
    """The renewal window and grace period around ``expires_on``, seen on ``on``."""
    window_opens = add_months(expires_on + ONE_DAY, -RENEWAL_WINDOW_MONTHS)
    grace_ends = add_months(expires_on, RENEWAL_GRACE_MONTHS)
    status: TrademarkStanding
    if on <= expires_on:
        status = "in_force"
    elif on <= grace_ends:
        status = "grace_period"
    else:
        status = "expired"
    return TrademarkRenewal(
        status=status,
        expires_on=expires_on,
        window_opens=window_opens,
        grace_ends=grace_ends,
        renewable=window_opens <= on <= grace_ends,
    )


# --- Copyright ---------------------------------------------------------------------------------


def copyright_expiry(
    *,
    natural_person: bool,
    first_publication_date: date | None = None,
    completion_date: date | None = None,
    author_death_date: date | None = None,
) -> date | None:
    """Last day of a (software) copyright's economic rights.

    A natural person's work: 31 December of the 50th year after the author's death; ``None``
    while the author lives (the end is not yet fixed). A legal person's work: 31 December of the
    50th year after first publication; if still unpublished, protection ends 50 years after
    completion -- a provisional end that publication before then replaces.

    :raises InvalidTermFacts: when a legal person's work has neither date.
    """
    if natural_person:
        if author_death_date is None:
            return None
        years = term_rule("software_copyright", on=author_death_date, category="natural_person")
        return date(author_death_date.year + years.years, 12, 31)
    anchor = first_publication_date if first_publication_date is not None else completion_date
    if anchor is None:
        raise InvalidTermFacts(
            "a legal person's copyright needs the first publication or completion date"
        )
    rule = term_rule("software_copyright", on=anchor, category="legal_person")
    unpublished_end = term_end(completion_date, rule.years) if completion_date else None
    if first_publication_date is None or (
        unpublished_end is not None and first_publication_date > unpublished_end
    ):
        # never published within 50 years of completion: protection ended then
        return unpublished_end
    return date(first_publication_date.year + rule.years, 12, 31)


# --- Plant varieties ---------------------------------------------------------------------------


def plant_variety_expiry(grant_date: date, *, category: PlantCategory = "other") -> date:
    """Last day of a plant variety right, counted from grant; ``woody`` covers trees, fruit
    trees, ornamental trees and vines, ``other`` everything else (maize, rice, soybean ...)."""
    return term_end(grant_date, term_rule("plant_variety", on=grant_date, category=category).years)


# --- Any right ---------------------------------------------------------------------------------


class RightDates(Protocol):
    """What :func:`expiry_date` and :func:`remaining_term` read from a right.

    Optional attributes, read when present: ``term_adjustment_days``, ``term_extension_days``,
    ``drug_approval_date`` (invention patents); ``renewal_count`` (trademarks);
    ``first_publication_date``, ``completion_date``, ``author_death_date``,
    ``author_is_natural_person`` (copyright; default: a legal person's work);
    ``plant_category`` (``woody`` or ``other``, the default).
    """

    @property
    def kind(self) -> str: ...

    @property
    def filing_date(self) -> date | None: ...

    @property
    def grant_date(self) -> date | None: ...

    @property
    def registration_date(self) -> date | None: ...


def _kind_of(right: RightDates) -> str:
    kind = right.kind
    # accept an Enum whose values are the kind names as well as a plain string
    value = getattr(kind, "value", kind)
    return str(value)


def _optional_int(right: RightDates, name: str) -> int:
    value = getattr(right, name, None)
    return int(value) if value is not None else 0


def _optional_date(right: RightDates, name: str) -> date | None:
    value = getattr(right, name, None)
    if value is None or isinstance(value, date):
        return value
    raise InvalidTermFacts(f"{name} should be a date, not {value!r}")


def _required(value: date | None, kind: str, what: str) -> date:
    if value is None:
        noun = kind.replace("_", " ")
        article = "an" if noun[:1] in "aeio" else "a"  # "a utility model"
        raise InvalidTermFacts(f"{article} {noun} needs its {what} to compute its term")
    return value


def expiry_date(right: RightDates) -> date | None:
    """Last day of protection of any right; ``None`` when the law sets no end (geographical
    indications, works of a living author).

    :raises InvalidTermFacts: when a date the term needs is missing, or for an unknown kind.
    """
    kind = _kind_of(right)
    if kind in PATENT_KINDS:
        return patent_expiry(
            kind,
            _required(right.filing_date, kind, "filing date"),
            adjustment_days=_optional_int(right, "term_adjustment_days"),
            extension_days=_optional_int(right, "term_extension_days"),
            drug_approval_date=_optional_date(right, "drug_approval_date"),
        )
    if kind == "trademark":
        return trademark_expiry(
            _required(right.registration_date, kind, "registration date"),
            renewals=_optional_int(right, "renewal_count"),
        )
    if kind in _COPYRIGHT_KINDS:
        return copyright_expiry(
            natural_person=bool(getattr(right, "author_is_natural_person", False)),
            first_publication_date=_optional_date(right, "first_publication_date"),
            completion_date=_optional_date(right, "completion_date"),
            author_death_date=_optional_date(right, "author_death_date"),
        )
    if kind == "plant_variety":
        category = getattr(right, "plant_category", None) or "other"
        category = str(getattr(category, "value", category))
        if category not in ("woody", "other"):
            raise InvalidTermFacts(f"plant category must be woody or other, not {category!r}")
        return plant_variety_expiry(
            _required(right.grant_date, kind, "grant date"),
            category="woody" if category == "woody" else "other",
        )
    if kind == "geographical_indication":
        return None
    raise InvalidTermFacts(f"unknown kind of right {kind!r}")


@dataclass(frozen=True, slots=True)
class RemainingTerm:
    """How much of a right's term is left on a given day."""

    expires_on: date
    on: date

    @property
    def expired(self) -> bool:
        return self.on > self.expires_on

    @property
    def days(self) -> int:
        """Days of protection left, counting ``on`` itself; 0 once expired."""
        return max((self.expires_on - self.on).days + 1, 0)

    @property
    def years_months(self) -> tuple[int, int]:
        """Whole years and months left, for display ("3 years 4 months")."""
        if self.expired:
            return (0, 0)
        months = _full_months_between(self.on, self.expires_on + ONE_DAY)
        return divmod(months, 12)


def remaining_term(right: RightDates, *, on: date) -> RemainingTerm | None:
    """The term left on ``on``; ``None`` when the law sets no end (see :func:`expiry_date`).

    :raises InvalidTermFacts: when a date the term needs is missing.
    """
    expires_on = expiry_date(right)
    return None if expires_on is None else RemainingTerm(expires_on=expires_on, on=on)


# --- Patent annual fees ------------------------------------------------------------------------

ANNUAL_FEE_SOURCE = (
    "CNIPA fee schedule (专利收费标准), set by NDRC and MoF in 发改价格〔2017〕270号; design "
    "years 11-15 (designs filed on or after 2021-06-01) by the NDRC/MoF notice of March 2022, "
    "charged from 2022-05-05"
)
#: Standard annual fee (年费) in fen, before any fee reduction (费减), per patent kind, as
#: (first fee year, last fee year, fee per year). Source: :data:`ANNUAL_FEE_SOURCE`.
ANNUAL_FEES: dict[BasePatentKind, tuple[tuple[int, int, int], ...]] = {
    "invention": (
        (1, 3, 900_00),
        (4, 6, 1_200_00),
        (7, 9, 2_000_00),
        (10, 12, 4_000_00),
        (13, 15, 6_000_00),
        (16, 20, 8_000_00),
    ),
    "utility_model": ((1, 3, 600_00), (4, 5, 900_00), (6, 8, 1_200_00), (9, 10, 2_000_00)),
    "design": (
        (1, 3, 600_00),
        (4, 5, 900_00),
        (6, 8, 1_200_00),
        (9, 10, 2_000_00),
        (11, 15, 3_000_00),
    ),
}
#: Late fee: 5 % of the year's full fee for each whole month late after the first (Implementing
#: Regulations Art. 98 / 2023 text Art. 116; Patent Examination Guidelines Part V Ch. 9):
#: up to one month late costs nothing, in the sixth month 25 %.
SURCHARGE_PERCENT_PER_MONTH = 5
FEE_GRACE_MONTHS = 6


def annual_fee(kind: str, fee_year: int) -> int:
    """The standard annual fee in fen for ``fee_year`` (1 = the year starting on the filing date).

    Years of an invention patent beyond the 20th (term adjustment or extension) are charged at
    the 20th year's rate -- an assumption, as the table has no such rows.
    """
    base = base_patent_kind(kind)
    if fee_year < 1:
        raise ValueError(f"fee years start at 1, not {fee_year}")
    bands = ANNUAL_FEES[base]
    for first, last, fee in bands:
        if first <= fee_year <= last:
            return fee
    if base == "invention":
        return bands[-1][2]
    raise ValueError(f"{PATENT_KIND_LABELS[base]} has no fee year {fee_year}")


def fee_due_date(filing_date: date, fee_year: int) -> date:
    """Due date of the fee for ``fee_year``: the start of that fee year."""
    if fee_year < 1:
        raise ValueError(f"fee years start at 1, not {fee_year}")
    return anniversary(filing_date, fee_year - 1)


def paid_through_for(filing_date: date, fee_year: int) -> date:
    """Last day covered once the fee for ``fee_year`` is paid."""
    return fee_due_date(filing_date, fee_year + 1) - ONE_DAY


def fee_year_on(filing_date: date, day: date) -> int:
    """The fee year that ``day`` falls in."""
    if day < filing_date:
        raise ValueError(f"{day.isoformat()} is before the filing date {filing_date.isoformat()}")
    year = max(day.year - filing_date.year, 1)
    while year > 1 and fee_due_date(filing_date, year) > day:
        year -= 1
    while fee_due_date(filing_date, year + 1) <= day:
        year += 1
    return year


def late_surcharge(fee: int, *, due: date, paid_on: date) -> int:
    """Late fee in fen for paying ``fee`` (fen) on ``paid_on`` when it was due on ``due``.

    :raises ValueError: when ``paid_on`` is after the grace period: the right has lapsed.
    """
    if paid_on <= due:
        return 0
    if paid_on > add_months(due, FEE_GRACE_MONTHS):
        raise ValueError(
            f"{paid_on.isoformat()} is after the grace period for the fee due {due.isoformat()}"
        )
    # a month begun counts only from the second: up to one whole month late is free
    months = sum(1 for k in range(1, FEE_GRACE_MONTHS) if add_months(due, k) < paid_on)
    # round half up to the fen (only reduced fees can produce fractions)
    return (fee * SURCHARGE_PERCENT_PER_MONTH * months + 50) // 100


FeeStanding = Literal["in_force", "grace_period", "lapsed", "expired"]


@dataclass(frozen=True, slots=True)
class FeeStatus:
    """A patent's standing by its annual fees on one day. ``status`` uses the values of
    ``RightStatus``."""

    status: FeeStanding
    #: due date of the first unpaid fee year; None when paid to the end of the term
    next_due: date | None
    fee_year: int | None
    #: standard fee in fen for that year (0 when nothing is due)
    fee: int
    #: late fee in fen if paid on the day asked about
    surcharge: int
    #: last day the fee can still be paid with a surcharge
    grace_ends: date | None
    #: for a lapsed patent: the day its right is treated as having ended (the due date)
    lapsed_on: date | None

    @property
    def amount_due(self) -> int:
        """Fee plus surcharge in fen, payable on the day asked about; 0 when none is payable."""
        if self.status in ("in_force", "grace_period") and self.next_due is not None:
            return self.fee + self.surcharge
        return 0


def fee_status(
    kind: str,
    *,
    filing_date: date,
    paid_through: date,
    on: date,
    term_ends: date | None = None,
) -> FeeStatus:
    """Standing of a patent on ``on`` given the last day its fees cover.

    Fee year N is due on the (N-1)-th filing anniversary. Unpaid on the due date, the patent is
    in its grace period for 6 months, payable with a surcharge; unpaid after that it has lapsed,
    as of the due date. After the term's last day it is expired (unless it lapsed first).

    :param paid_through: last day covered by the fees paid: the day before a filing anniversary
        (see :func:`paid_through_for`).
    :param term_ends: the patent's last day if not the statutory one (term adjustment or
        extension); default :func:`patent_expiry` of ``kind`` and ``filing_date``.
    :raises InvalidTermFacts: when ``paid_through`` is not the last day of a fee year.
    """
    base = base_patent_kind(kind)
    end = term_ends or patent_expiry(base, filing_date)
    next_due = paid_through + ONE_DAY
    if next_due < filing_date:
        raise InvalidTermFacts(
            f"paid-through date {paid_through.isoformat()} is before the filing date "
            f"{filing_date.isoformat()}"
        )
    fee_year = fee_year_on(filing_date, next_due)
    if fee_due_date(filing_date, fee_year) != next_due:
        example = paid_through_for(filing_date, fee_year)
        raise InvalidTermFacts(
            f"paid-through date {paid_through.isoformat()} is not the last day of a fee year; "
            f"fee years of a patent filed on {filing_date.isoformat()} end the day before each "
            f"anniversary, e.g. {example.isoformat()}"
        )
    if next_due > end:
        return FeeStatus(
            status="expired" if on > end else "in_force",
            next_due=None,
            fee_year=None,
            fee=0,
            surcharge=0,
            grace_ends=None,
            lapsed_on=None,
        )
    fee = annual_fee(base, fee_year)
    grace_ends = add_months(next_due, FEE_GRACE_MONTHS)
    status: FeeStanding
    surcharge = 0
    lapsed_on = None
    if on > grace_ends:
        status, lapsed_on = "lapsed", next_due
    elif on > end:
        status = "expired"
    elif on > next_due:
        status = "grace_period"
        surcharge = late_surcharge(fee, due=next_due, paid_on=on)
    else:
        status = "in_force"
    return FeeStatus(
        status=status,
        next_due=next_due,
        fee_year=fee_year,
        fee=fee,
        surcharge=surcharge,
        grace_ends=grace_ends,
        lapsed_on=lapsed_on,
    )
