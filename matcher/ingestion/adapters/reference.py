"""Reference datasets: stations, fibre per commune, programmes (ACV, QPV), housing vacancy, DVF.

Their records are not premises: they feed the reference tables the engine
reads (``matcher/reference/``). Each is still validated row by row with the
same report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.validation import explain_validity, make_valid

from matcher.ingestion.adapters.base import Adapter, pick, require_columns
from matcher.ingestion.fields import Candidates, number_column
from matcher.ingestion.locate import (
    SPLIT_REASON,
    ResolvedCodes,
    TerritoryLike,
    place_rows,
    report_moved_codes,
    resolve_code_details,
    unknown_reason,
    vintage_of,
)
from matcher.ingestion.parsing import parse_numbers
from matcher.ingestion.readers import RawTable
from matcher.ingestion.report import ValidationReport


def _codes(c: Candidates, t: TerritoryLike | None, name: str = "insee_code") -> pd.Series:
    """Return current INSEE codes (commune history applied); every change reported."""
    return codes_with_details(c, t, name)[0]


def codes_with_details(
    c: Candidates, t: TerritoryLike | None, name: str = "insee_code"
) -> tuple[pd.Series, ResolvedCodes]:
    """Return current INSEE codes and their resolution details; every change reported.

    A code replaced by a current one is a warning naming both codes; a former
    commune now shared between several communes, with no point to decide, is
    rejected with the candidates; the continuing part of a split keeps its
    code with a warning; malformed and unknown codes are rejected.
    """
    text = c.text(name)
    res = resolve_code_details(text, t, vintage_of(c.report))
    for i in np.flatnonzero(res.malformed):
        c.reject(i, name, text.iloc[i], "Code INSEE mal formé (attendu 5 caractères, ex. 01001).")
    for i in np.flatnonzero(res.unknown):
        c.reject(i, name, text.iloc[i], unknown_reason(res, i))
    for i in np.flatnonzero(res.ambiguous):
        if res.codes[i]:
            c.warn(
                i,
                name,
                text.iloc[i],
                f"{SPLIT_REASON} : {res.sentences[i]} Valeur rattachée à {res.codes[i]}, "
                "qui garde le code ; les autres parties restent inconnues.",
            )
        else:
            c.reject(
                i,
                name,
                text.iloc[i],
                f"{SPLIT_REASON} : {res.sentences[i]} Impossible de choisir sans coordonnées.",
            )
    report_moved_codes(res, c.report, c.lines, c.label(name))
    return pd.Series(res.codes, index=text.index, dtype=object), res


# --- SNCF stations --------------------------------------------------------------

STATION_COLUMNS = ("uic", "name", "passengers", "lon", "lat", "insee_code")


def gares_transform(table: RawTable, report: ValidationReport):
    """Return candidate stations (Lambert-93 preferred, WGS84 columns cross-checked)."""
    cols = {
        "uic": "CODE_UIC",
        "name": "LIBELLE",
        "passengers": "VOYAGEURS",
        "x": "X_L93",
        "y": "Y_L93",
    }
    if not require_columns(table, report, [*cols.values(), "X_WGS84", "Y_WGS84"]):
        return pd.DataFrame(), cols
    frame = pick(table, cols)
    frame["line_code"] = table.frame.get("CODE_LIGNE", "")
    frame["pk"] = table.frame.get("PK", "")
    frame["lon_wgs84"] = table.frame["X_WGS84"]
    frame["lat_wgs84"] = table.frame["Y_WGS84"]
    return frame, cols


def gares_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per station (first line of a UIC code kept; later lines are other lines)."""
    where = place_rows(c.frame[["x", "y"]], c.report, c.lines, c.mapping, t)
    c.bad |= ~where["ok"].to_numpy()
    lon_w, _, _ = parse_numbers(c.text("lon_wgs84"))
    lat_w, _, _ = parse_numbers(c.text("lat_wgs84"))
    gap_deg = np.hypot(where["lon"] - lon_w, where["lat"] - lat_w)
    for i in np.flatnonzero((gap_deg > 0.001).to_numpy()):  # ~100 m
        c.warn(
            i,
            "X_WGS84",
            f"{lon_w.iloc[i]}, {lat_w.iloc[i]}",
            "Coordonnées WGS84 et Lambert-93 discordantes : Lambert-93 retenu.",
        )
    out = pd.DataFrame(
        {
            "uic": c.text("uic"),
            "name": c.text("name"),
            "passengers": c.text("passengers").str.upper().eq("O"),
            "lon": where["lon"].round(6),
            "lat": where["lat"].round(6),
            "insee_code": where["insee_code"],
            "line": c.lines,
        }
    )
    for i in np.flatnonzero(~out["uic"].str.fullmatch(r"\d{8}").to_numpy()):
        c.reject(i, "uic", out["uic"].iloc[i], "Code UIC invalide (8 chiffres attendus).")
    # one export lost the leading zero of line codes ("97000" vs "097000"): sort numerically
    out["line_code"] = pd.to_numeric(c.text("line_code"), errors="coerce").to_numpy()
    out["pk"] = c.text("pk").to_numpy()
    out = out[c.keep()]
    # a station served by several lines appears once per line: keep one whatever the
    # file's row order (passengers first, then the lowest line code and kilometre point)
    out = out.sort_values(
        ["uic", "passengers", "line_code", "pk"], ascending=[True, False, True, True], kind="stable"
    )
    out = out.drop(columns=["line_code", "pk"])
    return out.drop_duplicates("uic").sort_values("line").reset_index(drop=True)


