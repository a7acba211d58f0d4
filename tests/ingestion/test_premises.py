"""Premise rows: missing values are unknown, source vocabularies map to our codes, unfit sites flagged."""

from __future__ import annotations

import pytest

from matcher.domain import FRICHE_KINDS, PREMISE_KINDS
from matcher.ingestion import read_premises
from matcher.ingestion.premises import unsuitable_reason

CNIG = (
    "site_id;site_nom;site_type;site_statut;comm_insee;bati_surface;unite_fonciere_surface;"
    "bati_etat;sol_pollution_existe;bati_patrimoine;activite_libelle;site_reconv_type;geompoint\n"
)


def _cnig_row(i: int, **cells: str) -> str:
    row = {
        "site_id": f"81004_{i}",
        "site_nom": f"Site {i}",
        "site_type": "friche industrielle",
        "site_statut": "friche sans projet",
        "comm_insee": "81004",
        "bati_surface": "NA",
        "unite_fonciere_surface": "1200",
        "bati_etat": "inconnu",
        "sol_pollution_existe": "inconnu",
        "bati_patrimoine": "inconnu",
        "activite_libelle": "NA",
        "site_reconv_type": "NA",
        "geompoint": "POINT (2.1464 43.9289)",
        **cells,
    }
    return ";".join(row.values()) + "\n"


def _read(make_file, territory, body: str, name: str = "f.csv", **kw):
    return read_premises(make_file(name, body), source="t", territory=territory, **kw)


@pytest.mark.parametrize(
    "missing", ["NA", "", "-", "n.c.", "nc", "NC", "non renseigné", "NaN", "?"]
)
def test_missing_values_are_unknown_not_errors(make_file, territory, missing) -> None:
    body = (
        "nom;code_insee;surface;surface_terrain;etat;pmr;loyer_m2_an;disponible_le\n"
        f"A;81004;{missing};{missing};{missing};{missing};{missing};{missing}\n"
        "B;81004;120;300;bon état;oui;60;01/09/2026\n"
    )
    result = _read(make_file, territory, body)
    assert result.rows_rejected == 0 and not result.report.issues, result.report.summary()
    a = result.records.iloc[0]
    assert a["floor_area_m2"] != a["floor_area_m2"]  # NaN: unknown
    assert a["condition"] is None and a["pmr_accessible"] is None
    assert a["available_from"] is None


def test_infinite_numbers_stay_errors(make_file, territory) -> None:
    result = _read(make_file, territory, "nom;code_insee;surface\nA;81004;Infinity\n")
    assert "non finie" in result.report.errors[0].reason


def test_floor_area_unknown_but_land_area_known_stays_valid(make_file, territory) -> None:
    result = _read(make_file, territory, CNIG + _cnig_row(1))
    assert result.rows_rejected == 0
    row = result.records.iloc[0]
    assert row["land_area_m2"] == 1200 and row["floor_area_m2"] != row["floor_area_m2"]
    assert result.report.recognised == "standard CNIG des friches"
    assert "Fichier reconnu : standard CNIG des friches." in result.report.summary()


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("friche potentielle", "available"),
        ("friche sans projet", "available"),
        ("friche avec projet", "reserved"),
        ("friche reconvertie", "withdrawn"),
    ],
)
def test_cnig_statuses(make_file, territory, status, code) -> None:
    result = _read(make_file, territory, CNIG + _cnig_row(1, site_statut=status))
    assert result.records.iloc[0]["status"] == code


#: The CNIG site types as written in Cartofriches exports (and the Ardennes observatory).
CNIG_TYPES = {
    "agro-industrielle": "agro_industrial_friche",
    "friche agro-industrielle": "agro_industrial_friche",
    "friche commerciale": "commercial_friche",
    "friche d'équipement public": "public_facility_friche",
    "friche d'habitat": "housing_friche",
    "friche d’habitation": "housing_friche",
    "friche enseignement": "education_friche",
    "friche ferroviaire": "railway_friche",
    "friche hospitalière": "hospital_friche",
    "friche industrielle": "industrial_friche",
    "friche logistique": "logistics_friche",
    "friche loisir tourisme hôtellerie": "leisure_friche",
    "friche loisir tourisme hotellerie": "leisure_friche",
    "friche militaire": "military_friche",
    "friche portuaire": "port_friche",
    "friche aéroportuaire": "port_friche",
    "mixte": "mixed_friche",
    "inconnu": "unknown_friche",
    "autre": "unknown_friche",
}


