"""Build the small extracts of the territorial sources committed under tests/data/ (run by hand).

Usage: ``python tests/territory/build_extracts.py`` with the raw open-data
folder at ``../shared/data/raw`` (or ``MATCHER_RAW_DATA_DIR``). CSV extracts
keep the chosen lines byte for byte (title block, header, line endings)
except the France Services contacts (e-mails and phones emptied); the density
workbook is rewritten with the same sheets, title rows and header rows. The
selection is deterministic: the rows the tests name, then an evenly spaced
sample. Each folder's README says what was kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "data"


def _raw() -> Path:
    from matcher.ingestion.adapters import raw_data_dir

    return raw_data_dir()


def _pick_lines(lines: list[bytes], header_at: int, wanted, sample: int) -> list[bytes]:
    """Return the lines up to the header, then data lines that are wanted or sampled."""
    head, body = lines[: header_at + 1], lines[header_at + 1 :]
    body = [ln for ln in body if ln.strip()]
    step = max(1, len(body) // sample)
    keep = [ln for i, ln in enumerate(body) if wanted(ln) or i % step == 0]
    return head + keep


def _write(path: Path, lines: list[bytes], newline: bytes = b"\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(newline.join(lines) + newline)


def _code(line: bytes, column: int = 0, sep: str = ",") -> str:
    row = next(csv.reader(io.StringIO(line.decode("utf-8", "replace")), delimiter=sep))
    return row[column].strip() if len(row) > column else ""


#: Codes the tests name (old codes merged once or twice, splits, overseas collectivities...).
NAMED = {
    "16355", "16097", "49105", "49051", "49065", "49080", "14697", "14472", "14654",
    "27058", "27647", "27676", "12076", "12218", "49069", "49126", "52427", "52331",
    "60455", "60054", "60694", "85030", "85084", "85165", "85212", "15141", "15031",
    "15035", "15047", "15171", "93059", "93066", "75056", "75108", "75112", "13055",
    "13202", "69123", "69388", "97801", "97501", "98411", "999999", "01348", "03183",
    "34276", "46138", "56124", "60533", "66050", "66141", "72089", "76125", "77257",
    "87002", "87014", "14712", "14666", "50313", "50546", "01330", "01187", "23096",
    "31555", "35238", "2A004", "97411", "97611", "01004", "01001",
}  # fmt: skip


def pvd() -> None:
    src = _raw() / "petites_villes_de_demain" / "pvd_communes_2021.csv"
    lines = src.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines = lines[:-1]
    out = _pick_lines(lines, 0, lambda ln: _code(ln, 1) in NAMED, 150)
    _write(HERE / "petites_villes_de_demain" / "pvd_communes_2021.csv", out)


def anct() -> None:
    from matcher.territory import load_territory

    current = set(load_territory().communes.index)
    src = _raw() / "anct_programmes_communes" / "ngeo-anct-cog2023.csv"
    lines = src.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines = lines[:-1]
    overseas = 0

    def wanted(ln: bytes) -> bool:
        nonlocal overseas
        code = _code(ln, 0).strip('"')
        if code in NAMED:
            return True
        if code not in current:
            # a few collectivités d'outre-mer, every other obsolete code
            if code.startswith(("975", "977", "978", "98")):
                overseas += 1
                return overseas <= 6
            return True
        return False

    out = _pick_lines(lines, 0, wanted, 250)
    _write(HERE / "anct_programmes_communes" / "ngeo-anct-cog2023.csv", out)


def france_services() -> None:
    src = _raw() / "france_services" / "liste-fs-20240801.csv"
    text = src.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    mail, tel = header.index("mail"), header.index("telephone")
    code = header.index("insee_com")
    step = max(1, len(body) // 150)
    keep = [r for i, r in enumerate(body) if r[code] in NAMED or i % step == 0]
    numeric = {header.index("latitude"), header.index("longitude")}

    def cell(j: int, value: str) -> str:
        if value == "" or j in numeric:
            return value
        return '"' + value.replace('"', '""') + '"'

    out = [",".join(f'"{h}"' for h in header)]
    contact = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|0[1-9](?:[ .]?\d\d){4}")
    for r in keep:
        r = [contact.sub("", v) for v in r]  # contacts inside comments too
        r[mail] = r[tel] = ""  # public contacts of the sites: not needed by any test
        out.append(",".join(cell(j, v) for j, v in enumerate(r)))
    path = HERE / "france_services" / "liste-fs-20240801.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def frr() -> None:
    src = _raw() / "france_ruralites_revitalisation" / "liste-communes-FRR-juillet2025.csv"
    lines = src.read_bytes().split(b"\r\n")
    if lines[-1] == b"":
        lines = lines[:-1]
    seen = {"benef": 0}

    def wanted(ln: bytes) -> bool:
        # every partly classified commune, a few "bénéficiaire" ones, the named codes
        if _code(ln, 0, ";") in NAMED or b"partiellement" in ln:
            return True
        if "bénéficiaire".encode() in ln:
            seen["benef"] += 1
            return seen["benef"] <= 8
        return False

    out = _pick_lines(lines, 0, wanted, 250)
    _write(
        HERE / "france_ruralites_revitalisation" / "liste-communes-FRR-juillet2025.csv",
        out,
        b"\r\n",
    )


def density() -> None:
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    src = _raw() / "grille_densite" / "density_2025.xlsx"
    wb_in = CalamineWorkbook.from_path(str(src))
    wb = Workbook()
    wb.remove(wb.active)
    kept_deps: set[str] = set()
    for name in wb_in.sheet_names:
        rows = wb_in.get_sheet_by_name(name).to_python(skip_empty_area=False)
        ws = wb.create_sheet(name)
        if name == "Maille communale":
            head, body = rows[:5], rows[5:]
            step = max(1, len(body) // 300)
            keep = [r for i, r in enumerate(body) if str(r[0]) in NAMED or i % step == 0]
            kept_deps = {str(r[0])[:2] for r in keep}
            rows = head + keep
        elif name == "Maille départementale":
            rows = rows[:5] + [r for r in rows[5:] if str(r[0])[:2] in kept_deps]
        elif name != "Documentation":
            rows = rows[:12]
        for r in rows:
            ws.append([None if v == "" else v for v in r])
    path = HERE / "grille_densite" / "density_2025.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def commune_history() -> None:
    import pandas as pd

    folder = _raw() / "commune_history"
    fus = pd.read_csv(folder / "fusions.csv", dtype=str)
    pad = lambda s: s.str.zfill(5).where(s.str.fullmatch(r"\d+"), s)  # noqa: E731
    ini, fin = pad(fus["COM_INI"]), pad(fus["COM_FIN"])
    wanted = set(NAMED)
    for _ in range(3):  # the whole chains of the named codes
        touch = ini.isin(wanted) | fin.isin(wanted)
        wanted |= set(ini[touch]) | set(fin[touch])
    groups = set(zip(fus["ANNEE_MODIF"][fin.isin(wanted)], fin[fin.isin(wanted)], strict=True))
    sample = fus.index[:: max(1, len(fus) // 150)]
    groups |= set(zip(fus["ANNEE_MODIF"][sample], fin[sample], strict=True))
    rows = [i for i, key in enumerate(zip(fus["ANNEE_MODIF"], fin, strict=True)) if key in groups]
    lines = (folder / "fusions.csv").read_bytes().split(b"\n")
    out = [lines[0]] + [lines[i + 1] for i in rows]
    _write(HERE / "commune_history" / "fusions.csv", out)
    scissions = (folder / "scissions.csv").read_bytes()
    (HERE / "commune_history" / "scissions.csv").write_bytes(scissions)
    kept_fin = {f for _, f in groups}
    data = json.loads((folder / "communes-precedentes-by-chef-lieu.json").read_text("utf-8"))
    keep = [
        e
        for e in data
        if e["code"] in NAMED
        or e["code"] in kept_fin
        or any(a["code"] in NAMED for a in e["anciennesCommunes"])
    ]
    text = json.dumps(keep, ensure_ascii=False, indent=2) + "\n"
    (HERE / "commune_history" / "communes-precedentes-by-chef-lieu.json").write_text(text, "utf-8")


def arcep() -> None:
    from matcher.territory import load_territory

    t = load_territory()
    current = set(t.communes.index) | set(t.aliases["alias"])
    folder = _raw() / "arcep_ftth_communes_2018"
    ftth = folder / "ftthCommunes.csv"
    lines = ftth.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines = lines[:-1]
    # every code the reference alone did not know (the old codes of the issue), plus a sample
    old = {c for c in (_code(ln) for ln in lines[5:]) if c and c not in current}
    out = _pick_lines(lines, 4, lambda ln: _code(ln) in old | NAMED, 200)
    _write(HERE / "arcep_ftth_communes_2018" / "ftthCommunes.csv", out)
    kept = {_code(ln) for ln in out[5:]}
    ref = (folder / "communes.csv").read_bytes().split(b"\n")
    if ref[-1] == b"":
        ref = ref[:-1]
    _write(
        HERE / "arcep_ftth_communes_2018" / "communes.csv",
        ref[:5] + [ln for ln in ref[5:] if _code(ln) in kept],
    )


if __name__ == "__main__":
    for build in (pvd, anct, france_services, frr, density, commune_history, arcep):
        build()
        print(f"{build.__name__} : extrait écrit")
