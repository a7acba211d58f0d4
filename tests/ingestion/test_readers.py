"""Readers: formats, encodings, separators, header detection and every kind of bad file."""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from matcher.errors import ImportFileError
from matcher.ingestion.readers import detect_separator, iter_csv_chunks, read_table

ROWS = "code_insee{s}commune{s}surface\n01004{s}Ambérieu-en-Bugey{s}1 234,5\n75056{s}Paris{s}80\n"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_csv_any_separator_and_encoding(make_file, sep: str, encoding: str) -> None:
    text = ROWS.format(s=sep)
    if sep == ",":
        text = text.replace("1 234,5", '"1 234,5"')
    path = make_file("data.txt", text, encoding)
    table = read_table(path)
    assert table.separator == sep
    assert table.frame.columns.tolist() == ["code_insee", "commune", "surface"]
    assert table.frame["commune"].iloc[0] == "Ambérieu-en-Bugey"
    assert table.frame["surface"].iloc[0] == "1 234,5"
    assert table.lines.tolist() == [2, 3]
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252", "latin-1": "cp1252"}
    assert table.encoding == expected[encoding]


def test_encoding_detected_from_bytes_not_extension(make_file) -> None:
    # a latin-1 accent far down the file, in a file named .utf8.csv
    lines = ["id;nom"] + [f"{i};ligne {i}" for i in range(5000)] + ["9999;Béligneux"]
    path = make_file("export.utf8.csv", "\n".join(lines), "latin-1")
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.frame["nom"].iloc[-1] == "Béligneux"
    assert table.lines[-1] == 5002


def test_embedded_newlines_keep_physical_line_numbers(make_file) -> None:
    path = make_file("x.csv", 'id,nom\n1,"deux\nlignes"\n2,simple\n')
    table = read_table(path)
    assert table.frame["nom"].tolist() == ["deux\nlignes", "simple"]
    assert table.lines.tolist() == [2, 4]


def test_title_block_and_blank_lines_skipped(make_file) -> None:
    text = "Réseaux en fibre,,,\nDéploiement,,,\n,,,\n,,,\nCode commune,Champ,T1,T2\n01001,Locaux,0,1\n"
    table = read_table(make_file("arcep.csv", text))
    assert table.header_line == 5
    assert table.frame.columns.tolist() == ["Code commune", "Champ", "T1", "T2"]
    assert table.lines.tolist() == [6]


def test_detect_separator_prefers_consistent_counts() -> None:
    assert detect_separator("a;b;c\n1,5;2,5;3\n4,1;5;6\n") == ";"
    assert detect_separator("a|b\n1|2\n") == "|"


def test_chunks_and_progress(make_file) -> None:
    lines = ["id;v"] + [f"{i};{i}" for i in range(2500)]
    path = make_file("big.csv", "\n".join(lines) + "\n")
    seen: list[tuple[int, int]] = []
    chunks = list(iter_csv_chunks(path, chunk_rows=1000, progress=lambda d, t: seen.append((d, t))))
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    assert chunks[1].lines[0] == 1002 and chunks[2].lines[-1] == 2501
    assert seen and seen[-1][0] == seen[-1][1] == path.stat().st_size


def test_empty_file_refused(make_file) -> None:
    with pytest.raises(ImportFileError, match="Fichier vide"):
        read_table(make_file("vide.csv", b""))


def test_blank_lines_only_refused(make_file) -> None:
    with pytest.raises(ImportFileError, match="ni en-tête ni données"):
        read_table(make_file("blancs.csv", "\n\n  \n"))


def test_header_only_gives_no_rows(make_file) -> None:
    table = read_table(make_file("entete.csv", "code_insee;surface\n"))
    assert len(table) == 0
    assert table.frame.columns.tolist() == ["code_insee", "surface"]


def test_binary_garbage_refused(make_file) -> None:
    data = bytes(range(256)) * 40
    with pytest.raises(ImportFileError, match="binaire"):
        read_table(make_file("garbage.csv", data))


def test_utf16_refused_with_advice(make_file) -> None:
    path = make_file("excel.csv", "id;nom\n1;é\n", "utf-16")
    with pytest.raises(ImportFileError, match="UTF-16"):
        read_table(path)


def test_huge_file_refused_before_reading(tmp_path, monkeypatch) -> None:
    path = tmp_path / "enorme.csv"
    with path.open("wb") as fh:  # sparse: 300 MB announced, nothing written
        fh.truncate(300 * 1024 * 1024)

    def no_open(*args, **kwargs):
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr(type(path), "open", no_open)
    with pytest.raises(ImportFileError, match=r"trop volumineux.*300 Mo.*limite") as err:
        read_table(path)
    assert err.value.value == 300 * 1024 * 1024


