"""Mon compte / déconnexion : changer son mot de passe, fermer sa session."""

import streamlit as st

from app_pages import _common as ui
from matcher.services import accounts

actor = ui.require_user()
st.title("Déconnexion")
st.write(f"Connecté en tant que **{actor.email}** ({ui.label('role', actor.role)}).")
if st.button("Se déconnecter", type="primary", key="logout_button"):
    ui.log_out()
    if st.user.get("is_logged_in", False):  # also close the OpenID Connect session
        st.logout()
    st.rerun()

st.subheader("Changer de mot de passe")
st.caption("Vos autres sessions (autres navigateurs, autres appareils) seront fermées.")
with st.form("password_form", clear_on_submit=True):
    current = st.text_input("Mot de passe actuel", type="password", key="pw_current")
    new = st.text_input(
        "Nouveau mot de passe (10 caractères au moins)", type="password", key="pw_new"
    )
    again = st.text_input("Confirmez le nouveau mot de passe", type="password", key="pw_again")
    changed = st.form_submit_button("Changer le mot de passe")
if changed:
    if new != again:
        st.error("Les deux nouveaux mots de passe diffèrent.")
    elif ui.done(accounts.set_password, actor, current, new, keep_session=ui.session_token()):
        st.success("Mot de passe changé ; vos autres sessions ont été fermées.")
