"""French words found in files -> the codes of :mod:`matcher.domain`.

Keywords are matched on normalised text (lower case, no accents, ``_``
between words); the first code in each dictionary's order wins, so more
specific entries come first.
"""

from __future__ import annotations

from typing import Final

#: Cells meaning "unknown": treated as empty, without a warning.
UNKNOWN_WORDS: Final[frozenset[str]] = frozenset(
    {"inconnu", "inconnue", "sans_objet", "na", "nc", "n_c", "non_renseigne", "nr", "ne_sait_pas"}
)

PREMISE_KIND_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "industrial_friche": (
        "friche_industrielle",
        "agro_industrielle",
        "friche_ferroviaire",
        "friche_militaire",
        "friche_portuaire",
        "friche_logistique",
        "friche_agricole",
        "friche_mixte",
        "friche_d_activite",
    ),
    "commercial_friche": (
        "friche_commerciale",
        "friche_tertiaire",
        "friche_touristique",
        "friche_hoteliere",
    ),
    "post_office": ("bureau_de_poste", "agence_postale", "relais_poste", "poste"),
    "bank_branch": ("agence_bancaire", "banque", "bancaire"),
    "tourist_office": ("office_de_tourisme", "tourisme"),
    "presbytery": ("presbytere", "cure"),
    "school": ("ecole", "enseignement", "scolaire", "college", "lycee"),
    "warehouse": ("entrepot", "hangar", "logistique", "depot"),
    "public_building": (
        "batiment_public",
        "mairie",
        "equipement",
        "hospital",
        "sante",
        "administratif",
        "caserne",
        "gendarmerie",
        "friche_d_habitat",
        "habitat",
    ),
    "shop": ("local_commercial", "commerce", "boutique", "magasin", "commercial"),
    "office": ("bureaux", "bureau", "tertiaire"),
    "other": ("autre", "inconnu", "friche"),
}

CONDITION_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "ruin": ("ruine", "tres_degrade", "effondre", "tres_mauvais", "degradation_tres_importante"),
    "heavy_works": ("travaux_lourds", "lourd", "degradation_importante", "degrade", "mauvais"),
    "light_works": ("travaux_legers", "leger", "rafraichissement", "moyen", "correct"),
    "good": ("bon", "neuf", "renove", "excellent", "degradation_inexistante", "faible"),
}

TENURE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "long_lease": ("emphyteot", "bail_a_construction", "longue_duree", "bea"),
    "free_provision": (
        "gratuit",
        "mise_a_disposition",
        "convention",
        "pret",
        "aot",
        "occupation_temporaire",
    ),
    "lease": ("bail", "location", "louer", "loyer", "locat"),
    "sale": ("vente", "cession", "vendre", "achat", "acquisition"),
}

CONNECTIVITY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "ftth": ("fibre", "ftth", "thd", "tres_haut_debit"),
    "vdsl": ("vdsl",),
    "adsl": ("adsl", "dsl", "cuivre"),
    "mobile_only": ("4g", "5g", "mobile"),
    "none": ("aucun", "sans", "non"),
}

POLLUTION_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "unlikely": ("peu_probable", "improbable", "traite", "depollue"),
    "supposed": ("suppose", "potentiel", "presum", "suspect"),
    "proven": ("aver", "prouv", "oui", "confirme"),
    "none": ("inexistant", "aucune", "non", "absente"),
}

STATUS_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "withdrawn": ("retire", "demoli", "reconverti", "detruit"),
    "allocated": ("attribue", "occupe", "vendu", "loue"),
    "reserved": ("reserve", "avec_projet", "option", "en_cours", "sous_compromis"),
    "available": (
        "disponible",
        "sans_projet",
        "potentiel",
        "vacant",
        "libre",
        "a_vendre",
        "a_louer",
    ),
}

PROJECT_TYPE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "fablab": (
        "fablab",
        "fab_lab",
        "makerspace",
        "maker",
        "hackerspace",
        "hakerspace",
        "diy",
        "fabrication",
    ),
    "coworking": (
        "coworking",
        "co_working",
        "cantine",
        "teletravail",
        "espace_de_travail",
        "pepiniere",
        "relais_d_entreprises",
    ),
    "shared_workshop": ("atelier_partage", "atelier", "artisan", "repair"),
    "food": ("nourricier", "cuisine", "alimentaire", "ferme", "jardin"),
    "cultural": ("culture", "artist", "spectacle", "friche_culturelle", "musique"),
    "digital_inclusion": (
        "usages",
        "inclusion",
        "numerique",
        "epn",
        "france_services",
        "mediation",
        "formation",
    ),
    "hybrid": ("tiers_lieu", "tierslieu", "hybride", "frenchtech", "incubateur"),
}
