"""Pledge-financing API: a holder's loan applications, each bank's review with its collateral
dossier and four-eyes approval, the pledge from filing to release or disposal, the pledgee's
consent to transfers, and a bank's lending policy.

Every handler loads what the caller may see (404 otherwise), asks the permission rules
(403 when refused), calls one service and commits once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from marketplace.accounts.models import User
from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.pledges import schemas, services
from marketplace.pledges.models import (
    ApplicationStatus,
    LoanApplication,
    LoanReview,
    Pledge,
    PledgeFiling,
    TransferConsent,
    application_rights,
)
from marketplace.rights.models import Right, RightOwner

applications_bp = Blueprint(
    "api_pledge_applications",
    __name__,
    url_prefix="/pledge-applications",
    description="A holder's pledge loan applications, sent to one or more banks.",
)
reviews_bp = Blueprint(
    "api_loan_reviews",
    __name__,
    url_prefix="/loan-reviews",
    description="Each bank's review of an application: dossier, decision, four-eyes approval.",
)
pledges_bp = Blueprint(
    "api_pledges",
    __name__,
    url_prefix="/pledges",
    description="Pledges: filing, registration, repayment, change, release, default, disposal.",
)
lending_policy_bp = Blueprint(
    "api_lending_policy",
    __name__,
    url_prefix="/lending-policy",
    description="The caller's bank's lending policy.",
)
blueprints = [applications_bp, reviews_bp, pledges_bp, lending_policy_bp]

LIMIT = 200


def _is_bank(user: User) -> bool:
    return policy.can(user, "pledges.bank")


def _party(user: User) -> None:
    """Pledge financing is for verified rights holders and banks."""
    if not (_is_bank(user) or policy.can(user, "pledges.apply")):
        raise PermissionDenied(_("You are not allowed to do that."))


# --- what each caller sees ------------------------------------------------------------------------


def _shown_application(user: User, application: LoanApplication) -> LoanApplication:
    """The applicant sees every bank's review and every consent; a bank only its own review and
    no other bank's consents; a co-owner no review."""
    org_id = user.organisation_id
    if org_id == application.applicant_org_id:
        application.visible_reviews = list(application.reviews)
        application.visible_consents = list(application.consents)
        return application
    banks = {r.bank_org_id for r in application.reviews}
    application.visible_reviews = [r for r in application.reviews if r.bank_org_id == org_id]
    application.visible_consents = [
        c
        for c in application.consents
        if c.organisation_id not in banks or c.organisation_id == org_id
    ]
    return application


def _shown_review(user: User, review: LoanReview) -> LoanReview:
    own_bank = user.organisation_id == review.bank_org_id
    review.visible_assessment = review if own_bank else None
    return review


def _shown_pledge(user: User, pledge: Pledge) -> Pledge:
    pledge.visible_alerts = [a for a in pledge.alerts if policy.is_visible(user, a)]
    pledge.visible_transfer_consents = list(
        db.session.scalars(
            sa.select(TransferConsent)
            .where(TransferConsent.pledge_id == pledge.id)
            .order_by(TransferConsent.id)
        )
    )
    return pledge


# --- applications ---------------------------------------------------------------------------------


