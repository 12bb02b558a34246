"""IP Town web platform: the application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from marketplace.config import DEFAULT_SECRET_KEY, PROJECT_ROOT, Config, config_from_env


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a config class, or a mapping of overrides on top of the
    class that ``MARKETPLACE_ENV`` names."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(config_from_env())
        app.config.update(config or {})
    check_production_settings(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handling(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def check_production_settings(app: Flask) -> None:
    if app.config.get("ENV_NAME") == "production":
        if not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
            raise RuntimeError(
                "Refusing to start in production with the default secret key: "
                "set MARKETPLACE_SECRET_KEY to a long random value."
            )
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            app.logger.warning("Production is running on SQLite; set DATABASE_URL to PostgreSQL.")
        check_production_stripe(app)


def check_production_stripe(app: Flask) -> None:
    """Production takes real Stripe keys or none (card payments off), never the sandbox's."""
    from marketplace.config import SANDBOX_SECRET_KEY, SANDBOX_WEBHOOK_SECRET

    config = app.config
    if config.get("STRIPE_API_BASE") or config.get("STRIPE_SECRET_KEY") == SANDBOX_SECRET_KEY:
        raise RuntimeError(
            "Refusing to start in production against the Stripe sandbox: unset "
            "MARKETPLACE_STRIPE_API_BASE and set the real MARKETPLACE_STRIPE_* keys."
        )
    if not config.get("STRIPE_SECRET_KEY"):
        app.logger.warning("MARKETPLACE_STRIPE_SECRET_KEY is not set: card payments are off.")
    elif (
        not config.get("STRIPE_WEBHOOK_SECRET")
        or config["STRIPE_WEBHOOK_SECRET"] == SANDBOX_WEBHOOK_SECRET
        or not config.get("STRIPE_PUBLISHABLE_KEY")
    ):
        raise RuntimeError(
            "Stripe is configured without its webhook secret or publishable key: set "
            "MARKETPLACE_STRIPE_WEBHOOK_SECRET and MARKETPLACE_STRIPE_PUBLISHABLE_KEY."
        )


def register_extensions(app: Flask) -> None:
    import marketplace.models  # noqa: F401  (complete metadata and permission rules)
    from marketplace.accounts.auth import init_login
    from marketplace.core import i18n
    from marketplace.core.models import alembic_render_item, configure_sqlite
    from marketplace.extensions import api, babel, csrf, db, limiter, login_manager, migrate

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # psycopg 3 is the driver; plain postgresql:// URLs would ask for psycopg2.
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "postgresql+psycopg://" + uri[len("postgresql://") :]
        )
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=alembic_render_item,
    )
    login_manager.init_app(app)
    init_login(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    api.init_app(app)


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts import api as accounts_api
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.agencies import api as agencies_api
    from marketplace.agencies.views import bp as agencies_bp
    from marketplace.core.api import api_blueprint
    from marketplace.core.views import bp as core_bp
    from marketplace.deals import api as deals_api
    from marketplace.deals import settlement_api
    from marketplace.deals.settlement_views import bp as settlement_bp
    from marketplace.deals.views import bp as deals_bp
    from marketplace.extensions import api, csrf
    from marketplace.listings import api as listings_api
    from marketplace.listings.views import bp as listings_bp
    from marketplace.notifications.views import bp as notifications_bp
    from marketplace.orders.payment_views import bp as order_payments_bp
    from marketplace.orders.views import bp as orders_bp
    from marketplace.payments import api as payments_api
    from marketplace.payments.views import bp as payments_bp
    from marketplace.payments.views import webhook_bp as payments_webhook_bp
    from marketplace.pledges import api as pledges_api
    from marketplace.pledges import risk_api
    from marketplace.pledges.pledge_views import bp as pledges_bp
    from marketplace.pledges.risk_views import bp as risk_schemes_bp
    from marketplace.pledges.views import bp as loan_applications_bp
    from marketplace.rights import api as rights_api
    from marketplace.rights.views import bp as rights_bp
    from marketplace.valuations.views import bp as valuations_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(rights_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(order_payments_bp)
    app.register_blueprint(listings_bp)
    app.register_blueprint(agencies_bp)
    app.register_blueprint(valuations_bp)
    app.register_blueprint(risk_schemes_bp)
    app.register_blueprint(loan_applications_bp)
    app.register_blueprint(pledges_bp)
    app.register_blueprint(deals_bp)
    app.register_blueprint(settlement_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(payments_webhook_bp)
    # Stripe authenticates its webhook with a signature, not a session: no CSRF token.
    csrf.exempt(payments_webhook_bp)
    app.register_blueprint(api_blueprint)
    api_blueprints = [
        *accounts_api.blueprints,
        *rights_api.blueprints,
        *listings_api.blueprints,
        *agencies_api.blueprints,
        *pledges_api.blueprints,
        *risk_api.blueprints,
        *deals_api.blueprints,
        *settlement_api.blueprints,
        *payments_api.blueprints,
    ]
    for blueprint in api_blueprints:
        # API calls authenticate with Bearer tokens only (see core/api.py), so no CSRF token.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix="/api/v1" + blueprint.url_prefix)


def register_error_handling(app: Flask) -> None:
    from marketplace.core.errors import register_error_handlers

    # Registered after flask-smorest, whose own HTTPException handler this replaces.
    register_error_handlers(app)


def register_request_hooks(app: Flask) -> None:
    from marketplace.core import security
    from marketplace.core.api import check_api_request

    app.before_request(check_api_request)
    app.after_request(security.set_security_headers)


def register_template_helpers(app: Flask) -> None:
    from marketplace.core import templating

    templating.init_app(app)


def register_commands(app: Flask) -> None:
    from marketplace.accounts.cli import users_cli
    from marketplace.core.cli import audit_cli
    from marketplace.deals.cli import deals_cli
    from marketplace.demo.cli import seed_cli
    from marketplace.payments.cli import payments_cli
    from marketplace.pledges.cli import pledges_cli
    from marketplace.rights.cli import rights_cli
    from marketplace.search import init_app as init_search

    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(rights_cli)
    app.cli.add_command(pledges_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(deals_cli)
    init_search(app)
    register_search_documents()


def register_search_documents() -> None:
    from marketplace.listings import documents
    from marketplace.search.indexing import register_loader, register_source

    register_loader("listing", documents.load_listing)
    register_loader("demand", documents.load_demand)
    register_source("listing", documents.all_listings)
    register_source("demand", documents.all_demands)
