"""Display labels for the registry's enums, in the UI's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.rights.kinds import RightKind
from marketplace.rights.models import ClaimStatus, EvidenceKind, RightStatus

RIGHT_KIND_LABELS = {
    RightKind.INVENTION: _l("Invention patent"),
    RightKind.UTILITY_MODEL: _l("Utility model"),
    RightKind.DESIGN: _l("Design patent"),
    RightKind.TRADEMARK: _l("Trademark"),
    RightKind.SOFTWARE_COPYRIGHT: _l("Software copyright"),
    RightKind.COPYRIGHT: _l("Copyright"),
    RightKind.PLANT_VARIETY: _l("Plant variety right"),
    RightKind.GEOGRAPHICAL_INDICATION: _l("Geographical indication"),
}

RIGHT_STATUS_LABELS = {
    RightStatus.PENDING: _l("Pending"),
    RightStatus.IN_FORCE: _l("In force"),
    RightStatus.GRACE_PERIOD: _l("Grace period"),
    RightStatus.LAPSED: _l("Lapsed"),
    RightStatus.EXPIRED: _l("Term expired"),
    RightStatus.UNDER_INVALIDATION: _l("Under invalidation"),
    RightStatus.INVALIDATED: _l("Invalidated"),
    RightStatus.SUSPENDED: _l("Procedures suspended"),
}

CLAIM_STATUS_LABELS = {
    ClaimStatus.SUBMITTED: _l("Awaiting review"),
    ClaimStatus.VERIFIED: _l("Ownership confirmed"),
    ClaimStatus.REJECTED: _l("Rejected"),
    ClaimStatus.DISPUTED: _l("Disputed"),
    ClaimStatus.WITHDRAWN: _l("Withdrawn"),
}

EVIDENCE_KIND_LABELS = {
    EvidenceKind.CERTIFICATE: _l("Certificate"),
    EvidenceKind.REGISTER_EXTRACT: _l("Register extract"),
    EvidenceKind.ASSIGNMENT_RECORD: _l("Assignment record"),
    EvidenceKind.OTHER: _l("Other document"),
}
