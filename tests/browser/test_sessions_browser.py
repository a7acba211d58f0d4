"""Sessions in Debian's Chromium: a reload or a direct URL stays logged in, logout and idle
time end the session, and the session id never appears in the address bar."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

import pytest

from .conftest import SHORT_IDLE_S
from .test_app_browser import _after_run, _login, _new_page, _open

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

HOME = "Locaux vacants et tiers-lieux"
COOKIE = "matcher_session"


def _session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == COOKIE), None)


def _wait_for_cookie(page) -> dict:
    """Return the session cookie once the page's script has set it."""
    page.wait_for_function(f"document.cookie.includes('{COOKIE}=')")
    return _session_cookie(page)


def _logged_in_home(page) -> None:
    page.get_by_role("heading", name=HOME).wait_for()
    assert not page.get_by_label("Adresse e-mail").count()


def _login_form(page) -> None:
    page.get_by_label("Adresse e-mail").wait_for()
    assert not page.get_by_role("heading", name=HOME).count()


def test_reload_and_direct_url_keep_the_user_logged_in(browser, app_url, artifacts):
    page = _new_page(browser, app_url)
    _login(page, "owner")
    cookie = _wait_for_cookie(page)
    token, expiry, signature = cookie["value"].split(".")
    assert len(token) >= 43 and signature and cookie["sameSite"] == "Strict"
    assert int(expiry) > time.time() and cookie["expires"] > time.time()
    page.reload()
    _logged_in_home(page)
    page.goto(f"{app_url}/mes_locaux")  # a direct URL to a page of the role
    page.get_by_role("heading", name="Mes locaux").wait_for()
    other_tab = page.context.new_page()  # the same browser, another tab
    other_tab.goto(app_url)
    _logged_in_home(other_tab)
    assert token not in page.url and token not in other_tab.url
    page.screenshot(path=str(artifacts / "session-rechargee.png"), full_page=True)
    page.context.close()


def test_logout_ends_the_session_for_good(browser, app_url):
    page = _new_page(browser, app_url)
    _login(page, "holder")
    cookie = _wait_for_cookie(page)
    _open(page, "Déconnexion")
    _after_run(page, page.get_by_role("button", name="Se déconnecter").click)
    page.get_by_text("Vous êtes déconnecté.").wait_for()
    page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')")  # deleted
    page.reload()
    _login_form(page)
    # Even a copy of the old cookie no longer opens anything: the session ended on the server.
    page.context.add_cookies([{**cookie, "expires": time.time() + 3600}])
    page.reload()
    _login_form(page)
    page.get_by_text("Vous êtes déconnecté.").wait_for()  # what ended it, not a new error
    page.context.close()


def _last_seen(db_path, token_prefix_cookie: str) -> dt.datetime:
    import hashlib

    digest = hashlib.sha256(token_prefix_cookie.split(".")[0].encode()).hexdigest()
    connection = sqlite3.connect(str(db_path))
    try:
        (value,) = connection.execute(
            "SELECT last_seen_at FROM user_sessions WHERE token_sha256 = ?", (digest,)
        ).fetchone()
    finally:
        connection.close()
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def test_an_idle_session_expires(browser, short_idle_app_url, browser_db, artifacts):
    page = _new_page(browser, short_idle_app_url)
    _login(page, "fund")
    cookie = _wait_for_cookie(page)
    page.reload()
    try:
        _logged_in_home(page)  # still within the idle time
    except Exception:
        page.screenshot(path=str(artifacts / "ECHEC-session-inactive.png"), full_page=True)
        raise
    # Wait until the database says the session has been idle for longer than allowed.
    idle = dt.timedelta(seconds=SHORT_IDLE_S)
    deadline = time.monotonic() + 10 * SHORT_IDLE_S
    while dt.datetime.now(dt.UTC) - _last_seen(browser_db, cookie["value"]) <= idle:
        assert time.monotonic() < deadline, "la session ne vieillit pas"
        page.wait_for_timeout(250)  # polling interval of the condition above
    # The next click runs the app, which finds the session expired.
    _after_run(page, page.get_by_role("link", name="Pipeline").first.click)
    page.get_by_text(
        f"Votre session a expiré après {SHORT_IDLE_S} secondes d'inactivité"
    ).wait_for()
    page.screenshot(path=str(artifacts / "session-expiree.png"), full_page=True)
    page.reload()
    _login_form(page)
    page.context.close()
