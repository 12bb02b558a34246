"""Errors of the deal room."""

from __future__ import annotations

from marketplace.core.errors import Conflict, DomainError


class DealRefused(Conflict):
    """The deal cannot go on as asked: another deal holds the listing, the listing is no longer
    on offer, or the deal was cancelled meanwhile. The message says which."""

    code = "deal_refused"


class DocumentRejected(DomainError):
    """An uploaded deal document is empty, too large or not a PDF, PNG or JPEG."""

    status = 422
    code = "document_rejected"


class ContractTampered(Conflict):
    """The stored contract no longer matches the SHA-256 taken when it was generated."""

    code = "contract_tampered"
