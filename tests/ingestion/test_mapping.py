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


# --- the values decide between candidates --------------------------------------------
import hypothesis.strategies as hst  # noqa: E402
import pandas as pd  # noqa: E402
from hypothesis import given, settings  # noqa: E402

from matcher.ingestion.mapping import field_label, guess_mapping  # noqa: E402
from matcher.ingestion.profiles import detect_profile  # noqa: E402


def _frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_a_column_na_on_every_row_is_not_chosen_when_another_has_values() -> None:
    f = _frame(bati_surface=["NA"] * 6, surface=["120", "80", "95", "60", "40", "NA"])
    guess = guess_mapping(f)
    assert guess.mapping == {"floor_area_m2": "surface"}
    assert any("« bati_surface » est vide sur toutes les lignes" in n.text for n in guess.notes)


def test_an_empty_column_is_kept_only_when_nothing_else_fits_and_the_note_says_so() -> None:
    guess = guess_mapping(_frame(nom=list("abcdef"), bati_surface=["NA", "", "-", "n.c.", "?", ""]))
    assert guess.mapping["floor_area_m2"] == "bati_surface"
    assert [n.text for n in guess.notes if n.chosen] == [
        "« bati_surface » (Surface de plancher (m²)) est vide sur toutes les lignes : cette "
        "information restera inconnue."
    ]


def test_land_and_floor_surfaces_told_apart() -> None:
    assert guess_mapping(_frame(surface_terrain_m2=[], surface_batie=[])).mapping == {
        "floor_area_m2": "surface_batie",
        "land_area_m2": "surface_terrain_m2",
    }
    assert guess_mapping(_frame(site_surface=[], bati_surface=[])).mapping == {
        "floor_area_m2": "bati_surface",
        "land_area_m2": "site_surface",
    }
    labels = _frame(**{"Surface du terrain (m²)": [], "Surface de plancher (m²)": []})
    assert guess_mapping(labels).mapping == {
        "floor_area_m2": "Surface de plancher (m²)",
        "land_area_m2": "Surface du terrain (m²)",
    }


def test_a_departement_code_is_not_taken_for_a_commune_code() -> None:
    f = _frame(
        insee_dep=["01", "01", "13", "75", "33"],
        insee_com=list(["01033", "01388", "13055", "75056", "33063"]),
    )
    guess = guess_mapping(f)
    assert guess.mapping == {"insee_code": "insee_com"}
    f = _frame(code_insee=["01", "01", "13", "75", "33"], latitude=["45"] * 5, longitude=["5"] * 5)
    guess = guess_mapping(f)
    assert "insee_code" not in guess.mapping
    assert any(
        n.text.startswith("« code_insee » non retenue pour « Code INSEE » : 100 % des valeurs")
        and "(ex. « 01 »)" in n.text
        for n in guess.notes
    )


def test_a_departement_name_is_not_a_premise_name() -> None:
    f = _frame(nom_departement=["Ariège"] * 30, nom_commune=["Foix"] * 30)
    assert guess_mapping(f).mapping == {"commune_name": "nom_commune"}


def test_a_kind_column_whose_values_are_no_kind_is_left_aside() -> None:
    f = _frame(nature=["MTE non vérifié", "observatoire local", "Ademe", "MTE", "fond friche"])
    guess = guess_mapping(f)
    assert "kind" not in guess.mapping
    assert any("« nature » non retenue pour « Type de local »" in n.text for n in guess.notes)


def test_repeated_values_are_no_identifier() -> None:
    f = _frame(id=["1", "1", "1", "2", "2", "2"], nom=list("abcdef"))
    assert "source_id" not in guess_mapping(f).mapping


def test_french_labels_are_accepted_as_fields_of_an_explicit_mapping() -> None:
    assert resolve_mapping(["Surf."], "premises", {"Surface de plancher (m²)": "Surf."}) == {
        "floor_area_m2": "Surf."
    }
    with pytest.raises(ValidationError, match="pour « Surface de plancher \\(m²\\) »"):
        resolve_mapping(["a"], "premises", {"floor_area_m2": "Absente"})


def test_every_field_has_a_french_label() -> None:
    from matcher.ingestion.synonyms import PREMISE_SYNONYMS

    for target in PREMISE_SYNONYMS:
        label = field_label(target)
        assert label != target and "_" not in label, target


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        (["site_id", "site_nom", "site_type", "site_statut", "comm_insee", "bati_surface"], "cnig_friches"),
        (["", "site_id", "nature", "nom_prodcartofriches", "site_statut", "geom"], "cartofriches_list"),
        (["#Identifiant_du_site", "Libellé_du_site", "Caractéristique_du_site", "Localité",
          "Précision_du_géocodage"], "laposte"),
        (["id_mutation", "valeur_fonciere", "type_local", "surface_reelle_bati"], "dvf"),
        (["nom", "surface", "commune"], "generic"),
    ],
)  # fmt: skip
def test_layouts_recognised_from_headers(headers, key) -> None:
    assert detect_profile(pd.DataFrame(columns=headers)).key == key


def test_layouts_confirmed_by_values() -> None:
    headers = ["site_id", "site_nom", "site_type", "site_statut", "comm_insee", "bati_surface"]
    friches = pd.DataFrame(
        [["1", "a", "friche industrielle", "friche sans projet", "1", "NA"]] * 3, columns=headers
    )
    assert detect_profile(friches).key == "cnig_friches"
    other = friches.assign(site_statut="ouvert", site_type="bureau")
    assert detect_profile(other).key == "generic"


_HEADERS = [
    "surface",
    "bati_surface",
    "surface_m2",
    "superficie",
    "code_insee",
    "insee",
    "nom",
    "libelle",
]
_CELLS = hst.sampled_from(["", "NA", "-", "12", "40,5", "75056", "Lyon", "n.c."])


@settings(max_examples=60, deadline=None)
@given(
    hst.lists(hst.sampled_from(_HEADERS), min_size=1, max_size=6, unique=True).flatmap(
        lambda cols: hst.lists(
            hst.lists(_CELLS, min_size=len(cols), max_size=len(cols)), min_size=0, max_size=8
        ).map(lambda rows: pd.DataFrame(rows, columns=cols))
    )
)
def test_guess_invariants(frame: pd.DataFrame) -> None:
    """A column serves one field; an empty column never wins over a candidate with values."""
    from matcher.ingestion.columns import blank_missing

    guess = guess_mapping(frame)
    used = list(guess.mapping.values())
    assert len(used) == len(set(used)) and set(used) <= set(frame.columns)
    if len(frame):
        filled = {c: bool((blank_missing(frame[c]) != "").any()) for c in frame.columns}
        floor = guess.mapping.get("floor_area_m2")
        candidates = [
            c for c in frame.columns if c in {"surface", "bati_surface", "surface_m2", "superficie"}
        ]
        if floor is not None and not filled[floor]:
            assert not any(filled[c] and c not in used for c in candidates)
