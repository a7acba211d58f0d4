"""Build the small extracts of real files committed under tests/data/ (run by hand, not by pytest).

Usage: ``python tests/data/build_extracts.py`` with the raw open-data folder
at ``../shared/data/raw`` (or ``MATCHER_RAW_DATA_DIR``). CSV extracts keep the
chosen records byte for byte (header and odd encodings included); only the
records are chosen, never edited, except where the README says that
personal contact cells were emptied. The selection is deterministic: the
records the tests name, every distinct value of the columns that matter, then
an evenly spaced sample up to the size wanted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def _raw_dir() -> Path:
    from matcher.ingestion.adapters import raw_data_dir

    return raw_data_dir()


def _record_spans(path: Path) -> tuple[pd.DataFrame, list[tuple[int, int]], int]:
    """Return the table, the (first, last) physical line of each record and the header line."""
    from matcher.ingestion import read_table

    table = read_table(path)
    n_lines = path.read_bytes().count(b"\n") + 1
    starts = [int(x) for x in table.lines]
    ends = [s - 1 for s in starts[1:]] + [n_lines]
    return table.frame, list(zip(starts, ends, strict=True)), table.header_line


def choose(frame: pd.DataFrame, size: int, must: pd.Series, spread: list[str]) -> list[int]:
    """Return sorted row positions: ``must`` rows, one row per distinct value of ``spread``, then a sample."""
    chosen: set[int] = {int(i) for i in (must.to_numpy().nonzero()[0])}
    for column in spread:
        for _, rows in frame.groupby(column, sort=True).groups.items():
            chosen.add(int(frame.index.get_loc(rows[0])))
    step = max(1, len(frame) // max(1, size - len(chosen)))
    i = 0
    while len(chosen) < size and i < len(frame):
        chosen.add(i)
        i += step
    return sorted(chosen)[: max(size, len(chosen))]


def write_csv_extract(source: Path, target: Path, rows: list[int]) -> None:
    """Write the header lines and the chosen records of ``source``, byte for byte."""
    frame, spans, header_line = _record_spans(source)
    lines = source.read_bytes().split(b"\n")
    out = lines[:header_line]
    for i in rows:
        first, last = spans[i]
        out.extend(lines[first - 1 : last])
    body = b"\n".join(out)
    if not body.endswith(b"\n"):
        body += b"\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)


def _contains(frame: pd.DataFrame, column: str, pattern: str) -> pd.Series:
    return frame[column].str.contains(pattern, case=False, regex=True, na=False)


def cartofriches_standard(raw: Path) -> None:
    src = raw / "cartofriches_standard" / "friches_standard_test.csv"
    frame, spans, _ = _record_spans(src)
    multiline = pd.Series([last > first for first, last in spans])
    must = (
        frame["site_id"].isin(["50419_27068", "27058_7492"])  # 27058: code resolved from the point
        | frame["comm_insee"].str.fullmatch(r"\d{4}")  # lost leading zeros
        & (frame.index % 25 == 0)
        | multiline
        | _contains(frame, "site_nom", r"d[ée]charge|carri[èe]re|terril") & (frame.index % 3 == 0)
        | _contains(frame, "site_reconv_type", r"renaturation|photovolta")
    )
    spread = ["site_type", "site_statut", "bati_etat", "sol_pollution_existe", "bati_patrimoine"]
    rows = choose(frame, 430, must, spread)
    write_csv_extract(src, HERE / "cartofriches_standard" / "friches_standard_extrait.csv", rows)


def cartofriches_sites(raw: Path) -> None:
    src = raw / "cartofriches_liste_sites" / "listes_friches_ok.csv"
    frame, _, _ = _record_spans(src)
    must = frame["site_id"].isin(["01013_9130"]) | frame.index.isin(
        [208, 341, 1112, 3186, 3762, 7199, 17771, 17821, 17855, 17878]  # merged communes
    )
    rows = choose(frame, 300, must, ["site_statut", "nature"])
    write_csv_extract(src, HERE / "cartofriches_liste_sites" / "listes_friches_extrait.csv", rows)


#: 2016 Bureaux de Poste that are no longer one in 2020 (the demo's former post offices).
GONE_2016 = ("15531A",)


def laposte(raw: Path, year: str, size: int) -> None:
    """Write a La Poste extract; the 2016 one holds the sites of the 2020 one, and some gone."""
    src = raw / "laposte_points_contact" / f"laposte_poincont2_{year}.csv"
    frame, _, _ = _record_spans(src)
    ident = frame.columns[0]
    insee = frame["Code_INSEE"]
    also: set[str] = set(GONE_2016)
    if year == "2016":
        from matcher.ingestion import read_table
        from matcher.ingestion.demo_real import former_post_offices

        newer = HERE / "laposte_points_contact" / "laposte_poincont2_2020_extrait.csv"
        also |= set(read_table(newer).frame.iloc[:, 0])
        also |= set(former_post_offices()["source_id"].iloc[::40])
    must = (
        frame[ident].isin(["01145A", *also])
        | insee.str.startswith(("977", "978", "975", "99"))  # outside the territories covered
        | insee.isin(["93059", "06083"])  # Pierrefitte (merged), Menton (Monaco's offices)
        | (frame["Latitude"].str.strip() == "")  # not geocoded
    )
    # 2016: only the sites of the 2020 extract and some that closed, so that comparing the two
    # extracts finds the offices that closed, as the full files do
    spread = ["Caractéristique_du_site", "Précision_du_géocodage"] if year == "2020" else []
    rows = choose(frame, size, must, spread)
    target = HERE / "laposte_points_contact" / f"laposte_poincont2_{year}_extrait.csv"
    write_csv_extract(src, target, rows)


def _blank_columns(text: str, columns: set[str], delimiter: str = ",") -> str:
    """Return a CSV text with the cells of ``columns`` emptied (personal contacts)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    header = rows[0]
    drop = [i for i, name in enumerate(header) if name in columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows[1:]:
        writer.writerow(["" if i in drop else cell for i, cell in enumerate(row)])
    return out.getvalue()


def fablabs(raw: Path) -> None:
    name = "FABLABS_agregation - export_all_fablabs_csv.geocoded.csv"
    text = (raw / "fablabs_france_2020" / name).read_text(encoding="utf-8")
    personal = {"contact_mail", "contact_tel", "commentaires", "auteur_data"}
    target = HERE / "fablabs_france_2020" / "fablabs_2020_extrait.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_blank_columns(text, personal), encoding="utf-8")


def bretagne(raw: Path) -> None:
    text = (raw / "tiers_lieux_bretagne_fablabs" / "map_bzh_fablab.geojson").read_text(
        encoding="utf-8"
    )
    # empty the e-mail and phone values, keep the hand-edited layout (tabs, blank lines)
    text = re.sub(r'("(?:email|tel)"\s*:\s*)"[^"]*"', r'\1""', text)
    target = HERE / "tiers_lieux_bretagne_fablabs" / "map_bzh_fablab_extrait.geojson"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


#: DVF columns stored as numbers in the workbook (the others are text cells: codes keep zeros).
DVF_NUMBERS = {
    "longitude",
    "latitude",
    "nombre_lot",
    "date_mutation",
    "valeur_fonciere",
    "surface_reelle_bati",
    "nombre_pieces_principales",
    "surface_terrain",
}


def dvf(raw: Path) -> None:
    """Write about 300 rows of the DVF workbook (multi-lot sales kept whole) as a new XLSX.

    The original workbook is read with the project's reader (openpyxl refuses
    it); numbers are written back as numbers (the Excel serial dates too) and
    codes as text, as in the original.
    """
    from openpyxl import Workbook

    from matcher.ingestion import read_table

    frame = read_table(raw / "dvf_qpv_occitanie" / "foncier_qp.xlsx").frame
    groups = frame.groupby("id_mutation", sort=False).indices
    chosen: set[int] = set(groups.get("2020-74706", []))
    commercial = frame.index[frame["type_local"].str.startswith("Local")].tolist()
    for i in commercial[::40]:
        chosen.update(groups[frame["id_mutation"].iloc[i]])
    step = len(frame) // 150
    for i in range(0, len(frame), step):
        if len(chosen) >= 300:
            break
        chosen.update(groups[frame["id_mutation"].iloc[i]])
    wb = Workbook()
    ws = wb.active
    ws.title = "Transactions foncières"
    ws.append(list(frame.columns))
    for i in sorted(chosen):
        row = frame.iloc[i]
        ws.append(
            [
                (float(v) if "." in v else int(v)) if c in DVF_NUMBERS and v != "" else v
                for c, v in row.items()
            ]
        )
    # (openpyxl stamps the save time: two builds differ by that date only)
    target = HERE / "dvf_qpv_occitanie" / "foncier_qp_extrait.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


BUILDERS: dict[str, Callable[[Path], None]] = {
    "cartofriches_standard": cartofriches_standard,
    "cartofriches_liste_sites": cartofriches_sites,
    "laposte_2020": lambda raw: laposte(raw, "2020", 300),
    "laposte_2016": lambda raw: laposte(raw, "2016", 0),
    "fablabs_france_2020": fablabs,
    "tiers_lieux_bretagne_fablabs": bretagne,
    "dvf_qpv_occitanie": dvf,
}


if __name__ == "__main__":
    raw = _raw_dir()
    for name, build in BUILDERS.items():
        build(raw)
        print(f"{name}: écrit")
