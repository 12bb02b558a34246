"""Imports every model and permission module once, so that the metadata (create_all, Alembic
autogenerate) and the policy registry are complete wherever the app runs."""

from marketplace.accounts import models as accounts_models
from marketplace.accounts import policy as accounts_policy
from marketplace.core import audit
from marketplace.notifications import models as notifications_models
from marketplace.notifications import policy as notifications_policy
from marketplace.rights import models as rights_models
from marketplace.rights import policy as rights_policy

__all__ = [
    "accounts_models",
    "accounts_policy",
    "audit",
    "notifications_models",
    "notifications_policy",
    "rights_models",
    "rights_policy",
]
