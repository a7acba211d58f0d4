"""White zones made honest: towns far from a known tiers-lieu, with how partial the list is.

The committed list of known tiers-lieux (``matcher/reference/tiers_lieux.csv``)
holds a few hundred places against about 3,500 in France (France Tiers-Lieux,
2023). A town far from every *known* place is therefore not proof of a gap.
For each département this module says which lists cover it and how many
places they hold against an indicative expectation (3,500 places shared in
proportion to the 2022 population, a rough yardstick, labelled as such), and
every white zone carries its département's coverage and whether it is a
rural or an urban gap (INSEE density grid). Départements no list covers are
left out: unknown is not white.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher import geo

#: About 3,500 tiers-lieux in France (France Tiers-Lieux, panorama 2023).
NATIONAL_TIERS_LIEUX = 3_500
#: A town of at least this population farther than the distance below from any
#: known tiers-lieu is a white zone; so is a rural centre ("bourg rural") of at
#: least ``RURAL_CENTRE_MIN_POPULATION`` inhabitants.
WHITE_ZONE_MIN_POPULATION = 10_000
RURAL_CENTRE_MIN_POPULATION = 3_000
WHITE_ZONE_DISTANCE_M = 20_000.0
#: Map colours of the two kinds of gaps (RGB).
URBAN_GAP_COLOR = [214, 39, 40]
RURAL_GAP_COLOR = [230, 145, 56]


@dataclass(frozen=True)
class TiersLieuxList:
    """A list of known tiers-lieux and the départements it covers (None: every département)."""

    source: str
    label: str
    kind: str
    departements: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()

    def covers(self, departement: str) -> bool:
        """Return True if the list covers this département."""
        if departement in self.excluded:
            return False
        return self.departements is None or departement in self.departements


#: The lists of ``tiers_lieux.csv``: the national fablab list of 2020 held here
#: leaves out five départements (54, 58, 75, 84, 93: kept apart for evaluation);
#: #MapLabBZH covers the four départements of Brittany.
LISTS: tuple[TiersLieuxList, ...] = (
    TiersLieuxList(
        "fablabs_2020",
        "fablabs 2020",
        "fablabs seulement (lieux de fabrication, environ 28 % des tiers-lieux)",
        None,
        frozenset({"54", "58", "75", "84", "93"}),
    ),
    TiersLieuxList(
        "bretagne_tiers_lieux",
        "#MapLabBZH 2020",
        "liste régionale de tous les tiers-lieux",
        frozenset({"22", "29", "35", "56"}),
    ),
)


def _fmt(n: float) -> str:
    return f"{n:,.0f}".replace(",", "\u202f")


def departement_coverage(communes: pd.DataFrame, tiers_lieux: pd.DataFrame) -> pd.DataFrame:
    """Return, per département, the known tiers-lieux against an indicative expectation.

    Columns: ``departement``, ``departement_name``, ``known``, ``expected``
    (3,500 places shared by 2022 population, or the reference's population
    where the grid gives none), ``coverage`` (known / expected, 0-1, NaN when
    no list covers it), ``lists`` (French), ``level`` ("liste régionale",
    "fablabs seulement", "aucune liste") and ``note`` (a French sentence).
    """
    pop = communes.get("population_2022")
    if pop is None or pop.isna().all():
        pop = communes["population"]
    pop = pop.fillna(communes["population"]).fillna(0)
    deps = communes.groupby("departement").agg(departement_name=("departement_name", "first"))
    deps["population"] = pop.groupby(communes["departement"]).sum()
    dep_of = communes["departement"]
    codes = tiers_lieux["insee_code"].astype("string")
    tl_dep = dep_of.reindex(codes.fillna("").to_numpy()).to_numpy()
    known = pd.Series(tl_dep).value_counts()
    deps["known"] = known.reindex(deps.index).fillna(0).astype(int)
    deps["expected"] = NATIONAL_TIERS_LIEUX * deps["population"] / deps["population"].sum()
    lists, levels = [], []
    for dep in deps.index:
        here = [lst for lst in LISTS if lst.covers(dep)]
        lists.append(", ".join(lst.label for lst in here))
        if any(lst.departements is not None for lst in here):
            levels.append("liste régionale")
        elif here:
            levels.append("fablabs seulement")
        else:
            levels.append("aucune liste")
    deps["lists"] = lists
    deps["level"] = levels
    deps["coverage"] = np.where(
        deps["level"] == "aucune liste", np.nan, deps["known"] / deps["expected"]
    )
    notes = []
    for _, row in deps.iterrows():
        if row["level"] == "aucune liste":
            notes.append(
                f"{row['departement_name']} : aucune liste de tiers-lieux disponible ici, "
                "zones blanches inconnues."
            )
            continue
        here = [lst for lst in LISTS if lst.covers(row.name)]
        regional = [lst for lst in here if lst.departements is not None]
        kind = (regional or here)[0].kind
        notes.append(
            f"{row['departement_name']} : {_fmt(row['known'])} tiers-lieu(x) connu(s) pour "
            f"environ {_fmt(row['expected'])} attendus ({row['coverage'] * 100:.0f} %, "
            f"{kind})."
        )
    deps["note"] = notes
    cols = ["departement_name", "known", "expected", "coverage", "lists", "level", "note"]
    return deps[cols].reset_index()


def white_zones(
    communes: pd.DataFrame,
    tiers_lieux: pd.DataFrame,
    *,
    min_population: int = WHITE_ZONE_MIN_POPULATION,
    rural_centre_min_population: int = RURAL_CENTRE_MIN_POPULATION,
    distance_m: float = WHITE_ZONE_DISTANCE_M,
) -> pd.DataFrame:
    """Return towns far from every known tiers-lieu, with the gap kind and the list's coverage.

    A white zone is a commune of ``min_population`` inhabitants or more, or a
    "bourg rural" (density level 5) of ``rural_centre_min_population`` or
    more, whose town hall is farther than ``distance_m`` from every known
    tiers-lieu of its zone. ``gap`` is "rural" (density levels 5-7) or
    "urbain" (levels 1-4; the old population rule where the grid is silent).
    Zones without any known tiers-lieu and départements no list covers are
    left out: unknown is not white.

    Columns: name, population, lon, lat, distance_m, departement, density_7,
    density_7_label, gap, coverage, coverage_note, color, tip.
    """
    empty = pd.DataFrame(
        {
            c: []
            for c in (
                "name",
                "population",
                "lon",
                "lat",
                "distance_m",
                "departement",
                "density_7",
                "density_7_label",
                "gap",
                "coverage",
                "coverage_note",
                "color",
                "tip",
            )
        }
    )
    if tiers_lieux.empty:
        return empty
    coverage = departement_coverage(communes, tiers_lieux).set_index("departement")
    covered = coverage.index[coverage["level"] != "aucune liste"]
    pop = communes["population"].fillna(0)
    level = communes["density_7"] if "density_7" in communes else pd.Series(pd.NA, communes.index)
    town = pop >= min_population
    centre = (level == 5).fillna(False) & (pop >= rural_centre_min_population)
    c = communes[(town | centre) & communes["x_m"].notna() & communes["departement"].isin(covered)]
    lon_t = tiers_lieux["lon"].to_numpy(float)
    lat_t = tiers_lieux["lat"].to_numpy(float)
    tl_zone = geo.zone_for_lonlat(lon_t, lat_t)
    parts = []
    for zone in geo.ZONES:
        sel = tl_zone == zone
        sub = c[c["zone"] == zone]
        if not sel.any() or sub.empty:
            continue
        tx, ty = geo.to_projected(lon_t[sel], lat_t[sel], zone)
        tree = cKDTree(np.column_stack([tx, ty]))
        x, y = sub["x_m"].to_numpy(), sub["y_m"].to_numpy()
        _, idx = tree.query(np.column_stack([x, y]), k=1)
        d = geo.grid_to_true_distance_m(x, y, tx[idx], ty[idx], zone)
        far = d > distance_m
        part = sub[far].copy()
        part["distance_m"] = d[far]
        parts.append(part)
    if not parts:
        return empty
    out = pd.concat(parts)
    lvl = out["density_7"] if "density_7" in out else pd.Series(pd.NA, out.index)
    rural = lvl.isin([5, 6, 7]).fillna(False)
    if "rural" in out:
        rural = rural.where(lvl.notna(), out["rural"].astype(bool))
    out["gap"] = np.where(rural, "rural", "urbain")
    out["density_7_label"] = (
        out["density_7_label"].astype(object).where(lvl.notna(), "niveau de densité inconnu")
        if "density_7_label" in out
        else "niveau de densité inconnu"
    )
    out["coverage"] = coverage["coverage"].reindex(out["departement"]).to_numpy()
    out["coverage_note"] = coverage["note"].reindex(out["departement"]).to_numpy()
    out["color"] = [RURAL_GAP_COLOR if g == "rural" else URBAN_GAP_COLOR for g in out["gap"]]
    out["tip"] = [
        f"{n} ({lab}) : vide {g}, tiers-lieu connu le plus proche à {dm / 1000:.0f} km. "
        f"Liste partielle — {note}"
        for n, lab, g, dm, note in zip(
            out["name"],
            out["density_7_label"],
            out["gap"],
            out["distance_m"],
            out["coverage_note"],
            strict=True,
        )
    ]
    keep = [c for c in empty.columns if c in out.columns]
    return out[keep].sort_values("population", ascending=False)


def known_tiers_lieux() -> pd.DataFrame:
    """Return the known tiers-lieux of the committed reference (located ones), maybe empty."""
    from matcher.settings import REFERENCE_DIR

    path = REFERENCE_DIR / "tiers_lieux.csv"
    if not path.exists():
        return pd.DataFrame({"name": [], "insee_code": [], "lon": [], "lat": []})
    frame = pd.read_csv(path, dtype={"insee_code": str})
    return frame.dropna(subset=["lon", "lat"]).reset_index(drop=True)


@cache
def national_layers() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (known tiers-lieux, white zones, coverage per département), computed once.

    Everything comes from committed reference tables, so the result never
    changes while the process runs.
    """
    from matcher.territory import load_territory

    communes = load_territory().communes
    tiers_lieux = known_tiers_lieux()
    tiers_lieux["tip"] = tiers_lieux["name"].astype(str) + " (tiers-lieu connu)"
    return (
        tiers_lieux,
        white_zones(communes, tiers_lieux),
        departement_coverage(communes, tiers_lieux),
    )
