"""Pages of the agency directory: the directory, agency profiles, a service's page, ordering a
service, and an agency's own services (publish, edit, deactivate)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.models import Organisation
from marketplace.agencies import forms, services
from marketplace.agencies.labels import INDUSTRY_LABELS, SERVICE_LABELS, SORT_LABELS
from marketplace.agencies.models import NATIONWIDE, AgencyService
from marketplace.agencies.policy import own_service_or_404
from marketplace.core import policy
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.forms import show_error
from marketplace.extensions import db
from marketplace.orders.models import RIGHTS_REQUIRED, ServiceKind, ValuationPurpose
from marketplace.rights import services as rights_services
from marketplace.rights.models import Right
from marketplace.valuations.labels import PURPOSE_LABELS

bp = Blueprint("agencies", __name__)

PER_PAGE = 30


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "agency_service_labels": SERVICE_LABELS,
        "agency_industry_labels": INDUSTRY_LABELS,
        "agency_sort_labels": SORT_LABELS,
    }


def split_regions(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;；,，、\n]", text or "") if p.strip())


def _yuan_to_fen(text: str) -> int | None:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    return forms.fen(value) if value.is_finite() and value > 0 else None


def _filters() -> tuple[services.DirectoryFilters, dict[str, str]]:
    """The directory's filters from the query string; values that make no sense are ignored."""
    args = request.args
    kind = args.get("kind", "")
    industry = args.get("industry", "")
    region = args.get("region", "").strip()[: services.REGION_LENGTH]
    max_price = args.get("max_price", "").strip()
    sort = args.get("sort", "rating")
    ceiling = _yuan_to_fen(max_price) if max_price else None
    filters = services.DirectoryFilters(
        kind=ServiceKind(kind) if kind in ServiceKind.__members__.values() else None,
        industry=industry if industry in services.INDUSTRIES else None,
        region=region or None,
        max_price=ceiling,
        sort=sort if sort in services.SORTS else "rating",
    )
    shown = {
        "kind": filters.kind.value if filters.kind else "",
        "industry": filters.industry or "",
        "region": region,
        "max_price": max_price if ceiling is not None else "",
        "sort": filters.sort,
    }
    return filters, shown


@dataclass(frozen=True)
class Page:
    items: list[services.DirectoryEntry]
    page: int
    pages: int
    total: int


