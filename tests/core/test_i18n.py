"""Simplified Chinese by default, English on request.

Locale selection (default, Accept-Language, the language switch kept in the session and on the
user), error pages and API error envelopes in both languages, and a complete catalogue: every
string in the code is in ``translations/zh`` with a translation whose placeholders match and
whose terms follow ``GLOSSARY.md``.

The tests need the compiled ``.mo`` files, which git ignores: a session fixture of this module
compiles any catalogue whose ``.mo`` is missing or older than its ``.po`` (as ``make`` does).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, abort
from flask_babel import force_locale, gettext
from werkzeug.test import TestResponse

from marketplace.config import PROJECT_ROOT
from tests.conftest import make_config
from tests.factories import PASSWORD, make_org, make_user

TRANSLATIONS = PROJECT_ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

ZH = "zh-CN,zh;q=0.9"
EN = "en-US,en;q=0.9"


# --- fixtures ---------------------------------------------------------------------------------


def compile_stale_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` whose ``.mo`` is missing or older, atomically."""
    compiled = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=True)  # as `make` does
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the .mo is as public as the .po
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        compiled.append(mo_path)
    return compiled


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues(app: Flask) -> list[Path]:
    compiled = compile_stale_catalogues()
    if compiled:
        # Flask-Babel caches loaded catalogues per locale for the life of the app: drop any that
        # an earlier test loaded before the .mo existed.
        app.extensions["babel"].instance.domain_instance.cache.clear()
    return compiled


@pytest.fixture(scope="module")
def forbidden_app() -> Flask:
    """The real application plus one view that aborts with a plain HTTP 403."""
    from marketplace import create_app

    side_app = create_app(make_config())

    @side_app.get("/i18n-test/forbidden")
    def forbidden() -> None:
        abort(403)

    return side_app


def page(response: TestResponse) -> str:
    return response.get_data(as_text=True)


# --- locale selection -------------------------------------------------------------------------


def test_default_language_is_simplified_chinese(client):
    html = page(client.get("/"))
    assert '<html lang="zh-CN">' in html
    assert "知识产权生态小镇" in html
    assert "登录" in html and "注册" in html
    assert "Log in" not in html and "Sign up" not in html
    # The switch offers the other language.
    assert 'action="/lang/en"' in html


def test_accept_language_english_gives_english(client):
    html = page(client.get("/", headers={"Accept-Language": "en-US"}))
    assert '<html lang="en">' in html
    assert "IP Town" in html and "Log in" in html and "Sign up" in html
    assert "知识产权生态小镇" not in html and "登录" not in html
    assert 'action="/lang/zh"' in html


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh", "zh-CN"),
        ("en-GB", "en"),
        ("en-GB,en;q=0.9,zh;q=0.8", "en"),
        ("en;q=0.5,zh;q=0.9", "zh-CN"),
        ("fr-FR,de;q=0.8", "zh-CN"),  # nothing supported: the default
    ],
)
def test_accept_language_negotiation(client, header, lang):
    assert f'<html lang="{lang}">' in page(client.get("/", headers={"Accept-Language": header}))


