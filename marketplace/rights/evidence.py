"""Evidence files: PDF, PNG or JPEG only, judged by content not by name, at most 10 MB, stored
outside the web root under a random name with their SHA-256 recorded."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.extensions import db
from marketplace.rights.errors import EvidenceRejected
from marketplace.rights.models import EvidenceFile, EvidenceKind, OwnershipClaim

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
#: Magic numbers of the accepted formats: the file's first bytes decide, not its name.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the edge received it."""

    filename: str
    stream: BinaryIO
    kind: EvidenceKind = EvidenceKind.CERTIFICATE


def sniff(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def evidence_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_checked(upload: Upload) -> tuple[bytes, str]:
    """The file's bytes and content type, or :class:`EvidenceRejected` with the reason."""
    data = upload.stream.read(MAX_EVIDENCE_BYTES + 1)
    name = os.path.basename(upload.filename or "") or "upload"
    if not data:
        raise EvidenceRejected(
            _("%(name)s is empty.", name=name),
            fields={"evidence": [_("%(name)s is empty.", name=name)]},
        )
    if len(data) > MAX_EVIDENCE_BYTES:
        message = _("%(name)s is larger than 10 MB.", name=name)
        raise EvidenceRejected(message, fields={"evidence": [message]})
    content_type = sniff(data[:16])
    if content_type is None:
        message = _(
            "%(name)s is not a PDF, PNG or JPEG file (judged by its content, not its name).",
            name=name,
        )
        raise EvidenceRejected(message, fields={"evidence": [message]})
    return data, content_type


def store(claim: OwnershipClaim, upload: Upload, *, actor: User) -> EvidenceFile:
    """Check and store one evidence file for ``claim``; the database row is flushed only after
    the file is safely on disk."""
    data, content_type = read_checked(upload)
    stored_name = secrets.token_hex(24)
    target = evidence_dir() / stored_name
    # Write then rename: a crash never leaves a half-written file under a recorded name.
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    record = EvidenceFile(
        claim=claim,
        kind=upload.kind,
        filename=os.path.basename(upload.filename or "")[:255] or "upload",
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "evidence.uploaded",
        record,
        actor=actor,
        after={"claim_id": claim.id, "sha256": record.sha256, "size": record.size},
    )
    return record


def path_of(record: EvidenceFile) -> Path:
    return evidence_dir() / record.stored_name
