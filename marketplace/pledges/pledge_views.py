"""Pledge pages: the pledgor's pledges, the bank's portfolio, one pledge with its grounds,
filings, repayments, alerts, transfer consents and timeline, the bank's actions on it, and the
contract and filing downloads."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.models import Organisation
from marketplace.core import audit, policy
from marketplace.core.clock import today
from marketplace.core.errors import NotFound
from marketplace.core.forms import commit_step
from marketplace.core.money import format_money
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.pledges import documents, monitoring, risk, services
from marketplace.pledges import pledge_forms as forms
from marketplace.pledges.labels import (
    ALERT_CODE_LABELS,
    FILING_KIND_LABELS,
    PLEDGE_STATUS_LABELS,
    TRANSFER_CONSENT_LABELS,
)
from marketplace.pledges.models import (
    HOLDING_STATUSES,
    AlertCode,
    FilingKind,
    Pledge,
    PledgeAlert,
    PledgeFiling,
    PledgeStatus,
    TransferConsent,
    TransferConsentStatus,
)
from marketplace.rights.models import Right, RightStatus

bp = Blueprint("pledges", __name__, url_prefix="/pledges")

#: Where repayments can be recorded (the service's own list) and where the pledge can be
#: released once nothing is outstanding.
REPAYABLE = frozenset({PledgeStatus.REGISTERED, PledgeStatus.DEFAULTED, PledgeStatus.DISPOSING})


@dataclass(frozen=True)
class ListingPledge:
    """A right of a listing held by a pledge, and the pledgee's consent to that listing."""

    right: Right
    pledge: Pledge
    consent: TransferConsent | None

    @property
    def granted(self) -> bool:
        return self.consent is not None and self.consent.status is TransferConsentStatus.GRANTED

    @property
    def requested(self) -> bool:
        return self.consent is not None and self.consent.status is TransferConsentStatus.REQUESTED


def listing_pledges(listing: Listing) -> list[ListingPledge]:
    """The listing's rights held by a pledge, each with the pledgee's consent (if asked)."""
    return [
        ListingPledge(right, pledge, services.consent_for(pledge, listing))
        for right in listing.rights
        for pledge in services.holding_pledges(right)
    ]


@bp.app_context_processor
def _listing_helpers() -> dict[str, Any]:
    # The listing page (another package's template) asks for the pledgee's consent from here.
    return {"listing_pledges": listing_pledges}


def _page_helpers() -> dict[str, Any]:
    return {
        "pledge_status_labels": PLEDGE_STATUS_LABELS,
        "filing_kind_labels": FILING_KIND_LABELS,
        "alert_code_labels": ALERT_CODE_LABELS,
        "transfer_consent_labels": TRANSFER_CONSENT_LABELS,
        "percent": percent,
    }


def percent(bp_value: int | None) -> str:
    """Basis points as a percentage: ``450`` → ``4.50 %``; None → ``—``."""
    return "—" if bp_value is None else f"{bp_value / 100:.2f} %"


# --- loading and answering ---------------------------------------------------------------------


def _pledge(pledge_id: int, action: str = "view") -> Pledge:
    pledge: Pledge = policy.get_visible_or_404(current_user, Pledge, pledge_id)
    policy.authorize(current_user, action, pledge)
    return pledge


def _filing(pledge_id: int, filing_id: int, action: str) -> PledgeFiling:
    filing: PledgeFiling = policy.get_visible_or_404(current_user, PledgeFiling, filing_id)
    if filing.pledge_id != pledge_id:
        raise NotFound(_("Not found."))
    policy.authorize(current_user, action, filing)
    return filing


def _back(pledge_id: int) -> Any:
    return redirect(url_for("pledges.pledge_page", pledge_id=pledge_id))


def _flash_form_errors(form: Any) -> None:
    """Each field error as a readable flash message, headed by the field's label."""
    for name, messages in form.errors.items():
        field = form._fields.get(name) if name else None
        label = field.label.text if field is not None else ""
        for message in messages:
            flash(f"{label}: {message}" if label else message, "error")