def test_language_switch_persists_in_the_session(client):
    response = client.post("/lang/en", data={"next": "/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    # The choice beats the browser's Accept-Language from now on.
    html = page(client.get("/", headers={"Accept-Language": ZH}))
    assert '<html lang="en">' in html and "Log in" in html

    assert client.post("/lang/zh", data={"next": "/"}).status_code == 302
    html = page(client.get("/", headers={"Accept-Language": EN}))
    assert '<html lang="zh-CN">' in html and "登录" in html


def test_language_switch_follows_only_local_next(client):
    response = client.post("/lang/en", data={"next": "https://evil.example/phish"})
    assert response.headers["Location"] == "/"
    response = client.post("/lang/en", data={"next": "/login?next=/account"})
    assert response.headers["Location"] == "/login?next=/account"


def test_language_switch_refuses_an_unknown_language(client):
    assert client.post("/lang/fr", data={"next": "/"}).status_code == 404
    assert '<html lang="zh-CN">' in page(client.get("/"))


def test_language_switch_is_stored_on_the_logged_in_user(app, db, client, login_as):
    user = make_user(make_org())
    assert user.locale is None
    login_as(user)

    assert client.post("/lang/en", data={"next": "/"}).status_code == 302
    db.session.refresh(user)
    assert user.locale == "en"
    assert "Log out" in page(client.get("/"))

    # A new browser without the session cookie: English again as soon as the user logs in.
    other = app.test_client()
    assert '<html lang="zh-CN">' in page(other.get("/"))
    response = other.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    html = page(other.get("/"))
    assert '<html lang="en">' in html and "Log out" in html

    assert other.post("/lang/zh", data={"next": "/"}).status_code == 302
    db.session.refresh(user)
    assert user.locale == "zh"
    assert "退出登录" in page(other.get("/"))


# --- error pages and API envelopes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "lang", "texts"),
    [
        (ZH, "zh-CN", ["404 · 页面不存在", "您访问的页面不存在，或您无权访问。", "返回首页"]),
        (
            EN,
            "en",
            [
                "404 · Page not found",
                "The page you asked for does not exist, or you do not have access to it.",
                "Back to the home page",
            ],
        ),
    ],
)
def test_404_page_in_both_languages(client, header, lang, texts):
    response = client.get("/no-such-page", headers={"Accept-Language": header})
    assert response.status_code == 404
    html = page(response)
    assert f'<html lang="{lang}">' in html
    for text in texts:
        assert text in html


@pytest.mark.parametrize(
    ("header", "lang", "texts"),
    [
        (ZH, "zh-CN", ["403 · 无权访问", "您无权执行此操作。", "返回首页"]),
        (
            EN,
            "en",
            ["403 · Not allowed", "You are not allowed to do that.", "Back to the home page"],
        ),
    ],
)
def test_403_page_in_both_languages(forbidden_app, header, lang, texts):
    response = forbidden_app.test_client().get(
        "/i18n-test/forbidden", headers={"Accept-Language": header}
    )
    assert response.status_code == 403
    html = page(response)
    assert f'<html lang="{lang}">' in html
    for text in texts:
        assert text in html


@pytest.mark.parametrize(
    ("header", "lang", "message"),
    [(ZH, "zh-CN", "您无权执行此操作。"), (EN, "en", "You are not allowed to do that.")],
)
def test_403_from_a_policy_refusal_in_both_languages(client, login_as, header, lang, message):
    login_as(make_user(make_org()))
    response = client.get("/operator/organisations", headers={"Accept-Language": header})
    assert response.status_code == 403
    html = page(response)
    assert f'<html lang="{lang}">' in html
    assert message in html


@pytest.mark.parametrize(
    ("header", "message"),
    [("zh", "未找到。"), (ZH, "未找到。"), (EN, "Not found."), ("en", "Not found.")],
)
def test_api_error_envelope_follows_the_locale(client, header, message):
    response = client.get("/api/v1/nope", headers={"Accept-Language": header})
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": message, "fields": {}}}


def test_api_error_envelope_without_accept_language_is_chinese(client):
    response = client.get("/api/v1/nope")
    assert response.get_json()["error"]["message"] == "未找到。"


def test_api_error_envelope_follows_the_session_choice(client):
    client.post("/lang/en", data={"next": "/"})
    response = client.get("/api/v1/nope", headers={"Accept-Language": ZH})
    assert response.get_json()["error"]["message"] == "Not found."


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (ZH, "请通过 'Authorization: Bearer' 请求头发送有效的个人 API 令牌。"),
        (EN, "Send a valid personal API token as 'Authorization: Bearer'."),
    ],
)
def test_api_401_envelope_follows_the_locale(client, header, message):
    response = client.get("/api/v1/me", headers={"Accept-Language": header})
    assert response.status_code == 401
    assert response.get_json()["error"] == {
        "code": "unauthenticated",
        "message": message,
        "fields": {},
    }