def test_limit_is_configurable(make_file) -> None:
    path = make_file("x.csv", "a;b\n1;2\n")
    with pytest.raises(ImportFileError, match="trop volumineux"):
        read_table(path, max_bytes=4)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ImportFileError, match="introuvable"):
        read_table(tmp_path / "absent.csv")


def test_duplicated_and_missing_headers_reported(make_file) -> None:
    table = read_table(make_file("x.csv", "nom;surface;nom;;\nA;10;B;x;\n"))
    assert table.frame.columns.tolist() == ["nom", "surface", "nom (3)", "colonne_4"]
    reasons = " ".join(i.reason for i in table.issues)
    assert "En-tête en double : « nom » apparaît en colonnes 1 et 3" in reasons
    assert "En-tête manquant en colonne 4" in reasons
    assert all(i.line == 1 for i in table.issues)


def _xlsx(path, rows: list[list[object]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_xlsx_with_numbered_row_above_header(tmp_path) -> None:
    path = tmp_path / "liste.bin"  # extension ignored: bytes decide
    _xlsx(
        path, [[None, 1, 2, 3], ["ID", "Nom", "Lat", "Lng"], ["5", "CoWorking Rodez", 44.35, 2.57]]
    )
    table = read_table(path)
    assert table.format == "xlsx"
    assert table.header_line == 2
    assert table.frame.iloc[0].tolist() == ["5", "CoWorking Rodez", "44.35", "2.57"]
    assert table.lines.tolist() == [3]


def test_corrupt_xlsx_refused(tmp_path) -> None:
    path = tmp_path / "faux.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.bin", "pas un classeur")
    with pytest.raises(ImportFileError, match="XLSX"):
        read_table(path)


def test_geojson_and_js_wrapped(make_file) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"insee_com": 80001, "nom": "Abbeville"},
                "geometry": {"type": "Point", "coordinates": [1.83, 50.1]},
            },
            {
                "type": "Feature",
                "properties": {"insee_com": "01004", "nom": None},
                "geometry": None,
            },
        ],
    }
    for name, text in (
        ("a.geojson", json.dumps(fc)),
        ("b.js", "var JS_acv = " + json.dumps(fc, indent=2)),
    ):
        table = read_table(make_file(name, text))
        assert table.format == "geojson"
        assert table.frame["insee_com"].tolist() == ["80001", "01004"]
        assert table.frame["nom"].tolist() == ["Abbeville", ""]
        assert table.geometry[0].x == pytest.approx(1.83) and table.geometry[1] is None
        assert table.lines.tolist() == [1, 2]


def test_invalid_json_names_line(make_file) -> None:
    with pytest.raises(ImportFileError, match="JSON valide.*ligne 2"):
        read_table(make_file("x.geojson", '{"type": "FeatureCollection",\n "features": [,]}'))


def test_geopackage(tmp_path) -> None:
    pyogrio_raw = pytest.importorskip("pyogrio.raw")
    import numpy as np
    import shapely

    path = tmp_path / "locaux.gpkg"
    geoms = shapely.to_wkb(np.array([shapely.Point(4.83, 45.76), shapely.Point(2.35, 48.85)]))
    try:
        pyogrio_raw.write(
            path,
            geometry=geoms,
            field_data=[np.array(["Poste A", "Poste B"], dtype=object), np.array([120.0, 80.5])],
            fields=["nom", "surface"],
            driver="GPKG",
            geometry_type="Point",
            crs="EPSG:4326",
        )
    except Exception as exc:  # pragma: no cover - GDAL build without GPKG write
        pytest.skip(f"écriture GPKG indisponible : {exc}")
    table = read_table(path)
    assert table.format == "gpkg"
    assert table.frame["nom"].tolist() == ["Poste A", "Poste B"]
    assert table.frame["surface"].tolist() == ["120", "80.5"]
    assert table.geometry[1].y == pytest.approx(48.85)


@pytest.mark.skipif(os.name == "nt", reason="directory semantics")
def test_directory_refused(tmp_path) -> None:
    with pytest.raises(ImportFileError, match="dossier"):
        read_table(tmp_path)


_CELL = hst.text(
    alphabet=hst.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\u2028\u2029\x85"
    ),
    max_size=12,
).map(str.strip)


