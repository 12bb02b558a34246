"""Errors of pledge financing."""

from __future__ import annotations

from marketplace.core.errors import DomainError


class PledgeRefused(DomainError):
    """A right cannot be offered, filed or pledged as it stands; ``fields["rights"]`` lists every
    failing ground."""

    status = 409
    code = "pledge_refused"
