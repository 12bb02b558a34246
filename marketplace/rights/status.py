"""A right's legal status over time: the daily clock, annual-fee reminders, and legal-status
updates from the registry.

* :func:`refresh_statuses` is the daily job: it moves rights ``in_force → grace_period →
  lapsed`` and to ``expired`` at term end, as :func:`services.computed_status` says.
* :func:`send_fee_reminders` tells owners 90, 30 and 7 days before an annual fee is due, once
  per lead time, and catches up on days the job did not run.
* :func:`apply_status_updates` applies legal-status events (grant, fee paid, invalidation,
  suspension, lapse, restoration, expiry) from a :class:`StatusSource`. There is no public
  CNIPA API: :class:`CsvStatusSource` reads a file, and a licensed feed can be plugged in later
  by yielding the same :class:`StatusRow` values.

Every status change goes through :func:`services.change_status` (right event, audit entry,
owners notified). Like all services, these functions flush and never commit: the CLI commits,
per batch for the daily job (``checkpoint``), once for an import.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

import sqlalchemy as sa
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import DomainError
from marketplace.core.money import format_money
from marketplace.extensions import db
from marketplace.notifications.services import notify, user_locale
from marketplace.rights import numbers, services, terms
from marketplace.rights.kinds import PATENT_KINDS, RightKind
from marketplace.rights.models import (
    STICKY_STATUSES,
    FeeReminder,
    Right,
    RightEvent,
    RightStatus,
)

#: Statuses the clock never leaves: set by legal-status updates only. ``lapsed`` is final for
#: the clock too; only a ``restored`` update brings a right back.
CLOCK_FINAL_STATUSES = STICKY_STATUSES | {RightStatus.LAPSED}
DEFAULT_BATCH_SIZE = 500


def _flush() -> None:
    db.session.flush()


# --- the daily clock ---------------------------------------------------------------------


@dataclass
class RefreshReport:
    on: date
    checked: int = 0
    changed: Counter[RightStatus] = field(default_factory=Counter)
    #: rights whose status could not be computed: (right id, number, reason)
    failures: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def changed_total(self) -> int:
        return sum(self.changed.values())


def refresh_statuses(
    *,
    on: date | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    checkpoint: Callable[[], None] = _flush,
) -> RefreshReport:
    """Give every right not in a sticky (or lapsed) status the status the clock says it has on
    ``on``. Rights are read ``batch_size`` at a time by id (keyset pagination), and
    ``checkpoint`` runs after each batch: the CLI passes ``db.session.commit`` so 100 000 rights
    never sit in one transaction. Running it twice on the same day changes nothing.

    A right whose dates cannot give a term (bad data) is reported in ``failures`` and left alone.
    """
    day = on or today()
    report = RefreshReport(on=day)
    last_id = 0
    while True:
        batch = db.session.scalars(
            sa.select(Right)
            .where(Right.id > last_id, Right.status.not_in(CLOCK_FINAL_STATUSES))
            .order_by(Right.id)
            .limit(batch_size)
        ).all()
        if not batch:
            return report
        for right in batch:
            report.checked += 1
            try:
                new = services.computed_status(right, on=day)
                if new is right.status:
                    continue
                detail = _clock_detail(right, new, day)
            except terms.InvalidTermFacts as exc:
                report.failures.append((right.id, right.number, str(exc)))
                continue
            services.change_status(right, new, on=day, source="clock", detail=detail)
            report.changed[new] += 1
        last_id = batch[-1].id
        checkpoint()


def _clock_detail(right: Right, new: RightStatus, day: date) -> dict[str, Any]:
    """What the timeline shows with a clock change: the fee due and grace end, the day a lapsed
    patent ended (its due date, not the day the job noticed), or the term's last day."""
    detail: dict[str, Any] = {}
    standing = services.fee_standing(right, on=day)
    if standing is not None and standing.next_due is not None:
        if new is RightStatus.GRACE_PERIOD:
            detail.update(
                due_on=standing.next_due,
                grace_ends=standing.grace_ends,
                fee_year=standing.fee_year,
            )
        elif new is RightStatus.LAPSED:
            detail.update(lapsed_on=standing.lapsed_on, due_on=standing.next_due)
    if new is RightStatus.EXPIRED:
        detail["expires_on"] = services.expiry_of(right)
    return cast(dict[str, Any], audit.jsonable(detail))


