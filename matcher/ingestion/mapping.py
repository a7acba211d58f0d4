"""Column mapping: recognise the usual French column names, or follow an explicit mapping.

A mapping says, for each target field of a record, which column of the file
holds it: ``{"floor_area_m2": "Surface utile (m²)", "insee_code": "INSEE"}``.
It is found automatically from the headers (:func:`auto_mapping`) and can be
overridden by a JSON file saved per source (:func:`save_mapping`), so the
next import of the same source needs no manual work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from matcher import settings
from matcher.errors import ImportFileError, ValidationError
from matcher.ingestion.parsing import normalize_text

#: Target fields -> normalised header names that mean them (first match wins).
#: A plain « propriétaire » column is deliberately not recognised: it may name
#: natural persons (RGPD); map it explicitly only when it holds organisations.
#: Order matters: a header is given to the first field that claims it.
PREMISE_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "source_id": (
        "source_id",
        "identifiant",
        "id",
        "site_id",
        "identifiant_du_site",
        "ref",
        "reference",
        "numero",
    ),
    "name": (
        "name",
        "nom",
        "libelle",
        "site_nom",
        "libelle_du_site",
        "designation",
        "intitule",
        "titre",
    ),
    "kind": (
        "kind",
        "type",
        "type_de_local",
        "type_local",
        "nature",
        "categorie",
        "site_type",
        "typologie",
    ),
    "owner_org": (
        "owner_org",
        "organisation",
        "organisme",
        "gestionnaire",
        "collectivite",
        "organisation_proprietaire",
    ),
    "address": ("address", "adresse", "site_adresse", "adresse_postale", "voie", "rue"),
    "postcode": ("postcode", "code_postal", "cp", "codepostal"),
    "commune_name": (
        "commune_name",
        "commune",
        "ville",
        "localite",
        "comm_nom",
        "nom_commune",
        "libelle_commune",
    ),
    "insee_code": (
        "insee_code",
        "code_insee",
        "insee",
        "code_commune",
        "comm_insee",
        "codgeo",
        "code_commune_insee",
        "citycode",
        "result_citycode",
        "depcom",
    ),
    "lon": ("lon", "longitude", "lng", "long", "x_wgs84", "lon_wgs84"),
    "lat": ("lat", "latitude", "y_wgs84", "lat_wgs84"),
    "x": ("x", "x_l93", "x_lambert93", "x_lambert_93", "coord_x", "xl93"),
    "y": ("y", "y_l93", "y_lambert93", "y_lambert_93", "coord_y", "yl93"),
    "point": ("point", "geompoint", "geom", "wkt", "geometry", "geometrie", "geo_point"),
    "floor_area_m2": (
        "floor_area_m2",
        "surface",
        "superficie",
        "surface_m2",
        "surface_utile",
        "surface_utile_m2",
        "surface_plancher",
        "shon",
        "bati_surface",
        "surface_bati",
        "surface_reelle_bati",
        "sdp",
    ),
    "land_area_m2": (
        "land_area_m2",
        "surface_terrain",
        "surface_parcelle",
        "unite_fonciere_surface",
        "superficie_terrain",
        "surface_fonciere",
    ),
    "levels": ("levels", "niveaux", "nb_niveaux", "etages", "nombre_de_niveaux"),
    "ground_floor_access": ("ground_floor_access", "rez_de_chaussee", "plain_pied", "acces_rdc"),
    "condition": ("condition", "etat", "etat_du_batiment", "bati_etat", "etat_bati"),
    "works_estimate_eur": (
        "works_estimate_eur",
        "travaux",
        "montant_travaux",
        "cout_travaux",
        "estimation_travaux",
    ),
    "tenure": (
        "tenure",
        "mode_de_cession",
        "cession",
        "type_de_mise_a_disposition",
        "mise_a_disposition",
        "regime",
    ),
    "price_eur": ("price_eur", "prix", "prix_de_vente", "valeur_fonciere", "prix_eur"),
    "rent_eur_m2_year": (
        "rent_eur_m2_year",
        "loyer_m2_an",
        "loyer_eur_m2_an",
        "loyer_annuel_m2",
        "loyer",
    ),
    "available_from": ("available_from", "disponible_le", "date_de_disponibilite", "disponibilite"),
    "connectivity": ("connectivity", "connexion", "fibre", "internet", "connectivite", "debit"),
    "parking_spaces": ("parking_spaces", "places_de_parking", "parking", "stationnement"),
    "pmr_accessible": (
        "pmr_accessible",
        "pmr",
        "accessible_pmr",
        "accessibilite",
        "accessibilite_pmr",
    ),
    "pollution": ("pollution", "sol_pollution_existe", "pollution_des_sols"),
    "heritage_listed": ("heritage_listed", "patrimoine", "monument_historique", "bati_patrimoine"),
    "status": ("status", "statut", "site_statut", "etat_de_commercialisation"),
}

PROJECT_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "source_id": ("source_id", "identifiant", "id", "ref", "reference"),
    "name": ("name", "nom", "nom_du_projet", "projet", "intitule", "titre"),
    "holder_org": (
        "holder_org",
        "structure",
        "structure_porteuse",
        "organisation",
        "organisme",
        "association",
    ),
    "project_type": ("project_type", "type", "type_de_projet", "typologie", "categorie"),
    "activities": ("activities", "activites", "activite"),
    "insee_code": ("insee_code", "code_insee", "insee", "code_commune", "commune_cible"),
    "commune_name": ("commune_name", "commune", "ville", "localite"),
    "postcode": ("postcode", "code_postal", "cp"),
    "target_lon": ("target_lon", "lon", "longitude", "lng"),
    "target_lat": ("target_lat", "lat", "latitude"),
    "radius_km": ("radius_km", "rayon_km", "rayon", "rayon_de_recherche_km"),
    "surface_min_m2": ("surface_min_m2", "surface_min", "surface_minimale", "surface_minimum"),
    "surface_target_m2": (
        "surface_target_m2",
        "surface",
        "surface_cible",
        "surface_souhaitee",
        "superficie",
    ),
    "surface_max_m2": ("surface_max_m2", "surface_max", "surface_maximale", "surface_maximum"),
    "budget_purchase_eur": ("budget_purchase_eur", "budget_acquisition", "budget_achat"),
    "budget_works_eur": ("budget_works_eur", "budget_travaux"),
    "max_rent_eur_year": ("max_rent_eur_year", "loyer_max", "loyer_maximum", "loyer_annuel_max"),
    "tenures": ("tenures", "mode_d_occupation", "occupation_souhaitee", "tenure"),
    "fibre_required": ("fibre_required", "fibre", "fibre_obligatoire"),
    "pmr_required": ("pmr_required", "pmr", "accessibilite_pmr"),
    "ground_floor_required": ("ground_floor_required", "rez_de_chaussee", "plain_pied"),
    "max_station_distance_m": ("max_station_distance_m", "distance_gare_max_m", "distance_gare_m"),
    "needed_by": ("needed_by", "date_souhaitee", "besoin_au", "echeance"),
    "expected_jobs": ("expected_jobs", "emplois", "emplois_prevus", "nb_emplois"),
    "expected_users": ("expected_users", "usagers", "usagers_prevus", "nb_usagers"),
    "fabrique_territoire": ("fabrique_territoire", "fabrique_de_territoire", "fabrique"),
    "qpv_target": ("qpv_target", "qpv", "quartier_prioritaire"),
    "hosts_public_service": ("hosts_public_service", "service_public", "france_services"),
}

TIERS_LIEUX_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "source_id": ("source_id", "identifiant", "id", "ref"),
    "name": ("name", "nom", "titre", "titre_initiative", "libelle", "nom_du_lieu"),
    "kind": ("kind", "type", "structure", "typologie", "categorie", "tag_produit_niv1_code"),
    "activities": ("activities", "activites"),
    "address": ("address", "adresse"),
    "postcode": ("postcode", "code_postal", "cp"),
    "commune_name": ("commune_name", "commune", "ville", "localite"),
    "insee_code": (
        "insee_code",
        "code_insee",
        "insee",
        "code_commune",
        "result_citycode",
        "citycode",
    ),
    "lon": ("lon", "longitude", "lng", "long"),
    "lat": ("lat", "latitude"),
    "x": ("x", "x_l93", "x_lambert93"),
    "y": ("y", "y_l93", "y_lambert93"),
    "point": ("point", "geompoint", "geom", "wkt"),
}

SYNONYMS_BY_KIND: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "premises": PREMISE_SYNONYMS,
    "projects": PROJECT_SYNONYMS,
    "tiers_lieux": TIERS_LIEUX_SYNONYMS,
}


def auto_mapping(columns: list[str], kind: str = "premises") -> dict[str, str]:
    """Return ``{target field: file column}`` recognised from the headers.

    Exact normalised matches win over prefix matches (``surface_utile_m2``
    matches ``surface_utile``); a column is used for one field only.

    >>> auto_mapping(["Code INSEE", "Superficie (m²)", "Lat", "Lon", "Commune"])
    {'commune_name': 'Commune', 'insee_code': 'Code INSEE', 'lon': 'Lon', 'lat': 'Lat', 'floor_area_m2': 'Superficie (m²)'}
    """
    synonyms = SYNONYMS_BY_KIND[kind]
    norm = {c: normalize_text(c) for c in columns}
    taken: set[str] = set()
    found: dict[str, str] = {}
    for exact in (True, False):
        for target, names in synonyms.items():
            if target in found:
                continue
            for name in names:
                hit = next(
                    (
                        c
                        for c in columns
                        if c not in taken
                        and (norm[c] == name if exact else norm[c].startswith(name + "_"))
                    ),
                    None,
                )
                if hit is not None:
                    found[target] = hit
                    taken.add(hit)
                    break
    order = list(synonyms)
    return dict(sorted(found.items(), key=lambda kv: order.index(kv[0])))


def resolve_mapping(
    columns: list[str], kind: str = "premises", explicit: dict[str, str] | None = None
) -> dict[str, str]:
    """Return the mapping to use: the automatic one, overridden by ``explicit``.

    An explicit entry whose value is empty removes the automatic guess. Raises
    :class:`ValidationError` if the explicit mapping names a column the file
    does not have, or an unknown target field.
    """
    synonyms = SYNONYMS_BY_KIND[kind]
    mapping = auto_mapping(columns, kind)
    for target, column in (explicit or {}).items():
        if target not in synonyms:
            raise ValidationError(
                f"Correspondance de colonnes : champ cible inconnu « {target} » "
                f"(champs possibles : {', '.join(synonyms)}).",
                field=target,
                value=column,
            )
        if not column:
            mapping.pop(target, None)
            continue
        if column not in columns:
            raise ValidationError(
                f"Correspondance de colonnes : la colonne « {column} » (pour « {target} ») "
                f"n'existe pas dans le fichier (colonnes : {', '.join(columns)}).",
                field=target,
                value=column,
            )
        for other, col in list(mapping.items()):
            if col == column and other != target:
                del mapping[other]
        mapping[target] = column
    return mapping


def mapping_dir() -> Path:
    """Return the folder where explicit mappings are saved, one JSON file per source."""
    return settings.data_dir() / "mappings"


def _safe_source(source: str) -> str:
    name = normalize_text(source)
    if not name:
        raise ValidationError(f"Nom de source invalide : « {source} ».", value=source)
    return name


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """Return the mapping stored in a JSON file (``{"columns": {...}}`` or a flat object)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ImportFileError(
            f"Fichier de correspondance introuvable : « {path} ».", path=str(path)
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(
            f"Fichier de correspondance « {path.name} » illisible : JSON invalide ({exc}).",
            path=str(path),
        ) from exc
    columns = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ImportFileError(
            f"Fichier de correspondance « {path.name} » : attendu un objet "
            '{"champ": "colonne du fichier"}.',
            path=str(path),
        )
    return dict(columns)


def save_mapping(source: str, mapping: dict[str, str]) -> Path:
    """Save the explicit mapping of a source; return the file written."""
    path = mapping_dir() / f"{_safe_source(source)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"source": source, "columns": mapping}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return path


def saved_mapping(source: str | None) -> dict[str, str] | None:
    """Return the mapping saved for ``source``, or None."""
    if not source:
        return None
    path = mapping_dir() / f"{_safe_source(source)}.json"
    return load_mapping_file(path) if path.exists() else None
