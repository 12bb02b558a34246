"""Permission rules for organisations, members, invitations and API tokens."""

from __future__ import annotations

from marketplace.accounts.models import ApiToken, Invitation, Organisation, User
from marketplace.core import policy


@policy.visibility(Organisation)
def _org_visible(user: User, org: Organisation) -> bool:
    return user.is_operator or user.organisation_id == org.id


@policy.action(Organisation, "view")
def _org_view(user: User, org: Organisation) -> bool:
    return True


@policy.action(Organisation, "manage", "invite")
def _org_manage(user: User, org: Organisation) -> bool:
    return user.organisation_id == org.id and user.is_org_admin and org.is_verified


@policy.action(Organisation, "verify")
def _org_verify(user: User, org: Organisation) -> bool:
    return user.is_operator


@policy.visibility(User)
def _user_visible(user: User, other: User) -> bool:
    return (
        user.id == other.id
        or user.is_operator
        or (user.organisation_id is not None and user.organisation_id == other.organisation_id)
    )


@policy.action(User, "change_role", "remove")
def _member_manage(user: User, other: User) -> bool:
    return user.is_org_admin and user.organisation_id == other.organisation_id


@policy.visibility(Invitation)
def _invitation_visible(user: User, invitation: Invitation) -> bool:
    return user.is_org_admin and user.organisation_id == invitation.organisation_id


@policy.action(Invitation, "revoke")
def _invitation_revoke(user: User, invitation: Invitation) -> bool:
    return True


@policy.visibility(ApiToken)
def _token_visible(user: User, token: ApiToken) -> bool:
    return token.user_id == user.id


@policy.action(ApiToken, "revoke")
def _token_revoke(user: User, token: ApiToken) -> bool:
    return True


@policy.action(None, "organisations.create")
def _create_org(user: User, _: None) -> bool:
    return user.organisation_id is None


@policy.action(None, "organisations.review")
def _review_orgs(user: User, _: None) -> bool:
    return user.is_operator


@policy.action(None, "tokens.create")
def _create_token(user: User, _: None) -> bool:
    return True
