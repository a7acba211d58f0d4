"""Place every row on the map: WGS84 or Lambert-93 coordinates, or the commune's town hall.

Coordinates are recognised by their range (degrees vs Lambert-93 metres)
and confirmed by the commune polygon; a row with only a commune code, or a
commune name with its postcode, is placed at the town hall with precision
``"commune"``. Points at sea, abroad, with swapped latitude/longitude, or
with a non-finite value are rejected with a French reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity

from matcher import geo
from matcher.ingestion.commune_codes import (
    MOVED_REASON,
    MOVED_REASONS,
    OVERSEAS_COLLECTIVITY_PREFIXES,
    SOURCE_VINTAGES,
    SPLIT_REASON,
    ResolvedCodes,
    TerritoryLike,
    moved_reason,
    report_moved_codes,
    resolve_code_details,
    resolve_codes,
    unknown_reason,
    vintage_of,
)
from matcher.ingestion.parsing import parse_numbers, parse_point_text
from matcher.ingestion.report import ValidationReport

#: Re-exported: importers reach the code resolution through this module.
__all__ = [
    "MOVED_REASON",
    "MOVED_REASONS",
    "OVERSEAS_COLLECTIVITY_PREFIXES",
    "SOURCE_VINTAGES",
    "SPLIT_REASON",
    "ResolvedCodes",
    "TerritoryLike",
    "check_geometries",
    "get_territory",
    "moved_reason",
    "place_rows",
    "read_coordinates",
    "report_moved_codes",
    "resolve_code_details",
    "resolve_codes",
    "unknown_reason",
    "vintage_of",
]

#: Lambert-93 extent of mainland France and Corsica (metres, with a margin).
L93_X = (50_000.0, 1_300_000.0)
L93_Y = (6_000_000.0, 7_200_000.0)
#: A point outside every commune but this close to its declared commune is kept (coastline).
COAST_TOLERANCE_M = 1_000.0
#: Same, for a point declared in a former commune merged into another one: the
#: reference's outline of the new commune sometimes lacks the former territory.
MERGED_TOLERANCE_M = 5_000.0


def get_territory(territory: TerritoryLike | None = None) -> TerritoryLike | None:
    """Return ``territory`` or the shared reference (None if the package cannot build it)."""
    if territory is not None:
        return territory
    try:
        from matcher.territory import load_territory
    except ImportError:  # pragma: no cover - territory package absent in a partial build
        return None
    return load_territory()


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].fillna("").astype(str)
    return pd.Series("", index=frame.index, dtype=object)


def _numbers(frame, name, report, lines, label) -> pd.Series:
    text = _col(frame, name)
    values, bad, non_finite = parse_numbers(text)
    for i in np.flatnonzero(bad.to_numpy()):
        report.error(lines[i], label, text.iloc[i], "Coordonnée illisible : nombre attendu.")
    for i in np.flatnonzero(non_finite.to_numpy()):
        report.error(
            lines[i], label, text.iloc[i], "Coordonnée non finie (NaN, infini ou dépassement)."
        )
    return values


def _in_l93(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x >= L93_X[0]) & (x <= L93_X[1]) & (y >= L93_Y[0]) & (y <= L93_Y[1])


def _l93_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = geo._inverse(2154).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def read_coordinates(
    frame: pd.DataFrame, report: ValidationReport, lines: np.ndarray, mapping: dict[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(lon, lat, present)`` in WGS84 from lon/lat, x/y or point columns.

    Values are recognised by their range: degrees are WGS84; metres in the
    Lambert-93 extent are converted. Unreadable cells are reported.
    """
    n = len(frame)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for a, b in (("lon", "lat"), ("x", "y")):
        if a in frame.columns and b in frame.columns:
            u = _numbers(frame, a, report, lines, mapping.get(a, a)).to_numpy()
            v = _numbers(frame, b, report, lines, mapping.get(b, b)).to_numpy()
            fill = np.isnan(lon) & np.isfinite(u) & np.isfinite(v)
            metric = _in_l93(u, v) & fill
            if metric.any():
                lon[metric], lat[metric] = _l93_to_lonlat(u[metric], v[metric])
            degrees = fill & ~metric & (np.abs(u) <= 180) & (np.abs(v) <= 180)
            lon[degrees], lat[degrees] = u[degrees], v[degrees]
            odd = fill & ~metric & ~degrees
            for i in np.flatnonzero(odd):
                report.error(
                    lines[i],
                    f"{mapping.get(a, a)}/{mapping.get(b, b)}",
                    f"{u[i]}, {v[i]}",
                    "Coordonnées ni en degrés WGS84 ni en Lambert-93 (mètres) : système "
                    "de coordonnées non reconnu.",
                )
    if "point" in frame.columns:
        text = _col(frame, "point")
        plon, plat = parse_point_text(text)
        need = np.isnan(lon) & plon.notna().to_numpy()
        lon[need], lat[need] = plon.to_numpy()[need], plat.to_numpy()[need]
        bad = (text.str.strip() != "") & (text.str.upper() != "NA") & plon.isna()
        for i in np.flatnonzero(bad.to_numpy() & np.isnan(lon)):
            report.error(
                lines[i],
                mapping.get("point", "point"),
                text.iloc[i],
                "Point illisible (attendu « POINT (lon lat) », « c(lon, lat) » ou « lon, lat »).",
            )
    present = np.isfinite(lon) & np.isfinite(lat)
    return lon, lat, present


