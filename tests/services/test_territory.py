"""Territory services: home figures counted in the database, look-ups, rights checked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.errors import AmbiguousTerritoryError, PermissionDenied
from matcher.services import Actor, accounts
from matcher.services import territory as territory_service
from matcher.services._common import transaction
from matcher.storage.models import Project


def test_home_figures_count_projects_in_the_database(world):
    figures = territory_service.home_figures(world.holder_b)
    with transaction(write=False) as s:
        assert figures.projects == s.scalar(select(func.count()).select_from(Project)) == 3
    assert figures.tiers_lieux_known == 280
    table = figures.key_figures
    assert list(table.columns) == [
        "Indicateur", "Valeur", "Chiffre de la source", "Millésime", "Source", "Remarque",
    ]  # fmt: skip
    frr = table[table["Indicateur"].str.startswith("Communes classées France Ruralités")].iloc[0]
    assert (frr["Valeur"], frr["Chiffre de la source"]) == ("19\u202f934", "19\u202f934")
    assert frr["Millésime"] == "10 juillet 2025"
    assert figures.density["Niveau de densité"].iloc[-1] == "Ensemble"
    assert figures.density["Part des communes"].iloc[-1] == "100,0\u00a0%"
    assert figures.white_zones_rural > 0 and figures.white_zones_urban > 0
    assert len(figures.coverage) == 101


def test_home_layers_have_colours_and_french_tips(world):
    layers = territory_service.home_layers(world.owner_a)
    assert {"color", "tip", "gap", "lon", "lat"} <= set(layers.white_zones.columns)
    assert layers.white_zones["tip"].str.contains("Liste partielle").all()
    assert len(layers.tiers_lieux) == 280


def test_commune_lookup_resolves_old_codes(world):
    found = territory_service.commune_lookup(world.owner_a, "16355")
    assert found["insee_code"] == "16097" and found["resolved_from"] == "16355"
    assert "fusionnée dans Val-de-Cognac" in found["resolution"]
    assert found["in_qpv"] is None and found["pvd"] is False and found["density_7"] == 6
    with pytest.raises(AmbiguousTerritoryError):
        from matcher.territory import load_territory

        load_territory().canonical_code("85084", vintage=2020)


def test_services_refuse_an_unknown_or_deactivated_account(world):
    ghost = Actor(id=999, organisation_id=1, role="owner")
    with pytest.raises(PermissionDenied):
        territory_service.home_figures(ghost)
    accounts.set_user_active(world.admin, world.holder_b.id, False)
    for call in (
        territory_service.home_figures,
        territory_service.home_layers,
        lambda a: territory_service.commune_lookup(a, "01004"),
    ):
        with pytest.raises(PermissionDenied):
            call(world.holder_b)


def test_catalogue_figures_count_in_french_and_show_the_pipeline_to_the_fund(world):
    import pandas as pd

    premises = pd.DataFrame(
        {
            "kind": ["school", "school", "shop", None],
            "region_name": ["Occitanie", "Occitanie", None, "Bretagne"],
            "in_metropole": [True, False, False, None],
        }
    )
    holder = territory_service.catalogue_figures(world.holder_a, premises)
    assert holder.available == 4 and holder.pipeline is None
    assert holder.share_outside_metropoles == pytest.approx(2 / 3)  # unknown left out
    assert holder.by_kind.to_dict("records")[0] == {"Type de local": "École", "Locaux": 2}
    assert dict(zip(holder.by_region["Région"], holder.by_region["Locaux"], strict=True)) == {
        "Occitanie": 2, "inconnue": 1, "Bretagne": 1,
    }  # fmt: skip
    fund = territory_service.catalogue_figures(world.fund, premises)
    assert list(fund.pipeline.columns) == ["Étape", "Dossiers", "Tickets (€)"]
    assert fund.pipeline["Dossiers"].sum() >= 1  # the world's deal
