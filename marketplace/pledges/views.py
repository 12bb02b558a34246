"""Pages of pledge loans: the rights holder's applications (draft, send, consents, answers,
accepting an offer), a bank's review inbox and collateral dossier with its decisions and PDF, and
a bank's lending policy.

The pledge itself, once an offer is accepted, has its own pages (``/pledges/<id>``)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import Field, SelectChoice

from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.models import Organisation
from marketplace.core import policy
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.forms import commit_step, show_error
from marketplace.core.money import format_money, hundredths
from marketplace.extensions import db
from marketplace.listings.labels import LICENCE_TYPE_LABELS
from marketplace.pledges import dossier_pdf, forms, services
from marketplace.pledges.labels import (
    APPLICATION_STATUS_LABELS,
    CONSENT_GROUND_LABELS,
    REVIEW_STATUS_LABELS,
)
from marketplace.pledges.models import (
    ApplicationStatus,
    ConsentGround,
    LoanApplication,
    LoanReview,
    ReviewStatus,
    application_rights,
)
from marketplace.rights import services as rights_services
from marketplace.rights.labels import RIGHT_STATUS_LABELS
from marketplace.rights.models import FULL_SHARE, Right, RightOwner, RightStatus
from marketplace.valuations.labels import BASIS_LABELS
from marketplace.valuations.models import Report

bp = Blueprint("loan_applications", __name__, url_prefix="/pledges")

OUTCOME_LABELS = {
    services.Outcome.PASS: _l("Pass"),
    services.Outcome.WARNING: _l("Warning"),
    services.Outcome.FAIL: _l("Fail"),
}
#: While an application is in these states its rights may still be consented for.
CONSENTING = (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "application_status_labels": APPLICATION_STATUS_LABELS,
        "review_status_labels": REVIEW_STATUS_LABELS,
        "consent_ground_labels": CONSENT_GROUND_LABELS,
        "licence_type_labels": LICENCE_TYPE_LABELS,
        "basis_labels": BASIS_LABELS,
        "full_share": FULL_SHARE,
        "outcome_labels": OUTCOME_LABELS,
        "percent": percent,
    }


def percent(bp_: int | None) -> str:
    """Basis points as a percentage: ``450`` → ``4.5 %``."""
    return "—" if bp_ is None else f"{Decimal(bp_) / 100:f} %"


def _fen(field: Field) -> int | None:
    """The field's yuan as fen; None (with an error on the field) when it has more than two
    decimals."""
    fen = hundredths(field.data)
    if fen is None:
        field.errors = [*field.errors, _("Enter the amount in yuan, with at most two decimals.")]
    return fen


def _bp(field: Field) -> int | None:
    value = hundredths(field.data)
    if value is None:
        field.errors = [*field.errors, _("Enter the percentage with at most two decimals.")]
    return value


def _right_choices(rights: list[Right]) -> list[SelectChoice]:
    return [SelectChoice(r.id, f"{r.display_number} {r.title_zh}") for r in rights]


def _consented(application: LoanApplication, right: Right, ground: ConsentGround) -> set[int]:
    return {
        c.organisation_id
        for c in application.consents
        if c.right_id == right.id and c.ground is ground
    }


def consents_wanted(
    application: LoanApplication, org: Organisation | None
) -> list[tuple[Right, ConsentGround]]:
    """The consents ``org`` may still record on ``application``: a co-owner's for each co-owned
    right; the applicant's and each reviewing bank's informed consent for a right under
    invalidation or one of a same-day pair."""
    if org is None or application.status not in CONSENTING:
        return []
    parties = {application.applicant_org_id} | {r.bank_org_id for r in application.reviews}
    wanted = []
    for right in application.rights:
        if org.id != application.applicant_org_id and right.owner_row(org) is not None:
            grounds = [ConsentGround.CO_OWNER]
        elif org.id in parties:
            grounds = []
            if right.status is RightStatus.UNDER_INVALIDATION:
                grounds.append(ConsentGround.UNDER_INVALIDATION)
            if services.same_day_twin(right) is not None:
                grounds.append(ConsentGround.SAME_DAY_PAIR)
        else:
            grounds = []
        wanted += [(right, g) for g in grounds if org.id not in _consented(application, right, g)]
    return wanted


def _record_consent(application: LoanApplication) -> None:
    form = forms.ConsentForm()
    right = None
    if form.validate_on_submit():
        right = next((r for r in application.rights if r.id == form.right_id.data), None)
    if right is None:
        flash(_("Choose a right of this application to consent for."), "error")
        return
    ground = ConsentGround(form.ground.data)
    commit_step(
        lambda: services.record_consent(application, right, ground, actor=current_user),
        _("Your consent is recorded."),
    )


# --- the rights holder's applications ------------------------------------------------------------


def _application(application_id: int, action: str) -> LoanApplication:
    application: LoanApplication = policy.get_visible_or_404(
        current_user, LoanApplication, application_id
    )
    policy.authorize(current_user, action, application)
    return application


def _back_to_application(application_id: int) -> Any:
    return redirect(url_for("loan_applications.application_page", application_id=application_id))


@bp.get("/applications")
@login_required
def applications() -> Any:
    policy.authorize(current_user, "pledges.apply")
    org = current_user.organisation
    mine = db.session.scalars(
        sa.select(LoanApplication)
        .where(LoanApplication.applicant_org_id == org.id)
        .order_by(LoanApplication.id.desc())
    ).all()
    co_owned = db.session.scalars(
        sa.select(LoanApplication)
        .join(application_rights)
        .join(RightOwner, RightOwner.right_id == application_rights.c.right_id)
        .where(
            RightOwner.organisation_id == org.id,
            LoanApplication.applicant_org_id != org.id,
            LoanApplication.status.in_(CONSENTING),
        )
        .distinct()
        .order_by(LoanApplication.id.desc())
    ).all()
    asks = [(a, [r for r, _g in consents_wanted(a, org)]) for a in co_owned]
    return render_template("pledges/applications.html", applications=mine, asks=asks)


def _report_label(report: Report) -> str:
    return _(
        "%(number)s: %(value)s on %(rights)s, valid until %(date)s",
        number=report.number,
        value=format_money(report.concluded_value),
        rights="、".join(r.display_number for r in services.report_rights(report)),
        date=format_date(report.valid_until),
    )


def _application_form() -> forms.ApplicationForm:
    form = forms.ApplicationForm()
    org = current_user.organisation
    rights = db.session.scalars(
        rights_services.portfolio_query(org).order_by(Right.title_zh, Right.id)
    ).all()
    form.right_ids.choices = _right_choices(
        [r for r in rights if r.kind.rule.pledgeable and rights_services.is_verified_for(r, org)]
    )
    form.report_ids.choices = [
        SelectChoice(r.id, _report_label(r)) for r in services.reports_offerable(org)
    ]
    locale = str(get_locale())
    form.bank_ids.choices = [SelectChoice(b.id, b.display_name(locale)) for b in services.banks()]
    return form


@bp.route("/applications/new", methods=["GET", "POST"])
@login_required
def new_application() -> Any:
    policy.authorize(current_user, "pledges.apply")
    form = _application_form()
    if request.method == "GET":
        right_id = request.args.get("right", type=int)
        if right_id is not None:
            form.right_ids.data = [right_id]
        form.bank_ids.data = [c.value for c in form.bank_ids.choices]
    if form.validate_on_submit() and (amount := _fen(form.amount)) is not None:
        data = services.ApplicationData(
            amount=amount,
            term_months=form.term_months.data,
            purpose=form.purpose.data or "",
            right_ids=form.right_ids.data or [],
            bank_ids=form.bank_ids.data or [],
            report_ids=form.report_ids.data or [],
        )
        try:
            application = services.create_application(
                current_user.organisation, data, actor=current_user
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The draft is saved. Check it, then send it to the banks."), "success")
            return _back_to_application(application.id)
    return render_template("pledges/application_form.html", form=form), (
        422 if form.errors else 200
    )


def _application_page(
    application: LoanApplication, answer_forms: dict[int, forms.AnswerForm] | None = None
) -> str:
    org = current_user.organisation
    is_applicant = org is not None and org.id == application.applicant_org_id
    # The applicant follows every bank it chose (before sending too); a bank sees its own review
    # here, a co-owner none.
    reviews = (
        list(application.reviews)
        if is_applicant
        else [r for r in application.reviews if policy.is_visible(current_user, r)]
    )
    answer_forms = dict(answer_forms or {})
    for review in reviews:
        if review.id not in answer_forms:
            answer_forms[review.id] = forms.AnswerForm(formdata=None, prefix=f"review-{review.id}")
    return render_template(
        "pledges/application.html",
        application=application,
        is_applicant=is_applicant,
        reviews=reviews,
        refusals=services.offer_refusals(application)
        if application.status is ApplicationStatus.DRAFT
        else [],
        wanted=consents_wanted(application, org),
        answer_forms=answer_forms,
        confirm_form=ConfirmForm(formdata=None),
        can=lambda action, obj=application: policy.can(current_user, action, obj),
    )


@bp.get("/applications/<int:application_id>")
@login_required
def application_page(application_id: int) -> Any:
    return _application_page(_application(application_id, "view"))


@bp.post("/applications/<int:application_id>/submit")
@login_required
def submit(application_id: int) -> Any:
    application = _application(application_id, "submit")
    commit_step(
        lambda: services.submit_application(application, actor=current_user),
        _("The application is sent to the banks."),
    )
    return _back_to_application(application_id)


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id: int) -> Any:
    application = _application(application_id, "withdraw")
    commit_step(
        lambda: services.withdraw_application(application, actor=current_user),
        _("The application is withdrawn."),
    )
    return _back_to_application(application_id)


@bp.post("/applications/<int:application_id>/consent")
@login_required
def consent(application_id: int) -> Any:
    _record_consent(_application(application_id, "consent"))
    return _back_to_application(application_id)


def _review(review_id: int, action: str) -> LoanReview:
    review: LoanReview = policy.get_visible_or_404(current_user, LoanReview, review_id)
    policy.authorize(current_user, action, review)
    return review


@bp.post("/reviews/<int:review_id>/answer")
@login_required
def answer(review_id: int) -> Any:
    review = _review(review_id, "answer")
    form = forms.AnswerForm(prefix=f"review-{review.id}")
    if form.validate_on_submit():
        try:
            services.answer_information(review, form.answer.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your answer is sent to the bank."), "success")
            return _back_to_application(review.application_id)
    return _application_page(review.application, {review.id: form}), 422


@bp.post("/reviews/<int:review_id>/accept")
@login_required
def accept(review_id: int) -> Any:
    review = _review(review_id, "accept")
    try:
        pledge = services.accept_offer(review, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        show_error(None, exc)
        return _back_to_application(review.application_id)
    db.session.commit()
    flash(_("You accepted the offer. The pledge contract is ready."), "success")
    # The pledge's own page (the pledge blueprint); the literal path keeps the packages apart.
    return redirect(f"/pledges/{pledge.id}")


# --- the bank's reviews --------------------------------------------------------------------------


@bp.get("/reviews")
@login_required
def reviews() -> Any:
    policy.authorize(current_user, "pledges.bank")
    rows = db.session.scalars(
        sa.select(LoanReview)
        .join(LoanApplication)
        .where(
            LoanReview.bank_org_id == current_user.organisation_id,
            LoanApplication.status != ApplicationStatus.DRAFT,
        )
        .order_by(LoanApplication.submitted_at.desc(), LoanReview.id.desc())
    ).all()
    counts = Counter(r.status for r in rows)
    wanted = request.args.get("status", "")
    chosen = ReviewStatus(wanted) if wanted in {s.value for s in ReviewStatus} else None
    return render_template(
        "pledges/reviews.html",
        reviews=[r for r in rows if chosen is None or r.status is chosen],
        counts=counts,
        total=len(rows),
        chosen=chosen,
        statuses=list(ReviewStatus),
    )


def _approval_form(review: LoanReview, *, bound: bool) -> forms.ApprovalForm:
    form = (
        forms.ApprovalForm(prefix="approve")
        if bound
        else forms.ApprovalForm(formdata=None, prefix="approve")
    )
    application = review.application
    form.right_ids.choices = _right_choices(list(application.rights))
    if not bound:
        form.amount.data = Decimal(application.amount) / 100
        form.term_months.data = application.term_months
        form.right_ids.data = [r.id for r in application.rights]
    return form


def _review_page(
    review: LoanReview,
    *,
    approval: forms.ApprovalForm | None = None,
    question: forms.QuestionForm | None = None,
    rejection: forms.RejectForm | None = None,
) -> str:
    application = review.application
    return render_template(
        "pledges/review.html",
        review=review,
        application=application,
        dossier=services.build_dossier(review),
        ground_labels=services.ground_labels(),
        wanted=consents_wanted(application, current_user.organisation),
        approval_form=approval or _approval_form(review, bound=False),
        question_form=question or forms.QuestionForm(formdata=None, prefix="info"),
        reject_form=rejection or forms.RejectForm(formdata=None, prefix="reject"),
        confirm_form=ConfirmForm(formdata=None),
        right_status_labels=RIGHT_STATUS_LABELS,
        event_label=dossier_pdf.event_label,
        can=lambda action, obj=review: policy.can(current_user, action, obj),
    )


def _back_to_review(review_id: int) -> Any:
    return redirect(url_for("loan_applications.review_page", review_id=review_id))


@bp.get("/reviews/<int:review_id>")
@login_required
def review_page(review_id: int) -> Any:
    return _review_page(_review(review_id, "dossier"))


@bp.get("/reviews/<int:review_id>/dossier.pdf")
@login_required
def download_dossier(review_id: int) -> Response:
    review = _review(review_id, "dossier")
    number = review.application.number or f"review-{review.id}"
    return Response(
        dossier_pdf.render_dossier(review),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="dossier-{number}.pdf"'},
    )


def _approval_terms(form: forms.ApprovalForm) -> services.Approval | None:
    if not form.validate_on_submit():
        return None
    amount, rate_bp = _fen(form.amount), _bp(form.rate_bp)
    if not form.right_ids.data:
        form.right_ids.errors = [*form.right_ids.errors, _("Accept at least one right.")]
    if amount is None or rate_bp is None or not form.right_ids.data:
        return None
    return services.Approval(
        amount=amount,
        rate_bp=rate_bp,
        term_months=form.term_months.data,
        conditions=form.conditions.data or "",
        right_ids=form.right_ids.data,
    )


@bp.post("/reviews/<int:review_id>/approve")
@login_required
def approve(review_id: int) -> Any:
    review = _review(review_id, "decide")
    form = _approval_form(review, bound=True)
    terms = _approval_terms(form)
    if terms is None:
        flash(_("Please correct the highlighted fields."), "error")
    else:
        try:
            services.approve(review, terms, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if review.status is ReviewStatus.AWAITING_SECOND_APPROVAL:
                flash(
                    _(
                        "Approved. The amount is above your policy's threshold: another member "
                        "of your bank must confirm as second approver."
                    ),
                    "success",
                )
            else:
                flash(_("The application is approved; the applicant is told."), "success")
            return _back_to_review(review_id)
    return _review_page(review, approval=form), 422


@bp.post("/reviews/<int:review_id>/second-approval")
@login_required
def second_approve(review_id: int) -> Any:
    review = _review(review_id, "decide")
    commit_step(
        lambda: services.second_approve(review, actor=current_user),
        _("You confirmed the approval as second approver; the applicant is told."),
    )
    return _back_to_review(review_id)


@bp.post("/reviews/<int:review_id>/request-information")
@login_required
def request_information(review_id: int) -> Any:
    review = _review(review_id, "decide")
    form = forms.QuestionForm(prefix="info")
    if form.validate_on_submit():
        try:
            services.request_information(review, form.reasons.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your question is sent to the applicant."), "success")
            return _back_to_review(review_id)
    return _review_page(review, question=form), 422


@bp.post("/reviews/<int:review_id>/reject")
@login_required
def reject(review_id: int) -> Any:
    review = _review(review_id, "decide")
    form = forms.RejectForm(prefix="reject")
    if form.validate_on_submit():
        try:
            services.reject(review, form.reasons.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The application is rejected; the applicant sees your reasons."), "success")
            return _back_to_review(review_id)
    return _review_page(review, rejection=form), 422


@bp.post("/reviews/<int:review_id>/consent")
@login_required
def review_consent(review_id: int) -> Any:
    review = _review(review_id, "decide")
    policy.authorize(current_user, "consent", review.application)
    _record_consent(review.application)
    return _back_to_review(review_id)


# --- the bank's lending policy -------------------------------------------------------------------

BAND_NAMES = ("remaining_term", "legal_score", "concentration")
_BAND = re.compile(r"(\d+(?:\.\d+)?)\s*[:：]\s*(\d+(?:\.\d+)?)\s*%?")


def parse_bands(text: str | None) -> list[list[Any]] | None:
    """``0:60, 3:80, 5:100`` → ``[[0, 6000], [3, 8000], [5, 10000]]`` (threshold, basis points
    kept); None when a band is not written as ``threshold:percent``."""
    bands: list[list[Any]] = []
    for part in re.split(r"[,，;；\n]", text or ""):
        if not part.strip():
            continue
        match = _BAND.fullmatch(part.strip())
        kept = hundredths(Decimal(match[2])) if match else None
        if match is None or kept is None:
            return None
        threshold = Decimal(match[1])
        whole = threshold == threshold.to_integral_value()
        bands.append([int(threshold) if whole else float(threshold), kept])
    return bands


def bands_text(bands: list[list[Any]] | None) -> str:
    """The inverse of :func:`parse_bands`, without exponents (``1e+08`` would not parse)."""
    return ", ".join(f"{Decimal(str(t)):f}:{Decimal(f) / 100:f}" for t, f in bands or ())


def _policy_form(saved: Any) -> forms.PolicyForm:
    form = forms.PolicyForm()
    if request.method == "GET":
        for kind in forms.PLEDGEABLE_KINDS:
            rate = saved.base_rates.get(kind.value)
            getattr(form, f"rate_{kind.value}").data = None if rate is None else Decimal(rate) / 100
            getattr(form, f"months_{kind.value}").data = (saved.min_remaining_months or {}).get(
                kind.value
            )
        haircuts = saved.haircuts or {}
        for name in BAND_NAMES:
            getattr(form, f"haircuts_{name}").data = bands_text(haircuts.get(name))
        for name in ("legal_score_unknown", "exclusive_licence"):
            getattr(form, f"haircuts_{name}").data = Decimal(haircuts.get(name, 10_000)) / 100
        form.buffer_months.data = saved.buffer_months
        form.max_amount.data = Decimal(saved.max_amount) / 100
        form.max_term_months.data = saved.max_term_months
        form.second_approval_above.data = Decimal(saved.second_approval_above) / 100
        form.value_percentile.data = saved.value_percentile
        form.alert_coverage_bp.data = Decimal(saved.alert_coverage_bp) / 100
    return form


def _policy_data(form: forms.PolicyForm) -> services.PolicyData | None:
    """The form as service input; None (with the field errors set) when a number or a band is
    not written as the form asks."""
    rates: dict[str, int] = {}
    months: dict[str, int] = {}
    fine = True
    for kind in forms.PLEDGEABLE_KINDS:
        rate_field = getattr(form, f"rate_{kind.value}")
        if rate_field.data is not None:
            rate = _bp(rate_field)
            fine &= rate is not None
            if rate is not None:
                rates[kind.value] = rate
        kind_months = getattr(form, f"months_{kind.value}").data
        if kind_months is not None:
            months[kind.value] = kind_months
    haircuts: dict[str, Any] = {}
    for name in BAND_NAMES:
        field = getattr(form, f"haircuts_{name}")
        haircuts[name] = parse_bands(field.data)
        if haircuts[name] is None:
            field.errors = [
                *field.errors,
                _("Write each band as threshold:percent, separated by commas: 0:60, 3:80, 5:100."),
            ]
            fine = False
    for name in ("legal_score_unknown", "exclusive_licence"):
        haircuts[name] = _bp(getattr(form, f"haircuts_{name}"))
    max_amount = _fen(form.max_amount)
    second_above = _fen(form.second_approval_above)
    coverage = _bp(form.alert_coverage_bp)
    if (
        not fine
        or max_amount is None
        or second_above is None
        or coverage is None
        or any(value is None for value in haircuts.values())
    ):
        return None
    return services.PolicyData(
        base_rates=rates,
        min_remaining_months=months,
        buffer_months=form.buffer_months.data,
        haircuts=haircuts,
        max_amount=max_amount,
        max_term_months=form.max_term_months.data,
        second_approval_above=second_above,
        value_percentile=form.value_percentile.data,
        alert_coverage_bp=coverage,
    )


@bp.route("/policy", methods=["GET", "POST"])
@login_required
def lending_policy() -> Any:
    policy.authorize(current_user, "pledges.bank")
    bank = current_user.organisation
    saved = services.policy_for(bank)
    policy.authorize(current_user, "edit", saved)
    form = _policy_form(saved)
    #: The service checks the kinds' rates and terms as a whole: shown above their table.
    kind_errors: list[str] = []
    if form.validate_on_submit() and (data := _policy_data(form)) is not None:
        try:
            services.save_policy(bank, data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            kind_errors = [
                m for key in ("base_rates", "min_remaining_months") for m in exc.fields.get(key, [])
            ]
            placed = {
                key.replace(".", "_"): messages
                for key, messages in exc.fields.items()
                if key not in ("base_rates", "min_remaining_months")
            }
            show_error(form, ValidationFailed(exc.message, fields=placed))
        else:
            db.session.commit()
            flash(_("Your lending policy is saved; new dossiers use it."), "success")
            return redirect(url_for("loan_applications.lending_policy"))
    return render_template(
        "pledges/lending_policy.html",
        form=form,
        kinds=forms.PLEDGEABLE_KINDS,
        kind_errors=kind_errors,
        saved=saved.id is not None,
    ), 422 if (form.errors or kind_errors) else 200
