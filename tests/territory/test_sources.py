"""Importers of the territorial sources, on the committed extracts and on the full files.

Every quirk of the sources' SOURCE.md is exercised: the PVD placeholder row,
codes of older vintages, arrondissements and overseas collectivities in the
ANCT and France Services lists, the FRR labels and trailing separator, the
density workbook's title rows and several sheets, lost leading zeros in the
history lists.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.territory.conftest import read_source


def _reasons(result, severity: str = "error") -> Counter:
    issues = result.report.errors if severity == "error" else result.report.warnings
    return Counter(i.reason.split(" :")[0] for i in issues)


# --- Petites Villes de Demain 2021 ---------------------------------------------------------


def test_pvd_placeholder_row_is_rejected_with_line_column_and_value(extracts, territory):
    result = read_source("pvd_2021", extracts, territory)
    [err] = result.report.errors
    assert (err.column, err.value) == ("insee_com", "999999")
    assert err.reason.startswith("Code INSEE mal formé")
    lines = (extracts / "petites_villes_de_demain" / "pvd_communes_2021.csv").read_text("utf-8")
    line_text = lines.splitlines()[err.line - 1]
    assert "Trifouilly-les-Oies" in line_text  # the line number points at the right row
    assert result.rows_read == len(result.records) + 1


def test_pvd_split_commune_keeps_its_code_and_says_so(extracts, territory):
    result = read_source("pvd_2021", extracts, territory)
    [warn] = [w for w in result.report.warnings if w.value == "15141"]
    assert warn.reason.startswith("Commune scindée depuis le fichier")
    assert "Celles (15031)" in warn.reason
    row = result.records.set_index("insee_code").loc["15141"]
    assert row["split_parts"] == "15031|15035|15047|15171"


@pytest.mark.slow
def test_pvd_full_list(raw_root, territory):
    result = read_source("pvd_2021", raw_root, territory)
    assert (result.rows_read, len(result.records)) == (1607, 1606)
    assert result.records["insee_code"].is_unique
    assert (
        result.records["pvd_id"] == ""
    ).sum() == 585  # ids missing in the list itself (placeholder row excluded)


# --- ANCT programmes (COG 2023) ------------------------------------------------------------


def test_anct_obsolete_codes_are_moved_and_overseas_collectivities_reported(extracts, territory):
    result = read_source("anct_programmes", extracts, territory)
    errors = _reasons(result)
    assert set(errors) == {
        "Code d'une collectivité d'outre-mer (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin, Pacifique...)"
    }
    moved = {
        w.value: w.reason for w in result.report.warnings if w.reason.startswith("Ancien code")
    }
    assert "16355" in moved and "Val-de-Cognac (16097)" in moved["16355"]
    assert moved["16355"].endswith("Ligne rattachée à 16097.")
    recs = result.records
    assert recs.loc[recs["source_code"] == "16355", "insee_code"].tolist() == ["16097"]
    # every row is kept or reported: nothing lost in silence
    assert result.rows_read == len(recs) + result.rows_rejected


@pytest.mark.slow
def test_anct_full_table(raw_root, territory):
    result = read_source("anct_programmes", raw_root, territory)
    assert result.rows_read == 35039
    assert int(result.records["pvd"].sum()) == 1653
    assert result.rows_rejected == 94  # collectivités d'outre-mer (975, 977, 978, 98x)
    moved = [w for w in result.report.warnings if w.reason.startswith("Ancien code")]
    assert len(moved) == 81  # mergers of 2024 and 2025


# --- France Services ----------------------------------------------------------------------


def test_france_services_extract(extracts, territory):
    result = read_source("france_services", extracts, territory)
    errors = result.report.errors
    assert {e.reason.split(" :")[0] for e in errors} == {
        "Point hors des territoires couverts (métropole, Corse, départements d'outre-mer)"
    }  # Saint-Martin
    recs = result.records.set_index("source_code")
    arr = [w for w in result.report.warnings if w.reason.startswith("Code d'arrondissement")]
    assert arr and all(w.value[:2] in ("75", "69", "13") for w in arr)
    assert set(recs.loc[recs.index.str.startswith("751"), "insee_code"]) <= {"75056"}
    assert recs["lon"].notna().all() and recs["lat"].notna().all()


@pytest.mark.slow
def test_france_services_full_list(raw_root, territory):
    result = read_source("france_services", raw_root, territory)
    assert result.rows_read == 2845 and len(result.records) == 2843
    assert result.records["id"].is_unique
    assert result.records["source_code"].nunique() + 1 == 2619  # + Saint-Martin (97801)


# --- France Ruralités Revitalisation -------------------------------------------------------


def test_frr_labels_become_classes(extracts, territory):
    result = read_source("frr_2025", extracts, territory)
    assert result.rows_rejected == 0
    classes = result.records.groupby("frr_class")["label"].first().to_dict()
    assert classes == {
        "beneficiaire": "FRR bénéficiaire",
        "beneficiaire_partiel": "FRR bénéficiaire partiellement",
        "non_classee": "Non classée",
        "partiel": "Classée FRR partiellement",
        "plus": "FRR+",
        "socle": "FRR socle",
    }


def test_frr_unknown_label_is_an_error_naming_it(tmp_path, territory):
    path = tmp_path / "frr.csv"
    path.write_text(
        "Code_insee;Departement;Commune;Classement FRR et FRR+ au 10 juillet 2025;\r\n"
        "01001;01;L'Abergement-Clémenciat;Non classée;\r\n"
        "01002;01;L'Abergement-de-Varey;ZRR;\r\n",
        encoding="utf-8",
    )
    from matcher.ingestion.adapters import ADAPTERS

    result = ADAPTERS["frr_2025"].read(path, territory=territory, mode="valid_only")
    [err] = result.report.errors
    assert (err.line, err.value) == (3, "ZRR")
    assert err.column.startswith("Classement FRR") and "non reconnu" in err.reason
    assert result.records["insee_code"].tolist() == ["01001"]


@pytest.mark.slow
def test_frr_full_list(raw_root, territory):
    result = read_source("frr_2025", raw_root, territory)
    assert result.rows_read == 34875 and result.rows_rejected == 0
    counts = result.records["frr_class"].value_counts()
    assert int(counts.drop("non_classee").sum()) == 19934
    assert int(counts["plus"]) == 4456


# --- commune history lists -----------------------------------------------------------------


def test_history_lists_restore_lost_leading_zeros(extracts):
    result = read_source("commune_fusions", extracts, None)
    assert result.rows_rejected == 0
    assert result.records["old_code"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    assert "08053" in set(result.records["new_code"])  # written 8053 in the file


def test_history_json_errors_are_french(tmp_path):
    from matcher.errors import ImportFileError
    from matcher.ingestion.adapters.territory_sources import read_ban_former_communes

    bad = tmp_path / "bad.json"
    bad.write_text('{"code": "01015"}', encoding="utf-8")
    with pytest.raises(ImportFileError, match="liste de communes attendue"):
        read_ban_former_communes(bad)
    odd = tmp_path / "odd.json"
    odd.write_text(
        '[{"code": "01015", "nom": "A", "anciennesCommunes": [{"code": "1x", "nom": "B"}]}, 3]',
        encoding="utf-8",
    )
    pairs, report = read_ban_former_communes(odd)
    assert pairs.empty
    assert [(i.line, i.column, i.value) for i in report.errors] == [
        (1, "anciennesCommunes.code", "1x"),
        (2, "anciennesCommunes", "3"),
    ]
