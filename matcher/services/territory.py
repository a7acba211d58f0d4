"""Territory use cases: the home page's figures and map layers, commune look-ups.

Public reference data (PVD, FRR, density grid, France Services, the known
tiers-lieux) is open to every signed-in user; counts of private objects
(projects) are counted in the database, never by loading their rows. Every
function takes the acting user first and checks the account on the
database, like every other service.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from matcher.services._common import Actor, check_actor, transaction
from matcher.storage.models import Project


def _fr_int(value: object) -> str:
    """Return an integer with French thousands separators ("1 234"), "—" if missing.

    >>> _fr_int(19934), _fr_int(None)
    ('19\\u202f934', '—')
    """
    if value is None or value != value:
        return "—"
    return f"{float(value):,.0f}".replace(",", "\u202f")


def _fr_pct(share: float, digits: int = 1) -> str:
    """Return a share (0-1) as a French percentage ("12,3 %").

    >>> _fr_pct(0.1234)
    '12,3\\xa0%'
    """
    if share != share:
        return "—"
    return f"{share * 100:.{digits}f}".replace(".", ",") + "\u00a0%"


@dataclass(frozen=True)
class HomeFigures:
    """Everything the home page shows besides the premises map, ready to display."""

    projects: int
    tiers_lieux_known: int
    #: Indicateur, Valeur, Chiffre de la source, Millésime, Source, Remarque.
    key_figures: pd.DataFrame
    #: Niveau de densité, Communes, Part des communes, Population 2022, Part de la population.
    density: pd.DataFrame
    rural_share_communes: float
    rural_share_population: float
    #: Département, Tiers-lieux connus, Attendus (indicatif), Couverture, Listes.
    coverage: pd.DataFrame
    white_zones_rural: int
    white_zones_urban: int


@dataclass(frozen=True)
class CatalogueFigures:
    """The home page's figures on the premises on offer, ready to display."""

    available: int
    #: Share (0-1) of the premises with a known commune outside the métropoles (NaN: unknown).
    share_outside_metropoles: float
    #: Type de local, Locaux (largest first).
    by_kind: pd.DataFrame
    #: Région, Locaux (largest first; « inconnue » for a premise without commune).
    by_region: pd.DataFrame
    #: Étape, Dossiers, Tickets (€) in pipeline order; None unless the actor is of the fund.
    pipeline: pd.DataFrame | None
    #: The white-zone rule the map's caption states.
    white_zone_min_population: int
    white_zone_distance_km: float


@dataclass(frozen=True)
class HomeLayers:
    """The reference layers of the national map (known tiers-lieux, white zones with colours)."""

    tiers_lieux: pd.DataFrame
    white_zones: pd.DataFrame


def _check(actor: Actor) -> None:
    with transaction(write=False) as s:
        check_actor(s, actor)


def home_layers(actor: Actor) -> HomeLayers:
    """Return the known tiers-lieux and the white zones (with ``color`` and a French ``tip``)."""
    _check(actor)
    from matcher.territory.white_zones import national_layers

    tiers_lieux, zones, _coverage = national_layers()
    return HomeLayers(tiers_lieux.copy(), zones.copy())


