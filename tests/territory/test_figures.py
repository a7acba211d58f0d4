"""Key figures computed from the reference tables, asserted against what the sources state."""

from __future__ import annotations

import pytest

from matcher.territory.figures import (
    STATED,
    STATED_RURAL_SHARE_COMMUNES,
    STATED_RURAL_SHARE_POPULATION,
    density_distribution,
    rural_shares,
    territory_key_figures,
)


@pytest.fixture(scope="module")
def figures() -> dict:
    return {f.key: f for f in territory_key_figures()}


def test_pvd_lists_match_the_sources(figures):
    # 1,607 lines in the 2021 list, one of them the placeholder "Trifouilly-les-Oies" (999999)
    assert (figures["pvd_2021"].value, figures["pvd_2021"].stated) == (1606, 1607)
    assert "999999" in figures["pvd_2021"].note
    assert figures["pvd_2023"].value == STATED["pvd_2023"] == 1653
    assert figures["pvd_both"].value == 1593
    assert (figures["pvd_only_2021"].value, figures["pvd_only_2021"].stated) == (13, 14)
    assert figures["pvd_only_2023"].value == 60
    f = figures
    assert f["pvd_both"].value + f["pvd_only_2021"].value == f["pvd_2021"].value
    assert f["pvd_both"].value + f["pvd_only_2023"].value == f["pvd_2023"].value


def test_frr_matches_july_2025(figures):
    assert figures["frr"].value == figures["frr"].stated == 19934
    assert figures["frr_plus"].value == 4456 and figures["frr"].matches


def test_france_services_sites_and_communes(figures):
    sites = figures["france_services_sites"]
    assert sites.value == sites.stated == 2845 and "Saint-Martin" in sites.note
    communes = figures["france_services_communes"]
    # 2,619 codes at the source: arrondissements, old codes and Saint-Martin explain 18
    assert (communes.value, communes.stated) == (2601, 2619)
    assert "arrondissements" in communes.note and "2\u202f619 codes" in communes.note


def test_every_figure_has_a_vintage_and_a_source(figures):
    for f in figures.values():
        assert f.vintage and f.source and f.label
        assert f.matches or f.note, f.key  # a difference is always explained


def test_density_distribution_over_the_seven_levels():
    dist = density_distribution()
    levels, total = dist[dist["density_7"] > 0], dist[dist["density_7"] == 0].iloc[0]
    assert levels["density_7"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert levels["communes"].tolist() == [699, 637, 947, 1996, 5072, 18288, 7236]
    assert int(total["communes"]) == 34875 == int(levels["communes"].sum())
    assert int(total["population"]) == 68_017_091 == int(levels["population"].sum())
    assert levels["population"].iloc[0] == 25_253_447  # grands centres urbains
    assert levels["share_communes"].sum() == pytest.approx(1.0)
    assert levels["share_population"].sum() == pytest.approx(1.0)
    assert levels["density_3"].tolist() == [1, 2, 2, 2, 3, 3, 3]


def test_rural_shares_near_what_insee_states():
    """INSEE: 88 % of communes are rural, with a third of the population (grid definitions)."""
    communes, population = rural_shares()
    assert communes == pytest.approx(STATED_RURAL_SHARE_COMMUNES, abs=0.005)  # 87.7 %
    assert population == pytest.approx(STATED_RURAL_SHARE_POPULATION, abs=0.015)  # 32.1 %
