"""Real premises for the embedded demo, derived from the real inventories.

- Friches *without project* of Cartofriches (CNIG export) and of the Ardennes
  observatory (an Ardennes site within 50 m of a Cartofriches one is kept once).
- Former post offices: "Bureau de Poste" sites of the 2016 La Poste list that
  are no longer a Bureau de Poste in 2020 (closed, or turned into a communal
  agency or a shop relay), with no 2020 Bureau de Poste within 50 m. Their
  building is *presumed* vacated: the name says so.

Every row keeps its real source and source id and ``synthetic = False``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from matcher.domain import PREMISE_COLUMNS
from matcher.ingestion.adapters import ADAPTERS, raw_data_dir
from matcher.ingestion.duplicates import likely_duplicates
from matcher.ingestion.locate import TerritoryLike, get_territory


def _friches(t: TerritoryLike | None) -> pd.DataFrame:
    frames = []
    for name in ("cartofriches", "ardennes_friches"):
        if not ADAPTERS[name].default_path().exists():
            continue
        rec = ADAPTERS[name].read(territory=t, mode="valid_only").records
        frames.append(rec[rec["status"] == "available"])
    if len(frames) == 2:
        carto, ardennes = frames
        dup = likely_duplicates(ardennes, carto)
        frames[1] = ardennes.drop(index=ardennes.index[dup["new_index"].astype(int).unique()])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PREMISE_COLUMNS)


def former_post_offices(
    territory: TerritoryLike | None = None, *, paths: tuple[Path, Path] | None = None
) -> pd.DataFrame:
    """Return 2016 post offices that are no longer a Bureau de Poste in 2020 (presumed vacated).

    ``paths`` = (2016 file, 2020 file), by default the copies in the raw data folder.
    """
    t = get_territory(territory)
    old_a, new_a = ADAPTERS["laposte_2016"], ADAPTERS["laposte"]
    old_path, new_path = paths or (old_a.default_path(), new_a.default_path())
    if not (Path(old_path).exists() and Path(new_path).exists()):
        return pd.DataFrame(columns=PREMISE_COLUMNS)
    old = old_a.read(old_path, territory=t, mode="valid_only").records
    new = new_a.read(new_path, territory=t, mode="valid_only").records
    # "BP" = Bureau de Poste (the agencies "AP" and relays "RP" are counters in other premises)
    bp_old = old[(old["kind"] == "post_office") & old["name"].str.endswith(" BP")]
    bp_new = new[(new["kind"] == "post_office") & new["name"].str.endswith(" BP")]
    gone = bp_old[~bp_old["source_id"].isin(bp_new["source_id"])].reset_index(drop=True)
    moved = likely_duplicates(gone.assign(source="old"), bp_new.assign(source="new"))
    gone = gone.drop(index=moved["new_index"].astype(int).unique()).copy()
    gone["name"] = "Ancien bureau de poste " + gone["name"].str.removesuffix(" BP").str.title()
    gone["status"] = "available"
    gone["source"] = "laposte_2016_2020"
    return gone.reset_index(drop=True)


@lru_cache(maxsize=1)
def _cached() -> pd.DataFrame:
    t = get_territory(None)
    frames = [f for f in (_friches(t), former_post_offices(t)) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(PREMISE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)[list(PREMISE_COLUMNS)]
    out["synthetic"] = False
    return out


def real_premises_for_demo(territory: TerritoryLike | None = None) -> pd.DataFrame:
    """Return real premises (``PREMISE_COLUMNS``) derived from the raw inventories, labelled by source.

    Empty (with the right columns) when the raw data folder is absent.
    """
    if not raw_data_dir().is_dir():
        return pd.DataFrame(columns=list(PREMISE_COLUMNS))
    if territory is not None:
        t = territory
        frames = [f for f in (_friches(t), former_post_offices(t)) if not f.empty]
        out = (
            pd.concat(frames, ignore_index=True)[list(PREMISE_COLUMNS)]
            if frames
            else pd.DataFrame(columns=list(PREMISE_COLUMNS))
        )
        out["synthetic"] = False
        return out
    return _cached().copy()
