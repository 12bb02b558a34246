"""Numbers of IP rights: real numbers from public records, typed forms, every rejection."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from marketplace.rights.numbers import (
    InvalidIpNumber,
    PatentNumber,
    base_patent_kind,
    build_patent_number,
    check_number_agrees,
    parse_patent_number,
    parse_publication_number,
    parse_software_copyright_number,
    parse_trademark_number,
    patent_check_character,
)

TODAY = date(2026, 6, 1)

# Application numbers copied from public records (certificates, CNIPA gazettes, company pages),
# in the form they were published, with the canonical number, kind and year they must give.
REAL_APPLICATION_NUMBERS = [
    # 12-digit numbers, since 2003-10-01
    ("201910349801.1", "201910349801.1", "invention", 2019),  # granted as CN110013232B
    ("ZL201811564288.X", "201811564288.X", "invention", 2018),
    ("201420818800X", "201420818800.X", "utility_model", 2014),
    ("2016300227706", "201630022770.6", "design", 2016),
    ("CN201880013080.0", "201880013080.0", "pct_invention", 2018),
    ("ZL 2023 1 0397744.0", "202310397744.0", "invention", 2023),  # CN116455754B
    ("ZL202011472880.4", "202011472880.4", "invention", 2020),  # CN112330675B
    ("ZL 2014 1 0026192.3", "201410026192.3", "invention", 2014),
    ("200410024861.X", "200410024861.X", "invention", 2004),
    ("ZL 2020 2 3135860.6", "202023135860.6", "utility_model", 2020),
    ("ZL 2020 2 1051878.5", "202021051878.5", "utility_model", 2020),  # CN212334209U
    ("ZL 2025 2 1843307.8", "202521843307.8", "utility_model", 2025),
    ("200620101117.X", "200620101117.X", "utility_model", 2006),
    ("ZL 2019 3 0267772.5", "201930267772.5", "design", 2019),
    ("ZL201330496875.1", "201330496875.1", "design", 2013),
    ("ZL 2022 3 0203004.5", "202230203004.5", "design", 2022),
    ("200630161199.2", "200630161199.2", "design", 2006),
    # 8-digit numbers, before 2003-10-01
    ("ZL99113861.9", "99113861.9", "invention", 1999),
    ("ZL 98 211883.X", "98211883.X", "utility_model", 1998),
    ("ZL 00 208221.7", "00208221.7", "utility_model", 2000),
    ("ZL 002 37710.1", "00237710.1", "utility_model", 2000),
    ("ZL 02 216572.X", "02216572.X", "utility_model", 2002),
    ("ZL 03 232685.8", "03232685.8", "utility_model", 2003),
]


@pytest.mark.parametrize(("text", "canonical", "kind", "year"), REAL_APPLICATION_NUMBERS)
def test_real_application_numbers_parse(text: str, canonical: str, kind: str, year: int) -> None:
    number = parse_patent_number(text, today=TODAY)
    assert number.application_number == canonical
    assert number.patent_number == "ZL" + canonical
    assert number.kind == kind
    assert number.filing_year == year
    assert number.is_legacy == (len(canonical) == 10)
    assert str(number) == canonical


@pytest.mark.parametrize(("text", "canonical", "kind", "year"), REAL_APPLICATION_NUMBERS)
def test_check_character_of_real_numbers(text: str, canonical: str, kind: str, year: int) -> None:
    body, check = canonical.split(".")
    assert patent_check_character(body) == check


@pytest.mark.parametrize(
    "typed",
    [
        "201910349801.1",
        "2019103498011",
        "ZL201910349801.1",
        "zl201910349801.1",
        "CN201910349801.1",
        "ZL 2019 1 0349801.1",
        "  ZL 2019 1 0349801 . 1  ",
        "ZL2019\t1\t0349801.1",
        "ＺＬ２０１９１０３４９８０１．１",  # full-width, as typed with a Chinese IME
        "ＺＬ　２０１９　１　０３４９８０１．１",  # ideographic spaces
        "ZL201910349801。1",  # ideographic full stop
        "专利号：ZL 2019 1 0349801.1",
        "申请号:201910349801.1",
        "专利申请号 201910349801.1",
    ],
)
def test_typed_forms_give_the_canonical_number(typed: str) -> None:
    assert parse_patent_number(typed).application_number == "201910349801.1"


@pytest.mark.parametrize(
    "typed", ["201811564288.x", "zl201811564288x", "２０１８１１５６４２８８．ｘ"]
)
def test_lower_case_and_full_width_x(typed: str) -> None:
    assert parse_patent_number(typed).application_number == "201811564288.X"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no application number given"),
        ("   ", "no application number given"),
        ("ZL", "no application number given"),
        ("2019-1-0349801.1", "contains '-'; an application number has only digits, a dot and X"),
        ("2019103498O1.1", "contains 'O'; an application number has only digits, a dot and X"),
        ("2019103.49801.1", "has more than one dot"),
        ("201910349801.", "has no check character after the dot"),
        ("20191034980.11", "has 2 characters after the dot; the check character is one"),
        ("201910349801", "has 12 digits but no check character (the digit after the dot)"),
        ("99113861", "has 8 digits but no check character (the digit after the dot)"),
        ("2019X0349801.1", "X can only be the check character, at the end"),
        (
            "ZL20221955451.7",  # a number as misprinted on a public web page
            "has 11 digits before the dot; an application number is 12 digits and a check "
            "character (8 digits and one if filed before 2003-10-01)",
        ),
        (
            "2019103498",
            "has 10 characters; an application number is 12 digits and a check character "
            "(8 digits and one if filed before 2003-10-01)",
        ),
        (
            "2001103498011",
            "year 2001 is too early: 12-digit numbers began on 2003-10-01, older applications "
            "have 8 digits",
        ),
        ("2031103498011", "year 2031 lies in the future"),
        (
            "04113861.9",
            "year digits 04 are impossible in an 8-digit number: those were issued from 1985 (85) "
            "to 2003 (03)",
        ),
        (
            "84113861.0",
            "year digits 84 are impossible in an 8-digit number: those were issued from 1985 (85) "
            "to 2003 (03)",
        ),
        (
            "201940349801.1",
            "type digit 4 is not 1 (invention), 2 (utility model), 3 (design), "
            "8 (PCT invention) or 9 (PCT utility model)",
        ),
        (
            "99513861.9",
            "type digit 5 is not 1 (invention), 2 (utility model), 3 (design), "
            "8 (PCT invention) or 9 (PCT utility model)",
        ),
        ("201910000000.1", "serial number is zero"),
        ("201910349801.3", "check digit should be 1, not 3"),
        ("ZL201811564288.1", "check digit should be X, not 1"),
        ("201420818800.0", "check digit should be X, not 0"),
        ("ZL99113861.X", "check digit should be 9, not X"),
        # "simulated data" in a public repository, made up without the check rule
        ("CN201020113916.X", "check digit should be 5, not X"),
    ],
)
def test_rejections_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InvalidIpNumber) as caught:
        parse_patent_number(text, today=TODAY)
    assert caught.value.problem == problem
    assert str(caught.value).endswith(problem)
    assert caught.value.text == text


def test_invalid_number_is_a_value_error_quoting_the_input() -> None:
    with pytest.raises(ValueError, match=r"^ZL201910349801\.3: check digit should be 1, not 3$"):
        parse_patent_number("ZL201910349801.3")


def test_invalid_number_survives_pickling() -> None:
    error = InvalidIpNumber("201910349801.3", "check digit should be 1, not 3")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.text, copy.problem) == (str(error), error.text, error.problem)


def test_every_single_digit_typo_is_caught() -> None:
    body, check = "201910349801", "1"
    for position in range(len(body)):
        for digit in "0123456789":
            if digit == body[position]:
                continue
            typo = body[:position] + digit + body[position + 1 :]
            assert patent_check_character(typo) != check, typo


def test_weights_are_the_published_ones() -> None:
    # 2·2 + 0·3 + 1·4 + 9·5 + 1·6 + 0·7 + 3·8 + 4·9 + 9·2 + 8·3 + 0·4 + 1·5 = 166 = 15·11 + 1
    assert patent_check_character("201910349801") == "1"
    # 9·2 + 9·3 + 1·4 + 1·5 + 3·6 + 8·7 + 6·8 + 1·9 = 185 = 16·11 + 9
    assert patent_check_character("99113861") == "9"


@pytest.mark.parametrize(
    "digits", ["2019103498", "2019103498011", "20191034980a", "２０１９１０３４９８０１"]
)
def test_check_character_needs_8_or_12_ascii_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="expected 8 or 12 digits"):
        patent_check_character(digits)


@pytest.mark.parametrize(
    ("kind", "type_digit"),
    [
        ("invention", "1"),
        ("utility_model", "2"),
        ("design", "3"),
        ("pct_invention", "8"),
        ("pct_utility_model", "9"),
    ],
)
def test_built_numbers_parse_back(kind: str, type_digit: str) -> None:
    for serial in (1, 349801, 9_999_999):
        built = build_patent_number(2021, kind, serial)  # type: ignore[arg-type]
        assert built.application_number[4] == type_digit
        assert parse_patent_number(built.patent_number) == built


def test_pct_utility_model_number() -> None:
    # No public PCT utility-model number was at hand; this one is composed by the same rule.
    body = "201990000123"
    number = parse_patent_number(f"CN{body}.{patent_check_character(body)}")
    assert number.kind == "pct_utility_model"
    assert number.base_kind == "utility_model"
    assert number.is_pct


@pytest.mark.parametrize(("year", "serial"), [(2002, 1), (2021, 0), (2021, 10_000_000)])
def test_build_rejects_impossible_numbers(year: int, serial: int) -> None:
    with pytest.raises(ValueError):
        build_patent_number(year, "invention", serial)


@pytest.mark.parametrize(
    ("kind", "base"),
    [
        ("invention", "invention"),
        ("pct_invention", "invention"),
        ("utility_model", "utility_model"),
        ("pct_utility_model", "utility_model"),
        ("design", "design"),
    ],
)
def test_base_patent_kind(kind: str, base: str) -> None:
    assert base_patent_kind(kind) == base


def test_base_patent_kind_rejects_other_rights() -> None:
    with pytest.raises(ValueError, match="'trademark' is not a patent kind"):
        base_patent_kind("trademark")


# --- Declared kind and filing date must agree with the number ---------------------------------


@pytest.mark.parametrize(
    ("text", "declared"),
    [
        ("201910349801.1", "invention"),
        ("201420818800X", "utility_model"),
        ("2016300227706", "design"),
        ("CN201880013080.0", "pct_invention"),
        ("CN201880013080.0", "invention"),  # the national phase is an ordinary invention patent
        ("ZL 98 211883.X", "utility_model"),
    ],
)
def test_declared_kind_agrees(text: str, declared: str) -> None:
    check_number_agrees(parse_patent_number(text), kind=declared)


@pytest.mark.parametrize(
    ("text", "declared", "problem"),
    [
        (
            "2016300227706",
            "invention",
            "the number is that of a design patent, not of an invention patent",
        ),
        (
            "201910349801.1",
            "utility_model",
            "the number is that of an invention patent, not of a utility model",
        ),
        (
            "201910349801.1",
            "pct_invention",
            "the number is that of an invention patent, not of a PCT invention (national phase)",
        ),
        (
            "201420818800X",
            "trademark",
            "the number is that of a utility model, not of a trademark",
        ),
    ],
)
def test_declared_kind_disagrees(text: str, declared: str, problem: str) -> None:
    with pytest.raises(InvalidIpNumber) as caught:
        check_number_agrees(parse_patent_number(text), kind=declared)
    assert caught.value.problem == problem


@pytest.mark.parametrize(
    ("text", "filed"),
    [
        ("201910349801.1", date(2019, 4, 24)),
        ("ZL 98 211883.X", date(1998, 3, 5)),
        ("ZL 03 232685.8", date(2003, 6, 28)),
        ("200420023327.2", date(2004, 5, 30)),
        ("CN201880013080.0", date(2017, 2, 20)),  # international filing date, earlier year
        ("CN201880013080.0", date(2018, 1, 5)),
    ],
)
def test_filing_date_agrees(text: str, filed: date) -> None:
    check_number_agrees(parse_patent_number(text), filing_date=filed)


def test_2003_numbers_switch_form_on_1_october() -> None:
    twelve = build_patent_number(2003, "invention", 100001)
    check_number_agrees(twelve, filing_date=date(2003, 10, 1))
    with pytest.raises(InvalidIpNumber, match="have 8-digit numbers"):
        check_number_agrees(twelve, filing_date=date(2003, 9, 30))
    eight = parse_patent_number("ZL 03 232685.8")
    with pytest.raises(InvalidIpNumber, match="8-digit numbers ended on 2003-09-30"):
        check_number_agrees(eight, filing_date=date(2003, 10, 1))


@pytest.mark.parametrize(
    ("text", "filed", "problem"),
    [
        (
            "201910349801.1",
            date(2018, 12, 31),
            "the filing date 2018-12-31 is not in 2019, the year in the number",
        ),
        (
            "ZL99113861.9",
            date(2000, 1, 1),
            "the filing date 2000-01-01 is not in 1999, the year in the number",
        ),
        (
            "CN201880013080.0",
            date(2019, 1, 2),
            "the international filing date 2019-01-02 is after the year 2018 in which the "
            "number was given",
        ),
    ],
)
def test_filing_date_disagrees(text: str, filed: date, problem: str) -> None:
    with pytest.raises(InvalidIpNumber) as caught:
        check_number_agrees(parse_patent_number(text), filing_date=filed)
    assert caught.value.problem == problem


def test_patent_number_is_frozen() -> None:
    number = parse_patent_number("201910349801.1")
    with pytest.raises(AttributeError):
        number.kind = "design"  # type: ignore[misc]
    assert number == PatentNumber("201910349801.1", "invention", 2019)
    assert len({number, parse_patent_number("ZL2019103498011")}) == 1


# --- Publication numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "kind", "code", "grant"),
    [
        # from public records
        ("CN110013232B", "CN110013232B", "invention", "B", True),
        ("CN110823978A", "CN110823978A", "invention", "A", False),
        ("CN 116455754 B", "CN116455754B", "invention", "B", True),
        ("CN112330675B", "CN112330675B", "invention", "B", True),
        ("CN117129738A", "CN117129738A", "invention", "A", False),
        ("CN212334209U", "CN212334209U", "utility_model", "U", True),
        ("CN211789201U", "CN211789201U", "utility_model", "U", True),
        ("CN1340998A", "CN1340998A", "invention", "A", False),  # 7-digit era
        # the forms of the older standard and of typing
        ("cn 305123456 s", "CN305123456S", "design", "S", True),
        ("CN100463836C", "CN100463836C", "invention", "C", True),
        ("CN201163128Y", "CN201163128Y", "utility_model", "Y", True),
        ("CN300712345D", "CN300712345D", "design", "D", True),
        ("CN2476286Y", "CN2476286Y", "utility_model", "Y", True),
        ("CN3123456D", "CN3123456D", "design", "D", True),
        ("ＣＮ１１００１３２３２Ｂ", "CN110013232B", "invention", "B", True),
        ("110013232B", "CN110013232B", "invention", "B", True),
        ("授权公告号：CN110013232B", "CN110013232B", "invention", "B", True),
        ("公开号: CN 110823978 A", "CN110823978A", "invention", "A", False),
    ],
)
def test_publication_numbers(text: str, canonical: str, kind: str, code: str, grant: bool) -> None:
    number = parse_publication_number(text)
    assert number.publication_number == canonical
    assert str(number) == canonical
    assert number.kind == kind
    assert number.kind_code == code
    assert number.is_grant is grant


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no publication number given"),
        (
            "CN-110013232B",
            "a publication number is CN, 9 digits and a kind code letter, like CN110013232B",
        ),
        (
            "CN110013232",
            "has no kind code letter at the end (A, B, U or S; C, Y or D before 2010)",
        ),
        ("CN110013232E", "kind code E is not one of A, B, U, S, C, Y, D"),
        ("CN11001323B", "has 8 digits; publication numbers have 9 (7 before 2007)"),
        ("CN1100132321B", "has 10 digits; publication numbers have 9 (7 before 2007)"),
        ("CN2476286U", "kind code U came in 2010, with 9-digit numbers; this one has 7 digits"),
        ("CN3123456S", "kind code S came in 2010, with 9-digit numbers; this one has 7 digits"),
        (
            "CN410013232B",
            "first digit 4 is not 1 (invention), 2 (utility model) or 3 (design)",
        ),
        (
            "CN110013232U",
            "kind code U does not fit an invention patent number (starting with 1): "
            "expected A, B, C",
        ),
        (
            "CN212334209B",
            "kind code B does not fit a utility model number (starting with 2): expected U, Y",
        ),
        (
            "CN305123456A",
            "kind code A does not fit a design patent number (starting with 3): expected S, D",
        ),
    ],
)
def test_publication_number_rejections(text: str, problem: str) -> None:
    with pytest.raises(InvalidIpNumber) as caught:
        parse_publication_number(text)
    assert caught.value.problem == problem


# --- Software copyright registration numbers -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "year"),
    [
        ("2017SR248720", "2017SR248720", 2017),
        ("2021SR0589334", "2021SR0589334", 2021),
        ("2019SR0854684", "2019SR0854684", 2019),
        ("2024SR1374380", "2024SR1374380", 2024),
        ("2011SR027284", "2011SR027284", 2011),
        ("2026SR0748746", "2026SR0748746", 2026),
        ("2017 sr 248720", "2017SR248720", 2017),
        ("２０１７ＳＲ２４８７２０", "2017SR248720", 2017),
        ("登记号：2019SR0854684", "2019SR0854684", 2019),
    ],
)
def test_software_copyright_numbers(text: str, canonical: str, year: int) -> None:
    number = parse_software_copyright_number(text, today=TODAY)
    assert number.registration_number == canonical
    assert str(number) == canonical
    assert number.year == year


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no registration number given"),
        (
            "软著登字第1234567号",
            "this is the certificate number (软著登字第…号); give the registration number, "
            "like 2017SR248720",
        ),
        ("2017248720", "has no SR between the year and the serial number (like 2017SR248720)"),
        (
            "17SR248720",
            "a registration number is a 4-digit year, SR and digits, like 2017SR248720",
        ),
        (
            "2017SR24872X",
            "a registration number is a 4-digit year, SR and digits, like 2017SR248720",
        ),
        ("1990SR248720", "year 1990 is before software registration began (1991)"),
        ("2027SR0248720", "year 2027 lies in the future"),
        ("2017SR2487", "serial number has 4 digits; registration numbers have 5 to 7"),
        ("2017SR24872011", "serial number has 8 digits; registration numbers have 5 to 7"),
        ("2017SR000000", "serial number is zero"),
    ],
)
def test_software_copyright_rejections(text: str, problem: str) -> None:
    with pytest.raises(InvalidIpNumber) as caught:
        parse_software_copyright_number(text, today=TODAY)
    assert caught.value.problem == problem


# --- Trademark registration numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "international"),
    [
        ("8086301", "8086301", False),
        ("第 8086301 号", "8086301", False),
        ("第8086301号", "8086301", False),
        ("注册号：8086301", "8086301", False),
        ("商标注册号 71234567", "71234567", False),
        ("１２３４５６７", "1234567", False),
        ("138", "138", False),
        ("G1047453", "G1047453", True),
        ("g 1047453", "G1047453", True),
    ],
)
def test_trademark_numbers(text: str, canonical: str, international: bool) -> None:
    number = parse_trademark_number(text)
    assert number.registration_number == canonical
    assert str(number) == canonical
    assert number.is_international is international


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no registration number given"),
        ("第号", "no registration number given"),
        (
            "80863O1",
            "contains 'O'; a trademark registration number is digits only "
            "(G and digits for an international registration)",
        ),
        (
            "TM8086301",
            "contains 'T'; a trademark registration number is digits only "
            "(G and digits for an international registration)",
        ),
        ("G", "has no digits after G"),
        ("08086301", "starts with 0; registration numbers do not"),
        ("123456789", "has 9 digits; registration numbers have at most 8"),
        ("G12345678", "has 8 digits; international registration numbers have at most 7"),
    ],
)
def test_trademark_rejections(text: str, problem: str) -> None:
    with pytest.raises(InvalidIpNumber) as caught:
        parse_trademark_number(text)
    assert caught.value.problem == problem
