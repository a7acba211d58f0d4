"""Explained matches: the per-criterion frame of ranked pairs and French explanation lines.

Every figure comes from the compiled criteria (:func:`matcher.engine.kernels.criteria_pairs`),
so an explanation always says what the ranking computed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.engine import criteria as cr
from matcher.engine import kernels as KN
from matcher.engine.criteria import CRITERION_LABELS, NEUTRAL_SCORE
from matcher.engine.layout import (
    B_ACV,
    B_CONDITION,
    B_CONNECTIVITY,
    B_DENSITY,
    B_FRR,
    B_GROUND,
    B_KIND,
    B_METRO,
    B_PMR,
    B_PVD,
    B_QPV,
    B_RURAL,
    B_TENURE,
    CRITERIA,
    F_AREA,
    F_FRANCE_SERVICES,
    F_PARKING,
    F_POP,
    F_PRICE,
    F_RENT,
    F_STATION,
    F_TL,
    F_WORKS,
    FAIL_AREA,
    P_BUDGET_SALE,
    P_MAX_RENT,
    failure_codes,
    failure_reasons,
)
from matcher.engine.query import Query, QueryBatch
from matcher.engine.snapshot import PremiseSnapshot
from matcher.engine.weights import ENGINE_VERSION
from matcher.needs import ProjectNeeds

__all__ = [
    "MatchExplanation",
    "detail_columns",
    "detail_frame",
    "frame_of",
    "columns_frame",
    "explain_row",
    "explanation_lines",
    "failure_labels",
    "fr_number",
    "missing_labels",
]


def fr_number(value: float, decimals: int = 0) -> str:
    """Return a number written the French way (space thousands, comma decimals).

    >>> fr_number(12.43, 1), fr_number(1234567)
    ('12,4', '1 234 567')
    """
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")


def _km(metres: float) -> str:
    km = metres / 1000.0
    return f"{fr_number(km, 1 if km < 100 else 0)} km".replace(",0 km", " km")


_CRITERION_BITS = 1 << np.arange(len(CRITERIA), dtype=np.int64)


@functools.lru_cache(maxsize=4096)
def _failure_text(bits: int) -> str:
    return "|".join(failure_codes(bits)) if bits else ""


@functools.lru_cache(maxsize=4096)
def _missing_text(bits: int) -> str:
    return "|".join(c for j, c in enumerate(CRITERIA) if bits >> j & 1)


def failure_labels(fail_bits: np.ndarray) -> list[str]:
    """Return each row's failed constraint codes joined by ``|`` ("" when eligible).

    >>> from matcher.engine.layout import FAIL_FIBRE
    >>> failure_labels(np.array([0, FAIL_FIBRE]))
    ['', 'no_fibre']
    """
    return [_failure_text(b) for b in np.asarray(fail_bits, dtype=np.int64).tolist()]


def missing_labels(unknown: np.ndarray) -> list[str]:
    """Return each row's unknown criteria (boolean matrix in CRITERIA order) joined by ``|``."""
    bits = np.asarray(unknown, dtype=bool) @ _CRITERION_BITS
    return [_missing_text(b) for b in bits.tolist()]


