"""Risk-sharing API, for the town operator: the schemes, configuring one, and a scheme's report
for one calendar year."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.core.clock import today
from marketplace.extensions import db
from marketplace.pledges import risk, risk_schemas
from marketplace.pledges import risk_policy as _risk_policy  # noqa: F401  (registers the rules)
from marketplace.pledges.models import RiskScheme

risk_schemes_bp = Blueprint(
    "api_risk_schemes",
    __name__,
    url_prefix="/risk-schemes",
    description="The town's risk-compensation and interest-subsidy schemes (operator only).",
)
blueprints = [risk_schemes_bp]


@risk_schemes_bp.route("")
class Schemes(MethodView):
    @risk_schemes_bp.response(200, risk_schemas.RiskSchemeSchema(many=True))
    def get(self) -> Any:
        """Every scheme, active ones first."""
        policy.authorize(api_user(), "risk_schemes.manage")
        return risk.all_schemes()

    @risk_schemes_bp.arguments(risk_schemas.RiskSchemeInSchema)
    @risk_schemes_bp.response(201, risk_schemas.RiskSchemeSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Configure a new scheme."""
        user = api_user()
        policy.authorize(user, "risk_schemes.manage")
        scheme = risk.create_scheme(risk.SchemeData(**data), actor=user)
        db.session.commit()
        return scheme


@risk_schemes_bp.route("/<int:scheme_id>/report")
class SchemeReport(MethodView):
    @risk_schemes_bp.arguments(risk_schemas.ReportQuerySchema, location="query")
    @risk_schemes_bp.response(200, risk_schemas.SchemeReportSchema)
    def get(self, args: dict[str, Any], scheme_id: int) -> Any:
        """What each loan may claim in one calendar year, and what the annual cap pays."""
        user = api_user()
        scheme = policy.get_visible_or_404(user, RiskScheme, scheme_id)
        policy.authorize(user, "report", scheme)
        year = args["year"] or today().year
        lines = risk.scheme_report(scheme, year)
        return {
            "scheme": scheme,
            "year": year,
            "totals": risk.totals(lines, scheme.annual_cap),
            "lines": lines,
        }
