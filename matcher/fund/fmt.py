"""French number formatting shared by the fund's reports, packs and explanations.

>>> fr_number(1234.5, 1)
'1\u202f234,5'
>>> fr_eur(2_500_000)
'2\u202f500\u202f000 €'
>>> fr_share(0.456)
'45,6 %'
>>> fr_number(None)
'inconnu'
"""

from __future__ import annotations

import math
from typing import Any

#: Narrow no-break space, the French thousands separator.
THIN = "\u202f"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def fr_number(value: Any, decimals: int = 0, unit: str = "") -> str:
    """Return ``value`` written the French way ("1 234,5"), or "inconnu"."""
    if _missing(value):
        return "inconnu"
    number = float(value)
    if abs(number) < 0.5 * 10**-decimals:
        number = 0.0  # never "-0"
    text = f"{number:,.{decimals}f}".replace(",", THIN).replace(".", ",")
    return f"{text} {unit}".strip()


def fr_eur(value: Any, decimals: int = 0) -> str:
    """Return an amount in euros, French style ("2 500 000 €")."""
    return fr_number(value, decimals, "€")


def fr_meur(value: Any, decimals: int = 2) -> str:
    """Return an amount in millions of euros ("2,50 M€")."""
    if _missing(value):
        return "inconnu"
    return fr_number(float(value) / 1e6, decimals, "M€")


def fr_share(value: Any, decimals: int = 1) -> str:
    """Return a share (0-1) as a French percentage ("45,6 %")."""
    if _missing(value):
        return "inconnu"
    return fr_number(float(value) * 100, decimals, "%")


def fr_range(low: Any, central: Any, high: Any, decimals: int = 0, unit: str = "") -> str:
    """Return "central (low à high) unit" in French.

    >>> fr_range(1, 2, 3.5, 1, "tCO2e")
    '2,0 (1,0 à 3,5) tCO2e'
    """
    if _missing(central):
        return "inconnu"
    text = fr_number(central, decimals)
    if not _missing(low) and not _missing(high):
        text += f" ({fr_number(low, decimals)} à {fr_number(high, decimals)})"
    return f"{text} {unit}".strip()