def test_the_cnig_site_types_each_have_a_kind(make_file, territory) -> None:
    body = CNIG + "".join(_cnig_row(i, site_type=t) for i, t in enumerate(CNIG_TYPES))
    result = _read(make_file, territory, body)
    assert result.records["kind"].tolist() == list(CNIG_TYPES.values())
    assert not result.report.warnings
    assert set(CNIG_TYPES.values()) <= FRICHE_KINDS  # all count as friches (reuse impact)
    assert all(PREMISE_KINDS[k].startswith("Friche") for k in CNIG_TYPES.values())


@pytest.mark.parametrize(
    ("cell", "field", "code"),
    [
        ("dégradation inexistante ou faible", "condition", "good"),
        ("dégradation moyenne", "condition", "light_works"),
        ("dégradation importante", "condition", "heavy_works"),
        ("dégradation hétérogène", "condition", "heavy_works"),
        ("dégradation très importante", "condition", "ruin"),
        ("pollution inexistante", "pollution", "none"),
        ("pollution peu probable", "pollution", "unlikely"),
        ("pollution supposée", "pollution", "supposed"),
        ("pollution avérée", "pollution", "proven"),
    ],
)
def test_cnig_condition_and_pollution_levels(make_file, territory, cell, field, code) -> None:
    column = "bati_etat" if field == "condition" else "sol_pollution_existe"
    result = _read(make_file, territory, CNIG + _cnig_row(1, **{column: cell}))
    assert result.records.iloc[0][field] == code


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("aucun", False),
        ("présence d'un bâtiment d'intérêt", True),
        ("présence d'un bâtiment classé", True),
    ],
)
def test_cnig_heritage(make_file, territory, cell, value) -> None:
    result = _read(make_file, territory, CNIG + _cnig_row(1, bati_patrimoine=cell))
    assert result.records.iloc[0]["heritage_listed"] is value
    assert not result.report.warnings


@pytest.mark.parametrize(
    ("cells", "reason", "column"),
    [
        (
            {"site_nom": "Ancienne décharge communale"},
            "décharge ou stockage de déchets",
            "site_nom",
        ),
        (
            {"site_type": "friche carrière ou mine"},
            "carrière, mine ou site d'extraction",
            "site_type",
        ),
        (
            {"activite_libelle": "Extraction de pierres ornementales et de construction"},
            "carrière, mine ou site d'extraction",
            "activite_libelle",
        ),
        ({"site_reconv_type": "renaturation"}, "site voué à la renaturation", "site_reconv_type"),
        ({"site_reconv_type": "panneaux photovoltaïques"}, "centrale solaire", "site_reconv_type"),
    ],
)
def test_sites_that_cannot_host_a_tiers_lieu_are_withdrawn_with_the_reason(
    make_file, territory, cells, reason, column
) -> None:
    result = _read(make_file, territory, CNIG + _cnig_row(1, **cells) + _cnig_row(2))
    assert result.rows_rejected == 0  # nothing dropped
    assert result.records["status"].tolist() == ["withdrawn", "available"]
    (warning,) = result.report.warnings
    assert warning.column == column and warning.line == 2
    assert warning.reason == (
        f"Site impropre à l'accueil d'un tiers-lieu ({reason}) : importé « Retiré » au lieu "
        "de « Disponible »."
    )


def test_a_reserved_landfill_says_which_status_it_had(make_file, territory) -> None:
    row = _cnig_row(1, site_nom="Décharge", site_statut="friche avec projet")
    result = _read(make_file, territory, CNIG + row)
    assert result.records.iloc[0]["status"] == "withdrawn"
    assert "au lieu de « Réservé »" in result.report.warnings[0].reason


@pytest.mark.parametrize(
    "text",
    [
        "Rue des Carrières",
        "CARRIERES SUR SEINE BP",
        "Les Minimes",
        "Chemin de la Mine",
    ],
)
def test_place_names_are_not_unfit_sites(text) -> None:
    assert unsuitable_reason(text) == ""


def test_a_post_office_named_after_its_town_is_not_a_quarry(make_file, territory) -> None:
    body = "nom;type;code_insee\nCARRIERES SOUS POISSY BP;bureau de poste;78123\nMINES;bureau de poste;78123\n"
    result = _read(make_file, territory, body)
    assert set(result.records["status"]) == {"available"} and not result.report.warnings


