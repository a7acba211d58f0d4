"""Known file layouts, recognised from their headers and values: CNIG friches, La Poste, DVF...

A profile tells the automatic mapping which columns to prefer (a CNIG file's
floor area is ``bati_surface``, its land area ``unite_fonciere_surface``),
which columns never to use (a DVF ``nom_departement`` is not a premise's
name), the values to assume when a field has no column (La Poste's contact
points are in use) and the few derivations a layout needs (DVF repeats a
multi-premise sale on every row). The user is told which profile was
recognised: « Fichier reconnu : standard CNIG des friches ».
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from matcher.ingestion.columns import blank_missing
from matcher.ingestion.parsing import normalize_text, parse_numbers
from matcher.ingestion.report import ValidationReport

#: ``prepare(table_frame, candidates, mapping, report, lines, state)`` adds derived fields in place.
Prepare = Callable[
    [pd.DataFrame, pd.DataFrame, dict[str, str], ValidationReport, np.ndarray, dict], None
]


@dataclass(frozen=True)
class Profile:
    """A known layout: how to recognise it, and how its columns map to premise fields."""

    key: str
    label: str
    #: Normalised headers typical of the layout, and how many must be present.
    markers: frozenset[str] = frozenset()
    min_markers: int = 0
    #: Target field -> normalised headers to use first, in order.
    prefer: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Target fields never mapped automatically for this layout.
    exclude: frozenset[str] = frozenset()
    #: Target field -> value assumed when no column holds it.
    defaults: dict[str, str] = field(default_factory=dict)
    #: Whole cells (normalised) -> kind, tried before the general vocabulary.
    kind_exact: dict[str, str] = field(default_factory=dict)
    prepare: Prepare | None = None
    #: Checks the values once the headers match (``frame -> bool``).
    confirm: Callable[[pd.DataFrame], bool] | None = None
    #: Said to the user after the label (what the layout means for the import).
    note: str = ""
    #: Oldest geography year files of this layout use (their codes may predate splits).
    vintage: int | None = None

    def score(self, frame: pd.DataFrame) -> int:
        """Return how many markers the headers hold (0 if too few, or if the values disagree)."""
        headers = {normalize_text(c) for c in frame.columns}
        hits = len(self.markers & headers)
        if not self.markers or hits < self.min_markers:
            return 0
        if self.confirm is not None and len(frame) and not self.confirm(frame):
            return 0
        return hits


def column_named(frame: pd.DataFrame, *names: str) -> str | None:
    """Return the first column of ``frame`` whose normalised header is one of ``names``."""
    by_norm: dict[str, str] = {}
    for c in frame.columns:
        by_norm.setdefault(normalize_text(c), c)
    return next((by_norm[n] for n in names if n in by_norm), None)


def _share_containing(frame: pd.DataFrame, names: tuple[str, ...], word: str) -> float:
    col = column_named(frame, *names)
    if col is None:
        return 0.0
    text = blank_missing(frame[col])
    filled = text[text != ""]
    if filled.empty:
        return 0.0
    return float(filled.map(normalize_text).str.contains(word, regex=False).mean())


def _cnig_confirm(frame: pd.DataFrame) -> bool:
    # statuses « friche potentielle / sans projet / avec projet / reconvertie »
    return _share_containing(frame, ("site_statut",), "friche") >= 0.5 or (
        _share_containing(frame, ("site_type",), "friche") >= 0.3
    )


CNIG_FRICHES: Final = Profile(
    key="cnig_friches",
    label="standard CNIG des friches",
    markers=frozenset(
        {
            "site_id",
            "site_numero",
            "site_nom",
            "site_type",
            "site_statut",
            "site_adresse",
            "comm_insee",
            "comm_nom",
            "bati_surface",
            "bati_etat",
            "unite_fonciere_surface",
            "sol_pollution_existe",
            "geompoint",
        }
    ),
    min_markers=5,
    prefer={
        "source_id": ("site_id", "site_numero"),
        "name": ("site_nom",),
        "kind": ("site_type",),
        "address": ("site_adresse",),
        "commune_name": ("comm_nom",),
        "insee_code": ("comm_insee",),
        "lon": ("longitude",),
        "lat": ("latitude",),
        "point": ("geompoint",),
        "floor_area_m2": ("bati_surface",),
        "land_area_m2": ("unite_fonciere_surface", "site_surface"),
        "condition": ("bati_etat",),
        "pollution": ("sol_pollution_existe",),
        "heritage_listed": ("bati_patrimoine",),
        "status": ("site_statut",),
        "former_activity": ("activite_libelle",),
        "reuse_type": ("site_reconv_type",),
    },
    defaults={"kind": "unknown_friche"},
    # « autre » and « inconnu » site types are friches of unknown type, not « Autre » premises
    kind_exact={"autre": "unknown_friche"},
    confirm=_cnig_confirm,
    note=(
        "friches avec projet importées « réservées », friches reconverties « retirées » ; "
        "la surface de plancher (bati_surface) et celle du terrain (unite_fonciere_surface) "
        "sont distinctes."
    ),
)


def _insee_from_site_id(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    mapping: dict[str, str],
    report: ValidationReport,
    lines: np.ndarray,
    state: dict,
) -> None:
    """Declare the commune of a CNIG ``site_id`` (INSEE code + ``_`` + number) when none is given.

    The point alone places a site; the declared code also lets a point on the
    coast or in a recently merged commune be kept (see :mod:`matcher.ingestion.locate`).
    """
    col = mapping.get("source_id")
    if col is None or "insee_code" in mapping:
        return
    prefix = (
        frame["source_id"].fillna("").astype(str).str.extract(r"^(\d{5}|2[AB]\d{3})_", expand=False)
    )
    if prefix.notna().mean() >= 0.5:
        frame["insee_code"] = prefix.fillna("")
        mapping["insee_code"] = col


CARTOFRICHES_LIST: Final = Profile(
    key="cartofriches_list",
    label="liste des sites Cartofriches",
    markers=frozenset({"site_id", "nature", "nom_prodcartofriches", "site_statut", "geom"}),
    min_markers=4,
    prefer={"source_id": ("site_id",), "status": ("site_statut",), "point": ("geom",)},
    # « nature » is the origin of the record (BASIAS, observatoire...), not a building type
    exclude=frozenset({"name", "kind"}),
    defaults={"kind": "unknown_friche"},
    prepare=_insee_from_site_id,
    note="sites sans type ni surface : importés comme friches de type inconnu.",
)


def _laposte_confirm(frame: pd.DataFrame) -> bool:
    return _share_containing(frame, ("caracteristique_du_site",), "poste") >= 0.5


def _laposte_prepare(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    mapping: dict[str, str],
    report: ValidationReport,
    lines: np.ndarray,
    state: dict,
) -> None:
    """Join the address lines (address, complement, lieu-dit) as one address."""
    if "address" not in mapping or mapping["address"] != column_named(table, "adresse"):
        return
    parts = [
        blank_missing(table[c])
        for c in (column_named(table, n) for n in ("complement_d_adresse", "lieu_dit"))
        if c is not None
    ]
    address = frame["address"].fillna("").astype(str).str.strip()
    for part in parts:
        both = (address != "") & (part != "")
        address = address.where(~both, address + ", " + part).where(address != "", part)
    frame["address"] = address


LAPOSTE: Final = Profile(
    key="laposte",
    label="points de contact de La Poste",
    vintage=2020,  # the newest published list: a commune split since, the point decides
    markers=frozenset(
        {
            "identifiant_du_site",
            "libelle_du_site",
            "caracteristique_du_site",
            "site_acores_de_rattachement",
            "precision_du_geocodage",
            "latlong",
            "localite",
        }
    ),
    min_markers=4,
    prefer={
        "source_id": ("identifiant_du_site",),
        "name": ("libelle_du_site",),
        "kind": ("caracteristique_du_site",),
        "address": ("adresse",),
        "postcode": ("code_postal",),
        "commune_name": ("localite",),
        "insee_code": ("code_insee",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "geocoding_precision": ("precision_du_geocodage",),
    },
    defaults={"owner_org": "La Poste", "status": "allocated"},
    prepare=_laposte_prepare,
    confirm=_laposte_confirm,
    note="points de contact en activité : importés « attribués » (occupés).",
)


def _dvf_prepare(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    mapping: dict[str, str],
    report: ValidationReport,
    lines: np.ndarray,
    state: dict,
) -> None:
    """One id per row (sale + rank in the sale); a multi-premise sale's price left unattributed."""
    col = column_named(table, "id_mutation")
    if col is None:
        return
    ids = blank_missing(table[col]).reset_index(drop=True)
    seen: dict[str, int] = state.setdefault("dvf_seen", {})
    rank = np.empty(len(ids), dtype=np.int64)
    for i, sale in enumerate(ids.to_numpy(dtype=object)):
        seen[sale] = seen.get(sale, 0) + 1
        rank[i] = seen[sale]
    if "source_id" not in mapping:
        frame["source_id"] = np.where(ids != "", ids + "-" + rank.astype(str), "")
        mapping["source_id"] = col
    kind_col, town_col = column_named(table, "type_local"), column_named(table, "nom_commune")
    if "name" not in mapping and kind_col is not None:
        # DVF names no premise: « Maison, Albi (vente 2020-74706) » says what was sold, where
        kind = blank_missing(table[kind_col]).reset_index(drop=True)
        town = (
            blank_missing(table[town_col]).reset_index(drop=True)
            if town_col is not None
            else pd.Series("", index=kind.index)
        )
        where = np.where(town != "", ", " + town, "")
        sale = np.where(ids != "", " (vente " + ids + ")", "")
        frame["name"] = np.where(kind != "", kind + where + sale, "")
        mapping["name"] = kind_col
    price_col = column_named(table, "valeur_fonciere")
    if mapping.get("price_eur") != price_col or price_col is None:
        return
    size = ids.map(ids.value_counts())
    price = frame["price_eur"].fillna("").astype(str)
    numbers, _, _ = parse_numbers(price)
    shared = ((size > 1) & (ids != "") & numbers.notna()).to_numpy()
    for i in np.flatnonzero(shared):
        report.warning(
            int(lines[i]),
            price_col,
            price.iloc[i],
            f"Prix d'une vente de plusieurs lots : {int(size.iloc[i])} lots vendus ensemble "
            f"(mutation {ids.iloc[i]}), le prix n'est pas attribué à ce seul local (laissé inconnu).",
        )
    frame.loc[frame.index[shared], "price_eur"] = ""


