"""Friches inventories: Cartofriches (CNIG standard and site list) and the Ardennes observatory.

Owners' names are personal data when the owner is a natural person: only a
legal person's name (``personne morale``) is kept as ``owner_org``; natural
persons (``personne physique``, ``_X_``) are dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.ingestion.adapters.base import Adapter, pick, raw_data_dir, require_columns
from matcher.ingestion.parsing import normalize_text, parse_numbers
from matcher.ingestion.profiles import CNIG_FRICHES
from matcher.ingestion.readers import RawTable, read_table
from matcher.ingestion.report import ValidationReport

_NA = ("NA", "inconnu", "sans objet")
#: Declared land surface vs the parcel outline's geodesic area: above this relative gap, warn.
SURFACE_TOLERANCE = 0.25


def _owner_org(names: pd.Series, person: pd.Series) -> pd.Series:
    """Return legal persons' names only (RGPD): natural persons and ``_X_`` are dropped."""
    legal = person.map(normalize_text) == "personne_morale"
    keep = names.where(legal, "")
    return keep.where(~keep.str.contains("_X_", regex=False), "").str.replace(
        r"\s+", " ", regex=True
    )


def _heritage(values: pd.Series) -> pd.Series:
    norm = values.map(normalize_text)
    return pd.Series(
        np.select([norm.str.startswith("presence"), norm == "aucun"], ["oui", "non"], ""),
        index=values.index,
    )


def cartofriches_transform(table: RawTable, report: ValidationReport):
    """Return candidate premises from the CNIG friches standard export."""
    cols = {
        "source_id": "site_id",
        "name": "site_nom",
        "address": "site_adresse",
        "commune_name": "comm_nom",
        "insee_code": "comm_insee",
        "floor_area_m2": "bati_surface",
        "land_area_m2": "unite_fonciere_surface",
        "condition": "bati_etat",
        "pollution": "sol_pollution_existe",
        "status": "site_statut",
        "point": "geompoint",
    }
    if not require_columns(table, report, [*cols.values(), "site_type", "proprio_nom"]):
        return pd.DataFrame(), cols
    frame = pick(table, cols, na=_NA)
    # the site type is read as written: the CNIG profile maps its 14 types (« inconnu » and
    # « autre » are friches of unknown type) and tells a quarry from the other friches
    frame["kind"] = table.frame["site_type"]
    frame["owner_org"] = _owner_org(
        table.frame["proprio_nom"].replace("NA", ""), table.frame["proprio_personne"]
    )
    frame["heritage_listed"] = _heritage(table.frame["bati_patrimoine"])
    mapping = {
        **cols,
        "kind": "site_type",
        "owner_org": "proprio_nom",
        "heritage_listed": "bati_patrimoine",
    }
    # read only to tell the sites that cannot host a tiers-lieu (landfills, quarries...)
    for target, column in (
        ("former_activity", "activite_libelle"),
        ("reuse_type", "site_reconv_type"),
    ):
        if column in table.frame.columns:
            frame[target] = table.frame[column]
            mapping[target] = column
    return frame, mapping


def cartofriches_sites_transform(table: RawTable, report: ValidationReport):
    """Return candidate premises from the national site list (id, origin, status, point)."""
    cols = {"source_id": "site_id", "status": "site_statut", "point": "geom"}
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    frame = pick(table, cols, na=_NA)
    frame["insee_code"] = frame["source_id"].str.split("_").str[0]
    frame["kind"] = "unknown_friche"  # the list gives no site type
    frame["name"] = ""
    return frame, {**cols, "insee_code": "site_id"}


def _fr(value: float) -> str:
    """Return a whole number with French thousands spacing.

    >>> _fr(83562.4)
    '83 562'
    """
    return f"{value:,.0f}".replace(",", " ")