def contributions(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return each criterion's points (100 x weight x score, neutral when unknown)."""
    return 100.0 * np.where(np.isnan(scores), NEUTRAL_SCORE, scores) * weights


def detail_columns(
    snapshot: PremiseSnapshot, rows: np.ndarray, queries: np.ndarray, batch: QueryBatch
) -> dict[str, np.ndarray]:
    """Return the columns of :func:`detail_frame` as arrays (to add columns before framing)."""
    rows = np.asarray(rows, dtype=np.int64)
    queries = np.asarray(queries, dtype=np.int64)
    n = len(rows)
    scores, known, fails, dist, totals = KN.criteria_pairs(
        rows, queries, snapshot.columns, batch.arrays(), snapshot.geometry
    )
    w = batch.weights[queries]
    contrib = contributions(scores, w)
    project_ids = np.array([q.project_id for q in batch.queries], dtype=object)
    cols: dict[str, np.ndarray] = {
        "project_id": project_ids[queries],
        "premise_id": snapshot.ids_of(rows) if n else np.empty(0, dtype=object),
        "rank": np.arange(1, n + 1),
        "score_0_100": totals,
        "completeness": (known * w).sum(axis=1),
        "eligible": fails == 0,
        "failed": np.array(failure_labels(fails), dtype=object),
        "distance_m": dist,
    }
    for j, c in enumerate(CRITERIA):
        cols[f"score_{c}"] = scores[:, j]
        cols[f"contrib_{c}"] = contrib[:, j]
    cols["missing"] = np.array(missing_labels((known < 1) & (w > 0)), dtype=object)
    return cols


def columns_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Return a frame holding these equal-length arrays as they are (text stays ``object``).

    The public constructor checks and converts every column (text to pandas' string dtype,
    about 20 µs a column): on a 50-row result of 50 columns that was most of a search's
    time. The arrays are ours and already typed, so the frame is assembled from one block
    per dtype (pandas' block constructor, public since pandas 3) without it.
    """
    arrays = list(columns.values())
    n = len(arrays[0]) if arrays else 0
    if any(np.ndim(a) != 1 or len(a) != n for a in arrays):
        raise ValueError("columns_frame : colonnes de longueurs différentes")
    names = _column_index(tuple(columns))
    index = pd.RangeIndex(n)
    if _from_blocks is not None:
        return _from_blocks(_blocks(arrays), index=index, columns=names)
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is None:  # a pandas without either fast path: the public one, text as object
        return pd.DataFrame(
            {k: pd.Series(v, dtype=v.dtype, copy=False) for k, v in columns.items()}
        )
    return build(arrays, columns=names, index=index, verify_integrity=False)


try:  # pandas >= 3
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
    from pandas.arrays import DatetimeArray as _DatetimeArray
except ImportError:  # pragma: no cover - older pandas: the slower constructor above
    _from_blocks = _DatetimeArray = None


def _blocks(arrays: list[np.ndarray]) -> list[tuple[object, np.ndarray]]:
    """Return (values, column positions) blocks: a 2-D array per numpy dtype (columns as
    rows), and each datetime column on its own, wrapped without pandas' re-parsing."""
    groups: dict[np.dtype, list[int]] = {}
    blocks: list[tuple[object, np.ndarray]] = []
    for j, a in enumerate(arrays):
        if a.dtype.kind == "M":
            a = a.astype("datetime64[ns]", copy=False)
            blocks.append((_DatetimeArray._simple_new(a, dtype=a.dtype), np.array([j])))
        else:
            groups.setdefault(a.dtype, []).append(j)
    for dtype, positions in groups.items():
        values = np.empty((len(positions), len(arrays[positions[0]])), dtype=dtype)
        for row, j in enumerate(positions):
            values[row] = arrays[j]
        blocks.append((values, np.array(positions, dtype=np.intp)))
    return blocks


@functools.lru_cache(maxsize=64)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    # an Index of text is built through Arrow (0.1 ms for 50 names): once per layout
    return pd.Index(names)


def frame_of(columns: dict[str, np.ndarray], batch: QueryBatch) -> pd.DataFrame:
    """Return the explained-matches frame of columns, with the weights and engine version."""
    out = columns_frame(columns)
    if len(batch) == 1:
        out.attrs["weights"] = dict(zip(CRITERIA, batch.weights[0].tolist(), strict=True))
    out.attrs["engine_version"] = ENGINE_VERSION
    return out


def detail_frame(
    snapshot: PremiseSnapshot, rows: np.ndarray, queries: np.ndarray, batch: QueryBatch
) -> pd.DataFrame:
    """Return the explained matches of (premise row, query) pairs, ranked in the given order."""
    return frame_of(detail_columns(snapshot, rows, queries, batch), batch)


@dataclass(frozen=True)
class MatchExplanation:
    """Why a premise scores what it scores for a project."""

    project_id: str | None
    premise_id: object
    score_0_100: float
    completeness: float
    eligible: bool
    failures: list[tuple[str, str]]
    lines: list[str]
    contributions: pd.DataFrame  # criterion, label, score, known, weight, contribution
    missing: list[str]
    engine_version: str = ENGINE_VERSION


def explain_row(
    snapshot: PremiseSnapshot, row: int, query: Query, premise_id: object
) -> MatchExplanation:
    """Return the explanation of one snapshot row for a compiled query."""
    batch = QueryBatch.of([query])
    w = query.weights
    scores, known, fails, dist, totals = KN.criteria_pairs(
        np.array([row], np.int64), np.zeros(1, np.int64), snapshot.columns, batch.arrays(),
        snapshot.geometry,
    )  # fmt: skip
    contrib = contributions(scores, w)
    table = pd.DataFrame(
        {
            "criterion": CRITERIA,
            "label": [CRITERION_LABELS[c] for c in CRITERIA],
            "score": scores[0],
            "known": known[0],
            "weight": w,
            "contribution": contrib[0],
        }
    )
    bits = int(fails[0])
    return MatchExplanation(
        project_id=query.project_id,
        premise_id=premise_id,
        score_0_100=float(totals[0]),
        completeness=float((known[0] * w).sum()),
        eligible=bits == 0,
        failures=list(zip(failure_codes(bits), failure_reasons(bits), strict=True)),
        lines=explanation_lines(snapshot, query, row, float(dist[0]), bits),
        contributions=table,
        missing=[c for c, kn, wi in zip(CRITERIA, known[0], w, strict=True) if kn < 1 and wi > 0],
    )


# --- French lines -----------------------------------------------------------------------------

_CONNECTIVITY_TEXT = {
    4: "Fibre disponible",
    3: "Pas de fibre : VDSL",
    2: "Pas de fibre : ADSL",
    1: "Pas de fibre : 4G/5G seulement",
    0: "Aucune connexion internet",
}


def explanation_lines(
    snapshot: PremiseSnapshot, query: Query, row: int, distance_m: float, fail_bits: int
) -> list[str]:
    """Return one French sentence per weighted criterion, then one per failed constraint."""
    from matcher.domain import CONDITIONS, PREMISE_KINDS

    needs = query.needs
    F = snapshot.F[:, row].astype(float)
    B = snapshot.B[:, row].astype(int)
    lines: list[str] = []
    on = dict(zip(CRITERIA, query.weights > 0, strict=True))
    if on["distance"]:
        if needs.has_point and np.isfinite(distance_m):
            line = f"À {_km(distance_m)} du centre visé"
            if needs.radius_km is not None:
                line += f" (rayon {_km(needs.radius_km * 1000)})"
            lines.append(line)
        elif needs.target_insee_codes:
            inside = not fail_bits & FAIL_AREA
            lines.append("Dans les communes visées" if inside else "Hors des communes visées")
        else:
            lines.append("Localisation inconnue : à vérifier")
    a = F[F_AREA]
    if on["surface"]:
        lines.append(_surface_line(a, needs))
    if on["connectivity"]:
        lines.append(
            _CONNECTIVITY_TEXT.get(B[B_CONNECTIVITY], "Connectivité non renseignée : à vérifier")
        )
    if on["cost"]:
        lines.append(_cost_line(F, B, query))
    if on["condition"]:
        cond = B[B_CONDITION]
        lines.append(list(CONDITIONS.values())[cond] if cond >= 0 else "État non renseigné")
    flags = (
        ("pmr", B_PMR, "Accessible PMR", "Non accessible PMR"),
        ("ground_floor", B_GROUND, "Accès de plain-pied", "Pas d'accès de plain-pied"),
    )
    for code, j, yes, no in flags:
        if on[code]:
            v = B[j]
            lines.append(
                yes if v > 0 else no if v == 0 else f"{CRITERION_LABELS[code]} : non renseigné"
            )
    if on["station"]:
        st = F[F_STATION]
        lines.append(
            "Distance à la gare non renseignée"
            if np.isnan(st)
            else (f"Gare à {fr_number(st)} m" if st < 1000 else f"Gare à {_km(st)}")
        )
    if on["parking"]:
        pk = F[F_PARKING]
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
        kind = B[B_KIND]
        label = list(PREMISE_KINDS.values())[kind] if kind >= 0 else "Type de local inconnu"
        extra = "" if np.isnan(a) else f" : {fr_number(a)} m² réemployés"
        lines.append(f"{label}{extra}")
    if on["public_service"]:
        lines.append(_public_service_line(F))
    lines += [f"Contrainte non respectée : {r}" for r in failure_reasons(fail_bits)]
    return lines


def _surface_line(a: float, needs: ProjectNeeds) -> str:
    if np.isnan(a):
        return "Surface non renseignée"
    wants = []
    if needs.surface_target_m2 is not None:
        wants.append(f"cible {fr_number(needs.surface_target_m2)} m²")
    if needs.surface_min_m2 is not None:
        wants.append(f"min. {fr_number(needs.surface_min_m2)} m²")
    if needs.surface_max_m2 is not None:
        wants.append(f"max. {fr_number(needs.surface_max_m2)} m²")
    return f"Surface de {fr_number(a)} m² ({', '.join(wants)})"


def _cost_line(F: np.ndarray, B: np.ndarray, query: Query) -> str:
    ten = int(B[B_TENURE])
    c, b = cr.premise_cost(
        ten, F[F_PRICE], F[F_RENT], F[F_AREA], F[F_WORKS],
        query.params[P_BUDGET_SALE], query.params[P_MAX_RENT],
    )  # fmt: skip
    if ten == cr.TENURE_FREE:
        return "Mise à disposition gratuite"
    if np.isnan(c) or np.isnan(b):
        return "Coût non comparable au budget du projet : à vérifier"
    if ten in (cr.TENURE_LEASE, cr.TENURE_LONG_LEASE) or (ten < 0 and np.isnan(F[F_PRICE])):
        return f"Loyer de {fr_number(c)} €/an pour un maximum de {fr_number(b)} €/an"
    return f"Prix et travaux : {fr_number(c)} € pour un budget de {fr_number(b)} €"


#: How the explanation names each level of INSEE's 7-level density grid.
DENSITY_TEXT = {
    1: "grand centre urbain",
    2: "centre urbain intermédiaire",
    3: "ceinture urbaine",
    4: "petite ville",
    5: "bourg rural",
    6: "commune rurale à habitat dispersé",
    7: "commune rurale à habitat très dispersé",
}


def _territory_line(F: np.ndarray, B: np.ndarray) -> str:
    parts = []
    if B[B_QPV] > 0:
        parts.append("quartier prioritaire de la politique de la ville")
    if B[B_ACV] > 0:
        parts.append("Action Cœur de Ville")
    if B[B_PVD] > 0:
        parts.append("Petite Ville de Demain")
    if B[B_FRR] == 2:
        parts.append("zone France Ruralités Revitalisation « plus »")
    elif B[B_FRR] == 1:
        parts.append("zone France Ruralités Revitalisation")
    if B[B_DENSITY] in DENSITY_TEXT:
        parts.append(DENSITY_TEXT[int(B[B_DENSITY])])
    elif B[B_RURAL] > 0:
        parts.append("commune rurale")
    if B[B_METRO] == 0:
        parts.append("hors métropole")
    elif B[B_METRO] > 0:
        parts.append("dans une métropole")
    if not np.isnan(F[F_TL]):
        parts.append(f"tiers-lieu le plus proche à {_km(F[F_TL])}")
    if not np.isnan(F[F_POP]):
        parts.append(f"{fr_number(F[F_POP])} habitants à moins de 20 km")
    if not parts:
        return "Priorité territoriale : données non renseignées"
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


def _public_service_line(F: np.ndarray) -> str:
    d = F[F_FRANCE_SERVICES]
    if np.isnan(d):
        return "France Services la plus proche : non renseignée"
    return f"France Services la plus proche à {_km(d)}"
