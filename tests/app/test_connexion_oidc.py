"""The login page offers OpenID Connect only when it is configured in secrets."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "connexion.py")

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "secret-de-test",
    "client_id": "matcher",
    "client_secret": "x",
    "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration",
}
LABEL = "Se connecter avec l'annuaire (OpenID Connect)"


def _labels(at):
    return [b.label for b in at.button]


def test_no_oidc_button_without_configuration(app_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert LABEL not in _labels(at)


def test_oidc_button_when_configured(app_env):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception
    assert LABEL in _labels(at)


def test_incomplete_configuration_is_ignored(app_env):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"] = {k: v for k, v in AUTH.items() if k != "cookie_secret"}
    at.run()
    assert not at.exception
    assert LABEL not in _labels(at)
