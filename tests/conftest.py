"""Shared fixtures.

- ``app``: one application per test session on the database named by ``TEST_DATABASE_URL``
  (a temporary SQLite file by default), schema created from the models.
- ``db``: every test runs inside a transaction that is rolled back afterwards; services'
  own commits become savepoint releases, so nothing leaks between tests.
- ``committing_db``: for races, after-commit effects and the live server, data really commits
  and all tables are emptied afterwards.
- ``client`` and ``login_as``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

from marketplace import create_app
from marketplace.config import TestingConfig
from marketplace.extensions import db as _db
from marketplace.extensions import limiter

IS_CI = os.environ.get("CI", "").lower() == "true"
_TMP = Path(tempfile.mkdtemp(prefix="iptown-tests-"))


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite3'}"


def make_config(**overrides: Any) -> type[TestingConfig]:
    attrs = {
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "UPLOAD_FOLDER": str(_TMP / "uploads"),
        "INSTANCE_PATH": str(_TMP),
        **overrides,
    }
    return type("TestConfig", (TestingConfig,), attrs)


def is_postgres() -> bool:
    return database_url().startswith("postgresql")


class _ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks the app's engine over ``bind``; tests need the one
    connection that holds the outer transaction."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


class FreshContextClient(FlaskClient):
    """Each request gets its own application context, as in production.

    Tests hold an app context open for services; without this, requests would reuse it and
    share ``g`` (and Flask-Login's cached user) across requests.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = create_app(make_config())
    app.test_client_class = FreshContextClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """A session bound to one outer transaction that is rolled back after the test."""
    connection = _db.engine.connect()
    transaction = connection.begin()
    original = _db.session
    _db.session = _db._make_scoped_session(
        {
            "class_": _ConnectionBoundSession,
            "bind": connection,
            "join_transaction_mode": "create_savepoint",
        }
    )
    limiter.reset()
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original
        transaction.rollback()
        connection.close()


def _empty_all_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def committing_db(app: Flask) -> Iterator[Any]:
    """Real commits on real connections; every table is emptied afterwards."""
    limiter.reset()
    _empty_all_tables()
    try:
        yield _db
    finally:
        _db.session.remove()
        _empty_all_tables()


@pytest.fixture
def client(app: Flask, db: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(client: FlaskClient) -> Any:
    from tests.factories import PASSWORD

    def login(user: Any, password: str = PASSWORD) -> FlaskClient:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login
