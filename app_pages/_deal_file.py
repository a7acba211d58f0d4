"""The deal file of the Pipeline page: stage move, checklist, ESG grid, indicators, committee.

Widgets only; every read and write goes through matcher.services. Every
reason field starts empty and is emptied after each recorded decision, so
a decision never reuses the previous one's reason (a refused submission
keeps what was typed).
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher.domain import DEAL_STAGES
from matcher.services import deals as deal_service
from matcher.services import fund as fund_service


def show(actor, deal_id: int) -> None:
    """Draw the file of one deal."""
    deal = ui.call(deal_service.get_deal, actor, deal_id)
    if deal is None:
        return
    ind = ui.call(fund_service.deal_indicators, actor, deal_id) or {}
    planned = ind.get("planned") or {}
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Étape", DEAL_STAGES[deal["stage"]])
    m2.metric("Ticket", ui.fmt_int(deal["ticket_eur"], "€") if deal["ticket_eur"] else "à définir")
    m3.metric("Emplois directs prévus", ui.fmt_int(planned.get("jobs_total")))
    m4.metric("Note d'impact (/100)", ui.fmt_int(planned.get("impact_score")))
    if deal.get("synthetic"):
        st.caption("Dossier fictif de démonstration.")
    if deal.get("summary"):
        st.write(deal["summary"])
    _move_form(actor, deal)
    tabs = st.tabs(["Dossier", "Audit", "Grille ESG", "Indicateurs", "Comité", "Historique"])
    templates = fund_service.templates()
    with tabs[0]:
        _general(actor, deal)
    with tabs[1]:
        _checklist(actor, deal, templates["checklist"])
    with tabs[2]:
        _esg(actor, deal, templates["esg"])
    with tabs[3]:
        _indicators(actor, deal, ind, templates["inputs"])
    with tabs[4]:
        _committee(actor, deal, templates["committee_decisions"])
    with tabs[5]:
        _history(actor, deal)


def _forget(*keys: str) -> None:
    """Drop widgets' kept values so that they show their (empty) default on the next run."""
    for key in keys:
        st.session_state.pop(key, None)


def _move_form(actor, deal: dict) -> None:
    deal_id = deal["id"]
    moves = deal.get("moves") or {}
    if not moves:
        st.caption("Ce dossier ne change plus d'étape.")
        return
    blocked = [
        f"« {DEAL_STAGES[t]} » : " + " ".join(p) for t, p in moves.items() if p and t != "declined"
    ]
    for line in blocked:
        st.caption(f"Avant de passer à {line}")
    with st.form(f"pipeline_move_form_{deal_id}"):
        st.markdown("**Changer d'étape**")
        new_stage = st.selectbox(
            "Nouvelle étape", list(moves), format_func=DEAL_STAGES.get,
            key=f"pipeline_stage_{deal_id}",
        )  # fmt: skip
        reason = st.text_input("Motif de la décision", value="", key=f"pipeline_reason_{deal_id}")
        if st.form_submit_button("Déplacer", type="primary"):
            if not reason.strip():
                st.error("Indiquez le motif de la décision.")
            elif ui.call(
                deal_service.move_stage, actor, deal_id, new_stage, reason.strip(), deal["version"]
            ):
                st.success(f"Dossier déplacé vers « {DEAL_STAGES[new_stage]} ».")
                _forget(
                    f"pipeline_reason_{deal_id}"
                )  # the next decision starts from an empty reason
                st.rerun()


def _general(actor, deal: dict) -> None:
    deal_id = deal["id"]
    with st.form(f"pipeline_edit_form_{deal_id}"):
        st.markdown("**Ticket, local et résumé**")
        ticket = st.number_input("Ticket demandé (€)", 0.0, 5e7, float(deal["ticket_eur"] or 0),
                                 10000.0, key=f"pipeline_ticket_{deal_id}")  # fmt: skip
        premise = st.number_input(
            "N° du local", min_value=1, value=deal["premise_id"], step=1,
            key=f"pipeline_premise_{deal_id}", placeholder="aucun local choisi",
        )  # fmt: skip
        summary = st.text_area(
            "Résumé", deal.get("summary") or "", key=f"pipeline_summary_{deal_id}"
        )
        if st.form_submit_button("Enregistrer"):
            changes = {"ticket_eur": ticket or None, "summary": summary,
                       "premise_id": int(premise) if premise else None}  # fmt: skip
            if ui.call(deal_service.update_deal, actor, deal_id, changes, deal["version"]):
                st.success("Dossier mis à jour.")
                st.rerun()
    with st.form(f"pipeline_note_form_{deal_id}", clear_on_submit=True):
        note = st.text_area("Ajouter une note", key=f"pipeline_note_{deal_id}")
        added = st.form_submit_button("Ajouter la note") and note.strip()
        if added and ui.call(deal_service.add_note, actor, deal_id, note.strip()) is not None:
            st.success("Note ajoutée.")
            st.rerun()
    # One click: the pack is drawn when the button is pressed, not at every rerun.
    st.download_button(
        "Dossier de comité (PDF)",
        functools.partial(fund_service.committee_pack, actor, deal_id),
        file_name=f"dossier-comite-{deal_id}.pdf",
        mime="application/pdf",
        on_click="ignore",
        key=f"pipeline_pack_{deal_id}",
    )


