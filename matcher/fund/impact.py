"""Impact indicators of the fund's deals: pure, documented, vectorised functions.

Every coefficient comes from one versioned file, ``data/impact_coefficients.json``
(value or low/central/high, unit, source, date). :func:`compute` works on a
frame of deals (one row each) so that 1,000 deals cost one pass of numpy;
:func:`deal_indicators` is the same for one deal, as French-labelled rows.

A deal's impact inputs are stored as ``{"schema_version": 1, "planned": {...},
"actual": {...}, "committee": {...}}`` (see :func:`check_impact`); planned
inputs are set before the committee, which freezes the planned indicators;
actual inputs come after the opening.

>>> row = pd.DataFrame([{"ticket_eur": 300_000, "floor_area_m2": 400, "year": 2025}])
>>> out = compute(row)
>>> float(out["floor_area_reused_m2"][0]), float(out["carbon_avoided_t"][0])
(400.0, 160.0)
>>> bool(out["jobs_default"][0]), float(out["jobs_total"][0])
(True, 6.9)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from matcher.errors import ValidationError
from matcher.fund.stages import DATA_DIR

SCHEMA_VERSION = 1
#: Inputs a fund officer enters (planned before committee, actual after opening).
INPUT_FIELDS: dict[str, str] = {
    "jobs_created": "Emplois directs créés (ETP)",
    "jobs_maintained": "Emplois directs maintenus (ETP)",
    "daily_users": "Usagers par jour",
    "total_cost_eur": "Coût total du projet (€)",
    "cofinancing_eur": "Cofinancements obtenus (€)",
    "floor_area_m2": "Surface réemployée (m²)",
}

#: Indicator code -> (French label, unit, formula, source).
INDICATORS: dict[str, tuple[str, str, str, str]] = {
    "floor_area_reused_m2": ("Surface réemployée", "m²",
        "surface du local (ou surface déclarée pour le projet)", "fiche du local"),
    "land_saved_m2": ("Sol non artificialisé", "m²",
        "surface × terrain consommé par m² de plancher construit en extension",
        "hypothèse du projet (emprise d'une construction en extension)"),
    "carbon_avoided_t": ("Carbone évité par le réemploi", "tCO2e",
        "surface × carbone évité par m² (rénovation au lieu de construction neuve)",
        "OID, IFPEB / Hub bas carbone, ADEME (fourchette)"),
    "carbon_value_eur": ("Valeur du carbone évité", "€",
        "carbone évité × valeur carbone de l'année d'ouverture, actualisée à 4,5 %/an",
        "valeur de l'action pour le climat (2019), actualisation Bénéfriches"),
    "jobs_created": ("Emplois directs créés (IRIS+ PI3687)", "ETP",
        "saisi par le chargé, sinon moyenne nationale par lieu",
        "recensements France Tiers-Lieux 2021 et 2023"),
    "jobs_maintained": ("Emplois directs maintenus (IRIS+ PI5691)", "ETP", "saisi", "saisie du chargé d'investissement"),
    "jobs_total": ("Emplois directs (IRIS+ PI4874)", "ETP", "créés + maintenus", "PI3687 + PI5691"),
    "daily_users": ("Usagers par jour", "personnes/jour",
        "saisi, sinon moyenne nationale par lieu", "France Tiers-Lieux 2021"),
    "investment_per_job_eur": ("Investissement du fonds par emploi", "€/ETP",
        "ticket ÷ emplois directs", "calcul"),
    "investment_per_m2_eur": ("Investissement du fonds par m²", "€/m²",
        "ticket ÷ surface réemployée", "calcul"),
    "cofinancing_leverage": ("Effet de levier des cofinancements", "× le ticket",
        "cofinancements ÷ ticket", "calcul"),
    "population_newly_covered": ("Population nouvellement à 15 km d'un tiers-lieu", "habitants",
        "habitants des communes sans tiers-lieu connu à 15 km, dont la mairie est à 15 km du local",
        "référentiel des communes, tiers-lieux connus"),
}  # fmt: skip


@cache
def coefficients() -> dict[str, Any]:
    """Return the versioned coefficient file (version, date, coefficients, impact score)."""
    return json.loads((DATA_DIR / "impact_coefficients.json").read_text(encoding="utf-8"))


def _c(name: str, level: str = "central") -> float:
    entry = coefficients()["coefficients"][name]
    return float(entry[level] if level in entry else entry["value"])


def carbon_value_eur_t(year: float | np.ndarray) -> np.ndarray:
    """Return the carbon value (€/tCO2e) of a year, linear between the published years.

    >>> carbon_value_eur_t(np.array([2020, 2025, 2030, 2060])).tolist()
    [90.0, 170.0, 250.0, 775.0]
    """
    points = coefficients()["coefficients"]["carbon_value_eur_t"]["points"]
    years = np.array(sorted(int(y) for y in points), dtype=float)
    values = np.array([points[str(int(y))] for y in years], dtype=float)
    return np.interp(np.asarray(year, dtype=float), years, values)


def discount_factor(years_ahead: float | np.ndarray) -> np.ndarray:
    """Return 1 / (1 + r)^t with Bénéfriches' rate r = 4.5 % (t in years from the reference)."""
    return 1.0 / (1.0 + _c("discount_rate")) ** np.maximum(np.asarray(years_ahead, float), 0)


