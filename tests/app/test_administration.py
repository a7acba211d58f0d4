"""Administration page: edit organisations, change roles, reset links, deactivate, audit log;
the login page's links and messages; the password change on the Déconnexion page."""

from __future__ import annotations

import itertools
import re

import pytest

from matcher.services import accounts, sessions
from matcher.services.audit import list_audit

from .apphelpers import button, texts

PASSWORD = "mot-de-passe-solide-1"
_SEQ = itertools.count()


@pytest.fixture
def member(actors):
    """Return a new owner account in a new organisation of its own (touched by one test only)."""
    n = f"{next(_SEQ)}-{id(object())}"
    org = accounts.create_organisation(actors["admin"], f"Commune Admin {n}", "owner")
    email = f"membre{n}@commune.example.fr"
    accounts.create_user(actors["admin"], email, "owner", org.id, PASSWORD)
    return accounts.authenticate(email, PASSWORD), org


def _pick_user(at, org_id: int, user_id: int) -> None:
    at.selectbox(key="admin_users_org").set_value(org_id).run()
    at.selectbox(key="admin_user_pick").set_value(user_id).run()


def _link_token(at) -> str:
    codes = [c.value for c in at.code if "?lien=" in c.value]
    assert codes, texts(at, "error")
    return re.search(r"\?lien=([\w-]+)", codes[-1]).group(1)


def test_admin_renames_an_organisation(page, actors, member):
    _actor, org = member
    at = page("administration", actors["admin"])
    at.selectbox(key="admin_org_pick").set_value(org.id).run()
    at.text_input(key=f"admin_org_edit_name_{org.id}").input(f"{org.name} (renommée)")
    at.text_input(key=f"admin_org_edit_siren_{org.id}").input("213 100 556")
    button(at, "Enregistrer l'organisation").click().run()
    assert not at.exception and not texts(at, "error")
    info = next(o for o in accounts.list_organisations(actors["admin"]) if o.id == org.id)
    assert (info.name, info.siren) == (f"{org.name} (renommée)", "213100556")


def test_admin_moves_an_account_to_change_its_role(page, actors, member):
    user, _org = member
    holder_org = next(o for o in accounts.list_organisations(actors["admin"]) if o.kind == "holder")
    at = page("administration", actors["admin"])
    _pick_user(at, user.organisation_id, user.id)
    at.selectbox(key=f"admin_user_org_{user.id}").set_value(holder_org.id)
    button(at, "Enregistrer le compte").click().run()
    assert any("Porteur de projet" in t for t in texts(at, "success")), texts(at, "error")
    assert accounts.authenticate(user.email, PASSWORD).role == "holder"


def test_admin_deactivates_an_account_and_its_sessions_end(page, actors, member):
    user, org = member
    opened = sessions.open_session(user)
    at = page("administration", actors["admin"])
    _pick_user(at, org.id, user.id)
    button(at, "Désactiver").click().run()
    assert not at.exception
    assert sessions.check_session(opened.token).reason == "deactivated"
    listed = next(u for u in accounts.list_users(actors["admin"], org.id) if u.id == user.id)
    assert not listed.is_active


def test_reset_link_shown_to_the_admin_sets_a_new_password(page, actors, member):
    user, org = member
    at = page("administration", actors["admin"])
    _pick_user(at, org.id, user.id)
    button(at, "Lien de réinitialisation du mot de passe").click().run()
    token = _link_token(at)
    login = page("connexion")
    login.query_params["lien"] = token
    login.run()
    assert any("nouveau mot de passe" in s.value.lower() for s in login.subheader)
    login.text_input(key="link_pw").input("tout-nouveau-mot-2")
    login.text_input(key="link_pw2").input("tout-nouveau-mot-2")
    button(login, "Enregistrer et se connecter").click().run()
    assert not login.exception and not texts(login, "error")
    assert login.session_state["auth_user"] == user
    assert accounts.authenticate(user.email, "tout-nouveau-mot-2") == user
    again = page("connexion")
    again.query_params["lien"] = token
    again.run()
    assert any("déjà servi" in t for t in texts(again, "error"))


