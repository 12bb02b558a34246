"""Portfolio import and export: a company's rights as a CSV or Excel (.xlsx) file.

Import reads one right per row, validates it with the registry's own rules
(:func:`services.register_right`) inside a savepoint, so a bad row changes nothing and the good
rows are kept; the result lists every row with its outcome and, for a rejected row, the reasons
by column. Re-importing a file changes nothing: a right is found by its kind and canonical
number. A column missing from the file leaves that field of an existing right as it is; a
column present with an empty cell clears it.

Export writes the same columns (:data:`COLUMNS`), so an exported file imports back unchanged.
Like every service, import flushes and never commits; the caller commits once.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO, NoReturn

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, OrgCategory, User
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.rights import numbers, services
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
#: A 5 MB .xlsx can inflate a thousandfold; refuse archives that would unpack beyond this.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: A title row or two may sit above the header ("某某公司知识产权清单").
HEADER_SEARCH_ROWS = 10

#: The file's columns, in order: every field of :class:`services.RightData`.
COLUMNS: list[str] = [
    "kind",
    "number",
    "title_zh",
    "title_en",
    "filing_date",
    "grant_date",
    "registration_date",
    "publication_number",
    "ipc_codes",
    "locarno_class",
    "nice_classes",
    "inventors",
    "claim_count",
    "family_members",
    "forward_citations",
    "paid_through",
    "industry",
    "abstract",
    "first_publication_date",
    "completion_date",
    "author_death_date",
    "author_is_natural_person",
    "plant_category",
    "term_adjustment_days",
    "term_extension_days",
    "drug_approval_date",
    "renewal_count",
]
REQUIRED_COLUMNS = ("kind", "number")

_DATE_COLUMNS = frozenset(
    {
        "filing_date",
        "grant_date",
        "registration_date",
        "paid_through",
        "first_publication_date",
        "completion_date",
        "author_death_date",
        "drug_approval_date",
    }
)
_LIST_COLUMNS = frozenset({"ipc_codes", "inventors", "family_members"})
_INT_COLUMNS = frozenset(
    {
        "claim_count",
        "forward_citations",
        "term_adjustment_days",
        "term_extension_days",
        "renewal_count",
    }
)
#: Integer columns whose empty cell means 0 rather than "unknown".
_ZERO_DEFAULT = frozenset(_INT_COLUMNS - {"claim_count"})
_BOOL_COLUMNS = frozenset({"author_is_natural_person"})
_REQUIRED_TEXT = frozenset({"title_zh"})

#: Header names people use, besides the column keys themselves. Compared after folding (see
#: :func:`_fold_header`): full-width forms, case, spaces, ``_``, ``*`` and "(...)" are ignored.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "kind": ("类型", "权利类型", "知识产权类型", "种类", "type"),
    "number": (
        "申请号",
        "号码",
        "专利号",
        "专利申请号",
        "申请号/专利号",
        "注册号",
        "商标注册号",
        "登记号",
        "品种权号",
        "application number",
        "registration number",
    ),
    "title_zh": (
        "名称",
        "中文名称",
        "专利名称",
        "发明名称",
        "商标名称",
        "软件名称",
        "作品名称",
        "品种名称",
        "标题",
        "title",
    ),
    "title_en": ("英文名称", "english title"),
    "filing_date": ("申请日", "申请日期"),
    "grant_date": ("授权日", "授权日期", "授权公告日"),
    "registration_date": ("注册日", "注册日期", "登记日", "登记日期"),
    "publication_number": ("公告号", "公开号", "授权公告号", "公开（公告）号", "公布号"),
    "ipc_codes": ("IPC", "IPC分类号", "分类号", "主分类号", "国际专利分类"),
    "locarno_class": ("洛迦诺分类", "洛迦诺分类号", "locarno"),
    "nice_classes": ("尼斯分类", "商标类别", "nice", "nice class"),
    "inventors": ("发明人", "设计人", "发明人/设计人", "作者", "育种人", "authors"),
    "claim_count": ("权利要求项数", "权利要求数", "权利要求数量", "claims"),
    "family_members": ("同族", "同族专利", "同族成员", "family"),
    "forward_citations": ("被引次数", "被引用次数", "被引证次数", "citations"),
    "paid_through": ("年费缴至", "年费缴至日", "年费缴纳至"),
    "industry": ("产业", "行业", "所属产业", "所属行业"),
    "abstract": ("摘要",),
    "first_publication_date": ("首次发表日", "首次发表日期"),
    "completion_date": ("开发完成日", "开发完成日期", "创作完成日", "完成日期"),
    "author_death_date": ("作者死亡日", "作者死亡日期"),
    "author_is_natural_person": ("作者为自然人", "作者是否自然人"),
    "plant_category": ("植物类别", "品种类别"),
    "term_adjustment_days": ("期限补偿天数", "专利权期限补偿天数"),
    "term_extension_days": ("新药期限补偿天数", "期限延长天数"),
    "drug_approval_date": ("新药上市批准日", "上市批准日"),
    "renewal_count": ("续展次数",),
}

#: Kind names people write, besides the codes: 发明专利, 实用新型, 商标 ...
KIND_ALIASES: dict[RightKind, tuple[str, ...]] = {
    RightKind.INVENTION: ("发明专利", "发明", "invention patent", "pct_invention", "PCT发明"),
    RightKind.UTILITY_MODEL: ("实用新型", "实用新型专利", "utility model", "pct_utility_model"),
    RightKind.DESIGN: ("外观设计", "外观设计专利", "外观", "design patent"),
    RightKind.TRADEMARK: ("商标", "注册商标"),
    RightKind.SOFTWARE_COPYRIGHT: ("软件著作权", "计算机软件著作权", "软著", "software copyright"),
    RightKind.COPYRIGHT: ("作品著作权", "著作权", "版权"),
    RightKind.PLANT_VARIETY: ("植物新品种", "植物新品种权", "品种权", "plant variety right"),
    RightKind.GEOGRAPHICAL_INDICATION: ("地理标志", "地理标志产品", "geographical indication"),
}

_MULTI_SEPARATORS = re.compile(r"[;；,，、\r\n]+")
_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
#: What Excel makes of a long number typed into a cell of the General format.
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
#: Text cells starting with these are formulas to a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Excel's day 1 is 1900-01-01; its serial dates are small numbers, YYYYMMDD are not.
_EXCEL_SERIAL_MAX = 2_958_465

_PLANT_CATEGORIES = {"木本": "woody", "藤本": "woody", "草本": "other", "其他": "other"}
_YES = frozenset({"yes", "y", "true", "1", "是", "√", "✓"})
_NO = frozenset({"", "no", "n", "false", "0", "否", "×"})

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"

Cell = str | int | float | date | datetime | bool | None


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    """One data row of the file."""

    #: Line number as a person sees it: the spreadsheet's row number, header = line 1.
    line: int
    #: The number as written in the file.
    number: str
    title: str
    #: ``created``, ``updated``, ``unchanged`` or ``rejected``.
    outcome: str
    #: ``column: message`` for each problem; empty unless rejected.
    reasons: list[str]
    right_id: int | None

    @property
    def accepted(self) -> bool:
        return self.outcome != "rejected"


OUTCOMES = ("created", "updated", "unchanged", "rejected")


@dataclass(frozen=True)
class ImportResult:
    filename: str
    rows: list[RowResult]

    @property
    def accepted(self) -> list[RowResult]:
        return [row for row in self.rows if row.accepted]

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if not row.accepted]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts


# --- import -----------------------------------------------------------------------------------


def import_portfolio(
    org: Organisation, *, filename: str, stream: BinaryIO, actor: User
) -> ImportResult:
    """Register every row of a CSV or XLSX file in ``org``'s portfolio; flushes, never commits.

    Each row is registered in its own savepoint: a rejected row changes nothing, the accepted
    rows stay. One audit entry summarises the import.

    :raises ValidationFailed: the file as a whole is unusable -- not CSV or XLSX (judged by
        content), larger than 5 MB, more than 5,000 rows, no header with the required columns.
    :raises Conflict: ``org`` is not a rights holder.
    """
    if org.category is not OrgCategory.RIGHTS_HOLDER:
        raise Conflict(_("Only rights holders keep a portfolio."))
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        _file_problem(_("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))
    if not raw.strip():
        _file_problem(_("The file is empty."))
    rows = _read_xlsx(raw) if raw.startswith(_ZIP) else _read_csv(raw)
    header_line, header = _find_header(rows)
    columns = _map_header(header)
    data_rows = [(line, cells) for line, cells in rows if line > header_line]
    if len(data_rows) > MAX_ROWS:
        _file_problem(
            _(
                "The file has more than %(max)d rows. Split it into smaller files.",
                max=MAX_ROWS,
            )
        )

    seen: dict[tuple[RightKind, str], int] = {}
    results = [_import_row(org, actor, line, cells, columns, seen) for line, cells in data_rows]
    result = ImportResult(filename=_display_name(filename), rows=results)
    audit.record(
        "portfolio.imported",
        ("organisations", org.id),
        actor=actor,
        organisation=org,
        after={"filename": result.filename, "counts": result.counts},
    )
    return result


@dataclass(frozen=True)
class _Columns:
    """Where each known column is in the file, and the header it was written under."""

    index: dict[str, int]
    label: dict[str, str]

    def cell(self, cells: Sequence[Cell], key: str) -> Cell:
        position = self.index.get(key)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def name(self, key: str) -> str:
        return self.label.get(key, key)


def _import_row(
    org: Organisation,
    actor: User,
    line: int,
    cells: Sequence[Cell],
    columns: _Columns,
    seen: dict[tuple[RightKind, str], int],
) -> RowResult:
    number_text = _text(columns.cell(cells, "number"))
    title_text = _text(columns.cell(cells, "title_zh"))
    problems: dict[str, list[str]] = {}

    def rejected() -> RowResult:
        reasons = [
            message if key == "_schema" else f"{columns.name(key)}: {message}"
            for key, messages in problems.items()
            for message in messages
        ]
        return RowResult(line, number_text, title_text, "rejected", reasons, None)

    kind = _parse_kind(_text(columns.cell(cells, "kind")), problems)
    canonical = None
    if kind is not None and number_text:
        try:
            canonical = services.canonical_number(kind, number_text)
        except numbers.InvalidIpNumber:
            if _SCIENTIFIC.fullmatch(number_text):
                problems["number"] = [
                    _(
                        "the spreadsheet turned the number into %(value)s; format the column "
                        "as text and type the number again, or use the .xlsx export.",
                        value=number_text,
                    )
                ]
    if kind is not None and canonical is not None:
        first = seen.setdefault((kind, canonical), line)
        if first != line:
            problems.setdefault("number", []).append(_("duplicate of line %(line)d", line=first))
    if kind is None:
        return rejected()

    existing = services.find_right(kind, canonical) if canonical else None
    owned = existing is not None and existing.owner_row(org) is not None
    values = _values_of(existing) if owned and existing is not None else {}
    for key in columns.index:
        if key not in ("kind", "number"):
            values[key] = _parse_cell(key, columns.cell(cells, key), problems)
    values.setdefault("title_zh", "")
    data = services.RightData(kind=kind, number=number_text, **values)

    if problems:
        # Run the registry's checks too, so that one upload shows every problem of the row;
        # a field that could not be read keeps only its own message.
        try:
            services.validate_right_data(data)
        except ValidationFailed as exc:
            for key, messages in exc.fields.items():
                if key not in problems:
                    problems[key] = messages
        return rejected()

    before = services.right_state(existing) if owned and existing is not None else None
    try:
        with db.session.begin_nested():
            right, created = services.register_right(org, data, actor=actor)
    except (ValidationFailed, Conflict) as exc:
        problems.update(exc.fields or {"_schema": [exc.message]})
        return rejected()
    except sa.exc.IntegrityError:
        # another upload registered the same right between our lookup and our insert
        problems["number"] = [_("registered by someone else at the same moment; import again.")]
        return rejected()
    if created:
        outcome = "created"
    else:
        outcome = "unchanged" if services.right_state(right) == before else "updated"
    # a file without a title column still shows which right each row is
    return RowResult(line, number_text, title_text or right.title_zh, outcome, [], right.id)


def _has_value(cells: Sequence[Cell]) -> bool:
    return any(_text(cell) for cell in cells)


def _values_of(right: Right) -> dict[str, Any]:
    """An owned right's current fields, the base for a row that leaves some columns out."""
    values = {}
    for name in COLUMNS[2:]:
        value = getattr(right, name)
        values[name] = tuple(value) if isinstance(value, list) else value
    return values


