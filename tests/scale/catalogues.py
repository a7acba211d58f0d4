"""Random catalogues for the batch tests, and the whole-catalogue reference they must equal.

Premises carry their zone and projected coordinates (so no enrichment runs) and every
attribute with unknowns; projects get random needs and weights-by-type. The reference
is the engine on the whole catalogue: :func:`matcher.engine.batch.batch_match` for the
premises of each project, and every (premise, project) pair scored by
:func:`matcher.engine.kernels.score_pairs` for the projects of each premise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.engine import batch_match, build_snapshot
from matcher.engine import kernels as KN
from matcher.engine.query import compile_queries
from matcher.geo import to_lonlat, to_projected
from matcher.needs import ProjectNeeds

#: (zone, lon range, lat range) of the regions premises and projects are drawn in: the
#: Paris basin, and Guadeloupe and Martinique, two zones sharing one CRS (EPSG:5490).
REGIONS = {
    "FXX": ("FXX", (1.9, 2.8), (48.5, 49.1)),
    "GLP": ("GLP", (-61.75, -61.2), (15.95, 16.45)),
    "MTQ": ("MTQ", (-61.2, -60.85), (14.45, 14.85)),
    "FRANCE": ("FXX", (-1.5, 7.0), (43.5, 49.5)),  # most of the mainland
}
TYPES = ["coworking", "fablab", "food", "digital_inclusion", "hybrid"]


def premises(n: int, seed: int = 0, zones: tuple[str, ...] = ("FXX",), *,
             id_prefix: str | None = "L") -> pd.DataFrame:  # fmt: skip
    """Return n random premises spread over the ``zones`` regions (with zone, x_m, y_m)."""
    rng = np.random.default_rng(seed)

    def pick(values, p_none=0.2):
        out = np.array(rng.choice(values, n), dtype=object)
        out[rng.random(n) < p_none] = None
        return out

    def num(lo, hi, p_none=0.2):
        v = rng.uniform(lo, hi, n)
        v[rng.random(n) < p_none] = np.nan
        return v

    region = rng.choice(list(zones), n)
    zone = np.array([REGIONS[r][0] for r in region], dtype=object)
    lon, lat, x, y = (np.empty(n) for _ in range(4))
    for r in zones:
        m = region == r
        z, (lo0, lo1), (la0, la1) = REGIONS[r]
        lon[m], lat[m] = rng.uniform(lo0, lo1, m.sum()), rng.uniform(la0, la1, m.sum())
        x[m], y[m] = to_projected(lon[m], lat[m], z)
    ids = [f"{id_prefix}{i:06d}" for i in range(n)] if id_prefix else np.arange(1, n + 1)
    return pd.DataFrame(
        {
            "premise_id": ids,
            "kind": pick(["post_office", "bank_branch", "industrial_friche", "shop"], 0.1),
            "zone": zone,
            "x_m": x,
            "y_m": y,
            "lon": lon,
            "lat": lat,
            "floor_area_m2": num(40, 1500, 0.05),
            "ground_floor_access": pick([True, False]),
            "condition": pick(["good", "light_works", "heavy_works", "ruin"]),
            "works_estimate_eur": num(0, 200_000, 0.4),
            "tenure": pick(["sale", "lease", "long_lease", "free_provision"]),
            "price_eur": num(20_000, 900_000),
            "rent_eur_m2_year": num(20, 250),
            "available_from": pd.to_datetime("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "connectivity": pick(["none", "mobile_only", "adsl", "vdsl", "ftth"]),
            "distance_to_station_m": num(0, 9000),
            "parking_spaces": num(0, 25),
            "pmr_accessible": pick([True, False]),
            "status": pick(["available", "available", "available", "reserved", "withdrawn"], 0.0),
            "in_metropole": pick([True, False]),
            "in_qpv": pick([True, False]),
            "acv": pick([True, False]),
            "pvd": pick([True, False]),
            "rural": pick([True, False]),
            "nearest_tiers_lieu_m": num(0, 20_000),
            "population_20km": num(0, 120_000),
            "frr": pick([1.0, 0.0]),
            "density_7": pick([1, 2, 3, 4, 5, 6, 7], 0.3),
            "nearest_france_services_m": num(0, 40_000),
        }
    )


def projects(m: int, seed: int = 1, zones: tuple[str, ...] = ("FXX",),
             radii: tuple[float, ...] = (5.0, 10.0, 20.0, 40.0)) -> list[ProjectNeeds]:  # fmt: skip
    """Return m random projects (point, radius, surfaces, budgets, some hard needs)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(m):
        _, (lo0, lo1), (la0, la1) = REGIONS[zones[i % len(zones)]]
        target = float(rng.choice([150, 300, 600, 1200]))
        out.append(
            ProjectNeeds(
                project_id=f"P{i:05d}",
                project_type=TYPES[i % len(TYPES)],
                target_lon=float(rng.uniform(lo0, lo1)),
                target_lat=float(rng.uniform(la0, la1)),
                radius_km=float(rng.choice(radii)),
                surface_min_m2=target * 0.4,
                surface_target_m2=target,
                surface_max_m2=target * 3,
                budget_purchase_eur=target * 2000 if i % 3 else None,
                max_rent_eur_year=target * 150,
                fibre_required=bool(i % 5 == 0),
                qpv_target=bool(i % 7 == 0),
                hosts_public_service=bool(i % 4 == 0),
            )
        )
    return out