# --- ARCEP FttH -------------------------------------------------------------------

FTTH_COLUMNS = (
    "insee_code",
    "ftth_premises",
    "premises_total",
    "ftth_share",
    "arcep_category",
    "quarter",
)
_QUARTER = "T1 2018"


def arcep_transform(table: RawTable, report: ValidationReport):
    """Return one candidate per commune: FttH premises (pivoted) and total premises."""
    need = ["Code commune", "Champ", _QUARTER]
    if not require_columns(table, report, need):
        return pd.DataFrame(), {}
    f = table.frame
    champ = f["Champ"].str.strip()
    bad_champ = ~champ.isin(["Locaux Raccordables", "Catégorie"])
    for i in np.flatnonzero(bad_champ.to_numpy()):
        report.error(int(table.lines[i]), "Champ", champ.iloc[i], "Valeur de « Champ » inattendue.")
    frame = pd.DataFrame(
        {"insee_code": f["Code commune"].str.strip(), "champ": champ, "value": f[_QUARTER]}
    )
    communes = table.path.with_name("communes.csv")
    if communes.exists():
        from matcher.ingestion.readers import read_table

        ref = read_table(communes).frame
        dash = lambda s: s.str.strip().replace("-", "0")  # noqa: E731 - Excel accounting zero
        totals = pd.DataFrame(
            {
                "insee_code": ref["Code commune"].str.strip(),
                "dwellings": dash(ref["Logements"]),
                "establishments": dash(ref["Établissements"]),
            }
        )
        frame = frame.merge(totals, on="insee_code", how="left")
    return frame.fillna(""), {"insee_code": "Code commune", "value": _QUARTER}


def arcep_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return FttH coverage per current commune (merged communes summed)."""
    value = number_column(c, "value", what="nombre de locaux")
    dwellings = number_column(c, "dwellings", what="logements") if "dwellings" in c.frame else None
    estab = (
        number_column(c, "establishments", what="établissements")
        if "establishments" in c.frame
        else None
    )
    codes = _codes(c, t)
    keep = c.keep()
    champ = c.text("champ")
    df = pd.DataFrame({"insee_code": codes, "champ": champ, "value": value, "line": c.lines})
    if dwellings is not None:
        df["premises_total"] = dwellings.fillna(0) + estab.fillna(0)
    else:
        df["premises_total"] = np.nan
    df = df[keep]
    ftth = (
        df[df.champ == "Locaux Raccordables"]
        .groupby("insee_code")
        .agg(
            ftth_premises=("value", "sum"),
            premises_total=("premises_total", "sum"),
            line=("line", "min"),
        )
    )
    cat = df[df.champ == "Catégorie"].groupby("insee_code")["value"].max().rename("arcep_category")
    out = ftth.join(cat, how="left").reset_index()
    share = out["ftth_premises"] / out["premises_total"].where(out["premises_total"] > 0)
    out["ftth_share"] = share.clip(upper=1.0).round(3)
    out["quarter"] = "2018-T1"
    return out[[*FTTH_COLUMNS, "line"]]


# --- Action Cœur de Ville --------------------------------------------------------

PROGRAMME_COLUMNS = ("insee_code", "programme", "programme_id", "name")


def acv_transform(table: RawTable, report: ValidationReport):
    """Return candidate ACV communes (codes written as JSON integers or strings)."""
    cols = {"insee_code": "insee_com", "programme_id": "id_acv", "name": "lib_com"}
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols), cols


def acv_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per ACV commune."""
    codes = _codes(c, t)
    out = pd.DataFrame(
        {
            "insee_code": codes,
            "programme": "acv",
            "programme_id": c.text("programme_id"),
            "name": c.text("name"),
            "line": c.lines,
        }
    )
    return out[c.keep()].drop_duplicates("insee_code").reset_index(drop=True)


