"""Property-based fuzzing of every reader: whatever the bytes, a table or a French refusal.

Bounds are lowered (:func:`hostile_files.small_limits`) so that small
generated inputs reach them; examples are few per test so the suite stays fast
(``benchmarks/stress_readers.py`` runs 10,000 inputs per importer).
"""

from __future__ import annotations

import io
import json
import zipfile

import hypothesis.strategies as hst
from hypothesis import HealthCheck, given, settings

from tests.ingestion import hostile_files as hf

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_HOSTILE_CHARS = hst.sampled_from(
    list(";,\t|\"'\r\n\x00\x1a\ufeff\u2028=+-@é€ ") + ["\\", "NA", "1e400", "nan", "𝔘"]
)
_CELL = hst.one_of(
    hst.text(max_size=8),
    hst.lists(_HOSTILE_CHARS, max_size=6).map("".join),
    hst.integers(0, 600).map(lambda n: "z" * n),
)
_ENCODING = hst.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])


def _write(tmp_path_factory, name: str, data: bytes):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    return path


@FUZZ
@given(
    data=hst.binary(max_size=3000),
    bom=hst.booleans(),
    name=hst.sampled_from(["x.csv", "x.geojson", "x.xlsx", "x.bin"]),
)
def test_any_bytes(tmp_path_factory, data: bytes, bom: bool, name: str) -> None:
    with hf.small_limits():
        hf.check_reader(_write(tmp_path_factory, name, (b"\xef\xbb\xbf" if bom else b"") + data))


@FUZZ
@given(
    rows=hst.lists(hst.lists(_CELL, max_size=12), min_size=1, max_size=30),
    sep=hst.sampled_from([";", ",", "\t", "|"]),
    encoding=_ENCODING,
    tail=hst.binary(max_size=20),
)
def test_csv_structured(tmp_path_factory, rows, sep, encoding, tail) -> None:
    text = "\n".join(sep.join(r) for r in rows)
    data = text.encode(encoding, errors="replace") + tail
    with hf.small_limits():
        hf.check_reader(_write(tmp_path_factory, "x.csv", data))


_REF = hst.one_of(
    hst.tuples(hst.integers(0, 60), hst.integers(1, 300)).map(
        lambda t: f"{hf.column_letters(t[0])}{t[1]}"
    ),
    hst.sampled_from(["XFD1048576", "A0", "A", "1", "AAAAA1", "A99999999999", "$B$2", "é1", ""]),
    hst.none(),
)
_CELLS = hst.lists(
    hst.tuples(
        _REF,
        hst.sampled_from([None, "s", "inlineStr", "e", "b", "str", "n", "d", "zz"]),
        hst.one_of(hst.none(), hst.integers(-5, 50), hst.text(max_size=6), hst.just("z" * 400)),
        hst.one_of(hst.none(), hst.just("A1+1")),
    ),
    max_size=40,
)


@FUZZ
@given(
    cells=_CELLS,
    shared=hst.lists(hst.text(max_size=10), max_size=8),
    dimension=hst.sampled_from([None, "A1:C3", "A1:XFD1048576", "ZZ", "B2"]),
    per_row=hst.integers(1, 6),
    flip=hst.one_of(hst.none(), hst.integers(0, 10_000)),
)
def test_xlsx_structured(tmp_path_factory, cells, shared, dimension, per_row, flip) -> None:
    rows = []
    for i in range(0, len(cells), per_row):
        chunk = cells[i : i + per_row]
        rows.append("<row>" + "".join(hf.cell_xml(*c) for c in chunk) + "</row>")
    data = hf.workbook_bytes(
        hf.sheet_xml(rows, dimension), hf.shared_xml(shared) if shared else None
    )
    if flip is not None:
        data = hf.flip_byte(data, flip)
    with hf.small_limits():
        hf.check_reader(_write(tmp_path_factory, "x.xlsx", data))


