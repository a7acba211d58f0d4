"""Cell parsers: French numbers, odd point formats, booleans, INSEE codes, mojibake."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hst

from matcher.ingestion.parsing import (
    map_vocabulary,
    normalize_insee_codes,
    parse_booleans,
    parse_numbers,
    parse_point_text,
    repair_mojibake,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", 1234.0),
        ("1 234", 1234.0),
        ("1\u00a0234,5", 1234.5),
        ("1\u202f234,5", 1234.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("3,1", 3.1),
        ("-12,5", -12.5),
        ("1e3", 1000.0),
        ("  42  ", 42.0),
        ("5'922", 5922.0),
    ],
)
def test_parse_numbers_reads_french_and_english_forms(text: str, expected: float) -> None:
    values, bad, non_finite = parse_numbers(pd.Series([text]))
    assert values.iloc[0] == pytest.approx(expected)
    assert not bad.iloc[0] and not non_finite.iloc[0]


@pytest.mark.parametrize("text", ["NaN", "nan", "Infinity", "-inf", "1e400", "-1e999"])
def test_parse_numbers_flags_non_finite(text: str) -> None:
    values, bad, non_finite = parse_numbers(pd.Series([text]))
    assert non_finite.iloc[0] and not bad.iloc[0]
    assert math.isnan(values.iloc[0])


@pytest.mark.parametrize("text", ["abc", "12 m²", "1,2,3", "=1+1", "--5"])
def test_parse_numbers_flags_unreadable(text: str) -> None:
    _, bad, non_finite = parse_numbers(pd.Series([text]))
    assert bad.iloc[0] and not non_finite.iloc[0]


def test_parse_numbers_empty_is_missing_not_error() -> None:
    values, bad, non_finite = parse_numbers(pd.Series(["", "  ", None]))
    assert values.isna().all() and not bad.any() and not non_finite.any()


@given(hst.integers(min_value=0, max_value=10**9), hst.integers(min_value=0, max_value=99))
def test_parse_numbers_roundtrips_french_formatting(units: int, cents: int) -> None:
    text = f"{units:,}".replace(",", "\u00a0") + f",{cents:02d}"
    values, bad, _ = parse_numbers(pd.Series([text]))
    assert not bad.iloc[0]
    assert values.iloc[0] == pytest.approx(units + cents / 100)


def test_parse_point_text_formats() -> None:
    lon, lat = parse_point_text(
        pd.Series(["POINT (4.48 49.52)", "Point (4.1 49.1)", "c(5.5, 45.8)", "", "POINT EMPTY"])
    )
    assert lon.tolist()[:3] == [4.48, 4.1, 5.5]
    assert lat.tolist()[:3] == [49.52, 49.1, 45.8]
    assert np.isnan(lon.iloc[3]) and np.isnan(lon.iloc[4])


def test_parse_point_text_latlon_pairs() -> None:
    lon, lat = parse_point_text(
        pd.Series(["48.943878, 2.189764", "44.62868,4.201706"]), order="latlon"
    )
    assert lon.tolist() == [2.189764, 4.201706]
    assert lat.tolist() == [48.943878, 44.62868]


def test_parse_booleans() -> None:
    values, bad = parse_booleans(pd.Series(["oui", "NON", "1", "0", "x", "", "bof"]))
    assert values.tolist() == [True, False, True, False, True, None, None]
    assert bad.tolist() == [False] * 6 + [True]


def test_normalize_insee_codes_pads_and_rejects() -> None:
    codes, bad = normalize_insee_codes(
        pd.Series(["1004", "01004", "2b033", "123", "7505X", "75056.0"])
    )
    assert codes.tolist() == ["01004", "01004", "2B033", "", "", "75056"]
    assert bad.tolist() == [False, False, False, True, True, False]


def test_repair_mojibake_only_when_damaged() -> None:
    assert repair_mojibake("Rue des Ã\x89coles") == "Rue des Écoles"
    assert repair_mojibake("Albert RouviÃ¨re") == "Albert Rouvière"
    assert repair_mojibake("Déjà bon") == "Déjà bon"


def test_map_vocabulary_order_and_exact_codes() -> None:
    voc = {"commercial_friche": ("friche_commerciale",), "shop": ("commerc",)}
    codes, unknown = map_vocabulary(
        pd.Series(["Friche commerciale", "Commerce", "shop", "Cinéma"]), voc
    )
    assert codes.tolist() == ["commercial_friche", "shop", "shop", None]
    assert unknown.tolist() == [False, False, False, True]
