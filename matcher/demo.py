"""Embedded demo data: synthetic premises and projects over the real communes.

Everything is drawn from one seeded generator (:data:`matcher.settings.DEMO_SEED`)
so the demo is identical on every machine. Every synthetic record says so
(``synthetic=True``, ``source="demo-synthetique"``). Real premises derived
from the open-data inventories (when the ingestion adapters can read them)
are mixed in with their own source label.

Distributions are plausible orders of magnitude, not statistics:

* kinds follow commune size (post offices and schools everywhere, bank
  branches in towns of 2,000+ inhabitants, friches in industrial towns...);
* floor areas per kind are log-normal around the typical size of such
  buildings (post office ~150 m², school ~500 m², industrial friche ~3,000 m²);
* prices and rents scale with commune population; works with condition;
* FTTH availability rises with commune size (about 60 % in villages, 95 %
  in cities, the order of ARCEP's 2023 figures).

Projects: about 300, half aiming at quartiers prioritaires and large towns,
half at small and medium towns, like the 300 "Fabriques de territoire";
activity mix from France Tiers-Lieux's 2023 panorama.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher import geo
from matcher.domain import PREMISE_COLUMNS, PROJECT_COLUMNS
from matcher.settings import DEMO_SEED, cache_dir
from matcher.territory import load_territory

#: Version of the cached demo files' columns (a new column makes a new file).
DEMO_FORMAT = 2

SOURCE = "demo-synthetique"


@dataclass(frozen=True)
class _Kind:
    code: str
    share: float
    min_pop: int
    max_pop: float
    area_median_m2: float
    area_sigma: float
    land_factor: float
    bad_condition_bias: float  # 0 = mostly good, 1 = mostly heavy works


_KINDS = (
    _Kind("post_office", 0.16, 300, np.inf, 150, 0.45, 1.5, 0.2),
    _Kind("bank_branch", 0.12, 2_000, np.inf, 140, 0.40, 1.2, 0.1),
    _Kind("tourist_office", 0.05, 500, np.inf, 110, 0.45, 1.3, 0.15),
    _Kind("warehouse", 0.10, 1_000, np.inf, 900, 0.70, 2.5, 0.4),
    _Kind("school", 0.12, 0, 20_000, 450, 0.50, 3.0, 0.35),
    _Kind("presbytery", 0.08, 0, 10_000, 220, 0.35, 3.5, 0.5),
    _Kind("industrial_friche", 0.09, 1_000, np.inf, 2_500, 0.90, 4.0, 0.8),
    _Kind("commercial_friche", 0.08, 2_000, np.inf, 900, 0.75, 3.0, 0.6),
    _Kind("public_building", 0.10, 0, np.inf, 350, 0.60, 2.0, 0.35),
    _Kind("shop", 0.05, 1_500, np.inf, 120, 0.50, 1.0, 0.2),
    _Kind("office", 0.05, 5_000, np.inf, 300, 0.60, 1.0, 0.1),
)

_PROJECT_TYPES = (  # (code, share, surface median m2)
    ("coworking", 0.30, 220),
    ("hybrid", 0.22, 450),
    ("fablab", 0.14, 300),
    ("cultural", 0.12, 500),
    ("food", 0.08, 350),
    ("shared_workshop", 0.07, 600),
    ("digital_inclusion", 0.07, 120),
)

SIZES = {"full": (20_000, 300), "small": (600, 40)}


def _jitter_inside(
    rng: np.random.Generator, t, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return lon, lat and precision of points scattered around each commune's town hall."""
    c = t.communes.loc[codes]
    lon = c["lon"].to_numpy().copy()
    lat = c["lat"].to_numpy().copy()
    spread_m = np.clip(np.sqrt(c["area_km2"].to_numpy() * 1e6) / 4, 100, 1500)
    zones = c["zone"].to_numpy()
    for zone in np.unique(zones):
        sel = np.flatnonzero(zones == zone)
        x, y = geo.to_projected(lon[sel], lat[sel], zone)
        r = spread_m[sel] * np.sqrt(rng.random(len(sel)))
        a = rng.random(len(sel)) * 2 * np.pi
        nlon, nlat = geo.to_lonlat(x + r * np.cos(a), y + r * np.sin(a), zone)
        lon[sel], lat[sel] = nlon, nlat
    # A point that left its commune (coast, narrow communes) goes back to the town hall.
    outside = t.locate(lon, lat) != codes
    lon[outside] = c["lon"].to_numpy()[outside]
    lat[outside] = c["lat"].to_numpy()[outside]
    precision = np.where(outside, "commune", "address")
    return lon, lat, precision