def on_circle(center: ProjectNeeds, radius_m: float, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """Return ``(x_m, y_m, lon, lat)`` of n points at grid distance ``radius_m`` from a target."""
    rng = np.random.default_rng(seed)
    x0, y0 = to_projected(center.target_lon, center.target_lat, center.zone)
    angle = rng.uniform(0, 2 * np.pi, n)
    x, y = x0[0] + radius_m * np.cos(angle), y0[0] + radius_m * np.sin(angle)
    lon, lat = to_lonlat(x, y, center.zone)
    return x, y, lon, lat


def reference(frame: pd.DataFrame, needs: list[ProjectNeeds], radius_km: float, k: int,
              k_premise: int, weights: object = None) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Return ``(by_project, by_premise)`` of the engine on the whole catalogue."""
    snap = build_snapshot(frame)
    by_project = batch_match(snap, needs, radius_km, k, weights)
    batch = compile_queries(needs, weights, radius_cap_km=radius_km)
    rows = np.repeat(np.arange(snap.n), len(needs))
    qs = np.tile(np.arange(len(needs)), snap.n)
    totals, fails, dist = KN.score_pairs(rows, qs, snap.columns, batch.arrays(), snap.geometry)
    ok = fails == 0
    ids = np.array([p.project_id for p in needs], dtype=object)
    pairs = pd.DataFrame({"premise_id": snap.ids_of(rows[ok]), "q": qs[ok],
                          "score_0_100": totals[ok], "distance_m": dist[ok]})  # fmt: skip
    pairs = pairs.sort_values(["premise_id", "score_0_100", "q"], ascending=[True, False, True])
    pairs["rank"] = pairs.groupby("premise_id").cumcount() + 1
    pairs = pairs[pairs["rank"] <= k_premise]
    by_premise = pd.DataFrame({"premise_id": pairs["premise_id"].to_numpy(),
                               "project_id": ids[pairs["q"].to_numpy()],
                               "rank": pairs["rank"].to_numpy(),
                               "score_0_100": pairs["score_0_100"].to_numpy(),
                               "distance_m": pairs["distance_m"].to_numpy()})  # fmt: skip
    return by_project, by_premise


def assert_same(got: pd.DataFrame, want: pd.DataFrame, direction: str) -> None:
    """Assert two result frames hold the same pairs, ranks, and scores to the last bit."""
    keys = ["project_id", "rank"] if direction == "project" else ["premise_id", "rank"]
    cols = ["project_id", "premise_id", "rank", "score_0_100", "distance_m"]
    g = got[cols].sort_values(keys, kind="stable").reset_index(drop=True)
    w = want[cols].sort_values(keys, kind="stable").reset_index(drop=True)
    assert len(g) == len(w), f"{direction}: {len(g)} paires au lieu de {len(w)}"
    for c in ("project_id", "premise_id"):
        assert (g[c].astype(str).to_numpy() == w[c].astype(str).to_numpy()).all(), c
    assert (g["rank"].to_numpy() == w["rank"].to_numpy()).all()
    # bit for bit: compare the float64 representations
    for c in ("score_0_100", "distance_m"):
        a = g[c].to_numpy(dtype=np.float64).view(np.int64)
        b = w[c].to_numpy(dtype=np.float64).view(np.int64)
        assert (a == b).all(), f"{c} differs on {(a != b).sum()} pairs"
