"""Connexion : e-mail et mot de passe (comptes de démonstration affichés en mode démo)."""

import streamlit as st

from app_pages import _common as ui
from matcher import auth
from matcher.services import accounts

st.title("Connexion")
st.write(
    "Outil de rapprochement entre **locaux vacants ou sous-utilisés** (bureaux de poste, "
    "agences bancaires, écoles, friches…) et **projets de tiers-lieux**."
)
with st.form("login_form"):
    email = st.text_input("Adresse e-mail", key="login_email")
    password = st.text_input("Mot de passe", type="password", key="login_password")
    submitted = st.form_submit_button("Se connecter", type="primary")
if submitted:
    if not email or not password:
        st.error("Saisissez votre adresse e-mail et votre mot de passe.")
    else:
        actor = ui.call(accounts.authenticate, email, password)
        if actor is not None:
            ui.set_user(actor)
            st.rerun()

if auth.oidc_configured(st.secrets):
    st.divider()
    if not st.user.get("is_logged_in", False):
        st.button("Se connecter avec l'annuaire (OpenID Connect)", on_click=st.login)
    else:
        actor = ui.call(auth.actor_from_oidc, {}, st.user.to_dict())
        if actor is not None:
            ui.set_user(actor)
            st.rerun()
        else:
            st.button("Se déconnecter de l'annuaire", on_click=st.logout)

if ui.demo_mode():
    from matcher.services.demo import demo_login_help

    st.info(demo_login_help())