def test_laposte_vocabulary_and_geocoding_precision(make_file, territory) -> None:
    body = (
        "#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;Code_INSEE;Localité;"
        "Latitude;Longitude;Précision_du_géocodage\n"
        "A1;ALBI PRINCIPAL BP;Bureau de Poste;81004;ALBI;43.9289;2.1464;Géocodé au numéro\n"
        "A2;ALBI RP;Relais poste commerçant;81004;ALBI;43.93;2.15;Géocodé au centre de la commune\n"
        "A3;CASTRES MILITAIRE;Agence postale militaire;81065;CASTRES;;;\n"
    )
    result = _read(make_file, territory, body)
    rec = result.records
    assert result.report.recognised == "points de contact de La Poste"
    assert rec["kind"].tolist() == ["post_office", "shop", "post_office"]
    assert rec["location_precision"].tolist() == ["address", "commune", "commune"]
    assert set(rec["status"]) == {"allocated"} and set(rec["owner_org"]) == {"La Poste"}


def test_dvf_rows_get_one_id_each_and_a_shared_price_is_not_attributed(
    make_file, territory
) -> None:
    body = (
        "id_mutation;date_mutation;nature_mutation;valeur_fonciere;code_commune;nom_commune;"
        "type_local;surface_reelle_bati;surface_terrain;nom_departement\n"
        "2020-1;43890;Vente;65000;81004;Albi;Local industriel. commercial ou assimilé;125;;Tarn\n"
        "2020-2;43890;Vente;240000;81004;Albi;Maison;90;400;Tarn\n"
        "2020-2;43890;Vente;240000;81004;Albi;Dépendance;;;Tarn\n"
    )
    result = _read(make_file, territory, body)
    rec = result.records
    assert result.report.recognised == "mutations DVF (demandes de valeurs foncières)"
    assert rec["source_id"].tolist() == ["2020-1-1", "2020-2-1", "2020-2-2"]
    assert rec["kind"].tolist() == ["shop", "housing", "other"]
    assert rec["price_eur"].iloc[0] == 65000 and rec["price_eur"].iloc[1:].isna().all()
    assert rec["floor_area_m2"].tolist()[:2] == [125, 90] and rec["land_area_m2"].iloc[1] == 400
    assert rec["name"].iloc[1] == "Maison, Albi (vente 2020-2)"  # not « Tarn »
    assert [w.line for w in result.report.warnings] == [3, 4]
    assert "2 lots vendus ensemble (mutation 2020-2)" in result.report.warnings[0].reason


def test_a_first_column_of_row_numbers_is_left_aside_with_a_warning(make_file, territory) -> None:
    body = (
        ';"site_id";"site_statut";"geom"\n"1";"81004_1";"friche sans projet";c(2.1464, 43.9289)\n'
    )
    body += '"7";"81004_2";"friche avec projet";c(2.15, 43.93)\n'
    result = _read(make_file, territory, body)
    assert result.rows_rejected == 0 and len(result.records) == 2
    assert any("numéros de ligne" in w.reason for w in result.report.warnings)


def test_an_unnamed_column_of_values_still_refuses_the_file(make_file, territory) -> None:
    result = _read(make_file, territory, "nom;;code_insee\nA;x;81004\nB;y;81004\n")
    assert result.report.file_errors and result.records.empty


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_imports_as_it_is(make_file, territory, fmt) -> None:
    from matcher.ingestion.template import template_csv, template_xlsx

    data = template_csv() if fmt == "csv" else template_xlsx()
    result = read_premises(make_file(f"modele.{fmt}", data), source="m", territory=territory)
    assert result.rows_rejected == 0 and not result.report.warnings
    assert result.report.recognised == "modèle d'import de locaux de l'outil"
    row = result.records.iloc[0]
    assert (row["source_id"], row["kind"], row["insee_code"]) == (
        "LOC-001",
        "public_building",
        "81004",
    )
    assert (row["floor_area_m2"], row["works_estimate_eur"], row["rent_eur_m2_year"]) == (
        240,
        35000,
        60,
    )
    assert (row["condition"], row["tenure"], row["connectivity"]) == (
        "light_works",
        "lease",
        "ftth",
    )
    assert (row["ground_floor_access"], row["pmr_accessible"]) == (True, False)
    assert row["available_from"] == "2026-09-01" and row["status"] == "available"


def test_the_template_has_french_headers_and_the_vocabulary_sheet() -> None:
    import io

    import openpyxl

    from matcher.ingestion.template import template_xlsx

    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    assert wb.sheetnames == ["Locaux", "Vocabulaire", "Aide"]
    headers = [c.value for c in wb["Locaux"][1]]
    assert "Surface de plancher (m²)" in headers and not [h for h in headers if "_" in h]
    assert wb["Locaux"].max_row == 2  # one example row
    vocabulary = {(r[0], r[1]) for r in wb["Vocabulaire"].iter_rows(min_row=2, values_only=True)}
    assert ("Type de local", "Friche ferroviaire") in vocabulary
    assert ("Statut", "Disponible") in vocabulary