# --- annual-fee reminders ----------------------------------------------------------------

#: Days before a fee's due date on which owners are reminded.
REMINDER_LEAD_DAYS = (90, 30, 7)
#: Granted patents in these statuses get reminders (in grace the due date has passed already:
#: the grace-period notice of the status change tells the owners).
REMINDED_STATUSES = frozenset({RightStatus.IN_FORCE, RightStatus.GRACE_PERIOD})


def reminder_lead(days_left: int) -> int | None:
    """The tightest lead time a fee due in ``days_left`` days falls within, or None.

    Reminding "within N days, not yet reminded for N" rather than "exactly N days before"
    catches up when the job missed a day, and sends one reminder, not three, for a fee that is
    already close when a patent is first registered.
    """
    if days_left < 0:
        return None
    fitting = [lead for lead in REMINDER_LEAD_DAYS if days_left <= lead]
    return min(fitting) if fitting else None


@dataclass
class ReminderReport:
    on: date
    checked: int = 0
    #: reminders sent by lead time (90, 30, 7)
    sent: Counter[int] = field(default_factory=Counter)
    #: inbox notifications written (one per owner user and reminder)
    notified: int = 0

    @property
    def sent_total(self) -> int:
        return sum(self.sent.values())


def send_fee_reminders(
    *,
    on: date | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    checkpoint: Callable[[], None] = _flush,
) -> ReminderReport:
    """Remind the owners of granted patents whose next annual fee falls due within 90, 30 or 7
    days. A :class:`FeeReminder` row per right, due date and lead time (unique) makes sure no
    reminder is sent twice, even by two jobs running at once.
    """
    day = on or today()
    report = ReminderReport(on=day)
    longest = max(REMINDER_LEAD_DAYS)
    # next due = paid_through + 1 day, within [day, day + longest]
    window = (day - timedelta(days=1), day + timedelta(days=longest - 1))
    last_id = 0
    while True:
        batch = db.session.scalars(
            sa.select(Right)
            .where(
                Right.id > last_id,
                Right.kind.in_(PATENT_KINDS),
                Right.grant_date.is_not(None),
                Right.status.in_(REMINDED_STATUSES),
                Right.paid_through.between(*window),
            )
            .order_by(Right.id)
            .limit(batch_size)
        ).all()
        if not batch:
            return report
        for right in batch:
            report.checked += 1
            try:
                standing = services.fee_standing(right, on=day)
            except terms.InvalidTermFacts:
                continue  # bad dates: refresh_statuses reports them
            if standing is None or standing.next_due is None or standing.fee_year is None:
                continue
            lead = reminder_lead((standing.next_due - day).days)
            if lead is None:
                continue
            notified = _send_reminder(right, standing, lead=lead, on=day)
            if notified is not None:
                report.sent[lead] += 1
                report.notified += notified
        last_id = batch[-1].id
        checkpoint()


def _send_reminder(right: Right, standing: terms.FeeStatus, *, lead: int, on: date) -> int | None:
    """Record the reminder, then notify every owner user; None when it was sent before."""
    due = cast(date, standing.next_due)
    exists = sa.select(FeeReminder.id).where(
        FeeReminder.right_id == right.id,
        FeeReminder.due_on == due,
        FeeReminder.days_before == lead,
    )
    if db.session.scalar(exists) is not None:
        return None
    try:
        # A job running at the same time may insert the same row: the unique constraint decides.
        with db.session.begin_nested():
            db.session.add(FeeReminder(right_id=right.id, due_on=due, days_before=lead))
    except sa.exc.IntegrityError:
        return None
    days_left = (due - on).days
    users = services.owner_users(right)
    for user in users:
        with force_locale(user_locale(user)):
            notify(
                user,
                title=_reminder_title(right, days_left),
                body=_reminder_body(right, standing),
                link=f"/rights/{right.id}",
            )
    db.session.add(
        RightEvent(
            right=right,
            occurred_on=on,
            event="reminder_sent",
            source="clock",
            detail=audit.jsonable(
                {
                    "due_on": due,
                    "days_before": lead,
                    "days_left": days_left,
                    "fee_year": standing.fee_year,
                    "fee": standing.fee,
                    "notified": len(users),
                }
            ),
        )
    )
    db.session.flush()
    return len(users)