def _amount(value: Any, label: str) -> tuple[bool, int | None]:
    """``(ok, fen)``; a typed amount that is not whole fen (or absurdly large) is flashed."""
    amount = forms.fen(value)
    if value is not None and amount is None:
        flash(
            _("%(field)s: enter an amount in yuan with at most two decimals.", field=label),
            "error",
        )
        return False, None
    return True, amount


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- lists ------------------------------------------------------------------------------------


@bp.get("/mine")
@login_required
def mine() -> Any:
    policy.authorize(current_user, "pledges.apply")
    pledges = db.session.scalars(
        sa.select(Pledge)
        .where(Pledge.pledgor_org_id == current_user.organisation_id)
        .order_by(Pledge.id.desc())
    ).all()
    return render_template("pledges/pledges_mine.html", pledges=pledges, **_page_helpers())


@bp.get("/portfolio")
@login_required
def portfolio() -> Any:
    policy.authorize(current_user, "pledges.bank")
    bank = current_user.organisation
    book = monitoring.portfolio(bank)
    # Pledges not holding rights (to be filed, released, sold) are not exposure, but the bank
    # still works on them: an agreed pledge is waiting for its filing.
    others = db.session.scalars(
        sa.select(Pledge)
        .where(Pledge.pledgee_org_id == bank.id, Pledge.status.not_in(HOLDING_STATUSES))
        .order_by(Pledge.id.desc())
    ).all()
    return render_template("pledges/portfolio.html", book=book, others=others, **_page_helpers())


# --- the pledge page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    detail: str = ""
    organisation: str = ""


def _values(enum_class: type[enum.Enum]) -> set[Any]:
    # ``"x" in SomeEnum`` warns on Python 3.11 when "x" is not a member.
    return {member.value for member in enum_class}


def _iso_date(value: Any) -> str:
    try:
        return str(format_date(date.fromisoformat(str(value)), "medium"))
    except ValueError:
        return str(value or "")


def _money(value: Any) -> str:
    return format_money(value) if isinstance(value, int) else "—"


def _entry_text(action: str, before: dict[str, Any], after: dict[str, Any]) -> tuple[str, str]:
    """A readable label and detail for one audit entry on a pledge."""
    if action == "pledge.agreed" and before.get("status") == PledgeStatus.FILED.value:
        return _("Registration refused by the authority"), str(after.get("refusal") or "")
    if action == "pledge.agreed":
        return _("Pledge agreed; contract generated"), _(
            "Contract SHA-256 %(sha)s", sha=str(after.get("contract_sha256") or "")
        )
    if action.startswith("pledge_filing.") and action != "pledge_filing.accepted":
        kind = action.removeprefix("pledge_filing.")
        label = FILING_KIND_LABELS.get(FilingKind(kind)) if kind in _values(FilingKind) else kind
        return _("Filing prepared: %(kind)s", kind=label), str(after.get("authority") or "")
    if action == "pledge_filing.accepted":
        return _("The authority accepted a filing"), _(
            "Number %(number)s, dated %(date)s",
            number=str(after.get("number") or ""),
            date=_iso_date(after.get("on")),
        )
    if action == "pledge.repayment":
        return _("Repayment recorded"), _(
            "Principal %(principal)s, interest %(interest)s; %(outstanding)s outstanding",
            principal=_money(after.get("principal")),
            interest=_money(after.get("interest")),
            outstanding=_money(after.get("outstanding")),
        )
    if action == "pledge.changed":
        return _("Secured claim changed"), _(
            "Secured amount %(amount)s, deadline %(date)s",
            amount=_money(after.get("principal")),
            date=_iso_date(after.get("matures_on")),
        )
    if action.startswith("transfer_consent."):
        labels = {
            "requested": _("Consent to a transfer asked"),
            "granted": _("Consent to a transfer granted"),
            "refused": _("Consent to a transfer refused"),
        }
        detail = _("Listing %(id)s", id=after.get("listing"))
        if after.get("note"):
            detail += f" · {after['note']}"
        return labels.get(action.removeprefix("transfer_consent."), action), detail
    if action.startswith("pledge_alert."):
        code = str(after.get("code") or "")
        label = ALERT_CODE_LABELS.get(AlertCode(code)) if code in _values(AlertCode) else code
        if action == "pledge_alert.resolved":
            return _("Alert resolved: %(alert)s", alert=label), ""
        return _("Alert raised: %(alert)s", alert=label), ""
    if action.startswith("pledge."):
        status = action.removeprefix("pledge.")
        if status in _values(PledgeStatus):
            detail = ""
            if after.get("registration"):
                detail = _("Registration number %(number)s", number=after["registration"])
            elif isinstance(after.get("proceeds"), int):
                detail = _(
                    "Proceeds %(proceeds)s: %(bank)s to the pledgee, %(owner)s to the pledgor",
                    proceeds=format_money(after["proceeds"]),
                    bank=_money(after.get("to_pledgee")),
                    owner=_money(after.get("to_pledgor")),
                )
            elif after.get("listing"):
                detail = _("Listing %(id)s", id=after["listing"])
            elif isinstance(after.get("outstanding"), int):
                detail = _("%(amount)s outstanding", amount=format_money(after["outstanding"]))
            return _(
                "Status: %(status)s", status=PLEDGE_STATUS_LABELS[PledgeStatus(status)]
            ), detail
    return action, ""


