"""Legal-status updates: the source interface, the CSV source, the event table, and
``flask rights import-status``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.audit import AuditEntry
from marketplace.core.errors import Conflict
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from marketplace.rights import services, status, terms
from marketplace.rights.cli import rights_cli
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right, RightEvent, RightOwner, RightStatus
from marketplace.rights.services import RightData
from marketplace.rights.status import (
    EVENT_RULES,
    CsvStatusSource,
    RowError,
    StatusEvent,
    StatusFileInvalid,
    StatusRow,
    apply_status_updates,
)
from tests.factories import make_org, make_user
from tests.rights.test_status import add_patent

FIXTURES = Path(__file__).parent / "fixtures"
#: The day the imports run: statuses are computed for it.
ON = date(2024, 6, 1)


@pytest.fixture
def holder(db: Any) -> tuple[Organisation, User]:
    org = make_org(OrgKind.ENTERPRISE)
    return org, make_user(org, locale="en")


class ListSource:
    """Any object with ``name`` and ``rows()`` is a source: a licensed feed would be one."""

    def __init__(self, rows: Iterable[StatusRow | RowError], name: str = "feed:test") -> None:
        self.name = name
        self._rows = list(rows)

    def rows(self) -> Iterator[StatusRow | RowError]:
        return iter(self._rows)


def row(right: Right, event: str, day: date = date(2024, 5, 1), **detail: Any) -> StatusRow:
    return StatusRow(
        line=2, number=right.number, kind=right.kind, occurred_on=day, event=event, detail=detail
    )


def apply(*rows: StatusRow | RowError, on: date = ON) -> status.ImportReport:
    with force_locale("en"):
        report = apply_status_updates(ListSource(rows), on=on)
    _db.session.flush()
    return report


def events(right: Right, name: str | None = None) -> list[RightEvent]:
    query = sa.select(RightEvent).where(RightEvent.right_id == right.id)
    if name is not None:
        query = query.where(RightEvent.event == name)
    return list(_db.session.scalars(query.order_by(RightEvent.id)))


def audit_actions(right: Right) -> list[str]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "rights", AuditEntry.object_id == str(right.id))
            .order_by(AuditEntry.id)
        )
    )


# --- the mixed file ----------------------------------------------------------------------


def add_trademark(holder: tuple[Organisation, User], number: str = "8086301") -> Right:
    org, user = holder
    right, _created = services.register_right(
        org,
        RightData(
            kind=RightKind.TRADEMARK,
            number=number,
            title_zh="长新",
            registration_date=date(2016, 1, 7),
            nice_classes=(9,),
        ),
        actor=user,
    )
    right.status = RightStatus.IN_FORCE
    _db.session.flush()
    return right


@pytest.fixture
def mixed(holder: tuple[Organisation, User]) -> dict[str, Right]:
    """The rights named in ``fixtures/status_mixed.csv``, in the states the file expects."""
    return {
        "grace": add_patent(holder, serial=7200001, state=RightStatus.GRACE_PERIOD),
        "attacked": add_patent(holder, serial=7200002, paid_through=date(2025, 3, 9)),
        "pending": add_patent(
            holder,
            serial=7200003,
            filed=date(2021, 8, 2),
            granted=None,
            paid_through=None,
            state=RightStatus.PENDING,
        ),
        "trademark": add_trademark(holder),
        "quiet": add_patent(holder, serial=7200005, paid_through=date(2025, 3, 9)),
        "lapsed": add_patent(
            holder, serial=7200006, paid_through=date(2022, 3, 9), state=RightStatus.LAPSED
        ),
    }


MIXED_REJECTED = [
    (6, "illegal_event"),  # invalidation_rejected while in force
    (7, "unknown_number"),  # a valid number nobody registered
    (8, "invalid_number"),  # check digit
    (9, "bad_date"),  # 30 February
    (11, "unknown_event"),  # line 10 is blank
    (12, "missing_paid_through"),
    (13, "bad_paid_through"),  # not the last day of a fee year
    (14, "still_lapsed"),  # restored, but the fees paid still leave it lapsed
    (16, "bad_row"),  # one value too many
]


def test_mixed_file_applies_good_rows_and_reports_bad_ones_by_line(mixed):
    with force_locale("en"):
        report = apply_status_updates(CsvStatusSource(FIXTURES / "status_mixed.csv"), on=ON)

    assert report.source == "import:status_mixed.csv"
    assert report.applied == [2, 3, 4, 5, 15]
    assert [(p.line, p.code) for p in report.rejected] == MIXED_REJECTED
    assert report.skipped == []
    assert report.changed == {
        RightStatus.IN_FORCE: 2,
        RightStatus.UNDER_INVALIDATION: 1,
        RightStatus.SUSPENDED: 1,
        RightStatus.INVALIDATED: 1,
    }

    grace = mixed["grace"]
    assert (grace.status, grace.paid_through) == (RightStatus.IN_FORCE, date(2025, 3, 9))
    assert grace.status_since == date(2024, 4, 15)
    [paid] = events(grace, "fee_paid")
    assert paid.source == "import:status_mixed.csv"
    assert paid.detail == {"line": 2, "paid_through": "2025-03-09", "note": "年费及滞纳金已缴"}

    # Two rows on the same right, in file order: requested, then invalidated.
    attacked = mixed["attacked"]
    assert attacked.status is RightStatus.INVALIDATED
    assert [e.detail["to"] for e in events(attacked, "status_changed")] == [
        "under_invalidation",
        "invalidated",
    ]
    pending = mixed["pending"]
    assert (pending.status, pending.grant_date) == (RightStatus.IN_FORCE, date(2024, 5, 20))
    assert mixed["trademark"].status is RightStatus.SUSPENDED
    assert events(mixed["trademark"], "suspended")[0].detail["note"].startswith("财产保全")
    assert mixed["quiet"].status is RightStatus.IN_FORCE
    assert events(mixed["quiet"]) == []


def test_mixed_file_reasons_say_what_is_wrong(mixed):
    with force_locale("en"):
        report = apply_status_updates(CsvStatusSource(FIXTURES / "status_mixed.csv"), on=ON)
    reasons = {p.line: str(p) for p in report.rejected}
    assert reasons[6] == (
        "line 6: invalidation_rejected is not possible while the right is In force."
    )
    assert reasons[7] == "line 7: No right with the number 201517200099.9 is registered."
    assert reasons[8] == "line 8: 201517200002.5: check digit should be 4, not 5"
    assert reasons[9] == "line 9: date: 2024-02-30 is not a date like 2024-03-10."
    assert reasons[11].startswith("line 11: Unknown event revoked. Events: granted, fee_paid,")
    assert reasons[12] == "line 12: A fee_paid row needs paid_through."
    assert reasons[13] == (
        "line 13: paid_through 2025-03-01 is not the last day of a fee year: this patent's fee "
        "years end on the day before each filing anniversary, such as 2025-03-09."
    )
    assert "2023-03-10" in reasons[14]
    assert reasons[16] == "line 16: Expected 6 values, found 7."


def test_a_row_failing_at_its_second_step_leaves_nothing_behind(mixed):
    lapsed = mixed["lapsed"]
    before = (audit_actions(lapsed), len(events(lapsed)))
    report = apply_status_updates(CsvStatusSource(FIXTURES / "status_mixed.csv"), on=ON)
    assert (14, "still_lapsed") in [(p.line, p.code) for p in report.rejected]
    # Line 14 had already set paid_through, added its event and audit entry when the status
    # check refused it: the savepoint took all of that back.
    _db.session.expire_all()
    assert lapsed.paid_through == date(2022, 3, 9)
    assert lapsed.status is RightStatus.LAPSED
    assert (audit_actions(lapsed), len(events(lapsed))) == before


def test_a_failure_inside_change_status_rolls_the_whole_row_back(holder, monkeypatch):
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    other = add_patent(holder, paid_through=date(2025, 3, 9))
    real = services.change_status

    def refuse_first(target: Right, *args: Any, **kwargs: Any) -> bool:
        if target.id == right.id:
            real(target, *args, **kwargs)  # writes event, audit entry and notifications ...
            raise Conflict("the registry is locked")  # ... then fails
        return real(target, *args, **kwargs)

    monkeypatch.setattr(services, "change_status", refuse_first)
    before = audit_actions(right)
    report = apply(row(right, "suspended"), row(other, "suspended"))
    assert [(p.code, p.message) for p in report.rejected] == [("invalid", "the registry is locked")]
    assert report.applied == [2]  # both rows say line 2; the second one went through
    _db.session.expire_all()
    assert right.status is RightStatus.IN_FORCE
    assert events(right) == [] and audit_actions(right) == before
    assert other.status is RightStatus.SUSPENDED


def test_importing_the_same_file_again_changes_nothing(mixed):
    source = CsvStatusSource(FIXTURES / "status_mixed.csv")
    apply_status_updates(source, on=ON)
    _db.session.flush()
    counts = (
        _db.session.scalar(sa.select(sa.func.count()).select_from(RightEvent)),
        _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        _db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
    )
    again = apply_status_updates(source, on=ON)
    assert again.applied == []
    assert again.skipped == [2, 3, 4, 5, 15]
    assert [(p.line, p.code) for p in again.rejected] == MIXED_REJECTED
    assert counts == (
        _db.session.scalar(sa.select(sa.func.count()).select_from(RightEvent)),
        _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        _db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
    )


# --- the event table ---------------------------------------------------------------------

ILLEGAL = [
    (event, current)
    for event, rule in EVENT_RULES.items()
    for current in RightStatus
    if current not in rule.allowed_from
]


@pytest.mark.parametrize(("event", "current"), ILLEGAL)
def test_event_not_in_the_table_is_refused(holder, event, current):
    right = add_patent(holder, paid_through=date(2025, 3, 9), state=current)
    extra = {"paid_through": date(2026, 3, 9)} if event is StatusEvent.FEE_PAID else {}
    report = apply(row(right, event.value, **extra))
    assert [p.code for p in report.rejected] == ["illegal_event"]
    assert right.status is current
    assert right.paid_through == date(2025, 3, 9)
    assert events(right) == []


@pytest.mark.parametrize(
    ("event", "current", "after"),
    [
        ("invalidation_requested", RightStatus.IN_FORCE, RightStatus.UNDER_INVALIDATION),
        ("invalidation_requested", RightStatus.GRACE_PERIOD, RightStatus.UNDER_INVALIDATION),
        ("invalidation_rejected", RightStatus.UNDER_INVALIDATION, RightStatus.IN_FORCE),
        ("invalidated", RightStatus.UNDER_INVALIDATION, RightStatus.INVALIDATED),
        ("invalidated", RightStatus.IN_FORCE, RightStatus.INVALIDATED),
        ("partially_invalidated", RightStatus.UNDER_INVALIDATION, RightStatus.IN_FORCE),
        ("partially_invalidated", RightStatus.IN_FORCE, RightStatus.IN_FORCE),
        ("suspended", RightStatus.IN_FORCE, RightStatus.SUSPENDED),
        ("suspension_lifted", RightStatus.SUSPENDED, RightStatus.IN_FORCE),
        ("lapsed", RightStatus.IN_FORCE, RightStatus.LAPSED),
        ("lapsed", RightStatus.LAPSED, RightStatus.LAPSED),  # confirms what the clock did
        ("restored", RightStatus.LAPSED, RightStatus.IN_FORCE),
    ],
)
def test_event_moves_the_right(holder, event, current, after):
    right = add_patent(holder, paid_through=date(2025, 3, 9), state=current)
    report = apply(row(right, event))
    assert report.applied == [2] and report.rejected == []
    assert right.status is after
    [recorded] = events(right, event)
    assert recorded.source == "feed:test" and recorded.occurred_on == date(2024, 5, 1)
    changes = events(right, "status_changed")
    if after is current:
        assert changes == []
    else:
        assert [(c.detail["from"], c.detail["to"], c.detail["event"]) for c in changes] == [
            (current.value, after.value, event)
        ]
        assert right.status_since == date(2024, 5, 1)


def test_ending_an_invalidation_resumes_the_fee_clock(holder):
    # Fees fell due during the proceedings and are unpaid: back in grace, not in force.
    right = add_patent(holder, state=RightStatus.UNDER_INVALIDATION)
    apply(row(right, "invalidation_rejected"))
    assert right.status is RightStatus.GRACE_PERIOD


def test_lifting_a_suspension_of_an_application_leaves_it_pending(holder):
    right = add_patent(holder, granted=None, paid_through=None, state=RightStatus.SUSPENDED)
    apply(row(right, "suspension_lifted"))
    assert right.status is RightStatus.PENDING


def test_fee_paid_moves_grace_back_to_in_force(holder):
    right = add_patent(holder, state=RightStatus.GRACE_PERIOD)
    report = apply(row(right, "fee_paid", date(2024, 5, 2), paid_through=date(2025, 3, 9)))
    assert report.changed == {RightStatus.IN_FORCE: 1}
    assert (right.status, right.paid_through) == (RightStatus.IN_FORCE, date(2025, 3, 9))


def test_fee_paid_under_invalidation_keeps_the_invalidation(holder):
    right = add_patent(holder, state=RightStatus.UNDER_INVALIDATION)
    report = apply(row(right, "fee_paid", paid_through=date(2025, 3, 9)))
    assert report.applied == [2]
    assert (right.status, right.paid_through) == (
        RightStatus.UNDER_INVALIDATION,
        date(2025, 3, 9),
    )


def test_fee_paid_after_the_grace_period_is_refused(holder):
    right = add_patent(holder, state=RightStatus.GRACE_PERIOD)
    report = apply(
        row(right, "fee_paid", date(2024, 9, 11), paid_through=date(2025, 3, 9)),
        on=date(2024, 10, 1),
    )
    assert [p.code for p in report.rejected] == ["paid_after_grace"]
    assert report.rejected[0].message == (
        "The fee was paid on 2024-09-11, after its grace period ended on 2024-09-10: "
        "the patent has lapsed."
    )
    assert right.paid_through == date(2024, 3, 9)


def test_fee_paid_already_covered_is_skipped(holder):
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    report = apply(row(right, "fee_paid", paid_through=date(2024, 3, 9)))
    assert report.skipped == [2] and report.rejected == []
    assert right.paid_through == date(2025, 3, 9)


def test_restored_with_the_fees_paid_brings_a_lapsed_patent_back(holder):
    right = add_patent(holder, paid_through=date(2023, 3, 9), state=RightStatus.LAPSED)
    report = apply(row(right, "restored", date(2024, 5, 30), paid_through=date(2025, 3, 9)))
    assert report.applied == [2]
    assert (right.status, right.paid_through) == (RightStatus.IN_FORCE, date(2025, 3, 9))


def test_granted_sets_the_grant_date_and_may_carry_the_fees_paid(holder):
    right = add_patent(
        holder, filed=date(2021, 8, 2), granted=None, paid_through=None, state=RightStatus.PENDING
    )
    apply(row(right, "granted", date(2024, 5, 20), paid_through=date(2024, 8, 1)))
    assert (right.grant_date, right.paid_through) == (date(2024, 5, 20), date(2024, 8, 1))
    assert right.status is RightStatus.IN_FORCE
    assert right.display_number == f"ZL{right.number}"


def test_granted_already_known_is_skipped(holder):
    right = add_patent(holder)  # granted 2018-06-01 when registered
    report = apply(row(right, "granted", date(2018, 6, 1)))
    assert report.skipped == [2] and report.rejected == []
    other_day = apply(row(right, "granted", date(2018, 6, 2)))
    assert [p.code for p in other_day.rejected] == ["illegal_event"]


def test_granted_trademark_sets_its_registration_date(holder):
    right = add_trademark(holder)
    right.status, right.registration_date = RightStatus.PENDING, None
    apply(row(right, "granted", date(2024, 5, 20)))
    assert right.registration_date == date(2024, 5, 20)
    assert right.status is RightStatus.IN_FORCE


def test_expired_when_the_term_is_over(holder):
    filed = date(2010, 5, 20)
    right = add_patent(
        holder,
        filed=filed,
        granted=date(2011, 1, 14),
        kind="utility_model",
        paid_through=terms.paid_through_for(filed, 10),
    )
    too_early = apply(row(right, "expired", date(2020, 5, 18)))
    assert [(p.code, p.message) for p in too_early.rejected] == [
        ("term_not_over", "By its dates this right's term runs to 2020-05-19.")
    ]
    apply(row(right, "expired", date(2020, 5, 20)))
    assert right.status is RightStatus.EXPIRED


@pytest.mark.parametrize(
    ("event", "day", "detail", "code"),
    [
        ("suspended", date(2024, 6, 2), {}, "future_date"),
        ("suspended", date(2015, 3, 9), {}, "before_filing"),
        (
            "suspended",
            date(2024, 5, 1),
            {"paid_through": date(2025, 3, 9)},
            "unexpected_paid_through",
        ),
        ("fee_paid", date(2024, 5, 1), {"paid_through": date(2014, 3, 9)}, "bad_paid_through"),
    ],
)
def test_row_refused_for_its_dates(holder, event, day, detail, code):
    right = add_patent(holder)
    report = apply(row(right, event, day, **detail))
    assert [p.code for p in report.rejected] == [code]
    assert events(right) == []


def test_annual_fees_only_for_patents(holder):
    right = add_trademark(holder)
    report = apply(row(right, "fee_paid", paid_through=date(2025, 3, 9)))
    assert [p.code for p in report.rejected] == ["not_a_patent"]


def test_row_errors_from_the_source_are_reported_as_they_are(holder):
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    report = apply(RowError(7, "feed_gap", "the feed lost this record"), row(right, "suspended"))
    assert report.rejected == [RowError(7, "feed_gap", "the feed lost this record")]
    assert report.applied == [2]


def test_status_change_from_an_import_is_audited_and_the_owners_are_told(holder):
    _org, user = holder
    operator = make_user(make_org(OrgKind.OPERATOR))
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    before = audit_actions(right)
    with force_locale("en"):
        apply_status_updates(
            ListSource([row(right, "invalidated", note="第 56789 号无效宣告请求审查决定")]),
            actor=operator,
            on=ON,
        )
    assert audit_actions(right)[len(before) :] == ["right.legal_event", "right.status_changed"]
    legal, change = _db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "rights", AuditEntry.object_id == str(right.id))
        .order_by(AuditEntry.id.desc())
        .limit(2)
    ).all()[::-1]
    assert legal.actor_id == change.actor_id == operator.id
    assert legal.after == {
        "event": "invalidated",
        "occurred_on": "2024-05-01",
        "source": "feed:test",
        "line": 2,
    }
    assert change.after == {"status": "invalidated", "on": "2024-05-01", "source": "feed:test"}
    [note] = _db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
    assert note.title == "一种锂电池正极材料 is now Invalidated"


def test_co_owners_are_all_told(holder):
    partner = make_org(OrgKind.UNIVERSITY)
    partner_user = make_user(partner)
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    right.owners.append(RightOwner(organisation_id=partner.id, share=4_000))
    right.owners[0].share = 6_000
    _db.session.flush()
    apply(row(right, "suspended"))
    assert (
        _db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == partner_user.id)
        )
        == 1
    )


# --- the CSV source ----------------------------------------------------------------------


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "status.csv"
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path) -> list[StatusRow | RowError]:
    with force_locale("en"):
        return list(CsvStatusSource(path).rows())


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-10", date(2024, 3, 10)),
        ("2024/3/1", date(2024, 3, 1)),
        ("2024.03.10", date(2024, 3, 10)),
        ("20240310", date(2024, 3, 10)),
        (" ２０２４-０３-１０ ", date(2024, 3, 10)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2023-02-29", None),
        ("2024-3", None),
        ("10/03/2024", None),
        ("2024-03/10", None),
        ("", None),
    ],
)
def test_parse_date(text, day):
    assert status.parse_date(text) == day


def test_csv_with_bom_any_column_order_and_case_blank_lines_and_quoted_notes(tmp_path):
    path = write(
        tmp_path,
        "\ufeffEvent, Number ,DATE,Note\n"
        'suspended,ZL201517200002.4,2024-05-06,"line one\nline two"\n'
        "\n"
        ",,,\n"
        "lapsed,201517200001.X,2024-05-07,\n",
    )
    first, second = read(path)
    assert first == StatusRow(
        line=2,
        number="ZL201517200002.4",
        kind=None,
        occurred_on=date(2024, 5, 6),
        event="suspended",
        detail={"note": "line one\nline two"},
    )
    assert isinstance(second, StatusRow)
    assert (second.line, second.event, second.note, second.paid_through) == (
        6,
        "lapsed",
        None,
        None,
    )


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_separated_by_semicolons_or_tabs(tmp_path, delimiter):
    path = write(
        tmp_path,
        delimiter.join(["number", "date", "event", "note"])
        + "\n"
        + delimiter.join(["201517200001.X", "2024-05-06", "lapsed", "a, b"])
        + "\n",
    )
    [only] = read(path)
    assert isinstance(only, StatusRow) and (only.event, only.note) == ("lapsed", "a, b")


def test_csv_row_problems_are_row_errors(tmp_path):
    path = write(
        tmp_path,
        "number,date,event,kind,paid_through\n"
        ",2024-05-06,lapsed,,\n"
        "201517200001.X,,lapsed,,\n"
        "201517200001.X,2024-05-06,,,\n"
        "201517200001.X,2024-05-06,fee_paid,,2025/13/01\n"
        "8086301,2024-05-06,suspended,brand,\n"
        "8086301,2024-05-06,suspended,TRADEMARK,\n",
    )
    problems = read(path)
    assert [(p.line, p.code) for p in problems if isinstance(p, RowError)] == [
        (2, "missing_value"),
        (3, "missing_value"),
        (4, "missing_value"),
        (5, "bad_date"),
        (6, "unknown_kind"),
    ]
    assert str(problems[0]) == "line 2: The number is missing."
    assert str(problems[3]) == "line 5: paid_through: 2025/13/01 is not a date like 2024-03-10."
    last = problems[-1]
    assert isinstance(last, StatusRow) and last.kind is RightKind.TRADEMARK


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("number,date", "The header lacks these columns: event."),
        (
            "number,date,event,status",
            "Unknown columns: status. The columns are number, date and event, and optionally "
            "kind, paid_through and note.",
        ),
        ("number,date,event,Date", "These columns appear twice: date."),
    ],
)
def test_csv_with_a_bad_header_is_refused_whole(tmp_path, header, message):
    path = write(tmp_path, f"{header}\n201517200001.X,2024-05-06,lapsed\n")
    with pytest.raises(StatusFileInvalid) as caught:
        read(path)
    assert caught.value.message == message


def test_csv_not_in_utf8_is_refused_before_any_row(tmp_path):
    path = write(
        tmp_path, "number,date,event,note\n201517200001.X,2024-05-06,lapsed,专利权终止\n", "gb18030"
    )
    with pytest.raises(StatusFileInvalid, match="not UTF-8"):
        read(path)


def test_empty_csv_is_refused(tmp_path):
    with pytest.raises(StatusFileInvalid, match="empty"):
        read(write(tmp_path, ""))


def test_a_bad_file_applies_nothing(holder, tmp_path):
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    path = tmp_path / "status.csv"
    # A good first row, then a byte that is not UTF-8: the file is refused before any row.
    path.write_bytes(f"number,date,event\n{right.number},2024-05-06,suspended\n".encode() + b"\xff")
    with pytest.raises(StatusFileInvalid):
        apply_status_updates(CsvStatusSource(path), on=ON)
    assert right.status is RightStatus.IN_FORCE


# --- the command -------------------------------------------------------------------------


def test_import_status_command_reports_rejected_lines_and_exits_1(app: Flask, mixed):
    runner = app.test_cli_runner()
    with force_locale("en"):
        result = runner.invoke(
            rights_cli, ["import-status", str(FIXTURES / "status_mixed.csv"), "--on", "2024-06-01"]
        )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "status_mixed.csv: 5 rows applied, 0 already applied, 9 rejected. Status changes: "
        "in_force: 2, invalidated: 1, suspended: 1, under_invalidation: 1."
    )
    assert [line.split(":")[0] for line in lines[1:]] == [f"line {n}" for n, _ in MIXED_REJECTED]
    assert lines[1] == "line 6: invalidation_rejected is not possible while the right is In force."
    # The good rows were committed.
    _db.session.expire_all()
    assert mixed["grace"].status is RightStatus.IN_FORCE
    assert mixed["attacked"].status is RightStatus.INVALIDATED


def test_import_status_command_exits_0_when_every_row_is_good(app: Flask, holder, tmp_path):
    right = add_patent(holder, paid_through=date(2025, 3, 9))
    path = write(tmp_path, f"number,date,event\n{right.number},2024-05-06,invalidation_requested\n")
    runner = app.test_cli_runner()
    result = runner.invoke(rights_cli, ["import-status", str(path), "--on", "2024-06-01"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "status.csv: 1 rows applied, 0 already applied, 0 rejected. "
        "Status changes: under_invalidation: 1.\n"
    )
    again = runner.invoke(rights_cli, ["import-status", str(path), "--on", "2024-06-01"])
    assert again.exit_code == 0
    assert again.output == "status.csv: 0 rows applied, 1 already applied, 0 rejected.\n"


def test_import_status_command_refuses_an_unreadable_file(app: Flask, db, tmp_path):
    path = write(tmp_path, "nummer,datum,event\n")
    with force_locale("en"):
        result = app.test_cli_runner().invoke(rights_cli, ["import-status", str(path)])
    assert result.exit_code == 1
    assert "status.csv: Unknown columns: nummer, datum." in result.output
    assert "Nothing was imported." in result.output


def test_import_status_command_commits_the_good_rows_for_real(app: Flask, committing_db, tmp_path):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org, locale="en")
    good = add_patent((org, user), paid_through=date(2025, 3, 9))
    number, right_id = good.number, good.id
    _db.session.commit()
    # Line 3 is refused (restored while suspended): line 2 must still reach the database.
    path = write(
        tmp_path,
        f"number,date,event\n{number},2024-05-06,suspended\n{number},2024-05-07,restored\n",
    )
    result = app.test_cli_runner().invoke(
        rights_cli, ["import-status", str(path), "--on", "2024-06-01"]
    )
    assert result.exit_code == 1
    assert "1 rows applied" in result.output and "line 3:" in result.output
    _db.session.remove()
    with _db.engine.connect() as connection:
        stored = connection.execute(
            sa.select(Right.status).where(Right.id == right_id)
        ).scalar_one()
    assert stored is RightStatus.SUSPENDED
