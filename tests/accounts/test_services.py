"""Account rules: sign-up, organisations, verification, invitations, reset, tokens, PIPL."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.accounts import services
from marketplace.accounts.models import (
    ORG_TRANSITIONS,
    ApiToken,
    Organisation,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from marketplace.core.audit import AuditEntry, history
from marketplace.core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification, OutboxEmail
from tests.factories import PASSWORD, make_operator, make_org, make_user, valid_ric, valid_uscc


def sign_up(email: str = "new@example.cn", password: str = "a-good-pass-1", **kw) -> User:
    data = {"name": "张三", "accept_terms": True, "accept_privacy": True, **kw}
    return services.sign_up(services.SignUp(email=email, password=password, **data))


def org_data(**kw) -> services.OrganisationData:
    fields = {
        "kind": OrgKind.ENTERPRISE,
        "name_zh": "长春测试科技有限公司",
        "region": "长春新区",
        "identity_number": valid_uscc(9_000_001),
        **kw,
    }
    return services.OrganisationData(**fields)


# --- sign-up -----------------------------------------------------------------------------


def test_sign_up_hashes_password_and_records_consent(db):
    user = sign_up(email="  Mixed.Case@Example.CN ")
    assert user.email == "mixed.case@example.cn"
    assert PASSWORD not in user.password_hash and "a-good-pass-1" not in user.password_hash
    assert services.check_password(user, "a-good-pass-1")
    assert user.terms_version == services.TERMS_VERSION
    assert user.privacy_version == services.PRIVACY_VERSION
    assert history("users", user.id)[0].action == "user.signed_up"


def test_sign_up_reports_every_problem_at_once(db):
    with pytest.raises(ValidationFailed) as caught:
        sign_up(
            email="not-an-email",
            password="short",
            name=" ",
            accept_terms=False,
            accept_privacy=False,
        )
    assert set(caught.value.fields) == {
        "email",
        "password",
        "name",
        "accept_terms",
        "accept_privacy",
    }
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_sign_up_refuses_duplicate_email(db):
    sign_up(email="dup@example.cn")
    with pytest.raises(Conflict):
        sign_up(email="DUP@example.cn")


def test_password_needs_letters_and_digits(db):
    with pytest.raises(ValidationFailed) as caught:
        sign_up(password="onlyletterslong")
    assert "password" in caught.value.fields


def test_authenticate(db):
    user = sign_up(email="login@example.cn")
    assert services.authenticate("LOGIN@example.cn", "a-good-pass-1") is user
    assert services.authenticate("login@example.cn", "wrong-pass-1") is None
    assert services.authenticate("nobody@example.cn", "a-good-pass-1") is None


# --- organisations -----------------------------------------------------------------------


def test_create_organisation_makes_creator_admin_and_tells_operators(db):
    operator = make_operator()
    user = make_user(None)
    org = services.create_organisation(user, org_data())
    assert org.status is OrgStatus.PENDING
    assert user.organisation is org and user.role is Role.ADMIN
    notes = _db.session.scalars(sa.select(Notification).where(Notification.user_id == operator.id))
    assert any(org.name_zh in n.title for n in notes)
    assert [e.action for e in history("organisations", org.id)] == ["organisation.created"]


@pytest.mark.parametrize(
    ("kind", "number", "reason"),
    [
        (OrgKind.ENTERPRISE, "91220100MA00000011", "check"),
        (OrgKind.ENTERPRISE, "9122010", "18"),
        (OrgKind.INDIVIDUAL_INVENTOR, "220100199001011230", "check"),
        (OrgKind.INDIVIDUAL_INVENTOR, valid_uscc(5), None),
    ],
)
def test_identity_number_is_checked(db, kind, number, reason):
    user = make_user(None)
    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        services.create_organisation(user, org_data(kind=kind, identity_number=number))
    assert "identity_number" in caught.value.fields
    if reason:
        assert reason in caught.value.fields["identity_number"][0]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_individual_inventor_uses_resident_identity_number_shown_masked(db):
    number = valid_ric(77)
    org = services.create_organisation(
        make_user(None), org_data(kind=OrgKind.INDIVIDUAL_INVENTOR, identity_number=number)
    )
    assert org.identity_number == number
    assert org.masked_identity_number != number
    assert org.masked_identity_number.startswith(number[:3])
    assert number[3:14] not in org.masked_identity_number


def test_identity_number_is_unique(db):
    services.create_organisation(make_user(None), org_data())
    with pytest.raises(Conflict):
        services.create_organisation(make_user(None), org_data())


def test_nobody_registers_an_operator_organisation(db):
    with pytest.raises(ValidationFailed) as caught:
        services.create_organisation(make_user(None), org_data(kind=OrgKind.OPERATOR))
    assert "kind" in caught.value.fields


def test_member_cannot_create_a_second_organisation(db):
    user = make_user(make_org())
    with pytest.raises(Conflict):
        services.create_organisation(user, org_data())


ALL_STEPS = [(a, b) for a in OrgStatus for b in OrgStatus if a is not b]


@pytest.mark.parametrize(("old", "new"), ALL_STEPS)
def test_organisation_transition_table(db, old, new):
    operator = make_operator()
    org = make_org(status=old)
    if (old, new) in ORG_TRANSITIONS:
        services.change_organisation_status(org, new, actor=operator, reason="依据材料")
        assert org.status is new
        assert history("organisations", org.id)[-1].after["status"] == new.value
    else:
        with pytest.raises(IllegalTransition):
            services.change_organisation_status(org, new, actor=operator, reason="x")
        assert org.status is old


def test_rejection_needs_a_reason(db):
    org = make_org(status=OrgStatus.PENDING)
    with pytest.raises(ValidationFailed):
        services.change_organisation_status(org, OrgStatus.REJECTED, actor=make_operator())
    assert org.status is OrgStatus.PENDING


def test_verification_notifies_the_admins_in_their_language(db):
    org = make_org(status=OrgStatus.PENDING)
    admin = make_user(org, role=Role.ADMIN, locale="en")
    services.change_organisation_status(org, OrgStatus.VERIFIED, actor=make_operator())
    note = _db.session.scalars(
        sa.select(Notification).where(Notification.user_id == admin.id)
    ).one()
    assert "verified" in note.title.lower()
    assert org.verified_at is not None
    email = _db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.recipient == admin.email)
    ).one()
    assert email.subject == note.title


# --- invitations -------------------------------------------------------------------------


def _invite(org, admin, email="colleague@example.cn", role=Role.MEMBER):
    return services.invite_member(org, actor=admin, email=email, role=role)


def test_invitation_email_carries_a_link_whose_secret_is_not_stored(db):
    org = make_org()
    admin = make_user(org, role=Role.ADMIN)
    invitation, secret = _invite(org, admin)
    assert secret not in invitation.token_hash
    email = _db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.recipient == "colleague@example.cn")
    ).one()
    assert f"/invitations/{secret}" in email.body


def test_accepting_an_invitation_joins_with_the_role(db):
    org = make_org()
    admin = make_user(org, role=Role.ADMIN)
    _invitation, secret = _invite(org, admin, role=Role.ADMIN)
    colleague = make_user(None, email="colleague@example.cn")
    services.accept_invitation(secret, colleague)
    assert colleague.organisation is org and colleague.role is Role.ADMIN
    with pytest.raises(NotFound):  # used once only
        services.accept_invitation(secret, make_user(None, email="colleague2@example.cn"))


def test_invitation_is_for_its_addressee_only(db):
    org = make_org()
    _invitation, secret = _invite(org, make_user(org, role=Role.ADMIN))
    with pytest.raises(Conflict):
        services.accept_invitation(secret, make_user(None, email="someone-else@example.cn"))


def test_expired_and_revoked_invitations_do_not_work(db):
    from datetime import timedelta

    from marketplace.core.models import utcnow

    org = make_org()
    admin = make_user(org, role=Role.ADMIN)
    invitation, secret = _invite(org, admin)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(NotFound):
        services.find_invitation(secret)
    invitation2, secret2 = _invite(org, admin, email="other@example.cn")
    services.revoke_invitation(invitation2, actor=admin)
    with pytest.raises(NotFound):
        services.find_invitation(secret2)


def test_last_admin_cannot_step_down(db):
    org = make_org()
    admin = make_user(org, role=Role.ADMIN)
    with pytest.raises(Conflict):
        services.change_member_role(admin, Role.MEMBER, actor=admin)
    other = make_user(org, role=Role.ADMIN)
    services.change_member_role(admin, Role.MEMBER, actor=other)
    assert admin.role is Role.MEMBER


# --- password reset ----------------------------------------------------------------------


def _reset_token(email: str) -> str:
    body = _db.session.scalars(
        sa.select(OutboxEmail.body).where(OutboxEmail.recipient == email)
    ).all()[-1]
    match = re.search(r"/reset-password/(\S+)", body)
    assert match
    return match.group(1)


def test_password_reset_by_emailed_token_works_once(db):
    user = make_user(None, email="forgot@example.cn")
    services.request_password_reset("forgot@example.cn")
    token = _reset_token("forgot@example.cn")
    services.reset_password(token, "brand-new-pass-7")
    assert services.authenticate("forgot@example.cn", "brand-new-pass-7") is user
    with pytest.raises(NotFound):
        services.reset_password(token, "another-pass-8")


def test_password_reset_for_unknown_email_sends_nothing(db):
    services.request_password_reset("ghost@example.cn")
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_password_reset_token_expires(db, app):
    make_user(None, email="late@example.cn")
    services.request_password_reset("late@example.cn")
    token = _reset_token("late@example.cn")
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        with pytest.raises(NotFound):
            services.reset_password(token, "brand-new-pass-7")
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


# --- API tokens --------------------------------------------------------------------------


def test_api_token_is_stored_hashed_and_revocable(db):
    user = make_user(None)
    token, secret = services.create_api_token(user, name="ci", days=30)
    assert token.token_hash == services.hash_secret(secret)
    assert secret not in {token.token_hash, token.prefix} and secret.startswith(token.prefix)
    assert services.user_for_token(secret) is user
    services.revoke_api_token(token, actor=user)
    assert services.user_for_token(secret) is None


@pytest.mark.parametrize(("name", "days"), [("", 30), ("ci", 0), ("ci", 366)])
def test_api_token_validation(db, name, days):
    with pytest.raises(ValidationFailed):
        services.create_api_token(make_user(None), name=name, days=days)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


# --- personal data (PIPL) ----------------------------------------------------------------


def test_export_contains_the_persons_data(db):
    user = make_user(make_org(), email="me@example.cn", name="李四")
    services.create_api_token(user, name="ci", days=3)
    data = services.export_personal_data(user)
    assert data["account"]["email"] == "me@example.cn"
    assert data["api_tokens"][0]["name"] == "ci"
    assert any(a["action"] == "api_token.created" for a in data["actions"])
    json.dumps(data)  # JSON-ready


def test_delete_account_anonymises_but_keeps_the_audit_trail(db):
    user = make_user(None, email="leaving@example.cn", name="王五")
    token, secret = services.create_api_token(user, name="ci", days=3)
    entries_before = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    services.delete_account(user, password=PASSWORD)
    assert user.email != "leaving@example.cn" and "王五" not in user.name
    assert not user.is_active
    assert services.user_for_token(secret) is None
    assert services.authenticate("leaving@example.cn", PASSWORD) is None
    actions = [e.action for e in history("users", user.id)]
    assert actions[-1] == "user.deleted"
    entries_after = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert entries_after == entries_before + 1
    assert history("api_tokens", token.id)[0].actor_id == user.id


def test_delete_account_needs_the_password(db):
    user = make_user(None)
    with pytest.raises(ValidationFailed):
        services.delete_account(user, password="wrong-pass-1")
    assert user.is_active


def test_last_admin_with_colleagues_cannot_delete_account(db):
    org = make_org()
    admin = make_user(org, role=Role.ADMIN)
    make_user(org)
    with pytest.raises(Conflict):
        services.delete_account(admin, password=PASSWORD)
