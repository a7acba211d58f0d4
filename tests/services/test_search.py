"""Search service: rights, public fields only, and never stale after an edit."""

import pytest

from matcher.errors import NotFound, PermissionDenied
from matcher.services import accounts, premises, search

NEEDS = {
    "project_type": "coworking",
    "target_lon": 5.36,
    "target_lat": 45.96,
    "radius_km": 30,
    "surface_min_m2": 100,
    "surface_max_m2": 400,
}


def test_holder_searches_and_sees_public_fields_only(world):
    result = search.search_premises(world.holder_a, NEEDS, k=10)
    table = result.table
    assert set(table["premise_id"]) == {world.premise_a, world.premise_b}
    assert table["rank"].tolist() == [1, 2]
    assert table["score_0_100"].between(0, 100).all()
    assert {"Commune A", "Commune B"} == set(table["owner_org"])
    for private in ("contact_email", "internal_notes"):
        assert private not in table.columns
    assert "secret@commune-a.fr" not in table.to_csv()
    assert result.catalogue_version >= 1 and result.engine_version
    assert sum(result.weights.values()) == pytest.approx(1.0)


def test_search_is_never_stale_after_an_edit(world):
    before = search.search_premises(world.holder_a, NEEDS, k=10)
    view = premises.get_premise(world.owner_a, world.premise_a)
    premises.change_status(world.owner_a, world.premise_a, "withdrawn", view["version"])
    after = search.search_premises(world.holder_a, NEEDS, k=10)
    assert after.catalogue_version > before.catalogue_version
    assert world.premise_a not in set(after.table["premise_id"])
    # An edit of surface changes the score at once.
    view_b = premises.get_premise(world.owner_b, world.premise_b)
    premises.update_premise(
        world.owner_b, world.premise_b, {"floor_area_m2": 5000}, view_b["version"]
    )
    again = search.search_premises(world.holder_a, NEEDS, k=10, include_failed=True)
    row = again.table.set_index("premise_id").loc[world.premise_b]
    assert row["floor_area_m2"] == 5000
    assert "surface" in row["failed"]


def test_a_deleted_premise_leaves_the_warm_engine_at_once(world):
    made = premises.create_premise(
        world.owner_a,
        {"kind": "shop", "name": "Supprimée", "lon": 5.37, "lat": 45.95, "floor_area_m2": 200},
    )
    before = search.search_premises(world.holder_a, NEEDS, k=50, include_failed=True)
    assert made["id"] in set(before.table["premise_id"])  # the engine holds it (warm)
    premises.delete_premise(world.owner_a, made["id"], made["version"])
    after = search.search_premises(world.holder_a, NEEDS, k=50, include_failed=True)
    assert after.catalogue_version > before.catalogue_version
    assert made["id"] not in set(after.table["premise_id"])


def test_explanation_in_french(world):
    exp = search.explain_premise(world.holder_a, NEEDS, world.premise_a)
    assert exp.lines and all(isinstance(line, str) for line in exp.lines)
    assert any("km" in line for line in exp.lines)
    assert exp.contributions["contribution"].sum() == pytest.approx(exp.score_0_100, abs=1e-6)
    with pytest.raises((NotFound, ValueError)):
        search.explain_premise(world.holder_a, NEEDS, 999_999)


@pytest.mark.parametrize("who", ["owner_a", "fund", "admin"])
def test_projects_for_premise_allowed(world, who):
    table = search.projects_for_premise(getattr(world, who), world.premise_a)
    assert "budget_purchase_eur" not in table.columns
    assert "internal_notes" not in table.columns


@pytest.mark.parametrize("who", ["owner_b", "holder_a", "holder_b"])
def test_projects_for_premise_refused(world, who):
    with pytest.raises(PermissionDenied):
        search.projects_for_premise(getattr(world, who), world.premise_a)


def test_deactivated_account_cannot_search(world):
    accounts.set_user_active(world.admin, world.holder_b.id, False)
    with pytest.raises(PermissionDenied):
        search.search_premises(world.holder_b, NEEDS)
    with pytest.raises(PermissionDenied):
        search.search_premises(None, NEEDS)  # type: ignore[arg-type]


def test_presets_and_labels():
    presets = search.presets()
    assert set(presets) >= {"coworking", "fablab", "food"}
    labels = search.criteria_labels()
    assert set(labels) == set(next(iter(presets.values())))


def test_target_by_epci_expands_to_its_communes(world):
    # CA du Bassin de Bourg-en-Bresse holds 01004? Use the EPCI of the premises' commune.
    from matcher.territory import load_territory

    epci = load_territory().commune("01004")["epci_code"]
    needs = {"project_type": "coworking", "target_insee_codes": epci}
    table = search.search_premises(world.holder_a, needs, k=10).table
    assert set(table["premise_id"]) == {world.premise_a, world.premise_b}
    far = {"project_type": "coworking", "target_insee_codes": "200046977"}  # Métropole de Lyon
    assert search.search_premises(world.holder_a, far, k=10).table.empty


@pytest.mark.parametrize("bad", ["12345678", "999999999", "ZZ"])
def test_bad_target_codes_are_named(world, bad):
    from matcher.errors import ValidationError

    with pytest.raises(ValidationError, match=bad):
        search.search_premises(world.holder_a, {"target_insee_codes": bad})


def test_a_renamed_premise_shows_its_new_name_at_once(world):
    before = search.search_premises(world.holder_a, NEEDS, k=10)
    assert world.premise_a in set(before.table["premise_id"])  # its public row is now kept
    view = premises.get_premise(world.owner_a, world.premise_a)
    premises.update_premise(world.owner_a, world.premise_a, {"name": "Ancienne poste rénovée"},
                            view["version"])  # fmt: skip
    after = search.search_premises(world.holder_a, NEEDS, k=10).table.set_index("premise_id")
    assert after.loc[world.premise_a, "name"] == "Ancienne poste rénovée"


def test_a_renamed_owner_shows_in_the_results_at_once(world):
    from matcher.services import organisations

    table = search.search_premises(world.holder_a, NEEDS, k=10).table.set_index("premise_id")
    assert table.loc[world.premise_a, "owner_org"] == "Commune A"
    org = next(o for o in organisations.list_organisations(world.admin) if o.name == "Commune A")
    organisations.update_organisation(world.admin, org.id, {"name": "Commune A nouvelle"},
                                      org.version)  # fmt: skip
    again = search.search_premises(world.holder_a, NEEDS, k=10).table.set_index("premise_id")
    assert again.loc[world.premise_a, "owner_org"] == "Commune A nouvelle"
    assert again.loc[world.premise_b, "owner_org"] == "Commune B"


def test_kept_public_rows_never_outlive_their_catalogue_version():
    from matcher.services.engine_state import EngineState, PublicRows

    state = EngineState(url="sqlite://")
    rows = PublicRows(max_rows=3)
    state.public = rows
    rows.advance(state, 5, None)
    rows.put(state, 4, {1: ("vieux",)})  # read under an older version: refused
    assert rows.get([1]) == ({}, [1])
    rows.put(state, 5, {1: ("a",), 2: ("b",)})
    rows.advance(state, 6, [1])  # premise 1 changed in version 6
    assert rows.get([1, 2]) == ({2: ("b",)}, [1])
    rows.put(state, 6, {3: ("c",), 4: ("d",), 5: ("e",)})
    assert len(rows) == 3  # bounded: the oldest kept row went first
    assert rows.get([2])[0] == {}
