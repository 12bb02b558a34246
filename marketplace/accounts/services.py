"""Account rules: sign-up, organisations and their verification, invitations, password reset,
personal API tokens, and the person's PIPL rights (export, deletion).

Every function flushes and never commits; the caller commits once.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.models import (
    ORG_TRANSITIONS,
    ApiToken,
    Invitation,
    Organisation,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from marketplace.core import audit
from marketplace.core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.notifications.services import notify, send_templated_email, user_locale

#: The versions of the legal texts a new user accepts; bump when the texts change.
TERMS_VERSION = "2026-11"
PRIVACY_VERSION = "2026-11"
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "ipt_"


def hash_secret(secret: str) -> str:
    """Secrets sent by email or shown once are stored only as their SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _email_problem(email: str) -> str | None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _("Enter a valid email address.")
    return None


def _password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if password.isdigit() or password.isalpha():
        problems.append(_("Mix letters with digits or symbols."))
    return problems


def set_password(user: User, password: str) -> None:
    problems = _password_problems(password)
    if problems:
        raise ValidationFailed(_("The password is too weak."), fields={"password": problems})
    user.password_hash = generate_password_hash(password, method=_password_method())


def check_password(user: User, password: str) -> bool:
    return user.is_active and check_password_hash(user.password_hash, password)


# --- sign-up and log-in -------------------------------------------------------------------


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    name: str
    accept_terms: bool
    accept_privacy: bool
    locale: str | None = None


def sign_up(data: SignUp) -> User:
    """Create a user account. All problems are reported together.

    :raises ValidationFailed: invalid email, weak password, missing name or consent.
    :raises Conflict: the email is already registered.
    """
    email = normalise_email(data.email)
    fields: dict[str, list[str]] = {}
    if problem := _email_problem(email):
        fields["email"] = [problem]
    if problems := _password_problems(data.password):
        fields["password"] = problems
    if not data.name.strip():
        fields["name"] = [_("Enter your name.")]
    if not data.accept_terms:
        fields["accept_terms"] = [_("You must accept the user agreement.")]
    if not data.accept_privacy:
        fields["accept_privacy"] = [_("You must accept the privacy notice.")]
    if fields:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=fields)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            _("This email is already registered."),
            fields={"email": [_("This email is already registered.")]},
        )
    user = User(
        email=email,
        name=data.name.strip(),
        locale=data.locale,
        terms_version=TERMS_VERSION,
        privacy_version=PRIVACY_VERSION,
        consented_at=utcnow(),
    )
    set_password(user, data.password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.signed_up",
        user,
        actor=user,
        after={"terms_version": TERMS_VERSION, "privacy_version": PRIVACY_VERSION},
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        # Spend the same time as a real check so response time does not reveal who is registered.
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password(user, password):
        return None
    user.last_login_at = utcnow()
    return user


def _password_method() -> str:
    return str(current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash("not-a-real-password-0", method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(_password_method())


# --- organisations ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationData:
    kind: OrgKind
    name_zh: str
    region: str
    identity_number: str
    name_en: str | None = None


def validate_identity_number(kind: OrgKind, number: str) -> str:
    """Return the compact identity number, or raise with the reason in the ``identity_number``
    field: USCC for legal persons, resident identity number for an individual inventor."""
    try:
        if kind.is_individual:
            return ric.validate(number)
        return uscc.validate(number)
    except StdnumError as exc:
        label = _("resident identity number") if kind.is_individual else _("USCC")
        reason = {
            "InvalidChecksum": _("the check character is wrong"),
            "InvalidLength": _("it must have 18 characters"),
            "InvalidFormat": _("it contains characters that are not allowed"),
            "InvalidComponent": _("a part of it is not valid"),
        }.get(type(exc).__name__, str(exc))
        message = _("This %(label)s is not valid: %(reason)s.", label=label, reason=reason)
        raise ValidationFailed(message, fields={"identity_number": [message]}) from None


def create_organisation(creator: User, data: OrganisationData) -> Organisation:
    """Create a pending organisation with ``creator`` as its admin and tell the operators.

    :raises ValidationFailed: missing names, invalid identity number, operator kind requested.
    :raises Conflict: the creator already belongs to an organisation, or the number is taken.
    """
    if creator.organisation_id is not None:
        raise Conflict(_("You already belong to an organisation."))
    fields: dict[str, list[str]] = {}
    if not data.name_zh.strip():
        fields["name_zh"] = [_("Enter the organisation's Chinese name.")]
    if not data.region.strip():
        fields["region"] = [_("Enter the region.")]
    if data.kind is OrgKind.OPERATOR:
        fields["kind"] = [_("Operator organisations are created by the platform only.")]
    number = data.identity_number
    try:
        number = validate_identity_number(data.kind, data.identity_number)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    if fields:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=fields)
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.identity_number == number)):
        message = _("An organisation with this identity number is already registered.")
        raise Conflict(message, fields={"identity_number": [message]})
    org = Organisation(
        kind=data.kind,
        name_zh=data.name_zh.strip(),
        name_en=(data.name_en or "").strip() or None,
        region=data.region.strip(),
        identity_number=number,
        status=OrgStatus.PENDING,
    )
    db.session.add(org)
    db.session.flush()
    creator.organisation = org
    creator.role = Role.ADMIN
    audit.record(
        "organisation.created", org, actor=creator, organisation=org, after=_org_state(org)
    )
    for operator in operators():
        with force_locale(user_locale(operator)):
            notify(
                operator,
                title=_("New organisation to verify: %(name)s", name=org.name_zh),
                link=f"/operator/organisations/{org.id}",
            )
    return org