# --- QPV (Occitanie only) ------------------------------------------------------------

QPV_COLUMNS = ("qpv_code", "name", "insee_code", "lon", "lat", "geometry_repaired")


def qpv_transform(table: RawTable, report: ValidationReport):
    """Return candidate QPV (polygons checked; 4-decimal rounding may break rings)."""
    cols = {"qpv_code": "code_qp", "name": "nom_qp", "insee_code": "code_commune"}
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols), cols


def qpv_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per QPV with a point inside its (repaired if needed) polygon."""
    codes = _codes(c, t)
    lon = np.full(len(codes), np.nan)
    lat = np.full(len(codes), np.nan)
    repaired = np.zeros(len(codes), dtype=bool)
    for i, g in enumerate(c.geometries or []):
        if g is None or g.is_empty:
            c.reject(i, "geometry", "", "Contour du quartier absent.")
            continue
        if not g.is_valid:
            c.warn(
                i,
                "geometry",
                c.text("qpv_code").iloc[i],
                f"Contour invalide ({explain_validity(g)}) : réparé.",
            )
            g = make_valid(g)
            repaired[i] = True
        p = g.representative_point()
        lon[i], lat[i] = round(p.x, 6), round(p.y, 6)
    out = pd.DataFrame(
        {
            "qpv_code": c.text("qpv_code"),
            "name": c.text("name"),
            "insee_code": codes,
            "lon": lon,
            "lat": lat,
            "geometry_repaired": repaired,
            "line": c.lines,
        }
    )
    return out[c.keep()].reset_index(drop=True)


# --- LOVAC housing vacancy -------------------------------------------------------------

VACANCY_COLUMNS = ("insee_code", "private_dwellings", "vacant_2y_share_pct")


def lovac_transform(table: RawTable, report: ValidationReport):
    """Return candidate vacancy rates (decimal comma, space thousands, 4-digit codes)."""
    cols = {
        "insee_code": "comm_insee",
        "private_dwellings": "Nb_log_pp_2022",
        "vacant_2y_share_pct": "Prop_logvac_pp_2A_010121",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols), cols


def lovac_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return the long-term private housing vacancy rate per commune (empty = secret)."""
    codes = _codes(c, t)
    dwellings = number_column(c, "private_dwellings", what="nombre de logements", integer=True)
    rate = number_column(c, "vacant_2y_share_pct", what="taux de vacance")
    for i in np.flatnonzero((rate > 100).to_numpy()):
        c.reject(i, "vacant_2y_share_pct", rate.iloc[i], "Taux de vacance supérieur à 100 %.")
    out = pd.DataFrame(
        {
            "insee_code": codes,
            "private_dwellings": dwellings,
            "vacant_2y_share_pct": rate,
            "line": c.lines,
        }
    )
    return out[c.keep()].reset_index(drop=True)


# --- DVF commercial premises sold in QPV --------------------------------------------------

TRANSACTION_COLUMNS = (
    "mutation_id",
    "insee_code",
    "qpv_code",
    "date",
    "price_eur",
    "floor_area_m2",
    "price_eur_m2",
    "lon",
    "lat",
)
_COMMERCIAL = "Local industriel. commercial ou assimilé"


