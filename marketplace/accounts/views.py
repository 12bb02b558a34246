"""Sign-up, log-in, the organisation page, invitations, API tokens and the person's data."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import forms, services
from marketplace.accounts.models import (
    ApiToken,
    Invitation,
    Organisation,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from marketplace.core import policy
from marketplace.core.errors import DomainError
from marketplace.core.forms import show_error
from marketplace.core.views import safe_next
from marketplace.extensions import db, limiter

bp = Blueprint("accounts", __name__)

Page = str | Response | Any


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


# --- sign-up, log-in, password reset ------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = forms.SignUpForm()
    if request.method == "GET":
        form.invitation.data = request.args.get("invitation", "")
        if form.invitation.data:
            try:
                form.email.data = services.find_invitation(form.invitation.data).email
            except DomainError as exc:
                flash(exc.message, "error")
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                services.SignUp(
                    email=form.email.data or "",
                    password=form.password.data or "",
                    name=form.name.data or "",
                    accept_terms=bool(form.accept_terms.data),
                    accept_privacy=bool(form.accept_privacy.data),
                    locale=request.accept_languages.best_match(current_app.config["LANGUAGES"]),
                )
            )
            if form.invitation.data:
                services.accept_invitation(form.invitation.data, user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome to IP Town, %(name)s.", name=user.name), "success")
            if user.organisation_id is None:
                return redirect(url_for("accounts.create_organisation"))
            return redirect(url_for("core.index"))
    return render_template("accounts/signup.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = forms.LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            db.session.rollback()
            flash(_("The email or password is not correct."), "error")
        else:
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            flash(_("You are logged in."), "success")
            return redirect(safe_next(form.next.data, url_for("core.index")))
    return render_template(
        "accounts/login.html", form=form
    ), 401 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout() -> Response:
    forms.ConfirmForm().validate_on_submit()  # CSRF is checked globally; nothing else to read
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("core.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def forgot_password() -> Page:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "")
        db.session.commit()
        flash(_("If that email is registered, a reset link is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Page:
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data or "")
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Please log in."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


# --- organisation -------------------------------------------------------------------------


@bp.route("/org/new", methods=["GET", "POST"])
@login_required
def create_organisation() -> Page:
    if current_user.organisation_id is not None:
        return redirect(url_for("accounts.organisation"))
    form = forms.OrganisationForm()
    if form.validate_on_submit():
        try:
            services.create_organisation(
                current_user,
                services.OrganisationData(
                    kind=OrgKind(form.kind.data),
                    name_zh=form.name_zh.data or "",
                    name_en=form.name_en.data,
                    region=form.region.data or "",
                    identity_number=form.identity_number.data or "",
                ),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("Your organisation is registered and waits for the operator's verification."),
                "success",
            )
            return redirect(url_for("accounts.organisation"))
    return render_template("accounts/organisation_new.html", form=form), 422 if form.errors else 200


@bp.get("/org")
@login_required
def organisation() -> Page:
    org = current_user.organisation
    if org is None:
        return redirect(url_for("accounts.create_organisation"))
    can_manage = policy.can(current_user, "manage", org)
    return render_template(
        "accounts/organisation.html",
        org=org,
        members=sorted(org.members, key=lambda m: (m.role is not Role.ADMIN, m.name)),
        invitations=services.pending_invitations(org) if can_manage else [],
        can_manage=can_manage,
        invite_form=forms.InviteForm(),
        role_form=forms.RoleForm(),
        confirm_form=forms.ConfirmForm(),
        kind_labels=forms.ORG_KIND_LABELS,
        role_labels=forms.ROLE_LABELS,
    )


@bp.post("/org/invitations")
@login_required
def invite() -> Page:
    org = current_user.organisation
    if org is None:
        return redirect(url_for("accounts.create_organisation"))
    policy.authorize(current_user, "invite", org)
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_member(
                org, actor=current_user, email=form.email.data or "", role=Role(form.role.data)
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(None, exc)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
    else:
        flash(_("Enter a valid email address."), "error")
    return redirect(url_for("accounts.organisation"))


@bp.post("/org/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int) -> Page:
    invitation = policy.get_visible_or_404(current_user, Invitation, invitation_id)
    policy.authorize(current_user, "revoke", invitation)
    services.revoke_invitation(invitation, actor=current_user)
    db.session.commit()
    flash(_("Invitation revoked."), "info")
    return redirect(url_for("accounts.organisation"))


@bp.post("/org/members/<int:user_id>/role")
@login_required
def change_role(user_id: int) -> Page:
    member = policy.get_visible_or_404(current_user, User, user_id)
    policy.authorize(current_user, "change_role", member)
    form = forms.RoleForm()
    if form.validate_on_submit():
        try:
            services.change_member_role(member, Role(form.role.data), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(None, exc)
        else:
            db.session.commit()
            flash(_("Role changed."), "success")
    return redirect(url_for("accounts.organisation"))


@bp.route("/invitations/<secret>", methods=["GET", "POST"])
def invitation(secret: str) -> Page:
    try:
        invitation = services.find_invitation(secret)
    except DomainError as exc:
        return render_template("errors/error.html", status=404, message=exc.message), 404
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.signup", invitation=secret))
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(secret, current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(None, exc)
        else:
            db.session.commit()
            flash(_("You have joined %(name)s.", name=invitation.organisation.name_zh), "success")
            return redirect(url_for("accounts.organisation"))
    return render_template("accounts/invitation.html", invitation=invitation, form=form)


# --- operator: verifying organisations ----------------------------------------------------


@bp.get("/operator/organisations")
@login_required
def review_organisations() -> Page:
    policy.authorize(current_user, "organisations.review")
    status = request.args.get("status", OrgStatus.PENDING.value)
    query = sa.select(Organisation).where(Organisation.kind != OrgKind.OPERATOR)
    if status in {s.value for s in OrgStatus}:
        query = query.where(Organisation.status == OrgStatus(status))
    page = db.paginate(query.order_by(Organisation.created_at.desc()), per_page=25)
    return render_template(
        "accounts/review_list.html",
        page=page,
        status=status,
        statuses=list(OrgStatus),
        kind_labels=forms.ORG_KIND_LABELS,
    )


@bp.route("/operator/organisations/<int:org_id>", methods=["GET", "POST"])
@login_required
def review_organisation(org_id: int) -> Page:
    org = policy.get_visible_or_404(current_user, Organisation, org_id)
    policy.authorize(current_user, "verify", org)
    form = forms.ReviewOrganisationForm()
    if form.validate_on_submit():
        try:
            services.change_organisation_status(
                org, OrgStatus(form.decision.data), actor=current_user, reason=form.reason.data
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Decision recorded for %(name)s.", name=org.name_zh), "success")
            return redirect(url_for("accounts.review_organisations"))
    from marketplace.core.audit import history

    return render_template(
        "accounts/review_detail.html",
        org=org,
        form=form,
        history=history("organisations", org.id),
        kind_labels=forms.ORG_KIND_LABELS,
    )


# --- the person's account: language, API tokens, PIPL rights ------------------------------


@bp.get("/account")
@login_required
def account() -> Page:
    return render_template(
        "accounts/account.html",
        delete_form=forms.DeleteAccountForm(),
        confirm_form=forms.ConfirmForm(),
    )


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Page:
    form = forms.TokenForm()
    new_secret = None
    if form.validate_on_submit():
        try:
            _token, new_secret = services.create_api_token(
                current_user, name=form.name.data or "", days=form.days.data
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Token created. Copy it now: it will not be shown again."), "success")
            form = forms.TokenForm(formdata=None)
    return render_template(
        "accounts/tokens.html",
        form=form,
        new_secret=new_secret,
        tokens=services.user_tokens(current_user),
        confirm_form=forms.ConfirmForm(),
        now=services.utcnow(),
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Page:
    token = policy.get_visible_or_404(current_user, ApiToken, token_id)
    policy.authorize(current_user, "revoke", token)
    services.revoke_api_token(token, actor=current_user)
    db.session.commit()
    flash(_("Token revoked."), "info")
    return redirect(url_for("accounts.tokens"))


@bp.get("/account/export")
@login_required
def export_data() -> Response:
    data = services.export_personal_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    filename = f"iptown-personal-data-{current_user.id}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/account/delete")
@login_required
def delete_account() -> Page:
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, password=form.password.data or "")
        except DomainError as exc:
            db.session.rollback()
            show_error(None, exc)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account has been deleted and your personal data anonymised."), "info")
            return redirect(url_for("core.index"))
    return redirect(url_for("accounts.account"))