def home_figures(actor: Actor) -> HomeFigures:
    """Return the home page's figures: projects, key territorial figures, density, coverage."""
    with transaction(write=False) as s:
        check_actor(s, actor)
        projects = int(s.scalar(select(func.count()).select_from(Project)) or 0)
    from matcher.territory.figures import density_distribution, rural_shares, territory_key_figures
    from matcher.territory.white_zones import national_layers

    rows = [
        {
            "Indicateur": f.label,
            "Valeur": _fr_int(f.value),
            "Chiffre de la source": _fr_int(f.stated) if f.stated is not None else "—",
            "Millésime": f.vintage,
            "Source": f.source,
            "Remarque": f.note,
        }
        for f in territory_key_figures()
    ]
    key_figures = pd.DataFrame(
        rows,
        columns=["Indicateur", "Valeur", "Chiffre de la source", "Millésime", "Source", "Remarque"],
    )
    dist = density_distribution()
    density = pd.DataFrame(
        {
            "Niveau de densité": [
                f"{int(d)} · {lab}" if d else lab
                for d, lab in zip(dist["density_7"], dist["label"], strict=True)
            ],
            "Communes": [_fr_int(v) for v in dist["communes"]],
            "Part des communes": [_fr_pct(v) for v in dist["share_communes"]],
            "Population 2022": [_fr_int(v) for v in dist["population"]],
            "Part de la population": [_fr_pct(v) for v in dist["share_population"]],
        }
    )
    rural_c, rural_p = rural_shares()
    tiers_lieux, zones, cov = national_layers()
    coverage = pd.DataFrame(
        {
            "Département": [
                f"{d} · {n}"
                for d, n in zip(cov["departement"], cov["departement_name"], strict=True)
            ],
            "Tiers-lieux connus": [_fr_int(v) for v in cov["known"]],
            "Attendus (indicatif)": [_fr_int(v) for v in cov["expected"]],
            "Couverture": [_fr_pct(v, 0) for v in cov["coverage"]],
            "Listes": [lst or "aucune" for lst in cov["lists"]],
        }
    )
    return HomeFigures(
        projects=projects,
        tiers_lieux_known=len(tiers_lieux),
        key_figures=key_figures,
        density=density,
        rural_share_communes=rural_c,
        rural_share_population=rural_p,
        coverage=coverage,
        white_zones_rural=int((zones["gap"] == "rural").sum()) if len(zones) else 0,
        white_zones_urban=int((zones["gap"] == "urbain").sum()) if len(zones) else 0,
    )


def catalogue_figures(actor: Actor, premises: pd.DataFrame) -> CatalogueFigures:
    """Return the figures of the premises on offer (``maps.available_premises``' frame);
    the fund's pipeline totals for fund officers and admins only."""
    from matcher import keyfigures

    _check(actor)
    kinds = keyfigures.counts_by(premises, "kind")
    regions = (
        premises["region_name"].fillna("inconnue").value_counts()
        if "region_name" in premises.columns
        else pd.Series(dtype=int)
    )
    pipeline = None
    if actor.role in ("fund", "admin"):
        from matcher.services import deals

        totals = keyfigures.pipeline_totals(deals.list_deals(actor))
        pipeline = pd.DataFrame(
            {"Étape": totals["label"], "Dossiers": totals["deals"],
             "Tickets (€)": totals["tickets_eur"]}
        )  # fmt: skip
    return CatalogueFigures(
        available=len(premises),
        share_outside_metropoles=keyfigures.share_outside_metropoles(premises),
        by_kind=pd.DataFrame({"Type de local": kinds["label"], "Locaux": kinds["count"]}),
        by_region=pd.DataFrame({"Région": regions.index, "Locaux": regions.to_numpy()}),
        pipeline=pipeline,
        white_zone_min_population=keyfigures.WHITE_ZONE_MIN_POPULATION,
        white_zone_distance_km=keyfigures.WHITE_ZONE_DISTANCE_M / 1000,
    )


def commune_lookup(actor: Actor, code: str) -> dict[str, object]:
    """Return a commune by INSEE code (old codes resolved) with its territorial flags and why.

    Keys: insee_code, name, departement, resolved_from, resolution, pvd,
    pvd_source, frr, density_7, density_7_label, rural, acv, in_qpv,
    france_services_count, nearest_france_services_m. Unknown flags are None.
    Raises the territory's French errors for a malformed, unknown or
    ambiguous code.
    """
    _check(actor)
    from matcher.territory import load_territory

    row = load_territory().commune(code)
    keys = (
        "insee_code",
        "name",
        "departement",
        "resolved_from",
        "resolution",
        "pvd",
        "pvd_source",
        "frr",
        "density_7",
        "density_7_label",
        "rural",
        "acv",
        "in_qpv",
        "france_services_count",
        "nearest_france_services_m",
    )
    out: dict[str, object] = {}
    for key in keys:
        value = row.get(key)
        if value is not None and not isinstance(value, str) and pd.isna(value):
            value = None
        elif hasattr(value, "item"):
            value = value.item()
        out[key] = value
    return out
