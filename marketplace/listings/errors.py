"""Errors of the market."""

from __future__ import annotations

from marketplace.core.errors import DomainError


class ListingRefused(DomainError):
    """A listing cannot be published (or a licence granted) as it stands; ``fields["rights"]``
    lists every reason."""

    status = 409
    code = "listing_refused"
