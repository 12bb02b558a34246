"""Legal life: terms and their edge cases, remaining term, annual fees, grace period and lapse."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from marketplace.rights.terms import (
    ANNUAL_FEES,
    TERM_RULES,
    FeeStatus,
    InvalidTermFacts,
    RemainingTerm,
    add_months,
    anniversary,
    annual_fee,
    copyright_expiry,
    expiry_date,
    fee_due_date,
    fee_status,
    fee_year_on,
    late_surcharge,
    new_drug_extension_days,
    paid_through_for,
    patent_expiry,
    plant_variety_expiry,
    remaining_term,
    term_end,
    term_rule,
    trademark_expiry,
    trademark_renewal,
)

D = date

# --- Calendar arithmetic -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (D(2019, 3, 15), 1, D(2020, 3, 15)),
        (D(2020, 2, 29), 1, D(2021, 3, 1)),  # no 29 February: the anniversary is 1 March
        (D(2020, 2, 29), 4, D(2024, 2, 29)),
        (D(2020, 2, 28), 1, D(2021, 2, 28)),
        (D(2019, 3, 1), 1, D(2020, 3, 1)),
        (D(2020, 2, 29), 0, D(2020, 2, 29)),
    ],
)
def test_anniversary(start: date, years: int, expected: date) -> None:
    assert anniversary(start, years) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 3, 15), 6, D(2024, 9, 15)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # no 31 February: the month's last day
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 10, 15), 3, D(2025, 1, 15)),
        (D(2020, 5, 14), -12, D(2019, 5, 14)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- The table of terms --------------------------------------------------------------------------


def test_every_rule_names_its_law() -> None:
    for rule in TERM_RULES:
        assert rule.law, rule
        assert rule.years > 0


def test_one_rule_per_kind_category_and_version() -> None:
    keys = [(rule.kind, rule.category, rule.applies_from) for rule in TERM_RULES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("kind", "on", "category", "years"),
    [
        ("invention", D(1992, 12, 31), None, 15),
        ("invention", D(1993, 1, 1), None, 20),
        ("pct_invention", D(2015, 1, 1), None, 20),
        ("utility_model", D(1990, 1, 1), None, 5),
        ("utility_model", D(2021, 6, 1), None, 10),
        ("pct_utility_model", D(2021, 6, 1), None, 10),
        ("design", D(2021, 5, 31), None, 10),
        ("design", D(2021, 6, 1), None, 15),
        ("trademark", D(2010, 5, 14), None, 10),
        ("software_copyright", D(2017, 1, 1), "legal_person", 50),
        ("copyright", D(2017, 1, 1), "natural_person", 50),
        ("plant_variety", D(2025, 5, 31), "woody", 20),
        ("plant_variety", D(2025, 5, 31), "other", 15),
        ("plant_variety", D(2025, 6, 1), "woody", 25),
        ("plant_variety", D(2025, 6, 1), "other", 20),
    ],
)
def test_term_rule_picks_the_version_in_force(
    kind: str, on: date, category: str | None, years: int
) -> None:
    assert term_rule(kind, on=on, category=category).years == years


@pytest.mark.parametrize(
    ("kind", "on", "category"),
    [
        ("invention", D(1985, 3, 31), None),  # before the Patent Law
        ("plant_variety", D(1997, 9, 30), "other"),
        ("plant_variety", D(2020, 1, 1), None),  # category needed
        ("geographical_indication", D(2020, 1, 1), None),
        ("spaceship", D(2020, 1, 1), None),
    ],
)
def test_term_rule_refuses_what_the_law_does_not_cover(
    kind: str, on: date, category: str | None
) -> None:
    with pytest.raises(InvalidTermFacts, match="no statutory term"):
        term_rule(kind, on=on, category=category)


# --- Patents -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "filed", "expires"),
    [
        ("invention", D(1999, 9, 1), D(2019, 8, 31)),
        ("invention", D(2019, 3, 15), D(2039, 3, 14)),
        ("invention", D(2000, 3, 1), D(2020, 2, 29)),  # ends on a leap day
        ("invention", D(2001, 3, 1), D(2021, 2, 28)),
        ("invention", D(2000, 2, 29), D(2020, 2, 28)),  # 29 Feb, leap anniversary
        ("utility_model", D(2012, 2, 29), D(2022, 2, 28)),  # 29 Feb, anniversary is 1 March
        ("design", D(2016, 2, 29), D(2026, 2, 28)),
        ("design", D(2020, 2, 29), D(2030, 2, 28)),
        ("utility_model", D(2014, 12, 31), D(2024, 12, 30)),
        ("pct_invention", D(2017, 6, 1), D(2037, 5, 31)),  # from the international filing date
        ("pct_utility_model", D(2017, 6, 1), D(2027, 5, 31)),
        # the 2021 design change: 15 years for applications filed on or after 2021-06-01
        ("design", D(2021, 5, 31), D(2031, 5, 30)),
        ("design", D(2021, 6, 1), D(2036, 5, 31)),
        ("design", D(2024, 2, 29), D(2039, 2, 28)),
        # the 1984 Patent Law, for applications filed before 1993
        ("invention", D(1992, 12, 31), D(2007, 12, 30)),
        ("invention", D(1993, 1, 1), D(2012, 12, 31)),
        ("utility_model", D(1990, 5, 10), D(1995, 5, 9)),
    ],
)
def test_patent_expiry(kind: str, filed: date, expires: date) -> None:
    assert patent_expiry(kind, filed) == expires


def test_term_adjustment_adds_days_to_an_invention() -> None:
    assert patent_expiry("invention", D(2019, 3, 15), adjustment_days=100) == D(2039, 6, 22)
    assert patent_expiry("pct_invention", D(2019, 3, 15), adjustment_days=1) == D(2039, 3, 15)


@pytest.mark.parametrize("kind", ["utility_model", "design", "pct_utility_model"])
def test_adjustment_and_extension_refused_for_other_patents(kind: str) -> None:
    with pytest.raises(InvalidTermFacts, match="invention patents only"):
        patent_expiry(kind, D(2019, 3, 15), adjustment_days=10)
    with pytest.raises(InvalidTermFacts, match="invention patents only"):
        patent_expiry(kind, D(2019, 3, 15), extension_days=10)


def test_negative_days_refused() -> None:
    with pytest.raises(InvalidTermFacts, match="cannot be negative"):
        patent_expiry("invention", D(2019, 3, 15), adjustment_days=-1)
    with pytest.raises(InvalidTermFacts, match="cannot be negative"):
        patent_expiry("invention", D(2019, 3, 15), extension_days=-1)


def test_new_drug_extension_is_at_most_five_years() -> None:
    filed = D(2010, 1, 1)  # term ends 2029-12-31
    five_years = (D(2034, 12, 31) - D(2029, 12, 31)).days
    assert patent_expiry("invention", filed, extension_days=five_years) == D(2034, 12, 31)
    with pytest.raises(InvalidTermFacts, match=r"at most 5 years \(1826 days here\), not 1827"):
        patent_expiry("invention", filed, extension_days=five_years + 1)


def test_new_drug_extension_leaves_at_most_14_years_after_approval() -> None:
    filed, approved = D(2015, 1, 10), D(2024, 6, 1)  # term ends 2035-01-09
    # 14 years after approval end on 2038-05-31
    allowed = (D(2038, 5, 31) - D(2035, 1, 9)).days
    assert allowed == 1238
    expiry = patent_expiry("invention", filed, extension_days=allowed, drug_approval_date=approved)
    assert expiry == D(2038, 5, 31)
    with pytest.raises(
        InvalidTermFacts, match=r"more than 14 years .* at most 1238 days, not 1239"
    ):
        patent_expiry("invention", filed, extension_days=1239, drug_approval_date=approved)


def test_extension_applies_after_adjustment() -> None:
    # term 2039-03-14 + 30 days adjustment = 2039-04-13, + 10 days extension
    expiry = patent_expiry("invention", D(2019, 3, 15), adjustment_days=30, extension_days=10)
    assert expiry == D(2039, 4, 23)


@pytest.mark.parametrize(
    ("filed", "approved", "days"),
    [
        # approval 12 years after filing: the 5-year ceiling binds
        (D(2010, 1, 1), D(2022, 1, 1), 1826),
        # approval 9 years 5 months after filing: the 14-year limit binds
        (D(2015, 1, 10), D(2024, 6, 1), 1238),
        # approval within 6 years of filing leaves more than 14 years anyway: nothing
        (D(2015, 1, 1), D(2020, 6, 1), 0),
        (D(2015, 1, 1), D(2019, 1, 1), 0),  # less than 5 years from filing to approval
    ],
)
def test_new_drug_extension_days(filed: date, approved: date, days: int) -> None:
    expires = patent_expiry("invention", filed)
    allowed = new_drug_extension_days(filing_date=filed, approval_date=approved, expires_on=expires)
    assert allowed == days
    # whatever is computed is accepted by patent_expiry
    patent_expiry("invention", filed, extension_days=allowed, drug_approval_date=approved)


# --- Trademarks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "renewals", "expires"),
    [
        (D(2010, 5, 14), 0, D(2020, 5, 13)),
        (D(2010, 5, 14), 1, D(2030, 5, 13)),
        (D(2010, 5, 14), 3, D(2050, 5, 13)),
        # each renewal runs from the day after the previous term: 2010-03-01 ... 2020-02-29
        (D(2000, 2, 29), 0, D(2010, 2, 28)),
        (D(2000, 2, 29), 1, D(2020, 2, 29)),
    ],
)
def test_trademark_expiry(registered: date, renewals: int, expires: date) -> None:
    assert trademark_expiry(registered, renewals=renewals) == expires


def test_trademark_renewals_cannot_be_negative() -> None:
    with pytest.raises(InvalidTermFacts):
        trademark_expiry(D(2010, 5, 14), renewals=-1)


@pytest.mark.parametrize(
    ("on", "status", "renewable"),
    [
        (D(2019, 5, 13), "in_force", False),
        (D(2019, 5, 14), "in_force", True),  # 12 months before expiry
        (D(2020, 5, 13), "in_force", True),
        (D(2020, 5, 14), "grace_period", True),
        (D(2020, 11, 13), "grace_period", True),  # last day of 6 months' grace
        (D(2020, 11, 14), "expired", False),
    ],
)
def test_trademark_renewal_window_and_grace(on: date, status: str, renewable: bool) -> None:
    renewal = trademark_renewal(D(2020, 5, 13), on=on)
    assert renewal.status == status
    assert renewal.renewable is renewable
    assert renewal.window_opens == D(2019, 5, 14)
    assert renewal.grace_ends == D(2020, 11, 13)


# --- Copyright -----------------------------------------------------------------------------------


def test_legal_person_copyright_ends_31_december_of_50th_year_after_publication() -> None:
    assert copyright_expiry(natural_person=False, first_publication_date=D(2017, 6, 30)) == D(
        2067, 12, 31
    )
    assert copyright_expiry(
        natural_person=False, first_publication_date=D(2017, 1, 1), completion_date=D(2016, 12, 1)
    ) == D(2067, 12, 31)


def test_unpublished_legal_person_software_protected_50_years_from_completion() -> None:
    assert copyright_expiry(natural_person=False, completion_date=D(2000, 3, 1)) == D(2050, 2, 28)
    # published only after those 50 years: protection had already ended
    late = copyright_expiry(
        natural_person=False, completion_date=D(1960, 1, 1), first_publication_date=D(2015, 1, 1)
    )
    assert late == D(2009, 12, 31)


def test_legal_person_copyright_needs_a_date() -> None:
    with pytest.raises(InvalidTermFacts, match="first publication or completion date"):
        copyright_expiry(natural_person=False)


def test_natural_person_copyright_ends_31_december_of_50th_year_after_death() -> None:
    assert copyright_expiry(natural_person=True, author_death_date=D(2020, 1, 5)) == D(2070, 12, 31)
    # publication does not matter for a natural person's work
    assert copyright_expiry(
        natural_person=True, author_death_date=D(2020, 12, 31), first_publication_date=D(1990, 1, 1)
    ) == D(2070, 12, 31)


def test_living_author_has_no_fixed_end() -> None:
    assert copyright_expiry(natural_person=True, first_publication_date=D(2017, 1, 1)) is None


# --- Plant varieties -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "category", "expires"),
    [
        (D(2015, 6, 1), "other", D(2030, 5, 31)),  # maize, rice, soybean: 15 years
        (D(2015, 6, 1), "woody", D(2035, 5, 31)),  # trees and vines: 20 years
        (D(2025, 5, 31), "other", D(2040, 5, 30)),
        (D(2025, 5, 31), "woody", D(2045, 5, 30)),
        # granted under the 2025 revision: 20 / 25 years
        (D(2025, 6, 1), "other", D(2045, 5, 31)),
        (D(2025, 6, 1), "woody", D(2050, 5, 31)),
    ],
)
def test_plant_variety_expiry(granted: date, category: str, expires: date) -> None:
    assert plant_variety_expiry(granted, category=category) == expires  # type: ignore[arg-type]


# --- Any right, through the protocol the ORM model satisfies --------------------------------------


@dataclass(frozen=True)
class Right:
    kind: str
    filing_date: date | None = None
    grant_date: date | None = None
    registration_date: date | None = None


@dataclass(frozen=True)
class DrugPatent(Right):
    term_adjustment_days: int | None = None
    term_extension_days: int | None = None
    drug_approval_date: date | None = None


@dataclass(frozen=True)
class Trademark(Right):
    renewal_count: int = 0


@dataclass(frozen=True)
class Copyright(Right):
    first_publication_date: date | None = None
    completion_date: date | None = None
    author_death_date: date | None = None
    author_is_natural_person: bool = False


@dataclass(frozen=True)
class PlantVariety(Right):
    plant_category: str | None = None


class Kind(enum.Enum):
    invention = "invention"


class StrKind(enum.StrEnum):
    design = "design"


@dataclass(frozen=True)
class EnumRight:
    kind: object
    filing_date: date | None = None
    grant_date: date | None = None
    registration_date: date | None = None


@pytest.mark.parametrize(
    ("right", "expires"),
    [
        (Right("invention", filing_date=D(2019, 3, 15), grant_date=D(2021, 7, 2)), D(2039, 3, 14)),
        (Right("pct_invention", filing_date=D(2018, 1, 5)), D(2038, 1, 4)),
        (Right("design", filing_date=D(2021, 6, 1)), D(2036, 5, 31)),
        (
            DrugPatent("invention", filing_date=D(2019, 3, 15), term_adjustment_days=100),
            D(2039, 6, 22),
        ),
        (
            DrugPatent(
                "invention",
                filing_date=D(2015, 1, 10),
                term_extension_days=1238,
                drug_approval_date=D(2024, 6, 1),
            ),
            D(2038, 5, 31),
        ),
        (Trademark("trademark", registration_date=D(2010, 5, 14)), D(2020, 5, 13)),
        (Trademark("trademark", registration_date=D(2010, 5, 14), renewal_count=1), D(2030, 5, 13)),
        (Copyright("software_copyright", first_publication_date=D(2017, 6, 30)), D(2067, 12, 31)),
        (
            Copyright("copyright", author_is_natural_person=True, author_death_date=D(2001, 4, 1)),
            D(2051, 12, 31),
        ),
        (PlantVariety("plant_variety", grant_date=D(2015, 6, 1)), D(2030, 5, 31)),
        (
            PlantVariety("plant_variety", grant_date=D(2015, 6, 1), plant_category="woody"),
            D(2035, 5, 31),
        ),
        (EnumRight(Kind.invention, filing_date=D(2019, 3, 15)), D(2039, 3, 14)),
        (EnumRight(StrKind.design, filing_date=D(2021, 5, 31)), D(2031, 5, 30)),
    ],
)
def test_expiry_date_of_any_right(right: Right, expires: date) -> None:
    assert expiry_date(right) == expires


@pytest.mark.parametrize(
    "right",
    [
        Right("geographical_indication", registration_date=D(2008, 1, 1)),
        Copyright("software_copyright", author_is_natural_person=True),
    ],
)
def test_rights_without_a_fixed_end(right: Right) -> None:
    assert expiry_date(right) is None
    assert remaining_term(right, on=D(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("right", "message"),
    [
        (Right("invention"), "an invention needs its filing date"),
        (Right("pct_utility_model"), "a pct utility model needs its filing date"),
        (Right("trademark", filing_date=D(2019, 1, 1)), "a trademark needs its registration date"),
        (Right("plant_variety", filing_date=D(2019, 1, 1)), "a plant variety needs its grant date"),
        (Copyright("software_copyright"), "first publication or completion date"),
        (PlantVariety("plant_variety", grant_date=D(2015, 6, 1), plant_category="tree"), "woody"),
        (
            DrugPatent("invention", filing_date=D(2019, 1, 1), drug_approval_date="2024"),  # type: ignore[arg-type]
            "drug_approval_date should be a date",
        ),
        (Right("spaceship", filing_date=D(2019, 1, 1)), "unknown kind of right 'spaceship'"),
    ],
)
def test_missing_or_wrong_facts_are_named(right: Right, message: str) -> None:
    with pytest.raises(InvalidTermFacts, match=message):
        expiry_date(right)


def test_remaining_term() -> None:
    right = Right("invention", filing_date=D(2019, 3, 15))
    left = remaining_term(right, on=D(2024, 3, 15))
    assert left == RemainingTerm(expires_on=D(2039, 3, 14), on=D(2024, 3, 15))
    assert not left.expired
    assert left.days == (D(2039, 3, 14) - D(2024, 3, 15)).days + 1
    assert left.years_months == (15, 0)


@pytest.mark.parametrize(
    ("on", "days", "years_months", "expired"),
    [
        (D(2036, 1, 20), 1150, (3, 1), False),
        (D(2039, 2, 14), 29, (0, 1), False),
        (D(2039, 2, 15), 28, (0, 1), False),  # 15 Feb to 14 Mar is a whole month
        (D(2039, 2, 16), 27, (0, 0), False),
        (D(2039, 3, 14), 1, (0, 0), False),  # the last day still counts
        (D(2039, 3, 15), 0, (0, 0), True),
        (D(2045, 1, 1), 0, (0, 0), True),
    ],
)
def test_remaining_term_near_the_end(
    on: date, days: int, years_months: tuple[int, int], expired: bool
) -> None:
    left = remaining_term(Right("invention", filing_date=D(2019, 3, 15)), on=on)
    assert left is not None
    assert left.days == days
    assert left.years_months == years_months
    assert left.expired is expired


# --- Annual fees ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fee_year", "fen"),
    [
        ("invention", 1, 900_00),
        ("invention", 3, 900_00),
        ("invention", 4, 1_200_00),
        ("invention", 7, 2_000_00),
        ("invention", 10, 4_000_00),
        ("invention", 13, 6_000_00),
        ("invention", 16, 8_000_00),
        ("invention", 20, 8_000_00),
        ("invention", 21, 8_000_00),  # adjusted or extended term: the 20th year's rate
        ("pct_invention", 5, 1_200_00),
        ("utility_model", 1, 600_00),
        ("utility_model", 4, 900_00),
        ("utility_model", 6, 1_200_00),
        ("utility_model", 10, 2_000_00),
        ("pct_utility_model", 9, 2_000_00),
        ("design", 3, 600_00),
        ("design", 5, 900_00),
        ("design", 8, 1_200_00),
        ("design", 10, 2_000_00),
        ("design", 11, 3_000_00),
        ("design", 15, 3_000_00),
    ],
)
def test_annual_fee_table(kind: str, fee_year: int, fen: int) -> None:
    assert annual_fee(kind, fee_year) == fen


def test_fee_table_covers_every_year_of_each_term() -> None:
    for kind, years in (("invention", 20), ("utility_model", 10), ("design", 15)):
        bands = ANNUAL_FEES[kind]  # type: ignore[index]
        covered = [year for first, last, _ in bands for year in range(first, last + 1)]
        assert covered == list(range(1, years + 1)), kind


@pytest.mark.parametrize(
    ("kind", "fee_year"), [("invention", 0), ("utility_model", 11), ("design", 16)]
)
def test_annual_fee_refuses_years_that_do_not_exist(kind: str, fee_year: int) -> None:
    with pytest.raises(ValueError):
        annual_fee(kind, fee_year)


def test_annual_fee_is_for_patents_only() -> None:
    with pytest.raises(ValueError, match="not a patent kind"):
        annual_fee("trademark", 1)


@pytest.mark.parametrize(
    ("filed", "fee_year", "due", "paid_through"),
    [
        (D(2019, 3, 15), 1, D(2019, 3, 15), D(2020, 3, 14)),
        (D(2019, 3, 15), 6, D(2024, 3, 15), D(2025, 3, 14)),
        (D(2020, 2, 29), 2, D(2021, 3, 1), D(2022, 2, 28)),
        (D(2020, 2, 29), 5, D(2024, 2, 29), D(2025, 2, 28)),
    ],
)
def test_fee_years_run_from_the_filing_date(
    filed: date, fee_year: int, due: date, paid_through: date
) -> None:
    assert fee_due_date(filed, fee_year) == due
    assert paid_through_for(filed, fee_year) == paid_through
    assert fee_year_on(filed, due) == fee_year
    assert fee_year_on(filed, paid_through) == fee_year
    assert fee_year_on(filed, paid_through + timedelta(days=1)) == fee_year + 1


def test_fee_year_on_before_filing_is_refused() -> None:
    with pytest.raises(ValueError, match="before the filing date"):
        fee_year_on(D(2019, 3, 15), D(2019, 3, 14))
    with pytest.raises(ValueError):
        fee_due_date(D(2019, 3, 15), 0)


@pytest.mark.parametrize(
    ("paid_on", "surcharge"),
    [
        (D(2024, 3, 1), 0),  # early
        (D(2024, 3, 15), 0),  # on the due date
        (D(2024, 3, 16), 0),  # late, but within the first whole month: free
        (D(2024, 4, 15), 0),
        (D(2024, 4, 16), 6_000),  # 5 %
        (D(2024, 5, 15), 6_000),
        (D(2024, 5, 16), 12_000),  # 10 %
        (D(2024, 6, 16), 18_000),  # 15 %
        (D(2024, 7, 16), 24_000),  # 20 %
        (D(2024, 8, 15), 24_000),
        (D(2024, 8, 16), 30_000),  # 25 %, the most
        (D(2024, 9, 15), 30_000),  # last day of grace
    ],
)
def test_late_surcharge_by_month(paid_on: date, surcharge: int) -> None:
    assert late_surcharge(1_200_00, due=D(2024, 3, 15), paid_on=paid_on) == surcharge


def test_late_surcharge_after_grace_is_refused() -> None:
    with pytest.raises(ValueError, match="after the grace period"):
        late_surcharge(1_200_00, due=D(2024, 3, 15), paid_on=D(2024, 9, 16))


def test_late_surcharge_at_month_end() -> None:
    due = D(2023, 8, 31)
    assert late_surcharge(900_00, due=due, paid_on=D(2023, 9, 30)) == 0
    assert late_surcharge(900_00, due=due, paid_on=D(2023, 10, 1)) == 4_500
    assert late_surcharge(900_00, due=due, paid_on=D(2024, 2, 29)) == 22_500
    with pytest.raises(ValueError):
        late_surcharge(900_00, due=due, paid_on=D(2024, 3, 1))


@pytest.mark.parametrize(("fee", "surcharge"), [(135_00, 675), (101, 5), (110, 6), (90, 5)])
def test_late_surcharge_rounds_half_up_to_the_fen(fee: int, surcharge: int) -> None:
    assert late_surcharge(fee, due=D(2024, 3, 15), paid_on=D(2024, 4, 16)) == surcharge


FILED = D(2019, 3, 15)
THROUGH_YEAR_5 = D(2024, 3, 14)


@pytest.mark.parametrize(
    ("on", "status", "surcharge", "lapsed_on"),
    [
        (D(2024, 1, 1), "in_force", 0, None),
        (D(2024, 3, 15), "in_force", 0, None),  # due today, not late
        (D(2024, 3, 16), "grace_period", 0, None),
        (D(2024, 5, 20), "grace_period", 12_000, None),
        (D(2024, 9, 15), "grace_period", 30_000, None),
        (D(2024, 9, 16), "lapsed", 0, D(2024, 3, 15)),  # lapsed back to the due date
        (D(2040, 1, 1), "lapsed", 0, D(2024, 3, 15)),  # lapse comes before expiry
    ],
)
def test_fee_status_transitions(
    on: date, status: str, surcharge: int, lapsed_on: date | None
) -> None:
    result = fee_status("invention", filing_date=FILED, paid_through=THROUGH_YEAR_5, on=on)
    assert result.status == status
    assert result.next_due == D(2024, 3, 15)
    assert result.fee_year == 6
    assert result.fee == 1_200_00
    assert result.surcharge == surcharge
    assert result.grace_ends == D(2024, 9, 15)
    assert result.lapsed_on == lapsed_on


def test_amount_due_in_grace_period() -> None:
    result = fee_status(
        "invention", filing_date=FILED, paid_through=THROUGH_YEAR_5, on=D(2024, 5, 20)
    )
    assert result.amount_due == 1_200_00 + 12_000
    lapsed = fee_status(
        "invention", filing_date=FILED, paid_through=THROUGH_YEAR_5, on=D(2024, 9, 16)
    )
    assert lapsed.amount_due == 0


def test_fees_paid_to_the_end_of_the_term() -> None:
    through = paid_through_for(FILED, 20)
    assert through == D(2039, 3, 14)
    last_day = fee_status("invention", filing_date=FILED, paid_through=through, on=through)
    assert last_day == FeeStatus("in_force", None, None, 0, 0, None, None)
    after = fee_status("invention", filing_date=FILED, paid_through=through, on=D(2039, 3, 15))
    assert after.status == "expired"
    assert after.amount_due == 0


def test_utility_model_expires_after_ten_fee_years() -> None:
    through = paid_through_for(FILED, 10)
    assert fee_status(
        "utility_model", filing_date=FILED, paid_through=through, on=D(2029, 3, 15)
    ) == (FeeStatus("expired", None, None, 0, 0, None, None))


def test_design_filed_after_2021_06_01_pays_years_11_to_15() -> None:
    filed = D(2021, 6, 1)
    result = fee_status(
        "design", filing_date=filed, paid_through=paid_through_for(filed, 10), on=D(2031, 6, 1)
    )
    assert (result.status, result.fee_year, result.fee) == ("in_force", 11, 3_000_00)


def test_design_filed_before_2021_06_01_ends_after_ten_years() -> None:
    filed = D(2021, 5, 31)
    result = fee_status(
        "design", filing_date=filed, paid_through=paid_through_for(filed, 10), on=D(2031, 5, 31)
    )
    assert result.status == "expired"


def test_fee_status_for_a_29_february_filing() -> None:
    filed = D(2020, 2, 29)
    result = fee_status(
        "invention", filing_date=filed, paid_through=D(2021, 2, 28), on=D(2021, 3, 2)
    )
    assert (result.status, result.next_due, result.fee_year) == (
        "grace_period",
        D(2021, 3, 1),
        2,
    )
    assert result.grace_ends == D(2021, 9, 1)


def test_fee_status_with_an_adjusted_term() -> None:
    end = patent_expiry("invention", FILED, adjustment_days=100)  # 2039-06-22
    through = paid_through_for(FILED, 20)

    def on(day: date) -> FeeStatus:
        return fee_status(
            "invention", filing_date=FILED, paid_through=through, on=day, term_ends=end
        )

    due = on(D(2039, 3, 15))
    assert (due.status, due.fee_year, due.fee) == ("in_force", 21, 8_000_00)
    assert on(D(2039, 6, 22)).status == "grace_period"
    assert on(D(2039, 6, 23)).status == "expired"
    assert on(D(2039, 9, 16)).status == "lapsed"


@pytest.mark.parametrize(
    ("paid_through", "message"),
    [
        (D(2024, 3, 13), "is not the last day of a fee year"),
        (D(2024, 3, 15), "is not the last day of a fee year"),
        (D(2019, 3, 13), "is before the filing date"),
    ],
)
def test_fee_status_refuses_a_paid_through_date_off_the_fee_years(
    paid_through: date, message: str
) -> None:
    with pytest.raises(InvalidTermFacts, match=message):
        fee_status("invention", filing_date=FILED, paid_through=paid_through, on=D(2024, 4, 1))


def test_fee_status_is_for_patents_only() -> None:
    with pytest.raises(ValueError, match="not a patent kind"):
        fee_status("trademark", filing_date=FILED, paid_through=THROUGH_YEAR_5, on=D(2024, 4, 1))


def test_term_end_is_the_day_before_the_anniversary() -> None:
    assert term_end(D(2019, 3, 15), 20) == D(2039, 3, 14)
    assert term_end(D(2020, 2, 29), 1) == D(2021, 2, 28)
