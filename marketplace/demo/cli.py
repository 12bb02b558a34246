"""``flask seed demo``: an idempotent demo market."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from marketplace.accounts import services
from marketplace.accounts.models import Organisation, OrgStatus, Role, User
from marketplace.core.models import utcnow
from marketplace.demo.data import DEMO_DOMAIN, DEMO_PASSWORD, ORGANISATIONS
from marketplace.extensions import db

seed_cli = click.Group("seed", help="Demo data.")


def seed_demo() -> list[tuple[str, str, str]]:
    """Create what is missing of the demo market; returns (email, password, organisation)."""
    logins: list[tuple[str, str, str]] = []
    operator_email = f"operator@{DEMO_DOMAIN}"
    if db.session.scalar(sa.select(User).where(User.email == operator_email)) is None:
        services.create_operator(operator_email, DEMO_PASSWORD, "小镇运营管理员")
    logins.append((operator_email, DEMO_PASSWORD, "长春新区知识产权生态小镇运营中心"))
    operator = db.session.scalar(sa.select(User).where(User.email == operator_email))
    for demo in ORGANISATIONS:
        email = f"{demo.key}@{DEMO_DOMAIN}"
        org = db.session.scalar(
            sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
        )
        if org is None:
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = services.sign_up(
                    services.SignUp(
                        email=email,
                        password=DEMO_PASSWORD,
                        name=demo.contact,
                        accept_terms=True,
                        accept_privacy=True,
                        locale="zh",
                    )
                )
            org = services.create_organisation(
                user,
                services.OrganisationData(
                    kind=demo.kind,
                    name_zh=demo.name_zh,
                    name_en=demo.name_en,
                    region=demo.region,
                    identity_number=demo.identity_number,
                ),
            )
            services.change_organisation_status(org, OrgStatus.VERIFIED, actor=operator)
        member_email = f"{demo.key}.staff@{DEMO_DOMAIN}"
        if db.session.scalar(sa.select(User).where(User.email == member_email)) is None:
            member = services.sign_up(
                services.SignUp(
                    email=member_email,
                    password=DEMO_PASSWORD,
                    name="业务专员",
                    accept_terms=True,
                    accept_privacy=True,
                    locale="zh",
                )
            )
            member.organisation = org
            member.role = Role.MEMBER
        logins.append((email, DEMO_PASSWORD, demo.name_zh))
    db.session.flush()
    return logins


def mark_demo_inboxes_read() -> None:
    """Demo inboxes start read: the notices the seeding itself caused are not news."""
    from marketplace.notifications.models import Notification

    db.session.execute(
        sa.update(Notification).where(Notification.read_at.is_(None)).values(read_at=utcnow())
    )


@seed_cli.command("demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo market (safe to run again) and print the demo logins."""
    logins = seed_demo()
    db.session.commit()
    from marketplace.demo.rights import seed_rights

    rights = seed_rights()
    db.session.commit()
    from marketplace.demo.valuations import seed_valuations

    orders = seed_valuations()
    db.session.commit()
    from marketplace.agencies.demo import seed_agency_services

    agency_services = seed_agency_services()
    db.session.commit()
    from marketplace.demo.market import seed_market

    listings, demands = seed_market()
    db.session.commit()
    from marketplace.demo.pledges import seed_pledges

    applications = seed_pledges()
    db.session.commit()
    from marketplace.demo.deals import seed_deals

    deals = seed_deals()
    db.session.commit()
    mark_demo_inboxes_read()
    db.session.commit()
    click.echo(f"Demo data ready. Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _password, org in logins:
        click.echo(f"  {email:<36} {org}")
    click.echo(f"  (each organisation also has a member: <key>.staff@{DEMO_DOMAIN})")
    click.echo(
        f"{rights} IP rights in the demo portfolios; {orders} service orders; "
        f"{listings} listings and {demands} demand posts in the market; "
        f"{agency_services} agency services in the directory; "
        f"{applications} pledge loan applications; {deals} deals."
    )