def _file_problem(message: str) -> NoReturn:
    """The file as a whole cannot be imported; the form shows ``message`` at its file field."""
    raise ValidationFailed(_("Please correct the highlighted fields."), fields={"file": [message]})


def _display_name(filename: str) -> str:
    """The uploader's file name without any directory part, for the result page and audit."""
    return re.split(r"[\\/]", filename or "")[-1][:200]


# --- reading the file -------------------------------------------------------------------------


def _read_csv(raw: bytes) -> list[tuple[int, list[Cell]]]:
    for signature, name in _SIGNATURES:
        if raw.startswith(signature):
            _file_problem(
                _(
                    "This is a %(type)s file, not a CSV or Excel (.xlsx) file.",
                    type=name,
                )
            )
    if raw.startswith(_OLE2):
        _file_problem(
            _("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload it again.")
        )
    text = _decode(raw)
    if any(unicodedata.category(char) == "Cc" and char not in "\t\r\n" for char in text):
        _file_problem(_("This is not a CSV or Excel (.xlsx) file."))
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        _file_problem(_("The CSV file cannot be read. Check its quotes."))
    rows: list[tuple[int, list[Cell]]] = []
    for line, cells in enumerate(records, start=1):
        if _has_value(cells):
            rows.append((line, list(cells)))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                break
    return rows


