"""French words found in files -> the codes of :mod:`matcher.domain`.

Keywords are matched on normalised text (lower case, no accents, ``_``
between words); the first code in each dictionary's order wins, so more
specific entries come first.
"""

from __future__ import annotations

from typing import Final

#: Cells meaning "unknown" (normalised): read as empty, never as an error or a warning.
#: The CNIG friches standard declares "", "NA", "NaN" and "N/A" as missing values;
#: spreadsheets add dashes, question marks and French abbreviations.
MISSING_WORDS: Final[frozenset[str]] = frozenset(
    {
        "",
        "na",
        "n_a",
        "nan",
        "nc",
        "n_c",
        "nr",
        "n_r",
        "nd",
        "n_d",
        "null",
        "none",
        "inconnu",
        "inconnue",
        "non_renseigne",
        "non_renseignee",
        "non_communique",
        "non_connu",
        "non_precise",
        "a_renseigner",
        "ne_sait_pas",
        "sans_objet",
        "s_o",
    }
)
#: Raw cells (before normalisation) that are missing although they normalise to "".
MISSING_MARKS: Final[frozenset[str]] = frozenset({"-", "--", "—", "–", "?", "??", "/", "."})
#: Kept for callers of the former name.
UNKNOWN_WORDS: Final[frozenset[str]] = MISSING_WORDS

#: Words -> premise kind. The CNIG friches standard's site types come first: they
#: contain generic words (« commerciale », « enseignement ») that mean a building
#: kind elsewhere.
PREMISE_KIND_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "agro_industrial_friche": ("agro_industriel", "agroindustriel", "agro_alimentaire"),
    "railway_friche": ("friche_ferroviaire",),
    "military_friche": ("friche_militaire",),
    "port_friche": ("friche_portuaire", "friche_aeroportuaire", "friche_aeroport"),
    "hospital_friche": ("friche_hospitaliere",),
    "logistics_friche": ("friche_logistique",),
    "leisure_friche": (
        "friche_loisir",
        "friche_de_loisir",
        "friche_touristique",
        "friche_hoteliere",
        "loisir_tourisme",
    ),
    "housing_friche": ("friche_d_habitat", "friche_habitat", "friche_residentielle"),
    "education_friche": ("friche_enseignement", "friche_d_enseignement", "friche_scolaire"),
    "public_facility_friche": ("friche_d_equipement", "friche_equipement", "friche_cultuelle"),
    "mixed_friche": ("friche_mixte",),
    "commercial_friche": ("friche_commerciale", "friche_tertiaire"),
    "industrial_friche": (
        "friche_industrielle",
        "friche_d_activite",
        "friche_carriere",
        "friche_miniere",
        "carriere_ou_mine",
    ),
    # La Poste: a relay is a counter inside a shop, so « shop » comes before « poste »
    "shop": (
        "relais_poste",
        "relais_de_poste",
        "local_commercial",
        "local_industriel",
        "commerce",
        "boutique",
        "magasin",
        "commercial",
    ),
    "post_office": ("bureau_de_poste", "agence_postale", "poste"),
    "bank_branch": ("agence_bancaire", "banque", "bancaire"),
    "tourist_office": ("office_de_tourisme", "tourisme"),
    "presbytery": ("presbytere", "cure"),
    "school": ("ecole", "enseignement", "scolaire", "college", "lycee"),
    "warehouse": ("entrepot", "hangar", "logistique", "depot"),
    "public_building": (
        "batiment_public",
        "mairie",
        "equipement",
        "hopital",
        "sante",
        "administratif",
        "caserne",
        "gendarmerie",
    ),
    "housing": ("appartement", "logement", "habitation", "habitat"),
    "office": ("bureaux", "bureau", "tertiaire"),
    "unknown_friche": ("friche",),
    "other": ("autre",),
}

#: Whole cells (normalised) -> kind, for words too short or too common to be
#: searched inside a longer text (« Maison » in DVF, « mixte » in the CNIG standard).
PREMISE_KIND_EXACT: Final[dict[str, str]] = {
    "maison": "housing",
    "mixte": "mixed_friche",
    "dependance": "other",
}

CONDITION_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "ruin": ("ruine", "tres_degrade", "effondre", "tres_mauvais", "degradation_tres_importante"),
    "heavy_works": (
        "travaux_lourds",
        "lourd",
        "degradation_importante",
        "degradation_heterogene",
        "degrade",
        "mauvais",
    ),
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


#: Why a site cannot host a tiers-lieu -> words that say so (whole words of the
#: normalised name, type, former activity or planned reuse). Such rows are imported
#: as withdrawn, with the reason in the report, never dropped.
UNSUITABLE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "décharge ou stockage de déchets": (
        "decharge",
        "decharges",
        "dechetterie",
        "decheterie",
        "immondices",
        "depotoir",
        "enfouissement",
        "stockage_des_dechets",
        "stockage_de_dechets",
        "depot_de_dechets",
        "isdnd",
        "isdi",
    ),
    "carrière, mine ou site d'extraction": (
        "carriere",
        "carrieres",
        "carriere_ou_mine",
        "sabliere",
        "graviere",
        "ballastiere",
        "mine",
        "mines",
        "miniere",
        "extraction",
        "ciel_ouvert",
        "terril",
        "crassier",
    ),
    "site voué à la renaturation": ("renaturation", "renaturer", "renaturalisation"),
    "centrale solaire": (
        "photovoltaique",
        "photovoltaiques",
        "centrale_solaire",
        "parc_solaire",
        "ferme_solaire",
        "panneaux_solaires",
    ),
}

#: Geocoding precision words -> ``location_precision`` (La Poste, BAN geocoder).
PRECISION_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "commune": ("centre_de_la_commune", "municipality", "commune", "locality"),
    "address": ("numero", "rue", "ilot", "housenumber", "street", "adresse"),
}

#: Yes/no answers written as sentences (CNIG ``bati_patrimoine``...) -> True/False.
BOOLEAN_PHRASES: Final[dict[str, bool]] = {
    "aucun": False,
    "aucune": False,
    "absent": False,
    "absence": False,
    "presence_d_un_batiment_d_interet": True,
    "presence_d_un_batiment_classe": True,
    "classe": True,
    "inscrit": True,
    "accessible": True,
    "non_accessible": False,
}
