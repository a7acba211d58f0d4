"""Old codes in the files: merged twice, split, shared between communes. Clear reports, nothing lost."""

from __future__ import annotations

import pandas as pd
import pytest

from matcher.ingestion.adapters import ADAPTERS
from matcher.ingestion.records import read_premises
from matcher.territory.history import load_history_table

PVD_HEADER = (
    '"id_pvd","insee_com","lib_com","lib_reg","insee_dep","lib_dep","site_mairie",'
    '"regroupement","pop","date_signature","siren_epci","lib_epci"\n'
)


def _pvd_line(pvd_id: str, code: str, name: str, dep: str) -> str:
    return f'"{pvd_id}","{code}","{name}","Région","{dep}","Dép","","NA","1000","","",""\n'


@pytest.fixture
def with_shared_code(territory):
    """The reference with one more former commune, 49999, shared between 49080 and 49126."""
    extra = pd.DataFrame(
        [
            ("49999", "Partagée", code, territory.communes.loc[code, "name"], "split", 2024,
             f"split 2024 {code} {territory.communes.loc[code, 'name']}", "test")
            for code in ("49080", "49126")
        ],
        columns=load_history_table().columns,
    )  # fmt: skip
    return territory.with_history(pd.concat([load_history_table(), extra], ignore_index=True))


def test_pvd_file_with_a_code_merged_twice_and_a_split_commune(tmp_path, with_shared_code):
    path = tmp_path / "pvd.csv"
    path.write_text(
        PVD_HEADER
        + _pvd_line("pvd-1", "49105", "Contigné", "49")  # 2017 then 2019: Les Hauts-d'Anjou
        + _pvd_line("pvd-2", "85084", "Essarts en Bocage", "85")  # split in 2024
        + _pvd_line("pvd-3", "49999", "Partagée", "49")  # former commune now in two communes
        + _pvd_line("pvd-4", "23096", "Guéret", "23"),
        encoding="utf-8",
    )
    result = ADAPTERS["pvd_2021"].read(path, territory=with_shared_code, mode="valid_only")
    report = result.report
    by_line = {i.line: i for i in report.issues}
    merged = by_line[2]
    assert (merged.severity, merged.column, merged.value) == ("warning", "insee_com", "49105")
    assert merged.reason == (
        "Ancien code INSEE remplacé par celui de la commune actuelle : Contigné (49105) : "
        "commune fusionnée dans Les Hauts d'Anjou (49065) au 1er janvier 2017, puis dans "
        "Les Hauts-d'Anjou (49080) au 1er janvier 2019. Ligne rattachée à 49080."
    )
    split = by_line[3]
    assert (split.severity, split.value) == ("warning", "85084")
    assert split.reason.startswith("Commune scindée depuis le fichier : Essarts en Bocage (85084)")
    assert "L'Oie (85165), Sainte-Florence (85212)" in split.reason
    shared = by_line[4]
    assert (shared.severity, shared.value) == ("error", "49999")
    assert "Les Hauts-d'Anjou (49080)" in shared.reason and "Orée d'Anjou (49126)" in shared.reason
    assert "Impossible de choisir sans coordonnées" in shared.reason
    # nothing lost: every line is a record or an error of the report
    assert result.rows_read == 4 == len(result.records) + result.rows_rejected
    recs = result.records.set_index("source_code")
    assert recs.loc["49105", "insee_code"] == "49080"
    assert recs.loc["85084", ["insee_code", "split_parts"]].tolist() == ["85084", "85165|85212"]
    assert "avertissement x1 : Ancien code INSEE remplacé" in report.summary()


