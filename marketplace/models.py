"""Imports every model and permission module once, so that the metadata (create_all, Alembic
autogenerate) and the policy registry are complete wherever the app runs."""

from marketplace.accounts import models as accounts_models
from marketplace.accounts import policy as accounts_policy
from marketplace.agencies import models as agencies_models
from marketplace.agencies import policy as agencies_policy
from marketplace.core import audit
from marketplace.deals import models as deals_models
from marketplace.deals import policy as deals_policy
from marketplace.deals import settlement as deals_settlement  # payments hooks
from marketplace.listings import models as listings_models
from marketplace.listings import policy as listings_policy
from marketplace.notifications import models as notifications_models
from marketplace.notifications import policy as notifications_policy
from marketplace.orders import models as orders_models
from marketplace.orders import policy as orders_policy
from marketplace.payments import models as payments_models
from marketplace.payments import policy as payments_policy
from marketplace.pledges import models as pledges_models
from marketplace.pledges import policy as pledges_policy
from marketplace.pledges import risk_policy as pledges_risk_policy
from marketplace.pledges import services as pledges_services  # adds the pledgee-consent rule
from marketplace.rights import models as rights_models
from marketplace.rights import policy as rights_policy
from marketplace.valuations import models as valuations_models
from marketplace.valuations import policy as valuations_policy

__all__ = [
    "accounts_models",
    "accounts_policy",
    "agencies_models",
    "agencies_policy",
    "audit",
    "deals_models",
    "deals_policy",
    "deals_settlement",
    "listings_models",
    "listings_policy",
    "notifications_models",
    "notifications_policy",
    "orders_models",
    "orders_policy",
    "payments_models",
    "payments_policy",
    "pledges_models",
    "pledges_policy",
    "pledges_risk_policy",
    "pledges_services",
    "rights_models",
    "rights_policy",
    "valuations_models",
    "valuations_policy",
]
