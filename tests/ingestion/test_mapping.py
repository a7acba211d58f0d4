"""Column mapping: automatic French names, explicit overrides saved per source."""

from __future__ import annotations

import json

import pytest

from matcher.errors import ImportFileError, ValidationError
from matcher.ingestion.mapping import (
    auto_mapping,
    load_mapping_file,
    resolve_mapping,
    save_mapping,
    saved_mapping,
)


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("surface", "floor_area_m2"),
        ("Superficie", "floor_area_m2"),
        ("surface_m2", "floor_area_m2"),
        ("Surface (m²)", "floor_area_m2"),
        ("Code INSEE", "insee_code"),
        ("insee", "insee_code"),
        ("code_commune", "insee_code"),
        ("Commune", "commune_name"),
        ("Latitude", "lat"),
        ("lat", "lat"),
        ("Longitude", "lon"),
        ("lon", "lon"),
        ("lng", "lon"),
        ("X", "x"),
        ("Y_L93", "y"),
        ("Code postal", "postcode"),
        ("Adresse", "address"),
        ("Loyer (€/m²/an)", "rent_eur_m2_year"),
    ],
)
def test_auto_mapping_recognises_french_names(header: str, target: str) -> None:
    assert auto_mapping([header, "autre chose"]) == {target: header}


def test_auto_mapping_uses_each_column_once() -> None:
    mapping = auto_mapping(["surface", "surface_terrain", "nom", "type"])
    assert mapping == {
        "name": "nom",
        "kind": "type",
        "floor_area_m2": "surface",
        "land_area_m2": "surface_terrain",
    }


def test_explicit_mapping_overrides_and_removes() -> None:
    cols = ["Surf.", "surface", "INSEE"]
    mapping = resolve_mapping(cols, "premises", {"floor_area_m2": "Surf.", "insee_code": ""})
    assert mapping == {"floor_area_m2": "Surf."}


def test_explicit_mapping_errors_are_french() -> None:
    with pytest.raises(ValidationError, match="la colonne « Absente »"):
        resolve_mapping(["a"], "premises", {"floor_area_m2": "Absente"})
    with pytest.raises(ValidationError, match="champ cible inconnu"):
        resolve_mapping(["a"], "premises", {"couleur": "a"})


def test_mapping_saved_per_source(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    path = save_mapping("Département 35", {"floor_area_m2": "Surf."})
    assert path.name == "departement_35.json"
    assert saved_mapping("Département 35") == {"floor_area_m2": "Surf."}
    assert saved_mapping("autre") is None


def test_load_mapping_file_variants(tmp_path) -> None:
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"floor_area_m2": "S"}), encoding="utf-8")
    assert load_mapping_file(flat) == {"floor_area_m2": "S"}
    bad = tmp_path / "bad.json"
    bad.write_text("{pas du json", encoding="utf-8")
    with pytest.raises(ImportFileError, match="JSON invalide"):
        load_mapping_file(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"columns": {"a": 3}}), encoding="utf-8")
    with pytest.raises(ImportFileError, match="attendu un objet"):
        load_mapping_file(wrong)


def test_owner_names_not_read_automatically() -> None:
    """A « propriétaire » column may name natural persons: never mapped without being asked."""
    mapping = auto_mapping(["nom", "Propriétaire", "proprio_nom", "Téléphone", "E-mail", "Contact"])
    assert mapping == {"name": "nom"}
    assert auto_mapping(["Organisme"]) == {"owner_org": "Organisme"}
