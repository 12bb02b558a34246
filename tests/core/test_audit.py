"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from marketplace.core import audit
from marketplace.core.audit import AuditEntry, record, verify_chain
from marketplace.core.cli import audit_cli
from marketplace.extensions import db as _db
from tests.conftest import is_postgres
from tests.factories import make_org, make_user


def _three_entries():
    user = make_user(make_org())
    entries = [
        record("thing.created", ("things", 1), actor=user, after={"status": "draft", "fen": 100}),
        record(
            "thing.published",
            ("things", 1),
            actor=user,
            before={"status": "draft"},
            after={"status": "published"},
        ),
        record("thing.closed", ("things", 1), actor=user, after={"status": "closed"}),
    ]
    return user, entries


def test_entries_are_chained(db):
    _user, entries = _three_entries()
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3
    assert verify_chain().ok


def test_edited_row_is_detected(db):
    _user, entries = _three_entries()
    _db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.id == entries[1].id)
        .values(after={"status": "withdrawn"})
    )
    _db.session.expire_all()
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id == entries[1].id
    assert report.checked == 1


def test_removed_row_is_detected(db):
    _user, entries = _three_entries()
    _db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == entries[1].id))
    _db.session.expire_all()
    assert verify_chain().first_bad_id == entries[2].id


def test_flask_audit_verify_reports_first_tampered_entry(app, db):
    _user, entries = _three_entries()
    runner = app.test_cli_runner()
    ok = runner.invoke(audit_cli, ["verify"])
    assert ok.exit_code == 0 and "3 entries verified" in ok.output
    _db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.id == entries[2].id).values(actor_id=None)
    )
    _db.session.expire_all()
    broken = runner.invoke(audit_cli, ["verify"])
    assert broken.exit_code == 1
    assert f"BROKEN at entry {entries[2].id}" in broken.output


def test_snapshots_survive_the_round_trip(db):
    from datetime import date

    from marketplace.accounts.models import OrgStatus

    entry = record(
        "x",
        ("things", 2),
        actor=None,
        after={"on": date(2024, 2, 29), "status": OrgStatus.VERIFIED, "fen": 12345},
    )
    _db.session.expire_all()
    reloaded = _db.session.get(AuditEntry, entry.id)
    assert reloaded.after == {"on": "2024-02-29", "status": "verified", "fen": 12345}
    assert reloaded.compute_hash() == reloaded.hash


@pytest.mark.skipif(not is_postgres(), reason="real concurrent appends are proven on PostgreSQL")
def test_concurrent_appends_never_fork_the_chain(app, committing_db):
    """Eight threads on their own connections append at once; the chain stays one line."""
    threads_count, per_thread = 8, 10
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_count)

    def worker(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for i in range(per_thread):
                    record("race.step", ("races", f"{n}-{i}"), actor=None, after={"i": i})
                    _db.session.commit()
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        count = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        assert count == threads_count * per_thread
        assert verify_chain().ok
