"""Domain vocabulary shared by ingestion, storage, the engine and the app.

Codes are stable English identifiers stored in files and databases; labels
are what a user reads (French). Ordinal scales are listed best-last or with
explicit levels so the engine can turn them into numbers.
"""

from __future__ import annotations

from typing import Final

#: Kinds of premises the product serves (code -> French label).
PREMISE_KINDS: Final[dict[str, str]] = {
    "post_office": "Bureau de poste",
    "bank_branch": "Agence bancaire",
    "tourist_office": "Office de tourisme",
    "warehouse": "Entrepôt",
    "school": "École",
    "presbytery": "Presbytère",
    "industrial_friche": "Friche industrielle",
    "commercial_friche": "Friche commerciale",
    "public_building": "Autre bâtiment public",
    "shop": "Local commercial",
    "office": "Bureaux",
    # the other site types of the CNIG friches standard (industrial and commercial above)
    "agro_industrial_friche": "Friche agro-industrielle",
    "public_facility_friche": "Friche d'équipement public",
    "housing_friche": "Friche d'habitat",
    "education_friche": "Friche d'enseignement",
    "railway_friche": "Friche ferroviaire",
    "hospital_friche": "Friche hospitalière",
    "logistics_friche": "Friche logistique",
    "leisure_friche": "Friche de loisirs, tourisme ou hôtellerie",
    "military_friche": "Friche militaire",
    "port_friche": "Friche portuaire ou aéroportuaire",
    "mixed_friche": "Friche mixte",
    "unknown_friche": "Friche de type inconnu",
    "housing": "Logement",
    "other": "Autre",
}

#: Kinds counted as friches (reuse impact criterion).
FRICHE_KINDS: Final[frozenset[str]] = frozenset(
    {"industrial_friche", "commercial_friche"}
    | {code for code in PREMISE_KINDS if code.endswith("_friche")}
)

#: Building condition, from best (0) to worst (3): the 4 degradation levels of
#: the CNIG friches standard.
CONDITIONS: Final[dict[str, str]] = {
    "good": "Bon état",
    "light_works": "Travaux légers",
    "heavy_works": "Travaux lourds",
    "ruin": "Très dégradé / ruine",
}
CONDITION_LEVEL: Final[dict[str, int]] = {c: i for i, c in enumerate(CONDITIONS)}

#: Fixed-line / mobile connectivity, ordinal from none (0) to FTTH (4).
CONNECTIVITY: Final[dict[str, str]] = {
    "none": "Aucune connexion",
    "mobile_only": "4G/5G seulement",
    "adsl": "ADSL",
    "vdsl": "VDSL",
    "ftth": "Fibre (FTTH)",
}
CONNECTIVITY_LEVEL: Final[dict[str, int]] = {c: i for i, c in enumerate(CONNECTIVITY)}

#: Tenure offered for a premise, or sought by a project.
TENURES: Final[dict[str, str]] = {
    "sale": "Vente",
    "lease": "Bail",
    "long_lease": "Bail emphytéotique / longue durée",
    "free_provision": "Mise à disposition gratuite (convention d'occupation)",
}

#: Soil pollution (CNIG friches standard).
POLLUTION: Final[dict[str, str]] = {
    "none": "Inexistante",
    "unlikely": "Peu probable",
    "supposed": "Supposée",
    "proven": "Avérée",
}

#: Life cycle of a premise in the catalogue.
PREMISE_STATUSES: Final[dict[str, str]] = {
    "available": "Disponible",
    "reserved": "Réservé",
    "allocated": "Attribué",
    "withdrawn": "Retiré",
}

#: Life cycle of a project.
PROJECT_STATUSES: Final[dict[str, str]] = {
    "draft": "Brouillon",
    "active": "Actif",
    "closed": "Clos",
}

#: Modes of a bulk import (how rows in error are handled).
IMPORT_MODES: Final[dict[str, str]] = {
    "all_or_nothing": "tout ou rien",
    "valid_only": "lignes valides seulement",
}

#: Precision of a premise's point.
LOCATION_PRECISIONS: Final[dict[str, str]] = {
    "address": "adresse",
    "commune": "commune (mairie)",
}

#: Tiers-lieux project types; each has a weight preset in the scoring engine.
PROJECT_TYPES: Final[dict[str, str]] = {
    "coworking": "Espace de coworking",
    "fablab": "Fablab / makerspace",
    "shared_workshop": "Atelier partagé",
    "food": "Tiers-lieu nourricier / cuisine partagée",
    "cultural": "Tiers-lieu culturel",
    "digital_inclusion": "Inclusion numérique / France Services",
    "hybrid": "Tiers-lieu hybride",
}

#: Stages of a deal in the fund's pipeline, in order.
DEAL_STAGES: Final[dict[str, str]] = {
    "identified": "Identifié",
    "qualified": "Qualifié",
    "due_diligence": "Audit (due diligence)",
    "committee": "Comité d'investissement",
    "invested": "Investi",
    "converted": "Lieu ouvert",
    "declined": "Refusé",
}

#: Roles of a user account.
ROLES: Final[dict[str, str]] = {
    "owner": "Collectivité / propriétaire",
    "holder": "Porteur de projet",
    "fund": "Chargé d'investissement",
    "admin": "Administrateur",
}

#: Columns of a premise record (ingestion output, storage rows, engine input).
PREMISE_COLUMNS: Final[tuple[str, ...]] = (
    "premise_id",
    "kind",
    "name",
    "owner_org",
    "address",
    "insee_code",
    "lon",
    "lat",
    "location_precision",
    "floor_area_m2",
    "land_area_m2",
    "levels",
    "ground_floor_access",
    "condition",
    "works_estimate_eur",
    "tenure",
    "price_eur",
    "rent_eur_m2_year",
    "available_from",
    "connectivity",
    "distance_to_station_m",
    "parking_spaces",
    "pmr_accessible",
    "pollution",
    "heritage_listed",
    "status",
    "source",
    "source_id",
    "synthetic",
)

#: Columns of a project record.
PROJECT_COLUMNS: Final[tuple[str, ...]] = (
    "project_id",
    "name",
    "holder_org",
    "project_type",
    "activities",  # "|"-separated list of PROJECT_TYPES codes
    "target_lon",
    "target_lat",
    "radius_km",
    "target_insee_codes",  # "|"-separated list of INSEE codes (alternative to point + radius)
    "surface_min_m2",
    "surface_target_m2",
    "surface_max_m2",
    "budget_purchase_eur",
    "budget_works_eur",
    "max_rent_eur_year",
    "tenures",  # "|"-separated list of TENURES codes
    "fibre_required",
    "pmr_required",
    "ground_floor_required",
    "max_station_distance_m",
    "needed_by",
    "expected_jobs",
    "expected_users",
    "fabrique_territoire",
    "qpv_target",
    "hosts_public_service",  # hosts a public service (France Services...): gap criterion
    "source",
    "synthetic",
)
