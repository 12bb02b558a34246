"""Display labels of the agency directory, in the UI's language.

Service kinds and industries keep the names the orders and valuations already use (one name for
each thing); only the directory's own choices are defined here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.valuations.indicative import INDUSTRY_LABELS
from marketplace.valuations.labels import SERVICE_LABELS

SORT_LABELS = {
    "rating": _l("Best rated"),
    "price": _l("Lowest price"),
    "delivery": _l("Fastest delivery"),
}

__all__ = ["INDUSTRY_LABELS", "SERVICE_LABELS", "SORT_LABELS"]