def test_invitation_link_creates_the_account_and_logs_in(page, actors, member):
    _user, org = member
    at = page("administration", actors["admin"])
    at.selectbox(key="admin_users_org").set_value(org.id).run()
    email = f"invite-{org.id}@commune.example.fr"
    at.text_input(key="admin_invite_email").input(email)
    button(at, "Créer le lien d'invitation").click().run()
    login = page("connexion")
    login.query_params["lien"] = _link_token(at)
    login.run()
    login.text_input(key="link_name").input("Camille")
    login.text_input(key="link_pw").input("mot-de-passe-camille")
    login.text_input(key="link_pw2").input("mot-de-passe-autre")
    button(login, "Enregistrer et se connecter").click().run()
    assert texts(login, "error") == ["Les deux mots de passe diffèrent."]
    login.text_input(key="link_pw2").input("mot-de-passe-camille")
    button(login, "Enregistrer et se connecter").click().run()
    assert login.session_state["auth_user"].email == email
    assert login.session_state["auth_user"].organisation_id == org.id


def test_pending_links_are_listed_and_revoked(page, actors, member):
    user, org = member
    token = accounts.invite_user(user, f"collegue-{org.id}@commune.example.fr", "owner")
    at = page("administration", actors["admin"])
    links = [d.value for d in at.dataframe if "Expire le" in d.value.columns]
    assert links and f"collegue-{org.id}@commune.example.fr" in set(links[0]["E-mail"])
    pick = next(i.id for i in accounts.list_invitations(actors["admin"]) if i.email.startswith(
        f"collegue-{org.id}@"))  # fmt: skip
    at.selectbox(key="admin_link_pick").set_value(pick).run()
    button(at, "Annuler ce lien").click().run()
    assert not at.exception
    login = page("connexion")
    login.query_params["lien"] = token
    login.run()
    assert any("annulé" in t for t in texts(login, "error"))


def test_audit_log_is_french_filterable_and_exportable(page, actors, member):
    _user, org = member
    at = page("administration", actors["admin"])
    at.selectbox(key="admin_audit_entity").set_value("organisation").run()
    at.selectbox(key="admin_audit_action").set_value("create").run()
    table = next(d.value for d in at.dataframe if "Modifications" in d.value.columns)
    assert set(table["Objet"]) == {"Organisation"} and set(table["Action"]) == {"Création"}
    assert any(f"Nom : {org.name}" in m for m in table["Modifications"])
    assert not any("{" in m for m in table["Modifications"])
    assert str(table["N° de l'objet"].dtype) == "Int64"
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Exporter le journal (CSV)", "Exporter le journal (XLSX)"]
    at.selectbox(key="admin_audit_org").set_value(org.id).run()
    at.selectbox(key="admin_audit_action").set_value("update").run()
    assert any("Aucune entrée" in t for t in texts(at, "caption"))


def test_password_change_keeps_this_session_and_ends_the_others(page, member):
    user, _org = member
    elsewhere = sessions.open_session(user)
    at = page("deconnexion", user)
    here = at.session_state["auth_session"]
    at.text_input(key="pw_current").input(PASSWORD)
    at.text_input(key="pw_new").input("nouveau-mot-de-passe-9")
    at.text_input(key="pw_again").input("nouveau-mot-de-passe-9")
    button(at, "Changer le mot de passe").click().run()
    assert any("autres sessions" in t for t in texts(at, "success")), texts(at, "error")
    assert sessions.check_session(here).actor == user
    assert sessions.check_session(elsewhere.token).reason == "password_changed"


def test_login_page_says_why_the_session_ended(page):
    at = page("connexion")
    at.session_state["auth_ended"] = "idle"
    at.run()
    assert any("inactivité" in t for t in texts(at, "warning"))


def test_a_login_through_the_page_opens_an_audited_session(page, actors, member):
    user, _org = member
    at = page("app")
    at.text_input(key="login_email").input(user.email)
    at.text_input(key="login_password").input(PASSWORD)
    button(at, "Se connecter").click().run()
    assert at.session_state["auth_user"] == user
    assert sessions.check_session(at.session_state["auth_session"]).actor == user
    assert list_audit(actors["admin"], user_id=user.id, action="login")
