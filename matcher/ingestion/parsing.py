"""Cell parsers: French numbers, coordinates written in odd ways, booleans and codes.

Every parser works on a pandas Series of text and returns the parsed values
plus a boolean mask of cells that were present but could not be read, so the
caller can report each of them with its line number.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NON_FINITE = re.compile(r"^[+-]?(nan|inf|infinity|infini)$", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def normalize_text(value: str) -> str:
    """Return a lower-case, accent-free, ``_``-joined form used to compare names.

    >>> normalize_text("  Surface (m²) "), normalize_text("Code_INSEE"), normalize_text("#Identifiant_du_site")
    ('surface_m2', 'code_insee', 'identifiant_du_site')
    """
    text = unicodedata.normalize("NFKD", str(value)).replace("²", "2")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "_", text)
    return text.strip("_")


def _clean_number_text(text: pd.Series) -> pd.Series:
    """Return number texts with thousands separators removed and a dot decimal."""
    t = text.str.replace(_SPACES, "", regex=True)
    both = (t.str.contains(",", regex=False) & t.str.contains(".", regex=False)).to_numpy()
    if both.any():  # rare: "1.234,5" (French, dot thousands) or "1,234.5" (English)
        sub = t[both]
        comma_last = sub.str.rfind(",") > sub.str.rfind(".")
        fixed = sub.where(~comma_last, sub.str.replace(".", "", regex=False))
        fixed = fixed.where(comma_last, fixed.str.replace(",", "", regex=False))
        t = t.copy()
        t[both] = fixed
    return t.str.replace(",", ".", regex=False)


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return ``(numbers, unreadable, non_finite)`` for a Series of number texts.

    Accepts comma or dot decimals and space, non-breaking space, apostrophe or
    dot thousands separators. Empty cells give NaN and are neither unreadable
    nor non-finite. ``NaN``, ``Infinity`` and overflowing values such as
    ``1e400`` are flagged ``non_finite`` (their number is NaN).

    >>> n, bad, inf = parse_numbers(pd.Series(["1 234,5", "3,1", "12.5", "", "abc", "1e400", "NaN"]))
    >>> n.tolist()[:3], bad.tolist(), inf.tolist()
    ([1234.5, 3.1, 12.5], [False, False, False, False, True, False, False], [False, False, False, False, False, True, True])
    """
    text = values.fillna("").astype(str)
    present = text.str.strip() != ""
    cleaned = _clean_number_text(text)
    named_non_finite = cleaned.str.match(_NON_FINITE)
    well_formed = cleaned.str.match(_NUMBER)
    numbers = pd.to_numeric(cleaned.where(well_formed & present), errors="coerce").astype(float)
    overflow = well_formed & present & ~np.isfinite(numbers.fillna(0.0))
    non_finite = (named_non_finite | overflow) & present
    numbers = numbers.where(~non_finite)
    unreadable = present & ~well_formed & ~named_non_finite
    return numbers, unreadable, non_finite


_WKT_POINT = re.compile(
    r"^\s*point\s*z?\s*\(\s*([-+0-9.eE]+)[\s,]+([-+0-9.eE]+)(?:\s+[-+0-9.eE]+)?\s*\)\s*$",
    re.IGNORECASE,
)
_R_VECTOR = re.compile(r"^\s*c\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)\s*$")
_PAIR = re.compile(r"^\s*([-+0-9.eE]+)\s*[,; ]\s*([-+0-9.eE]+)\s*$")


def parse_point_text(values: pd.Series, order: str = "lonlat") -> tuple[pd.Series, pd.Series]:
    """Return ``(lon, lat)`` Series from WKT points, R ``c(lon, lat)`` or ``"a, b"`` pairs.

    ``order`` tells how a plain pair is written (``"latlon"`` for La Poste's
    ``latlong``); WKT and R vectors are always lon first.

    >>> lon, lat = parse_point_text(pd.Series(["POINT (4.48 49.52)", "c(5.5, 45.8)", "x"]))
    >>> lon.tolist()[:2], lat.tolist()[:2], bool(np.isnan(lon.iloc[2]))
    ([4.48, 5.5], [49.52, 45.8], True)
    """
    text = values.fillna("").astype(str)
    lon = pd.Series(np.nan, index=text.index)
    lat = pd.Series(np.nan, index=text.index)
    for pattern in (_WKT_POINT, _R_VECTOR):
        m = text.str.extract(pattern)
        ok = m[0].notna()
        lon[ok] = pd.to_numeric(m.loc[ok, 0], errors="coerce")
        lat[ok] = pd.to_numeric(m.loc[ok, 1], errors="coerce")
        text = text.where(~ok, "")
    m = text.str.extract(_PAIR)
    ok = m[0].notna()
    a = pd.to_numeric(m.loc[ok, 0], errors="coerce")
    b = pd.to_numeric(m.loc[ok, 1], errors="coerce")
    if order == "latlon":
        lat[ok], lon[ok] = a, b
    else:
        lon[ok], lat[ok] = a, b
    return lon.astype(float), lat.astype(float)


