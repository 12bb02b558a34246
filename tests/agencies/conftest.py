"""Agency fixtures: a patent agency, an appraiser and a rights holder, each with a member.

Until ``marketplace/__init__.py`` registers the agencies blueprints, this registers them on the
session app (a test-only shim; it does nothing once the app has them).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

import marketplace.agencies.models
import marketplace.agencies.policy  # noqa: F401  (permission rules)
from marketplace.accounts.models import OrgKind
from tests.factories import make_org, make_user


@pytest.fixture(scope="session", autouse=True)
def _agencies_registered(app: Flask) -> None:
    if "agencies" in app.blueprints:
        return
    from marketplace.agencies import api as agencies_api
    from marketplace.agencies.views import bp
    from marketplace.extensions import csrf

    got_first_request = app._got_first_request
    app._got_first_request = False  # registering after other tests' requests
    try:
        app.register_blueprint(bp)
        for blueprint in agencies_api.blueprints:
            # Straight on the app: flask-smorest's Api points at the last app created.
            csrf.exempt(blueprint)
            app.register_blueprint(blueprint, url_prefix="/api/v1" + blueprint.url_prefix)
    finally:
        app._got_first_request = got_first_request


@pytest.fixture
def parties(db: Any) -> dict[str, Any]:
    agency = make_org(OrgKind.PATENT_AGENCY, name_zh="长春测试专利代理事务所")
    appraiser = make_org(OrgKind.APPRAISER, name_zh="吉林测试资产评估有限公司")
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春测试汽车零部件有限公司")
    return {
        "agency": agency,
        "agency_user": make_user(agency),
        "appraiser": appraiser,
        "appraiser_user": make_user(appraiser),
        "holder": holder,
        "holder_user": make_user(holder),
    }