def _org_state(org: Organisation) -> dict[str, Any]:
    return {
        "kind": org.kind,
        "name_zh": org.name_zh,
        "name_en": org.name_en,
        "region": org.region,
        "status": org.status,
        "status_reason": org.status_reason,
    }


def operators() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Organisation)
            .where(
                Organisation.kind == OrgKind.OPERATOR,
                Organisation.status == OrgStatus.VERIFIED,
                User.active.is_(True),
                User.deleted_at.is_(None),
            )
        )
    )


def change_organisation_status(
    org: Organisation, new_status: OrgStatus, *, actor: User, reason: str | None = None
) -> Organisation:
    """Move ``org`` along :data:`ORG_TRANSITIONS` and tell its admins.

    :raises IllegalTransition: the step is not in the table.
    :raises ValidationFailed: rejection or suspension without a reason.
    """
    if (org.status, new_status) not in ORG_TRANSITIONS:
        from marketplace.accounts.forms import ORG_STATUS_LABELS

        raise IllegalTransition(
            _(
                "An organisation cannot go from %(old)s to %(new)s.",
                old=ORG_STATUS_LABELS[org.status],
                new=ORG_STATUS_LABELS[new_status],
            )
        )
    if new_status in (OrgStatus.REJECTED, OrgStatus.SUSPENDED) and not (reason or "").strip():
        message = _("Give the reason.")
        raise ValidationFailed(message, fields={"reason": [message]})
    before = _org_state(org)
    org.status = new_status
    org.status_reason = (reason or "").strip() or None
    if new_status is OrgStatus.VERIFIED:
        org.verified_at = utcnow()
    audit.record(
        f"organisation.{new_status.value}",
        org,
        actor=actor,
        organisation=org,
        before=before,
        after=_org_state(org),
    )
    for admin in org_admins(org):
        with force_locale(user_locale(admin)):
            titles = {
                OrgStatus.VERIFIED: _("Your organisation has been verified."),
                OrgStatus.REJECTED: _("Your organisation's registration was rejected."),
                OrgStatus.SUSPENDED: _("Your organisation has been suspended."),
                OrgStatus.PENDING: _("Your organisation is pending review again."),
            }
            notify(admin, title=titles[new_status], body=org.status_reason or "", link="/org")
    return org


def org_admins(org: Organisation) -> list[User]:
    return [u for u in org.members if u.role is Role.ADMIN and u.is_active]