_TRUE = {"1", "oui", "o", "yes", "y", "true", "vrai", "x", "ok"}
_FALSE = {"0", "non", "n", "no", "false", "faux", "-"}


def parse_booleans(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return ``(booleans as object True/False/None, unreadable mask)``.

    >>> b, bad = parse_booleans(pd.Series(["Oui", "non", "", "peut-être"]))
    >>> b.tolist(), bad.tolist()
    ([True, False, None, None], [False, False, False, True])
    """
    text = values.fillna("").astype(str).str.strip().str.lower()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    unreadable = (text != "") & out.isna()
    return out, unreadable


_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def normalize_insee_codes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return ``(5-character INSEE codes or "", malformed mask)``.

    Restores the leading zero lost by spreadsheets (``1004`` -> ``01004``) and
    drops a float suffix (``1004.0``).

    >>> codes, bad = normalize_insee_codes(pd.Series(["1004", "2a004", "75056", "ABC", "", "1004.0"]))
    >>> codes.tolist(), bad.tolist()
    (['01004', '2A004', '75056', '', '', '01004'], [False, False, False, True, False, False])
    """
    text = values.fillna("").astype(str).str.strip().str.upper()
    text = text.str.replace(r"\.0$", "", regex=True)
    padded = text.where(~text.str.fullmatch(r"\d{4}"), "0" + text)
    ok = padded.str.match(_INSEE)
    bad = (padded != "") & ~ok
    return padded.where(ok, ""), bad


_MOJIBAKE = re.compile(
    "[ÃÂâ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u017d\u017e\u0178]"
)


def repair_mojibake(text: str) -> str:
    """Return ``text`` with double-encoded UTF-8 repaired when it is clearly mojibake.

    >>> repair_mojibake("Rue des Ã\\x89coles"), repair_mojibake("Café")
    ('Rue des Écoles', 'Café')
    """
    if not isinstance(text, str) or not _MOJIBAKE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def looks_mojibake(text: str) -> bool:
    """Return True if ``text`` contains a typical double-encoded UTF-8 sequence."""
    return isinstance(text, str) and bool(_MOJIBAKE.search(text))


def map_vocabulary(
    values: pd.Series, vocabulary: dict[str, tuple[str, ...]]
) -> tuple[pd.Series, pd.Series]:
    """Return ``(codes or None, unknown mask)`` by matching normalised keywords.

    ``vocabulary`` maps a code to keywords; a cell equal to a code, or whose
    normalised text contains one of the keywords, gets that code (first match
    in the dictionary's order wins).

    >>> voc = {"post_office": ("poste",), "school": ("ecole",)}
    >>> codes, unknown = map_vocabulary(pd.Series(["Bureau de Poste", "École", "", "Cinéma"]), voc)
    >>> codes.tolist(), unknown.tolist()
    (['post_office', 'school', None, None], [False, False, False, True])
    """
    text = values.fillna("").astype(str)
    raw = text.to_numpy(dtype=object)
    # one pass per distinct cell, in plain Python: a file has few distinct values, and a
    # pandas operation per keyword cost 14 ms per column whatever the file's size
    entries = tuple(vocabulary.items())
    lookup: dict[str, str | None] = {}
    empty: dict[str, bool] = {}
    for value in pd.unique(raw):
        norm = normalize_text(value)
        empty[value] = norm == ""
        lookup[value] = next(
            (code for code, keywords in entries
             if norm == code or any(kw in norm for kw in keywords)),
            None,
        )  # fmt: skip
    out = pd.Series([lookup[v] for v in raw], index=text.index, dtype=object)
    is_empty = np.fromiter((empty[v] for v in raw), dtype=bool, count=len(raw))
    unknown = pd.Series(~is_empty, index=text.index) & out.isna()
    return out, unknown
