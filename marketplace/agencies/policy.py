"""Who sees and manages agency services.

The directory is public to every signed-in member of a verified organisation: agencies want to
be found, and their services carry nothing confidential. A deactivated service is visible only
to its own agency (and the operator). Only the agency's own members change its services; for
anyone else an edit looks like a missing page, as :func:`own_service_or_404` answers.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, OrgCategory, User
from marketplace.agencies.models import AgencyService
from marketplace.agencies.services import is_agency, is_orderable
from marketplace.core import policy
from marketplace.core.errors import NotFound


def _org(user: User) -> Organisation | None:
    org = user.organisation
    return org if org is not None and org.is_verified else None


def is_own(user: User, service: AgencyService) -> bool:
    org = _org(user)
    return org is not None and org.id == service.provider_org_id and is_agency(org)


@policy.visibility(AgencyService)
def _service_visible(user: User, service: AgencyService) -> bool:
    if _org(user) is None:
        return False
    return user.is_operator or is_own(user, service) or is_orderable(service)


@policy.action(AgencyService, "view")
def _view(user: User, service: AgencyService) -> bool:
    return True


@policy.action(AgencyService, "edit", "deactivate", "reactivate")
def _edit(user: User, service: AgencyService) -> bool:
    return is_own(user, service)


@policy.action(AgencyService, "order")
def _order(user: User, service: AgencyService) -> bool:
    org = _org(user)
    return (
        org is not None
        and org.category is OrgCategory.RIGHTS_HOLDER
        and org.id != service.provider_org_id
        and is_orderable(service)
    )


@policy.action(None, "agencies.directory")
def _directory(user: User, _: None) -> bool:
    return _org(user) is not None


@policy.action(None, "agencies.manage")
def _manage(user: User, _: None) -> bool:
    return is_agency(_org(user))


def own_service_or_404(user: Any, service_id: int) -> AgencyService:
    """Load a service ``user``'s agency provides: anyone else's looks missing (404), not
    forbidden, so an id says nothing about another agency's catalogue."""
    service: AgencyService = policy.get_visible_or_404(user, AgencyService, service_id)
    if not policy.can(user, "edit", service):
        raise NotFound(_("Not found."))
    return service