def _page(entries: list[services.DirectoryEntry]) -> Page:
    pages = max(1, -(-len(entries) // PER_PAGE))
    try:
        number = min(max(int(request.args.get("page", 1)), 1), pages)
    except ValueError:
        number = 1
    start = (number - 1) * PER_PAGE
    return Page(entries[start : start + PER_PAGE], number, pages, len(entries))


def _can(action: str, obj: Any = None) -> bool:
    return policy.can(current_user, action, obj)


@bp.get("/agencies")
@login_required
def directory() -> Any:
    policy.authorize(current_user, "agencies.directory")
    filters, shown = _filters()
    page = _page(services.directory(filters))
    regions = services.listed_regions()
    if NATIONWIDE in regions:  # it matches every region; offering it as a filter adds nothing
        regions.remove(NATIONWIDE)
    return render_template(
        "agencies/directory.html", page=page, filters=shown, regions=regions, can=_can
    )


@bp.get("/agencies/<int:org_id>")
@login_required
def profile(org_id: int) -> Any:
    policy.authorize(current_user, "agencies.directory")
    org = db.session.get(Organisation, org_id)
    if org is None or not services.is_agency(org):
        raise NotFound(_("Not found."))
    return render_template("agencies/profile.html", profile=services.agency_profile(org), can=_can)


@bp.get("/agencies/services/<int:service_id>")
@login_required
def service_page(service_id: int) -> Any:
    service = policy.get_visible_or_404(current_user, AgencyService, service_id)
    return render_template("agencies/service.html", entry=services.entry_for(service), can=_can)


def _order_form(service: AgencyService) -> forms.OrderServiceForm:
    form = forms.OrderServiceForm()
    org = current_user.organisation
    rights = db.session.scalars(rights_services.portfolio_query(org).order_by(Right.title_zh))
    form.right_ids.choices = [
        SelectChoice(r.id, f"{r.display_number} {r.title_zh}")
        for r in rights
        if rights_services.is_verified_for(r, org)
    ]
    if service.kind is ServiceKind.VALUATION:
        form.purpose.choices = [SelectChoice("", "—")] + [
            SelectChoice(p.value, label) for p, label in PURPOSE_LABELS.items()
        ]
    else:  # only a valuation has a purpose
        del form.purpose
    return form


@bp.route("/agencies/services/<int:service_id>/order", methods=["GET", "POST"])
@login_required
def order_service(service_id: int) -> Any:
    service = policy.get_visible_or_404(current_user, AgencyService, service_id)
    policy.authorize(current_user, "order", service)
    form = _order_form(service)
    if form.validate_on_submit():
        purpose = form.purpose.data if "purpose" in form else None
        try:
            order = services.order_service(
                service,
                current_user.organisation,
                services.ServiceOrderRequest(
                    right_ids=form.right_ids.data or [],
                    description=form.description.data or "",
                    purpose=ValuationPurpose(purpose) if purpose else None,
                    wanted_by=form.wanted_by.data,
                ),
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your order is placed; the agency is invited to quote."), "success")
            return redirect(url_for("orders.order_page", order_id=order.id))
    return render_template(
        "agencies/order.html",
        form=form,
        entry=services.entry_for(service),
        rights_required=service.kind in RIGHTS_REQUIRED,
    ), 422 if form.errors else 200


# --- the agency's own services -------------------------------------------------------------


@bp.get("/agencies/mine")
@login_required
def mine() -> Any:
    policy.authorize(current_user, "agencies.manage")
    org = current_user.organisation
    return render_template(
        "agencies/mine.html",
        profile=services.agency_profile(org),
        services=services.services_of(org, active_only=False),
        confirm_form=ConfirmForm(),
    )


def _service_form(org: Organisation) -> forms.ServiceForm:
    form = forms.ServiceForm()
    form.kind.choices = [
        SelectChoice(kind.value, SERVICE_LABELS[kind]) for kind in services.offered_kinds(org)
    ]
    return form


def _service_data(form: forms.ServiceForm) -> services.ServiceData:
    return services.ServiceData(
        kind=ServiceKind(form.kind.data),
        title_zh=form.title_zh.data or "",
        title_en=form.title_en.data or None,
        description=form.description.data or "",
        price_min=forms.fen(form.price_min.data),
        price_max=forms.fen(form.price_max.data),
        days_min=form.days_min.data or 0,
        days_max=form.days_max.data or 0,
        regions=split_regions(form.regions.data),
        industries=tuple(form.industries.data or ()),
    )


@bp.route("/agencies/services/new", methods=["GET", "POST"])
@login_required
def new_service() -> Any:
    policy.authorize(current_user, "agencies.manage")
    org = current_user.organisation
    form = _service_form(org)
    if request.method == "GET":
        form.regions.data = org.region
    if form.validate_on_submit():
        try:
            service = services.publish_service(org, _service_data(form), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your service is in the directory."), "success")
            return redirect(url_for("agencies.service_page", service_id=service.id))
    return render_template("agencies/service_form.html", form=form, service=None), (
        422 if form.errors else 200
    )


@bp.route("/agencies/services/<int:service_id>/edit", methods=["GET", "POST"])
@login_required
def edit_service(service_id: int) -> Any:
    service = own_service_or_404(current_user, service_id)
    form = _service_form(service.provider_org)
    form.submit.label.text = _("Save changes")
    if request.method == "GET":
        form.kind.data = service.kind.value
        form.title_zh.data = service.title_zh
        form.title_en.data = service.title_en
        form.description.data = service.description
        form.price_min.data = forms.yuan(service.price_min)
        form.price_max.data = forms.yuan(service.price_max)
        form.days_min.data = service.days_min
        form.days_max.data = service.days_max
        form.regions.data = "; ".join(service.regions)
        form.industries.data = list(service.industries)
    if form.validate_on_submit():
        try:
            services.update_service(service, _service_data(form), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The service is updated."), "success")
            return redirect(url_for("agencies.mine"))
    return render_template("agencies/service_form.html", form=form, service=service), (
        422 if form.errors else 200
    )


def _switch(service_id: int, active: bool) -> Any:
    service = own_service_or_404(current_user, service_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if active:
            services.reactivate_service(service, actor=current_user)
            flash(_("The service is back in the directory."), "success")
        else:
            services.deactivate_service(service, actor=current_user)
            flash(_("The service is no longer shown in the directory."), "success")
        db.session.commit()
    return redirect(url_for("agencies.mine"))


@bp.post("/agencies/services/<int:service_id>/deactivate")
@login_required
def deactivate(service_id: int) -> Any:
    return _switch(service_id, False)


@bp.post("/agencies/services/<int:service_id>/reactivate")
@login_required
def reactivate(service_id: int) -> Any:
    return _switch(service_id, True)