def dvf_transform(table: RawTable, report: ValidationReport):
    """Return DVF rows of commercial premises (other property types are not our supply)."""
    cols = {
        "mutation_id": "id_mutation",
        "insee_code": "code_commune",
        "qpv_code": "code_qp",
        "date": "date_mutation",
        "price_eur": "valeur_fonciere",
        "floor_area_m2": "surface_reelle_bati",
        "lon": "longitude",
        "lat": "latitude",
        "type_local": "type_local",
    }
    if not require_columns(table, report, list(cols.values())):
        return pd.DataFrame(), cols
    return pick(table, cols), cols


def dvf_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per sale of commercial premises: price once, surfaces summed, €/m²."""
    from matcher.ingestion.fields import date_column

    commercial = (c.text("type_local") == _COMMERCIAL).to_numpy()
    codes = _codes(c, t)
    price = number_column(c, "price_eur", what="valeur foncière")
    area = number_column(c, "floor_area_m2", what="surface")
    lon = number_column(c, "lon", minimum=-180, what="longitude")
    lat = number_column(c, "lat", minimum=-90, what="latitude")
    date = date_column(c, "date")
    df = pd.DataFrame(
        {
            "mutation_id": c.text("mutation_id"),
            "insee_code": codes,
            "qpv_code": c.text("qpv_code"),
            "date": date,
            "price_eur": price,
            "floor_area_m2": area,
            "lon": lon,
            "lat": lat,
            "line": c.lines,
        }
    )[c.keep() & commercial]
    # a multi-local sale repeats its price on every row: take it once, sum the surfaces
    out = (
        df.groupby("mutation_id", sort=False)
        .agg(
            insee_code=("insee_code", "first"),
            qpv_code=("qpv_code", "first"),
            date=("date", "first"),
            price_eur=("price_eur", "first"),
            floor_area_m2=("floor_area_m2", "sum"),
            lon=("lon", "first"),
            lat=("lat", "first"),
            line=("line", "min"),
        )
        .reset_index()
    )
    out["price_eur_m2"] = (
        out["price_eur"] / out["floor_area_m2"].where(out["floor_area_m2"] > 0)
    ).round(1)
    return out[[*TRANSACTION_COLUMNS, "line"]]


GARES = Adapter(
    "gares_sncf",
    "stations",
    "gares_sncf",
    "liste-des-gares_2024.csv",
    "SNCF Réseau, liste des gares",
    "ODbL (présumée, SNCF Réseau open data)",
    gares_transform,
    gares_finish,
    STATION_COLUMNS,
)
ARCEP = Adapter(
    "arcep_ftth",
    "connectivity",
    "arcep_ftth_communes_2018",
    "ftthCommunes.csv",
    "ARCEP, observatoire du déploiement FttH par commune (T1 2018)",
    "Licence Ouverte",
    arcep_transform,
    arcep_finish,
    FTTH_COLUMNS,
)
ACV = Adapter(
    "acv",
    "programme",
    "action_coeur_de_ville",
    "coeurdeville.js",
    "ANCT, communes Action Cœur de Ville (avril 2025)",
    "Licence Ouverte 2.0 (présumée, ANCT)",
    acv_transform,
    acv_finish,
    PROGRAMME_COLUMNS,
)
QPV = Adapter(
    "qpv",
    "qpv",
    "qpv_occitanie",
    "qp.geojson",
    "ANCT/INSEE, quartiers prioritaires d'Occitanie (géographie 2015)",
    "Licence Ouverte 2.0 (présumée)",
    qpv_transform,
    qpv_finish,
    QPV_COLUMNS,
)
LOVAC = Adapter(
    "lovac",
    "vacancy",
    "lovac_taux_vacance_communes",
    "tauxvacance_communes_2021.csv",
    "Cerema, LOVAC : vacance longue du parc privé par commune (2021)",
    "Licence Ouverte 2.0 (présumée)",
    lovac_transform,
    lovac_finish,
    VACANCY_COLUMNS,
)
DVF_QPV = Adapter(
    "dvf_qpv",
    "transactions",
    "dvf_qpv_occitanie",
    "foncier_qp.xlsx",
    "DGFiP DVF, ventes 2016-2020 dans les QPV d'Occitanie",
    "Licence Ouverte 2.0 (présumée)",
    dvf_transform,
    dvf_finish,
    TRANSACTION_COLUMNS,
)