def _checklist(actor, deal: dict, template: dict) -> None:
    deal_id = deal["id"]
    items = ((deal.get("checklist") or {}).get("items")) or {}
    with st.form(f"pipeline_checklist_form_{deal_id}"):
        st.markdown(f"**{template['title']}** (version {template['version']})")
        values = {}
        for item in template["items"]:
            state = items.get(item["code"]) or {}
            done = st.checkbox(item["label"], bool(state.get("done")), help=item["help"],
                               key=f"pipeline_check_{deal_id}_{item['code']}")  # fmt: skip
            comment = st.text_input("Commentaire", state.get("comment") or "",
                                    key=f"pipeline_check_comment_{deal_id}_{item['code']}",
                                    label_visibility="collapsed",
                                    placeholder="Commentaire (pièce reçue, réserve…)")  # fmt: skip
            values[item["code"]] = {"done": done, "comment": comment}
        if st.form_submit_button("Enregistrer la liste de contrôle"):
            changes = {"checklist": {"items": values}}
            if ui.call(deal_service.update_deal, actor, deal_id, changes, deal["version"]):
                st.success("Liste de contrôle enregistrée.")
                st.rerun()


def _esg(actor, deal: dict, template: dict) -> None:
    deal_id = deal["id"]
    grid = deal.get("esg") or {}
    scores = grid.get("scores") or {}
    levels = [None, 0, 1, 2, 3, 4, 5]
    with st.form(f"pipeline_esg_form_{deal_id}"):
        st.markdown(
            f"**{template['title']}** (version {template['version']}) — {template['scale']['help']}"
        )
        values = {}
        for c in template["criteria"]:
            state = scores.get(c["code"]) or {}
            left, right = st.columns([2, 3])
            score = left.selectbox(
                f"{c['pillar']} · {c['label']} (poids {c['weight']})", levels,
                index=levels.index(state.get("score")),
                format_func=lambda v: "non noté" if v is None else f"{v} / 5",
                key=f"pipeline_esg_{deal_id}_{c['code']}",
            )  # fmt: skip
            comment = right.text_input("Commentaire et preuve", state.get("comment") or "",
                                       key=f"pipeline_esg_comment_{deal_id}_{c['code']}")  # fmt: skip
            values[c["code"]] = {"score": score, "comment": comment,
                                 "evidence": state.get("evidence") or ""}  # fmt: skip
        labels = {x["code"]: x["label"] for x in template["exclusions"]}
        exclusions = st.multiselect("Exclusions constatées (bloquent le dossier)", list(labels),
                                    default=grid.get("exclusions") or [], format_func=labels.get,
                                    key=f"pipeline_esg_excl_{deal_id}")  # fmt: skip
        st.markdown("**Les cinq dimensions de l'impact**")
        dims = {}
        for d in template["five_dimensions"]:
            dims[d["code"]] = st.text_area(f"{d['label']} — {d['help']}",
                                           (grid.get("five_dimensions") or {}).get(d["code"], ""),
                                           key=f"pipeline_dim_{deal_id}_{d['code']}", height=68)  # fmt: skip
        if st.form_submit_button("Enregistrer la grille"):
            changes = {"esg": {"scores": values, "exclusions": exclusions, "five_dimensions": dims}}
            if ui.call(deal_service.update_deal, actor, deal_id, changes, deal["version"]):
                st.success("Grille ESG enregistrée.")
                st.rerun()


def _inputs_form(actor, deal: dict, part: str, fields: dict, title: str) -> None:
    deal_id = deal["id"]
    impact = deal.get("impact") or {}
    current = impact.get(part) or {}
    with st.form(f"pipeline_{part}_form_{deal_id}"):
        st.markdown(f"**{title}**")
        values = {}
        cols = st.columns(3)
        for k, (key, label) in enumerate(fields.items()):
            values[key] = cols[k % 3].number_input(
                label, min_value=0.0, value=current.get(key), step=1.0,
                key=f"pipeline_{part}_{key}_{deal_id}", placeholder="non renseigné",
            )  # fmt: skip
        opened = None
        if part == "actual":
            opened = st.date_input("Date d'ouverture du lieu", deal.get("opened_on"),
                                   key=f"pipeline_opened_{deal_id}", format="DD/MM/YYYY")  # fmt: skip
        if st.form_submit_button(
            "Enregistrer les prévisions" if part == "planned" else "Enregistrer le réalisé"
        ):
            clean = {k: v for k, v in values.items() if v is not None}
            changes = {
                "impact": {**{p: impact.get(p) or {} for p in ("planned", "actual")}, part: clean}
            }
            if part == "actual":
                changes["opened_on"] = opened
            if ui.call(deal_service.update_deal, actor, deal_id, changes, deal["version"]):
                st.success("Indicateurs enregistrés.")
                st.rerun()