def _decode(raw: bytes) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), else GB18030,
    which Chinese Excel writes for "CSV (comma delimited)"."""
    attempts: list[tuple[bytes, str]]
    if raw.startswith(codecs.BOM_UTF8):
        attempts = [(raw[len(codecs.BOM_UTF8) :], "utf-8")]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = [(raw, "utf-16")]
    else:
        attempts = [(raw, "utf-8"), (raw, "gb18030")]
    for data, encoding in attempts:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    _file_problem(
        _("The file is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8) or as .xlsx.")
    )


def _read_xlsx(raw: bytes) -> list[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        _file_problem(_("The Excel file is damaged. Save it again and upload it."))
    if "xl/workbook.xml" not in names:
        _file_problem(
            _("This is a ZIP file but not an Excel workbook. Upload a .xlsx or CSV file.")
        )
    if unpacked > MAX_UNPACKED_BYTES:
        _file_problem(_("The Excel file is too large once unpacked."))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, styles...): irrelevant.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        # openpyxl raises anything from KeyError to XML errors on a broken workbook.
        _file_problem(_("The Excel file is damaged. Save it again and upload it."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sheets = [_sheet_rows(sheet) for sheet in workbook.worksheets]
    except Exception:
        _file_problem(_("The Excel file is damaged. Save it again and upload it."))
    finally:
        workbook.close()
    # The first sheet with a recognisable header: a cover or notes sheet may come first.
    for rows in sheets:
        if _header_position(rows) is not None:
            return rows
    return sheets[0] if sheets else []


def _sheet_rows(sheet: Any) -> list[tuple[int, list[Cell]]]:
    """The sheet's non-blank rows with their row numbers; stops once there are too many."""
    rows: list[tuple[int, list[Cell]]] = []
    # read-only sheets yield empty rows for gaps, so the count is the sheet's row number
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(values)
        if _has_value(cells):
            rows.append((line, cells))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                break
    return rows


