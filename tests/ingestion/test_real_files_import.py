"""The generic import (any source name, default mapping) on real premises files.

What a user gets when they upload a real file and change nothing: the layout is
recognised, (nearly) every row imports, and the records agree with those of the
dataset's own adapter. Runs on the committed extracts always, and on the full
raw files where the raw data folder is present.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.ingestion import ADAPTERS, read_premises

DATA = Path(__file__).resolve().parents[1] / "data"

#: name -> (extract, raw file relative to the raw folder, adapter, layout recognised,
#: (rows read, rows valid) on the extract, (rows read, rows valid) on the raw file).
FILES = {
    "cartofriches_standard": (
        DATA / "cartofriches_standard" / "friches_standard_extrait.csv",
        "cartofriches_standard/friches_standard_test.csv",
        "cartofriches",
        "standard CNIG des friches",
        (426, 426),
        (2174, 2174),
    ),
    "cartofriches_liste_sites": (
        DATA / "cartofriches_liste_sites" / "listes_friches_extrait.csv",
        "cartofriches_liste_sites/listes_friches_ok.csv",
        "cartofriches_sites",
        "liste des sites Cartofriches",
        (300, 300),
        (18698, 18698),
    ),
    "laposte_2020": (
        DATA / "laposte_points_contact" / "laposte_poincont2_2020_extrait.csv",
        "laposte_points_contact/laposte_poincont2_2020.csv",
        "laposte",
        "points de contact de La Poste",
        (300, 281),
        (17716, 17690),
    ),
    "laposte_2016": (
        DATA / "laposte_points_contact" / "laposte_poincont2_2016_extrait.csv",
        "laposte_points_contact/laposte_poincont2_2016.csv",
        "laposte_2016",
        "points de contact de La Poste",
        (328, 309),
        (17212, 17188),
    ),
    "dvf": (
        DATA / "dvf_qpv_occitanie" / "foncier_qp_extrait.xlsx",
        "dvf_qpv_occitanie/foncier_qp.xlsx",
        None,
        "mutations DVF (demandes de valeurs foncières)",
        (306, 306),
        (28825, 28825),
    ),
}
#: Columns on which the generic import and the adapter must agree.
SAME = ["kind", "status", "insee_code", "lon", "lat", "land_area_m2", "floor_area_m2", "name"]
_CACHE: dict[tuple[str, str], object] = {}


def _generic(path: Path, territory):
    key = ("generic", str(path))
    if key not in _CACHE:
        _CACHE[key] = read_premises(path, source="anything", territory=territory, mode="valid_only")
    return _CACHE[key]


def _adapter(name: str, path: Path, territory):
    key = (name, str(path))
    if key not in _CACHE:
        _CACHE[key] = ADAPTERS[name].read(path, territory=territory, mode="valid_only")
    return _CACHE[key]


def _norm(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def _check(name: str, path: Path, counts: tuple[int, int], territory) -> None:
    _extract, _raw, adapter, label, _e, _r = FILES[name]
    result = _generic(path, territory)
    assert result.report.recognised == label
    assert (result.rows_read, len(result.records)) == counts, result.report.summary()
    assert result.records["source_id"].is_unique
    if adapter is None:
        return
    own = _adapter(adapter, path, territory).records.set_index("source_id")
    mine = result.records.set_index("source_id").loc[own.index]
    columns = [c for c in SAME if c in own.columns]
    if adapter == "cartofriches_sites":
        columns.remove("name")  # the list has no name: the adapter writes ""
    pd.testing.assert_frame_equal(_norm(mine[columns]), _norm(own[columns]))


@pytest.mark.parametrize("name", list(FILES))
def test_default_mapping_on_the_extract(name, territory) -> None:
    _check(name, FILES[name][0], FILES[name][4], territory)


@pytest.mark.parametrize("name", list(FILES))
def test_default_mapping_on_the_full_file(name, raw_dir, territory) -> None:
    path = raw_dir / FILES[name][1]
    if not path.exists():
        pytest.skip(f"Fichier réel absent : {path.name}.")
    _check(name, path, FILES[name][5], territory)


def test_ardennes_observatory_is_read_as_cnig(raw_dir, territory) -> None:
    """No extract (no licence stated): the full file only."""
    result = _generic(raw_dir / "friches_ardennes_obs" / "data.csv", territory)
    assert result.report.recognised == "standard CNIG des friches"
    assert (result.rows_read, len(result.records)) == (164, 164)
    assert "other" not in set(result.records["kind"])


def test_cnig_file_imports_in_all_or_nothing_with_the_default_mapping(territory) -> None:
    """The reported failure: a CNIG file, default mapping, « tout ou rien »: every row."""
    path = FILES["cartofriches_standard"][0]
    result = read_premises(path, source="anything", territory=territory)
    assert result.report.importable() and len(result.records_to_import()) == 426
    assert result.records["floor_area_m2"].isna().all()  # bati_surface: NA, unknown
    assert result.records["land_area_m2"].notna().mean() > 0.9
    assert result.records["kind"].ne("other").all()
    landfills = result.records[result.records["name"].str.contains("écharge", na=False)]
    assert len(landfills) and set(landfills["status"]) == {"withdrawn"}
