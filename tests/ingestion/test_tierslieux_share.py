"""Share of tiers-lieux outside the metropoles, next to the Mission Coworking's 46 %."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.ingestion.tierslieux_share import (
    MISSION_COWORKING_OUTSIDE_PCT,
    compare_with_mission_coworking,
    format_comparison,
    outside_metropole_mask,
    share_from_file,
)


def test_outside_metropole_mask(territory) -> None:
    mask = outside_metropole_mask(pd.Series(["75056", "69123", "12202", "85113"]), territory)
    assert mask.tolist() == [False, False, True, True]  # Paris, Lyon (ME); Rodez, Île-d'Yeu


DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("source", "path", "located", "share"),
    [
        ("fablabs_2020", "fablabs_france_2020/fablabs_2020_extrait.csv", 171, 76.0),
        ("bretagne_tiers_lieux", "tiers_lieux_bretagne_fablabs/map_bzh_fablab_extrait.geojson", 120, 61.7),
    ],
)  # fmt: skip
def test_extracts_against_46_percent(territory, source, path, located, share) -> None:
    """The committed copies (every record, contacts emptied) give the full lists' shares."""
    result = share_from_file(DATA / path, source=source, territory=territory)
    assert result.places_located == located
    assert result.share_pct == pytest.approx(share, abs=0.05)


def test_real_lists_against_46_percent(raw_dir, territory) -> None:
    frame = compare_with_mission_coworking(territory=territory).set_index("source")
    assert frame.loc["fablabs_2020", "places_located"] == 171
    assert frame.loc["fablabs_2020", "share_outside_pct"] == pytest.approx(76.0, abs=0.05)
    assert frame.loc["bretagne_tiers_lieux", "share_outside_pct"] == pytest.approx(61.7, abs=0.05)
    assert frame.loc["occitanie_tiers_lieux", "share_outside_pct"] == pytest.approx(62.7, abs=0.05)
    assert (frame["mission_coworking_2018_pct"] == MISSION_COWORKING_OUTSIDE_PCT).all()
    text = format_comparison(frame.reset_index())
    assert "46 % hors des métropoles" in text and "+30.0 points" in text


def test_census_file_can_be_dropped_in(tmp_path, territory) -> None:
    census = tmp_path / "recensement_national.csv"
    census.write_text(
        "nom;code_insee;type\nA;69123;coworking\nB;35238;fablab\nC;12202;tiers-lieu\nD;48095;coworking\nE;;fablab\n",
        encoding="utf-8",
    )
    result = share_from_file(census, source="recensement", territory=territory)
    assert (result.places_read, result.places_located, result.outside_metropoles) == (5, 4, 2)
    assert result.share_pct == 50.0
    frame = compare_with_mission_coworking(sources=(), extra_files=(census,), territory=territory)
    assert frame["share_outside_pct"].tolist() == [50.0] and frame["difference_pts"].tolist() == [
        4.0
    ]
