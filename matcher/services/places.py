"""Finding a place: communes by name, the commune at a point, a commune's facts.

These look-ups read the territorial reference (public data); they take the
acting user like every service, so that a page never reaches below the
services, and they answer in French (« aucune commune française ici »).
"""

from __future__ import annotations

from typing import Any

from matcher.errors import GeoError, UnknownTerritoryError, ValidationError
from matcher.fields import fr_number
from matcher.services._common import Actor, check_actor, transaction


def _territory():
    from matcher.territory import load_territory

    return load_territory()


def _checked(actor: Actor) -> None:
    with transaction(write=False) as s:
        check_actor(s, actor)


def search_communes(actor: Actor, text: str, *, limit: int = 12) -> list[dict[str, Any]]:
    """Return communes whose name starts with, then contains ``text`` (accents ignored).

    Each: insee_code, name, departement, population, lon, lat (town hall) and
    ``label`` (« Albi (81) — 49 236 hab. »), most populated first.
    """
    _checked(actor)
    text = str(text or "").strip()[:100]
    if len(text) < 2:
        return []
    found = _territory().search(text, limit=max(1, min(int(limit), 50)))
    out = []
    for code, row in found.iterrows():
        population = row["population"]
        people = f" — {fr_number(population)} hab." if population == population else ""
        out.append(
            {
                "insee_code": str(code),
                "name": row["name"],
                "departement": row["departement"],
                "population": None if population != population else int(population),
                "lon": float(row["lon"]),
                "lat": float(row["lat"]),
                "label": f"{row['name']} ({row['departement']}){people}",
            }
        )
    return out


def commune(actor: Actor, insee_code: str) -> dict[str, Any]:
    """Return one commune: insee_code, name, departement, zone, area_km2, lon, lat (town hall)."""
    _checked(actor)
    try:
        row = _territory().commune(insee_code)
    except UnknownTerritoryError as exc:
        raise ValidationError(str(exc), field="insee_code", value=insee_code) from None
    area = row["area_km2"]
    return {
        "insee_code": str(row.name),
        "name": row["name"],
        "departement": row["departement"],
        "zone": row["zone"],
        "area_km2": None if area != area else float(area),
        "lon": float(row["lon"]),
        "lat": float(row["lat"]),
    }


def commune_at(actor: Actor, lon: float, lat: float) -> dict[str, Any]:
    """Return the commune containing a point (as :func:`commune`, with the point itself).

    A point at sea or abroad raises ValidationError (French, field ``lon``).
    """
    _checked(actor)
    try:
        code = _territory().locate_one(float(lon), float(lat))
    except (GeoError, TypeError, ValueError) as exc:
        message = str(exc) if isinstance(exc, GeoError) else "Coordonnées illisibles."
        raise ValidationError(message, field="lon", value=(lon, lat)) from None
    out = commune(actor, code)
    out.update(lon=float(lon), lat=float(lat))
    return out
