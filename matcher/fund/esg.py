"""ESG / ISR grid of a deal and its note on the five dimensions of impact.

The template (criteria with pillar and weight, exclusions, the five
dimensions) is versioned data: ``data/esg_grid.json``. A deal's grid is
stored as ``{"schema_version", "template_version", "scores": {code: {score,
comment, evidence}}, "exclusions": [codes], "five_dimensions": {code: text}}``.

>>> grid = check_grid({"scores": {"e_reuse": {"score": 5}}})
>>> grid["schema_version"], grid["scores"]["e_reuse"]["score"], grid["scores"]["e_energy"]["score"]
(1, 5, None)
>>> total(grid) is None
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from matcher.errors import ValidationError
from matcher.fund.stages import DATA_DIR

#: Version of the stored structure (not of the template).
SCHEMA_VERSION = 1
PILLARS = {"E": "Environnement", "S": "Social", "G": "Gouvernance"}


@cache
def grid_template() -> dict[str, Any]:
    """Return the ESG grid template (criteria, exclusions, five dimensions, version)."""
    return json.loads((DATA_DIR / "esg_grid.json").read_text(encoding="utf-8"))


def check_grid(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a deal's ESG grid, checked against the template (scores 0-5 or None)."""
    template = grid_template()
    values = values or {}
    if not isinstance(values, Mapping):
        raise ValidationError("Grille ESG : dictionnaire attendu.", field="esg")
    unknown = sorted(
        set(values)
        - {
            "schema_version",
            "template_version",
            "scores",
            "exclusions",
            "five_dimensions",
            "legacy",
        }
    )
    if unknown:
        raise ValidationError(
            f"Grille ESG : rubrique inconnue « {unknown[0]} » "
            "(rubriques : scores, exclusions, five_dimensions).",
            field="esg",
            value=unknown[0],
        )
    scores_in = values.get("scores") or {}
    if not isinstance(scores_in, Mapping):
        raise ValidationError("Grille ESG : « scores » doit être un dictionnaire.", field="esg")
    codes = [c["code"] for c in template["criteria"]]
    unknown = sorted(set(scores_in) - set(codes))
    if unknown:
        raise ValidationError(
            f"Grille ESG : critère inconnu « {unknown[0]} ».", field="esg", value=unknown[0]
        )
    scores: dict[str, dict[str, Any]] = {}
    for code in codes:
        raw = scores_in.get(code) or {}
        if not isinstance(raw, Mapping):
            raw = {"score": raw}
        score = raw.get("score")
        if score is not None and score != "":
            if isinstance(score, bool):
                score = None
            try:
                score = int(float(score)) if float(score) == int(float(score)) else None
            except (TypeError, ValueError, OverflowError):
                score = None
            if score is None or not 0 <= score <= 5:
                raise ValidationError(
                    f"Grille ESG, critère « {_label(code)} » : une note entière de 0 à 5 est "
                    f"attendue, reçu « {raw.get('score')} ».",
                    field="esg",
                    value=raw.get("score"),
                )
        else:
            score = None
        scores[code] = {
            "score": score,
            "comment": str(raw.get("comment") or "").strip()[:2000],
            "evidence": str(raw.get("evidence") or "").strip()[:2000],
        }
    exclusion_codes = {x["code"] for x in template["exclusions"]}
    exclusions = list(values.get("exclusions") or [])
    bad = [x for x in exclusions if x not in exclusion_codes]
    if bad:
        raise ValidationError(f"Grille ESG : exclusion inconnue « {bad[0]} ».", field="esg")
    dims_in = values.get("five_dimensions") or {}
    if not isinstance(dims_in, Mapping):
        raise ValidationError("Cinq dimensions de l'impact : dictionnaire attendu.", field="esg")
    dims = {
        d["code"]: str(dims_in.get(d["code"]) or "").strip()[:3000]
        for d in template["five_dimensions"]
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "template_version": template["version"],
        "scores": scores,
        "exclusions": sorted(set(exclusions)),
        "five_dimensions": dims,
    }


def _label(code: str) -> str:
    for c in grid_template()["criteria"]:
        if c["code"] == code:
            return c["label"]
    return code


def total(grid: Mapping[str, Any] | None) -> float | None:
    """Return the weighted total 0-100 of a complete grid (None while a score is missing)."""
    if not grid:
        return None
    scores = check_grid(grid)["scores"]
    weights = {c["code"]: float(c["weight"]) for c in grid_template()["criteria"]}
    if any(scores[c]["score"] is None for c in weights):
        return None
    top = sum(w * 5 for w in weights.values())
    return 100.0 * sum(weights[c] * scores[c]["score"] for c in weights) / top


def pillar_totals(grid: Mapping[str, Any] | None) -> dict[str, float | None]:
    """Return the 0-100 total of each pillar (E, S, G), None while incomplete."""
    scores = check_grid(grid)["scores"]
    out: dict[str, float | None] = {}
    for pillar in PILLARS:
        crit = [c for c in grid_template()["criteria"] if c["pillar"] == pillar]
        if any(scores[c["code"]]["score"] is None for c in crit):
            out[pillar] = None
            continue
        top = sum(float(c["weight"]) * 5 for c in crit)
        out[pillar] = (
            100.0 * sum(float(c["weight"]) * scores[c["code"]]["score"] for c in crit) / top
        )
    return out


def grid_problems(grid: Mapping[str, Any] | None) -> list[str]:
    """Return, in French, what the grid lacks before committee (empty: ready)."""
    checked = check_grid(grid)
    template = grid_template()
    problems = []
    missing = [
        c["label"] for c in template["criteria"] if checked["scores"][c["code"]]["score"] is None
    ]
    if missing:
        problems.append("Grille ESG incomplète : " + ", ".join(missing) + ".")
    labels = {x["code"]: x["label"] for x in template["exclusions"]}
    for code in checked["exclusions"]:
        problems.append(f"Exclusion du fonds : {labels[code]}.")
    empty_dims = [
        d["label"] for d in template["five_dimensions"] if not checked["five_dimensions"][d["code"]]
    ]
    if empty_dims:
        problems.append(
            "Note sur les cinq dimensions de l'impact incomplète : " + ", ".join(empty_dims) + "."
        )
    return problems


def grid_rows(grid: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Return one French row per criterion (pilier, critère, poids, note, commentaire, preuve)."""
    checked = check_grid(grid)
    return [
        {
            "Pilier": PILLARS[c["pillar"]],
            "Critère": c["label"],
            "Poids": c["weight"],
            "Note (0-5)": checked["scores"][c["code"]]["score"],
            "Commentaire": checked["scores"][c["code"]]["comment"],
            "Preuve": checked["scores"][c["code"]]["evidence"],
        }
        for c in grid_template()["criteria"]
    ]
