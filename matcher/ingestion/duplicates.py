"""Likely duplicates across sources: the same kind of place within 50 m.

Re-importing one source updates its rows (key: source + source id); two
sources describing the same building are only *likely* duplicates, so they
are flagged as warnings for a person to decide, never merged silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher import geo
from matcher.ingestion.report import ValidationReport

#: Two places of the same kind closer than this are likely the same (metres).
DUPLICATE_RADIUS_M = 50.0


def _metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return local metric coordinates (equirectangular around each point's latitude)."""
    lat0 = np.radians(np.nan_to_num(lat))
    return np.column_stack(
        [np.radians(lon) * 6_371_008.8 * np.cos(lat0), np.radians(lat) * 6_371_008.8]
    )


def likely_duplicates(
    new: pd.DataFrame,
    existing: pd.DataFrame,
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
    kind_column: str = "kind",
) -> pd.DataFrame:
    """Return pairs ``(new_index, existing_index, distance_m)`` of the same kind within ``radius_m``.

    Rows of ``existing`` with the same ``source`` as the new row are ignored
    (they are the same source: re-import updates them).

    >>> a = pd.DataFrame({"kind": ["shop"], "lon": [2.3522], "lat": [48.8566], "source": ["x"]})
    >>> b = pd.DataFrame({"kind": ["shop", "shop"], "lon": [2.3525, 2.36], "lat": [48.8566, 48.85], "source": ["y", "y"]})
    >>> likely_duplicates(a, b)[["new_index", "existing_index"]].values.tolist()
    [[0, 0]]
    """
    cols = ["new_index", "existing_index", "distance_m"]
    if new.empty or existing.empty:
        return pd.DataFrame(columns=cols)
    ok_new = np.isfinite(new["lon"].to_numpy(float)) & np.isfinite(new["lat"].to_numpy(float))
    ok_old = np.isfinite(existing["lon"].to_numpy(float)) & np.isfinite(
        existing["lat"].to_numpy(float)
    )
    n_idx, o_idx = np.flatnonzero(ok_new), np.flatnonzero(ok_old)
    if not len(n_idx) or not len(o_idx):
        return pd.DataFrame(columns=cols)
    tree = cKDTree(
        _metres(existing["lon"].to_numpy(float)[o_idx], existing["lat"].to_numpy(float)[o_idx])
    )
    # search a little wider in the approximate metric, then confirm with the geodesic
    hits = tree.query_ball_point(
        _metres(new["lon"].to_numpy(float)[n_idx], new["lat"].to_numpy(float)[n_idx]),
        r=radius_m * 1.05,
    )
    pairs = [(n_idx[i], o_idx[j]) for i, js in enumerate(hits) for j in js]
    if not pairs:
        return pd.DataFrame(columns=cols)
    ni, oi = (np.array(x) for x in zip(*pairs, strict=True))
    same_kind = new[kind_column].to_numpy()[ni] == existing[kind_column].to_numpy()[oi]
    if "source" in new.columns and "source" in existing.columns:
        same_kind &= new["source"].to_numpy()[ni] != existing["source"].to_numpy()[oi]
    ni, oi = ni[same_kind], oi[same_kind]
    d = geo.geodesic_distance_m(
        new["lon"].to_numpy(float)[ni],
        new["lat"].to_numpy(float)[ni],
        existing["lon"].to_numpy(float)[oi],
        existing["lat"].to_numpy(float)[oi],
    )
    keep = d <= radius_m
    return pd.DataFrame(
        {"new_index": ni[keep], "existing_index": oi[keep], "distance_m": d[keep].round(1)}
    )


def flag_likely_duplicates(
    new: pd.DataFrame,
    existing: pd.DataFrame,
    report: ValidationReport,
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
) -> pd.DataFrame:
    """Add one warning per new row that likely duplicates a row of another source; return the pairs."""
    pairs = likely_duplicates(new, existing, radius_m=radius_m)
    for p in pairs.itertuples(index=False):
        row = new.iloc[int(p.new_index)]
        other = existing.iloc[int(p.existing_index)]
        label = other.get("name") or other.get("source_id") or ""
        report.warning(
            int(row.get("line", 0) or 0),
            "localisation",
            f"{row['lon']:.6f}, {row['lat']:.6f}",
            f"Doublon probable : même type de lieu à {p.distance_m:.0f} m de « {label} » "
            f"(source {other.get('source', '?')}, identifiant {other.get('source_id', '?')}).",
        )
    return pairs
