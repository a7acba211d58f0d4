"""Post offices (La Poste contact points) and tiers-lieux lists (fablabs, Brittany, Occitanie).

Personal data (RGPD): phone numbers, e-mails, contact names, photos and
social-network handles are never copied into records; only what locates
and names a place is kept (see docs/rgpd.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.ingestion.adapters.base import Adapter, pick, require_columns
from matcher.ingestion.parsing import (
    looks_mojibake,
    map_vocabulary,
    normalize_text,
    parse_numbers,
    repair_mojibake,
)
from matcher.ingestion.readers import RawTable
from matcher.ingestion.report import ValidationReport
from matcher.ingestion.vocabulary import PROJECT_TYPE_WORDS

#: La Poste contact point types -> premise kind (a relay is a counter inside a shop).
LAPOSTE_KINDS = {
    "bureau_de_poste": "post_office",
    "agence_postale_communale": "post_office",
    "agence_postale_intercommunale": "post_office",
    "agence_postale_militaire": "post_office",
    "relais_poste_commercant": "shop",
    "relais_poste_urbain": "shop",
}


def laposte_transform(table: RawTable, report: ValidationReport):
    """Return candidate premises from La Poste's contact points (2016 or 2020 snapshot).

    Contact points are in use: their status is ``allocated`` (occupied); the
    demo derives vacated offices by comparing the two snapshots.
    """
    cols = {
        "source_id": "#Identifiant_du_site",
        "name": "Libellé_du_site",
        "postcode": "Code_postal",
        "commune_name": "Localité",
        "insee_code": "Code_INSEE",
        "lat": "Latitude",
        "lon": "Longitude",
    }
    if not require_columns(
        table,
        report,
        [*cols.values(), "Caractéristique_du_site", "Adresse", "Précision_du_géocodage"],
    ):
        return pd.DataFrame(), cols
    frame = pick(table, cols)
    f = table.frame
    parts = [
        f[c].fillna("").str.strip()
        for c in ("Adresse", "Complément_d_adresse", "Lieu_dit")
        if c in f
    ]
    address = parts[0]
    for p in parts[1:]:
        address = address.str.cat(p, sep=", ").str.replace(r"(, )+$", "", regex=True)
    frame["address"] = address.str.replace(r"^(, )+", "", regex=True)
    kind_key = f["Caractéristique_du_site"].map(normalize_text)
    frame["kind"] = kind_key.map(LAPOSTE_KINDS).fillna("other")
    unknown = (kind_key != "") & ~kind_key.isin(LAPOSTE_KINDS)
    for i in np.flatnonzero(unknown.to_numpy()):
        report.warning(
            int(table.lines[i]),
            "Caractéristique_du_site",
            f["Caractéristique_du_site"].iloc[i],
            "Type de point de contact inconnu : « Autre » retenu.",
        )
    frame["owner_org"] = "La Poste"
    frame["status"] = "allocated"
    centre = f["Précision_du_géocodage"].map(normalize_text).str.contains("centre_de_la_commune")
    frame["location_precision"] = np.where(centre, "commune", "address")
    mapping = {**cols, "kind": "Caractéristique_du_site", "address": "Adresse"}
    return frame, mapping


def fablabs_transform(table: RawTable, report: ValidationReport):
    """Return candidate tiers-lieux from the 2020 national fablab list (BAN-geocoded)."""
    cols = {
        "name": "titre_initiative",
        "insee_code": "result_citycode",
        "lat": "latitude",
        "lon": "longitude",
    }
    if not require_columns(
        table, report, [*cols.values(), "result_type", "result_score", "code_postal", "ville"]
    ):
        return pd.DataFrame(), cols
    frame = pick(table, cols)
    frame["name"] = frame["name"].str.replace(r"\s+", " ", regex=True).str.strip()
    f = table.frame
    frame["postcode"] = (
        f["code_postal"].str.strip().where(f["code_postal"].str.strip() != "", f["result_postcode"])
    )
    frame["commune_name"] = (
        f["ville"].str.strip().where(f["ville"].str.strip() != "", f["result_city"])
    )
    frame["kind"] = "fablab"
    score, _, _ = parse_numbers(f["result_score"])
    municipal = f["result_type"].isin(["municipality", "locality"]) | (score < 0.5)
    frame["location_precision"] = np.where(municipal, "commune", "address")
    for i in np.flatnonzero(((score < 0.5) & f["result_type"].ne("municipality")).to_numpy()):
        report.warning(
            int(table.lines[i]),
            "result_score",
            f["result_score"].iloc[i],
            "Géocodage peu fiable (score < 0,5) : précision ramenée à la commune.",
        )
    return frame, {**cols, "postcode": "code_postal", "commune_name": "ville"}


#: #MapLabBZH typology -> tiers-lieu kind.
BRETAGNE_KINDS = {
    "fablab": "fablab",
    "fablabmit": "fablab",
    "makerspace": "fablab",
    "hakerspace": "fablab",
    "hackerspace": "fablab",
    "cantine": "coworking",
    "usages": "digital_inclusion",
    "formation": "digital_inclusion",
    "tierslieu": "hybrid",
    "frenchtech": "hybrid",
}


def bretagne_transform(table: RawTable, report: ValidationReport):
    """Return candidate tiers-lieux from #MapLabBZH (GeoJSON points, postcode + town)."""
    cols = {
        "source_id": "id",
        "name": "name",
        "address": "adresse",
        "postcode": "cp",
        "commune_name": "ville",
    }
    if not require_columns(table, report, [*cols.values(), "structure"]):
        return pd.DataFrame(), cols
    frame = pick(table, cols)
    structure = table.frame["structure"].map(normalize_text).str.replace("_", "")
    frame["kind"] = structure.map(BRETAGNE_KINDS).fillna("")
    return frame, {**cols, "kind": "structure"}


