"""pledge filing service kind: widen the service_orders.kind check constraint

Revision ID: 3f1c2a9b7d10
Revises: 07708e786191
Create Date: 2026-11-25 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f1c2a9b7d10"
down_revision = "07708e786191"
branch_labels = None
depends_on = None

OLD = ("valuation", "patent_navigation", "legal_opinion", "filing", "brokerage")
NEW = (*OLD, "pledge_filing")


def _replace_check(values: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{v}'" for v in values)
    with op.batch_alter_table("service_orders") as batch:
        batch.drop_constraint(op.f("ck_service_orders_servicekind"), type_="check")
        batch.create_check_constraint("servicekind", sa.text(f"kind IN ({allowed})"))


def upgrade():
    _replace_check(NEW)


def downgrade():
    _replace_check(OLD)
