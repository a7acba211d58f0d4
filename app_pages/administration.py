"""Administration : organisations, comptes (rôle, réinitialisation, désactivation), liens,
historique des imports, journal d'audit filtrable et exportable."""

import datetime as dt
from urllib.parse import urlsplit

import streamlit as st

from app_pages import _common as ui
from matcher.domain import ROLES
from matcher.services import accounts, audit, sessions
from matcher.services.imports import list_import_batches

actor = ui.require_user("admin")
st.title("Administration")


def link_url(token: str) -> str:
    """Return the address of the app's login page carrying a one-time link."""
    parts = urlsplit(st.context.url or "")
    base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return f"{base}/?lien={token}"


def show_link(title: str, token: str, hours: int) -> None:
    """Show a one-time link once, with what to do with it."""
    st.success(title)
    st.code(link_url(token), language=None)
    st.caption(
        f"Transmettez ce lien à la personne (il n'est affiché qu'une fois) : valable {hours} h, "
        "une seule utilisation."
    )


t_org, t_users, t_links, t_imports, t_audit = st.tabs(
    [
        "Organisations",
        "Comptes",
        "Invitations et liens",
        "Historique des imports",
        "Journal d'audit",
    ]
)

orgs = ui.call(accounts.list_organisations, actor) or []
by_id = {o.id: o for o in orgs}


def org_label(org_id: int | None) -> str:
    if org_id is None:
        return "Toutes"
    org = by_id[org_id]
    return f"{org.name} ({ROLES.get(org.kind, org.kind)})"


# --- organisations ---------------------------------------------------------------------
with t_org:
    if orgs:
        st.dataframe(
            [{"N°": o.id, "Nom": o.name, "Rôle des membres": ROLES.get(o.kind, o.kind),
              "SIREN": o.siren or "", "Active": "oui" if o.is_active else "non"} for o in orgs],
            hide_index=True, key="admin_orgs",
        )  # fmt: skip
        st.subheader("Modifier une organisation")
        org_id = st.selectbox(
            "Organisation", list(by_id), format_func=org_label, key="admin_org_pick"
        )
        org = by_id[org_id]
        with st.form(f"admin_org_edit_{org.id}_{org.version}"):
            new_name = st.text_input("Nom", value=org.name, key=f"admin_org_edit_name_{org.id}")
            new_siren = st.text_input(
                "SIREN (9 chiffres)", value=org.siren or "", key=f"admin_org_edit_siren_{org.id}"
            )
            if st.form_submit_button("Enregistrer l'organisation"):
                changes = {"name": new_name, "siren": new_siren}
                if ui.call(accounts.update_organisation, actor, org.id, changes, org.version):
                    st.success(f"Organisation « {new_name.strip()} » enregistrée.")
                    st.rerun()
        if org.id != actor.organisation_id:
            toggle = (
                "Réactiver l'organisation" if not org.is_active else "Désactiver l'organisation"
            )
            if st.button(toggle, key="admin_org_toggle"):
                done = ui.done(
                    accounts.set_organisation_active, actor, org.id, not org.is_active,
                    expected_version=org.version,
                )  # fmt: skip
                if done:
                    st.rerun()
            if org.is_active:
                st.caption(
                    "Désactiver ferme les sessions de ses membres et annule ses invitations."
                )
    st.subheader("Nouvelle organisation")
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

# --- accounts --------------------------------------------------------------------------
with t_users:
    if by_id:
        org_id = st.selectbox(
            "Organisation", list(by_id), format_func=org_label, key="admin_users_org"
        )
        users = ui.call(accounts.list_users, actor, org_id) or []
        if users:
            st.dataframe(
                [{"N°": u.id, "E-mail": u.email, "Nom": u.display_name,
                  "Rôle": ROLES.get(u.role, u.role), "Actif": "oui" if u.is_active else "non",
                  "Dernière connexion": ui.fmt_datetime(u.last_login_at)
                  if u.last_login_at else "jamais"} for u in users],
                hide_index=True, key="admin_users",
            )  # fmt: skip
            u_by_id = {u.id: u for u in users}
            uid = st.selectbox(
                "Compte",
                list(u_by_id),
                format_func=lambda i: u_by_id[i].email,
                key="admin_user_pick",
            )
            user = u_by_id[uid]
            with st.form(f"admin_user_edit_{user.id}_{user.version}"):
                st.markdown(f"**Modifier {user.email}**")
                new_name = st.text_input(
                    "Nom affiché", value=user.display_name, key=f"admin_user_name_{user.id}"
                )
                target = st.selectbox(
                    "Organisation (le rôle est celui de l'organisation)",
                    list(by_id),
                    index=list(by_id).index(user.organisation_id),
                    format_func=org_label,
                    key=f"admin_user_org_{user.id}",
                )
                if st.form_submit_button("Enregistrer le compte"):
                    changes = {"display_name": new_name, "organisation_id": target}
                    saved = ui.call(accounts.update_user, actor, user.id, changes, user.version)
                    if saved is not None:
                        st.success(
                            f"Compte {saved.email} enregistré : {ROLES[saved.role]}, "
                            f"{saved.organisation_name}."
                        )
            b1, b2, b3 = st.columns(3)
            target_active = not user.is_active
            if b1.button("Réactiver" if target_active else "Désactiver", key="admin_user_toggle"):
                if uid == actor.id:
                    st.error("Vous ne pouvez pas désactiver votre propre compte.")
                elif ui.done(
                    accounts.set_user_active, actor, uid, target_active,
                    expected_version=user.version,
                ):  # fmt: skip
                    st.rerun()
            if b2.button("Lien de réinitialisation du mot de passe", key="admin_user_reset"):
                token = ui.call(accounts.create_reset_link, actor, uid)
                if token:
                    show_link(
                        f"Lien de réinitialisation pour {user.email} :", token, accounts.RESET_HOURS
                    )
            open_sessions = ui.call(sessions.list_sessions, actor, uid) or []
            if b3.button(f"Fermer ses sessions ({len(open_sessions)})", key="admin_user_end"):
                closed = ui.call(sessions.end_sessions, actor, uid)
                if closed is not None:
                    st.success(f"{closed} session(s) fermée(s).")
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
        with st.form("admin_invite_form", clear_on_submit=True):
            st.markdown(
                f"**Inviter dans « {by_id[org_id].name} »** (la personne choisit son mot de passe)"
            )
            invite_email = st.text_input("E-mail de la personne invitée", key="admin_invite_email")
            if st.form_submit_button("Créer le lien d'invitation"):
                token = ui.call(
                    accounts.invite_user, actor, invite_email, by_id[org_id].kind, org_id
                )
                if token:
                    show_link(
                        f"Invitation pour {invite_email.strip()} :",
                        token,
                        24 * accounts.INVITATION_DAYS,
                    )

