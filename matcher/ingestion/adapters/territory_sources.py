"""National territorial sources: PVD, ANCT programmes, France Services, FRR, commune history.

Each is read like a user file (same readers, same report: every rejected or
doubtful row named with its line, column and value) and its INSEE codes go
through the commune history (:func:`~matcher.ingestion.adapters.reference.codes_with_details`):
a code replaced by a current one is a warning naming both, never silent.

The density grid (an XLSX workbook with title rows) has its own module,
:mod:`matcher.ingestion.adapters.density`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.errors import ImportFileError
from matcher.ingestion.adapters.base import Adapter, pick, raw_data_dir, require_columns
from matcher.ingestion.adapters.reference import codes_with_details
from matcher.ingestion.fields import Candidates
from matcher.ingestion.locate import ResolvedCodes, TerritoryLike, place_rows
from matcher.ingestion.parsing import normalize_insee_codes, normalize_text
from matcher.ingestion.readers import RawTable
from matcher.ingestion.report import ValidationReport


def _split_parts(res: ResolvedCodes) -> list[str]:
    """Return, per row, the other parts of a split commune kept under its continuing code."""
    out = [""] * len(res.codes)
    for i, parts in res.candidates.items():
        if res.codes[i]:
            out[i] = "|".join(p for p in parts if p != res.codes[i])
    return out


def _source_codes(c: Candidates, name: str = "insee_code") -> pd.Series:
    codes, _ = normalize_insee_codes(c.text(name))
    return codes


# --- commune history: INSEE lists of mergers and splits ------------------------------------

HISTORY_COLUMNS = ("year", "old_code", "new_code", "old_name", "new_name", "source_list")


def history_transform(table: RawTable, report: ValidationReport):
    """Return candidate events (year, old and new codes with names)."""
    cols = {
        "year": "ANNEE_MODIF",
        "old_code": "COM_INI",
        "new_code": "COM_FIN",
        "old_name": "LIB_COM_INI",
        "new_name": "LIB_COM_FIN",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols), cols


def _history_finish(source_list: str):
    def finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
        """Return the events; old codes are history, so they are only normalised, never resolved."""
        out = pd.DataFrame({"line": c.lines})
        year = pd.to_numeric(c.text("year"), errors="coerce")
        for i in np.flatnonzero((year.isna() | ~year.between(1943, 2100)).to_numpy()):
            c.reject(i, "year", c.text("year").iloc[i], "Année de modification illisible.")
        out["year"] = year.fillna(0).astype(int).to_numpy()
        for col in ("old_code", "new_code"):
            # leading zeros were lost upstream (8053 for 08053): restored by the normaliser
            codes, bad = normalize_insee_codes(c.text(col))
            for i in np.flatnonzero(bad.to_numpy()):
                c.reject(i, col, c.text(col).iloc[i], "Code INSEE mal formé.")
            out[col] = codes.to_numpy()
        out["old_name"] = c.text("old_name").to_numpy()
        out["new_name"] = c.text("new_name").to_numpy()
        out["source_list"] = source_list
        return out[c.keep()][[*HISTORY_COLUMNS, "line"]].reset_index(drop=True)

    return finish


HISTORY_FUSIONS = Adapter(
    "commune_fusions",
    "history",
    "commune_history",
    "fusions.csv",
    "INSEE, communes fusionnées 2007-2024",
    "Licence Ouverte 2.0 (INSEE)",
    history_transform,
    _history_finish("fusions"),
    HISTORY_COLUMNS,
)
HISTORY_SCISSIONS = Adapter(
    "commune_scissions",
    "history",
    "commune_history",
    "scissions.csv",
    "INSEE, communes scindées 2004-2024",
    "Licence Ouverte 2.0 (INSEE)",
    history_transform,
    _history_finish("scissions"),
    HISTORY_COLUMNS,
)

BAN_FILENAME = "communes-precedentes-by-chef-lieu.json"


def read_ban_former_communes(
    path: str | Path | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Return ``(old_code, old_name, new_code, new_name, line)`` pairs and the report.

    The file is a JSON list of current communes, each with its former
    communes (``anciennesCommunes``); ``line`` is the entry's rank. A file that
    is not such a list is refused with a French error; a bad entry is reported
    and skipped.
    """
    path = Path(path) if path is not None else raw_data_dir() / "commune_history" / BAN_FILENAME
    report = ValidationReport(source="ban_communes_precedentes", filename=path.name)
    report.line_label = "entrée"
    columns = ["old_code", "old_name", "new_code", "new_name", "line"]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ImportFileError(f"Fichier introuvable : « {path} ».", path=str(path)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(
            f"« {path.name} » n'est pas un JSON UTF-8 lisible ({exc}).", path=str(path)
        ) from exc
    if not isinstance(data, list):
        raise ImportFileError(
            f"« {path.name} » : liste de communes attendue (tableau JSON), "
            f"trouvé {type(data).__name__}.",
            path=str(path),
        )
    rows: list[tuple[str, str, str, str, int]] = []
    report.rows_read = len(data)
    for n, entry in enumerate(data, start=1):
        formers = entry.get("anciennesCommunes") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(formers, list):
            report.error(n, "anciennesCommunes", str(entry)[:80], "Entrée sans liste de communes.")
            continue
        new, _ = normalize_insee_codes(pd.Series([str(entry.get("code", ""))]))
        if not new.iloc[0]:
            report.error(n, "code", entry.get("code"), "Code INSEE de la commune mal formé.")
            continue
        for former in formers:
            code = str(former.get("code", "")) if isinstance(former, dict) else ""
            old, _ = normalize_insee_codes(pd.Series([code]))
            if not old.iloc[0]:
                report.error(n, "anciennesCommunes.code", code, "Code INSEE mal formé.")
                continue
            rows.append(
                (old.iloc[0], str(former.get("nom", "")), new.iloc[0], str(entry.get("nom", "")), n)
            )
    return pd.DataFrame(rows, columns=columns), report


# --- Petites Villes de Demain, first list (January 2021) ------------------------------------

PVD_COLUMNS = ("insee_code", "source_code", "pvd_id", "name", "split_parts")


def pvd2021_transform(table: RawTable, report: ValidationReport):
    """Return candidate PVD communes (``NA`` means empty; the id is missing on many rows)."""
    cols = {
        "pvd_id": "id_pvd",
        "insee_code": "insee_com",
        "name": "lib_com",
        "departement": "insee_dep",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols, na=("NA",)), cols


def pvd2021_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per line of the list, with its current commune."""
    source = _source_codes(c)
    dep = c.text("departement").str.upper()
    dep2 = dep.str.zfill(2)
    clash = [
        bool(code) and bool(d) and not code.startswith(d)
        for code, d in zip(source, dep2, strict=True)
    ]
    for i in np.flatnonzero(clash):
        c.warn(
            i,
            "departement",
            dep.iloc[i],
            f"Département incohérent avec le code INSEE {source.iloc[i]} : le code est retenu.",
        )
    codes, res = codes_with_details(c, t)
    out = pd.DataFrame(
        {
            "insee_code": codes,
            "source_code": source,
            "pvd_id": c.text("pvd_id"),
            "name": c.text("name"),
            "split_parts": _split_parts(res),
            "line": c.lines,
        }
    )
    return out[c.keep()].reset_index(drop=True)


PVD_2021 = Adapter(
    "pvd_2021",
    "programme",
    "petites_villes_de_demain",
    "pvd_communes_2021.csv",
    "ANCT, Petites Villes de Demain : liste des communes (janvier 2021)",
    "Licence Ouverte 2.0 (Etalab)",
    pvd2021_transform,
    pvd2021_finish,
    PVD_COLUMNS,
)

# --- ANCT programmes per commune (COG 2023) -------------------------------------------------

ANCT_COLUMNS = (
    "insee_code",
    "source_code",
    "pvd",
    "pvd_id",
    "acv",
    "france_services",
    "villages_avenir",
    "split_parts",
)


def anct_transform(table: RawTable, report: ValidationReport):
    """Return one candidate per commune with the documented programme ids."""
    cols = {
        "insee_code": "insee_com",
        "name": "lib_com",
        "pvd_id": "id_pvd",
        "acv_id": "id_acv",
        "fs_id": "id_fs",
        "va_id": "id_va",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols, na=("NA",)), cols


def anct_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per commune of the table: programme flags and the current commune."""
    source = _source_codes(c)
    codes, res = codes_with_details(c, t)
    out = pd.DataFrame(
        {
            "insee_code": codes,
            "source_code": source,
            "pvd": c.text("pvd_id") != "",
            "pvd_id": c.text("pvd_id"),
            "acv": c.text("acv_id") != "",
            "france_services": c.text("fs_id") != "",
            "villages_avenir": c.text("va_id") != "",
            "split_parts": _split_parts(res),
            "line": c.lines,
        }
    )
    return out[c.keep()].reset_index(drop=True)


ANCT_PROGRAMMES = Adapter(
    "anct_programmes",
    "programme",
    "anct_programmes_communes",
    "ngeo-anct-cog2023.csv",
    "ANCT, programmes par commune (COG 2023 : PVD, ACV, France Services...)",
    "données ANCT, licence non précisée (dépôt MIT)",
    anct_transform,
    anct_finish,
    ANCT_COLUMNS,
)

# --- France Services sites (1 August 2024) --------------------------------------------------

FRANCE_SERVICES_COLUMNS = (
    "id",
    "name",
    "insee_code",
    "lon",
    "lat",
    "format",
    "site_type",
    "source_code",
)


def france_services_transform(table: RawTable, report: ValidationReport):
    """Return candidate sites (point, commune code, format: fixed, bus...)."""
    cols = {
        "id": "id_fs",
        "name": "lib_fs",
        "insee_code": "insee_com",
        "lat": "latitude",
        "lon": "longitude",
        "format": "format_fs",
        "site_type": "type_fs",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols), cols


def france_services_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per site placed by its point (its commune code cross-checked)."""
    where = place_rows(c.frame[["lon", "lat", "insee_code"]], c.report, c.lines, c.mapping, t)
    c.bad |= ~where["ok"].to_numpy()
    ids = c.text("id")
    for i in np.flatnonzero((ids == "").to_numpy()):
        c.reject(i, "id", "", "Identifiant du site manquant.")
    for i in np.flatnonzero((ids.duplicated() & (ids != "")).to_numpy()):
        c.reject(i, "id", ids.iloc[i], "Identifiant de site en double.")
    out = pd.DataFrame(
        {
            "id": ids,
            "name": c.text("name"),
            "insee_code": where["insee_code"].to_numpy(),
            "lon": where["lon"].round(6).to_numpy(),
            "lat": where["lat"].round(6).to_numpy(),
            "format": c.text("format"),
            "site_type": c.text("site_type"),
            "source_code": _source_codes(c),
            "line": c.lines,
        }
    )
    return out[c.keep()].reset_index(drop=True)


FRANCE_SERVICES = Adapter(
    "france_services",
    "services",
    "france_services",
    "liste-fs-20240801.csv",
    "ANCT, sites France Services (1er août 2024)",
    "Licence Ouverte 2.0 (Etalab)",
    france_services_transform,
    france_services_finish,
    FRANCE_SERVICES_COLUMNS,
)

# --- France Ruralités Revitalisation (July 2025) --------------------------------------------

FRR_COLUMNS = ("insee_code", "frr_class", "label")

#: The list's labels (normalised) -> class codes of ``matcher.territory.zoning.FRR_CLASSES``.
FRR_LABELS: dict[str, str] = {
    "non classee": "non_classee",
    "frr socle": "socle",
    "frr": "socle",
    "frr plus": "plus",
    "frr beneficiaire": "beneficiaire",
    "classee frr partiellement": "partiel",
    "frr beneficiaire partiellement": "beneficiaire_partiel",
}


def frr_transform(table: RawTable, report: ValidationReport):
    """Return candidate classifications (the class column is found by its name's start)."""
    cls = next((c for c in table.frame.columns if str(c).lower().startswith("classement")), None)
    if not require_columns(table, report, ["Code_insee", cls or "Classement FRR"]):
        return pd.DataFrame(), {}
    cols = {"insee_code": "Code_insee", "label": cls, "name": "Commune"}
    cols = {k: v for k, v in cols.items() if v in table.frame.columns}
    return pick(table, cols), cols


def frr_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per commune of the list with its class; an unknown label is an error."""
    codes, _ = codes_with_details(c, t)
    label = c.text("label")
    keys = label.map(lambda v: normalize_text(v.replace("+", " plus")).replace("_", " "))
    classes = keys.map(FRR_LABELS)
    allowed = "« Non classée », « FRR socle », « FRR+ », « FRR bénéficiaire », « Classée FRR partiellement »"
    for i in np.flatnonzero(classes.isna().to_numpy()):
        c.reject(i, "label", label.iloc[i], f"Classement FRR non reconnu ; attendu : {allowed}.")
    out = pd.DataFrame({"insee_code": codes, "frr_class": classes, "label": label, "line": c.lines})
    return out[c.keep()].reset_index(drop=True)


FRR_2025 = Adapter(
    "frr_2025",
    "zoning",
    "france_ruralites_revitalisation",
    "liste-communes-FRR-juillet2025.csv",
    "France Ruralités Revitalisation : classement des communes au 10 juillet 2025",
    "zonage officiel publié par l'État (dépôt MIT)",
    frr_transform,
    frr_finish,
    FRR_COLUMNS,
)