def _fold_header(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"\(.*?\)", "", folded)  # "公开(公告)号", "申请号(必填)"
    return re.sub(r"[\s_\-*:/]+", "", folded)


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for key in COLUMNS:
        for name in (key, *HEADER_ALIASES.get(key, ())):
            folded = _fold_header(name)
            if aliases.setdefault(folded, key) != key:
                raise ValueError(f"header {name!r} would mean two columns")
    return aliases


_HEADER_KEYS = _build_aliases()


def _header_position(rows: list[tuple[int, list[Cell]]]) -> int | None:
    for position, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(_HEADER_KEYS.get(_fold_header(_text(cell))) == "number" for cell in cells):
            return position
    return None


def _find_header(rows: list[tuple[int, list[Cell]]]) -> tuple[int, list[Cell]]:
    position = _header_position(rows)
    if position is None:
        _file_problem(
            _(
                "No header row found. The first row names the columns; at least %(columns)s "
                "(or 类型 and 申请号).",
                columns=", ".join(REQUIRED_COLUMNS),
            )
        )
    return rows[position]


def _map_header(header: list[Cell]) -> _Columns:
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    for position, cell in enumerate(header):
        written = _text(cell)
        key = _HEADER_KEYS.get(_fold_header(written))
        if key is None:
            continue  # a column we do not keep (序号, 备注, ...)
        if key in index:
            _file_problem(
                _(
                    "The columns %(first)s and %(second)s both give %(key)s; keep one of them.",
                    first=label[key],
                    second=written,
                    key=key,
                )
            )
        index[key] = position
        label[key] = written
    missing = [key for key in REQUIRED_COLUMNS if key not in index]
    if missing:
        _file_problem(_("Missing columns: %(columns)s.", columns=", ".join(missing)))
    return _Columns(index=index, label=label)