def _reminder_title(right: Right, days_left: int) -> str:
    if days_left == 0:
        return str(_("Annual fee for %(number)s due today", number=right.display_number))
    return str(
        ngettext(
            "Annual fee for %(number)s due in %(num)d day",
            "Annual fee for %(number)s due in %(num)d days",
            days_left,
            number=right.display_number,
        )
    )


def _reminder_body(right: Right, standing: terms.FeeStatus) -> str:
    return str(
        _(
            "%(title)s (%(number)s): the annual fee for year %(year)d, %(amount)s (standard fee, "
            "before any reduction), is due on %(due)s. Until %(grace_end)s it can still be paid "
            "with a late fee; unpaid after that, the patent lapses as of the due date.",
            title=right.title_zh,
            number=right.display_number,
            year=cast(int, standing.fee_year),
            amount=format_money(standing.fee),
            due=format_date(standing.next_due, "medium"),
            grace_end=format_date(standing.grace_ends, "medium"),
        )
    )


# --- legal-status updates: the source interface ------------------------------------------


class StatusEvent(enum.StrEnum):
    """Legal-status events as a registry reports them (the ``event`` column)."""

    GRANTED = "granted"
    FEE_PAID = "fee_paid"
    INVALIDATION_REQUESTED = "invalidation_requested"
    INVALIDATION_REJECTED = "invalidation_rejected"  # the patent is maintained
    INVALIDATED = "invalidated"
    PARTIALLY_INVALIDATED = "partially_invalidated"  # maintained on amended claims
    SUSPENDED = "suspended"  # ownership dispute or court preservation
    SUSPENSION_LIFTED = "suspension_lifted"
    LAPSED = "lapsed"
    RESTORED = "restored"  # right restored after lapse (Implementing Regulations Art. 6)
    EXPIRED = "expired"


@dataclass(frozen=True)
class StatusRow:
    """One legal-status event of one right, as a source reports it."""

    #: where the row came from (file line), for error reports
    line: int
    #: as given: parsed by :func:`services.canonical_number` when applied
    number: str
    #: None: a patent, its kind read from the application number
    kind: RightKind | None
    occurred_on: date
    #: a :class:`StatusEvent` value; anything else is rejected when applied
    event: str
    #: ``paid_through`` (a date) and ``note`` (text), when given
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def paid_through(self) -> date | None:
        value = self.detail.get("paid_through")
        return value if isinstance(value, date) else None

    @property
    def note(self) -> str | None:
        return self.detail.get("note") or None


@dataclass(frozen=True)
class RowError:
    """A row that was not applied: its line, a stable code and a message for people."""

    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class StatusSource(Protocol):
    """Where legal-status updates come from: a file today, a licensed feed later.

    ``rows`` yields each event in order, or a :class:`RowError` for an entry it could not read;
    a source that cannot be read at all raises :class:`StatusFileInvalid`.
    """

    @property
    def name(self) -> str: ...

    def rows(self) -> Iterable[StatusRow | RowError]: ...


class StatusFileInvalid(DomainError):
    """The status file cannot be read at all (encoding, header); no row was applied."""

    status = 422
    code = "status_file_invalid"


# --- the CSV source ----------------------------------------------------------------------

REQUIRED_COLUMNS = ("number", "date", "event")
OPTIONAL_COLUMNS = ("kind", "paid_through", "note")
_DATE_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(text: str) -> date | None:
    """``2024-03-10``, ``2024/3/10``, ``2024.03.10`` or ``20240310`` (the forms registry
    extracts use); None when it is not a real date in one of those forms."""
    value = unicodedata.normalize("NFKC", text).strip()
    if match := _DATE_RE.match(value):
        year, month, day = match.group(1), match.group(3), match.group(4)
    elif match := _COMPACT_DATE_RE.match(value):
        year, month, day = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


