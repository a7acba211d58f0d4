"""What a column's values look like: filled or empty, numbers, codes, points, known words.

The automatic mapping (:mod:`matcher.ingestion.mapping`) uses these checks to
choose between columns whose names fit a field: a column that is ``NA`` on
every row, or whose values cannot be the field (a département code offered as
an INSEE code), is never chosen while another candidate fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from matcher.ingestion import vocabulary as voc
from matcher.ingestion.parsing import map_vocabulary, normalize_text, parse_numbers

#: Below this many filled cells, values say too little: the name decides alone.
MIN_FILLED_FOR_CHECKS: Final = 5
#: Share of filled cells that must fit a field for its column to be chosen.
MIN_SHARE: Final = 0.5
#: Vocabulary fields: share of filled cells that must be recognised words.
MIN_VOCAB_SHARE: Final = 0.3

_INSEE = re.compile(r"^(\d{4,5}|2[AaBb]\d{3})(\.0)?$")
_POSTCODE = re.compile(r"^\d{4,5}(\.0)?$")
_POINT = re.compile(r"^\s*(point\s*z?\s*\(|c\()\s*[-+0-9.eE]+[\s,]+[-+0-9.eE]+", re.IGNORECASE)
_PAIR = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*[,; ]\s*[-+]?\d+(\.\d+)?\s*$")


_ACCENTS = str.maketrans("àâäéèêëîïôöùûüç", "aaaeeeeiioouuuc")


def missing_mask(values: pd.Series) -> pd.Series:
    """Return True where a cell means "unknown" (empty, ``NA``, ``-``, « non renseigné »...).

    Vectorised: only short cells without digits can be such words.

    >>> missing_mask(pd.Series(["NA", "", " - ", "n.c.", "Non renseigné", "12", "Nantes"])).tolist()
    [True, True, True, True, True, False, False]
    """
    text = values.fillna("").astype(str).str.strip()
    out = text.isin(voc.MISSING_MARKS) | (text == "")
    short = (text.str.len() <= 16) & ~text.str.contains(r"\d", regex=True) & ~out
    if short.any():
        key = (
            text[short]
            .str.lower()
            .str.translate(_ACCENTS)
            .str.replace(r"[^a-z0-9]+", "_", regex=True)
            .str.strip("_")
        )
        out[short] = key.isin(voc.MISSING_WORDS)
    return out


def blank_missing(values: pd.Series) -> pd.Series:
    """Return the cells as stripped text, "unknown" cells replaced by ``""``."""
    text = values.fillna("").astype(str).str.strip()
    return text.where(~missing_mask(text), "")


@dataclass(frozen=True)
class ColumnCheck:
    """How well a column's values fit a field: the share that fits and an example that does not."""

    filled: int
    share: float
    example: str = ""

    @property
    def decisive(self) -> bool:
        """Return True when there are enough values to judge the column by them."""
        return self.filled >= MIN_FILLED_FOR_CHECKS


#: Target fields -> kind of values expected.
NUMBER_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "floor_area_m2",
        "land_area_m2",
        "levels",
        "works_estimate_eur",
        "price_eur",
        "rent_eur_m2_year",
        "distance_to_station_m",
        "parking_spaces",
        "x",
        "y",
        "radius_km",
        "surface_min_m2",
        "surface_target_m2",
        "surface_max_m2",
        "budget_purchase_eur",
        "budget_works_eur",
        "max_rent_eur_year",
        "max_station_distance_m",
        "expected_jobs",
        "expected_users",
    }
)
VOCABULARIES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "kind": voc.PREMISE_KIND_WORDS,
    "condition": voc.CONDITION_WORDS,
    "tenure": voc.TENURE_WORDS,
    "connectivity": voc.CONNECTIVITY_WORDS,
    "pollution": voc.POLLUTION_WORDS,
    "status": voc.STATUS_WORDS,
    "geocoding_precision": voc.PRECISION_WORDS,
}
_EXACT: Final[dict[str, dict[str, str]]] = {"kind": voc.PREMISE_KIND_EXACT}


def _share(ok: pd.Series, filled: pd.Series, text: pd.Series) -> ColumnCheck:
    n = int(filled.sum())
    if n == 0:
        return ColumnCheck(0, 0.0)
    good = ok & filled
    bad = filled & ~good
    example = str(text[bad].iloc[0]) if bad.any() else ""
    return ColumnCheck(n, float(good.sum()) / n, example)


def check_column(values: pd.Series, target: str, kind: str = "premises") -> ColumnCheck:
    """Return how well ``values`` fit the field ``target`` (share of filled cells that fit).

    >>> check_column(pd.Series(["01", "02", "75", "13", "33"]), "insee_code").share
    0.0
    >>> check_column(pd.Series(["NA"] * 6), "floor_area_m2").filled
    0
    """
    text = blank_missing(values)
    filled = text != ""
    if target in NUMBER_FIELDS:
        _, unreadable, _ = parse_numbers(text)
        return _share(~unreadable, filled, text)
    if target in {"lon", "lat", "target_lon", "target_lat"}:
        numbers, unreadable, _ = parse_numbers(text)
        limit = 180.0 if target.endswith("lon") else 90.0
        return _share(~unreadable & (numbers.abs() <= limit), filled, text)
    if target == "insee_code":
        return _share(text.str.match(_INSEE), filled, text)
    if target == "postcode":
        return _share(text.str.match(_POSTCODE), filled, text)
    if target == "point":
        return _share(text.str.match(_POINT) | text.str.match(_PAIR), filled, text)
    if kind == "premises" and target in VOCABULARIES:
        codes, _ = map_vocabulary(text, VOCABULARIES[target])
        exact = _EXACT.get(target, {})
        if exact:
            norm = text.map(normalize_text)
            codes = codes.where(codes.notna(), norm.map(exact))
        return _share(codes.notna(), filled, text)
    if target in {"name", "address", "commune_name"}:
        _, unreadable, _ = parse_numbers(text)
        return _share(unreadable, filled, text)  # a name is not a number
    return _share(pd.Series(True, index=text.index), filled, text)


def minimum_share(target: str, kind: str = "premises") -> float:
    """Return the share of filled cells that must fit ``target`` for its column to be chosen."""
    if kind == "premises" and target in VOCABULARIES:
        return MIN_VOCAB_SHARE
    return MIN_SHARE


def distinct_share(values: pd.Series) -> float:
    """Return the share of distinct values among the filled cells (1.0 = all different)."""
    text = blank_missing(values)
    filled = text[text != ""]
    return float(filled.nunique()) / len(filled) if len(filled) else 1.0


def looks_like_row_numbers(values: pd.Series) -> bool:
    """Return True if a column holds increasing whole numbers (a spreadsheet's or R's row numbers).

    >>> looks_like_row_numbers(pd.Series(["1", "2", "4", "7"])), looks_like_row_numbers(pd.Series(["3", "1"]))
    (True, False)
    """
    text = values.fillna("").astype(str).str.strip()
    if text.empty or not text.str.fullmatch(r"\d{1,9}").all():
        return False
    numbers = text.astype(np.int64).to_numpy()
    return bool(len(numbers) == 1 or (np.diff(numbers) > 0).all())
