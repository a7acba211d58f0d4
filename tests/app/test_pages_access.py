"""Login gate and who may open which page."""

from __future__ import annotations

import pytest

from .apphelpers import PASSWORDS, button, texts

PAGES_BY_ROLE = {
    "owner": ["accueil", "mes_locaux"],
    "holder": ["accueil", "trouver_un_lieu", "mes_projets"],
    "fund": ["accueil", "pipeline", "portefeuille", "trouver_un_lieu"],
    "admin": ["accueil", "mes_locaux", "trouver_un_lieu", "mes_projets", "pipeline",
              "portefeuille", "administration"],
}  # fmt: skip
ALL_PAGES = sorted({p for pages in PAGES_BY_ROLE.values() for p in pages})


def test_login_page_shows_demo_accounts_and_refuses_bad_password(page):
    at = page("app")
    assert any("porteur@demo.tiers-lieux.fr" in t for t in texts(at, "info"))
    at.text_input(key="login_email").input(PASSWORDS["holder"][0])
    at.text_input(key="login_password").input("mauvais")
    button(at, "Se connecter").click().run()
    assert not at.exception
    assert texts(at, "error") and "auth_user" not in at.session_state
    assert "Traceback" not in " ".join(texts(at, "error"))


def test_login_with_empty_fields_is_a_french_error(page):
    at = page("app")
    button(at, "Se connecter").click().run()
    assert texts(at, "error") == ["Saisissez votre adresse e-mail et votre mot de passe."]


@pytest.mark.parametrize("role", list(PASSWORDS))
def test_login_stores_the_actor_and_opens_home(page, role):
    at = page("app")
    email, password = PASSWORDS[role]
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(password)
    button(at, "Se connecter").click().run()
    assert not at.exception
    assert at.session_state["auth_user"].role == role
    assert [t.value for t in at.title] == ["Locaux vacants et tiers-lieux"]


@pytest.mark.parametrize("name", ALL_PAGES)
def test_every_page_asks_to_log_in_when_logged_out(page, name):
    at = page(name)
    assert not at.exception
    assert texts(at, "warning") == ["Connectez-vous pour accéder à cette page."]


@pytest.mark.parametrize("role", list(PAGES_BY_ROLE))
def test_each_role_opens_its_pages_without_error(page, actors, role):
    for name in PAGES_BY_ROLE[role]:
        at = page(name, actors[role])
        assert not at.exception, (role, name, at.exception)
        assert not any("réservée" in t for t in texts(at, "error")), (role, name)
        assert at.title, (role, name)


@pytest.mark.parametrize("role", ["owner", "holder", "fund"])
def test_pages_of_other_roles_are_refused(page, actors, role):
    for name in set(ALL_PAGES) - set(PAGES_BY_ROLE[role]):
        at = page(name, actors[role])
        assert not at.exception
        assert any(t.startswith("Page réservée au rôle") for t in texts(at, "error")), (role, name)


def test_logout_forgets_the_user(page, actors):
    at = page("deconnexion", actors["holder"])
    button(at, "Se déconnecter").click().run()
    assert "auth_user" not in at.session_state
