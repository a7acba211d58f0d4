"""Premises, projects and tiers-lieux from user files: every bad input gets a precise French reason."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from matcher.domain import PREMISE_COLUMNS, PROJECT_COLUMNS
from matcher.ingestion import read_premises, read_projects, read_tiers_lieux
from matcher.ingestion.records import TIERS_LIEUX_COLUMNS

HEADER = "id;nom;type;code_insee;commune;code_postal;latitude;longitude;surface;etat;loyer_m2_an\n"


def _issues(result) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for i in result.report.issues:
        out.setdefault(i.line, []).append(f"{i.column}|{i.value}|{i.reason}|{i.severity}")
    return out


def test_valid_rows_become_premise_records(make_file, territory) -> None:
    path = make_file(
        "ok.csv",
        HEADER
        + "A1;Ancienne poste;Bureau de poste;75056;Paris;;48,8566;2,3522;1 250,5;bon état;120\n"
        + "A2;Local;local commercial;;Rodez;12000;;;80;travaux légers;\n"
        + "A3;École;école;35238;;;;;300;;\n",
    )
    result = read_premises(path, source="test", territory=territory)
    assert result.rows_read == 3 and result.rows_rejected == 0, result.report.summary()
    rec = result.records
    assert list(rec.columns) == [*PREMISE_COLUMNS, "line"]
    first = rec.iloc[0]
    assert (first.kind, first.insee_code, first.location_precision) == (
        "post_office",
        "75056",
        "address",
    )
    assert first.floor_area_m2 == pytest.approx(1250.5) and first.condition == "good"
    assert first.rent_eur_m2_year == 120 and first.status == "available"
    assert first.source == "test" and first.source_id == "A1" and not first.synthetic
    assert rec["synthetic"].dtype == bool
    # commune name + postcode -> town hall, precision "commune"
    rodez = rec.iloc[1]
    assert rodez.insee_code == "12202" and rodez.location_precision == "commune"
    hall = territory.communes.loc["12202"]
    assert (rodez.lon, rodez.lat) == (hall.lon, hall.lat)
    assert rec.iloc[2].insee_code == "35238" and rec.iloc[2].kind == "school"
    assert rec["line"].tolist() == [2, 3, 4]


BAD_ROWS = [
    ("B1;Infini négatif;bureaux;75056;;;48.85;2.35;-Infinity;;", "surface", "non finie"),
    ("B2;Inf;bureaux;75056;;;48.85;2.35;Infinity;;", "surface", "non finie"),
    ("B3;Dépassement;bureaux;75056;;;48.85;2.35;1e400;;", "surface", "non finie"),
    ("B4;Négatif;bureaux;75056;;;48.85;2.35;-120;;", "surface", "négative"),
    ("B5;En mer;bureaux;;;;46.5;-3.0;100;;", "longitude/latitude", "en mer"),
    (
        "B6;Madrid;bureaux;;;;40.4168;-3.7038;100;;",
        "longitude/latitude",
        "hors des territoires couverts",
    ),
    ("B7;Inversé;bureaux;;;;2.3522;48.8566;100;;", "longitude/latitude", "inversées"),
    ("B8;Code inconnu;bureaux;99999;;;;;100;;", "code_insee", "Code INSEE inconnu"),
    ("B9;Code mal formé;bureaux;ABC;;;;;100;;", "code_insee", "mal formé"),
    ("B10;Nulle part;bureaux;;;;;;100;;", "localisation", "Aucune localisation"),
    ("B11;Ambigu;bureaux;;Saint-Denis;;;;100;;", "commune", "Commune ambiguë"),
    ("B12;Surface texte;bureaux;75056;;;;;cent;;", "surface", "illisible"),
    ("B1;Doublon;bureaux;75056;;;;;100;;", "id", "Identifiant en double"),
    ("B14;Genève;bureaux;;;;46.2044;6.1432;100;;", "longitude/latitude", "aucune commune"),
]


def test_every_bad_row_reported_at_once(make_file, territory) -> None:
    body = "".join(r + "\n" for r, _, _ in BAD_ROWS)
    result = read_premises(make_file("bad.csv", HEADER + body), source="t", territory=territory)
    issues = _issues(result)
    assert result.rows_read == len(BAD_ROWS)
    assert result.rows_rejected == len(BAD_ROWS)
    for line, (_row, column, reason) in enumerate(BAD_ROWS, start=2):
        if line == 2:
            assert "non finie" in " ".join(issues[line])
            continue
        found = [x for x in issues.get(line, []) if x.split("|")[0] == column and reason in x]
        assert found, (line, issues.get(line))
    assert result.records["source_id"].tolist() == []  # B1's infinite surface rejects it too
    assert result.records_to_import().empty


def test_formula_cells_kept_as_text(make_file, territory) -> None:
    path = make_file("f.csv", HEADER + 'F1;=HYPERLINK("x");bureaux;75056;;;;;100;;\n')
    result = read_premises(path, source="t", territory=territory)
    assert result.records["name"].iloc[0] == '=HYPERLINK("x")'
    assert any("neutralisée à l'export" in i.reason for i in result.report.warnings)


def test_valid_only_mode_keeps_good_rows(make_file, territory) -> None:
    body = "G1;Bon;bureaux;75056;;;;;100;;\nG2;Mauvais;bureaux;75056;;;;;-1;;\n"
    result = read_premises(
        make_file("m.csv", HEADER + body), source="t", territory=territory, mode="valid_only"
    )
    assert result.records_to_import()["source_id"].tolist() == ["G1"]
    strict = read_premises(make_file("m2.csv", HEADER + body), source="t", territory=territory)
    assert strict.records_to_import().empty and len(strict.records) == 1


def test_lambert93_recognised_by_range(make_file, territory) -> None:
    path = make_file("l93.csv", "nom,x,y\nNotre-Dame,652469,6862035\n")
    result = read_premises(path, source="t", territory=territory)
    rec = result.records.iloc[0]
    assert rec.lon == pytest.approx(2.3522, abs=1e-4) and rec.lat == pytest.approx(
        48.8566, abs=1e-4
    )
    assert rec.insee_code == "75056"


def test_unrecognised_crs_reported(make_file, territory) -> None:
    result = read_premises(
        make_file("c.csv", "nom,x,y\nA,5000,5000\n"), source="t", territory=territory
    )
    assert "système de coordonnées non reconnu" in result.report.errors[0].reason


def test_wkt_point_column(make_file, territory) -> None:
    result = read_premises(
        make_file("w.csv", "nom;geompoint\nA;POINT (4.8357 45.764)\n"),
        source="t",
        territory=territory,
    )
    assert result.records.iloc[0].insee_code == "69123"


def test_point_in_other_commune_is_a_warning(make_file, territory) -> None:
    # point in Paris, declared in Lyon: kept with the declared code, doubtful
    result = read_premises(
        make_file("w.csv", "nom;insee;lat;lon\nA;69123;48.8566;2.3522\n"),
        source="t",
        territory=territory,
    )
    assert result.rows_rejected == 0
    assert "et non dans la commune déclarée 69123" in result.report.warnings[0].reason


def test_missing_location_columns_is_a_file_error(make_file, territory) -> None:
    result = read_premises(
        make_file("n.csv", "nom;surface\nA;10\n"), source="t", territory=territory
    )
    assert (
        result.report.file_errors
        and "Colonne obligatoire absente" in result.report.file_errors[0].reason
    )
    assert result.rows_rejected == 1 and result.records.empty


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "Fichier vide"),
        (bytes(range(256)) * 20, "binaire"),
        ("id;nom\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_unreadable_files_give_report_not_exception(make_file, territory, content, reason) -> None:
    result = read_premises(make_file("x.csv", content), source="t", territory=territory)
    assert result.report.file_errors and reason in result.report.file_errors[0].reason
    assert result.records.empty and not result.report.importable()


def test_header_only_reads_nothing(make_file, territory) -> None:
    result = read_premises(make_file("h.csv", HEADER), source="t", territory=territory)
    assert result.rows_read == 0 and result.records.empty and not result.report.has_errors


def _feature(coords, kind="Polygon", **props):
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": kind, "coordinates": coords},
    }


def test_geojson_polygons_valid_and_self_intersecting(make_file, territory) -> None:
    square = [[[4.83, 45.76], [4.84, 45.76], [4.84, 45.77], [4.83, 45.77], [4.83, 45.76]]]
    bowtie = [[[4.83, 45.76], [4.84, 45.77], [4.84, 45.76], [4.83, 45.77], [4.83, 45.76]]]
    fc = {
        "type": "FeatureCollection",
        "features": [_feature(square, nom="Carré"), _feature(bowtie, nom="Nœud")],
    }
    result = read_premises(make_file("p.geojson", json.dumps(fc)), source="t", territory=territory)
    assert result.records["name"].tolist() == ["Carré"]
    assert result.records.iloc[0].insee_code == "69123"
    err = result.report.errors[0]
    assert err.line == 2 and "Polygone invalide" in err.reason and "Self-intersection" in err.reason
    assert "entités lues" in result.report.summary()


def test_explicit_mapping(make_file, territory) -> None:
    path = make_file("m.csv", "Réf;Désignation;Ville INSEE;Surf.\nR1;Halle;35238;500\n")
    mapping = {
        "source_id": "Réf",
        "name": "Désignation",
        "insee_code": "Ville INSEE",
        "floor_area_m2": "Surf.",
    }
    rec = read_premises(path, source="t", mapping=mapping, territory=territory).records.iloc[0]
    assert rec[["source_id", "name", "insee_code", "floor_area_m2"]].tolist() == [
        "R1",
        "Halle",
        "35238",
        500.0,
    ]


def test_projects(make_file, territory) -> None:
    path = make_file(
        "p.csv",
        "nom;structure;type;activites;code_insee;surface_min;surface;surface_max;rayon_km;fibre\n"
        + "Fablab Rennes;Asso X;fablab;fablab, atelier partagé;35238;100;150;300;20;oui\n"
        + "Incohérent;Asso Y;coworking;;35238;500;150;100;;\n",
    )
    result = read_projects(path, source="appel", territory=territory)
    rec = result.records
    assert list(rec.columns) == [*PROJECT_COLUMNS, "source_id", "line"]
    assert rec["name"].tolist() == ["Fablab Rennes"]
    first = rec.iloc[0]
    assert first.activities == "fablab|shared_workshop" and first.fibre_required is True
    assert first.target_insee_codes == "35238" and np.isfinite(first.target_lon)
    assert any("Surfaces incohérentes" in i.reason and i.line == 3 for i in result.report.errors)


def test_tiers_lieux_generic(make_file, territory) -> None:
    path = make_file(
        "t.csv", "nom,type,code_insee\nLa Cantine,cantine numérique,44109\n,fablab,44109\n"
    )
    result = read_tiers_lieux(path, source="liste", territory=territory)
    assert list(result.records.columns) == [*TIERS_LIEUX_COLUMNS, "line"]
    assert result.records.iloc[0].kind == "coworking"
    assert result.report.errors[0].reason == "Nom du lieu manquant."


def test_reimport_same_file_gives_same_ids(make_file, territory) -> None:
    path = make_file("s.csv", "nom;code_insee;surface\nHalle;35238;100\nGare;35238;50\n")
    a = read_premises(path, source="t", territory=territory).records["source_id"]
    b = read_premises(path, source="t", territory=territory).records["source_id"]
    assert a.tolist() == b.tolist() and a.is_unique
    assert isinstance(a, pd.Series)


def test_large_files_validated_chunk_by_chunk(make_file, territory, monkeypatch) -> None:
    """Chunks share one report: line numbers, counts and duplicate ids span the whole file."""
    from matcher.ingestion import readers

    monkeypatch.setattr(readers, "CHUNK_ROWS", 2)
    body = (
        "C1;Un;bureaux;35238;;;;;10;;\n"
        'C2;"Deux\nlignes";bureaux;35238;;;;;20;;\n'
        "C3;Trois;bureaux;35238;;;;;-30;;\n"
        "C1;Doublon;bureaux;35238;;;;;40;;\n"
        "C5;Cinq;bureaux;35238;;;;;50;;\n"
    )
    result = read_premises(
        make_file("c.csv", HEADER + body), source="t", territory=territory, mode="valid_only"
    )
    assert result.rows_read == 5 and result.rows_rejected == 2
    assert result.records["source_id"].tolist() == ["C1", "C2", "C5"]
    assert result.records["line"].tolist() == [2, 3, 7]
    errors = {(i.line, i.reason) for i in result.report.errors}
    assert (5, "Surface négative : impossible.") in errors
    assert (6, "Identifiant en double dans le fichier (déjà vu ligne 2).") in errors


def test_point_in_former_commune_with_incomplete_outline(make_file, territory) -> None:
    """Pierrefitte-sur-Seine (93059) merged into Saint-Denis: its post office is kept, flagged."""
    body = "P1;Poste;bureau de poste;93059;;;48.960071;2.367366;;;\nP2;Poste;bureau de poste;;;;48.960071;2.367366;;;\n"
    result = read_premises(
        make_file("p.csv", HEADER + body), source="t", territory=territory, mode="valid_only"
    )
    assert result.records["source_id"].tolist() == ["P1"]
    assert result.records["insee_code"].tolist() == ["93066"]
    assert "ancienne commune 93059, fusionnée dans 93066" in result.report.warnings[0].reason
    assert "aucune commune" in result.report.errors[0].reason and result.report.errors[0].line == 3