def timeline(pledge: Pledge, locale: str) -> list[TimelineEntry]:
    """The pledge's audit trail, oldest first, in words."""
    entries = audit.history("pledges", pledge.id)
    org_ids = {e.organisation_id for e in entries if e.organisation_id}
    orgs = {
        o.id: o.display_name(locale)
        for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(org_ids)))
    }
    items = []
    for entry in entries:
        label, detail = _entry_text(entry.action, entry.before or {}, entry.after or {})
        items.append(
            TimelineEntry(entry.created_at, label, detail, orgs.get(entry.organisation_id or 0, ""))
        )
    return items


def alert_text(alert: PledgeAlert) -> str:
    """What an alert is about, from the facts the monitor stored with it."""
    d = alert.detail or {}
    if alert.code is AlertCode.FEE_DUE:
        return _("Due on %(date)s.", date=_iso_date(d.get("due_on")))
    if alert.code is AlertCode.FEE_MISSED:
        return _("Payable late until %(date)s.", date=_iso_date(d.get("grace_ends")))
    if alert.code is AlertCode.STATUS_CHANGED:
        status = str(d.get("status") or "")
        if status in _values(RightStatus):
            from marketplace.rights.labels import RIGHT_STATUS_LABELS

            return str(RIGHT_STATUS_LABELS[RightStatus(status)])
        return status
    if alert.code is AlertCode.EXPIRY_NEAR_MATURITY:
        return _(
            "Expires on %(date)s; the loan matures on %(maturity)s.",
            date=_iso_date(d.get("expires_on")),
            maturity=_iso_date(d.get("matures_on")),
        )
    if alert.code is AlertCode.LOW_APPRAISAL:
        return _(
            "Report %(report)s values the collateral at %(value)s: %(coverage)s of what is owed.",
            report=str(d.get("report_number") or ""),
            value=_money(d.get("collateral")),
            coverage=percent(
                d.get("coverage_bp") if isinstance(d.get("coverage_bp"), int) else None
            ),
        )
    return ""


def _grounds(pledge: Pledge) -> dict[int, list[services.Ground]] | None:
    try:
        return services.pledge_grounds(pledge)
    except ValueError:  # a right whose dates give no term: shown as unknown, not a crash
        return None


def _pending(filing: PledgeFiling) -> bool:
    return not filing.accepted_number and not filing.refusal