def annuity_factor(horizon_years: float | None = None) -> float:
    """Return the present value of 1 € a year over the horizon (years 1 to H, 4.5 %).

    >>> round(annuity_factor(1), 4)
    0.9569
    """
    h = int(horizon_years or _c("horizon_years"))
    r = _c("discount_rate")
    return float(sum(1.0 / (1 + r) ** k for k in range(1, h + 1)))


def _col(frame: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Return a float flag column: 1 yes, 0 no, NaN unknown."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.array(
        [np.nan if v is None or v is pd.NA or v != v else float(bool(v)) for v in frame[name]]
    )


def compute(frame: pd.DataFrame) -> pd.DataFrame:
    """Return every indicator (and its low/high bounds) for each deal row of ``frame``.

    Input columns (all optional, missing = unknown): ``ticket_eur``,
    ``floor_area_m2``, ``land_area_m2``, ``jobs_created``, ``jobs_maintained``,
    ``daily_users``, ``cofinancing_eur``, ``total_cost_eur``, ``year`` (of
    opening), territory flags ``in_metropole``, ``in_qpv``, ``acv``, ``pvd``,
    ``rural``, ``population_newly_covered`` and ``esg_total`` (0-100).
    """
    n = len(frame)
    area = _col(frame, "floor_area_m2")
    ticket = _col(frame, "ticket_eur")
    year = np.nan_to_num(_col(frame, "year"), nan=_c("reference_year"))
    out = pd.DataFrame(index=frame.index)
    out["floor_area_reused_m2"] = area
    for level, suffix in (("central", ""), ("low", "_low"), ("high", "_high")):
        out["land_saved_m2" + suffix] = area * _c("greenfield_land_per_floor_m2", level)
        out["carbon_avoided_t" + suffix] = area * _c("embodied_carbon_avoided_t_m2", level)
    value = carbon_value_eur_t(year) * discount_factor(year - _c("reference_year"))
    for suffix in ("", "_low", "_high"):
        out["carbon_value_eur" + suffix] = out["carbon_avoided_t" + suffix] * value
    created = _col(frame, "jobs_created")
    default = np.isnan(created)
    out["jobs_default"] = default
    out["jobs_created"] = np.where(default, _c("jobs_per_place"), created)
    out["jobs_created_low"] = np.where(default, _c("jobs_per_place", "low"), created)
    out["jobs_created_high"] = np.where(default, _c("jobs_per_place", "high"), created)
    out["jobs_maintained"] = np.nan_to_num(_col(frame, "jobs_maintained"), nan=0.0)
    out["jobs_total"] = out["jobs_created"] + out["jobs_maintained"]
    users = _col(frame, "daily_users")
    out["users_default"] = np.isnan(users)
    out["daily_users"] = np.where(np.isnan(users), _c("daily_users_per_place"), users)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        jobs = out["jobs_total"].to_numpy()
        out["investment_per_job_eur"] = np.where(jobs > 0, ticket / jobs, np.nan)
        out["investment_per_m2_eur"] = np.where(area > 0, ticket / area, np.nan)
        out["cofinancing_leverage"] = np.where(
            ticket > 0, _col(frame, "cofinancing_eur") / ticket, np.nan
        )
    for flag in ("in_metropole", "in_qpv", "acv", "pvd", "rural"):
        out[flag] = _flag(frame, flag)
    out["outside_metropole"] = 1.0 - out["in_metropole"]
    out["population_newly_covered"] = _col(frame, "population_newly_covered")
    # Side-by-side comparisons (Bénéfriches): doing nothing, building on greenfield.
    land = np.where(np.isnan(_col(frame, "land_area_m2")), area * _c("default_land_per_floor_m2"),
                    _col(frame, "land_area_m2"))  # fmt: skip
    annuity = annuity_factor()
    out["do_nothing_cost_eur"] = annuity * (
        _c("site_security_eur_ha_year") * land / 10_000
        + _c("building_maintenance_eur_m2_year") * area
    )
    ha = out["land_saved_m2"].to_numpy() / 10_000
    out["greenfield_roads_eur"] = ha * (
        _c("roads_utilities_build_eur_ha") + annuity * _c("roads_utilities_maintain_eur_ha_year")
    )
    out["greenfield_carbon_t"] = area * _c("new_build_carbon_t_m2")
    out["project_carbon_t"] = out["greenfield_carbon_t"] - out["carbon_avoided_t"]
    out["impact_score"] = impact_score(out, _col(frame, "esg_total")) if n else []
    return out


