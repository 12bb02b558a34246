"""The append-only audit trail with a SHA-256 hash chain.

Every entry stores the hash of the previous one, so rewriting or deleting any row breaks the
chain from that row on; ``flask audit verify`` walks it and names the first entry that fails.
``prev_hash`` is unique: two transactions that race to append after the same entry cannot both
commit, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import utcnow
from marketplace.extensions import db

GENESIS_HASH = "0" * 64
#: Any constant works; it names the PostgreSQL advisory lock that serialises appends.
_AUDIT_LOCK_KEY = 7_341_002


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Kept after a user is anonymised: the trail says *that* account acted, not who it was.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(80))
    object_type: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[str] = mapped_column(sa.String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)

    def compute_hash(self) -> str:
        return chain_hash(
            self.prev_hash,
            {
                "created_at": _timestamp(self.created_at),
                "actor_id": self.actor_id,
                "organisation_id": self.organisation_id,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "before": self.before,
                "after": self.after,
            },
        )


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def jsonable(value: Any) -> Any:
    """Turn a snapshot into plain JSON values so that it hashes identically after a round trip."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        # Floats do not round-trip exactly through every backend; money is never a float anyway.
        return repr(value)
    return value


def _last_hash() -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    last = db.session.scalar(sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS_HASH


def record(
    action: str,
    obj: Any,
    *,
    actor: Any | None,
    organisation: Any | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for a state change of ``obj``; flushes, never commits.

    ``obj`` is a mapped instance (its table name and id are recorded) or a ``(type, id)`` pair.
    """
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        db.session.flush()
        object_type, object_id = obj.__tablename__, obj.id
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        organisation_id=getattr(organisation, "id", None)
        if organisation is not None
        else getattr(actor, "organisation_id", None),
        action=action,
        object_type=str(object_type),
        object_id=str(object_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        prev_hash=_last_hash(),
    )
    entry.hash = entry.compute_hash()
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(batch_size: int = 1000) -> ChainReport:
    """Walk the whole trail in id order and report the first entry that breaks the chain."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(checked, None, None)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "previous hash does not match (row removed?)")
            if entry.compute_hash() != entry.hash:
                return ChainReport(
                    checked, entry.id, "content does not match its hash (row edited)"
                )
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id


def history(object_type: str, object_id: Any) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        )
    )
