"""The one table of what each kind of right is: its registry authority and when an assignment,
a licence or a pledge takes effect. Listings, pledges and deals read it; nobody restates it.

Sources: Patent Law arts. 10, 12 and Implementing Regulations (recordal of licences); Trademark
Law arts. 42-43 and Implementing Regulations art. 69; Regulations on the Protection of Computer
Software arts. 20-21 and Measures for Software Copyright Registration; Regulations on the
Protection of New Varieties of Plants (2025 revision) art. 9; Civil Code arts. 444 (pledge of IP
takes effect on registration).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RightKind(enum.StrEnum):
    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"
    TRADEMARK = "trademark"
    SOFTWARE_COPYRIGHT = "software_copyright"
    COPYRIGHT = "copyright"
    PLANT_VARIETY = "plant_variety"
    GEOGRAPHICAL_INDICATION = "geographical_indication"

    @property
    def rule(self) -> KindRule:
        return KIND_RULES[self]

    @property
    def is_patent(self) -> bool:
        return self in PATENT_KINDS


PATENT_KINDS = frozenset({RightKind.INVENTION, RightKind.UTILITY_MODEL, RightKind.DESIGN})


class Effect(enum.StrEnum):
    """When a transaction on a right takes effect against everyone."""

    REGISTRATION = "registration"  # on entry in the authority's register
    PUBLICATION = "publication"  # on the authority's announcement
    CONTRACT = "contract"  # when the contract takes effect; registration is optional
    RECORDAL = "recordal"  # valid by contract, recorded with the authority
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class KindRule:
    authority_zh: str
    authority_en: str
    assignment: Effect
    licence: Effect
    pledge: Effect
    #: Has annual fees whose non-payment ends the right (patents only).
    annual_fees: bool
    #: Plain-language rule for the right's page and contracts.
    note_zh: str
    note_en: str

    @property
    def listable(self) -> bool:
        return self.assignment is not Effect.NOT_ALLOWED

    @property
    def pledgeable(self) -> bool:
        return self.pledge is not Effect.NOT_ALLOWED


_PATENT = KindRule(
    authority_zh="国家知识产权局",
    authority_en="China National Intellectual Property Administration (CNIPA)",
    assignment=Effect.REGISTRATION,
    licence=Effect.RECORDAL,
    pledge=Effect.REGISTRATION,
    annual_fees=True,
    note_zh="专利权转让、质押自国家知识产权局登记之日起生效；实施许可合同应备案。",
    note_en="Assignments and pledges take effect on CNIPA registration; licences are recorded.",
)

KIND_RULES: dict[RightKind, KindRule] = {
    RightKind.INVENTION: _PATENT,
    RightKind.UTILITY_MODEL: _PATENT,
    RightKind.DESIGN: _PATENT,
    RightKind.TRADEMARK: KindRule(
        authority_zh="国家知识产权局商标局",
        authority_en="CNIPA Trademark Office",
        assignment=Effect.PUBLICATION,
        licence=Effect.RECORDAL,
        pledge=Effect.REGISTRATION,
        annual_fees=False,
        note_zh="注册商标转让经核准公告后生效；许可未备案不得对抗善意第三人；质权自登记时设立。",
        note_en=(
            "An assignment takes effect on publication of its approval; an unrecorded licence "
            "cannot be asserted against a third party in good faith; pledges are registered."
        ),
    ),
    RightKind.SOFTWARE_COPYRIGHT: KindRule(
        authority_zh="中国版权保护中心",
        authority_en="Copyright Protection Center of China",
        assignment=Effect.CONTRACT,
        licence=Effect.CONTRACT,
        pledge=Effect.REGISTRATION,
        annual_fees=False,
        note_zh="软件著作权登记为自愿登记；转让自合同生效时发生效力；质权自登记时设立。",
        note_en=(
            "Registration is voluntary; an assignment takes effect by contract; a pledge on "
            "registration."
        ),
    ),
    RightKind.COPYRIGHT: KindRule(
        authority_zh="中国版权保护中心",
        authority_en="Copyright Protection Center of China",
        assignment=Effect.CONTRACT,
        licence=Effect.CONTRACT,
        pledge=Effect.REGISTRATION,
        annual_fees=False,
        note_zh="著作权转让自合同生效时发生效力；质权自登记时设立。",
        note_en="An assignment takes effect by contract; a pledge on registration.",
    ),
    RightKind.PLANT_VARIETY: KindRule(
        authority_zh="农业农村部 / 国家林业和草原局",
        authority_en="MARA (agricultural) or NFGA (forestry) plant variety office",
        assignment=Effect.REGISTRATION,
        licence=Effect.CONTRACT,
        pledge=Effect.REGISTRATION,
        annual_fees=False,
        note_zh="品种权转让经审批机关登记和公告后生效。",
        note_en="An assignment takes effect on registration and announcement by the authority.",
    ),
    RightKind.GEOGRAPHICAL_INDICATION: KindRule(
        authority_zh="国家知识产权局",
        authority_en="CNIPA",
        assignment=Effect.NOT_ALLOWED,
        licence=Effect.NOT_ALLOWED,
        pledge=Effect.NOT_ALLOWED,
        annual_fees=False,
        note_zh="地理标志属于集体权利，仅作登记展示，不得挂牌交易或质押。",
        note_en="A collective right: shown in the registry only, never listed or pledged.",
    ),
}
