"""Stress the importers with generated hostile files: no crash, no hang, no partial write.

Runs ``--inputs`` generated files (default 10,000, fixed seed) through each
importer — ``read_premises``, ``read_projects``, ``read_tiers_lieux`` — and the
premises that were read through the import service in « tout ou rien » mode
into a throw-away SQLite database, then prints per importer: inputs, clean
errors (a French refusal or a report with errors), accepted, crashes (any
other exception, or raw Python text in a message: must be 0), hangs (a call
over ``--hang-seconds``: must be 0), partial writes (rows written although
the report or the service refused, or a count that does not match: must be
0), and the process's peak memory. Stops by itself after ``--max-seconds``.

    .venv/bin/python benchmarks/stress_readers.py [--inputs 10000] [--seed 16]

Inputs mix: random bytes, CSV with hostile cells and encodings, XLSX built
cell by cell (huge references, lying dimensions, formulas without value,
errors, shared strings) or with flipped bytes, GeoJSON with random JSON in
features and geometries, zipped uploads, corrupted GeoPackages, and the
regression corpus with bytes flipped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MATCHER_ARGON2_PROFILE", "fast")

from matcher.errors import MatcherError  # noqa: E402
from tests.ingestion import hostile_files as hf  # noqa: E402

IMPORTERS = ("premises", "projects", "tiers_lieux")
HEADERS = [
    "nom", "code_insee", "commune", "code_postal", "surface", "surface_terrain", "latitude",
    "longitude", "x", "y", "type", "etat", "loyer_m2_an", "prix", "id", "rayon_km",
    "surface_min", "surface_max", "porteur", "adresse", "", "nom",
]  # fmt: skip
VALUES = [
    "01004", "75056", "2A004", "97411", "99999", "1004", "Paris", "Saint-Denis", "Ambérieu",
    "NA", "-", "-12", "1e400", "NaN", "inf", "45,96", "5.36", "48.85", "2.35", "700000",
    "6600000", "=HYPERLINK(\"x\")", "@SUM(A1)", "", " ", "Bureau de poste", "friche", "école",
    "bon état", "1 234,5", "1.234,5", "31/02/2020", "2020-13-01", "oui", "peut-être", "é" * 400,
    "POINT (2.35 48.85)", "c(5.5, 45.8)", "\x00", "\r", '"', ";", "𝔘",
]  # fmt: skip


class Hang(Exception):
    """A call used more CPU time than the hang threshold."""


def _alarm(_signum, _frame):
    raise Hang


_STOP = {"asked": False}


def _stop(_signum, _frame):
    _STOP["asked"] = True  # finish the current input, then print the table


def _cell(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.7:
        return rng.choice(VALUES)
    if r < 0.9:
        return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(8)))
    return (
        "".join(chr(rng.randrange(0, 0x10FFFF)) for _ in range(rng.randrange(1, 4)))
        .encode("utf-8", "replace")
        .decode("utf-8", "replace")
    )


def _table(rng: random.Random) -> list[list[str]]:
    header = rng.sample(HEADERS, rng.randrange(1, 9))
    return [header] + [
        [_cell(rng) for _ in range(rng.randrange(len(header) + 3))]
        for _ in range(rng.randrange(25))
    ]


def _csv(rng: random.Random) -> tuple[str, bytes]:
    sep = rng.choice([";", ",", "\t", "|"])
    text = "\n".join(sep.join(r) for r in _table(rng))
    enc = rng.choice(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-8"])
    data = text.encode(enc, errors="replace")
    if rng.random() < 0.2:
        data = hf.flip_byte(data, rng.randrange(1 << 16)) if data else data
    if rng.random() < 0.05:
        data = b"\xef\xbb\xbf" + data + b"\xe9\xff"
    return "f.csv", data


def _xlsx(rng: random.Random) -> tuple[str, bytes]:
    if rng.random() < 0.5:
        sheet, shared = hf.table_sheet(_table(rng))
    else:
        cells = []
        for _ in range(rng.randrange(40)):
            if rng.random() < 0.1:
                ref = rng.choice(["XFD1048576", "A0", "AAAAA1", "$B$2", "A99999999999", None, "1"])
            else:
                ref = f"{hf.column_letters(rng.randrange(30))}{rng.randrange(1, 60)}"
            kind = rng.choice([None, "s", "inlineStr", "e", "b", "str", "n", "zz"])
            value = rng.choice([None, rng.randrange(-3, 9), _cell(rng)])
            formula = "A1*2" if rng.random() < 0.2 else None
            cells.append(hf.cell_xml(ref, value, kind, formula))
        rows = ["<row>" + "".join(cells[i : i + 4]) + "</row>" for i in range(0, len(cells), 4)]
        dim = rng.choice([None, None, "A1:C9", "A1:XFD1048576", "Z"])
        sheet = hf.sheet_xml(rows, dim)
        shared = (
            hf.shared_xml([_cell(rng) for _ in range(rng.randrange(6))])
            if rng.random() < 0.7
            else None
        )
    data = hf.workbook_bytes(sheet, shared)
    if rng.random() < 0.3:
        for _ in range(rng.randrange(1, 4)):
            data = hf.flip_byte(data, rng.randrange(len(data)))
    if rng.random() < 0.05:
        data = data[: rng.randrange(len(data))]
    return "f.xlsx", data


def _json_value(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 3 or r < 0.4:
        return rng.choice([None, True, 1, -2.5, float("nan"), 1e308, "a", "", [], {}])
    if r < 0.7:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["type", "coordinates", "nom", "x", ""]): _json_value(rng, depth + 1)
        for _ in range(3)
    }


def _geojson(rng: random.Random) -> tuple[str, bytes]:
    features = []
    for _ in range(rng.randrange(15)):
        if rng.random() < 0.15:
            features.append(_json_value(rng))
            continue
        header = rng.sample(HEADERS, rng.randrange(1, 6))
        kind = rng.choice(
            ["Point", "Point", "Polygon", "MultiPolygon", "LineString", "Circle", None]
        )
        coords = rng.choice(
            [
                [rng.uniform(-6, 10), rng.uniform(41, 52)],
                [[[0, 0], [1, 0], [1, 1], [0, 0]]],
                [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                [[[1, 1], [1, 1]]],
                [],
                _json_value(rng),
            ]
        )
        geometry = None if kind is None else {"type": kind, "coordinates": coords}
        props = {h: _cell(rng) for h in header} if rng.random() < 0.9 else _json_value(rng)
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    if rng.random() < 0.1:
        data = b"var X = " + data + b";"
    if rng.random() < 0.1:
        data = hf.flip_byte(data, rng.randrange(len(data)))
    return "f.geojson", data


def _zip(rng: random.Random) -> tuple[str, bytes]:
    name, inner = rng.choice([_csv, _geojson, _xlsx])(rng)
    members = {rng.choice([name, f"dossier/{name}", f"../{name}"]): inner}
    if rng.random() < 0.2:
        members["autre.csv"] = b"nom\n1\n"
    if rng.random() < 0.1:
        members["imbrique.zip"] = hf.zip_bytes({"a.csv": b"x"})
    data = hf.zip_bytes(members)
    if rng.random() < 0.2:
        data = hf.flip_byte(data, rng.randrange(len(data)))
    return "f.zip", data


class Generator:
    """Fixed-seed source of hostile inputs (name, bytes)."""

    def __init__(self, seed: int, folder: Path):
        self.rng = random.Random(seed)
        self.corpus = list(hf.corpus().items())
        self.gpkg = _seed_gpkg(folder)

    def __call__(self) -> tuple[str, bytes]:
        rng = self.rng
        r = rng.random()
        if r < 0.05:
            return rng.choice(["f.csv", "f.bin"]), rng.randbytes(rng.randrange(1, 3000))
        if r < 0.10:
            name, data = rng.choice(self.corpus)
            return name, hf.flip_byte(
                data, rng.randrange(len(data))
            ) if rng.random() < 0.7 else data
        if r < 0.13 and self.gpkg:
            data = self.gpkg
            for _ in range(rng.randrange(1, 4)):
                data = hf.flip_byte(data, rng.randrange(len(data)))
            return "f.gpkg", data
        return rng.choice([_csv, _csv, _xlsx, _geojson, _zip])(rng)


def _seed_gpkg(folder: Path) -> bytes | None:
    try:
        import numpy as np
        import pyogrio.raw
        import shapely

        path = folder / "seed.gpkg"
        pyogrio.raw.write(
            path,
            geometry=shapely.to_wkb(
                np.array([shapely.Point(4.83, 45.76), shapely.Point(2.35, 48.85)])
            ),
            field_data=[np.array(["Poste A", "Poste B"], dtype=object)],
            fields=["nom"],
            driver="GPKG",
            geometry_type="Point",
            crs="EPSG:4326",
        )
        return path.read_bytes()
    except Exception as exc:  # noqa: BLE001 - a GDAL without GPKG only drops that family
        print(f"(GeoPackage non généré : {exc})")
        return None


def _premise_count(session_factory) -> int:
    from sqlalchemy import func, select

    from matcher.storage.models import Premise

    with session_factory(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Premise)))


def run(inputs: int, seed: int, hang_s: float, max_s: float) -> dict[str, Counter]:
    """Return the counts per importer (and for the service import)."""
    from matcher.ingestion import records
    from matcher.ingestion.locate import get_territory
    from matcher.services import accounts
    from matcher.services._common import transaction
    from matcher.services.imports import import_records
    from matcher.storage.db import init_db

    folder = Path(tempfile.mkdtemp(prefix="stress-readers-"))
    url = f"sqlite:///{folder / 'stress.sqlite'}"
    os.environ["DATABASE_URL"] = url
    init_db(url)
    admin = accounts.bootstrap_admin("admin@stress.fr", "motdepasse-admin")
    territory = get_territory()
    readers = {
        "premises": records.read_premises,
        "projects": records.read_projects,
        "tiers_lieux": records.read_tiers_lieux,
    }
    counts = {k: Counter() for k in (*IMPORTERS, "service (tout ou rien)")}
    gen = Generator(seed, folder)
    # CPU time, not wall time: on a shared, loaded machine a slow wall clock is not a hang
    signal.signal(signal.SIGPROF, _alarm)
    signal.signal(signal.SIGTERM, _stop)
    start = time.perf_counter()
    path = folder / "input"
    for n in range(inputs):
        if time.perf_counter() - start > max_s or _STOP["asked"]:
            print(f"Arrêt après {time.perf_counter() - start:.0f} s : {n} entrées essayées.")
            break
        if n and n % 500 == 0:
            print(
                f"{n} entrées, {time.perf_counter() - start:.0f} s, "
                f"plantages {sum(c['crashes'] + c['hangs'] for c in counts.values())}",
                flush=True,
            )
        name, data = gen()
        path = folder / name
        path.write_bytes(data)
        for kind, reader in readers.items():
            c = counts[kind]
            c["inputs"] += 1
            signal.setitimer(signal.ITIMER_PROF, hang_s)
            try:
                result = reader(path, source="stress", territory=territory)
            except Hang:
                c["hangs"] += 1
                _example(counts, "hang", kind, name, TimeoutError(f"{hang_s} s CPU"))
                (folder / f"hang_{n}_{name}").write_bytes(data)
                continue
            except Exception as exc:  # noqa: BLE001 - counting crashes is the point
                c["crashes"] += 1
                _example(counts, "crash", kind, name, exc)
                (folder / f"crash_{n}_{name}").write_bytes(data)
                continue
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            texts = hf.raw_texts(result)
            if any(hf.RAW_TEXT.search(t) for t in texts):
                c["crashes"] += 1
                _example(
                    counts,
                    "texte brut",
                    kind,
                    name,
                    next(t for t in texts if hf.RAW_TEXT.search(t)),
                )
                continue
            c["clean errors" if result.report.has_errors else "accepted"] += 1
            if kind == "premises" and not result.report.file_errors:
                _through_service(counts, admin, result, name, transaction, import_records)
        path.unlink(missing_ok=True)
    counts["_seconds"] = Counter({"s": round(time.perf_counter() - start)})
    print(f"Entrées qui ont planté ou bloqué (s'il y en a) : {folder}")
    return counts


def _through_service(counts, admin, result, name, transaction, import_records) -> None:
    c = counts["service (tout ou rien)"]
    c["inputs"] += 1
    before = _premise_count(transaction)
    records = result.records.set_index("line", drop=True)
    records["owner_org"] = records["owner_org"].where(records["owner_org"].notna(), "Source stress")
    try:
        summary = import_records(
            admin, "premises", records, source="stress", filename=name,
            mode="all_or_nothing", rejected_count=result.rows_rejected,
        )  # fmt: skip
    except MatcherError:
        c["clean errors"] += 1
        summary = None
    except Exception as exc:  # noqa: BLE001
        c["crashes"] += 1
        _example(counts, "crash", "service", name, exc)
        summary = None
    after = _premise_count(transaction)
    if summary is None:
        if after != before:
            c["partial writes"] += 1
        return
    refused = summary.status == "refused"
    if refused:
        c["clean errors"] += 1
        if after != before:
            c["partial writes"] += 1
    else:
        c["accepted"] += 1
        if result.report.has_errors or summary.errors or after - before != summary.inserted:
            c["partial writes"] += 1


def _example(counts, what, kind, name, exc) -> None:
    shown = counts.setdefault("_examples", Counter())
    if len(shown) < 10:
        shown[f"{what} {kind} {name}: {type(exc).__name__} {str(exc)[:150]}"] += 1


def main(argv: list[str] | None = None) -> int:
    """Run the stress and print the table; return 1 if a crash, hang or partial write occurred."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--hang-seconds", type=float, default=20.0, help="CPU seconds per call")
    parser.add_argument("--max-seconds", type=float, default=3_600.0)
    args = parser.parse_args(argv)
    counts = run(args.inputs, args.seed, args.hang_seconds, args.max_seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cols = ("inputs", "clean errors", "accepted", "crashes", "hangs", "partial writes")
    print(f"{'importer':<24}" + "".join(f"{c:>15}" for c in cols))
    bad = 0
    for kind in (*IMPORTERS, "service (tout ou rien)"):
        c = counts[kind]
        print(f"{kind:<24}" + "".join(f"{c[k]:>15}" for k in cols))
        bad += c["crashes"] + c["hangs"] + c["partial writes"]
    print(f"peak memory (max RSS of the process): {peak_mb:.0f} MB; {counts['_seconds']['s']} s")
    for example in counts.get("_examples", {}):
        print("  exemple :", example)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
