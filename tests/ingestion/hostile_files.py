"""Builders of hostile files: workbooks, zips, GeoJSON and CSV made to break readers.

Shared by the fuzzing tests (``tests/ingestion/test_fuzz_*.py``), the
regression corpus (``tests/data/hostile/``, rebuilt by :func:`build_corpus`)
and ``benchmarks/stress_readers.py``. Everything is generated: no real data.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_SHEET_REL = f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
_SHARED_REL = f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'


def _wb_rels(shared: bool) -> str:
    rels = _SHEET_REL + (_SHARED_REL if shared else "")
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">{rels}</Relationships>'


def column_letters(index: int) -> str:
    """Return the letters of a 0-based column (0 -> A, 27 -> AB)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def cell_xml(ref: str | None, value: object, kind: str | None = None, formula: str | None = None):
    """Return one ``<c>`` element (``kind``: s, inlineStr, e, b, str, n or None)."""
    attrs = (f' r="{ref}"' if ref else "") + (f' t="{kind}"' if kind else "")
    f = f"<f>{escape(formula)}</f>" if formula is not None else ""
    if kind == "inlineStr":
        return f"<c{attrs}>{f}<is><t>{escape(str(value))}</t></is></c>"
    v = "" if value is None else f"<v>{escape(str(value))}</v>"
    return f"<c{attrs}>{f}{v}</c>"