def check_geometries(
    geometries: list | None, report: ValidationReport, lines: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(lon, lat, valid)`` of a point inside each geometry; report invalid polygons."""
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    valid = np.zeros(n, dtype=bool)
    if geometries is None:
        return lon, lat, valid
    for i, g in enumerate(geometries):
        if g is None or g.is_empty:
            continue
        if not g.is_valid:
            report.error(
                lines[i],
                "geometry",
                g.wkt[:80],
                f"Polygone invalide ({explain_validity(g)}) : contour qui se recoupe ou mal fermé.",
            )
            continue
        p = g if g.geom_type == "Point" else g.representative_point()
        lon[i], lat[i], valid[i] = p.x, p.y, True
    return lon, lat, valid


def _distance_to_m(geom: shapely.Geometry, lon: float, lat: float) -> float:
    """Return an approximate distance in metres from a point to a WGS84 geometry."""
    d_deg = shapely.distance(geom, shapely.Point(lon, lat))
    return float(d_deg * 111_320.0 * max(np.cos(np.radians(lat)), 0.2))


def place_rows(
    frame: pd.DataFrame,
    report: ValidationReport,
    lines: np.ndarray,
    mapping: dict[str, str],
    territory: TerritoryLike | None,
    geometries: list | None = None,
) -> pd.DataFrame:
    """Return a frame with ``insee_code, lon, lat, location_precision, ok`` for each row.

    ``frame`` holds text columns among lon, lat, x, y, point, insee_code,
    commune_name, postcode and optionally ``location_precision`` (set by an
    adapter when the source says a point is only the commune centre).
    """
    n = len(frame)
    lon, lat, present = read_coordinates(frame, report, lines, mapping)
    glon, glat, gvalid = check_geometries(geometries, report, lines, n)
    use_geom = ~present & gvalid
    lon[use_geom], lat[use_geom] = glon[use_geom], glat[use_geom]
    present |= use_geom
    precision = (
        _col(frame, "location_precision").replace("", "address").to_numpy(dtype=object).copy()
    )
    ok = np.ones(n, dtype=bool)

    # coordinates outside France: swapped, abroad, at sea (coarse bounds first)
    zone = geo.zone_for_lonlat(lon, lat)
    swapped_zone = geo.zone_for_lonlat(lat, lon)
    label = "/".join(mapping.get(k, k) for k in ("lon", "lat") if k in mapping) or "coordonnées"
    for i in np.flatnonzero(present & (zone == "")):
        if swapped_zone[i]:
            reason = (
                "Latitude et longitude semblent inversées : le point inversé tombe en France. "
                "Corrigez l'ordre des colonnes."
            )
        else:
            reason = (
                "Point hors des territoires couverts (métropole, Corse, départements "
                "d'outre-mer) : à l'étranger, en mer ou dans une collectivité d'outre-mer."
            )
        report.error(lines[i], label, f"{lon[i]:.6f}, {lat[i]:.6f}", reason)
        ok[i] = False

    codes_text = _col(frame, "insee_code").str.strip()
    code_label = mapping.get("insee_code", "insee_code")
    res = resolve_code_details(codes_text, territory, vintage_of(report))
    declared, malformed, unknown = res.codes, res.malformed, res.unknown
    # a former (merged) commune's code: the new commune's outline may lack its territory
    aliased = res.moved
    ambiguous = res.ambiguous
    for i in np.flatnonzero(malformed):
        report.error(
            lines[i],
            code_label,
            codes_text.iloc[i],
            "Code INSEE mal formé (attendu 5 caractères, ex. 01001 ou 2A004).",
        )
        ok[i] = False
    for i in np.flatnonzero(unknown & ~present):
        report.error(lines[i], code_label, codes_text.iloc[i], unknown_reason(res, i))
        ok[i] = False
    for i in np.flatnonzero(ambiguous & ~present & ok):
        if declared[i]:
            # the code still exists (the continuing part of a split): kept, but doubtful
            report.warning(
                lines[i],
                code_label,
                codes_text.iloc[i],
                f"{SPLIT_REASON} : {res.sentences[i]} Sans coordonnées, la ligne reste "
                f"rattachée à {declared[i]} ; vérifiez la commune.",
            )
            continue
        report.error(
            lines[i],
            code_label,
            codes_text.iloc[i],
            f"{SPLIT_REASON} : {res.sentences[i]} Sans coordonnées, impossible de choisir : "
            "indiquez le code de la commune actuelle ou les coordonnées.",
        )
        ok[i] = False
    # codes replaced by a current one: one warning each (emitted last, unless a more
    # precise warning below already names both codes)
    moved_said = np.zeros(n, dtype=bool)
    insee = declared.copy()
    if territory is not None:
        check = present & ok
        located = np.full(n, "", dtype=object)
        if check.any():
            located[check] = territory.locate(lon[check], lat[check])
        for i in np.flatnonzero(check):
            if located[i] and ambiguous[i]:
                options = res.candidates.get(int(i), ())
                where = (
                    f"le point tombe dans {located[i]}, l'une d'elles"
                    if located[i] in options
                    else f"le point tombe dans {located[i]}, hors de ces communes"
                )
                report.warning(
                    lines[i],
                    code_label,
                    codes_text.iloc[i],
                    f"{SPLIT_REASON} : {res.sentences[i]} Le point décide : {where} ; "
                    f"ligne rattachée à {located[i]}.",
                )
                insee[i] = located[i]
                continue
            if located[i]:
                if unknown[i]:
                    report.warning(
                        lines[i],
                        code_label,
                        codes_text.iloc[i],
                        f"Code INSEE inconnu (commune fusionnée ou code étranger ?) : commune "
                        f"{located[i]} retrouvée par les coordonnées.",
                    )
                    insee[i] = located[i]
                elif declared[i] and located[i] != declared[i]:
                    report.warning(
                        lines[i],
                        code_label,
                        declared[i],
                        f"Le point tombe dans la commune {located[i]} et non dans la commune "
                        f"déclarée {declared[i]} : vérifiez l'adresse ou les coordonnées.",
                    )
                else:
                    insee[i] = located[i]
                continue
            gap_m = (
                _distance_to_m(territory.geometry(declared[i]), lon[i], lat[i])
                if declared[i]
                else np.inf
            )
            if aliased[i] and gap_m <= MERGED_TOLERANCE_M:
                moved_said[i] = True
                report.warning(
                    lines[i],
                    label,
                    f"{lon[i]:.6f}, {lat[i]:.6f}",
                    f"Point dans l'ancienne commune {codes_text.iloc[i]}, fusionnée dans "
                    f"{declared[i]} dont le contour du référentiel est incomplet : rattaché à "
                    f"{declared[i]}.",
                )
                continue
            if gap_m <= COAST_TOLERANCE_M:
                report.warning(
                    lines[i],
                    label,
                    f"{lon[i]:.6f}, {lat[i]:.6f}",
                    f"Point juste hors du contour de la commune {declared[i]} (trait de côte) : conservé.",
                )
                continue
            report.error(
                lines[i],
                label,
                f"{lon[i]:.6f}, {lat[i]:.6f}",
                "Point dans aucune commune française : en mer ou à l'étranger."
                + (" Le code INSEE est lui aussi inconnu." if unknown[i] else ""),
            )
            ok[i] = False

    # rows without coordinates: town hall of the declared or named commune
    missing = ~present & ok
    names = _col(frame, "commune_name").str.strip()
    postcodes = _col(frame, "postcode").str.strip()
    for i in np.flatnonzero(missing):
        code = insee[i]
        if not code and territory is not None:
            code = _code_from_name(
                territory, names.iloc[i], postcodes.iloc[i], report, lines[i], mapping
            )
        if not code:
            if not names.iloc[i] and not postcodes.iloc[i] and not codes_text.iloc[i]:
                report.error(
                    lines[i],
                    "localisation",
                    "",
                    "Aucune localisation : ni coordonnées, ni code INSEE, ni commune.",
                )
            elif territory is None:
                report.error(
                    lines[i],
                    "localisation",
                    names.iloc[i],
                    "Référentiel des communes indisponible : impossible de placer la ligne.",
                )
            ok[i] = False
            continue
        if territory is None:
            report.error(
                lines[i], code_label, code, "Référentiel des communes indisponible : pas de mairie."
            )
            ok[i] = False
            continue
        row = territory.communes.loc[code]
        lon[i], lat[i] = float(row["lon"]), float(row["lat"])
        insee[i] = code
        precision[i] = "commune"
    for i in np.flatnonzero(aliased & ok & ~moved_said):
        report.warning(
            lines[i],
            code_label,
            codes_text.iloc[i],
            moved_reason(res.events[i], res.sentences[i], declared[i]),
        )
    return pd.DataFrame(
        {
            "insee_code": insee,
            "lon": lon,
            "lat": lat,
            "location_precision": precision,
            "ok": ok,
        },
        index=frame.index,
    )


def _code_from_name(
    territory: TerritoryLike,
    name: str,
    postcode: str,
    report: ValidationReport,
    line: int,
    mapping: dict[str, str],
) -> str:
    """Return the only commune matching a name (and postcode), or "" after reporting why."""
    col = mapping.get("commune_name", "commune")
    pc = postcode or None
    if name:
        hits = territory.find_by_name(name, postcode=pc) if pc else territory.find_by_name(name)
        if not hits and pc:
            hits = territory.find_by_name(name)
            hits = hits if len(hits) == 1 else []
        if len(hits) == 1:
            return hits[0]
        if not hits:
            report.error(
                line, col, f"{name} {postcode}".strip(), "Commune introuvable (nom et code postal)."
            )
        else:
            report.error(
                line,
                col,
                name,
                f"Commune ambiguë : {len(hits)} communes portent ce nom ({', '.join(hits[:5])}) ; "
                "ajoutez le code postal ou le code INSEE.",
            )
        return ""
    if pc:
        hits = territory.communes_for_postcode(pc)
        if len(hits) == 1:
            return hits[0]
        reason = (
            "Code postal inconnu."
            if not hits
            else f"Code postal partagé par {len(hits)} communes : ajoutez le nom ou le code INSEE."
        )
        report.error(line, mapping.get("postcode", "code_postal"), pc, reason)
    return ""