def create_operator(email: str, password: str, name: str) -> User:
    """Create an operator account, and the operator organisation itself on first use."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.kind == OrgKind.OPERATOR))
    if org is None:
        org = Organisation(
            kind=OrgKind.OPERATOR,
            name_zh="长春新区知识产权生态小镇运营中心",
            name_en="IP Town Operations Centre, Changchun New Area",
            region="吉林省长春市长春新区",
            identity_number=OPERATOR_USCC,
            status=OrgStatus.VERIFIED,
            verified_at=utcnow(),
        )
        db.session.add(org)
        db.session.flush()
    user = sign_up(
        SignUp(email=email, password=password, name=name, accept_terms=True, accept_privacy=True)
    )
    user.organisation = org
    user.role = Role.ADMIN
    audit.record("user.made_operator", user, actor=None, organisation=org, after={"role": "admin"})
    return user


#: A fictional but check-valid USCC for the operator's own organisation.
OPERATOR_USCC = "12220100MB1234567" + uscc.calc_check_digit("12220100MB1234567")


# --- members and invitations --------------------------------------------------------------


def invite_member(
    org: Organisation, *, actor: User, email: str, role: Role
) -> tuple[Invitation, str]:
    """Invite ``email`` to ``org``; returns the invitation and the secret for the link.

    :raises ValidationFailed: invalid email.
    :raises Conflict: the person is already a member.
    """
    email = normalise_email(email)
    if problem := _email_problem(email):
        raise ValidationFailed(problem, fields={"email": [problem]})
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None and existing.organisation_id == org.id:
        message = _("This person is already a member.")
        raise Conflict(message, fields={"email": [message]})
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation=org,
        email=email,
        role=role,
        token_hash=hash_secret(secret),
        invited_by=actor,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.created",
        invitation,
        actor=actor,
        organisation=org,
        after={"email": email, "role": role},
    )
    locale = existing.locale if existing and existing.locale else "zh"
    send_templated_email(
        email,
        "invitation",
        locale=locale,
        org=org,
        inviter=actor,
        link=_external_url(f"/invitations/{secret}"),
    )
    return invitation, secret


def find_invitation(secret: str) -> Invitation:
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_secret(secret))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise NotFound(_("This invitation is invalid or has expired."))
    return invitation


def accept_invitation(secret: str, user: User) -> Organisation:
    """Join the invitation's organisation.

    :raises NotFound: unknown, used, revoked or expired invitation.
    :raises Conflict: the user already belongs to an organisation or is not the invitee.
    """
    invitation = find_invitation(secret)
    if normalise_email(user.email) != invitation.email:
        raise Conflict(_("This invitation was sent to another email address."))
    if user.organisation_id is not None:
        raise Conflict(_("You already belong to an organisation."))
    user.organisation = invitation.organisation
    user.role = invitation.role
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    audit.record(
        "member.joined",
        user,
        actor=user,
        organisation=invitation.organisation,
        after={"organisation_id": invitation.organisation_id, "role": invitation.role},
    )
    return invitation.organisation


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been accepted."))
    invitation.revoked_at = utcnow()
    audit.record("invitation.revoked", invitation, actor=actor)


def change_member_role(member: User, role: Role, *, actor: User) -> None:
    """:raises Conflict: the change would leave the organisation without an admin."""
    demoting = member.role is Role.ADMIN and role is not Role.ADMIN
    if demoting and member.organisation and len(org_admins(member.organisation)) <= 1:
        raise Conflict(_("An organisation needs at least one admin."))
    before = {"role": member.role}
    member.role = role
    audit.record("member.role_changed", member, actor=actor, before=before, after={"role": role})


def pending_invitations(org: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.organisation_id == org.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


# --- password reset -----------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier reset link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Email a reset link if the address is registered; say nothing either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        return
    token = _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})
    send_templated_email(
        user.email,
        "password_reset",
        locale=user_locale(user),
        user=user,
        link=_external_url(f"/reset-password/{token}"),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def reset_password(token: str, new_password: str) -> User:
    """:raises NotFound: bad, used or expired token. :raises ValidationFailed: weak password."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired):
        raise NotFound(_("This reset link is invalid or has expired.")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or data.get("fp") != _password_fingerprint(user):
        raise NotFound(_("This reset link is invalid or has expired."))
    set_password(user, new_password)
    audit.record("user.password_reset", user, actor=user)
    return user


# --- API tokens ---------------------------------------------------------------------------


def create_api_token(user: User, *, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a personal API token. The secret is returned once and never stored.

    :raises ValidationFailed: no name, or a lifetime outside 1–365 days.
    """
    days = days if days is not None else current_app.config["API_TOKEN_DEFAULT_DAYS"]
    fields: dict[str, list[str]] = {}
    if not name.strip():
        fields["name"] = [_("Give the token a name.")]
    if not 1 <= days <= 365:
        fields["days"] = [_("A token lives between 1 and 365 days.")]
    if fields:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=fields)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=secret[:12],
        token_hash=hash_secret(secret),
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", token, actor=user, after={"name": token.name, "days": days})
    return token, secret


def revoke_api_token(token: ApiToken, *, actor: User) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    audit.record("api_token.revoked", token, actor=actor)


def user_for_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    now = utcnow()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    # Written at most once a minute per token, so busy API clients do not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        db.session.commit()
    return token.user


def user_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


# --- personal data (PIPL) -----------------------------------------------------------------


def export_personal_data(user: User) -> dict[str, Any]:
    """Everything the platform holds about the person, as JSON-ready data."""
    from marketplace.notifications.models import Notification

    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
    actions = db.session.scalars(
        sa.select(audit.AuditEntry).where(audit.AuditEntry.actor_id == user.id)
    )
    return audit.jsonable(
        {
            "exported_at": utcnow(),
            "account": {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "locale": user.locale,
                "role": user.role,
                "created_at": user.created_at,
                "last_login_at": user.last_login_at,
                "terms_version": user.terms_version,
                "privacy_version": user.privacy_version,
                "consented_at": user.consented_at,
            },
            "organisation": None
            if user.organisation is None
            else {"id": user.organisation.id, "name_zh": user.organisation.name_zh},
            "api_tokens": [
                {
                    "name": t.name,
                    "prefix": t.prefix,
                    "created_at": t.created_at,
                    "expires_at": t.expires_at,
                    "revoked_at": t.revoked_at,
                }
                for t in user_tokens(user)
            ],
            "notifications": [
                {"title": n.title, "body": n.body, "created_at": n.created_at} for n in notes
            ],
            "actions": [
                {
                    "action": a.action,
                    "object_type": a.object_type,
                    "object_id": a.object_id,
                    "created_at": a.created_at,
                }
                for a in actions
            ],
        }
    )


def delete_account(user: User, *, password: str) -> None:
    """Anonymise the person; audit entries and ledger rows keep pointing at the anonymous row.

    :raises ValidationFailed: wrong password.
    :raises Conflict: the user is the last admin of an organisation that has other members.
    """
    if not check_password(user, password):
        message = _("The password is not correct.")
        raise ValidationFailed(message, fields={"password": [message]})
    org = user.organisation
    if org is not None and user.role is Role.ADMIN:
        others = [m for m in org.members if m.id != user.id and m.is_active]
        if others and len(org_admins(org)) <= 1:
            raise Conflict(_("Make another member an admin before deleting your account."))
    now = utcnow()
    for token in user_tokens(user):
        token.revoked_at = token.revoked_at or now
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name = "已注销用户"
    user.password_hash = "!"  # matches no password
    user.locale = None
    user.active = False
    user.deleted_at = now
    audit.record("user.deleted", user, actor=user, after={"anonymised": True})


def _external_url(path: str) -> str:
    from flask import has_request_context, request

    base = request.host_url.rstrip("/") if has_request_context() else "http://127.0.0.1:5000"
    return base + path