@bp.get("/<int:pledge_id>")
@login_required
def pledge_page(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id)

    def can(action: str, obj: Any = pledge) -> bool:
        return policy.can(current_user, action, obj)

    filing_forms = {
        f.id: (
            forms.AcceptanceForm(prefix=f"accept-{f.id}"),
            forms.RefusalForm(prefix=f"refuse-{f.id}"),
        )
        for f in pledge.filings
        if _pending(f)
    }
    consents = db.session.scalars(
        sa.select(TransferConsent)
        .where(TransferConsent.pledge_id == pledge.id)
        .order_by(TransferConsent.id)
    ).all()
    return render_template(
        "pledges/pledge.html",
        pledge=pledge,
        can=can,
        grounds=_grounds(pledge),
        ground_labels=services.ground_labels(),
        filing_forms=filing_forms,
        alerts=[a for a in pledge.alerts if policy.is_visible(current_user, a)],
        alert_text=alert_text,
        consents=consents,
        consent_forms={c.id: forms.ConsentDecisionForm(prefix=f"consent-{c.id}") for c in consents},
        support=risk.support_for(pledge, today().year),
        support_year=today().year,
        scheme_kind_labels=risk.KIND_LABELS,
        scheme_reason_labels=risk.REASON_LABELS,
        timeline=timeline(pledge, str(get_locale())),
        repayable=pledge.status in REPAYABLE,
        confirm_form=ConfirmForm(),
        repayment_form=forms.RepaymentForm(prefix="repay"),
        change_form=forms.ChangeForm(
            prefix="change", principal=Decimal(pledge.principal) / 100, matures_on=pledge.matures_on
        ),
        disposal_form=forms.DisposalForm(prefix="dispose"),
        **_page_helpers(),
    )


# --- downloads ----------------------------------------------------------------------------------


@bp.get("/<int:pledge_id>/contract.pdf")
@login_required
def contract_pdf(pledge_id: int) -> Response:
    pledge = _pledge(pledge_id, "download")
    if not pledge.contract_pdf:
        raise NotFound(_("No contract has been generated for this pledge."))
    return _attachment(pledge.contract_pdf, "application/pdf", f"{pledge.number}-contract.pdf")


@bp.get("/<int:pledge_id>/filings/<int:filing_id>.pdf")
@login_required
def filing_pdf(pledge_id: int, filing_id: int) -> Response:
    filing = _filing(pledge_id, filing_id, "download")
    # Filings go to a Chinese authority: always in Chinese, whatever the reader's language.
    with force_locale("zh"):
        body = documents.render_document(services.filing_document(filing))
    return _attachment(
        body, "application/pdf", f"{filing.pledge.number}-{filing.kind.value}-{filing.id}.pdf"
    )


@bp.get("/<int:pledge_id>/filings/<int:filing_id>.json")
@login_required
def filing_json(pledge_id: int, filing_id: int) -> Response:
    filing = _filing(pledge_id, filing_id, "download")
    return _attachment(
        services.filing_json(filing),
        "application/json",
        f"{filing.pledge.number}-{filing.kind.value}-{filing.id}.json",
    )


# --- the bank's actions -------------------------------------------------------------------------


@bp.post("/<int:pledge_id>/file")
@login_required
def file_registration(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id, "manage")
    commit_step(
        lambda: services.file_registration(pledge, actor=current_user),
        _("The registration is filed: download each filing and submit it to its authority."),
    )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/filings/<int:filing_id>/accept")
@login_required
def record_acceptance(pledge_id: int, filing_id: int) -> Any:
    filing = _filing(pledge_id, filing_id, "record")
    form = forms.AcceptanceForm(prefix=f"accept-{filing.id}")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(pledge_id)
    accepted_on = form.accepted_on.data
    assert accepted_on is not None  # InputRequired
    commit_step(
        lambda: services.record_acceptance(
            filing, number=form.number.data or "", on=accepted_on, actor=current_user
        ),
        _("The authority's acceptance is recorded."),
    )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/filings/<int:filing_id>/refuse")
@login_required
def record_refusal(pledge_id: int, filing_id: int) -> Any:
    filing = _filing(pledge_id, filing_id, "record")
    form = forms.RefusalForm(prefix=f"refuse-{filing.id}")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(pledge_id)
    commit_step(
        lambda: services.record_refusal(filing, reason=form.reason.data or "", actor=current_user),
        _("The refusal is recorded: the pledge is agreed again, to be corrected and refiled."),
    )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/repayments")