def impact_score(indicators: pd.DataFrame, esg_total: np.ndarray | None = None) -> np.ndarray:
    """Return the 0-100 impact score the optimiser maximises (weights in the coefficient file).

    Each term is ``weight × min(1, value / reference)``; unknown values count 0.
    """
    terms = coefficients()["impact_score"]["terms"]
    values = {
        "jobs_total": indicators["jobs_total"].to_numpy(dtype=float),
        "daily_users": indicators["daily_users"].to_numpy(dtype=float),
        "population_newly_covered": indicators["population_newly_covered"].to_numpy(dtype=float),
        "carbon_avoided_t": indicators["carbon_avoided_t"].to_numpy(dtype=float),
        "outside_metropole": indicators["outside_metropole"].to_numpy(dtype=float),
        "in_qpv": indicators["in_qpv"].to_numpy(dtype=float),
        "priority_town": np.fmax(
            indicators["acv"].to_numpy(float), indicators["pvd"].to_numpy(float)
        ),
        "esg_total": np.full(len(indicators), np.nan)
        if esg_total is None
        else np.asarray(esg_total, float),
    }
    total = np.zeros(len(indicators))
    for name, term in terms.items():
        v = np.nan_to_num(values[name], nan=0.0)
        total += float(term["weight"]) * np.clip(v / float(term["reference"]), 0, 1)
    return np.round(total, 3)


