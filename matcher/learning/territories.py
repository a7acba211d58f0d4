"""The fund's priority territories of each shown premise, for the per-territory checks.

Four groups, from :func:`matcher.territory.attributes.commune_attributes` by INSEE code:

* ``qpv``: the commune has a quartier prioritaire (``in_qpv``);
* ``pvd_small_towns``: a Petite Ville de Demain (``pvd``) or a small town (level 4,
  "petites villes", of INSEE's 7-level density grid ``density_7``; without the grid,
  2,000 to 20,000 inhabitants outside the métropoles);
* ``rural``: levels 5-7 of the density grid (bourgs ruraux, rural à habitat dispersé
  or très dispersé); without the grid, the reference's ``rural`` flag;
* ``metropoles``: member of one of the 22 métropoles (``in_metropole``).

A column the reference does not have, or a commune it does not know, is *unknown*
(NaN): such premises are left out of that group's figures, never counted as "no".
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["TERRITORIES", "TERRITORY_LABELS", "territory_flags"]

TERRITORIES: Final[tuple[str, ...]] = ("qpv", "pvd_small_towns", "rural", "metropoles")
TERRITORY_LABELS: Final[dict[str, str]] = {
    "qpv": "quartiers prioritaires (QPV)",
    "pvd_small_towns": "Petites Villes de Demain et petites villes",
    "rural": "communes rurales",
    "metropoles": "métropoles",
}


def _column(attrs: pd.DataFrame, name: str) -> pd.Series:
    if name not in attrs.columns:
        return pd.Series(np.nan, index=attrs.index)
    return pd.to_numeric(attrs[name].astype("object"), errors="coerce").astype(float)


def _flags_table(attrs: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """Return the four groups (1, 0 or NaN) of every commune of ``attrs``."""
    metro = _column(attrs, "in_metropole")
    pop = pd.to_numeric(population.reindex(attrs.index), errors="coerce")
    density = _column(attrs, "density_7")
    pvd = _column(attrs, "pvd")
    has_density = density.notna()
    small_by_pop = np.where(
        pop.isna() | metro.isna(), np.nan, ((pop >= 2_000) & (pop < 20_000) & (metro == 0)) * 1.0
    )
    small = np.where(has_density, (density == 4) * 1.0, small_by_pop)
    # PVD towns have fewer than 20,000 inhabitants, so where the PVD list is unknown the
    # small-town part alone decides; a PVD town counts whatever its size
    pvd_small = np.where(pvd == 1, 1.0, small)
    rural = np.where(has_density, density.isin([5, 6, 7]) * 1.0, _column(attrs, "rural"))
    return pd.DataFrame(
        {
            "qpv": _column(attrs, "in_qpv").to_numpy(),
            "pvd_small_towns": pvd_small,
            "rural": rural,
            "metropoles": metro.to_numpy(),
        },
        index=attrs.index,
    )


_TABLE: pd.DataFrame | None = None


def _reference_table() -> pd.DataFrame:
    global _TABLE
    if _TABLE is None:
        from matcher.territory import load_territory
        from matcher.territory.attributes import commune_attributes

        attrs = commune_attributes()
        population = (
            attrs["population"]
            if "population" in attrs.columns
            else load_territory().communes["population"]
        )
        _TABLE = _flags_table(attrs, population)
    return _TABLE


def territory_flags(insee_codes: np.ndarray, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return one row per code with the four groups as 1.0, 0.0 or NaN (unknown).

    ``table`` (tests) replaces the reference: a frame indexed by INSEE code with any of
    the columns ``in_qpv``, ``pvd``, ``density_7``, ``rural``, ``in_metropole``,
    ``population``.

    >>> t = pd.DataFrame({"in_metropole": [True, False], "population": [500_000, 800]},
    ...                  index=["69123", "01001"])
    >>> territory_flags(np.array(["69123", "01001", "99999"]), t)["metropoles"].tolist()
    [1.0, 0.0, nan]
    """
    if table is not None:
        pop = table["population"] if "population" in table.columns else pd.Series(dtype=float)
        reference = _flags_table(table, pop)
    else:
        reference = _reference_table()
    codes = pd.Index(np.asarray(insee_codes, dtype=object).astype(str))
    return reference.reindex(codes).reset_index(drop=True)