def _dvf_confirm(frame: pd.DataFrame) -> bool:
    col = column_named(frame, "valeur_fonciere")
    if col is None:
        return True
    numbers, unreadable, _ = parse_numbers(blank_missing(frame[col]))
    return bool(numbers.notna().mean() >= 0.5)


DVF: Final = Profile(
    key="dvf",
    label="mutations DVF (demandes de valeurs foncières)",
    markers=frozenset(
        {
            "id_mutation",
            "date_mutation",
            "nature_mutation",
            "valeur_fonciere",
            "type_local",
            "code_type_local",
            "surface_reelle_bati",
            "id_parcelle",
            "nombre_pieces_principales",
        }
    ),
    min_markers=3,
    prefer={
        "kind": ("type_local",),
        "floor_area_m2": ("surface_reelle_bati",),
        "land_area_m2": ("surface_terrain",),
        "price_eur": ("valeur_fonciere",),
        "insee_code": ("code_commune",),
        "commune_name": ("nom_commune",),
        "postcode": ("code_postal",),
        "lon": ("longitude",),
        "lat": ("latitude",),
    },
    exclude=frozenset({"name", "source_id", "status", "available_from"}),
    prepare=_dvf_prepare,
    confirm=_dvf_confirm,
    note=(
        "une ligne par lot vendu : identifiant = mutation + rang du lot ; le prix d'une vente "
        "de plusieurs lots n'est attribué à aucun d'eux."
    ),
)


