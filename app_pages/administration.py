"""Administration : organisations, comptes, historique des imports, journal d'audit."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher.domain import ROLES
from matcher.services import accounts
from matcher.services.audit import list_audit
from matcher.services.imports import list_import_batches

actor = ui.require_user("admin")
st.title("Administration")

t_org, t_users, t_imports, t_audit = st.tabs(
    ["Organisations", "Comptes", "Historique des imports", "Journal d'audit"]
)

orgs = ui.call(accounts.list_organisations, actor) or []
with t_org:
    if orgs:
        frame = pd.DataFrame([asdict(o) for o in orgs])
        frame["kind"] = frame["kind"].map(lambda k: ROLES.get(k, k))
        frame["siren"] = frame["siren"].fillna("")
        st.dataframe(
            frame.rename(columns={"id": "N°", "name": "Nom", "kind": "Rôle des membres", "siren": "SIREN",
                                  "is_active": "Active"}),
            hide_index=True, key="admin_orgs",
        )  # fmt: skip
    with st.form("admin_org_form", clear_on_submit=True):
        name = st.text_input("Nom de la nouvelle organisation", key="admin_org_name")
        kind = st.selectbox(
            "Rôle de ses membres", list(ROLES), format_func=ROLES.get, key="admin_org_kind"
        )
        if st.form_submit_button("Créer l'organisation"):
            if not name.strip():
                st.error("Le nom de l'organisation est obligatoire.")
            elif ui.call(accounts.create_organisation, actor, name.strip(), kind) is not None:
                st.success(f"Organisation « {name.strip()} » créée.")
                st.rerun()

with t_users:
    by_id = {o.id: o for o in orgs}
    if by_id:
        org_id = st.selectbox(
            "Organisation", list(by_id), format_func=lambda i: by_id[i].name, key="admin_users_org"
        )
        users = ui.call(accounts.list_users, actor, org_id) or []
        if users:
            frame = ui.with_local_times(pd.DataFrame([asdict(u) for u in users]))
            frame["role"] = frame["role"].map(lambda r: ROLES.get(r, r))
            st.dataframe(
                frame[["id", "email", "display_name", "role", "is_active", "last_login_at"]].rename(
                    columns={"id": "N°", "email": "E-mail", "display_name": "Nom", "role": "Rôle",
                             "is_active": "Actif", "last_login_at": "Dernière connexion"}),
                hide_index=True, key="admin_users",
            )  # fmt: skip
            u_by_id = {u.id: u for u in users}
            a1, a2 = st.columns([2, 1])
            uid = a1.selectbox(
                "Compte",
                list(u_by_id),
                format_func=lambda i: u_by_id[i].email,
                key="admin_user_pick",
            )
            target_active = not u_by_id[uid].is_active
            if a2.button("Réactiver" if target_active else "Désactiver", key="admin_user_toggle"):
                if uid == actor.id:
                    st.error("Vous ne pouvez pas désactiver votre propre compte.")
                else:
                    ui.call(accounts.set_user_active, actor, uid, target_active)
                    st.rerun()
        with st.form("admin_user_form", clear_on_submit=True):
            st.markdown(f"**Nouveau compte dans « {by_id[org_id].name} »**")
            email = st.text_input("E-mail", key="admin_user_email")
            password = st.text_input(
                "Mot de passe initial", type="password", key="admin_user_password"
            )
            if st.form_submit_button("Créer le compte"):
                created = ui.call(
                    accounts.create_user, actor, email, by_id[org_id].kind, org_id, password
                )
                if created is not None:
                    st.success(f"Compte {created.email} créé.")

with t_imports:
    batches = ui.call(list_import_batches, actor, limit=200) or []
    if not batches:
        st.caption("Aucun import.")
    else:
        st.dataframe(ui.import_history(batches), hide_index=True, key="admin_imports")

with t_audit:
    entity = st.selectbox(
        "Objet", [None, "premise", "project", "deal", "user", "organisation", "shortlist", "import_batch"],
        format_func=lambda e: "Tous" if e is None else e, key="admin_audit_entity",
    )  # fmt: skip
    entries = ui.call(list_audit, actor, entity=entity, limit=300) or []
    if entries:
        frame = pd.DataFrame(entries)
        st.dataframe(ui.with_local_times(frame).astype(str), hide_index=True, key="admin_audit")