@applications_bp.route("")
class Applications(MethodView):
    @applications_bp.response(200, schemas.ApplicationSchema(many=True))
    def get(self) -> Any:
        """The caller's organisation's applications (and those of rights it co-owns); for a
        bank, the applications sent to it. Newest first."""
        user = api_user()
        _party(user)
        org_id = user.organisation_id
        query = sa.select(LoanApplication)
        if _is_bank(user):
            query = query.where(
                LoanApplication.status != ApplicationStatus.DRAFT,
                LoanApplication.reviews.any(LoanReview.bank_org_id == org_id),
            )
        else:
            co_owned = (
                sa.select(application_rights.c.application_id)
                .join(RightOwner, RightOwner.right_id == application_rights.c.right_id)
                .where(RightOwner.organisation_id == org_id)
            )
            query = query.where(
                sa.or_(
                    LoanApplication.applicant_org_id == org_id,
                    LoanApplication.id.in_(co_owned),
                )
            )
        rows = db.session.scalars(query.order_by(LoanApplication.id.desc()).limit(LIMIT))
        return [_shown_application(user, a) for a in rows if policy.is_visible(user, a)]

    @applications_bp.arguments(schemas.ApplicationInSchema)
    @applications_bp.response(201, schemas.ApplicationSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a draft application of the caller's rights to one or more banks; co-owners
        are asked to consent at once."""
        user = api_user()
        policy.authorize(user, "pledges.apply")
        application = services.create_application(
            user.organisation,
            services.ApplicationData(
                amount=data["amount"],
                term_months=data["term_months"],
                purpose=data["purpose"],
                right_ids=tuple(data["right_ids"]),
                bank_ids=tuple(data["bank_ids"]),
                report_ids=tuple(data["report_ids"]),
            ),
            actor=user,
        )
        db.session.commit()
        return _shown_application(user, application)


def _application(user: User, application_id: int) -> LoanApplication:
    application: LoanApplication = policy.get_visible_or_404(user, LoanApplication, application_id)
    return application


@applications_bp.route("/<int:application_id>")
class ApplicationItem(MethodView):
    @applications_bp.response(200, schemas.ApplicationSchema)
    def get(self, application_id: int) -> Any:
        """One application the caller's organisation may see."""
        user = api_user()
        application = _application(user, application_id)
        policy.authorize(user, "view", application)
        return _shown_application(user, application)


@applications_bp.route("/<int:application_id>/submit")
class ApplicationSubmit(MethodView):
    @applications_bp.response(200, schemas.ApplicationSchema)
    def post(self, application_id: int) -> Any:
        """Send a draft to its banks (409 ``pledge_refused`` while a right is unverified or a
        co-owner has not consented)."""
        user = api_user()
        application = _application(user, application_id)
        policy.authorize(user, "submit", application)
        services.submit_application(application, actor=user)
        db.session.commit()
        return _shown_application(user, application)


@applications_bp.route("/<int:application_id>/withdraw")
class ApplicationWithdraw(MethodView):
    @applications_bp.response(200, schemas.ApplicationSchema)
    def post(self, application_id: int) -> Any:
        """Withdraw the application; every open review is closed."""
        user = api_user()
        application = _application(user, application_id)
        policy.authorize(user, "withdraw", application)
        services.withdraw_application(application, actor=user)
        db.session.commit()
        return _shown_application(user, application)


@applications_bp.route("/<int:application_id>/consents")
class ApplicationConsents(MethodView):
    @applications_bp.arguments(schemas.ConsentInSchema)
    @applications_bp.response(201, schemas.ConsentSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Any:
        """Record the caller's organisation's consent for one right: a co-owner's consent, or
        the pledgor's or a bank's informed consent (invalidation, same-day pair)."""
        user = api_user()
        application = _application(user, application_id)
        policy.authorize(user, "consent", application)
        right = db.session.get(Right, data["right_id"])
        if right is None or right not in application.rights:
            message = _("Choose a right of this application.")
            raise ValidationFailed(message, fields={"right_id": [message]})
        consent = services.record_consent(application, right, data["ground"], actor=user)
        db.session.commit()
        return consent


# --- reviews --------------------------------------------------------------------------------------


def _review(user: User, review_id: int) -> LoanReview:
    review: LoanReview = policy.get_visible_or_404(user, LoanReview, review_id)
    return review


@reviews_bp.route("")
class Reviews(MethodView):
    @reviews_bp.arguments(schemas.ReviewQuerySchema, location="query")
    @reviews_bp.response(200, schemas.LoanReviewSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """A bank's reviews; for a holder, the reviews of its applications. Newest first;
        ``status`` filters."""
        user = api_user()
        _party(user)
        org_id = user.organisation_id
        query = (
            sa.select(LoanReview)
            .join(LoanApplication)
            .where(
                LoanApplication.status != ApplicationStatus.DRAFT,
            )
        )
        if args["status"] is not None:
            query = query.where(LoanReview.status == args["status"])
        if _is_bank(user):
            query = query.where(LoanReview.bank_org_id == org_id)
        else:
            query = query.where(LoanApplication.applicant_org_id == org_id)
        rows = db.session.scalars(query.order_by(LoanReview.id.desc()).limit(LIMIT))
        return [_shown_review(user, r) for r in rows if policy.is_visible(user, r)]


@reviews_bp.route("/<int:review_id>")
class ReviewItem(MethodView):
    @reviews_bp.response(200, schemas.LoanReviewSchema)
    def get(self, review_id: int) -> Any:
        """One review: its bank's or its applicant's."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "view", review)
        return _shown_review(user, review)


@reviews_bp.route("/<int:review_id>/dossier")
class ReviewDossier(MethodView):
    @reviews_bp.response(200, schemas.DossierSchema)
    def get(self, review_id: int) -> Any:
        """The reviewing bank's collateral dossier: each right's registration grounds, status,
        term, fees, pledges, licences and reports; each collateral unit's value, loan amount and
        factors; the totals with the suggested amount and the risk grade."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "dossier", review)
        return services.build_dossier(review)


@reviews_bp.route("/<int:review_id>/approve")
class ReviewApprove(MethodView):
    @reviews_bp.arguments(schemas.ApprovalInSchema)
    @reviews_bp.response(200, schemas.LoanReviewSchema)
    def post(self, data: dict[str, Any], review_id: int) -> Any:
        """Approve with terms; above the policy's threshold the review awaits a second approver
        of the same bank."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "decide", review)
        services.approve(
            review,
            services.Approval(
                amount=data["amount"],
                rate_bp=data["rate_bp"],
                term_months=data["term_months"],
                conditions=data["conditions"],
                right_ids=tuple(data["right_ids"]),
            ),
            actor=user,
        )
        db.session.commit()
        return _shown_review(user, review)


@reviews_bp.route("/<int:review_id>/second-approval")
class ReviewSecondApproval(MethodView):
    @reviews_bp.response(200, schemas.LoanReviewSchema)
    def post(self, review_id: int) -> Any:
        """Confirm an approval awaiting a second approver (four eyes: not the first approver)."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "decide", review)
        services.second_approve(review, actor=user)
        db.session.commit()
        return _shown_review(user, review)


@reviews_bp.route("/<int:review_id>/information-request")
class ReviewInformationRequest(MethodView):
    @reviews_bp.arguments(schemas.QuestionInSchema)
    @reviews_bp.response(200, schemas.LoanReviewSchema)
    def post(self, data: dict[str, Any], review_id: int) -> Any:
        """Ask the applicant for more information."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "decide", review)
        services.request_information(review, data["question"], actor=user)
        db.session.commit()
        return _shown_review(user, review)


@reviews_bp.route("/<int:review_id>/answer")
class ReviewAnswer(MethodView):
    @reviews_bp.arguments(schemas.AnswerInSchema)
    @reviews_bp.response(200, schemas.LoanReviewSchema)
    def post(self, data: dict[str, Any], review_id: int) -> Any:
        """The applicant answers the bank's information request."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "answer", review)
        services.answer_information(review, data["answer"], actor=user)
        db.session.commit()
        return _shown_review(user, review)


@reviews_bp.route("/<int:review_id>/rejection")
class ReviewRejection(MethodView):
    @reviews_bp.arguments(schemas.RejectionInSchema)
    @reviews_bp.response(200, schemas.LoanReviewSchema)
    def post(self, data: dict[str, Any], review_id: int) -> Any:
        """Reject the application, giving the reasons."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "decide", review)
        services.reject(review, data["reasons"], actor=user)
        db.session.commit()
        return _shown_review(user, review)


@reviews_bp.route("/<int:review_id>/acceptance")
class ReviewAcceptance(MethodView):
    @reviews_bp.response(201, schemas.PledgeDetailSchema)
    def post(self, review_id: int) -> Any:
        """The applicant accepts this bank's approval: the other reviews close and the pledge
        is agreed with its generated contract."""
        user = api_user()
        review = _review(user, review_id)
        policy.authorize(user, "accept", review)
        pledge = services.accept_offer(review, actor=user)
        db.session.commit()
        return _shown_pledge(user, pledge)


# --- pledges --------------------------------------------------------------------------------------


def _pledge(user: User, pledge_id: int, action: str = "view") -> Pledge:
    pledge: Pledge = policy.get_visible_or_404(user, Pledge, pledge_id)
    policy.authorize(user, action, pledge)
    return pledge


def _filing(user: User, pledge: Pledge, filing_id: int) -> PledgeFiling:
    filing: PledgeFiling = policy.get_visible_or_404(user, PledgeFiling, filing_id)
    if filing.pledge_id != pledge.id:
        raise NotFound(_("Not found."))
    return filing


@pledges_bp.route("")
class Pledges(MethodView):
    @pledges_bp.arguments(schemas.PledgeQuerySchema, location="query")
    @pledges_bp.response(200, schemas.PledgeSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """The pledges the caller's organisation gave (pledgor) or holds (pledgee), newest
        first; ``status`` filters."""
        user = api_user()
        _party(user)
        org_id = user.organisation_id
        query = sa.select(Pledge).where(
            sa.or_(Pledge.pledgor_org_id == org_id, Pledge.pledgee_org_id == org_id)
        )
        if args["status"] is not None:
            query = query.where(Pledge.status == args["status"])
        rows = db.session.scalars(query.order_by(Pledge.id.desc()).limit(LIMIT))
        return [p for p in rows if policy.is_visible(user, p)]


@pledges_bp.route("/<int:pledge_id>")
class PledgeItem(MethodView):
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def get(self, pledge_id: int) -> Any:
        """One pledge with its held rights, filings, repayments, transfer consents and (for the
        pledgee) the monitor's alerts."""
        user = api_user()
        return _shown_pledge(user, _pledge(user, pledge_id))


@pledges_bp.route("/<int:pledge_id>/filing")
class PledgeFilingCreate(MethodView):
    @pledges_bp.response(201, schemas.PledgeDetailSchema)
    def post(self, pledge_id: int) -> Any:
        """File the registration: every refusal ground is checked under row locks (409
        ``pledge_refused`` with ``fields.rights`` listing each failing ground); one filing per
        registry authority."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        services.file_registration(pledge, actor=user)
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/filings/<int:filing_id>")
class PledgeFilingItem(MethodView):
    @pledges_bp.response(
        200,
        description="The joint application data as filed (JSON); its SHA-256 is the filing's "
        "``sha256`` and the ``X-Content-SHA256`` header.",
    )
    def get(self, pledge_id: int, filing_id: int) -> Any:
        """The joint application package of one filing, byte for byte as hashed."""
        user = api_user()
        pledge = _pledge(user, pledge_id)
        filing = _filing(user, pledge, filing_id)
        policy.authorize(user, "download", filing)
        response = Response(services.filing_json(filing), mimetype="application/json")
        response.headers["X-Content-SHA256"] = filing.sha256
        response.headers["Content-Disposition"] = (
            f'inline; filename="{pledge.number}-{filing.kind.value}-{filing.id}.json"'
        )
        return response


@pledges_bp.route("/<int:pledge_id>/filings/<int:filing_id>/acceptance")
class PledgeFilingAcceptance(MethodView):
    @pledges_bp.arguments(schemas.AcceptanceInSchema)
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def post(self, data: dict[str, Any], pledge_id: int, filing_id: int) -> Any:
        """Record the authority's number and date; once every registration filing is accepted
        the pledge is registered."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        filing = _filing(user, pledge, filing_id)
        policy.authorize(user, "record", filing)
        services.record_acceptance(filing, number=data["number"], on=data["on"], actor=user)
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/filings/<int:filing_id>/refusal")
class PledgeFilingRefusal(MethodView):
    @pledges_bp.arguments(schemas.RefusalInSchema)
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def post(self, data: dict[str, Any], pledge_id: int, filing_id: int) -> Any:
        """The authority refused the registration: the rights are free again and the pledge is
        back to agreed, to be corrected and filed again."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        filing = _filing(user, pledge, filing_id)
        policy.authorize(user, "record", filing)
        services.record_refusal(filing, reason=data["reason"], actor=user)
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/repayments")
class PledgeRepayments(MethodView):
    @pledges_bp.arguments(schemas.RepaymentInSchema)
    @pledges_bp.response(201, schemas.RepaymentSchema)
    def post(self, data: dict[str, Any], pledge_id: int) -> Any:
        """Record a repayment of principal and interest (the pledgee)."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        repayment = services.record_repayment(
            pledge,
            principal=data["principal"],
            interest=data["interest"],
            paid_on=data["paid_on"],
            actor=user,
        )
        db.session.commit()
        return repayment


@pledges_bp.route("/<int:pledge_id>/release")
class PledgeRelease(MethodView):
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def post(self, pledge_id: int) -> Any:
        """Release the repaid pledge (注销登记): the release filing is produced and the rights
        are free."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        services.release_pledge(pledge, actor=user)
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/change")
class PledgeChange(MethodView):
    @pledges_bp.arguments(schemas.ChangeInSchema)
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def post(self, data: dict[str, Any], pledge_id: int) -> Any:
        """Change the secured amount or the debt's deadline (变更), re-checked against every
        right's expiry; a change filing is produced."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        services.change_pledge(
            pledge, principal=data["principal"], matures_on=data["matures_on"], actor=user
        )
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/default")
class PledgeDefault(MethodView):
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def post(self, pledge_id: int) -> Any:
        """Declare the pledge in default."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        services.declare_default(pledge, actor=user)
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/disposal")
class PledgeDisposal(MethodView):
    @pledges_bp.arguments(schemas.DisposalInSchema)
    @pledges_bp.response(200, schemas.PledgeDetailSchema)
    def post(self, data: dict[str, Any], pledge_id: int) -> Any:
        """Offer a defaulted pledge's collateral for assignment on the market
        (``disposal_listing_id``); the bank is paid first from the proceeds."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        services.dispose_collateral(pledge, actor=user, asking_price=data["asking_price"])
        db.session.commit()
        return _shown_pledge(user, pledge)


@pledges_bp.route("/<int:pledge_id>/transfer-consents/<int:consent_id>")
class PledgeTransferConsent(MethodView):
    @pledges_bp.arguments(schemas.TransferDecisionInSchema)
    @pledges_bp.response(200, schemas.TransferConsentSchema)
    def post(self, data: dict[str, Any], pledge_id: int, consent_id: int) -> Any:
        """Grant or refuse consent to a transfer or licence of the pledged rights through one
        listing (民法典 Art. 444)."""
        user = api_user()
        pledge = _pledge(user, pledge_id, "manage")
        consent = db.session.get(TransferConsent, consent_id)
        if consent is None or consent.pledge_id != pledge.id:
            raise NotFound(_("Not found."))
        services.decide_transfer_consent(
            consent, grant=data["grant"], note=data["note"], actor=user
        )
        db.session.commit()
        return consent


# --- lending policy -------------------------------------------------------------------------------


@lending_policy_bp.route("")
class LendingPolicyItem(MethodView):
    @lending_policy_bp.response(200, schemas.LendingPolicySchema)
    def get(self) -> Any:
        """The caller's bank's policy (the defaults until the bank saves its own)."""
        user = api_user()
        policy.authorize(user, "pledges.bank")
        lending_policy = services.policy_for(user.organisation)
        if not policy.is_visible(user, lending_policy):
            raise NotFound(_("Not found."))
        return lending_policy

    @lending_policy_bp.arguments(schemas.PolicyInSchema)
    @lending_policy_bp.response(200, schemas.LendingPolicySchema)
    def put(self, data: dict[str, Any]) -> Any:
        """Replace the caller's bank's policy; every problem is reported by field."""
        user = api_user()
        policy.authorize(user, "pledges.bank")
        policy.authorize(user, "edit", services.policy_for(user.organisation))
        saved = services.save_policy(user.organisation, services.PolicyData(**data), actor=user)
        db.session.commit()
        return saved