def _indicators(actor, deal: dict, ind: dict, fields: dict) -> None:
    _inputs_form(actor, deal, "planned", fields, "Prévisions (avant le comité)")
    if ind.get("rows"):
        st.markdown(f"**Indicateurs prévus** (coefficients {ind.get('coefficients_version')})")
        st.dataframe(pd.DataFrame(ind["rows"]), hide_index=True, key=f"pipeline_ind_{deal['id']}")
        st.markdown("**Ne rien faire, le projet, construire à neuf en extension**")
        st.dataframe(pd.DataFrame(ind["comparison"]), hide_index=True,
                     key=f"pipeline_cmp_{deal['id']}")  # fmt: skip
    if deal["stage"] in ("invested", "converted"):
        _inputs_form(actor, deal, "actual", fields, "Réalisé (après l'ouverture)")
    if ind.get("actual_rows"):
        st.markdown("**Indicateurs réels**")
        st.dataframe(pd.DataFrame(ind["actual_rows"]), hide_index=True,
                     key=f"pipeline_actual_{deal['id']}")  # fmt: skip


def _committee(actor, deal: dict, decisions: dict) -> None:
    deal_id = deal["id"]
    if deal.get("committee_decision"):
        st.info(
            f"Décision du comité : **{decisions[deal['committee_decision']]}** le "
            f"{deal['committee_date'].strftime('%d/%m/%Y') if deal.get('committee_date') else '—'}"
            + (
                f", ticket décidé {ui.fmt_int(deal['committee_ticket_eur'], '€')}"
                if deal.get("committee_ticket_eur")
                else ""
            )
            + (
                f". Conditions : {deal['committee_conditions']}"
                if deal.get("committee_conditions")
                else ""
            )
        )
    if deal["stage"] != "committee":
        st.caption("Le comité décide sur les dossiers à l'étape « Comité d'investissement ».")
        return
    with st.form(f"pipeline_committee_form_{deal_id}"):
        st.markdown("**Décision du comité**")
        decision = st.radio("Décision", list(decisions), format_func=decisions.get, horizontal=True,
                            key=f"pipeline_committee_decision_{deal_id}")  # fmt: skip
        ticket = st.number_input("Ticket décidé (€)", 0.0, 5e7, float(deal["ticket_eur"] or 0), 10000.0,
                                 key=f"pipeline_committee_ticket_{deal_id}")  # fmt: skip
        conditions = st.text_area(
            "Conditions", value="", key=f"pipeline_committee_conditions_{deal_id}"
        )
        date = st.date_input("Date du comité", dt.date.today(), key=f"pipeline_committee_date_{deal_id}",
                             format="DD/MM/YYYY")  # fmt: skip
        reason = st.text_input(
            "Motif de la décision", value="", key=f"pipeline_committee_reason_{deal_id}"
        )
        if st.form_submit_button("Enregistrer la décision du comité"):
            if not reason.strip():
                st.error("Indiquez le motif de la décision.")
            elif ui.call(fund_service.record_committee_decision, actor, deal_id, decision, reason,
                         deal["version"], ticket_eur=ticket, conditions=conditions, date=date):  # fmt: skip
                st.success("Décision du comité enregistrée.")
                _forget(
                    f"pipeline_committee_reason_{deal_id}",
                    f"pipeline_committee_conditions_{deal_id}",
                )
                st.rerun()


def _history(actor, deal: dict) -> None:
    rows = deal.get("decisions") or []
    if rows:
        st.markdown("**Décisions**")
        st.dataframe(
            pd.DataFrame(
                {"Date": [ui.fmt_datetime(r["decided_at"]) for r in rows],
                 "De": [DEAL_STAGES.get(r["from_stage"], "—") for r in rows],
                 "Vers": [DEAL_STAGES[r["to_stage"]] for r in rows],
                 "Par": [r["decided_by"] or "" for r in rows],
                 "Motif": [r["reason"] for r in rows]}
            ),
            hide_index=True, key=f"pipeline_decisions_{deal['id']}",
        )  # fmt: skip
    history = ui.call(deal_service.deal_history, actor, deal["id"]) or []
    if history:
        st.markdown("**Historique complet**")
        st.dataframe(
            pd.DataFrame(
                {"Date": [ui.fmt_datetime(h["at"]) for h in history],
                 "Par": [h["user"] or "" for h in history],
                 "Action": [h["action_label"] for h in history],
                 "Détail": [h["detail"] for h in history]}
            ),
            hide_index=True, key=f"pipeline_history_{deal['id']}",
        )  # fmt: skip
    notes = deal.get("notes") or []
    st.markdown("**Notes**")
    for n in notes:
        st.markdown(f"- {n.get('body', '')} _({ui.fmt_datetime(n.get('created_at'))})_")
    if not notes:
        st.caption("Aucune note.")
