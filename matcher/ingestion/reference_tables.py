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
- ``commune_history.csv``, ``pvd_communes.csv``, ``frr_communes.csv``,
  ``density_communes.csv``, ``france_services.csv``: the territorial tables of
  :mod:`matcher.ingestion.territory_tables`. The history is built first; every
  other table then resolves its old codes through it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matcher import settings
from matcher.ingestion import territory_tables as tt
from matcher.ingestion.adapters import ADAPTERS, raw_data_dir
from matcher.ingestion.adapters.territory_sources import BAN_FILENAME
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
    "commune_fusions": SourceNote(
        "commune_history",
        "MTES-MCT/zero-logement-vacant, analytics/dbt/seeds/fusions.csv (commit ec97904) - INSEE",
        "2007-2024",
        "dépôt MIT ; listes INSEE (Licence Ouverte 2.0)",
    ),
    "commune_scissions": SourceNote(
        "commune_history",
        "MTES-MCT/zero-logement-vacant, analytics/dbt/seeds/scissions.csv (commit ec97904) - INSEE",
        "2004-2024",
        "dépôt MIT ; listes INSEE (Licence Ouverte 2.0)",
    ),
    "ban_communes_precedentes": SourceNote(
        "commune_history",
        "BaseAdresseNationale/mes-adresses-api, communes-precedentes-by-chef-lieu.json (commit a8f983a)",
        "COG 2025",
        "MIT (ANCT)",
    ),
    "pvd_2021": SourceNote(
        "petites_villes_de_demain",
        "anct-carto/pvd, data_init/pvd_carte-interactive_20200122.csv (commit e89a2ff) - ANCT",
        "2021-01",
        "Licence Ouverte 2.0 (Etalab)",
    ),
    "anct_programmes": SourceNote(
        "anct_programmes_communes",
        "MTES-MCT/zero-logement-vacant, analytics/dbt/seeds/ngeo-anct-cog2023.csv (commit c524425) - ANCT",
        "COG 2023",
        "données ANCT, licence non précisée (dépôt MIT) ; seul le drapeau PVD est repris",
    ),
    "frr_2025": SourceNote(
        "france_ruralites_revitalisation",
        "incubateur-ademe/benefriches, apps/api/data/france-ruralites/liste-communes-FRR-juillet2025.csv (commit 23f401f)",
        "2025-07-10",
        "zonage officiel publié par l'État (dépôt MIT)",
    ),
    "grille_densite": SourceNote(
        "grille_densite",
        "MTES-MCT/zero-logement-vacant, analytics/explorations/sortie-vacance/density_2025.xlsx (commit e9eb68b) - INSEE",
        "2025 (géographie au 01/01/2025)",
        "INSEE, Licence Ouverte 2.0",
    ),
    "france_services": SourceNote(
        "france_services",
        "anct-carto/france_services, data/liste-fs-20240801.csv (commit e1016fd) - ANCT",
        "2024-08-01",
        "Licence Ouverte 2.0 (Etalab)",
    ),
}

#: File of each source in its raw folder, where it is not its adapter's default file.
SOURCE_FILES: dict[str, str] = {"ban_communes_precedentes": BAN_FILENAME}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def tiers_lieux_table(
    territory: TerritoryLike | None = None, log: tt.BuildLog | None = None
) -> pd.DataFrame:
    """Return existing tiers-lieux (source, name, insee_code, lon, lat, kind), cross-list duplicates dropped."""
    t = get_territory(territory)
    frames = []
    for name in PUBLISHABLE_TIERS_LIEUX:
        rec = tt.read_records(name, t, log)
        frames.append(rec[["source", "name", "insee_code", "lon", "lat", "kind"]])
    first, second = frames
    dup = likely_duplicates(second.assign(kind="x"), first.assign(kind="x"), radius_m=100.0)
    second = second.drop(index=second.index[dup["new_index"].astype(int).unique()])
    out = pd.concat([first, second], ignore_index=True)
    out["lon"], out["lat"] = out["lon"].round(6), out["lat"].round(6)
    return out.sort_values(["insee_code", "name", "source"], kind="stable").reset_index(drop=True)


