"""Committee pack of one deal (PDF): everything the investment committee reads, in French.

Premise and project, a map extract drawn from the territorial outlines, the
match explanation per criterion, indicators planned (with ranges) and
actual, the do-nothing and greenfield comparisons, the ESG grid, the
checklist, history and decisions, and the risks. Input: the dict of
:func:`matcher.services.fund.deal_file` (plain data, no database here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcher.domain import DEAL_STAGES, PROJECT_TYPES
from matcher.fund import impact as impact_lib
from matcher.fund.fmt import fr_eur, fr_number
from matcher.fund.pdfdoc import Document, draw_outlines
from matcher.fund.places import FLAG_LABELS
from matcher.fund.stages import COMMITTEE_DECISIONS
from matcher.pdf_sheet import premise_facts


def _yes_no(value: Any) -> str:
    if value is None:
        return "inconnu"
    return "oui" if value else "non"


def _date(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}" if len(text) >= 10 and text[4] == "-" else text


def risks(file: Mapping[str, Any]) -> list[str]:
    """Return the risks the pack lists: stated by the officer, then detected in the data."""
    out = []
    stated = next(
        (d["Note"] for d in file.get("five_dimensions", []) if d["Dimension"] == "Risque"), ""
    )
    if stated:
        out.append(f"Selon le chargé d'investissement : {stated}")
    premise = file.get("premise") or {}
    planned = (file.get("indicators") or {}).get("planned") or {}
    if planned.get("jobs_default"):
        out.append("Emplois : valeur nationale par défaut (aucune estimation propre au projet).")
    if premise.get("pollution") in ("supposed", "proven"):
        out.append(
            "Pollution des sols supposée ou avérée : coût et délai de dépollution à vérifier."
        )
    if premise.get("heritage_listed"):
        out.append(
            "Bâtiment protégé au titre du patrimoine : avis de l'architecte des bâtiments de France."
        )
    if premise.get("condition") in ("heavy_works", "ruin"):
        out.append("Bâtiment en mauvais état : travaux lourds, risque de dépassement du budget.")
    lev = planned.get("cofinancing_leverage")
    if lev is None or lev < 1:
        out.append(
            "Cofinancements inférieurs au ticket du fonds (effet de levier faible ou inconnu)."
        )
    for problem in file.get("esg_problems") or []:
        out.append(problem)
    for stage, problems in (file.get("moves") or {}).items():
        if stage != "declined" and problems:
            out.append(f"Avant « {DEAL_STAGES[stage]} » : " + " ".join(problems))
    return out or ["Aucun risque particulier relevé dans les données."]


def committee_pack_pdf(
    file: Mapping[str, Any], *, outlines: Mapping[str, Any] | None = None
) -> bytes:
    """Return the committee pack PDF of a deal file (``outlines``: GeoJSON, else read around it)."""
    deal, project, premise = file["deal"], file["project"], file.get("premise") or {}
    flags, ind = file.get("flags") or {}, file.get("indicators") or {}
    title = f"Dossier de comité n° {deal['id']} — {project.get('name', '')}"
    subtitle = (
        f"Étape : {DEAL_STAGES[deal['stage']]} · ticket demandé {fr_eur(deal.get('ticket_eur'))}"
        + (" · données de démonstration (fictives)" if deal.get("synthetic") else "")
    )
    doc = Document(title, subtitle)
    summary = [deal.get("summary") or "Aucun résumé saisi."]
    if deal.get("committee_decision"):
        summary.append(
            f"Décision du comité : {COMMITTEE_DECISIONS[deal['committee_decision']]} le "
            f"{_date(deal.get('committee_date'))}, ticket décidé {fr_eur(deal.get('committee_ticket_eur'))}"
            + (
                f", conditions : {deal['committee_conditions']}"
                if deal.get("committee_conditions")
                else ""
            )
        )
    doc.title_block(summary)

    doc.section("Projet")
    types = [PROJECT_TYPES.get(t, t) for t in str(project.get("activities") or "").split("|") if t]
    doc.facts(
        [
            ("Type", PROJECT_TYPES.get(project.get("project_type"), str(project.get("project_type")))),
            ("Activités", ", ".join(types) or "non précisées"),
            ("Surface cherchée", f"{fr_number(project.get('surface_min_m2'))} à "
                                 f"{fr_number(project.get('surface_max_m2'))} m²"),
            ("Emplois attendus (porteur)", fr_number(project.get("expected_jobs"))),
            ("Usagers attendus (porteur)", fr_number(project.get("expected_users"))),
            ("Fabrique de territoire", _yes_no(project.get("fabrique_territoire"))),
        ]
    )  # fmt: skip
    doc.section("Local")
    if premise:
        doc.paragraph(
            f"{premise.get('name') or 'Local sans nom'} (local n° {premise.get('premise_id')})",
            bold=True,
        )
        facts = premise_facts({**premise, "commune": flags.get("name")})
        facts.append(("Région", str(flags.get("region_name") or "inconnue")))
        facts += [(label, _flag_text(key, flags.get(key))) for key, label in FLAG_LABELS.items()]
        doc.facts(facts)
        _map(doc, premise, flags, outlines)
    else:
        doc.paragraph("Aucun local n'est encore rattaché au dossier.")

    doc.section("Rapprochement du projet et du local")
    explanation = file.get("explanation") or {}
    if explanation.get("note"):
        doc.paragraph(explanation["note"], size=8.5)
    for line in explanation.get("lines") or []:
        doc.paragraph(f"• {line}", size=8.5)
    contributions = explanation.get("contributions")
    if contributions is not None and len(contributions):
        rows = [
            {"Critère": r.get("label"), "Note (/100)": _pct(r.get("score")), "Poids": _pct(r.get("weight")),
             "Donnée connue": _yes_no(r.get("known"))}
            for r in contributions.to_dict("records")
        ]  # fmt: skip
        doc.table(rows, widths=(80, 30, 30, 40))

    doc.section("Indicateurs d'impact prévus", min_space_mm=60)
    doc.paragraph(
        f"Coefficients version {ind.get('coefficients_version', '?')} ; fourchettes basse à haute "
        "entre parenthèses ; « valeur par défaut » : moyenne nationale, à défaut d'estimation propre.",
        size=7.5,
    )
    doc.table(
        ind.get("rows") or [],
        columns=["Indicateur", "Valeur", "Unité", "Source"],
        widths=(62, 42, 26, 50),
    )
    if ind.get("actual"):
        doc.section("Réalisé après l'ouverture et écart au prévu du comité")
        rows = []
        reference = ind.get("committee") or ind.get("planned") or {}
        for code, (label, unit, _f, _s) in impact_lib.INDICATORS.items():
            if code not in reference and code not in ind["actual"]:
                continue
            rows.append({"Indicateur": label, "Prévu": reference.get(code), "Réel": ind["actual"].get(code),
                         "Écart": (ind.get("gap") or {}).get(code), "Unité": unit})  # fmt: skip
        doc.table(rows, widths=(70, 28, 28, 28, 26))
    doc.section(
        "Comparaison : ne rien faire, le projet, construire à neuf en extension", min_space_mm=50
    )
    doc.table(ind.get("comparison") or [], widths=(62, 36, 40, 42))

    doc.section("Grille ESG / ISR", min_space_mm=60)
    total = file.get("esg_total")
    pillars = file.get("esg_pillars") or {}
    doc.paragraph(
        f"Note totale : {fr_number(total, 0) + ' / 100' if total is not None else 'grille incomplète'} · "
        + " · ".join(
            f"{k} : {fr_number(v, 0) if v is not None else '—'}" for k, v in pillars.items()
        ),
        bold=True,
    )
    doc.table(file.get("esg_rows") or [], columns=["Pilier", "Critère", "Poids", "Note (0-5)", "Commentaire"],
              widths=(24, 62, 14, 18, 62))  # fmt: skip
    doc.paragraph("Exclusions : " + (", ".join(file.get("exclusions") or []) or "aucune"), size=8.5)
    doc.section("Les cinq dimensions de l'impact")
    doc.table(file.get("five_dimensions") or [], widths=(30, 150))

    doc.section("Liste de contrôle de l'audit")
    doc.table(file.get("checklist_rows") or [], widths=(70, 15, 95))
    doc.section("Décisions")
    decisions = [
        {"Date": _date(d.get("decided_at")), "De": DEAL_STAGES.get(d.get("from_stage"), "—"),
         "Vers": DEAL_STAGES.get(d.get("to_stage"), "—"),
         "Comité": COMMITTEE_DECISIONS.get(d.get("committee_decision"), ""),
         "Par": d.get("decided_by") or "", "Motif": d.get("reason") or ""}
        for d in file.get("decisions") or []
    ]  # fmt: skip
    doc.table(decisions, widths=(20, 28, 28, 18, 40, 46))
    doc.section("Historique complet")
    history = [
        {"Date": _date(h.get("at")), "Par": h.get("user") or "", "Action": h.get("action_label"),
         "Détail": h.get("detail")}
        for h in file.get("history") or []
    ]  # fmt: skip
    doc.table(history, widths=(20, 40, 32, 88))
    doc.section("Risques")
    for risk in risks(file):
        doc.paragraph(f"• {risk}", size=8.5)
    return bytes(doc.output())


def _pct(value: Any) -> str:
    try:
        return fr_number(float(value) * 100, 0)
    except (TypeError, ValueError):
        return "inconnu"


def _flag_text(key: str, value: Any) -> str:
    if key == "density_7_label":
        return str(value) if value else "inconnu (grille de densité non chargée)"
    return _yes_no(value)


def _map(doc: Document, premise: Mapping[str, Any], flags: Mapping[str, Any],
         outlines: Mapping[str, Any] | None) -> None:  # fmt: skip
    lon, lat = premise.get("lon"), premise.get("lat")
    if lon is None or lat is None:
        doc.paragraph("Carte indisponible : le local n'est pas localisé.", size=8)
        return
    if outlines is None:
        from matcher.territory.outlines import communes_around

        try:
            outlines = communes_around(float(lon), float(lat), 12)
        except Exception:  # noqa: BLE001 - the pack still prints without its map
            outlines = {"features": []}
    draw_outlines(
        doc, outlines, [(float(lon), float(lat), premise.get("name") or "")],
        height_mm=75, highlight=[flags.get("insee_code")],
        caption="Extrait de carte : communes à une douzaine de kilomètres autour du local "
        "(contours simplifiés du référentiel des communes) ; en bleu, la commune du local.",
    )  # fmt: skip