@settings(max_examples=40, deadline=None)
@given(
    rows=hst.lists(hst.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=6),
    sep=hst.sampled_from([";", ",", "\t", "|"]),
    encoding=hst.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_csv_roundtrip_property(tmp_path_factory, rows, sep, encoding) -> None:
    """Whatever the cells (quotes, separators, newlines, accents), the reader gives them back."""
    import csv
    import io

    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        return
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["alpha", "beta", "gamma"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("prop") / "p.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    table = read_table(path)
    assert table.separator == sep
    assert table.frame.values.tolist() == rows


def test_read_table_with_mapping(make_file) -> None:
    path = make_file("m.csv", "Surf.;Ville\n12;Rennes\n")
    table = read_table(path, {"floor_area_m2": "Surf."})
    assert table.frame.columns.tolist() == ["floor_area_m2", "Ville"]
    with pytest.raises(ImportFileError, match="Absente"):
        read_table(path, {"floor_area_m2": "Absente"})


# --- bounded readers (issue 16) --------------------------------------------------------

from tests.ingestion import hostile_files as hf  # noqa: E402


def test_every_real_workbook_reads_with_calamine(raw_dir) -> None:
    """openpyxl refuses the Occitanie export; calamine reads it and every other XLSX."""
    sizes = {}
    for path in sorted(raw_dir.glob("**/*.xlsx")):
        table = read_table(path)
        sizes[path.name] = len(table)
        assert not [i for i in table.issues if i.severity == "error"], path.name
    assert sizes["tierslieuxoccitanie.xlsx"] == 104
    assert sizes["foncier_qp.xlsx"] == 28825


def test_xlsx_values_as_text(tmp_path) -> None:
    sheet = hf.sheet_xml(
        [
            '<row r="1">'
            + hf.cell_xml("A1", "nom", "inlineStr")
            + hf.cell_xml("B1", "v", "inlineStr")
            + "</row>",
            '<row r="3">'
            + hf.cell_xml("A3", "a", "inlineStr")
            + hf.cell_xml("B3", 1, "b")
            + "</row>",
            '<row r="4">'
            + hf.cell_xml("A4", "b", "inlineStr")
            + hf.cell_xml("B4", "0.1")
            + "</row>",
            '<row r="5">'
            + hf.cell_xml("A5", "c", "inlineStr")
            + hf.cell_xml("B5", "12.0")
            + "</row>",
        ]
    )
    path = tmp_path / "t.xlsx"
    path.write_bytes(hf.workbook_bytes(sheet))
    table = read_table(path)
    assert table.frame["v"].tolist() == ["VRAI", "0.1", "12"]
    assert table.lines.tolist() == [3, 4, 5]


def test_sheet_starting_right_and_low_keeps_positions(tmp_path) -> None:
    sheet = hf.sheet_xml(
        [
            '<row r="4">'
            + hf.cell_xml("C4", "nom", "inlineStr")
            + hf.cell_xml("D4", "surface", "inlineStr")
            + "</row>",
            '<row r="5">'
            + hf.cell_xml("C5", "Poste", "inlineStr")
            + hf.cell_xml("D5", None, formula="1/0")
            + "</row>",
        ]
    )
    path = tmp_path / "decale.xlsx"
    path.write_bytes(hf.workbook_bytes(sheet))
    table = read_table(path)
    assert table.header_line == 4 and table.lines.tolist() == [5]
    assert [(i.line, i.column, i.severity) for i in table.issues] == [(5, "surface", "error")]


@pytest.mark.parametrize(
    ("limit", "value", "data", "fragment"),
    [
        ("MAX_LINE_CHARS", 50, b"nom;x\n" + b"a" * 80 + b";1\n", "longueur d'une ligne"),
        ("MAX_FIELD_CHARS", 20, b'nom;x\n"' + b"a" * 30 + b'";1\n', "longueur d'un champ"),
        ("MAX_COLUMNS", 3, b"a;b;c;d\n1;2;3;4\n", "nombre de colonnes : 4 pour 3"),
        ("MAX_ROWS", 5, b"a\n" + b"1\n" * 9, "nombre de lignes"),
        ("MAX_CELLS", 10, b"a;b\n" + b"1;2\n" * 9, "nombre de cellules"),
    ],
)
def test_csv_bounds(make_file, monkeypatch, limit, value, data, fragment) -> None:
    from matcher import settings

    monkeypatch.setattr(settings, limit, value)
    with pytest.raises(ImportFileError, match=fragment) as err:
        read_table(make_file("borne.csv", data))
    assert "« borne.csv »" in str(err.value) and "MATCHER_" + limit in str(err.value)


def test_wide_csv_chunks_stay_under_the_cell_bound(make_file, monkeypatch) -> None:
    from matcher import settings

    monkeypatch.setattr(settings, "MAX_CELLS", 100)
    header = ";".join(f"c{j}" for j in range(20))
    path = make_file("large.csv", header + "\n" + "\n".join([";".join(["1"] * 20)] * 12))
    chunks = list(iter_csv_chunks(path, chunk_rows=1000))
    assert [len(c) for c in chunks] == [5, 5, 2]  # 100 cells / 20 columns = 5 rows a chunk


def test_duplicated_headers_give_a_bounded_report(make_file) -> None:
    """4,000 duplicated headers: 20 listed, the others counted in one warning."""
    path = make_file("doublons.csv", ";".join(["nom"] * 4000) + "\n" + ";".join(["x"] * 4000))
    table = read_table(path)
    assert table.frame.shape == (1, 4000)
    assert len(table.issues) == 21
    assert "3 979 autre(s) colonne(s)" in table.issues[-1].reason


def test_three_megabyte_single_line_is_refused_at_once(make_file) -> None:
    path = make_file("ligne.csv", b"nom;" * (3 * 1024 * 1024 // 4))
    with pytest.raises(ImportFileError, match="longueur d'une ligne : 1 048 576 au plus"):
        read_table(path)


def test_utf8_bom_then_latin1_refused_naming_the_line(make_file) -> None:
    path = make_file("mixte.csv", b"\xef\xbb\xbfnom\n" + b"a\n" * 5 + b"B\xe9ligneux\n")
    with pytest.raises(ImportFileError, match="ligne 7, l'octet 0xE9"):
        read_table(path)


def test_zipped_csv_upload(tmp_path) -> None:
    path = tmp_path / "locaux.zip"
    path.write_bytes(
        hf.zip_bytes({"dossier/locaux.csv": b"nom;surface\nPoste;12\n", "__MACOSX/._x": b""})
    )
    table = read_table(path)
    assert table.format == "csv" and table.path == path
    assert table.frame["nom"].tolist() == ["Poste"]


@pytest.mark.parametrize(
    ("limit", "value", "fragment"),
    [
        ("MAX_ZIP_MEMBERS", 3, "nombre de fichiers de l'archive"),
        ("MAX_UNCOMPRESSED_BYTES", 500, "taille décompressée"),
    ],
)
def test_zip_directory_bounds(tmp_path, monkeypatch, limit, value, fragment) -> None:
    from matcher import settings

    monkeypatch.setattr(settings, limit, value)
    sheet, shared = hf.table_sheet([["nom"], ["Poste"]])
    path = tmp_path / "c.xlsx"
    path.write_bytes(hf.workbook_bytes(sheet, shared))
    with pytest.raises(ImportFileError, match=fragment):
        read_table(path)


def test_compression_ratio_bound(tmp_path) -> None:
    path = tmp_path / "ratio.xlsx"
    filler = "<row/>" * 1_000_000  # 6 MB that deflate squeezes over 200 times
    path.write_bytes(hf.workbook_bytes(hf.sheet_xml([filler])))
    with pytest.raises(ImportFileError, match="taux de compression"):
        read_table(path)


def test_geojson_features_not_objects_are_row_errors(make_file) -> None:
    data = hf.feature_collection([{"type": "Feature", "properties": {"nom": "a"}}, 7, "x"])
    table = read_table(make_file("f.geojson", data))
    assert table.frame["nom"].tolist() == ["a", "", ""]
    assert [(i.line, i.severity) for i in table.issues] == [(2, "error"), (3, "error")]


def test_geojson_size_bound(make_file, monkeypatch) -> None:
    from matcher import settings

    monkeypatch.setattr(settings, "MAX_JSON_BYTES", 100)
    with pytest.raises(ImportFileError, match="taille d'un fichier GeoJSON"):
        read_table(make_file("g.geojson", hf.feature_collection([{"a": "b" * 200}])))


def test_cli_prints_a_french_refusal_without_traceback(tmp_path, capsys) -> None:
    from matcher.cli import main

    path = tmp_path / "champ.csv"
    path.write_bytes(b'nom;code_insee\n"' + b"y" * 131_073 + b'";01004\n')
    code = main(
        [
            "import",
            "tiers-lieux",
            str(path),
            "--source",
            "essai",
            "--dry-run",
            "--report",
            str(tmp_path / "r.csv"),
        ]
    )
    out = capsys.readouterr()
    assert code == 1
    assert "longueur d'un champ" in out.out and "Traceback" not in out.out + out.err
