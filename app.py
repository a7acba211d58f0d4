"""Streamlit entry point: login gate and the pages allowed to the logged-in role."""

import streamlit as st

from app_pages import _common as ui

st.set_page_config(
    page_title="Locaux & tiers-lieux", page_icon=":material/home_work:", layout="wide"
)

with ui.french_errors():
    ui.ensure_database()

P = {
    "login": st.Page("app_pages/connexion.py", title="Connexion", icon=":material/login:"),
    "home": st.Page(
        "app_pages/accueil.py", title="Accueil / carte nationale", icon=":material/map:"
    ),
    "premises": st.Page("app_pages/mes_locaux.py", title="Mes locaux", icon=":material/apartment:"),
    "search": st.Page(
        "app_pages/trouver_un_lieu.py", title="Trouver un lieu", icon=":material/search:"
    ),
    "projects": st.Page("app_pages/mes_projets.py", title="Mes projets", icon=":material/folder:"),
    "pipeline": st.Page("app_pages/pipeline.py", title="Pipeline", icon=":material/view_kanban:"),
    "portfolio": st.Page(
        "app_pages/portefeuille.py", title="Portefeuille et impact", icon=":material/eco:"
    ),
    "admin": st.Page(
        "app_pages/administration.py", title="Administration", icon=":material/settings:"
    ),
    "logout": st.Page("app_pages/deconnexion.py", title="Déconnexion", icon=":material/logout:"),
}
BY_ROLE = {
    "owner": ["home", "premises"],
    "holder": ["home", "search", "projects"],
    "fund": ["home", "pipeline", "portfolio", "search"],
    "admin": ["home", "premises", "search", "projects", "pipeline", "portfolio", "admin"],
}

actor = ui.current_user()  # checks the server-side session (or resumes it from the cookie)
ui.sync_session_cookie()
if actor is None:
    pages = [P["login"]]
else:
    pages = [P[name] for name in BY_ROLE.get(actor.role, ["home"])] + [P["logout"]]
st.navigation(pages).run()