# --- reading cells ----------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    text = str(cell).strip()
    # undo the quote that export puts before formula-like text (see _defuse)
    if text.startswith("'") and text[1:2] and text[1] in _FORMULA_STARTS:
        text = text[1:]
    return text


def _parse_kind(text: str, problems: dict[str, list[str]]) -> RightKind | None:
    if not text:
        problems["kind"] = [_("Enter the kind of right.")]
        return None
    kind = _KIND_KEYS.get(_fold_kind(text))
    if kind is None:
        problems["kind"] = [
            _(
                "%(value)s is not a kind of right; use one of %(kinds)s or its Chinese name "
                "(发明专利, 实用新型, 外观设计, 商标, 软件著作权, 作品著作权, 植物新品种, "
                "地理标志).",
                value=text,
                kinds=", ".join(kind.value for kind in RightKind),
            )
        ]
    return kind


def _fold_kind(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text).casefold())


_KIND_KEYS: dict[str, RightKind] = {
    _fold_kind(name): kind
    for kind in RightKind
    for name in (kind.value, *KIND_ALIASES.get(kind, ()))
}


def _parse_cell(key: str, cell: Cell, problems: dict[str, list[str]]) -> Any:
    """The RightData value of one cell; a cell that cannot be read adds a problem."""
    text = _text(cell)
    try:
        if key in _DATE_COLUMNS:
            return _parse_date(cell, text)
        if key in _INT_COLUMNS:
            if not text:
                return 0 if key in _ZERO_DEFAULT else None
            return _parse_int(text)
        if key in _BOOL_COLUMNS:
            return _parse_bool(text)
        if key == "nice_classes":
            return tuple(_parse_nice(part) for part in _split(text))
        if key in _LIST_COLUMNS:
            return tuple(_split(text))
    except _CellProblem as exc:
        problems.setdefault(key, []).append(exc.message)
        return 0 if key in _ZERO_DEFAULT else () if key == "nice_classes" else None
    limit = _max_length(key)
    if limit is not None and len(text) > limit:
        problems.setdefault(key, []).append(
            _("%(n)d characters is too long; at most %(max)d.", n=len(text), max=limit)
        )
    if key in _REQUIRED_TEXT:
        return text
    if key == "plant_category":
        folded = text.casefold()
        return _PLANT_CATEGORIES.get(text, folded) or None
    return text or None


