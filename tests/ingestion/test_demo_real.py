"""Real premises for the demo: friches without project and former post offices, labelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.domain import FRICHE_KINDS, PREMISE_COLUMNS
from matcher.ingestion.demo_real import former_post_offices, real_premises_for_demo

LAPOSTE = Path(__file__).resolve().parents[1] / "data" / "laposte_points_contact"
EXTRACTS = (
    LAPOSTE / "laposte_poincont2_2016_extrait.csv",
    LAPOSTE / "laposte_poincont2_2020_extrait.csv",
)


@pytest.fixture(scope="module")
def demo(raw_dir, territory):
    return real_premises_for_demo(territory)


def test_columns_labels_and_sources(demo) -> None:
    assert list(demo.columns) == list(PREMISE_COLUMNS)
    assert not demo["synthetic"].any() and demo["source"].notna().all()
    assert set(demo["source"]) == {"cartofriches", "ardennes_friches", "laposte_2016_2020"}
    assert (demo["status"] == "available").all()
    assert demo.groupby("source")["source_id"].apply(lambda s: s.is_unique).all()
    friches = demo[demo["source"] != "laposte_2016_2020"]
    assert friches["kind"].isin(FRICHE_KINDS | {"public_building", "school"}).all()
    assert len(demo) > 2500


def test_former_post_offices_on_the_extracts(territory) -> None:
    """The 2016 extract holds the 2020 extract's sites and some that closed: same rule, small."""
    gone = former_post_offices(territory, paths=EXTRACTS)
    ids = set(gone["source_id"])
    assert "15531A" in ids and "01145A" not in ids
    row = gone.set_index("source_id").loc["15531A"]
    assert row["name"] == "Ancien bureau de poste Bourg De Visa" and row["kind"] == "post_office"
    assert set(gone["status"]) == {"available"} and set(gone["source"]) == {"laposte_2016_2020"}


def test_former_post_offices(raw_dir, territory) -> None:
    gone = former_post_offices(territory)
    ids = set(gone["source_id"])
    assert "15531A" in ids  # BOURG DE VISA BP became a communal agency in 2020
    assert "01145A" not in ids  # TOURNON SUR RHONE is still a Bureau de Poste
    row = gone.set_index("source_id").loc["15531A"]
    assert row["name"] == "Ancien bureau de poste Bourg De Visa" and row["kind"] == "post_office"
    assert 1000 < len(gone) < 1500


def test_ardennes_duplicate_of_cartofriches_kept_once(demo) -> None:
    from matcher.ingestion.duplicates import likely_duplicates

    carto = demo[demo["source"] == "cartofriches"]
    ardennes = demo[demo["source"] == "ardennes_friches"]
    assert likely_duplicates(ardennes, carto).empty