_JSON = hst.recursive(
    hst.none() | hst.booleans() | hst.integers() | hst.floats() | hst.text(max_size=5),
    lambda inner: (
        hst.lists(inner, max_size=4) | hst.dictionaries(hst.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=25,
)
_COORD = hst.lists(hst.floats(-200, 200) | hst.just(float("nan")), min_size=0, max_size=3)
_GEOMETRY = hst.one_of(
    hst.none(),
    _JSON,
    hst.fixed_dictionaries(
        {
            "type": hst.sampled_from(
                [*hf_types]
                if (
                    hf_types := [
                        "Point",
                        "Polygon",
                        "MultiPolygon",
                        "LineString",
                        "MultiPoint",
                        "GeometryCollection",
                        "Circle",
                        "",
                    ]
                )
                else []
            ),
            "coordinates": hst.one_of(
                _COORD,
                hst.lists(_COORD, max_size=5),
                hst.lists(hst.lists(_COORD, max_size=5), max_size=2),
                _JSON,
            ),
        }
    ),
)
_FEATURE = hst.one_of(
    _JSON,
    hst.fixed_dictionaries(
        {
            "type": hst.just("Feature"),
            "properties": hst.one_of(
                hst.dictionaries(
                    hst.sampled_from(["nom", "code_insee", "surface", "x", ""]), _JSON, max_size=4
                ),
                _JSON,
            ),
            "geometry": _GEOMETRY,
        }
    ),
)


@FUZZ
@given(features=hst.lists(_FEATURE, max_size=12), wrap=hst.booleans())
def test_geojson_structured(tmp_path_factory, features, wrap) -> None:
    data = hf.feature_collection(features)
    if wrap:
        data = b"var donnees = " + data + b";"
    with hf.small_limits():
        hf.check_reader(_write(tmp_path_factory, "x.geojson", data))


@FUZZ
@given(
    members=hst.dictionaries(
        hst.sampled_from(
            [
                "a.csv",
                "b.geojson",
                "../c.csv",
                "d.zip",
                "xl/workbook.xml",
                "e.txt",
                "f.gpkg",
                "dossier/",
                ".cache",
            ]
        ),
        hst.binary(max_size=300),
        max_size=4,
    ),
    flip=hst.one_of(hst.none(), hst.integers(0, 2000)),
)
def test_zip_uploads(tmp_path_factory, members, flip) -> None:
    data = hf.zip_bytes(members)
    if flip is not None:
        data = hf.flip_byte(data, flip)
    with hf.small_limits():
        hf.check_reader(_write(tmp_path_factory, "x.zip", data))


def _gpkg_bytes(tmp_path) -> bytes:
    import numpy as np
    import pyogrio.raw
    import shapely

    path = tmp_path / "seed.gpkg"
    geoms = shapely.to_wkb(np.array([shapely.Point(4.83, 45.76), shapely.Point(2.35, 48.85)]))
    pyogrio.raw.write(
        path,
        geometry=geoms,
        field_data=[np.array(["Poste A", "Poste B"], dtype=object)],
        fields=["nom"],
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    return path.read_bytes()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(flips=hst.lists(hst.integers(0, 200_000), min_size=1, max_size=4))
def test_gpkg_corrupted(tmp_path_factory, flips) -> None:
    data = _gpkg_bytes(tmp_path_factory.mktemp("seed"))
    for at in flips:
        data = hf.flip_byte(data, at)
    with hf.small_limits():
        hf.check_reader(_write(tmp_path_factory, "x.gpkg", data))


def test_json_module_is_not_reached_for_deep_nesting(tmp_path) -> None:
    """The depth bound is measured on the text: a million brackets cost no recursion."""
    path = tmp_path / "deep.geojson"
    path.write_bytes(
        b'{"type":"FeatureCollection","features":' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}"
    )
    assert hf.check_reader(path) == "refused"


def test_zip_bytes_helper_roundtrip() -> None:
    data = hf.zip_bytes({"a.csv": b"x"})
    assert zipfile.ZipFile(io.BytesIO(data)).read("a.csv") == b"x"
    assert json.loads(hf.feature_collection([1]))["features"] == [1]
