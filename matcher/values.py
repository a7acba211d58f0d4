"""Single values as users write and read them: unknown, French numbers and dates, clean text.

The small pure helpers of the field registry (:mod:`matcher.fields`, which
re-exports them): no vocabulary, no services.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Final

#: Text shown for a value nobody gave.
UNKNOWN_TEXT: Final = "non renseigné"


def is_unknown(value: Any) -> bool:
    """Return True for None, NaN, NaT, pandas NA and blank strings.

    >>> is_unknown(None), is_unknown(float("nan")), is_unknown(" "), is_unknown(0)
    (True, True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN, NaT and NA are not equal to themselves
    except (TypeError, ValueError):
        return True  # pandas.NA refuses bool()


def as_number(value: Any) -> float | None:
    """Return a finite float, or None when unknown or not a number."""
    if is_unknown(value) or isinstance(value, bool | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def decimals_of(number: float) -> int:
    """Return the decimals needed to show ``number`` without loss (at most 6)."""
    if not math.isfinite(number) or float(number).is_integer():
        return 0
    text = f"{number:.6f}".rstrip("0")
    return min(len(text.split(".")[1]), 6)


def round_half_up(value: float, decimals: int = 0) -> float:
    """Return ``value`` rounded half away from zero, as people round (not banker's rounding).

    >>> round_half_up(1234.5), round_half_up(2.675, 2), round_half_up(-0.5)
    (1235.0, 2.68, -1.0)
    """
    from decimal import ROUND_HALF_UP, Decimal

    if not math.isfinite(value) or abs(value) >= 1e15:  # no fraction left to round
        return float(value)
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def fr_number(value: float, decimals: int = 0) -> str:
    """Return a number written the French way (narrow no-break space thousands, comma).

    >>> fr_number(1234567.891, 1), fr_number(-0.4), fr_number(3.0)
    ('1\\u202f234\\u202f567,9', '0', '3')
    """
    number = round_half_up(float(value), decimals)
    if number == 0:
        number = 0.0  # no "-0"
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def format_date(value: Any) -> str:
    """Return a date as JJ/MM/AAAA (French), or "non renseigné".

    >>> import datetime as dt
    >>> format_date(dt.date(2025, 3, 7)), format_date("2025-03-07"), format_date(None)
    ('07/03/2025', '07/03/2025', 'non renseigné')
    """
    import datetime as dt

    if is_unknown(value):
        return UNKNOWN_TEXT
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    try:
        return dt.date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


#: C0 controls, DEL and C1 controls (what may hide in pasted or imported text).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Return text without control characters, NFC-normalised and stripped.

    A multi-line field keeps its line breaks (``\\r\\n`` becomes ``\\n``) and
    tabs; a one-line field turns them into spaces. NUL and every other C0/C1
    control character is removed: stored text never breaks an export.

    >>> clean_text("  Poste\\x00 de\\tla\\r\\ngare\\x9b ")
    'Poste de la gare'
    >>> clean_text("ligne 1\\r\\nligne 2\\x07", multiline=True)
    'ligne 1\\nligne 2'
    """
    text = unicodedata.normalize("NFC", str(value))
    text = _LINE_BREAKS.sub("\n", text)
    if not multiline:
        text = re.sub("[\t\n]+", " ", text)
    text = _CONTROL.sub("", text)
    return text.strip()


def fold(text: str) -> str:
    """Return text lower-cased without accents (for accent-insensitive comparisons).

    >>> fold("Capdenac-Gare École Œuvre")
    'capdenac-gare ecole oeuvre'
    """
    text = unicodedata.normalize("NFKD", str(text).replace("œ", "oe").replace("Œ", "OE"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