def test_pvd_table_flags_the_final_commune_and_leaves_split_parts_unknown(
    tmp_path, monkeypatch, territory
):
    """Built from a two-line list: the merged-twice code flags 49080, the split's parts are NA."""
    from matcher.ingestion import territory_tables as tt

    folder = tmp_path / "petites_villes_de_demain"
    folder.mkdir()
    (folder / "pvd_communes_2021.csv").write_text(
        PVD_HEADER
        + _pvd_line("pvd-1", "49105", "Contigné", "49")
        + _pvd_line("pvd-2", "85084", "Essarts en Bocage", "85"),
        encoding="utf-8",
    )
    anct = tmp_path / "anct_programmes_communes"
    anct.mkdir()
    (anct / "ngeo-anct-cog2023.csv").write_text(
        '"insee_com","lib_com","id_pvd","id_ti","id_crte","id_acv","id_ami","id_fabp","id_amm",'
        '"id_habinclus","id_cite","id_cde","id_fs","id_acv2","id_va","id_site"\n'
        '"49080","Les Hauts-d\'Anjou","pvd-9",,,,,,,,,,,,,\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("MATCHER_RAW_DATA_DIR", str(tmp_path))
    table = tt.pvd_table(territory).set_index("insee_code")
    assert table.loc["49080", ["pvd_2021", "pvd_2023", "source_codes"]].tolist() == [
        "1",
        "1",
        "49105",
    ]
    assert table.loc["85084", "pvd_2021"] == "1"
    assert table.loc["85165", "pvd_2021"] == "" and table.loc["85212", "pvd_2021"] == ""
    # a 2023 table reaching no other commune: the others are unknown there, not "no"
    assert table.loc["23096", "pvd_2023"] == ""


HEADER = "id;nom;type;code_insee;commune;code_postal;latitude;longitude;surface;etat;loyer_m2_an\n"


def test_premises_import_reports_every_code_moved(tmp_path, with_shared_code):
    lon, lat = with_shared_code.communes.loc["49126", ["lon", "lat"]]  # Orée d'Anjou
    path = tmp_path / "locaux.csv"
    path.write_text(
        HEADER
        + "A;Poste;bureau de poste;16355;;;;;;;\n"  # merged in 2024, no point
        + "B;Poste;bureau de poste;75108;;;;;;;\n"  # an arrondissement
        + f"C;Poste;bureau de poste;49999;;;{lat};{lon};;;\n"  # shared: the point decides
        + "D;Poste;bureau de poste;49999;;;;;;;\n",  # shared, no point: cannot be decided
        encoding="utf-8",
    )
    result = read_premises(path, source="t", territory=with_shared_code, mode="valid_only")
    issues = {i.line: i for i in result.report.issues}
    assert issues[2].reason.startswith("Ancien code INSEE remplacé") and "16097" in issues[2].reason
    assert issues[3].reason.startswith("Code d'arrondissement municipal rattaché à sa commune")
    assert issues[4].severity == "warning" and "Le point décide" in issues[4].reason
    assert issues[5].severity == "error" and "impossible de choisir" in issues[5].reason
    recs = result.records.set_index("source_id")
    assert recs.loc["A", "insee_code"] == "16097" and recs.loc["B", "insee_code"] == "75056"
    assert recs.loc["C", "insee_code"] == "49126"
    assert "le point tombe dans 49126, l'une d'elles" in issues[4].reason
    assert "D" not in recs.index and result.rows_rejected == 1


def test_split_commune_without_point_in_a_dated_file_keeps_its_code(tmp_path, territory):
    """ARCEP's 2018 codes: Saline (14712) was split in 2020; its figures stay on 14712, flagged."""
    path = tmp_path / "ftthCommunes.csv"
    path.write_text(
        "Titre,,,,\n,,,,\n,,,,\n,,,,\nCode commune,Champ,T3 2017,T4 2017,T1 2018\n"
        "14712,Locaux Raccordables,0,0,12\n14712,Catégorie,0,0,0\n",
        encoding="utf-8",
    )
    result = ADAPTERS["arcep_ftth"].read(path, territory=territory, mode="valid_only")
    assert result.rows_rejected == 0
    assert {w.line for w in result.report.warnings} == {6, 7}
    assert all("Sannerville (14666)" in w.reason for w in result.report.warnings)
    assert result.records["insee_code"].tolist() == ["14712"]
