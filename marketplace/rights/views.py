"""Pages of the rights registry: portfolio, a right's page, import/export, ownership claims,
reviews and disputes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.core import audit, policy
from marketplace.core.clock import today
from marketplace.core.errors import DomainError
from marketplace.core.forms import show_error
from marketplace.extensions import db
from marketplace.rights import evidence, forms, services
from marketplace.rights.kinds import RightKind
from marketplace.rights.labels import (
    CLAIM_STATUS_LABELS,
    EVIDENCE_KIND_LABELS,
    RIGHT_KIND_LABELS,
    RIGHT_STATUS_LABELS,
)
from marketplace.rights.models import (
    FULL_SHARE,
    ClaimStatus,
    Dispute,
    DisputeStatus,
    EvidenceFile,
    EvidenceKind,
    OwnershipClaim,
    Right,
    RightOwner,
    RightStatus,
)

bp = Blueprint("rights", __name__)

SORTS = {
    "title": Right.title_zh,
    "number": Right.number,
    "filing": Right.filing_date.desc(),
    "status": Right.status,
    "paid_through": Right.paid_through,
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "right_kind_labels": RIGHT_KIND_LABELS,
        "right_status_labels": RIGHT_STATUS_LABELS,
        "claim_status_labels": CLAIM_STATUS_LABELS,
        "evidence_kind_labels": EVIDENCE_KIND_LABELS,
    }


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;；,，\n]", text or "") if p.strip())


@dataclass(frozen=True)
class PortfolioRow:
    right: Right
    remaining: Any
    fee: Any
    verified: bool


def _portfolio_rows(rights: list[Right], org_id: int) -> list[PortfolioRow]:
    on = today()
    rows = []
    for right in rights:
        try:
            remaining = services.remaining(right, on=on)
            fee = services.fee_standing(right, on=on)
        except ValueError:
            remaining, fee = None, None
        owner = right.owner_row(org_id)
        rows.append(PortfolioRow(right, remaining, fee, bool(owner and owner.verified_at)))
    return rows


@bp.get("/rights")
@login_required
def portfolio() -> Any:
    policy.authorize(current_user, "rights.portfolio")
    org = current_user.organisation
    query = services.portfolio_query(org)
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    search = request.args.get("q", "").strip()
    if kind in RightKind.__members__.values():
        query = query.where(Right.kind == RightKind(kind))
    if status in RightStatus.__members__.values():
        query = query.where(Right.status == RightStatus(status))
    if search:
        like = f"%{search}%"
        query = query.where(sa.or_(Right.title_zh.ilike(like), Right.number.ilike(like)))
    sort = request.args.get("sort", "filing")
    query = query.order_by(SORTS.get(sort, SORTS["filing"]), Right.id)
    page = db.paginate(query, per_page=50)
    counts = dict(
        db.session.execute(
            sa.select(Right.status, sa.func.count())
            .join(RightOwner)
            .where(RightOwner.organisation_id == org.id)
            .group_by(Right.status)
        ).all()
    )
    return render_template(
        "rights/portfolio.html",
        page=page,
        rows=_portfolio_rows(list(page.items), org.id),
        filters={"kind": kind, "status": status, "q": search, "sort": sort},
        counts=counts,
        today=today(),
    )


def _right_data(form: forms.RightForm) -> services.RightData:
    nice: list[int] = []
    for item in split_list(form.nice_classes.data):
        try:
            nice.append(int(item))
        except ValueError:
            nice.append(-1)
    return services.RightData(
        kind=RightKind(form.kind.data),
        number=form.number.data or "",
        title_zh=form.title_zh.data or "",
        title_en=form.title_en.data or None,
        filing_date=form.filing_date.data,
        grant_date=form.grant_date.data,
        registration_date=form.registration_date.data,
        paid_through=form.paid_through.data,
        ipc_codes=split_list(form.ipc_codes.data),
        nice_classes=tuple(nice),
        inventors=split_list(form.inventors.data),
        claim_count=form.claim_count.data,
        abstract=form.abstract.data or None,
    )


@bp.route("/rights/new", methods=["GET", "POST"])
@login_required
def new_right() -> Any:
    policy.authorize(current_user, "rights.portfolio")
    form = forms.RightForm()
    if form.validate_on_submit():
        try:
            right, _created = services.register_right(
                current_user.organisation, _right_data(form), actor=current_user
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("The right is in your portfolio. Verify your ownership with a claim."), "success"
            )
            return redirect(url_for("rights.right_page", right_id=right.id))
    return render_template("rights/right_form.html", form=form), 422 if form.errors else 200


@dataclass(frozen=True)
class TimelineItem:
    on: date
    label: str
    detail: str = ""


def timeline(right: Right) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    if right.filing_date:
        items.append(TimelineItem(right.filing_date, _("Filed")))
    if right.grant_date:
        items.append(TimelineItem(right.grant_date, _("Granted")))
    if right.registration_date:
        items.append(TimelineItem(right.registration_date, _("Registered")))
    for event in right.events:
        if event.event == "status_changed":
            to = RightStatus(event.detail.get("to", right.status.value))
            items.append(
                TimelineItem(
                    event.occurred_on,
                    _("Status: %(status)s", status=RIGHT_STATUS_LABELS[to]),
                    event.source,
                )
            )
        else:
            items.append(
                TimelineItem(
                    event.occurred_on,
                    event_label(event.event),
                    event.detail.get("note", "") or event.source,
                )
            )
    for entry in audit.history("rights", right.id):
        if entry.action in ("right.ownership_verified", "right.ownership_removed"):
            label = (
                _("Ownership verified")
                if entry.action.endswith("verified")
                else _("Ownership removed after a dispute")
            )
            items.append(TimelineItem(services.local_date(entry.created_at), label))
    return sorted(items, key=lambda i: i.on)


def event_label(event: str) -> str:
    labels = {
        "fee_paid": _("Annual fee paid"),
        "reminder_sent": _("Fee reminder sent"),
        "invalidation_requested": _("Invalidation requested"),
        "invalidation_rejected": _("Invalidation request rejected"),
        "invalidated": _("Invalidated"),
        "partially_invalidated": _("Partially invalidated"),
        "suspended": _("Procedures suspended"),
        "suspension_lifted": _("Suspension lifted"),
        "granted": _("Granted"),
        "restored": _("Restored"),
    }
    return labels.get(event, event)


@bp.get("/rights/<int:right_id>")
@login_required
def right_page(right_id: int) -> Any:
    right = policy.get_visible_or_404(current_user, Right, right_id)
    on = today()
    try:
        remaining = services.remaining(right, on=on)
        fee = services.fee_standing(right, on=on)
    except ValueError:
        remaining, fee = None, None
    claims = [
        c
        for c in db.session.scalars(
            sa.select(OwnershipClaim)
            .where(OwnershipClaim.right_id == right.id)
            .order_by(OwnershipClaim.id.desc())
        )
        if policy.is_visible(current_user, c)
    ]
    from marketplace.listings.labels import LICENCE_TYPE_LABELS
    from marketplace.listings.stats import comparables_for
    from marketplace.rights.models import Licence
    from marketplace.valuations.indicative import indicative_value

    return render_template(
        "rights/right.html",
        right=right,
        licences=db.session.scalars(
            sa.select(Licence).where(Licence.right_id == right.id).order_by(Licence.starts_on)
        ).all(),
        licence_type_labels=LICENCE_TYPE_LABELS,
        indicative=indicative_value(right, on=on, comparables=comparables_for(right))
        if policy.can(current_user, "edit", right)
        else None,
        can_order=policy.can(current_user, "orders.create")
        and current_user.organisation is not None
        and services.is_verified_for(right, current_user.organisation),
        remaining=remaining,
        fee=fee,
        timeline=timeline(right),
        claims=claims,
        dispute=services.open_dispute(right),
        verified_for_me=current_user.organisation is not None
        and services.is_verified_for(right, current_user.organisation),
        can_edit=policy.can(current_user, "edit", right),
        full_share=FULL_SHARE,
    )


# --- import / export ------------------------------------------------------------------------


@bp.route("/rights/import", methods=["GET", "POST"])
@login_required
def import_page() -> Any:
    policy.authorize(current_user, "rights.import")
    from marketplace.rights import portfolio as portfolio_io

    form = forms.ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = portfolio_io.import_portfolio(
                current_user.organisation,
                filename=upload.filename or "portfolio",
                stream=upload.stream,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            return render_template("rights/import_result.html", result=result)
    return render_template(
        "rights/import.html", form=form, columns=portfolio_io.COLUMNS
    ), 422 if form.errors else 200


@bp.get("/rights/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    from marketplace.rights import portfolio as portfolio_io

    policy.authorize(current_user, "rights.portfolio")
    org = current_user.organisation
    stamp = today().isoformat()
    if fmt == "csv":
        body, mimetype = portfolio_io.export_csv(org), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = portfolio_io.export_xlsx(org)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="portfolio-{stamp}.{fmt}"'},
    )


# --- ownership claims --------------------------------------------------------------------


def _reviewer_choices() -> list[forms.SelectChoice]:
    choices = [forms.SelectChoice("", _("The town operator"))]
    choices += [
        forms.SelectChoice(str(org.id), org.display_name()) for org in services.reviewer_agencies()
    ]
    return choices


@bp.route("/claims/new", methods=["GET", "POST"])
@login_required
def new_claim() -> Any:
    policy.authorize(current_user, "rights.claim")
    form = forms.ClaimForm()
    form.reviewer_org_id.choices = _reviewer_choices()
    if request.method == "GET":
        form.kind.data = request.args.get("kind", form.kind.data)
        form.number.data = request.args.get("number", "")
    if form.validate_on_submit():
        files = [f for f in (form.evidence.data or []) if f and f.filename]
        uploads = [
            evidence.Upload(f.filename or "", f.stream, EvidenceKind(form.evidence_kind.data))
            for f in files
        ]
        share = int((form.share.data or Decimal(100)) * 100)
        try:
            claim = services.file_claim(
                current_user.organisation,
                services.ClaimData(
                    kind=RightKind(form.kind.data),
                    number=form.number.data or "",
                    title_zh=form.title_zh.data or "",
                    reviewer_org_id=int(form.reviewer_org_id.data)
                    if form.reviewer_org_id.data
                    else None,
                    share=share,
                    note=form.note.data,
                ),
                actor=current_user,
                evidence=uploads,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if claim.status is ClaimStatus.DISPUTED:
                flash(
                    _(
                        "Another organisation holds this right verified: a dispute is open and "
                        "the operator will decide."
                    ),
                    "info",
                )
            else:
                flash(_("Your claim is filed and waits for review."), "success")
            return redirect(url_for("rights.claim_page", claim_id=claim.id))
    return render_template("rights/claim_form.html", form=form), 422 if form.errors else 200


@bp.get("/claims")
@login_required
def claims() -> Any:
    user = current_user
    query = sa.select(OwnershipClaim).order_by(OwnershipClaim.id.desc())
    reviewing = policy.can(user, "claims.review_queue")
    if user.is_operator:
        pass
    elif reviewing:
        query = query.where(OwnershipClaim.reviewer_org_id == user.organisation_id)
    elif policy.can(user, "rights.claim"):
        query = query.where(OwnershipClaim.organisation_id == user.organisation_id)
    else:
        abort(403)
    status = request.args.get("status", "")
    if status in ClaimStatus.__members__.values():
        query = query.where(OwnershipClaim.status == ClaimStatus(status))
    page = db.paginate(query, per_page=25)
    return render_template("rights/claims.html", page=page, reviewing=reviewing, status=status)


@bp.get("/claims/<int:claim_id>")
@login_required
def claim_page(claim_id: int) -> Any:
    claim = policy.get_visible_or_404(current_user, OwnershipClaim, claim_id)
    dispute = db.session.scalar(sa.select(Dispute).where(Dispute.claim_id == claim.id))
    return render_template(
        "rights/claim.html",
        claim=claim,
        dispute=dispute,
        can_decide=policy.can(current_user, "decide", claim),
        can_withdraw=policy.can(current_user, "withdraw", claim),
        can_see_right=policy.is_visible(current_user, claim.right),
        form=forms.DecisionForm(),
        confirm_form=ConfirmForm(),
        full_share=FULL_SHARE,
    )


@bp.post("/claims/<int:claim_id>/decision")
@login_required
def decide(claim_id: int) -> Any:
    claim = policy.get_visible_or_404(current_user, OwnershipClaim, claim_id)
    policy.authorize(current_user, "decide", claim)
    form = forms.DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_claim(
                claim,
                actor=current_user,
                verify=form.decision.data == "verify",
                reason=form.reason.data,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(None, exc)
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
    return redirect(url_for("rights.claim_page", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/withdraw")
@login_required
def withdraw(claim_id: int) -> Any:
    claim = policy.get_visible_or_404(current_user, OwnershipClaim, claim_id)
    policy.authorize(current_user, "withdraw", claim)
    services.withdraw_claim(claim, actor=current_user)
    db.session.commit()
    flash(_("Claim withdrawn."), "info")
    return redirect(url_for("rights.claim_page", claim_id=claim_id))


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence_file(evidence_id: int) -> Any:
    record = policy.get_visible_or_404(current_user, EvidenceFile, evidence_id)
    policy.authorize(current_user, "download", record)
    path = evidence.path_of(record)
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=record.content_type,
        as_attachment=True,
        download_name=record.filename,
        max_age=0,
    )


# --- disputes --------------------------------------------------------------------------------


@bp.get("/disputes")
@login_required
def disputes() -> Any:
    policy.authorize(current_user, "disputes.list")
    status = request.args.get("status", DisputeStatus.OPEN.value)
    query = sa.select(Dispute).order_by(Dispute.id.desc())
    if status in DisputeStatus.__members__.values():
        query = query.where(Dispute.status == DisputeStatus(status))
    return render_template(
        "rights/disputes.html", page=db.paginate(query, per_page=25), status=status
    )


@bp.route("/disputes/<int:dispute_id>", methods=["GET", "POST"])
@login_required
def dispute_page(dispute_id: int) -> Any:
    dispute = policy.get_visible_or_404(current_user, Dispute, dispute_id)
    form = forms.ResolveDisputeForm()
    if request.method == "POST":
        policy.authorize(current_user, "resolve", dispute)
        if form.validate_on_submit():
            try:
                services.resolve_dispute(
                    dispute,
                    actor=current_user,
                    upheld=form.upheld.data,
                    resolution=form.resolution.data or "",
                )
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc)
            else:
                db.session.commit()
                flash(_("The dispute is resolved."), "success")
                return redirect(url_for("rights.dispute_page", dispute_id=dispute.id))
    holder_claims = db.session.scalars(
        sa.select(OwnershipClaim).where(
            OwnershipClaim.right_id == dispute.right_id,
            OwnershipClaim.organisation_id == dispute.holder_org_id,
            OwnershipClaim.status == ClaimStatus.VERIFIED,
        )
    ).all()
    return render_template(
        "rights/dispute.html",
        dispute=dispute,
        form=form,
        holder_claims=holder_claims,
        can_resolve=policy.can(current_user, "resolve", dispute),
    )
