"""Market pages: home, listing page with the NDA gate, listing editor, closing, open licences,
demand posts, mandates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.models import Organisation, OrgKind, OrgStatus
from marketplace.core import policy
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.forms import commit_step, show_error
from marketplace.extensions import db
from marketplace.listings import forms, services, stats
from marketplace.listings.labels import (
    DEAL_TYPE_LABELS,
    DEMAND_STATUS_LABELS,
    INDUSTRY_LABELS,
    LISTING_STATUS_LABELS,
)
from marketplace.listings.models import (
    VISIBLE_STATUSES,
    DealType,
    Demand,
    DemandStatus,
    DemandVisibility,
    Listing,
    ListingStatus,
    Mandate,
)
from marketplace.listings.policy import demand_visible, listing_visible
from marketplace.rights import services as rights_services
from marketplace.rights.models import Right
from marketplace.rights.views import split_list

bp = Blueprint("listings", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "deal_type_labels": DEAL_TYPE_LABELS,
        "listing_status_labels": LISTING_STATUS_LABELS,
        "demand_status_labels": DEMAND_STATUS_LABELS,
        "industry_labels": INDUSTRY_LABELS,
    }


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount * 100)


def _bp(rate: Decimal | None) -> int | None:
    return None if rate is None else int(rate * 100)


def _load_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing_visible(current_user, listing):
        raise NotFound(_("Not found."))
    return listing


def _load_demand(demand_id: int) -> Demand:
    demand = db.session.get(Demand, demand_id)
    if demand is None or not demand_visible(current_user, demand):
        raise NotFound(_("Not found."))
    return demand


# --- market home ----------------------------------------------------------------------------


@bp.get("/market")
def market() -> Any:
    visible = sa.select(Listing).where(Listing.status.in_(VISIBLE_STATUSES))
    newest = db.session.scalars(visible.order_by(Listing.published_at.desc()).limit(12)).all()
    featured = {}
    for industry in INDUSTRY_LABELS:
        items = db.session.scalars(
            visible.where(Listing.industry == industry)
            .order_by(Listing.featured.desc(), Listing.published_at.desc())
            .limit(3)
        ).all()
        if items:
            featured[industry] = items
    demands = db.session.scalars(
        sa.select(Demand)
        .where(Demand.status == DemandStatus.OPEN, Demand.visibility == DemandVisibility.PUBLIC)
        .order_by(Demand.created_at.desc())
        .limit(8)
    ).all()
    return render_template(
        "listings/market.html", newest=newest, featured=featured, demands=demands
    )


# --- listing page ---------------------------------------------------------------------------


@bp.get("/listings/<int:listing_id>")
def listing_page(listing_id: int) -> Any:
    from marketplace.valuations.indicative import indicative_value

    listing = _load_listing(listing_id)
    org = current_user.organisation if current_user.is_authenticated else None
    signed_in = current_user.is_authenticated
    is_seller = org is not None and org.id == listing.seller_org_id
    indicative = []
    for right in listing.rights:
        try:
            value = indicative_value(right, comparables=stats.comparables_for(right))
        except ValueError:
            value = None
        if value is not None:
            indicative.append((right, value))
    remaining = {}
    for right in listing.rights:
        try:
            remaining[right.id] = rights_services.remaining(right)
        except ValueError:
            remaining[right.id] = None
    close_form = forms.CloseForm()
    close_form.buyer_org_id.choices = _organisation_choices()
    mandate_form = forms.MandateForm()
    mandate_form.broker_org_id.choices = _broker_choices()
    return render_template(
        "listings/listing.html",
        listing=listing,
        is_seller=is_seller,
        has_nda=services.has_nda(listing, org),
        can=lambda action, obj=listing: signed_in and policy.can(current_user, action, obj),
        reasons=services.refusal_reasons(listing) if is_seller else [],
        indicative=indicative,
        remaining=remaining,
        deal_stats=stats.stats_for_listing(listing),
        min_deals=stats.MIN_DEALS,
        mandates=services.active_mandates(listing=listing),
        confirm_form=ConfirmForm(),
        close_form=close_form,
        mandate_form=mandate_form,
        matches=_listing_matches(listing) if is_seller else [],
    )


def _listing_matches(listing: Listing) -> list[Any]:
    from marketplace.listings import matching

    return matching.matches_for_listing(listing, viewer=current_user)


def _organisation_choices() -> list[SelectChoice]:
    orgs = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.status == OrgStatus.VERIFIED, Organisation.kind != OrgKind.OPERATOR)
        .order_by(Organisation.name_zh)
    ).all()
    return [SelectChoice(o.id, o.name_zh) for o in orgs]


def _broker_choices() -> list[SelectChoice]:
    orgs = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.status == OrgStatus.VERIFIED, Organisation.kind == OrgKind.BROKER)
        .order_by(Organisation.name_zh)
    ).all()
    return [SelectChoice(o.id, o.name_zh) for o in orgs]


def _back(listing_id: int) -> Any:
    return redirect(url_for("listings.listing_page", listing_id=listing_id))


@bp.post("/listings/<int:listing_id>/nda")
@login_required
def accept_nda(listing_id: int) -> Any:
    listing = _load_listing(listing_id)
    policy.authorize(current_user, "accept_nda", listing)
    services.accept_nda(listing, actor=current_user, ip_address=request.remote_addr)
    db.session.commit()
    flash(
        _("You accepted the non-disclosure agreement; the confidential details are shown."),
        "success",
    )
    return _back(listing_id)


@bp.post("/listings/<int:listing_id>/contact")
@login_required
def contact(listing_id: int) -> Any:
    listing = _load_listing(listing_id)
    policy.authorize(current_user, "contact", listing)
    message = request.form.get("message") or ""
    commit_step(
        lambda: services.contact_seller(listing, actor=current_user, message=message),
        _("Your message is sent to the seller."),
    )
    return _back(listing_id)


def _listing_step(listing_id: int, action: str, step: Any, message: str) -> Any:
    listing = _load_listing(listing_id)
    policy.authorize(current_user, action, listing)
    commit_step(lambda: step(listing), message)
    return _back(listing_id)


@bp.post("/listings/<int:listing_id>/publish")
@login_required
def publish(listing_id: int) -> Any:
    return _listing_step(
        listing_id,
        "publish",
        lambda lst: services.publish_listing(lst, actor=current_user),
        _("The listing is published."),
    )


@bp.post("/listings/<int:listing_id>/withdraw")
@login_required
def withdraw(listing_id: int) -> Any:
    return _listing_step(
        listing_id,
        "withdraw",
        lambda lst: services.withdraw_listing(lst, actor=current_user),
        _("The listing is withdrawn."),
    )


@bp.post("/listings/<int:listing_id>/open-licence")
@login_required
def take_open_licence(listing_id: int) -> Any:
    return _listing_step(
        listing_id,
        "accept_open_licence",
        lambda lst: services.accept_open_licence(
            lst, current_user.organisation, actor=current_user
        ),
        _("You hold the open licence at the published terms."),
    )


@bp.post("/listings/<int:listing_id>/close")
@login_required
def close(listing_id: int) -> Any:
    policy.authorize(current_user, "close", _load_listing(listing_id))
    form = forms.CloseForm()
    form.buyer_org_id.choices = _organisation_choices()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _back(listing_id)
    buyer = db.session.get(Organisation, form.buyer_org_id.data)
    return _listing_step(
        listing_id,
        "close",
        lambda lst: services.close_listing(
            lst,
            actor=current_user,
            buyer=buyer,
            price=_fen(form.price.data),
            royalty_rate=_bp(form.royalty_rate.data),
        ),
        _("The closed deal is recorded."),
    )


@bp.post("/listings/<int:listing_id>/consent/<int:right_id>")
@login_required
def consent(listing_id: int, right_id: int) -> Any:
    right = db.session.get(Right, right_id) or abort(404)
    return _listing_step(
        listing_id,
        "consent",
        lambda lst: services.consent_as_co_owner(lst, right, actor=current_user),
        _("Your consent as co-owner is recorded."),
    )


@bp.post("/listings/<int:listing_id>/mandates")
@login_required
def mandate(listing_id: int) -> Any:
    policy.authorize(current_user, "mandate", _load_listing(listing_id))
    form = forms.MandateForm()
    form.broker_org_id.choices = _broker_choices()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _back(listing_id)
    broker = db.session.get(Organisation, form.broker_org_id.data)
    return _listing_step(
        listing_id,
        "mandate",
        lambda lst: services.grant_mandate(
            actor=current_user,
            broker=broker,
            listing=lst,
            commission_rate=_bp(form.commission_rate.data) or 0,
        ),
        _("The broker's mandate is recorded and shown on the listing."),
    )


@bp.post("/mandates/<int:mandate_id>/end")
@login_required
def end_mandate(mandate_id: int) -> Any:
    mandate_obj = policy.get_visible_or_404(current_user, Mandate, mandate_id)
    policy.authorize(current_user, "end", mandate_obj)
    services.end_mandate(mandate_obj, actor=current_user)
    db.session.commit()
    flash(_("The mandate has ended."), "info")
    if mandate_obj.listing_id:
        return _back(mandate_obj.listing_id)
    return redirect(url_for("listings.demand_page", demand_id=mandate_obj.demand_id))


# --- the seller's listings and the editor --------------------------------------------------


@bp.get("/listings/mine")
@login_required
def my_listings() -> Any:
    policy.authorize(current_user, "listings.create")
    listings = db.session.scalars(
        sa.select(Listing)
        .where(Listing.seller_org_id == current_user.organisation_id)
        .order_by(Listing.id.desc())
    ).all()
    demands = db.session.scalars(
        sa.select(Demand)
        .where(Demand.org_id == current_user.organisation_id)
        .order_by(Demand.id.desc())
    ).all()
    return render_template("listings/mine.html", listings=listings, demands=demands)


def _editor(listing: Listing | None) -> Any:
    existing = listing  # a refused new listing is rolled back: the page stays "new"
    org = current_user.organisation
    form = forms.ListingForm(obj=None)
    rights = db.session.scalars(rights_services.portfolio_query(org).order_by(Right.title_zh)).all()
    form.right_ids.choices = [
        SelectChoice(r.id, f"{r.number} {r.title_zh}") for r in rights if r.kind.rule.listable
    ]
    if request.method == "GET":
        if listing is not None:
            form.process(obj=listing)
            form.right_ids.data = [r.id for r in listing.rights]
            form.deal_type.data = listing.deal_type.value
            form.asking_price.data = (
                None if listing.asking_price is None else Decimal(listing.asking_price) / 100
            )
            form.royalty_rate.data = (
                None if listing.royalty_rate is None else Decimal(listing.royalty_rate) / 100
            )
        elif request.args.get("right"):
            form.right_ids.data = [int(request.args["right"])]
    if form.validate_on_submit():
        data = services.ListingData(
            title=form.title.data or "",
            teaser=form.teaser.data or "",
            deal_type=DealType(form.deal_type.data),
            right_ids=form.right_ids.data or [],
            details=form.details.data or "",
            asking_price=_fen(form.asking_price.data),
            royalty_rate=_bp(form.royalty_rate.data),
            territory=(form.territory.data or "all").strip(),
            field_of_use=(form.field_of_use.data or "all").strip(),
            licence_starts_on=form.licence_starts_on.data,
            licence_ends_on=form.licence_ends_on.data,
            open_terms=form.open_terms.data or None,
            industry=form.industry.data or None,
            region=(form.region.data or "长春新区").strip(),
            expires_on=form.expires_on.data,
        )
        try:
            if listing is None:
                listing = services.create_listing(org, data, actor=current_user)
            else:
                services.update_listing(listing, data, actor=current_user)
            if form.publish.data and listing.status is ListingStatus.DRAFT:
                services.publish_listing(listing, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
            reasons = exc.fields.get("rights", [])
            return render_template(
                "listings/editor.html", form=form, listing=existing, reasons=reasons
            ), 422
        db.session.commit()
        flash(_("The listing is saved."), "success")
        return _back(listing.id)
    return render_template("listings/editor.html", form=form, listing=listing, reasons=[]), (
        422 if form.errors else 200
    )


@bp.route("/listings/new", methods=["GET", "POST"])
@login_required
def new_listing() -> Any:
    policy.authorize(current_user, "listings.create")
    return _editor(None)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit_listing(listing_id: int) -> Any:
    listing = _load_listing(listing_id)
    policy.authorize(current_user, "edit", listing)
    return _editor(listing)


# --- demand posts ---------------------------------------------------------------------------


@bp.get("/demands")
def demands() -> Any:
    query = sa.select(Demand).where(Demand.status == DemandStatus.OPEN)
    rows = [
        d
        for d in db.session.scalars(query.order_by(Demand.created_at.desc()).limit(200))
        if demand_visible(current_user, d)
    ]
    return render_template("listings/demands.html", demands=rows)


@bp.route("/demands/new", methods=["GET", "POST"])
@login_required
def new_demand() -> Any:
    policy.authorize(current_user, "demands.create")
    form = forms.DemandForm()
    if form.validate_on_submit():
        try:
            demand = services.post_demand(
                current_user.organisation,
                services.DemandData(
                    title=form.title.data or "",
                    description=form.description.data or "",
                    budget_min=_fen(form.budget_min.data),
                    budget_max=_fen(form.budget_max.data),
                    industry=form.industry.data or None,
                    ipc_codes=split_list(form.ipc_codes.data),
                    region=(form.region.data or "长春新区").strip(),
                    deadline=form.deadline.data,
                    visibility=DemandVisibility(form.visibility.data),
                ),
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your demand is posted; matching listings are below."), "success")
            return redirect(url_for("listings.demand_page", demand_id=demand.id))
    return render_template("listings/demand_form.html", form=form), 422 if form.errors else 200


@bp.get("/demands/<int:demand_id>")
def demand_page(demand_id: int) -> Any:
    from marketplace.listings import matching

    demand = _load_demand(demand_id)
    signed_in = current_user.is_authenticated
    mandate_form = forms.MandateForm()
    mandate_form.broker_org_id.choices = _broker_choices()
    return render_template(
        "listings/demand.html",
        demand=demand,
        matches=matching.matches_for_demand(demand, viewer=current_user),
        mandates=services.active_mandates(demand=demand),
        can=lambda action, obj=demand: signed_in and policy.can(current_user, action, obj),
        confirm_form=ConfirmForm(),
        mandate_form=mandate_form,
    )


@bp.post("/demands/<int:demand_id>/close")
@login_required
def close_demand(demand_id: int) -> Any:
    demand = _load_demand(demand_id)
    policy.authorize(current_user, "manage", demand)
    status = DemandStatus(request.form.get("status", "fulfilled"))
    commit_step(
        lambda: services.close_demand(demand, status, actor=current_user),
        _("The demand post is closed."),
    )
    return redirect(url_for("listings.demand_page", demand_id=demand_id))


@bp.post("/demands/<int:demand_id>/mandates")
@login_required
def demand_mandate(demand_id: int) -> Any:
    demand = _load_demand(demand_id)
    policy.authorize(current_user, "mandate", demand)
    form = forms.MandateForm()
    form.broker_org_id.choices = _broker_choices()
    if form.validate_on_submit():
        broker = db.session.get(Organisation, form.broker_org_id.data)
        commit_step(
            lambda: services.grant_mandate(
                actor=current_user,
                broker=broker,
                demand=demand,
                commission_rate=_bp(form.commission_rate.data) or 0,
            ),
            _("The broker's mandate is recorded and shown on the demand post."),
        )
    return redirect(url_for("listings.demand_page", demand_id=demand_id))


# --- search ---------------------------------------------------------------------------------

SEARCH_FILTERS = ("kind", "deal_type", "status", "region", "industry", "ipc")
#: Chinese input methods type “…” (and 「…」); the query language's phrase quotes are ASCII.
QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"'})


@bp.get("/market/search")
def search() -> Any:
    from flask import current_app

    from marketplace.search.engine import SearchQuery, get_engine

    args = request.args
    text = args.get("q", "").strip().translate(QUOTES)
    filters = {key: args.get(key, "").strip() for key in SEARCH_FILTERS if args.get(key)}
    doc_type = "demand" if args.get("type") == "demand" else "listing"
    org = current_user.organisation if current_user.is_authenticated else None
    visibility = (
        ("public", "agencies")
        if (org is not None and org.is_verified and org.category.value == "agency")
        else ("public",)
    )

    def yuan(name: str) -> int | None:
        try:
            return int(Decimal(args[name]) * 100) if args.get(name) else None
        except ArithmeticError:
            return None

    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    query = SearchQuery(
        text=text,
        doc_type=doc_type,
        filters=filters,
        price_min=yuan("price_min"),
        price_max=yuan("price_max"),
        sort=args.get("sort", "relevance")
        if args.get("sort") in ("relevance", "price_asc", "price_desc", "newest")
        else "relevance",
        page=page,
        per_page=20,
        visibility=visibility,
    )
    result = get_engine(current_app).search(query)
    model = Demand if doc_type == "demand" else Listing
    objects = {
        obj.id: obj
        for obj in db.session.scalars(
            sa.select(model).where(model.id.in_([hit.doc_id for hit in result.hits]))
        )
    }
    return render_template(
        "listings/search.html",
        query=query,
        result=result,
        objects=objects,
        doc_type=doc_type,
        args=args,
    )
