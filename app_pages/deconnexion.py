"""Déconnexion : oublie l'utilisateur et l'état de toutes les pages."""

import streamlit as st

from app_pages import _common as ui

actor = ui.current_user()
st.title("Déconnexion")
if actor is not None:
    st.write(f"Connecté en tant que **{actor.email}** ({ui.label('role', actor.role)}).")
if st.button("Se déconnecter", type="primary", key="logout_button"):
    ui.set_user(None)
    if st.user.get("is_logged_in", False):  # also close the OpenID Connect session
        st.logout()
    st.rerun()