# --- pending links ---------------------------------------------------------------------
with t_links:
    pending = ui.call(accounts.list_invitations, actor) or []
    if not pending:
        st.caption("Aucun lien en attente.")
    else:
        kinds = {"join": "Invitation", "reset": "Réinitialisation"}
        st.dataframe(
            [{"N°": i.id, "Type": kinds.get(i.purpose, i.purpose), "E-mail": i.email,
              "Organisation": i.organisation_name, "Rôle": ROLES.get(i.role, i.role),
              "Créé par": i.invited_by or "", "Créé le": ui.fmt_datetime(i.created_at),
              "Expire le": ui.fmt_datetime(i.expires_at)} for i in pending],
            hide_index=True, key="admin_links",
        )  # fmt: skip
        p_by_id = {i.id: i for i in pending}
        pick = st.selectbox(
            "Lien à annuler",
            list(p_by_id),
            format_func=lambda i: f"n° {i} — {p_by_id[i].email}",
            key="admin_link_pick",
        )
        revoke = st.button("Annuler ce lien", key="admin_link_revoke")
        if revoke and ui.done(accounts.revoke_invitation, actor, pick):
            st.rerun()

# --- imports ---------------------------------------------------------------------------
with t_imports:
    batches = ui.call(list_import_batches, actor, limit=200) or []
    if not batches:
        st.caption("Aucun import.")
    else:
        st.dataframe(ui.import_history(batches), hide_index=True, key="admin_imports")

# --- audit log -------------------------------------------------------------------------
with t_audit:
    choices = ui.call(audit.audit_choices, actor) or {"action": {}, "entity": {}}
    everyone = {u.id: u for u in (ui.call(accounts.list_users, actor) or [])}
    f1, f2, f3 = st.columns(3)
    user_id = f1.selectbox(
        "Utilisateur", [None, *everyone],
        format_func=lambda i: "Tous" if i is None else everyone[i].email, key="admin_audit_user",
    )  # fmt: skip
    org_filter = f2.selectbox(
        "Organisation", [None, *by_id], format_func=org_label, key="admin_audit_org"
    )
    entity = f3.selectbox(
        "Objet", [None, *choices["entity"]],
        format_func=lambda e: "Tous" if e is None else choices["entity"][e],
        key="admin_audit_entity",
    )  # fmt: skip
    f4, f5 = st.columns([1, 2])
    action = f4.selectbox(
        "Action", [None, *choices["action"]],
        format_func=lambda a: "Toutes" if a is None else choices["action"][a],
        key="admin_audit_action",
    )  # fmt: skip
    days = f5.date_input(
        "Période (du … au …, incluse)", value=(), format="DD/MM/YYYY", key="admin_audit_days"
    )
    filters = {"user_id": user_id, "organisation_id": org_filter, "entity": entity,
               "action": action}  # fmt: skip
    if isinstance(days, tuple | list) and days:
        filters["since"] = days[0]
        filters["until"] = days[-1]
    elif isinstance(days, dt.date):
        filters["since"] = filters["until"] = days
    filters = {k: v for k, v in filters.items() if v is not None}
    total = ui.call(audit.count_audit, actor, **filters) or 0
    table = ui.call(audit.audit_table, actor, limit=500, **filters)
    if table is None or not total:
        st.caption("Aucune entrée ne correspond à ces filtres.")
    else:
        shown = min(total, 500)
        st.caption(
            f"{ui.fmt_int(total)} entrée(s) ; les {ui.fmt_int(shown)} plus récentes ci-dessous."
        )
        st.dataframe(table, hide_index=True, key="admin_audit")
        d1, d2 = st.columns(2)
        stamp = dt.datetime.now(ui.PARIS).strftime("%Y%m%d-%H%M")
        d1.download_button(
            "Exporter le journal (CSV)",
            data=lambda: audit.export_audit(actor, "csv", **filters),
            file_name=f"journal-audit-{stamp}.csv",
            mime="text/csv",
            key="admin_audit_csv",
        )
        d2.download_button(
            "Exporter le journal (XLSX)",
            data=lambda: audit.export_audit(actor, "xlsx", **filters),
            file_name=f"journal-audit-{stamp}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="admin_audit_xlsx",
        )
