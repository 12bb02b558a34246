"""Portfolio import and export: mixed good and bad rows, re-imports, Chinese headers and
encodings, Excel files, round trips, and files that are not portfolios at all."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from openpyxl.utils.datetime import to_excel

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.audit import AuditEntry
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.rights import services
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right, RightOwner
from marketplace.rights.numbers import build_patent_number
from marketplace.rights.portfolio import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    ImportResult,
    RowResult,
    export_csv,
    export_rows,
    export_xlsx,
    import_portfolio,
)
from tests.factories import make_org, make_user

FIXTURES = Path(__file__).parent / "fixtures"

#: The good rows of portfolio_mixed.csv: line -> canonical number.
MIXED_GOOD = {
    2: "201910349801.1",
    3: "201811564288.X",
    4: "201420818800.X",
    5: "201630022770.6",
    7: "99113861.9",
    8: "12345678",
    9: "2017SR248720",
    10: "AGI01234",
}
MIXED_BAD_LINES = list(range(11, 19))


@pytest.fixture
def holder(db: Any) -> tuple[Organisation, User]:
    org = make_org(OrgKind.ENTERPRISE)
    return org, make_user(org)


def run_import(
    org: Organisation, user: User, content: bytes, filename: str = "portfolio.csv"
) -> ImportResult:
    with force_locale("en"):
        return import_portfolio(org, filename=filename, stream=io.BytesIO(content), actor=user)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def portfolio_numbers(org: Organisation) -> set[str]:
    return set(_db.session.scalars(services.portfolio_query(org).with_only_columns(Right.number)))


def by_line(result: ImportResult) -> dict[int, RowResult]:
    return {row.line: row for row in result.rows}


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def file_error(org: Organisation, user: User, content: bytes, filename: str = "x.csv") -> str:
    with pytest.raises(ValidationFailed) as excinfo:
        run_import(org, user, content, filename)
    [message] = excinfo.value.fields["file"]
    return message


# --- mixed good and bad rows --------------------------------------------------------------------


def test_mixed_file_keeps_good_rows_and_reports_bad_rows_by_line(holder):
    org, user = holder
    result = run_import(org, user, fixture("portfolio_mixed.csv"), "portfolio_mixed.csv")

    assert result.filename == "portfolio_mixed.csv"
    assert result.counts == {"created": 8, "updated": 0, "unchanged": 0, "rejected": 8}
    assert [row.line for row in result.accepted] == list(MIXED_GOOD)
    assert [row.line for row in result.rejected] == MIXED_BAD_LINES
    for row in result.accepted:
        assert row.outcome == "created" and row.reasons == [] and row.right_id is not None
    for row in result.rejected:
        assert row.outcome == "rejected" and row.reasons and row.right_id is None

    rows = by_line(result)
    # The number and title as written in the file, not canonicalised.
    assert rows[3].number == "ZL201811564288.X"
    assert rows[3].title == "一种玉米种子包衣剂"

    def reasons(line: int) -> str:
        return " | ".join(rows[line].reasons)

    assert "number: 201910349801.2: check digit should be 1, not 2" in reasons(11)
    assert reasons(12).startswith("number: ")
    assert "the number is that of a utility model, not of an invention patent" in reasons(12)
    assert reasons(13).startswith("kind: patent is not a kind of right")
    assert "filing_date: 2020-13-45 is not a date" in reasons(14)
    # the unreadable date is reported once, not again as "needs its filing date"
    assert len(rows[14].reasons) == 1
    assert "ipc_codes: H01M10 is not an IPC code like H01M 10/052." in reasons(15)
    assert "nice_classes: Nice classes run from 1 to 45, not 46." in reasons(16)
    assert reasons(17) == "title_zh: Enter the title."
    assert reasons(18) == "number: duplicate of line 2"

    # The database holds the good rows only, each once, owned by the importer.
    assert portfolio_numbers(org) == set(MIXED_GOOD.values())
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Right)) == len(MIXED_GOOD)


def test_good_rows_are_stored_with_every_field(holder):
    org, user = holder
    run_import(org, user, fixture("portfolio_mixed.csv"))
    right = services.find_right(RightKind.INVENTION, "201910349801.1")
    assert right is not None
    assert right.title_zh == "一种电池正极材料的制备方法"
    assert right.title_en == "Preparation of a cathode material"
    assert right.filing_date == date(2019, 4, 26)
    assert right.grant_date == date(2021, 3, 2)
    assert right.publication_number == "CN110013232B"
    assert right.ipc_codes == ["H01M 4/36", "H01M 10/052"]
    assert right.inventors == ["张三", "李四"]
    assert right.claim_count == 10
    assert right.paid_through == date(2027, 4, 25)
    assert right.industry == "新能源汽车"
    assert [o.organisation_id for o in right.owners] == [org.id]
    # Dates as 2014年12月22日 and 2016.1.5, a number without its dot.
    utility = services.find_right(RightKind.UTILITY_MODEL, "201420818800.X")
    assert utility is not None and utility.filing_date == date(2014, 12, 22)
    design = services.find_right(RightKind.DESIGN, "201630022770.6")
    assert design is not None and design.filing_date == date(2016, 1, 5)
    assert design.locarno_class == "09-03"
    trademark = services.find_right(RightKind.TRADEMARK, "12345678")
    assert trademark is not None and trademark.nice_classes == [9, 42]
    # Geographical indications are kept in the registry.
    gi = services.find_right(RightKind.GEOGRAPHICAL_INDICATION, "AGI01234")
    assert gi is not None and gi.title_zh == "九台贡米"


def test_reimporting_the_same_file_creates_no_duplicates(holder):
    org, user = holder
    first = run_import(org, user, fixture("portfolio_mixed.csv"))
    ids = {row.line: row.right_id for row in first.accepted}
    second = run_import(org, user, fixture("portfolio_mixed.csv"))

    assert second.counts == {"created": 0, "updated": 0, "unchanged": 8, "rejected": 8}
    assert {row.line: row.right_id for row in second.accepted} == ids
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Right)) == len(MIXED_GOOD)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(RightOwner)) == len(MIXED_GOOD)


def test_a_changed_row_is_updated_and_the_rest_unchanged(holder):
    org, user = holder
    run_import(org, user, fixture("portfolio_mixed.csv"))
    edited = fixture("portfolio_mixed.csv").replace(
        "一种玉米种子包衣剂".encode(), "玉米种衣剂".encode()
    )
    result = run_import(org, user, edited)
    assert by_line(result)[3].outcome == "updated"
    assert result.counts["updated"] == 1 and result.counts["unchanged"] == 7
    right = services.find_right(RightKind.INVENTION, "201811564288.X")
    assert right is not None and right.title_zh == "玉米种衣剂"


def test_a_column_left_out_keeps_the_existing_value(holder):
    org, user = holder
    run_import(org, user, fixture("portfolio_mixed.csv"))
    result = run_import(
        org,
        user,
        csv_bytes([["kind", "number", "claim_count"], ["invention", "201910349801.1", "12"]]),
    )
    assert [row.outcome for row in result.rows] == ["updated"]
    right = services.find_right(RightKind.INVENTION, "201910349801.1")
    assert right is not None
    assert right.claim_count == 12
    assert right.title_zh == "一种电池正极材料的制备方法"
    assert right.paid_through == date(2027, 4, 25)


def test_a_row_for_a_right_of_another_organisation_is_rejected(holder):
    org, user = holder
    other = make_org(OrgKind.UNIVERSITY)
    run_import(other, make_user(other), fixture("portfolio_gb18030.csv"))

    result = run_import(org, user, fixture("portfolio_mixed.csv"))
    rows = by_line(result)
    assert rows[2].outcome == "rejected"
    assert rows[2].reasons == [
        "number: 201910349801.1 is already registered by another organisation. File an "
        "ownership claim with evidence instead."
    ]
    assert rows[4].outcome == "rejected"  # the utility model is the other's too
    right = services.find_right(RightKind.INVENTION, "201910349801.1")
    assert right is not None
    assert [o.organisation_id for o in right.owners] == [other.id]
    assert right.title_zh == "一种锂电池正极材料的制备方法"  # the other's title, untouched
    assert "201910349801.1" not in portfolio_numbers(org)


def test_import_is_audited_once_with_the_counts(holder):
    org, user = holder
    before = _db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    result = run_import(org, user, fixture("portfolio_mixed.csv"), "C:\\Users\\me\\清单.csv")
    entries = _db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.id > before, AuditEntry.action == "portfolio.imported"
        )
    ).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.object_type, entry.object_id) == ("organisations", str(org.id))
    assert entry.actor_id == user.id and entry.organisation_id == org.id
    assert entry.after == {"filename": "清单.csv", "counts": result.counts}
    assert result.filename == "清单.csv"


def test_only_rights_holders_import(db):
    bank = make_org(OrgKind.BANK)
    with pytest.raises(Conflict):
        run_import(bank, make_user(bank), fixture("portfolio_mixed.csv"))


# --- headers, encodings, Excel -------------------------------------------------------------------


def test_chinese_headers_and_kind_names(holder):
    org, user = holder
    result = run_import(org, user, fixture("portfolio_zh.csv"))

    assert result.counts == {"created": 7, "updated": 0, "unchanged": 0, "rejected": 0}
    # A title row sits above the header: data starts on line 3.
    assert [row.line for row in result.rows] == [3, 4, 5, 6, 7, 8, 9]
    invention = services.find_right(RightKind.INVENTION, "202010007001.4")
    assert invention is not None
    assert invention.title_en == "Straw returning machine"
    assert invention.filing_date == date(2020, 3, 1)
    assert invention.inventors == ["刘一", "陈二"]
    assert invention.family_members == ["US2021123456A1", "EP3900000A1"]
    assert invention.claim_count == 12 and invention.forward_citations == 3
    assert invention.abstract == "一种用于玉米秸秆还田的机械。"
    assert services.find_right(RightKind.UTILITY_MODEL, "202120007002.9") is not None
    design = services.find_right(RightKind.DESIGN, "202230005678.4")
    assert design is not None and design.locarno_class == "09-01"
    trademark = services.find_right(RightKind.TRADEMARK, "12345678")
    assert trademark is not None and trademark.nice_classes == [9, 42]
    software = services.find_right(RightKind.SOFTWARE_COPYRIGHT, "2017SR248720")
    assert software is not None and software.first_publication_date == date(2017, 3, 1)
    variety = services.find_right(RightKind.PLANT_VARIETY, "CNA20151234.5")
    assert variety is not None and variety.plant_category == "other"
    assert services.find_right(RightKind.GEOGRAPHICAL_INDICATION, "AGI01234") is not None


def test_rejection_reasons_name_the_column_as_written_in_the_file(holder):
    org, user = holder
    content = "类型,申请号,名称,申请日\n发明专利,201910349801.2,某专利,2019-04-26\n".encode()
    result = run_import(org, user, content)
    assert result.rows[0].reasons == ["申请号: 201910349801.2: check digit should be 1, not 2"]


def test_gb18030_csv_from_chinese_excel(holder):
    org, user = holder
    result = run_import(org, user, fixture("portfolio_gb18030.csv"))
    assert result.counts["created"] == 2
    assert [row.title for row in result.rows] == [
        "一种锂电池正极材料的制备方法",
        "一种汽车座椅调节装置",
    ]
    right = services.find_right(RightKind.INVENTION, "201910349801.1")
    assert right is not None and right.inventors == ["张三", "李四"]


def test_utf16_tab_separated_text_from_excel(holder):
    org, user = holder
    text = "类型\t申请号\t名称\t申请日\r\n发明\t201910349801.1\t某专利\t2019-04-26\r\n"
    result = run_import(org, user, codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert result.counts["created"] == 1


def test_xlsx_with_excel_cells_and_a_notes_sheet_first(holder):
    org, user = holder
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes.append(["请在第二个工作表填写"])
    sheet = workbook.create_sheet("清单")
    sheet.append(["类型", "申请号", "名称", "申请日", "注册日", "尼斯分类", "权利要求项数"])
    sheet.append(["发明专利", 201910349801.1, "某发明", datetime(2019, 4, 26), None, None, 10.0])
    sheet.append([])
    sheet.append(["商标", 12345678, "某商标", None, date(2015, 3, 14), 9, None])
    sheet.append(["发明专利", 201910349801.2, "错号", date(2019, 4, 26), None, None, None])
    # a date typed into a General cell arrives as Excel's serial day number
    serial = to_excel(datetime(2016, 1, 5))
    sheet.append(["外观设计", "2016300227706", "盒", serial, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = run_import(org, user, buffer.getvalue(), "清单.xlsx")

    assert [(row.line, row.outcome) for row in result.rows] == [
        (2, "created"),
        (4, "created"),
        (5, "rejected"),
        (6, "created"),
    ]
    right = services.find_right(RightKind.INVENTION, "201910349801.1")
    assert right is not None and right.claim_count == 10
    assert right.filing_date == date(2019, 4, 26)
    trademark = services.find_right(RightKind.TRADEMARK, "12345678")
    assert trademark is not None and trademark.registration_date == date(2015, 3, 14)
    design = services.find_right(RightKind.DESIGN, "201630022770.6")
    assert design is not None and design.filing_date == date(2016, 1, 5)


def test_publication_numbers_are_checked_and_stored_canonical(holder):
    org, user = holder
    header = ["kind", "number", "title_zh", "filing_date", "publication_number"]
    result = run_import(
        org,
        user,
        csv_bytes(
            [
                header,
                ["invention", "201910349801.1", "甲", "2019-04-26", "cn 110013232 b"],
                ["invention", "201811564288.X", "乙", "2018-12-20", "CN212334209U"],
                ["trademark", "12345678", "丙", "", "CN110013232B"],
            ]
        ),
    )
    assert [row.outcome for row in result.rows] == ["created", "rejected", "rejected"]
    right = services.find_right(RightKind.INVENTION, "201910349801.1")
    assert right is not None and right.publication_number == "CN110013232B"
    assert result.rows[1].reasons == [
        "publication_number: CN212334209U is the publication number of another kind of patent."
    ]
    assert "publication_number: Only patents have publication numbers." in result.rows[2].reasons


def test_a_number_excel_turned_into_scientific_notation_is_explained(holder):
    org, user = holder
    content = csv_bytes(
        [
            ["kind", "number", "title_zh", "filing_date"],
            ["design", "2.0163E+11", "盒", "2016-01-05"],
        ]
    )
    [row] = run_import(org, user, content).rows
    assert row.outcome == "rejected"
    assert row.reasons[0].startswith("number: the spreadsheet turned the number into 2.0163E+11")


# --- export and round trips --------------------------------------------------------------------


def test_export_rows_have_every_column_as_text(holder):
    org, user = holder
    run_import(org, user, fixture("portfolio_mixed.csv"))
    rows = export_rows(org)
    assert len(rows) == len(MIXED_GOOD)
    assert all(list(row) == COLUMNS for row in rows)
    assert all(isinstance(value, str) for row in rows for value in row.values())
    invention = next(row for row in rows if row["number"] == "201910349801.1")
    assert invention["kind"] == "invention"
    assert invention["filing_date"] == "2019-04-26"
    assert invention["ipc_codes"] == "H01M 4/36; H01M 10/052"
    assert invention["inventors"] == "张三; 李四"
    assert invention["claim_count"] == "10"
    assert invention["title_en"] == "Preparation of a cathode material"
    assert invention["registration_date"] == ""
    # Another organisation's portfolio is not in it.
    assert export_rows(make_org(OrgKind.ENTERPRISE)) == []


def test_csv_export_round_trip(holder):
    org, user = holder
    run_import(org, user, fixture("portfolio_zh.csv"))
    content = export_csv(org)
    assert content.startswith(codecs.BOM_UTF8)
    header = content[len(codecs.BOM_UTF8) :].decode("utf-8").splitlines()[0]
    assert header.split(",") == COLUMNS
    assert "一种秸秆还田机" in content.decode("utf-8-sig")

    result = run_import(org, user, content, "export.csv")
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 7, "rejected": 0}


def test_xlsx_export_round_trip(holder):
    org, user = holder
    run_import(org, user, fixture("portfolio_mixed.csv"))
    run_import(org, user, fixture("portfolio_zh.csv"))  # overlapping rows: 12345678, AGI01234
    total = len(export_rows(org))
    content = export_xlsx(org)
    assert content.startswith(b"PK\x03\x04")

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    numbers = [cell.value for cell in sheet["B"][1:]]
    assert all(isinstance(number, str) for number in numbers)  # never 2.0163E+11
    filing = sheet.cell(row=numbers.index("201910349801.1") + 2, column=5)
    assert filing.is_date and filing.value == datetime(2019, 4, 26)

    result = run_import(org, user, content, "export.xlsx")
    assert result.counts == {"created": 0, "updated": 0, "unchanged": total, "rejected": 0}


def test_formula_like_text_is_exported_inert_and_round_trips(holder):
    org, user = holder
    number = build_patent_number(2020, "invention", 4242).application_number
    content = csv_bytes(
        [
            ["kind", "number", "title_zh", "filing_date"],
            ["invention", number, '=HYPERLINK("http://evil.example","x")', "2020-05-05"],
        ]
    )
    assert run_import(org, user, content).counts["created"] == 1

    exported = export_csv(org).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(org))).active
    assert sheet["C2"].data_type == "s"
    assert sheet["C2"].value.startswith("=HYPERLINK")

    for again in (export_csv(org), export_xlsx(org)):
        assert run_import(org, user, again).counts["unchanged"] == 1
    right = services.find_right(RightKind.INVENTION, number)
    assert right is not None and right.title_zh.startswith("=HYPERLINK")


def test_built_numbers_of_every_patent_kind_import(holder):
    org, user = holder
    rows = [["kind", "number", "title_zh", "filing_date"]]
    for year, kind, serial in (
        (2021, "invention", 11),
        (2022, "utility_model", 12),
        (2023, "design", 13),
    ):
        number = build_patent_number(year, kind, serial).application_number
        rows.append([kind, number, f"{kind} {serial}", f"{year}-03-01"])
    result = run_import(org, user, csv_bytes(rows))
    assert result.counts["created"] == 3


# --- files that are not portfolios ----------------------------------------------------------------


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def test_a_png_is_rejected_by_content_whatever_its_name(holder):
    org, user = holder
    assert "PNG" in file_error(org, user, PNG, "portfolio.csv")


def test_an_old_xls_file_is_rejected_with_advice(holder):
    org, user = holder
    ole2 = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504
    assert ".xls" in file_error(org, user, ole2, "portfolio.xls")


def test_a_zip_that_is_not_a_workbook_is_rejected(holder):
    org, user = holder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in file_error(org, user, buffer.getvalue(), "x.xlsx")


def test_a_damaged_xlsx_is_rejected(holder):
    org, user = holder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    assert "damaged" in file_error(org, user, buffer.getvalue(), "x.xlsx")


def test_binary_junk_is_rejected(holder):
    org, user = holder
    assert "not a CSV" in file_error(org, user, b"kind,number\x00\x01\x02\n", "x.csv")


def test_an_empty_file_is_rejected(holder):
    org, user = holder
    assert "empty" in file_error(org, user, b"\r\n  \r\n")


def test_a_file_over_5_mb_is_rejected(holder):
    org, user = holder
    content = b"kind,number,title_zh\n" + b"x" * MAX_BYTES
    assert "5 MB" in file_error(org, user, content)


def test_more_than_5000_rows_is_rejected_before_any_is_imported(holder):
    org, user = holder
    rows = [["kind", "number", "title_zh"]] + [["trademark", str(n), "t"] for n in range(1, 5002)]
    assert str(MAX_ROWS) in file_error(org, user, csv_bytes(rows))
    assert portfolio_numbers(org) == set()


def test_a_file_without_the_required_columns_is_rejected(holder):
    org, user = holder
    assert "No header row" in file_error(org, user, csv_bytes([["名称", "申请日"], ["x", "y"]]))
    message = file_error(org, user, csv_bytes([["申请号", "名称"], ["201910349801.1", "x"]]))
    assert message == "Missing columns: kind."


def test_two_columns_for_the_same_field_are_rejected(holder):
    org, user = holder
    message = file_error(
        org, user, csv_bytes([["kind", "申请号", "专利号"], ["invention", "1", "2"]])
    )
    assert "申请号" in message and "专利号" in message


# --- the result page ------------------------------------------------------------------------------


def test_result_page_lists_accepted_and_rejected_rows(app: Flask, holder):
    if "rights.portfolio" not in app.view_functions:
        pytest.skip("the rights views are not registered yet")
    from flask import render_template

    org, user = holder
    result = run_import(org, user, fixture("portfolio_mixed.csv"), "portfolio_mixed.csv")
    with app.test_request_context("/rights/import"), force_locale("en"):
        html = render_template("rights/import_result.html", result=result)
    assert "portfolio_mixed.csv" in html
    assert html.count('data-testid="accepted-row"') == 8
    assert html.count('data-testid="rejected-row"') == 8
    assert f'href="/rights/{result.accepted[0].right_id}"' in html
    assert "duplicate of line 2" in html
