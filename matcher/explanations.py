"""French explanation lines: one sentence per weighted criterion, then the failures."""

from __future__ import annotations

import functools

import numpy as np

from matcher import criteria as cr
from matcher import kernels as K
from matcher.criteria import CRITERIA, CRITERION_LABELS
from matcher.needs import ProjectNeeds
from matcher.scoring import _nan, failure_codes, failure_reasons

__all__ = ["explanation_lines", "fr_number"]


def fr_number(value: float, decimals: int = 0) -> str:
    """Return a number written the French way (space thousands, comma decimals).

    >>> fr_number(12.43, 1), fr_number(1234567)
    ('12,4', '1 234 567')
    """
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return text


def _km(metres: float) -> str:
    km = metres / 1000.0
    return f"{fr_number(km, 1 if km < 100 else 0)} km".replace(",0 km", " km")


def explanation_lines(
    snapshot, needs: ProjectNeeds, row: int, distance_m: float, w: np.ndarray, fail_bits: int
) -> list[str]:
    """Return one French sentence per weighted criterion, then one per failed constraint."""
    from matcher.domain import CONDITIONS, PREMISE_KINDS

    F = snapshot.F[:, row].astype(float)
    B = snapshot.B[:, row].astype(int)
    lines: list[str] = []
    on = dict(zip(CRITERIA, w > 0, strict=True))
    if on["distance"]:
        if needs.has_point and np.isfinite(distance_m):
            line = f"À {_km(distance_m)} du centre visé"
            if needs.radius_km is not None:
                line += f" (rayon {_km(needs.radius_km * 1000)})"
            lines.append(line)
        elif needs.target_insee_codes:
            inside = not fail_bits & K.FAIL_AREA
            lines.append("Dans les communes visées" if inside else "Hors des communes visées")
        else:
            lines.append("Localisation inconnue : à vérifier")
    a = F[K.F_AREA]
    if on["surface"]:
        if np.isnan(a):
            lines.append("Surface non renseignée")
        else:
            wants = []
            if needs.surface_target_m2 is not None:
                wants.append(f"cible {fr_number(needs.surface_target_m2)} m²")
            if needs.surface_min_m2 is not None:
                wants.append(f"min. {fr_number(needs.surface_min_m2)} m²")
            if needs.surface_max_m2 is not None:
                wants.append(f"max. {fr_number(needs.surface_max_m2)} m²")
            lines.append(f"Surface de {fr_number(a)} m² ({', '.join(wants)})")
    conn_text = {
        4: "Fibre disponible",
        3: "Pas de fibre : VDSL",
        2: "Pas de fibre : ADSL",
        1: "Pas de fibre : 4G/5G seulement",
        0: "Aucune connexion internet",
    }
    if on["connectivity"]:
        lines.append(conn_text.get(B[K.B_CONNECTIVITY], "Connectivité non renseignée : à vérifier"))
    if on["cost"]:
        lines.append(_cost_line(F, B, needs))
    if on["condition"]:
        cond = B[K.B_CONDITION]
        lines.append(list(CONDITIONS.values())[cond] if cond >= 0 else "État non renseigné")
    flags = (
        ("pmr", K.B_PMR, "Accessible PMR", "Non accessible PMR"),
        ("ground_floor", K.B_GROUND, "Accès de plain-pied", "Pas d'accès de plain-pied"),
    )
    for code, j, yes, no in flags:
        if on[code]:
            v = B[j]
            lines.append(
                yes if v > 0 else no if v == 0 else f"{CRITERION_LABELS[code]} : non renseigné"
            )
    if on["station"]:
        st = F[K.F_STATION]
        lines.append(
            "Distance à la gare non renseignée"
            if np.isnan(st)
            else (f"Gare à {fr_number(st)} m" if st < 1000 else f"Gare à {_km(st)}")
        )
    if on["parking"]:
        pk = F[K.F_PARKING]
        lines.append(
            "Stationnement non renseigné"
            if np.isnan(pk)
            else (
                "Pas de stationnement" if pk <= 0 else f"{fr_number(pk)} place(s) de stationnement"
            )
        )
    if on["territory"]:
        lines.append(_territory_line(F, B))
    if on["reuse"]:
        kind = B[K.B_KIND]
        label = list(PREMISE_KINDS.values())[kind] if kind >= 0 else "Type de local inconnu"
        extra = "" if np.isnan(a) else f" : {fr_number(a)} m² réemployés"
        lines.append(f"{label}{extra}")
    lines += [f"Contrainte non respectée : {r}" for r in failure_reasons(fail_bits)]
    return lines


def _cost_line(F: np.ndarray, B: np.ndarray, needs: ProjectNeeds) -> str:
    cost, budget = cr.premise_cost(
        [B[K.B_TENURE]], [F[K.F_PRICE]], [F[K.F_WORKS]], [F[K.F_RENT]], [F[K.F_AREA]],
        _nan(needs.budget_purchase_eur), _nan(needs.budget_works_eur),
        _nan(needs.max_rent_eur_year),
    )  # fmt: skip
    c, b = float(cost[0]), float(budget[0])
    ten = B[K.B_TENURE]
    if ten == 3:
        return "Mise à disposition gratuite"
    if np.isnan(c) or np.isnan(b):
        return "Coût non comparable au budget du projet : à vérifier"
    if ten in (1, 2) or (ten < 0 and np.isnan(F[K.F_PRICE])):
        return f"Loyer de {fr_number(c)} €/an pour un maximum de {fr_number(b)} €/an"
    return f"Prix et travaux : {fr_number(c)} € pour un budget de {fr_number(b)} €"


def _territory_line(F: np.ndarray, B: np.ndarray) -> str:
    parts = []
    if B[K.B_QPV] > 0:
        parts.append("quartier prioritaire")
    if B[K.B_ACV] > 0:
        parts.append("Action Cœur de Ville")
    if B[K.B_PVD] > 0:
        parts.append("Petites Villes de Demain")
    if B[K.B_RURAL] > 0:
        parts.append("commune rurale")
    if B[K.B_METRO] == 0:
        parts.append("hors métropole")
    elif B[K.B_METRO] > 0:
        parts.append("dans une métropole")
    if not np.isnan(F[K.F_TL]):
        parts.append(f"tiers-lieu le plus proche à {_km(F[K.F_TL])}")
    if not np.isnan(F[K.F_POP]):
        parts.append(f"{fr_number(F[K.F_POP])} habitants à moins de 20 km")
    if not parts:
        return "Priorité territoriale : données non renseignées"
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


_CRITERION_BITS = 1 << np.arange(len(CRITERIA), dtype=np.int64)


@functools.lru_cache(maxsize=4096)
def _failure_text(bits: int) -> str:
    return "|".join(failure_codes(bits)) if bits else ""


@functools.lru_cache(maxsize=4096)
def _missing_text(bits: int) -> str:
    return "|".join(c for j, c in enumerate(CRITERIA) if bits >> j & 1)


def failure_labels(fail_bits: np.ndarray) -> list[str]:
    """Return each row's failed constraint codes joined by ``|`` ("" when eligible).

    >>> failure_labels(np.array([0, K.FAIL_FIBRE]))
    ['', 'no_fibre']
    """
    return [_failure_text(b) for b in np.asarray(fail_bits, dtype=np.int64).tolist()]


def missing_labels(unknown: np.ndarray) -> list[str]:
    """Return each row's unknown criteria (boolean matrix in CRITERIA order) joined by ``|``."""
    bits = np.asarray(unknown, dtype=bool) @ _CRITERION_BITS
    return [_missing_text(b) for b in bits.tolist()]