def synthetic_premises(n: int, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Return ``n`` synthetic premises with :data:`PREMISE_COLUMNS` over real communes."""
    rng = np.random.default_rng(seed)
    t = load_territory()
    com = t.communes[t.communes["lon"].notna() & t.communes["population"].notna()]
    pop = com["population"].to_numpy(dtype=float)
    shares = np.array([k.share for k in _KINDS])
    kind_idx = rng.choice(len(_KINDS), size=n, p=shares / shares.sum())
    codes = np.empty(n, dtype=object)
    for i, kind in enumerate(_KINDS):
        sel = np.flatnonzero(kind_idx == i)
        ok = (pop >= kind.min_pop) & (pop <= kind.max_pop)
        w = np.where(ok, np.power(np.maximum(pop, 1), 0.65), 0)
        codes[sel] = rng.choice(com.index.to_numpy(), size=len(sel), p=w / w.sum())
    codes = codes.astype(str)
    kinds = np.array([_KINDS[i].code for i in kind_idx])
    cpop = com.loc[codes, "population"].to_numpy(dtype=float)
    size = np.clip(np.log10(np.maximum(cpop, 50)) - 2, 0, 4) / 4  # 0 village .. 1 city
    lon, lat, precision = _jitter_inside(rng, t, codes)

    med = np.array([_KINDS[i].area_median_m2 for i in kind_idx])
    sig = np.array([_KINDS[i].area_sigma for i in kind_idx])
    floor = np.round(med * np.exp(rng.normal(0, sig)), -1).clip(20, 60_000)
    land = np.round(
        floor * np.array([_KINDS[i].land_factor for i in kind_idx]) * np.exp(rng.normal(0, 0.4, n)),
        -1,
    )
    levels = np.clip(np.round(rng.gamma(1.6, 0.8, n)), 1, 6).astype(int)
    bias = np.array([_KINDS[i].bad_condition_bias for i in kind_idx])
    cond_level = np.clip(np.round(rng.normal(bias * 2.2, 0.8)), 0, 3).astype(int)
    conditions = np.array(["good", "light_works", "heavy_works", "ruin"])[cond_level]
    works_m2 = np.array([40, 350, 950, 1700])[cond_level] * np.exp(rng.normal(0, 0.3, n))
    works = np.round(floor * works_m2, -3)

    tenure = rng.choice(
        ["sale", "lease", "long_lease", "free_provision"], size=n, p=[0.35, 0.35, 0.1, 0.2]
    )
    price_m2 = (500 + 2500 * size**1.5) * np.array([1.0, 0.8, 0.5, 0.3])[cond_level]
    price = np.where(
        tenure == "sale", np.round(floor * price_m2 * rng.uniform(0.7, 1.3, n), -3), np.nan
    )
    rent = np.where(
        np.isin(tenure, ["lease", "long_lease"]),
        np.round((35 + 180 * size**1.6) * rng.uniform(0.7, 1.3, n), 0),
        np.where(tenure == "free_provision", 0.0, np.nan),
    )
    ftth_p = 0.55 + 0.4 * size
    u = rng.random(n)
    connectivity = np.where(
        u < ftth_p,
        "ftth",
        np.where(u < ftth_p + 0.15, "vdsl", np.where(u < ftth_p + 0.3, "adsl", "mobile_only")),
    )
    start = np.datetime64("2026-06-01")
    available = start + rng.integers(0, 540, n).astype("timedelta64[D]")
    station = np.round(rng.lognormal(np.log(800 + 9000 * (1 - size)), 0.8), -1)
    pmr = rng.random(n) < (0.25 + 0.35 * (cond_level == 0))
    ground = rng.random(n) < np.where(levels == 1, 0.95, 0.6)
    parking = np.round(rng.gamma(1.5, 3 + floor / 150)).astype(int)
    is_friche = np.isin(kinds, ["industrial_friche", "commercial_friche"])
    pollution = np.where(
        is_friche,
        rng.choice(["none", "unlikely", "supposed", "proven"], n, p=[0.2, 0.35, 0.3, 0.15]),
        None,
    )
    heritage = rng.random(n) < np.where(np.isin(kinds, ["presbytery", "school"]), 0.12, 0.02)

    def unknown(values: np.ndarray, share: float) -> np.ndarray:
        out = values.astype(object)
        out[rng.random(n) < share] = None
        return out

    commune_names = com.loc[codes, "name"].to_numpy()
    names = [f"{_LABELS[k]} — {nm}" for k, nm in zip(kinds, commune_names, strict=True)]
    owners = [
        _OWNERS.get(k) or f"Commune de {nm}" for k, nm in zip(kinds, commune_names, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "premise_id": np.arange(1, n + 1),
            "kind": kinds,
            "name": names,
            "owner_org": owners,
            "address": None,
            "insee_code": codes,
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "location_precision": precision,
            "floor_area_m2": floor,
            "land_area_m2": land,
            "levels": levels,
            "ground_floor_access": unknown(ground, 0.1),
            "condition": unknown(conditions, 0.05),
            "works_estimate_eur": np.where(rng.random(n) < 0.3, np.nan, works),
            "tenure": tenure,
            "price_eur": price,
            "rent_eur_m2_year": rent,
            "available_from": pd.to_datetime(available).date,
            "connectivity": unknown(connectivity, 0.08),
            "distance_to_station_m": np.where(rng.random(n) < 0.1, np.nan, station),
            "parking_spaces": parking,
            "pmr_accessible": unknown(pmr, 0.15),
            "pollution": pollution,
            "heritage_listed": heritage,
            "status": rng.choice(["available", "reserved", "allocated"], n, p=[0.9, 0.07, 0.03]),
            "source": SOURCE,
            "source_id": [f"demo-{i:06d}" for i in range(1, n + 1)],
            "synthetic": True,
        }
    )
    return frame[list(PREMISE_COLUMNS)]


#: Owner organisation of synthetic premises by kind (others: the commune).
_OWNERS = {
    "post_office": "Réseau postal (démo)",
    "bank_branch": "Banque régionale (démo)",
    "warehouse": "Foncière logistique (démo)",
    "industrial_friche": "Établissement public foncier (démo)",
    "commercial_friche": "Établissement public foncier (démo)",
    "shop": "Foncière commerciale (démo)",
    "office": "Foncière commerciale (démo)",
}

_LABELS = {
    "post_office": "Ancien bureau de poste",
    "bank_branch": "Ancienne agence bancaire",
    "tourist_office": "Ancien office de tourisme",
    "warehouse": "Entrepôt",
    "school": "Ancienne école",
    "presbytery": "Presbytère",
    "industrial_friche": "Friche industrielle",
    "commercial_friche": "Friche commerciale",
    "public_building": "Bâtiment communal",
    "shop": "Local commercial vacant",
    "office": "Plateau de bureaux",
}


def synthetic_projects(n: int, seed: int = DEMO_SEED + 1) -> pd.DataFrame:
    """Return ``n`` synthetic tiers-lieux projects with :data:`PROJECT_COLUMNS`."""
    rng = np.random.default_rng(seed)
    t = load_territory()
    com = t.communes[t.communes["lon"].notna() & t.communes["population"].notna()]
    pop = com["population"].to_numpy(dtype=float)
    half = n // 2
    # Half aims at quartiers prioritaires / large towns, half at small and medium towns.
    big = (pop >= 20_000) | com["in_metropole"].to_numpy()
    small = (pop >= 1_500) & (pop < 20_000) & ~com["in_metropole"].to_numpy()
    codes = np.concatenate(
        [
            rng.choice(com.index[big], size=half, p=pop[big] / pop[big].sum()),
            rng.choice(com.index[small], size=n - half),
        ]
    ).astype(str)
    qpv_target = np.arange(n) < half
    shares = np.array([s for _, s, _ in _PROJECT_TYPES])
    ti = rng.choice(len(_PROJECT_TYPES), size=n, p=shares / shares.sum())
    types = np.array([_PROJECT_TYPES[i][0] for i in ti])
    med = np.array([_PROJECT_TYPES[i][2] for i in ti])
    target = np.round(med * np.exp(rng.normal(0, 0.35, n)), -1)
    smin = np.round(target * rng.uniform(0.55, 0.8, n), -1)
    smax = np.round(target * rng.uniform(1.4, 2.2, n), -1)
    radius = np.where(qpv_target, rng.choice([5, 10, 15], n), rng.choice([15, 20, 30, 40], n))
    budget_purchase = np.where(
        rng.random(n) < 0.4, np.round(target * rng.uniform(400, 1800, n), -3), np.nan
    )
    budget_works = np.round(target * rng.uniform(150, 900, n), -3)
    max_rent = np.round(target * rng.uniform(40, 160, n), -2)
    tenures = []
    for i in range(n):
        opts = ["lease", "free_provision", "long_lease"]
        if not np.isnan(budget_purchase[i]):
            opts.append("sale")
        k = rng.integers(1, len(opts) + 1)
        tenures.append("|".join(sorted(rng.choice(opts, size=k, replace=False))))
    activities = []
    for i in range(n):
        extra = rng.choice(
            [p for p, _, _ in _PROJECT_TYPES if p != types[i]],
            size=rng.integers(0, 3),
            replace=False,
        )
        activities.append("|".join([types[i], *extra]))
    c = com.loc[codes]
    frame = pd.DataFrame(
        {
            "project_id": np.arange(1, n + 1),
            "name": [
                f"Projet {_TYPE_LABEL[ty]} — {nm}" for ty, nm in zip(types, c["name"], strict=True)
            ],
            # Some projects share one holder, so the demo holder account has several.
            "holder_org": [
                "Collectif Tiers-Lieux (démo)" if i % 60 == 0 else f"Porteur n° {i + 1} (démo)"
                for i in range(n)
            ],
            "project_type": types,
            "activities": activities,
            "target_lon": c["lon"].to_numpy(),
            "target_lat": c["lat"].to_numpy(),
            "radius_km": radius.astype(float),
            "target_insee_codes": None,
            "surface_min_m2": smin,
            "surface_target_m2": target,
            "surface_max_m2": smax,
            "budget_purchase_eur": budget_purchase,
            "budget_works_eur": budget_works,
            "max_rent_eur_year": max_rent,
            "tenures": tenures,
            "fibre_required": rng.random(n)
            < np.where(np.isin(types, ["coworking", "digital_inclusion"]), 0.7, 0.3),
            "pmr_required": rng.random(n) < 0.5,
            "ground_floor_required": rng.random(n)
            < np.where(np.isin(types, ["food", "shared_workshop"]), 0.6, 0.2),
            "max_station_distance_m": np.where(rng.random(n) < 0.25, 2000.0, np.nan),
            "needed_by": (
                np.datetime64("2027-01-01") + rng.integers(0, 540, n).astype("timedelta64[D]")
            )
            .astype("datetime64[D]")
            .astype(object),
            "expected_jobs": np.round(rng.gamma(2, 2.5, n) + 1).astype(int),
            "expected_users": np.round(rng.gamma(2, 150, n)).astype(int),
            "fabrique_territoire": rng.random(n) < 0.3,
            "qpv_target": qpv_target,
            # 16 % of tiers-lieux host a public service (France Tiers-Lieux, 2023)
            "hosts_public_service": rng.random(n) < 0.16,
            "source": SOURCE,
            "synthetic": True,
        }
    )
    return frame[list(PROJECT_COLUMNS)]


_TYPE_LABEL = {
    "coworking": "coworking",
    "hybrid": "tiers-lieu hybride",
    "fablab": "fablab",
    "cultural": "tiers-lieu culturel",
    "food": "tiers-lieu nourricier",
    "shared_workshop": "atelier partagé",
    "digital_inclusion": "inclusion numérique",
}


def real_premises() -> pd.DataFrame:
    """Return real premises derived from the open-data inventories, or an empty frame."""
    try:
        from matcher.ingestion import real_premises_for_demo  # type: ignore[attr-defined]
    except ImportError:
        return pd.DataFrame(columns=list(PREMISE_COLUMNS))
    try:
        frame = real_premises_for_demo()
    except FileNotFoundError:  # raw files not shipped with this checkout
        return pd.DataFrame(columns=list(PREMISE_COLUMNS))
    return frame[list(PREMISE_COLUMNS)]


def build_demo(size: str = "full", seed: int = DEMO_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(premises, projects)`` of the demo, cached as parquet under the cache folder."""
    if size not in SIZES:
        raise ValueError(f"Taille de démo inconnue : « {size} » (full ou small).")
    n_premises, n_projects = SIZES[size]
    pp = cache_dir() / f"demo-premises-{size}-{seed}-v{DEMO_FORMAT}.parquet"
    pj = cache_dir() / f"demo-projects-{size}-{seed}-v{DEMO_FORMAT}.parquet"
    if pp.exists() and pj.exists():
        return pd.read_parquet(pp), pd.read_parquet(pj)
    synthetic = synthetic_premises(n_premises, seed)
    real = real_premises() if size == "full" else real_premises().head(0)
    if len(real):
        real = real.copy()
        real["premise_id"] = np.arange(len(synthetic) + 1, len(synthetic) + len(real) + 1)
        premises = pd.concat([synthetic, real], ignore_index=True)
    else:
        premises = synthetic
    projects = synthetic_projects(n_projects, seed + 1)
    premises.to_parquet(pp, index=False)
    projects.to_parquet(pj, index=False)
    return premises, projects
