"""A synthetic, labelled pipeline for the demo: deals across every stage, seeded.

:func:`plan_pipeline` turns the demo's applications and premises into a
list of deal plans (premise, ticket, stage reached, checklist, ESG grid,
planned and actual inputs, committee decision, opening date, French
reasons). It is pure and reproducible (fixed seed); the service layer
plays each plan through the same services a fund officer uses, so the
stage gates hold for the demo as for real deals. Every figure here is
invented and every deal is flagged ``synthetic``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matcher.fund.esg import grid_template
from matcher.fund.stages import ORDER, checklist_template

DEMO_PIPELINE_SEED = 1515
#: Share of applications that become deals (about 80 deals for 150 applications).
DEAL_SHARE = 80 / 150
#: Stage reached by the k-th deal, cycling: every stage is present even in a small demo.
STAGE_CYCLE = (
    "converted", "invested", "committee", "due_diligence", "qualified", "identified",
    "declined", "invested", "committee", "qualified", "identified", "due_diligence",
    "converted", "committee", "declined", "identified",
)  # fmt: skip
_WHAT = [
    "Un tiers-lieu ouvert à tous : coworking, atelier partagé et salle d'activités.",
    "Un lieu de fabrication numérique et de réparation pour les habitants et les artisans.",
    "Une cuisine partagée et un café associatif autour des producteurs locaux.",
    "Un espace France Services et d'inclusion numérique au cœur du bourg.",
]
_WHO = [
    "Habitants du quartier prioritaire voisin, demandeurs d'emploi, jeunes sans solution de garde.",
    "Travailleurs indépendants et salariés en télétravail qui font aujourd'hui 40 km par jour.",
    "Artisans, associations et agriculteurs du bassin de vie, sans local adapté.",
]
_RISK = [
    "Dépendance aux subventions de fonctionnement les trois premières années.",
    "Calendrier des travaux serré avant l'ouverture prévue.",
    "Fréquentation à construire : le public visé connaît peu les tiers-lieux.",
]


@dataclass
class DealPlan:
    """What the demo does with one application (ids are database ids)."""

    project_id: int
    premise_id: int | None
    stage: str
    ticket_eur: float
    summary: str
    planned: dict[str, float] = field(default_factory=dict)
    actual: dict[str, float] = field(default_factory=dict)
    checklist: dict[str, Any] = field(default_factory=dict)
    esg: dict[str, Any] = field(default_factory=dict)
    committee: dict[str, Any] | None = None
    declined_at: str | None = None
    opened_on: dt.date | None = None
    reasons: dict[str, str] = field(default_factory=dict)


def _nearest_premises(projects: pd.DataFrame, premises: pd.DataFrame) -> list[int | None]:
    """Return, per project, an available premise near its target of a fitting size."""
    if premises.empty:
        return [None] * len(projects)
    from scipy.spatial import cKDTree

    located = premises.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    if located.empty:
        return [None] * len(projects)
    k = min(8, len(located))
    scale = np.cos(np.radians(46.5))
    tree = cKDTree(np.column_stack([located["lon"] * scale, located["lat"]]))
    out: list[int | None] = []
    used: set[int] = set()
    for row in projects.itertuples(index=False):
        if pd.isna(row.target_lon) or pd.isna(row.target_lat):
            out.append(None)
            continue
        _, idx = tree.query([row.target_lon * scale, row.target_lat], k=k)
        idx = np.atleast_1d(idx)
        target = row.surface_target_m2 if pd.notna(row.surface_target_m2) else 300
        area = located["floor_area_m2"].to_numpy(dtype=float)[idx]
        fit = np.abs(np.nan_to_num(area, nan=1e6) - target)
        order = [int(located["id"].iloc[i]) for i in idx[np.argsort(fit, kind="stable")]]
        choice = next((p for p in order if p not in used), order[0])
        used.add(choice)
        out.append(choice)
    return out


def plan_pipeline(
    applications: pd.DataFrame, premises: pd.DataFrame, seed: int = DEMO_PIPELINE_SEED
) -> list[DealPlan]:
    """Return the demo's deal plans for the applications that become deals.

    ``applications``: ``id``, ``name``, ``target_lon``, ``target_lat``,
    ``surface_target_m2``, ``expected_jobs``, ``expected_users`` (ordered);
    ``premises``: available premises with ``id``, ``lon``, ``lat``, ``floor_area_m2``.
    """
    rng = np.random.default_rng(seed)
    n = int(round(len(applications) * DEAL_SHARE))
    chosen = applications.head(n).reset_index(drop=True)
    premise_ids = _nearest_premises(chosen, premises)
    criteria = grid_template()["criteria"]
    dims = grid_template()["five_dimensions"]
    items = [i["code"] for i in checklist_template()["items"]]
    plans = []
    for k, row in enumerate(chosen.itertuples(index=False)):
        stage = STAGE_CYCLE[k % len(STAGE_CYCLE)]
        premise_id = premise_ids[k]
        if premise_id is None and stage not in ("identified", "qualified", "declined"):
            stage = "qualified"  # no premise, no due diligence
        ticket = float(np.clip(np.round(rng.lognormal(np.log(350_000), 0.6) / 10_000) * 10_000,
                               60_000, 1_500_000))  # fmt: skip
        jobs = float(row.expected_jobs) if pd.notna(row.expected_jobs) else None
        planned: dict[str, float] = {
            "daily_users": float(max(10, round(rng.gamma(3, 20)))),
            "total_cost_eur": round(ticket * rng.uniform(1.8, 4.0), -3),
        }
        planned["cofinancing_eur"] = round(planned["total_cost_eur"] * rng.uniform(0.3, 0.6), -3)
        if jobs is not None and rng.random() < 0.8:  # a fifth keep the national default
            planned["jobs_created"] = jobs
            planned["jobs_maintained"] = float(rng.integers(0, 4))
        scores = {c["code"]: {"score": int(rng.integers(2, 6)),
                              "comment": "Appréciation fictive de démonstration.",
                              "evidence": "Pièce fictive (démo)"} for c in criteria}  # fmt: skip
        position = ORDER.index(stage) if stage in ORDER else 1
        declined_at = None
        if stage == "declined":
            declined_at = "committee" if k % len(STAGE_CYCLE) == 6 else "qualified"
            position = ORDER.index(declined_at)
        done = {code: {"done": position >= ORDER.index("committee") or (j < 5 and position == 2),
                       "comment": ""} for j, code in enumerate(items)}  # fmt: skip
        esg = {
            "scores": scores if position >= 2 else {},
            "five_dimensions": {
                d["code"]: {"what": _WHAT[k % len(_WHAT)], "who": _WHO[k % len(_WHO)],
                            "risk": _RISK[k % len(_RISK)]}.get(
                    d["code"], "Estimation fictive de démonstration.")
                for d in dims
            } if position >= 2 else {},
        }  # fmt: skip
        committee = None
        opened_on = None
        actual: dict[str, float] = {}
        decided = dt.date(2024, 1, 15) + dt.timedelta(days=int(rng.integers(0, 600)))
        if stage in ("invested", "converted") or (stage == "committee" and k % 3 == 0):
            committee = {"decision": "approved", "ticket_eur": ticket, "date": decided,
                         "conditions": "Lettres de cofinancement signées avant versement."}  # fmt: skip
        elif stage == "committee" and k % 3 == 1:
            committee = {"decision": "postponed", "ticket_eur": None, "date": decided,
                         "conditions": ""}  # fmt: skip
        elif declined_at == "committee":
            committee = {"decision": "declined", "ticket_eur": None, "date": decided,
                         "conditions": ""}  # fmt: skip
        if stage == "converted":
            opened_on = decided + dt.timedelta(days=int(rng.integers(120, 400)))
            actual = {
                "jobs_created": float(max(0, round((jobs or 6) * rng.uniform(0.6, 1.3)))),
                "jobs_maintained": float(rng.integers(0, 4)),
                "daily_users": float(round(planned["daily_users"] * rng.uniform(0.5, 1.4))),
            }
        plans.append(
            DealPlan(
                project_id=int(row.id),
                premise_id=premise_id,
                stage=stage,
                ticket_eur=ticket,
                summary=f"Dossier fictif de démonstration : {row.name}.",
                planned=planned,
                actual=actual,
                checklist={"items": done},
                esg=esg,
                committee=committee,
                declined_at=declined_at,
                opened_on=opened_on,
                reasons={
                    "qualified": "Projet cohérent avec la thèse d'impact du fonds (démo).",
                    "due_diligence": "Local identifié et ticket chiffré : ouverture de l'audit (démo).",
                    "committee": "Audit complet et grille ESG renseignée (démo).",
                    "committee_decision": "Décision fictive du comité de démonstration.",
                    "invested": "Ticket versé après levée des conditions (démo).",
                    "converted": "Lieu ouvert au public (démo).",
                    "declined": "Modèle économique trop fragile à ce stade (démo).",
                },
            )
        )
    return plans