def check_impact(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a deal's impact inputs in the versioned structure, numbers checked (>= 0)."""
    values = dict(values or {})
    if not isinstance(values, Mapping):
        raise ValidationError("Indicateurs : dictionnaire attendu.", field="impact")
    unknown = sorted(set(values) - {"schema_version", "planned", "actual", "committee"})
    if unknown:
        raise ValidationError(
            f"Indicateurs : rubrique inconnue « {unknown[0]} » (rubriques : planned, actual).",
            field="impact",
            value=unknown[0],
        )
    version = values.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ValidationError(
            f"Indicateurs : version de schéma inconnue « {version} ».",
            field="impact",
            value=version,
        )
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for part in ("planned", "actual"):
        raw = values.get(part) or {}
        if not isinstance(raw, Mapping):
            raise ValidationError(f"Indicateurs « {part} » : dictionnaire attendu.", field="impact")
        unknown = sorted(set(raw) - set(INPUT_FIELDS))
        if unknown:
            raise ValidationError(
                f"Indicateur inconnu « {unknown[0]} » (connus : {', '.join(INPUT_FIELDS)}).",
                field="impact",
                value=unknown[0],
            )
        clean = {}
        for key, label in INPUT_FIELDS.items():
            v = raw.get(key)
            if v is None or v == "":
                continue
            try:
                number = float(v)
            except (TypeError, ValueError):
                number = math.nan
            if isinstance(v, bool) or not math.isfinite(number) or number < 0:
                raise ValidationError(
                    f"{label} : un nombre positif ou nul est attendu, reçu « {v} ».",
                    field=key,
                    value=v,
                )
            clean[key] = number
        out[part] = clean
    committee = values.get("committee")
    if committee:
        out["committee"] = {k: v for k, v in dict(committee).items() if isinstance(k, str)}
    return out


def indicator_rows(ind: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return French rows (indicateur, valeur, fourchette, unité, formule, source) of one deal."""
    from matcher.fund.fmt import fr_number, fr_range

    rows = []
    for code, (label, unit, formula, source) in INDICATORS.items():
        value = ind.get(code)
        decimals = 2 if code == "cofinancing_leverage" else (1 if code.startswith("jobs") else 0)
        defaulted = code == "jobs_created" and ind.get("jobs_default")
        if f"{code}_low" in ind and (code != "jobs_created" or defaulted):
            shown = fr_range(ind[f"{code}_low"], value, ind[f"{code}_high"], decimals)
        else:
            shown = fr_number(value, decimals)
        if code == "jobs_created" and ind.get("jobs_default"):
            label += " (valeur par défaut)"
        if code == "daily_users" and ind.get("users_default"):
            label += " (valeur par défaut)"
        rows.append({"Indicateur": label, "Valeur": shown, "Unité": unit, "Formule": formula,
                     "Source": _source_text(source)})  # fmt: skip
    return rows


def _source_text(source: str) -> str:
    """Return a short French source: the coefficient file's source of each key named."""
    known = coefficients()["coefficients"]
    parts = []
    for key in (k.strip() for k in source.split(",")):
        if key in known:
            text = known[key]["source"]
            parts.append(text.split(" : ")[0].split(" (")[0][:60])
        else:
            parts.append(key)
    return " ; ".join(dict.fromkeys(parts))


def comparison_rows(ind: Mapping[str, Any]) -> list[dict[str, str]]:
    """Return the side-by-side comparison: doing nothing, the project, greenfield."""
    from matcher.fund.fmt import fr_eur, fr_number

    return [
        {"": "Sol artificialisé (m²)", "Ne rien faire": "0",
         "Projet (réemploi)": "0", "Construire en extension": fr_number(ind.get("land_saved_m2"))},
        {"": "Carbone de construction (tCO2e)", "Ne rien faire": "0",
         "Projet (réemploi)": fr_number(ind.get("project_carbon_t")),
         "Construire en extension": fr_number(ind.get("greenfield_carbon_t"))},
        {"": "Coûts du site vacant sur l'horizon (€ actualisés)",
         "Ne rien faire": fr_eur(ind.get("do_nothing_cost_eur")), "Projet (réemploi)": "0 €",
         "Construire en extension": fr_eur(ind.get("do_nothing_cost_eur"))},
        {"": "Voiries et réseaux (€ actualisés)", "Ne rien faire": "0 €",
         "Projet (réemploi)": "0 €", "Construire en extension": fr_eur(ind.get("greenfield_roads_eur"))},
        {"": "Emplois directs (ETP)", "Ne rien faire": "0",
         "Projet (réemploi)": fr_number(ind.get("jobs_total"), 1),
         "Construire en extension": fr_number(ind.get("jobs_total"), 1)},
        {"": "Usagers par jour", "Ne rien faire": "0",
         "Projet (réemploi)": fr_number(ind.get("daily_users")),
         "Construire en extension": fr_number(ind.get("daily_users"))},
    ]  # fmt: skip