def sheet_xml(rows: list[str], dimension: str | None = None, head: str = "") -> str:
    """Return a worksheet part from ``<row>`` elements (as text)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}<worksheet xmlns="{MAIN_NS}">{dim}'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def shared_xml(strings: list[str]) -> str:
    """Return a shared-strings part."""
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{items}</sst>'
    )


def table_sheet(table: list[list[object]]) -> tuple[str, str]:
    """Return (sheet part, shared strings part) of a small table (texts shared, numbers inline)."""
    strings: list[str] = []
    rows = []
    for i, row in enumerate(table, start=1):
        cells = []
        for j, value in enumerate(row):
            ref = f"{column_letters(j)}{i}"
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(cell_xml(ref, value))
            elif value is not None:
                strings.append(str(value))
                cells.append(cell_xml(ref, len(strings) - 1, "s"))
        rows.append(f'<row r="{i}">{"".join(cells)}</row>')
    return sheet_xml(rows), shared_xml(strings)


def workbook_bytes(
    sheet: str | bytes,
    shared: str | bytes | None = None,
    *,
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Return the bytes of a minimal XLSX holding ``sheet`` (and shared strings)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in (
            ("[Content_Types].xml", _TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _wb_rels(shared is not None)),
            ("xl/worksheets/sheet1.xml", sheet),
        ):
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compression)
        if shared is not None:
            info = zipfile.ZipInfo("xl/sharedStrings.xml", (2020, 1, 1, 0, 0, 0))
            zf.writestr(info, shared, compression)
        for name, data in (extra or {}).items():
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compression)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """Return a deflated zip of ``members`` (fixed timestamps: reproducible bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def flip_byte(data: bytes, at: int) -> bytes:
    """Return ``data`` with the byte at ``at`` (modulo length) inverted."""
    at %= len(data)
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def feature_collection(features: list[object]) -> bytes:
    """Return a GeoJSON FeatureCollection holding ``features`` as given (objects or not)."""
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _inflating_sheet(target_bytes: int) -> bytes:
    """Return a workbook whose sheet inflates to about ``target_bytes`` (highly repetitive)."""
    row = '<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (
            ("[Content_Types].xml", _TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _wb_rels(False)),
        ):
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode())
            block = (row * 1000).encode()
            for _ in range(target_bytes // len(block)):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def corpus() -> dict[str, bytes]:
    """Return the regression corpus: the crashing cases of issue 16, by file name."""
    header = [["nom", "code_insee", "surface"], ["Poste", "01004", 120]]
    sheet, shared = table_sheet(header)
    good = workbook_bytes(sheet, shared)
    far = sheet_xml(
        [
            '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c>'
            '<c r="XFD1048576"><v>1</v></c></row>'
        ]
    )
    lie = sheet_xml(['<row r="1"><c r="A1"><v>1</v></c></row>'], dimension="A1:XFD1048576")
    long_text = "x" * 131_000
    bomb_cells = "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>0</v></c></row>' for i in range(1, 20_001)
    )
    laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    formula = sheet_xml(
        [
            '<row r="1">'
            + cell_xml("A1", "nom", "inlineStr")
            + cell_xml("B1", "code_insee", "inlineStr")
            + "</row>",
            '<row r="2">'
            + cell_xml("A2", None, None, formula='C2&"x"')
            + cell_xml("B2", "01004", "inlineStr")
            + "</row>",
            '<row r="3">'
            + cell_xml("A3", "#N/A", "e", formula="VLOOKUP(1,Z:Z,2)")
            + cell_xml("B3", "01004", "inlineStr")
            + "</row>",
        ]
    )
    deep = b'{"type": "FeatureCollection", "features": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    geoms = [
        {"type": "Circle", "coordinates": [1, 2], "radius": 3},
        {"type": "Polygon", "coordinates": [[[1, 1], [1, 1]]]},
        {"type": "LineString", "coordinates": [[2.0, 48.0]]},
        {"type": "Point", "coordinates": []},
        {"type": "Point", "coordinates": ["a", None]},
        {"type": "MultiPolygon", "coordinates": 12},
        {"type": "Point", "coordinates": [1e400, 3]},
        "POINT (1 2)",
    ]
    unexpected = feature_collection(
        [
            {"type": "Feature", "properties": {"nom": f"g{i}"}, "geometry": g}
            for i, g in enumerate(geoms)
        ]
    )
    not_objects = feature_collection([1, "a", None, [1, 2], {"type": "Feature", "properties": 5}])
    return {
        "far_right_cell.xlsx": workbook_bytes(far),
        "dimension_lies.xlsx": workbook_bytes(lie),
        "inflating_sheet.xlsx": _inflating_sheet(300 * 1024 * 1024),
        "shared_strings_bomb.xlsx": workbook_bytes(
            sheet_xml([bomb_cells]), shared_xml([long_text])
        ),
        "billion_laughs.xlsx": workbook_bytes(
            sheet_xml(
                ['<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'], head=laughs
            )
        ),
        "formula_without_value.xlsx": workbook_bytes(formula),
        "corrupted_member.xlsx": flip_byte(good, len(good) // 3),
        "truncated.xlsx": good[: len(good) // 2],
        "zip_in_zip.zip": zip_bytes({"inner.zip": zip_bytes({"a.csv": b"nom;x\n1;2\n"})}),
        "two_data_files.zip": zip_bytes({"a.csv": b"nom\n1\n", "b.csv": b"nom\n2\n"}),
        "zip_slip.zip": zip_bytes({"../../evil.csv": b"nom;code_insee\nPoste;01004\n"}),
        # found by test_fuzz_readers: zipfile raised NotImplementedError ("version 23.5")
        "unsupported_zip_version.zip": flip_byte(
            zip_bytes(
                {n: b"\x00\x00\x00\x00\x01" for n in ("d.zip", "b.geojson", "f.gpkg", "a.csv")}
            ),
            741,
        ),
        "deep_nesting.geojson": deep,
        "features_not_objects.geojson": not_objects,
        "unexpected_geometries.geojson": unexpected,
        "long_field.csv": b'nom;code_insee\n"' + b"y" * 131_073 + b'";01004\n',
        "bom_then_latin1.csv": b"\xef\xbb\xbfnom;commune\nPoste;B\xe9ligneux\n",
        "wide_duplicated_header.csv": b";".join([b"nom"] * 200_000) + b"\n",
        "nul_bytes_late.csv": b"nom;code_insee\n" + b"Poste;01004\n" * 500 + b"Po\x00ste;01004\n",
        "not_a_geopackage.gpkg": b"SQLite format 3\x00" + b"\x00\x01" * 2000,
    }


def build_corpus(folder: Path) -> list[Path]:
    """Write the regression corpus into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in corpus().items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m tests.ingestion.hostile_files
    here = Path(__file__).resolve().parents[1] / "data" / "hostile"
    for p in build_corpus(here):
        print(f"{p.stat().st_size:>10} {p.name}")


# --- running every reader on one file, and judging the outcome ------------------------

import re  # noqa: E402
from contextlib import contextmanager  # noqa: E402

#: Raw Python text that must never reach a user (exception names, interpreter phrases).
RAW_TEXT = re.compile(
    r"Traceback|Error\b|Exception|errno|list index|has no attribute|invalid literal|"
    r"codec can't|unexpected keyword|not subscriptable|object is not|NoneType|"
    r"erreur inattendue du lecteur"
)

SMALL_LIMITS = {
    "MAX_UNCOMPRESSED_BYTES": 2 * 1024 * 1024,
    "MAX_ZIP_MEMBERS": 40,
    "MAX_ROWS": 200,
    "MAX_COLUMNS": 40,
    "MAX_CELLS": 4_000,
    "MAX_FIELD_CHARS": 300,
    "MAX_LINE_CHARS": 2_000,
    "MAX_TEXT_CHARS": 20_000,
    "MAX_JSON_BYTES": 256 * 1024,
    "MAX_JSON_NODES": 5_000,
    "MAX_JSON_DEPTH": 16,
}


@contextmanager
def small_limits(**overrides: int):
    """Set small bounds in matcher.settings (so that small inputs reach them); restore after."""
    from matcher import settings

    values = {**SMALL_LIMITS, **overrides}
    saved = {k: getattr(settings, k) for k in values}
    try:
        for k, v in values.items():
            setattr(settings, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(settings, k, v)


def raw_texts(result) -> list[str]:
    """Return the user-facing texts of an ImportResult (reasons and summary)."""
    return [i.reason for i in result.report.issues] + [result.report.summary()]


def check_reader(path: Path) -> str:
    """Return "accepted" or "refused" for ``read_table``; raise AssertionError on a crash.

    A crash is any exception other than ImportFileError, or an ImportFileError
    whose message holds raw Python text (the safety net's message included).
    """
    from matcher.errors import ImportFileError
    from matcher.ingestion.readers import iter_tables, read_table

    outcome = "accepted"
    try:
        table = read_table(path)
        for issue in table.issues:
            assert not RAW_TEXT.search(issue.reason), issue.reason
    except ImportFileError as exc:
        assert not RAW_TEXT.search(str(exc)), str(exc)
        outcome = "refused"
    try:
        for chunk in iter_tables(path, chunk_rows=7):
            for issue in chunk.issues:
                assert not RAW_TEXT.search(issue.reason), issue.reason
    except ImportFileError as exc:
        assert not RAW_TEXT.search(str(exc)), str(exc)
    return outcome


def check_importers(path: Path, territory, kinds=("premises", "projects", "tiers_lieux")):
    """Return {kind: ImportResult} of the generic importers; raise AssertionError on a crash."""
    from matcher.ingestion import records

    readers = {
        "premises": records.read_premises,
        "projects": records.read_projects,
        "tiers_lieux": records.read_tiers_lieux,
    }
    out = {}
    for kind in kinds:
        result = readers[kind](path, source="fuzz", territory=territory)
        for text in raw_texts(result):
            assert not RAW_TEXT.search(text), text
        out[kind] = result
    return out