def programmes_table(
    territory: TerritoryLike | None = None, log: tt.BuildLog | None = None
) -> pd.DataFrame:
    """Return per commune: ACV membership (national) and QPV count (Occitanie only)."""
    t = get_territory(territory)
    acv = tt.read_records("acv", t, log)
    qpv = tt.read_records("qpv", t, log)
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


def stations_table(
    territory: TerritoryLike | None = None, log: tt.BuildLog | None = None
) -> pd.DataFrame:
    """Return passenger stations (uic, name, lon, lat, insee_code)."""
    rec = tt.read_records("gares_sncf", get_territory(territory), log)
    rec = rec[rec["passengers"]]
    return (
        rec[["uic", "name", "lon", "lat", "insee_code"]].sort_values("uic").reset_index(drop=True)
    )


def ftth_table(
    territory: TerritoryLike | None = None, log: tt.BuildLog | None = None
) -> pd.DataFrame:
    """Return communes with FttH premises at T1 2018 (insee_code, ftth_share, ftth_premises, quarter)."""
    rec = tt.read_records("arcep_ftth", get_territory(territory), log)
    rec = rec[rec["ftth_premises"] > 0].copy()
    rec["ftth_premises"] = rec["ftth_premises"].astype(int)
    cols = ["insee_code", "ftth_share", "ftth_premises", "quarter"]
    return rec[cols].sort_values("insee_code").reset_index(drop=True)


#: Every table with the function building it and its sources. The history comes
#: first: the tables after it resolve old codes through the history just built.
TABLES = {
    "commune_history.csv": (
        tt.commune_history_table,
        ("commune_fusions", "commune_scissions", "ban_communes_precedentes"),
    ),
    "tiers_lieux.csv": (tiers_lieux_table, PUBLISHABLE_TIERS_LIEUX),
    "programmes_communes.csv": (programmes_table, ("acv", "qpv")),
    "stations.csv": (stations_table, ("gares_sncf",)),
    "ftth_communes.csv": (ftth_table, ("arcep_ftth",)),
    "pvd_communes.csv": (tt.pvd_table, ("pvd_2021", "anct_programmes")),
    "frr_communes.csv": (tt.frr_table, ("frr_2025",)),
    "density_communes.csv": (tt.density_table, ("grille_densite",)),
    "france_services.csv": (tt.france_services_table, ("france_services",)),
}