def _ardennes_polygons(table: RawTable, report: ValidationReport) -> list | None:
    """Return the parcel polygon of each row from the sibling ``friches.geojson`` (by site_id)."""
    path = table.path.with_name("friches.geojson")
    if not path.exists():
        return None
    polygons = read_table(path)
    by_id = dict(zip(polygons.frame["site_id"], polygons.geometry or [], strict=False))
    return [by_id.get(sid) for sid in table.frame["site_id"]]


def ardennes_transform(table: RawTable, report: ValidationReport):
    """Return candidate premises from the Ardennes friches observatory (table + polygons)."""
    cols = {
        "source_id": "site_id",
        "name": "site_nom",
        "address": "site_adresse",
        "status": "site_statut",
        "commune_name": "comm_nom",
        "insee_code": "comm_insee",
        "floor_area_m2": "bati_surface",
        "land_area_m2": "unite_fonciere_surface",
        "pollution": "sol_pollution_existe",
        "lon": "longitude",
        "lat": "latitude",
    }
    if not require_columns(
        table, report, [*cols.values(), "site_type", "proprio_nom", "proprio_personne"]
    ):
        return pd.DataFrame(), cols
    frame = pick(table, cols)
    # the site type is read as written: the CNIG profile maps its 14 types (« inconnu » and
    # « autre » are friches of unknown type) and tells a quarry from the other friches
    frame["kind"] = table.frame["site_type"]
    frame["owner_org"] = _owner_org(table.frame["proprio_nom"], table.frame["proprio_personne"])
    polygons = _ardennes_polygons(table, report)
    if polygons is not None:
        from pyproj import Geod
        from shapely.validation import explain_validity

        geod = Geod(ellps="WGS84")
        declared, _, _ = parse_numbers(frame["land_area_m2"])
        for i, g in enumerate(polygons):
            if g is None:
                continue
            if not g.is_valid:
                report.error(
                    int(table.lines[i]),
                    "friches.geojson",
                    table.frame["site_id"].iloc[i],
                    f"Polygone de l'unité foncière invalide ({explain_validity(g)}).",
                )
                continue
            area_m2 = abs(geod.geometry_area_perimeter(g)[0])
            d = declared.iloc[i]
            if np.isfinite(d) and d > 0 and abs(area_m2 - d) > SURFACE_TOLERANCE * d:
                report.warning(
                    int(table.lines[i]),
                    cols["land_area_m2"],
                    f"{d:.0f}",
                    f"Surface déclarée {_fr(d)} m² mais le contour mesure {_fr(area_m2)} m² : "
                    "surface déclarée conservée, à vérifier.",
                )
    return frame, {**cols, "kind": "site_type", "owner_org": "proprio_nom"}


CARTOFRICHES = Adapter(
    name="cartofriches",
    kind="premises",
    folder="cartofriches_standard",
    filename="friches_standard_test.csv",
    title="Cartofriches (Cerema), export au standard CNIG friches",
    licence="Licence Ouverte 2.0",
    transform=cartofriches_transform,
    profile=CNIG_FRICHES,
)
CARTOFRICHES_SITES = Adapter(
    name="cartofriches_sites",
    kind="premises",
    folder="cartofriches_liste_sites",
    filename="listes_friches_ok.csv",
    title="Cartofriches (Cerema), liste nationale des sites",
    licence="Licence Ouverte 2.0",
    transform=cartofriches_sites_transform,
)
ARDENNES_FRICHES = Adapter(
    name="ardennes_friches",
    kind="premises",
    folder="friches_ardennes_obs",
    filename="data.csv",
    title="Observatoire des friches des Ardennes (DDT 08)",
    licence="non précisée (données publiques DDT 08 ; Licence Ouverte 2.0 présumée, non confirmée)",
    transform=ardennes_transform,
    profile=CNIG_FRICHES,
)

__all__ = ["ARDENNES_FRICHES", "CARTOFRICHES", "CARTOFRICHES_SITES", "raw_data_dir"]