def test_api_403_envelope_follows_the_locale(client):
    from marketplace.accounts.services import create_api_token

    org = make_org()
    _token, secret = create_api_token(make_user(org), name="i18n", days=1)
    for header, message in ((ZH, "您无权执行此操作。"), (EN, "You are not allowed to do that.")):
        # Only the operator decides on organisations, not a member of the organisation.
        response = client.post(
            f"/api/v1/organisations/{org.id}/decision",
            json={"status": "verified"},
            headers={"Accept-Language": header, "Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["message"] == message


def test_runtime_catalogues_are_loaded(app):
    with app.test_request_context("/"):
        with force_locale("zh"):
            assert gettext("IP Town") == "知识产权生态小镇"
            assert gettext("Not found.") == "未找到。"
        with force_locale("en"):
            assert gettext("IP Town") == "IP Town"


# --- the catalogues themselves ----------------------------------------------------------------

PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]")


def placeholders(text: str) -> Counter[str]:
    return Counter(p for p in PLACEHOLDER.findall(text) if p != "%%")


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def key(message: Message) -> str | tuple[str, ...]:
    return message.id if message.context is None else (message.context, *message.id)


def forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


@pytest.fixture(scope="module")
def zh_catalog() -> Catalog:
    return load(ZH_PO, "zh")


def test_zh_catalogue_is_complete(zh_catalog):
    assert not zh_catalog.fuzzy, "the zh header is marked fuzzy"
    assert entries(zh_catalog), "the zh catalogue is empty"
    untranslated = [m.id for m in entries(zh_catalog) if not all(s.strip() for s in forms(m))]
    fuzzy = [m.id for m in entries(zh_catalog) if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} msgids without a zh translation: {untranslated}"
    assert not fuzzy, f"fuzzy zh entries (check and unflag them): {fuzzy}"


def test_zh_placeholders_match_the_msgid(zh_catalog):
    wrong = []
    for m in entries(zh_catalog):
        ids = m.id if m.pluralizable else (m.id,)
        expected = placeholders(ids[-1])  # Chinese has one form: it matches the plural msgid
        for string in forms(m):
            if placeholders(string) != expected:
                wrong.append((ids[0], string))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in zh_catalog.check()]
    assert not problems, problems


def test_zh_and_en_catalogues_match_the_template():
    template = {key(m) for m in entries(load(POT))}
    for path, locale in ((ZH_PO, "zh"), (EN_PO, "en")):
        catalog = {key(m) for m in entries(load(path, locale))}
        assert template - catalog == set(), f"{path}: run pybabel update (see the README)"
        assert catalog - template == set(), f"{path}: entries not in messages.pot"


def test_every_source_string_is_in_the_zh_catalogue(zh_catalog):
    """A string wrapped in _() or _l() after the last extraction would show in English."""
    with (PROJECT_ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    found: dict[Any, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=keywords
    ):
        msgid = message if isinstance(message, str) else message[0]
        found[msgid if context is None else (context, msgid)] = f"{filename}:{lineno}"
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        if m.context is None
        else (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in entries(zh_catalog)
        if all(s.strip() for s in forms(m))
    }
    missing = {msgid: where for msgid, where in found.items() if msgid not in translated}
    assert found, "nothing extracted: check babel.cfg"
    assert not missing, (
        f"{len(missing)} strings are not translated in {ZH_PO.relative_to(PROJECT_ROOT)}; "
        f"extract, update and translate (see the README): {missing}"
    )


#: GLOSSARY.md: one name for each thing.
GLOSSARY = {
    "Enterprise": "企业",
    "University": "高校",
    "Research institute": "科研院所",
    "Individual inventor": "个人发明人",
    "Bank": "银行",
    "Patent agency": "专利代理机构",
    "Appraiser": "评估机构",
    "Law firm": "律师事务所",
    "Technology broker": "技术经纪机构",
    "Operator": "运营方",
    "USCC": "统一社会信用代码",
    "resident identity number": "居民身份证号码",
    "IP Town": "知识产权生态小镇",
    "Rights confirmation": "确权",
    "Valuation": "评估",
}


@pytest.mark.parametrize(("msgid", "expected"), sorted(GLOSSARY.items()))
def test_glossary_terms(zh_catalog, msgid, expected):
    message = zh_catalog.get(msgid)
    assert message is not None, f"{msgid!r} is no longer in the catalogue: update GLOSSARY here"
    assert message.string == expected


def test_the_town_has_one_name(zh_catalog):
    for m in entries(zh_catalog):
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        for string in forms(m):
            assert "知产小镇" not in string, m.id
            if "IP Town" in msgid:
                assert "知识产权生态小镇" in string and "IP Town" not in string, m.id
            if "Changchun New Area" in msgid:
                assert "长春新区" in string, m.id
            if "Unified Social Credit Code" in msgid:
                assert "统一社会信用代码" in string, m.id
            if "resident identity number" in msgid:
                assert "居民身份证号码" in string, m.id


def test_compile_helper_builds_a_missing_mo(tmp_path):
    po_dir = tmp_path / "zh" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "messages.po").write_bytes(ZH_PO.read_bytes())
    assert compile_stale_catalogues(tmp_path) == [po_dir / "messages.mo"]
    assert compile_stale_catalogues(tmp_path) == []  # up to date now
    assert (po_dir / "messages.mo").stat().st_size > 0
