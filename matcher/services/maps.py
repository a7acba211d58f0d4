"""What the maps draw: outlines, place names, public premises and known tiers-lieux.

All public reference data (territorial reference, catalogue's public
columns). Every function takes the acting user like every service; the
pages cache the results (shared by every user: nothing here is private).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from matcher.services._common import Actor, check_actor, transaction

#: Public columns of the available premises drawn on the national map.
PUBLIC_COLUMNS = (
    "premise_id",
    "kind",
    "name",
    "insee_code",
    "lon",
    "lat",
    "floor_area_m2",
    "status",
)


def _checked(actor: Actor) -> None:
    with transaction(write=False) as s:
        check_actor(s, actor)


def departement_outlines(actor: Actor) -> dict[str, Any]:
    """Return simplified département outlines (GeoJSON; properties code, name, region)."""
    _checked(actor)
    from matcher.territory.outlines import departement_outlines as outlines

    return outlines()


def communes_around(actor: Actor, lon: float, lat: float, radius_km: float) -> dict[str, Any]:
    """Return commune outlines around a point (GeoJSON; a drawing aid, never distances)."""
    _checked(actor)
    from matcher.territory.outlines import communes_around as around

    return around(round(float(lon), 3), round(float(lat), 3), float(radius_km))


@lru_cache(maxsize=1)
def _departement_points() -> tuple[dict[str, Any], ...]:
    from matcher.maplayers import departement_label_points
    from matcher.territory.outlines import departement_outlines as outlines

    return tuple(departement_label_points(outlines()))


def place_labels(
    actor: Actor,
    bounds: tuple[float, float, float, float] | None = None,
    *,
    towns: int = 12,
    min_population: int = 2_000,
) -> dict[str, list[dict[str, Any]]]:
    """Return the place names a map shows: départements, and the main towns of ``bounds``.

    ``bounds`` is (west, south, east, north) in degrees; without it only the
    départements are named (national view). Towns are the ``towns`` most
    populated communes of the view above ``min_population`` inhabitants, at
    their town hall, none closer than a sixth of the view to a bigger one.
    """
    _checked(actor)
    deps = [dict(p) for p in _departement_points()]
    if bounds is None:
        return {"departements": deps, "towns": []}
    from matcher.territory import load_territory

    w, s, e, n = (float(v) for v in bounds)
    deps = [p for p in deps if w <= p["lon"] <= e and s <= p["lat"] <= n] or deps
    c = load_territory().communes
    inside = c[
        c["lon"].between(w, e) & c["lat"].between(s, n) & (c["population"] >= min_population)
    ]
    ranked = inside.sort_values("population", ascending=False).head(max(0, int(towns)) * 8)
    # Biggest first, leaving out a town too close to one already named (its suburbs would
    # write over it): at least a sixth of the view apart.
    gap_lon, gap_lat = (e - w) / 6, (n - s) / 6
    town_list: list[dict[str, Any]] = []
    for code, row in ranked.iterrows():
        if len(town_list) >= towns:
            break
        lon, lat = float(row["lon"]), float(row["lat"])
        if any(abs(lon - t["lon"]) < gap_lon and abs(lat - t["lat"]) < gap_lat for t in town_list):
            continue
        town = {"code": str(code), "name": row["name"], "lon": lon, "lat": lat}
        town_list.append({**town, "population": int(row["population"])})
    return {"departements": deps, "towns": town_list}


def available_premises(actor: Actor) -> pd.DataFrame:
    """Return the available premises' public columns with their communes' attributes."""
    _checked(actor)
    from matcher.keyfigures import with_commune_attributes
    from matcher.services.catalogue import premises_frame
    from matcher.territory import load_territory

    frame = premises_frame(statuses=["available"])[list(PUBLIC_COLUMNS)]
    return with_commune_attributes(frame, load_territory().communes)


def catalogue_version(actor: Actor) -> int:
    """Return the catalogue version (moves with every premise write: a cache key)."""
    _checked(actor)
    from matcher.services.catalogue import catalogue_version as version

    return int(version())


def reference_layers(actor: Actor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (known tiers-lieux, white zones) from the committed reference, maybe empty."""
    _checked(actor)
    from matcher.keyfigures import known_tiers_lieux, white_zones
    from matcher.territory import load_territory

    tl = known_tiers_lieux()
    if tl.empty:
        return tl, pd.DataFrame({"name": [], "lon": [], "lat": []})
    return tl, white_zones(load_territory().communes, tl)
