"""Connexion : e-mail et mot de passe, lien d'invitation ou de réinitialisation, annuaire (OIDC)."""

import streamlit as st

from app_pages import _common as ui
from matcher.domain import ROLES
from matcher.services import accounts, login_state


def _link_form(token: str) -> None:
    """Choose a password from an invitation or a reset link (``?lien=...``)."""
    info = ui.call(accounts.describe_link, token)
    if info is None:
        st.button("Revenir à la connexion", on_click=st.query_params.clear, key="link_back")
        return
    joining = info.purpose == "join"
    st.subheader("Rejoindre l'outil" if joining else "Choisir un nouveau mot de passe")
    st.write(
        f"Compte **{info.email}** — {info.organisation_name} ({ROLES.get(info.role, info.role)}). "
        f"Lien valable jusqu'au {ui.fmt_datetime(info.expires_at)}, une seule fois."
    )
    with st.form("link_form"):
        name = st.text_input("Votre nom", key="link_name") if joining else ""
        first = st.text_input(
            "Mot de passe (10 caractères au moins)", type="password", key="link_pw"
        )
        second = st.text_input("Confirmez le mot de passe", type="password", key="link_pw2")
        submitted = st.form_submit_button("Enregistrer et se connecter", type="primary")
    if not submitted:
        return
    if first != second:
        st.error("Les deux mots de passe diffèrent.")
        return
    if joining:
        actor = ui.call(accounts.accept_invitation, token, first, display_name=name)
    else:
        actor = ui.call(accounts.reset_password, token, first)
    if actor is not None and ui.start_session(actor) is not None:
        st.query_params.clear()  # the one-time link leaves the address bar
        st.rerun()


st.title("Connexion")
st.write(
    "Outil de rapprochement entre **locaux vacants ou sous-utilisés** (bureaux de poste, "
    "agences bancaires, écoles, friches…) et **projets de tiers-lieux**."
)
token = st.query_params.get("lien")
if token:
    _link_form(token)
    st.stop()

ended = st.session_state.get(login_state.STATE_ENDED)
if ended == "logout":
    st.success("Vous êtes déconnecté.")
elif ui.session_ended_message():
    st.warning(ui.session_ended_message())

with st.form("login_form"):
    email = st.text_input("Adresse e-mail", key="login_email")
    password = st.text_input("Mot de passe", type="password", key="login_password")
    submitted = st.form_submit_button("Se connecter", type="primary")
if submitted:
    if not email or not password:
        st.error("Saisissez votre adresse e-mail et votre mot de passe.")
    elif ui.log_in(email, password) is not None:
        st.rerun()

if login_state.oidc_configured(st.secrets):
    st.divider()
    if not st.user.get("is_logged_in", False):
        st.button("Se connecter avec l'annuaire (OpenID Connect)", on_click=st.login)
    elif ui.log_in_with_oidc(st.user.to_dict()) is not None:
        st.rerun()
    else:
        st.button("Se déconnecter de l'annuaire", on_click=st.logout)

if ui.demo_mode():
    from matcher.services.demo import demo_login_help

    st.info(demo_login_help())