@login_required
def record_repayment(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id, "manage")
    form = forms.RepaymentForm(prefix="repay")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(pledge_id)
    ok_principal, principal = _amount(form.principal.data, str(form.principal.label.text))
    ok_interest, interest = _amount(form.interest.data, str(form.interest.label.text))
    paid_on = form.paid_on.data
    if ok_principal and ok_interest and paid_on is not None:
        commit_step(
            lambda: services.record_repayment(
                pledge,
                principal=principal or 0,
                interest=interest or 0,
                paid_on=paid_on,
                actor=current_user,
            ),
            _("The repayment is recorded."),
        )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/release")
@login_required
def release(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id, "manage")
    commit_step(
        lambda: services.release_pledge(pledge, actor=current_user),
        _("The pledge is released: file the release with each authority."),
    )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/change")
@login_required
def change(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id, "manage")
    form = forms.ChangeForm(prefix="change")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(pledge_id)
    ok, principal = _amount(form.principal.data, str(form.principal.label.text))
    matures_on = form.matures_on.data
    if ok and principal is not None and matures_on is not None:
        commit_step(
            lambda: services.change_pledge(
                pledge, principal=principal, matures_on=matures_on, actor=current_user
            ),
            _("The change is recorded: file it with each authority."),
        )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/default")
@login_required
def declare_default(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id, "manage")
    commit_step(
        lambda: services.declare_default(pledge, actor=current_user),
        _("The pledge is declared in default."),
    )
    return _back(pledge_id)


@bp.post("/<int:pledge_id>/dispose")
@login_required
def dispose(pledge_id: int) -> Any:
    pledge = _pledge(pledge_id, "manage")
    form = forms.DisposalForm(prefix="dispose")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(pledge_id)
    ok, asking_price = _amount(form.asking_price.data, str(form.asking_price.label.text))
    if ok:
        commit_step(
            lambda: services.dispose_collateral(
                pledge, actor=current_user, asking_price=asking_price
            ),
            _("The collateral is offered for sale on the market."),
        )
    return _back(pledge_id)


@bp.post("/alerts/<int:alert_id>/resolve")
@login_required
def resolve_alert(alert_id: int) -> Any:
    alert: PledgeAlert = policy.get_visible_or_404(current_user, PledgeAlert, alert_id)
    policy.authorize(current_user, "resolve", alert)
    commit_step(
        lambda: monitoring.resolve_alert(alert, actor=current_user),
        _("The alert is resolved."),
    )
    return _back(alert.pledge_id)


# --- the pledgee's consent to transfers -----------------------------------------------------------


@bp.post("/consents/<int:consent_id>/decide")
@login_required
def decide_consent(consent_id: int) -> Any:
    consent = db.session.get(TransferConsent, consent_id)
    if consent is None:
        raise NotFound(_("Not found."))
    _pledge(consent.pledge_id, "manage")
    form = forms.ConsentDecisionForm(prefix=f"consent-{consent.id}")
    if not form.validate_on_submit():
        _flash_form_errors(form)
    elif form.grant.data or form.refuse.data:
        grant = bool(form.grant.data)
        commit_step(
            lambda: services.decide_transfer_consent(
                consent, grant=grant, actor=current_user, note=form.note.data or ""
            ),
            _("Consent granted: the seller can offer the listing.")
            if grant
            else _("Consent refused: the seller is told."),
        )
    else:
        flash(_("Choose whether to grant or refuse consent."), "error")
    return _back(consent.pledge_id)


@bp.post("/consents/request")
@login_required
def request_consent() -> Any:
    listing: Listing = policy.get_visible_or_404(
        current_user, Listing, request.args.get("listing_id", type=int)
    )
    policy.authorize(current_user, "edit", listing)
    commit_step(
        lambda: services.request_transfer_consent(listing, actor=current_user),
        _("The pledgee is asked for its consent; you are told when it decides."),
    )
    return redirect(url_for("listings.listing_page", listing_id=listing.id))
