"""Rights confirmation (确权): claims with evidence, review, disputes, who sees what."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.accounts.models import OrgKind, OrgStatus, Role
from marketplace.core.audit import history
from marketplace.core.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.rights import evidence, services
from marketplace.rights.errors import EvidenceRejected, RightDisputed
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import ClaimStatus, Dispute, DisputeStatus, EvidenceFile
from tests.factories import make_operator, make_org, make_right, make_user

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def upload(content: bytes = PDF, name: str = "certificate.pdf") -> evidence.Upload:
    return evidence.Upload(name, io.BytesIO(content))


@pytest.fixture
def world(db):
    holder = make_org(OrgKind.ENTERPRISE, name_zh="甲公司")
    agency = make_org(OrgKind.PATENT_AGENCY, name_zh="智衡专利代理")
    return {
        "holder": holder,
        "holder_user": make_user(holder, role=Role.ADMIN),
        "agency": agency,
        "agent": make_user(agency),
        "operator": make_operator(),
    }


def claim_data(number: str, reviewer=None, **kw) -> services.ClaimData:
    return services.ClaimData(
        kind=RightKind.INVENTION,
        number=number,
        title_zh="一种车用热泵空调",
        reviewer_org_id=reviewer.id if reviewer else None,
        **kw,
    )


def test_claim_with_evidence_verified_by_the_chosen_agency(world, app):
    right = make_right(world["holder"], verified=False)
    claim = services.file_claim(
        world["holder"],
        claim_data(right.number, world["agency"]),
        actor=world["holder_user"],
        evidence=[upload()],
    )
    assert claim.status is ClaimStatus.SUBMITTED
    stored = claim.evidence[0]
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.content_type == "application/pdf"
    path = evidence.path_of(stored)
    assert path.read_bytes() == PDF
    assert stored.stored_name != "certificate.pdf" and "certificate" not in path.name
    static = Path(app.static_folder).resolve()
    assert static not in path.resolve().parents  # outside the web root

    services.decide_claim(claim, actor=world["agent"], verify=True)
    assert claim.status is ClaimStatus.VERIFIED
    assert right.owner_row(world["holder"]).verified_at is not None
    services.require_verified(right, world["holder"])
    actions = [e.action for e in history("ownership_claims", claim.id)]
    assert actions == ["claim.submitted", "claim.verified"]


def test_claim_on_a_right_new_to_the_registry_registers_it(world):
    claim = services.file_claim(
        world["holder"],
        claim_data("ZL201811564288.X"),
        actor=world["holder_user"],
        evidence=[upload(PNG, "scan.png")],
    )
    assert claim.right.number == "201811564288.X"
    assert claim.right.owner_row(world["holder"]) is None  # owner only once verified
    services.decide_claim(claim, actor=world["operator"], verify=True)
    assert claim.right.owner_row(world["holder"]).verified_at is not None


def test_rejection_needs_a_reason_and_keeps_the_right_unverified(world):
    right = make_right(world["holder"], verified=False)
    claim = services.file_claim(
        world["holder"],
        claim_data(right.number, world["agency"]),
        actor=world["holder_user"],
        evidence=[upload()],
    )
    with pytest.raises(ValidationFailed):
        services.decide_claim(claim, actor=world["agent"], verify=False)
    services.decide_claim(claim, actor=world["agent"], verify=False, reason="证书与登记簿不符")
    assert claim.status is ClaimStatus.REJECTED
    assert right.owner_row(world["holder"]).verified_at is None
    with pytest.raises(IllegalTransition):
        services.decide_claim(claim, actor=world["agent"], verify=True)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00 executable", "certificate.pdf"),  # renamed program
        (b"<html><script>alert(1)</script>", "extract.png"),
        (b"PK\x03\x04 zip archive", "record.jpg"),
        (b"", "empty.pdf"),
    ],
)
def test_upload_rejected_by_content_not_name(world, content, name):
    right = make_right(world["holder"], verified=False)
    with pytest.raises(EvidenceRejected):
        services.file_claim(
            world["holder"],
            claim_data(right.number),
            actor=world["holder_user"],
            evidence=[upload(content, name)],
        )


@pytest.mark.parametrize("content", [PDF, PNG, JPEG])
def test_accepted_formats_are_sniffed(content):
    assert evidence.sniff(content[:16]) in {"application/pdf", "image/png", "image/jpeg"}


def test_upload_over_10_mb_is_rejected(world):
    right = make_right(world["holder"], verified=False)
    big = PDF + b"0" * (evidence.MAX_EVIDENCE_BYTES)
    with pytest.raises(EvidenceRejected):
        services.file_claim(
            world["holder"],
            claim_data(right.number),
            actor=world["holder_user"],
            evidence=[upload(big)],
        )


def test_claim_needs_evidence_and_a_valid_number(world):
    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        services.file_claim(
            world["holder"], claim_data("201910349801.3"), actor=world["holder_user"], evidence=[]
        )
    assert set(caught.value.fields) == {"number", "evidence"}
    assert "check digit" in caught.value.fields["number"][0]


def test_only_verified_rights_holders_claim(world):
    pending = make_org(status=OrgStatus.PENDING)
    with pytest.raises(Conflict):
        services.file_claim(
            pending, claim_data("201910349801.1"), actor=make_user(pending), evidence=[upload()]
        )
    with pytest.raises(Conflict):
        services.file_claim(
            world["agency"], claim_data("201910349801.1"), actor=world["agent"], evidence=[upload()]
        )


def test_one_open_claim_per_organisation_and_right(world):
    right = make_right(world["holder"], verified=False)
    services.file_claim(
        world["holder"], claim_data(right.number), actor=world["holder_user"], evidence=[upload()]
    )
    with pytest.raises(Conflict):
        services.file_claim(
            world["holder"],
            claim_data(right.number),
            actor=world["holder_user"],
            evidence=[upload()],
        )


def test_claim_on_a_verified_right_opens_a_dispute_that_blocks_both(world):
    right = make_right(world["holder"])  # verified for the holder
    rival = make_org(OrgKind.ENTERPRISE, name_zh="乙公司")
    rival_user = make_user(rival)
    claim = services.file_claim(
        rival, claim_data(right.number), actor=rival_user, evidence=[upload()]
    )
    assert claim.status is ClaimStatus.DISPUTED
    dispute = _db.session.scalars(sa.select(Dispute).where(Dispute.right_id == right.id)).one()
    assert dispute.holder_org_id == world["holder"].id
    for org in (world["holder"], rival):
        with pytest.raises(RightDisputed):
            services.require_verified(right, org)
    with pytest.raises(IllegalTransition):  # a reviewer cannot settle a dispute
        services.decide_claim(claim, actor=world["operator"], verify=True)


def test_operator_upholds_the_claimant(world):
    right = make_right(world["holder"])
    rival = make_org(OrgKind.ENTERPRISE)
    claim = services.file_claim(
        rival, claim_data(right.number), actor=make_user(rival), evidence=[upload()]
    )
    dispute = _db.session.scalars(sa.select(Dispute)).one()
    with pytest.raises(ValidationFailed):
        services.resolve_dispute(
            dispute, actor=world["operator"], upheld="claimant", resolution=" "
        )
    services.resolve_dispute(
        dispute,
        actor=world["operator"],
        upheld="claimant",
        resolution="法院判决确认乙公司为专利权人",
    )
    assert dispute.status is DisputeStatus.RESOLVED
    assert claim.status is ClaimStatus.VERIFIED
    assert right.owner_row(world["holder"]) is None
    services.require_verified(right, rival)
    assert "right.ownership_removed" in [e.action for e in history("rights", right.id)]
    with pytest.raises(Conflict):
        services.resolve_dispute(
            dispute, actor=world["operator"], upheld="holder", resolution="again"
        )


def test_operator_upholds_the_holder(world):
    right = make_right(world["holder"])
    rival = make_org(OrgKind.ENTERPRISE)
    claim = services.file_claim(
        rival, claim_data(right.number), actor=make_user(rival), evidence=[upload()]
    )
    dispute = _db.session.scalars(sa.select(Dispute)).one()
    services.resolve_dispute(
        dispute, actor=world["operator"], upheld="holder", resolution="证据不足"
    )
    assert claim.status is ClaimStatus.REJECTED
    services.require_verified(right, world["holder"])


def test_withdrawing_a_disputed_claim_closes_the_dispute(world):
    right = make_right(world["holder"])
    rival = make_org(OrgKind.ENTERPRISE)
    rival_user = make_user(rival)
    claim = services.file_claim(
        rival, claim_data(right.number), actor=rival_user, evidence=[upload()]
    )
    services.withdraw_claim(claim, actor=rival_user)
    assert claim.status is ClaimStatus.WITHDRAWN
    services.require_verified(right, world["holder"])


# --- pages and permissions -----------------------------------------------------------------


def test_claim_journey_through_the_pages(client, login_as, world):
    right = make_right(world["holder"], verified=False)
    login_as(world["holder_user"])
    response = client.post(
        "/claims/new",
        data={
            "kind": "invention",
            "number": right.number,
            "share": "100",
            "reviewer_org_id": str(world["agency"].id),
            "evidence_kind": "certificate",
            "evidence": [(io.BytesIO(PDF), "证书.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    claim_url = response.headers["Location"]
    client.post("/logout")

    login_as(world["agent"])
    queue = client.get("/claims").get_data(as_text=True)
    assert right.number in queue
    page = client.get(claim_url).get_data(as_text=True)
    assert 'data-testid="decision-form"' in page
    evidence_id = _db.session.scalars(sa.select(EvidenceFile.id)).one()
    download = client.get(f"/evidence/{evidence_id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert client.get(f"/rights/{right.id}").status_code == 200  # the reviewer sees the right
    response = client.post(f"{claim_url}/decision", data={"decision": "verify", "reason": ""})
    assert response.status_code == 302
    _db.session.expire_all()
    assert right.owner_row(world["holder"]).verified_at is not None


def test_bad_evidence_on_the_page_is_a_readable_error(client, login_as, world):
    right = make_right(world["holder"], verified=False)
    login_as(world["holder_user"])
    response = client.post(
        "/claims/new",
        data={
            "kind": "invention",
            "number": right.number,
            "share": "100",
            "reviewer_org_id": "",
            "evidence_kind": "certificate",
            "evidence": [(io.BytesIO(b"MZ..."), "a.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "PDF" in response.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceFile)) == 0


def test_strangers_see_neither_right_nor_claim_nor_evidence(client, login_as, world):
    right = make_right(world["holder"], verified=False)
    claim = services.file_claim(
        world["holder"],
        claim_data(right.number, world["agency"]),
        actor=world["holder_user"],
        evidence=[upload()],
    )
    other_agency = make_org(OrgKind.PATENT_AGENCY)
    stranger_org = make_org(OrgKind.ENTERPRISE)
    for user in (make_user(other_agency), make_user(stranger_org)):
        login_as(user)
        assert client.get(f"/rights/{right.id}").status_code == 404
        assert client.get(f"/claims/{claim.id}").status_code == 404
        assert client.get(f"/evidence/{claim.evidence[0].id}").status_code == 404
        assert (
            client.post(f"/claims/{claim.id}/decision", data={"decision": "verify"}).status_code
            == 404
        )
        client.post("/logout")


def test_rival_claimant_sees_its_claim_but_not_the_holders_record(client, login_as, world):
    right = make_right(world["holder"])
    rival = make_org(OrgKind.ENTERPRISE)
    rival_user = make_user(rival)
    claim = services.file_claim(
        rival, claim_data(right.number), actor=rival_user, evidence=[upload()]
    )
    login_as(rival_user)
    assert client.get(f"/claims/{claim.id}").status_code == 200
    assert client.get(f"/rights/{right.id}").status_code == 404


def test_holder_cannot_decide_its_own_claim(client, login_as, world):
    right = make_right(world["holder"], verified=False)
    claim = services.file_claim(
        world["holder"],
        claim_data(right.number, world["agency"]),
        actor=world["holder_user"],
        evidence=[upload()],
    )
    login_as(world["holder_user"])
    assert (
        client.post(f"/claims/{claim.id}/decision", data={"decision": "verify"}).status_code == 403
    )
