"""Migrations have one head and build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.config import PROJECT_ROOT
from marketplace.extensions import db as _db
from tests.conftest import _TMP, database_url, is_postgres, make_config


def test_single_head(app):
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    if not is_postgres():
        yield f"sqlite:///{_TMP / f'migrations-{uuid.uuid4().hex}.sqlite3'}"
        return
    name = f"iptown_migrations_{uuid.uuid4().hex[:12]}"
    admin_url = sa.make_url(database_url()).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_migrations_build_exactly_the_models_schema(app, empty_database_url):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        try:
            upgrade()
            with _db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, _db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            # Alembic does not compare CHECK constraints (enum values live there): compare them
            # with the schema the models create on the test database.
            migrated = _check_constraints(_db.engine)
            downgrade(revision="base")
            remaining = set(sa.inspect(_db.engine).get_table_names()) - {"alembic_version"}
            assert remaining == set()
        finally:
            _db.session.remove()
            _db.engine.dispose()
    reference_app = create_app(make_config())
    with reference_app.app_context():
        expected = _check_constraints(_db.engine)
        _db.engine.dispose()
    assert migrated == expected


def _check_constraints(engine: sa.Engine) -> dict[tuple[str, str], str]:
    inspector = sa.inspect(engine)
    return {
        (table, check["name"]): " ".join(check["sqltext"].split())
        for table in inspector.get_table_names()
        if table != "alembic_version"
        for check in inspector.get_check_constraints(table)
    }