def _template_profile() -> Profile:
    from matcher.ingestion.synonyms import PREMISE_FIELD_LABELS
    from matcher.ingestion.template import TEMPLATE_FIELDS

    names = {f: normalize_text(PREMISE_FIELD_LABELS[f]) for f in TEMPLATE_FIELDS}
    return Profile(
        key="template",
        label="modèle d'import de locaux de l'outil",
        markers=frozenset(names.values()),
        min_markers=8,
        prefer={f: (n,) for f, n in names.items()},
    )


TEMPLATE: Final = _template_profile()

GENERIC: Final = Profile(
    key="generic",
    label="tableau simple (colonnes reconnues par leur nom et leurs valeurs)",
)

#: Profiles of premises files, the most specific first.
PREMISE_PROFILES: Final[tuple[Profile, ...]] = (
    TEMPLATE,
    CNIG_FRICHES,
    CARTOFRICHES_LIST,
    LAPOSTE,
    DVF,
)


def detect_profile(frame: pd.DataFrame, kind: str = "premises") -> Profile:
    """Return the known layout of a table (headers and values), or the generic one.

    >>> detect_profile(pd.DataFrame(columns=["site_id", "site_nom", "site_type", "comm_insee",
    ...     "unite_fonciere_surface", "bati_surface", "geompoint"])).label
    'standard CNIG des friches'
    >>> detect_profile(pd.DataFrame(columns=["nom", "surface"])).key
    'generic'
    """
    if kind != "premises":
        return GENERIC
    best, best_score = GENERIC, 0
    for profile in PREMISE_PROFILES:
        score = profile.score(frame)
        if score > best_score:
            best, best_score = profile, score
    return best


def profile_by_key(key: str) -> Profile:
    """Return the profile named ``key`` (the generic one if unknown)."""
    return next((p for p in PREMISE_PROFILES if p.key == key), GENERIC)
