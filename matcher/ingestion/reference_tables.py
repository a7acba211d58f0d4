"""Build the compact reference tables the engine reads, from the real open-data files.

``matcher reference build`` runs :func:`build_reference_tables`, which reads
each source through its adapter (so every row passes the same validation),
keeps only the columns the engine needs, sorts and rounds for reproducible
files, and writes ``matcher/reference/*.csv`` plus ``PROVENANCE.md``.

Tables:

- ``tiers_lieux.csv``: existing tiers-lieux with a public licence (white zones).
- ``programmes_communes.csv``: Action Cœur de Ville membership (national) and
  QPV presence (**Occitanie only** in the available data).
- ``stations.csv``: passenger railway stations.
- ``ftth_communes.csv``: share of premises connectable to FttH, communes with
  any FttH at T1 2018 (a commune of the ARCEP list absent from the table had 0 %).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matcher import settings
from matcher.ingestion.adapters import ADAPTERS
from matcher.ingestion.duplicates import likely_duplicates
from matcher.ingestion.locate import TerritoryLike, get_territory

#: Tiers-lieux lists whose licence allows publishing a derived table.
#: The Occitanie 2017 directory has no licence for its data: used in tests only.
PUBLISHABLE_TIERS_LIEUX = ("fablabs_2020", "bretagne_tiers_lieux")


@dataclass(frozen=True)
class SourceNote:
    """Provenance of one source as written in PROVENANCE.md."""

    folder: str
    origin: str
    data_date: str
    licence: str


SOURCES: dict[str, SourceNote] = {
    "fablabs_2020": SourceNote(
        "fablabs_france_2020",
        "co-demos/covid-viz, data/FABLABS_agregation - export_all_fablabs_csv.geocoded.csv (commit 4bb7c3e)",
        "2020-03",
        "Licence Ouverte 2.0 (Etalab)",
    ),
    "bretagne_tiers_lieux": SourceNote(
        "tiers_lieux_bretagne_fablabs",
        "grouan/bzh_fablab, map_bzh_fablab.geojson (commit 67a50a0) - #MapLabBZH, Guillaume Rouan",
        "2020-05",
        "CC BY 4.0 (attribution : #MapLabBZH / Guillaume Rouan)",
    ),
    "acv": SourceNote(
        "action_coeur_de_ville",
        "anct-carto/action_coeur_de_ville, data/coeurdeville.js (commit 6903e5d) - ANCT",
        "2025-04",
        "non précisée dans le dépôt ; Licence Ouverte 2.0 présumée (ANCT, à confirmer)",
    ),
    "qpv": SourceNote(
        "qpv_occitanie",
        "ToulouseDataViz/Hackaviz2021, data/qp.geojson (commit a054acb) - ANCT/INSEE, géographie 2015",
        "2021-09",
        "non précisée dans le dépôt ; Licence Ouverte 2.0 présumée (à confirmer)",
    ),
    "gares_sncf": SourceNote(
        "gares_sncf",
        "Kal3idoscope/Land-data-analysis-French-market, liste-des-gares.csv (commit 9126314) - SNCF Réseau",
        "2024-11",
        "non précisée dans le dépôt ; ODbL présumée (SNCF Réseau) : table dérivée partagée sous ODbL",
    ),
    "arcep_ftth": SourceNote(
        "arcep_ftth_communes_2018",
        "NJacq/laravel, storage/app/public/ftthCommunes.csv + communes.csv (commit 94f93a4) - ARCEP",
        "2018-T1",
        "Licence Ouverte (Etalab), selon le README du dépôt",
    ),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def tiers_lieux_table(territory: TerritoryLike | None = None) -> pd.DataFrame:
    """Return existing tiers-lieux (source, name, insee_code, lon, lat, kind), cross-list duplicates dropped."""
    t = get_territory(territory)
    frames = []
    for name in PUBLISHABLE_TIERS_LIEUX:
        rec = ADAPTERS[name].read(territory=t).records
        frames.append(rec[["source", "name", "insee_code", "lon", "lat", "kind"]])
    first, second = frames
    dup = likely_duplicates(second.assign(kind="x"), first.assign(kind="x"), radius_m=100.0)
    second = second.drop(index=second.index[dup["new_index"].astype(int).unique()])
    out = pd.concat([first, second], ignore_index=True)
    out["lon"], out["lat"] = out["lon"].round(6), out["lat"].round(6)
    return out.sort_values(["insee_code", "name", "source"], kind="stable").reset_index(drop=True)


def programmes_table(territory: TerritoryLike | None = None) -> pd.DataFrame:
    """Return per commune: ACV membership (national) and QPV count (Occitanie only)."""
    t = get_territory(territory)
    acv = ADAPTERS["acv"].read(territory=t).records
    qpv = ADAPTERS["qpv"].read(territory=t).records
    a = acv.groupby("insee_code")["programme_id"].first().rename("acv_id")
    q = qpv.groupby("insee_code")["qpv_code"].agg(["count", lambda s: "|".join(sorted(s))])
    q.columns = ["qpv_count", "qpv_codes"]
    out = pd.concat([a, q], axis=1).reset_index().rename(columns={"index": "insee_code"})
    out["acv"] = out["acv_id"].notna().astype(int)
    out["qpv_count"] = out["qpv_count"].fillna(0).astype(int)
    out["qpv"] = (out["qpv_count"] > 0).astype(int)
    # QPV data cover Occitanie (région 76) only: elsewhere presence is unknown, not 0
    region = t.communes["region"].reindex(out["insee_code"]).to_numpy() if t is not None else None
    out["qpv_known"] = (region == "76").astype(int) if region is not None else 0
    cols = ["insee_code", "acv", "acv_id", "qpv", "qpv_count", "qpv_codes", "qpv_known"]
    return out[cols].fillna("").sort_values("insee_code").reset_index(drop=True)


def stations_table(territory: TerritoryLike | None = None) -> pd.DataFrame:
    """Return passenger stations (uic, name, lon, lat, insee_code)."""
    rec = ADAPTERS["gares_sncf"].read(territory=get_territory(territory)).records
    rec = rec[rec["passengers"]]
    return (
        rec[["uic", "name", "lon", "lat", "insee_code"]].sort_values("uic").reset_index(drop=True)
    )


def ftth_table(territory: TerritoryLike | None = None) -> pd.DataFrame:
    """Return communes with FttH premises at T1 2018 (insee_code, ftth_share, ftth_premises, quarter)."""
    rec = ADAPTERS["arcep_ftth"].read(territory=get_territory(territory)).records
    rec = rec[rec["ftth_premises"] > 0].copy()
    rec["ftth_premises"] = rec["ftth_premises"].astype(int)
    cols = ["insee_code", "ftth_share", "ftth_premises", "quarter"]
    return rec[cols].sort_values("insee_code").reset_index(drop=True)


TABLES = {
    "tiers_lieux.csv": (tiers_lieux_table, PUBLISHABLE_TIERS_LIEUX),
    "programmes_communes.csv": (programmes_table, ("acv", "qpv")),
    "stations.csv": (stations_table, ("gares_sncf",)),
    "ftth_communes.csv": (ftth_table, ("arcep_ftth",)),
}


def _provenance(rows: dict[str, int], inputs: dict[str, str]) -> str:
    lines = [
        "# Provenance of the reference tables",
        "",
        "Derived by project code (`matcher reference build`, module",
        "`matcher/ingestion/reference_tables.py`) from the raw open-data files of",
        "`../shared/data/raw/`, each read through its source adapter (same validation",
        "as a user import). Only the columns the engine needs are kept; no personal data.",
        "",
        "| table | rows | sources |",
        "|---|---|---|",
    ]
    for table, (_fn, sources) in TABLES.items():
        lines.append(f"| `{table}` | {rows[table]} | {', '.join(sources)} |")
    lines += [
        "",
        "| source | raw folder | origin | data date | licence | input sha256 (16) |",
        "|---|---|---|---|---|---|",
    ]
    for name, note in SOURCES.items():
        lines.append(
            f"| {name} | `{note.folder}` | {note.origin} | {note.data_date} | {note.licence} | {inputs.get(name, '')} |"
        )
    lines += [
        "",
        "Notes:",
        "- `programmes_communes.csv`: ACV is the national list; **QPV only covers Occitanie**",
        "  (`qpv_known = 1` for communes of région 76). Elsewhere QPV presence is unknown.",
        "  Petites Villes de Demain is not in the raw data (no published copy found).",
        "- `ftth_communes.csv`: ARCEP T1 2018; communes with no FttH premises are omitted",
        "  (0 %). Coverage has grown a lot since 2018.",
        "- `tiers_lieux.csv`: national fablab list 2020 + Brittany #MapLabBZH; a Brittany",
        "  place within 100 m of a fablab of the national list is dropped as a duplicate.",
        "  The Tiers-Lieux Occitanie 2017 directory has no data licence and is not published here.",
        "- `stations.csv`: passenger stations only (VOYAGEURS = O), one row per UIC code.",
        "",
    ]
    return "\n".join(lines)


def build_reference_tables(
    out_dir: str | Path | None = None, territory: TerritoryLike | None = None
) -> dict[str, Path]:
    """Write every reference table and PROVENANCE.md; return ``{file name: path}``."""
    out = Path(out_dir) if out_dir is not None else settings.REFERENCE_DIR
    out.mkdir(parents=True, exist_ok=True)
    t = get_territory(territory)
    written: dict[str, Path] = {}
    rows: dict[str, int] = {}
    for name, (fn, _sources) in TABLES.items():
        frame = fn(t)
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n")
        written[name] = path
        rows[name] = len(frame)
    inputs = {name: _sha256(ADAPTERS[name].default_path()) for name in SOURCES}
    prov = out / "PROVENANCE.md"
    prov.write_text(_provenance(rows, inputs), encoding="utf-8")
    written["PROVENANCE.md"] = prov
    return written


def load_reference_table(name: str) -> pd.DataFrame:
    """Return a committed reference table with INSEE/UIC codes kept as text."""
    path = settings.REFERENCE_DIR / name
    return pd.read_csv(path, dtype={"insee_code": str, "uic": str, "acv_id": str, "qpv_codes": str})
