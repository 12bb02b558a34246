"""Errors of the rights registry."""

from __future__ import annotations

from marketplace.core.errors import Conflict, DomainError


class RightNotVerified(DomainError):
    """The organisation's ownership of the right has not been verified (确权)."""

    status = 409
    code = "right_not_verified"


class RightDisputed(Conflict):
    """An open ownership dispute blocks the right for every party."""

    code = "right_disputed"


class EvidenceRejected(DomainError):
    """An uploaded file is not an acceptable evidence document."""

    status = 422
    code = "evidence_rejected"