def _provenance(rows: dict[str, int], inputs: dict[str, str], counts: list[tt.SourceCounts]) -> str:
    lines = [
        "# Provenance of the reference tables",
        "",
        "Derived by project code (`matcher reference build`, modules",
        "`matcher/ingestion/reference_tables.py` and `matcher/ingestion/territory_tables.py`)",
        "from the raw open-data files of `../shared/data/raw/`, each read through its source",
        "adapter (same validation as a user import). Only the columns the engine needs are",
        "kept; no personal data.",
        "",
        "| table | rows | sources |",
        "|---|---|---|",
    ]
    for table, (_fn, sources) in TABLES.items():
        if table in rows:
            lines.append(f"| `{table}` | {rows[table]} | {', '.join(sources)} |")
    lines += [
        "",
        "| source | raw folder | origin | data date | licence | input sha256 (16) |",
        "|---|---|---|---|---|---|",
    ]
    for name, note in SOURCES.items():
        if name in inputs:
            lines.append(
                f"| {name} | `{note.folder}` | {note.origin} | {note.data_date} | {note.licence} | {inputs[name]} |"
            )
    if counts:
        lines += [
            "",
            "## Codes of the territorial sources",
            "",
            "Old codes resolve through `commune_history.csv`; each replaced code is a warning",
            "line of the source's import report. Rows that could not be used are listed.",
            "",
            "| source | rows read | rows kept | codes replaced | splits | rows rejected | why | values rejected |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in counts:
            values = ", ".join(c.rejected_values[:12]) + (
                " ..." if len(c.rejected_values) > 12 else ""
            )
            lines.append(
                f"| {c.source} | {c.rows_read} | {c.rows_kept} | {c.codes_replaced} | {c.splits} "
                f"| {c.rejected} | {'; '.join(c.reasons)} | {values} |"
            )
    lines += [
        "",
        "Notes:",
        "- `programmes_communes.csv`: ACV is the national list; **QPV only covers Occitanie**",
        "  (`qpv_known = 1` for communes of région 76). Elsewhere QPV presence is unknown;",
        "  no national list of quartiers prioritaires is in the raw data.",
        "- `ftth_communes.csv`: ARCEP T1 2018; communes with no FttH premises are omitted",
        "  (0 %). Coverage has grown a lot since 2018.",
        "- `tiers_lieux.csv`: national fablab list 2020 + Brittany #MapLabBZH; a Brittany",
        "  place within 100 m of a fablab of the national list is dropped as a duplicate.",
        "  The Tiers-Lieux Occitanie 2017 directory has no data licence and is not published here.",
        "- `stations.csv`: passenger stations only (VOYAGEURS = O), one row per UIC code.",
        "- `commune_history.csv`: one row per old code and current commune (several rows: a",
        "  split); `event` merger, split, code_change, departement_change, arrondissement,",
        "  delegated, associated; `steps` the chain of changes; `source` the list(s) used.",
        "- `pvd_communes.csv`: communes in either PVD list (1 = in the list, 0 = not, empty =",
        "  the list says nothing certain); a commune absent from the table is in neither.",
        "  The 2021 file's placeholder row `999999` (Trifouilly-les-Oies) is rejected.",
        "- `frr_communes.csv`: classified communes only (a commune absent is « Non classée »);",
        "  `absent` marks a current commune the list does not name (unknown).",
        "- `density_communes.csv`: the 7-level class; the 3 levels follow (1; 2-4; 5-7).",
        "- `france_services.csv`: one row per site, placed by its point; codes of municipal",
        "  arrondissements resolve to Paris, Lyon and Marseille.",
        "",
    ]
    return "\n".join(lines)


def build_reference_tables(
    out_dir: str | Path | None = None,
    territory: TerritoryLike | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, Path]:
    """Write the reference tables (all, or ``only`` those) and PROVENANCE.md; return the paths.

    The commune history is built first (when asked) and the other tables
    resolve their codes through it; otherwise through the committed one.
    """
    out = Path(out_dir) if out_dir is not None else settings.REFERENCE_DIR
    out.mkdir(parents=True, exist_ok=True)
    t = get_territory(territory)
    written: dict[str, Path] = {}
    rows: dict[str, int] = {}
    log = tt.BuildLog()
    for name, (fn, _sources) in TABLES.items():
        if only is not None and name not in only:
            continue
        frame = fn(t, log)
        if name == "commune_history.csv" and t is not None:
            t = t.with_history(frame)
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n")
        written[name] = path
        rows[name] = len(frame)
    used = {src for name in rows for src in TABLES[name][1]}
    inputs = {}
    for name in SOURCES:
        if name not in used:
            continue
        path = (
            raw_data_dir() / SOURCES[name].folder / SOURCE_FILES[name]
            if name in SOURCE_FILES
            else ADAPTERS[name].default_path()
        )
        inputs[name] = _sha256(path)
    prov = out / "PROVENANCE.md"
    prov.write_text(_provenance(rows, inputs, log.counts()), encoding="utf-8")
    written["PROVENANCE.md"] = prov
    return written


def load_reference_table(name: str) -> pd.DataFrame:
    """Return a committed reference table with INSEE/UIC codes kept as text."""
    path = settings.REFERENCE_DIR / name
    text = {
        c: str
        for c in ("insee_code", "uic", "acv_id", "qpv_codes", "old_code", "current_code", "id")
    }
    return pd.read_csv(path, dtype=text)
