"""Territory look-ups and map data for the pages, through services that check the actor."""

from __future__ import annotations

import pytest

from matcher.errors import PermissionDenied, ValidationError
from matcher.services import Actor, maps, places


def test_commune_search_ignores_accents_and_case(world):
    found = places.search_communes(world.owner_a, "CAPDÉNAC")
    assert [c["insee_code"] for c in found] == ["12052", "46055"]
    assert found[0]["label"] == "Capdenac-Gare (12) — 4\u202f505 hab."
    assert places.search_communes(world.owner_a, "a") == []  # too short to search


def test_commune_at_a_point_and_at_sea(world):
    albi = places.commune_at(world.owner_a, 2.1464, 43.9289)
    assert (albi["insee_code"], albi["name"], albi["zone"]) == ("81004", "Albi", "FXX")
    with pytest.raises(ValidationError, match="aucune commune française"):
        places.commune_at(world.owner_a, -30.0, 45.0)
    with pytest.raises(ValidationError, match="inconnu"):
        places.commune(world.owner_a, "99999")


def test_place_labels_name_departements_and_the_main_towns_of_the_view(world):
    national = maps.place_labels(world.holder_a)
    assert len(national["departements"]) > 95 and national["towns"] == []
    tarn = maps.place_labels(world.holder_a, (1.6, 43.5, 2.6, 44.2), towns=3)
    assert [t["name"] for t in tarn["towns"]][:2] == ["Albi", "Castres"]
    pops = [t["population"] for t in tarn["towns"]]
    assert pops == sorted(pops, reverse=True) and len(pops) == 3
    assert "Tarn" in {d["name"] for d in tarn["departements"]}
    toulouse = maps.place_labels(world.holder_a, (1.0, 43.3, 1.9, 43.9), towns=6)["towns"]
    assert toulouse[0]["name"] == "Toulouse"  # its suburbs do not write over it
    assert not {"Blagnac", "Colomiers", "Tournefeuille"} & {t["name"] for t in toulouse}


def test_map_services_refuse_an_unknown_actor(world):
    ghost = Actor(id=9999, organisation_id=1, role="holder")
    with pytest.raises(PermissionDenied):
        maps.departement_outlines(ghost)
    with pytest.raises(PermissionDenied):
        places.search_communes(ghost, "Albi")