class _CellProblem(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _split(text: str) -> list[str]:
    return [part.strip() for part in _MULTI_SEPARATORS.split(text) if part.strip()]


def _parse_date(cell: Cell, text: str) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    # a date typed into a cell of the General format arrives as Excel's serial day number
    serial = _serial_day(cell)
    if serial is not None:
        from openpyxl.utils.datetime import from_excel

        excel_day: date = from_excel(serial).date()
        return excel_day
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text).strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(folded)
        if match:
            year, month, day = (int(group) for group in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise _CellProblem(
        _(
            "%(value)s is not a date; write it like 2021-06-01, 2021/6/1 or 2021年6月1日.",
            value=text,
        )
    )


def _serial_day(cell: Cell) -> int | None:
    if not isinstance(cell, int | float) or isinstance(cell, bool) or not float(cell).is_integer():
        return None
    return int(cell) if 0 < cell <= _EXCEL_SERIAL_MAX else None


def _parse_int(text: str) -> int:
    folded = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d+(\.0+)?", folded):
        return int(folded.split(".")[0])
    raise _CellProblem(_("%(value)s is not a whole number.", value=text))


def _parse_nice(text: str) -> int:
    folded = unicodedata.normalize("NFKC", text).strip()
    match = re.fullmatch(r"第?(\d{1,3})(?:\.0+)?类?", folded)
    if match is None:
        raise _CellProblem(_("%(value)s is not a Nice class number.", value=text))
    return int(match.group(1))


def _parse_bool(text: str) -> bool:
    folded = text.casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise _CellProblem(_("%(value)s is neither yes nor no.", value=text))


def _max_length(key: str) -> int | None:
    column = Right.__table__.c.get(key)
    return getattr(column.type, "length", None) if column is not None else None


# --- export -----------------------------------------------------------------------------------


def _portfolio(org: Organisation) -> list[Right]:
    order = {kind: position for position, kind in enumerate(RightKind)}
    rights: list[Right] = list(db.session.scalars(services.portfolio_query(org)))
    return sorted(rights, key=lambda right: (order[right.kind], right.number))


def _export_value(right: Right, key: str) -> Any:
    """The value of one column: dates and ints as such (for XLSX), everything else as text."""
    value = getattr(right, key)
    if key == "kind":
        return right.kind.value
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_rows(org: Organisation) -> list[dict[str, str]]:
    """One dict per right of ``org``'s portfolio, keyed by :data:`COLUMNS`, all values text."""
    return [
        {key: _as_text(_export_value(right, key)) for key in COLUMNS} for right in _portfolio(org)
    ]


def _defuse(text: str) -> str:
    """Quote text a spreadsheet would run as a formula (``=HYPERLINK(...)`` in a title)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(org: Organisation) -> bytes:
    """The portfolio as CSV: UTF-8 with a BOM, so that Excel shows the Chinese correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in export_rows(org):
        writer.writerow([_defuse(row[key]) for key in COLUMNS])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def export_xlsx(org: Organisation) -> bytes:
    """The portfolio as an Excel workbook: bold frozen header, dates as date cells, numbers of
    rights as text (Excel would turn ``201630022770.6`` into ``2.0163E+11``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "portfolio"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row_number, right in enumerate(_portfolio(org), start=2):
        for column_number, key in enumerate(COLUMNS, start=1):
            value = _export_value(right, key)
            cell = sheet.cell(row=row_number, column=column_number)
            if isinstance(value, date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, int) and key in _INT_COLUMNS:
                cell.value = value
            elif value is not None and value != "":
                cell.value = str(value)
                # a string starting with "=" would otherwise be stored as a formula
                cell.data_type = "s"
    widths = {"number": 18, "title_zh": 36, "title_en": 36, "abstract": 60, "ipc_codes": 24}
    for column_number, key in enumerate(COLUMNS, start=1):
        width = widths.get(key, 14 if key in _DATE_COLUMNS else max(len(key) + 2, 10))
        sheet.column_dimensions[get_column_letter(column_number)].width = width
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