def occitanie_transform(table: RawTable, report: ValidationReport):
    """Return candidate tiers-lieux from the 2017 Tiers-Lieux Occitanie export (mojibake repaired)."""
    cols = {
        "source_id": "ID",
        "name": "Nom",
        "lat": "Lat",
        "lon": "Lng",
        "address": "Adresse",
        "postcode": "Code postal",
        "commune_name": "Ville",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    frame = pick(table, cols)
    # 2017 export: a third of the rows lost their ID; name + postcode identify them
    no_id = frame["source_id"] == ""
    frame.loc[no_id, "source_id"] = (
        "nom:" + frame["name"].map(normalize_text) + ":" + frame["postcode"]
    )[no_id]
    for target in ("name", "address", "commune_name"):
        bad = frame[target].map(looks_mojibake)
        for i in np.flatnonzero(bad.to_numpy()):
            fixed = repair_mojibake(frame[target].iloc[i])
            report.warning(
                int(table.lines[i]),
                cols[target],
                frame[target].iloc[i],
                f"Texte mal encodé (double UTF-8) réparé en « {fixed} ».",
            )
            frame.loc[frame.index[i], target] = fixed
    text = frame["name"] + " " + table.frame.get("Description", pd.Series("", index=frame.index))
    kinds, _ = map_vocabulary(text.map(repair_mojibake), PROJECT_TYPE_WORDS)
    frame["kind"] = kinds.fillna("hybrid")  # free text: no warning when no keyword is found
    return frame, {**cols, "kind": "Nom"}


LAPOSTE = Adapter(
    name="laposte",
    kind="premises",
    folder="laposte_points_contact",
    filename="laposte_poincont2_2020.csv",
    title="La Poste, points de contact du réseau postal (2020)",
    licence="Licence Ouverte (présumée, La Poste open data)",
    transform=laposte_transform,
)
LAPOSTE_2016 = Adapter(
    name="laposte_2016",
    kind="premises",
    folder="laposte_points_contact",
    filename="laposte_poincont2_2016.csv",
    title="La Poste, points de contact du réseau postal (2016)",
    licence="Licence Ouverte (présumée, La Poste open data)",
    transform=laposte_transform,
)
FABLABS_2020 = Adapter(
    name="fablabs_2020",
    kind="tiers_lieux",
    folder="fablabs_france_2020",
    filename="FABLABS_agregation - export_all_fablabs_csv.geocoded.csv",
    title="Liste des fablabs de France (mars 2020, géocodée BAN)",
    licence="Licence Ouverte 2.0",
    transform=fablabs_transform,
)
BRETAGNE = Adapter(
    name="bretagne_tiers_lieux",
    kind="tiers_lieux",
    folder="tiers_lieux_bretagne_fablabs",
    filename="map_bzh_fablab.geojson",
    title="#MapLabBZH, fablabs et tiers-lieux de Bretagne (2020)",
    licence="CC BY 4.0",
    transform=bretagne_transform,
)
OCCITANIE = Adapter(
    name="occitanie_tiers_lieux",
    kind="tiers_lieux",
    folder="tiers_lieux_occitanie_2017",
    filename="tierslieuxoccitanie.xlsx",
    title="Réseau Tiers-Lieux Occitanie, annuaire (janvier 2017)",
    licence="aucune licence pour les données (site moissonné) : tests uniquement",
    transform=occitanie_transform,
)