class CsvStatusSource:
    """A CSV file with the header ``number,date,event`` and optionally ``kind``,
    ``paid_through`` and ``note`` columns, in any order; UTF-8 with or without a BOM (Excel's
    "CSV UTF-8"), separated by commas (or semicolons or tabs, as the header shows). Line 1 is
    the header; blank lines are skipped.
    """

    def __init__(self, path: str | Path, *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"import:{self.path.name}"

    def rows(self) -> Iterator[StatusRow | RowError]:
        """:raises StatusFileInvalid: not UTF-8, empty, or a header that is not as above."""
        try:
            # Read it all before yielding anything: a bad byte late in the file must not leave
            # the rows before it applied.
            text = self.path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StatusFileInvalid(
                _("The file is not UTF-8 text. Save it as “CSV UTF-8” and import it again.")
            ) from None
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        header = next(reader, None)
        if header is None:
            raise StatusFileInvalid(_("The file is empty."))
        columns = [name.strip().lower() for name in header]
        self._check_header(columns)
        index = {name: i for i, name in enumerate(columns)}
        last_line = reader.line_num
        for values in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            yield self._row(line, values, index, len(columns))

    @staticmethod
    def _check_header(columns: list[str]) -> None:
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise StatusFileInvalid(
                _("These columns appear twice: %(columns)s.", columns=", ".join(duplicates))
            )
        unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise StatusFileInvalid(
                _(
                    "Unknown columns: %(columns)s. The columns are number, date and event, "
                    "and optionally kind, paid_through and note.",
                    columns=", ".join(unknown),
                )
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise StatusFileInvalid(
                _("The header lacks these columns: %(columns)s.", columns=", ".join(missing))
            )

    @staticmethod
    def _row(
        line: int, values: list[str], index: dict[str, int], width: int
    ) -> StatusRow | RowError:
        if len(values) > width:
            return RowError(
                line,
                "bad_row",
                _(
                    "Expected %(expected)d values, found %(found)d.",
                    expected=width,
                    found=len(values),
                ),
            )

        def value(name: str) -> str:
            i = index.get(name)
            return values[i].strip() if i is not None and i < len(values) else ""

        for name in REQUIRED_COLUMNS:
            if not value(name):
                return RowError(line, "missing_value", _("The %(column)s is missing.", column=name))
        occurred_on = parse_date(value("date"))
        if occurred_on is None:
            return _bad_date(line, "date", value("date"))
        detail: dict[str, Any] = {}
        if value("paid_through"):
            paid_through = parse_date(value("paid_through"))
            if paid_through is None:
                return _bad_date(line, "paid_through", value("paid_through"))
            detail["paid_through"] = paid_through
        if value("note"):
            detail["note"] = value("note")
        kind = None
        if value("kind"):
            try:
                kind = RightKind(value("kind").lower())
            except ValueError:
                return RowError(
                    line,
                    "unknown_kind",
                    _(
                        "Unknown kind of right %(kind)s. Kinds: %(kinds)s.",
                        kind=value("kind"),
                        kinds=", ".join(k.value for k in RightKind),
                    ),
                )
        return StatusRow(
            line=line,
            number=value("number"),
            kind=kind,
            occurred_on=occurred_on,
            event=value("event").lower(),
            detail=detail,
        )


def _delimiter(text: str) -> str:
    """Commas, or the semicolons or tabs some spreadsheet locales write instead."""
    header = text.split("\n", 1)[0]
    for candidate in (",", ";", "\t"):
        if set(REQUIRED_COLUMNS) <= {name.strip().lower() for name in header.split(candidate)}:
            return candidate
    return ","


def _bad_date(line: int, column: str, text: str) -> RowError:
    return RowError(
        line,
        "bad_date",
        _("%(column)s: %(value)s is not a date like 2024-03-10.", column=column, value=text),
    )


# --- applying updates --------------------------------------------------------------------


class Target(enum.Enum):
    #: the status the clock gives, a sticky status staying as it is (a fee paid while under
    #: invalidation does not end the invalidation)
    RECOMPUTE = "recompute"
    #: the status the clock gives, leaving the sticky or lapsed status the right is in
    RESUME = "resume"


@dataclass(frozen=True)
class EventRule:
    #: statuses the event is possible in; any other is an illegal row
    allowed_from: frozenset[RightStatus]
    to: RightStatus | Target


_S = RightStatus
_LIVE = frozenset({_S.IN_FORCE, _S.GRACE_PERIOD})

#: The legal-status state machine: which event may happen in which status, and where it leads.
EVENT_RULES: dict[StatusEvent, EventRule] = {
    StatusEvent.GRANTED: EventRule(frozenset({_S.PENDING}), Target.RECOMPUTE),
    # Fees stay payable while an invalidation or a suspension runs.
    StatusEvent.FEE_PAID: EventRule(
        _LIVE | {_S.UNDER_INVALIDATION, _S.SUSPENDED}, Target.RECOMPUTE
    ),
    StatusEvent.INVALIDATION_REQUESTED: EventRule(_LIVE, _S.UNDER_INVALIDATION),
    StatusEvent.INVALIDATION_REJECTED: EventRule(frozenset({_S.UNDER_INVALIDATION}), Target.RESUME),
    StatusEvent.INVALIDATED: EventRule(_LIVE | {_S.UNDER_INVALIDATION}, _S.INVALIDATED),
    # The right survives on amended claims: it stays as the clock has it, and a pending
    # invalidation ends as with a rejection.
    StatusEvent.PARTIALLY_INVALIDATED: EventRule(_LIVE | {_S.UNDER_INVALIDATION}, Target.RESUME),
    StatusEvent.SUSPENDED: EventRule(_LIVE | {_S.PENDING}, _S.SUSPENDED),
    StatusEvent.SUSPENSION_LIFTED: EventRule(frozenset({_S.SUSPENDED}), Target.RESUME),
    # The registry may confirm what the clock already did.
    StatusEvent.LAPSED: EventRule(_LIVE | {_S.LAPSED}, _S.LAPSED),
    StatusEvent.RESTORED: EventRule(frozenset({_S.LAPSED}), Target.RESUME),
    StatusEvent.EXPIRED: EventRule(_LIVE | {_S.EXPIRED}, _S.EXPIRED),
}
#: Events whose row may carry ``paid_through``.
_PAID_THROUGH_EVENTS = frozenset({StatusEvent.GRANTED, StatusEvent.FEE_PAID, StatusEvent.RESTORED})


@dataclass
class ImportReport:
    source: str
    #: lines applied
    applied: list[int] = field(default_factory=list)
    #: lines already applied before (the same event on the same day): re-importing a file is safe
    skipped: list[int] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    #: status changes by new status
    changed: Counter[RightStatus] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.rejected


class _Rejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def apply_status_updates(
    source: StatusSource,
    *,
    actor: User | None = None,
    source_name: str | None = None,
    on: date | None = None,
) -> ImportReport:
    """Apply every row of ``source`` that is good; report the others with line and reason.

    Each row runs in its own savepoint: a row that fails at any step leaves nothing behind, and
    the rows before and after it are unaffected. Statuses are computed as of ``on`` (today).

    :raises StatusFileInvalid: the source cannot be read at all; nothing was applied.
    """
    day = on or today()
    name = (source_name or source.name)[:120]
    report = ImportReport(source=name)
    for row in source.rows():
        if isinstance(row, RowError):
            report.rejected.append(row)
            continue
        changes: list[RightStatus] = []
        try:
            with db.session.begin_nested():
                applied = _apply_row(row, actor=actor, source_name=name, on=day, changes=changes)
        except _Rejected as exc:
            report.rejected.append(RowError(row.line, exc.code, exc.message))
            continue
        except (DomainError, terms.InvalidTermFacts, numbers.InvalidIpNumber) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc)
            report.rejected.append(RowError(row.line, "invalid", message))
            continue
        (report.applied if applied else report.skipped).append(row.line)
        report.changed.update(changes)
    return report


def _find_right(row: StatusRow) -> Right:
    try:
        if row.kind is None:
            parsed = numbers.parse_patent_number(row.number)
            kind, number = RightKind(parsed.base_kind), parsed.application_number
        else:
            kind, number = row.kind, services.canonical_number(row.kind, row.number)
    except numbers.InvalidIpNumber as exc:
        raise _Rejected("invalid_number", str(exc)) from None
    right = services.find_right(kind, number)
    if right is None:
        raise _Rejected(
            "unknown_number", _("No right with the number %(number)s is registered.", number=number)
        )
    return right


def _already_applied(right: Right, event: StatusEvent, row: StatusRow) -> bool:
    """The same event on the same day is on the right's timeline (a re-imported file), or the
    fact is already recorded (fees covered, the same grant date)."""
    if event is StatusEvent.GRANTED and row.occurred_on in (
        right.grant_date,
        right.registration_date,
    ):
        return True
    if (
        event is StatusEvent.FEE_PAID
        and row.paid_through is not None
        and right.paid_through is not None
        and row.paid_through <= right.paid_through
    ):
        return True
    earlier = db.session.scalars(
        sa.select(RightEvent).where(
            RightEvent.right_id == right.id,
            RightEvent.event == event.value,
            RightEvent.occurred_on == row.occurred_on,
        )
    ).all()
    paid_through = row.paid_through.isoformat() if row.paid_through else None
    return any(e.detail.get("paid_through") == paid_through for e in earlier)


def _apply_row(
    row: StatusRow, *, actor: User | None, source_name: str, on: date, changes: list[RightStatus]
) -> bool:
    """Apply one row; False when it was applied before. Raises :class:`_Rejected` at the first
    problem, possibly after some writes: the caller's savepoint undoes them."""
    event = _event_of(row)
    right = _find_right(row)
    _check_dates(right, row, event, on=on)
    if _already_applied(right, event, row):
        return False
    rule = EVENT_RULES[event]
    if right.status not in rule.allowed_from:
        raise _Rejected(
            "illegal_event",
            _(
                "%(event)s is not possible while the right is %(status)s.",
                event=event.value,
                status=services.status_label(right.status),
            ),
        )
    _check_event(right, row, event, on=on)

    # First step: the facts the row reports, on the right's timeline and in the audit trail.
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    updates: dict[str, date] = {}
    if event is StatusEvent.GRANTED:
        grant_field = "registration_date" if right.kind is RightKind.TRADEMARK else "grant_date"
        updates[grant_field] = row.occurred_on
    if row.paid_through is not None:
        updates["paid_through"] = row.paid_through
    for name, value in updates.items():
        if getattr(right, name) != value:
            before[name], after[name] = getattr(right, name), value
            setattr(right, name, value)
    db.session.add(
        RightEvent(
            right=right,
            occurred_on=row.occurred_on,
            event=event.value,
            source=source_name,
            detail=audit.jsonable(
                {"line": row.line, **{k: v for k, v in row.detail.items() if v is not None}}
            ),
        )
    )
    audit.record(
        "right.legal_event",
        right,
        actor=actor,
        organisation=None,
        before=before or None,
        after={
            "event": event.value,
            "occurred_on": row.occurred_on,
            "source": source_name,
            "line": row.line,
            **after,
        },
    )

    # Second step: the status it leads to, which may still refuse the row.
    new = _status_after(right, event, rule, on=on)
    if services.change_status(
        right,
        new,
        on=row.occurred_on,
        source=source_name,
        actor=actor,
        detail={"event": event.value, "line": row.line},
    ):
        changes.append(new)
    return True


def _event_of(row: StatusRow) -> StatusEvent:
    try:
        return StatusEvent(row.event)
    except ValueError:
        raise _Rejected(
            "unknown_event",
            _(
                "Unknown event %(event)s. Events: %(events)s.",
                event=row.event,
                events=", ".join(e.value for e in StatusEvent),
            ),
        ) from None


def _check_dates(right: Right, row: StatusRow, event: StatusEvent, *, on: date) -> None:
    """The row's dates, checked before anything else (a bad ``paid_through`` is never taken for
    one already recorded)."""
    if row.occurred_on > on:
        raise _Rejected(
            "future_date",
            _("The date %(date)s is in the future.", date=row.occurred_on.isoformat()),
        )
    if right.filing_date is not None and row.occurred_on < right.filing_date:
        raise _Rejected(
            "before_filing",
            _(
                "The date %(date)s is before the filing date %(filing)s.",
                date=row.occurred_on.isoformat(),
                filing=right.filing_date.isoformat(),
            ),
        )
    if row.paid_through is not None:
        if event not in _PAID_THROUGH_EVENTS:
            raise _Rejected(
                "unexpected_paid_through",
                _("paid_through goes only with granted, fee_paid and restored rows."),
            )
        _check_paid_through(right, row.paid_through, on=on)


def _check_event(right: Right, row: StatusRow, event: StatusEvent, *, on: date) -> None:
    """What a legal event needs besides the right's status."""
    if event is StatusEvent.FEE_PAID:
        if not right.kind.is_patent:
            raise _Rejected("not_a_patent", _("Only patents have annual fees."))
        if row.paid_through is None:
            raise _Rejected("missing_paid_through", _("A fee_paid row needs paid_through."))
        _check_payment_in_time(right, row.occurred_on)
    if event is StatusEvent.EXPIRED:
        _check_term_over(right, row.occurred_on, on=on)


def _status_after(right: Right, event: StatusEvent, rule: EventRule, *, on: date) -> RightStatus:
    if isinstance(rule.to, RightStatus):
        return rule.to
    if rule.to is Target.RECOMPUTE:
        return services.computed_status(right, on=on)
    new = resumed_status(right, on=on)
    if event is StatusEvent.RESTORED and new is RightStatus.LAPSED:
        standing = services.fee_standing(right, on=on)
        due = standing.next_due if standing and standing.next_due else right.paid_through
        raise _Rejected(
            "still_lapsed",
            _(
                "The fee due on %(due)s is still unpaid after its grace period: give the "
                "paid_through date the restoration covers.",
                due=due.isoformat() if due else "?",
            ),
        )
    return new


def _check_paid_through(right: Right, paid_through: date, *, on: date) -> None:
    if not right.kind.is_patent or right.filing_date is None:
        raise _Rejected("not_a_patent", _("Only patents have annual fees."))
    try:
        terms.fee_status(
            right.kind.value,
            filing_date=right.filing_date,
            paid_through=paid_through,
            on=on,
            term_ends=services.expiry_of(right),
        )
    except terms.InvalidTermFacts:
        year = terms.fee_year_on(right.filing_date, max(paid_through, right.filing_date))
        raise _Rejected(
            "bad_paid_through",
            _(
                "paid_through %(date)s is not the last day of a fee year: this patent's fee "
                "years end on the day before each filing anniversary, such as %(example)s.",
                date=paid_through.isoformat(),
                example=terms.paid_through_for(right.filing_date, year).isoformat(),
            ),
        ) from None


def _check_payment_in_time(right: Right, paid_on: date) -> None:
    """A fee paid after the grace period does not revive a lapsed patent (restoration does)."""
    standing = services.fee_standing(right, on=paid_on)
    if standing is not None and standing.status == "lapsed" and standing.grace_ends is not None:
        raise _Rejected(
            "paid_after_grace",
            _(
                "The fee was paid on %(date)s, after its grace period ended on %(grace_end)s: "
                "the patent has lapsed.",
                date=paid_on.isoformat(),
                grace_end=standing.grace_ends.isoformat(),
            ),
        )


def _check_term_over(right: Right, occurred_on: date, *, on: date) -> None:
    """The registry's expiry must agree with the term the right's dates give, or the clock
    would undo it."""
    end = services.expiry_of(right)
    if end is None or occurred_on < end or on <= end:
        raise _Rejected(
            "term_not_over",
            _("By its dates this right's term runs to %(end)s.", end=end.isoformat())
            if end
            else _("By its dates this right has no fixed term."),
        )


def resumed_status(right: Right, *, on: date) -> RightStatus:
    """The status the clock gives ``right`` on ``on`` once the invalidation, suspension or lapse
    holding it ends (:func:`services.computed_status` leaves those statuses alone)."""
    return services.computed_status(right, on=on, ignore_hold=True)
