"""Share of rows imported with the default mapping, for every real premises file.

Usage: ``.venv/bin/python benchmarks/import_real_files.py [--no-app]`` with the
raw open-data folder at ``../shared/data/raw`` (``MATCHER_RAW_DATA_DIR``).

For each file, in one process and one run:

* the library's generic import (any source name, default mapping) — rows read,
  valid, layout recognised, and its time against the dataset's own adapter on
  the same file (ratio; the adapter is the baseline, results checked equal on
  kind, status and place);
* the command line ``matcher import premises FILE --source anything --dry-run``
  in its default mode (« tout ou rien ») and with ``--mode lignes-valides``:
  rows the database would receive;
* the app (Streamlit AppTest of « Mes locaux », an owner uploads the file and
  clicks « Vérifier et importer » without touching the mapping), in
  « lignes valides seulement »: premises created.

Everything runs on a throw-away SQLite database in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = [
    ("cartofriches_standard/friches_standard_test.csv", "cartofriches"),
    ("cartofriches_liste_sites/listes_friches_ok.csv", "cartofriches_sites"),
    ("friches_ardennes_obs/data.csv", "ardennes_friches"),
    ("laposte_points_contact/laposte_poincont2_2020.csv", "laposte"),
    ("laposte_points_contact/laposte_poincont2_2016.csv", "laposte_2016"),
    ("dvf_qpv_occitanie/foncier_qp.xlsx", None),
    ("france_services/liste-fs-20240801.csv", None),
]


def _cli(path: Path, env: dict[str, str], mode: str | None) -> int:
    """Return the rows the command line would write (dry run)."""
    args = [sys.executable, "-m", "matcher", "import", "premises", str(path)]
    args += ["--source", "anything", "--dry-run"] + (["--mode", mode] if mode else [])
    out = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Base : dry_run \((\d+) ajout", out.stdout)
    return int(found.group(1)) if found else 0


def _app(path: Path, owner) -> int:
    """Return the premises the app creates from the file with the default mapping."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app_pages" / "mes_locaux.py"), default_timeout=600)
    at.session_state["auth_user"] = owner
    at.run()
    at.file_uploader(key="premises_upload").upload(path.name, path.read_bytes(), "text/csv").run()
    at.radio(key="premises_import_mode").set_value("valid_only")
    next(b for b in at.button if b.label == "Vérifier et importer").click().run()
    text = " ".join(str(s.value) for s in at.success)
    found = re.search(r"(\d+) local\(aux\) créé", text)
    return int(found.group(1)) if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-app", action="store_true", help="sans la mesure dans l'application")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="matcher-bench-import-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
        "MATCHER_DATA_DIR": str(folder),
        "MATCHER_ARGON2_PROFILE": "fast",
    }
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "MATCHER_DATA_DIR", "MATCHER_ARGON2_PROFILE")}
    )
    sys.path.insert(0, str(REPO))

    from matcher.ingestion import ADAPTERS, raw_data_dir, read_premises
    from matcher.services import accounts
    from matcher.storage.db import init_db
    from matcher.territory import load_territory

    init_db(env["DATABASE_URL"])
    admin = accounts.bootstrap_admin("admin@bench.example.fr", "mot-de-passe-bench-1")
    org = accounts.create_organisation(admin, "Commune de mesure", "owner")
    accounts.create_user(admin, "owner@bench.example.fr", "owner", org.id, "mot-de-passe-bench-2")
    owner = accounts.authenticate("owner@bench.example.fr", "mot-de-passe-bench-2")
    subprocess.run(
        [sys.executable, "-m", "matcher", "db", "create-admin", "--email", "cli@bench.example.fr",
         "--password", "mot-de-passe-bench-3"],
        cwd=REPO, env=env, capture_output=True, check=False,
    )  # fmt: skip
    territory = load_territory()
    raw = raw_data_dir()
    print("Machine partagée et chargée : les temps varient, comparer les ratios.")
    header = (
        f"{'fichier':<46} {'lues':>7} {'valides':>7} {'part':>6} {'CLI défaut':>10} "
        f"{'CLI valides':>11} {'appli':>7} {'t (s)':>6} {'/adapt.':>7}  reconnu"
    )
    print(header)
    for name, adapter in FILES:
        path = raw / name
        if not path.exists():
            print(f"{name:<46} absent")
            continue
        t0 = time.perf_counter()
        result = read_premises(path, source="anything", territory=territory, mode="valid_only")
        t_generic = time.perf_counter() - t0
        ratio = ""
        if adapter is not None:
            t0 = time.perf_counter()
            own = ADAPTERS[adapter].read(path, territory=territory, mode="valid_only")
            t_adapter = time.perf_counter() - t0
            ratio = f"{t_generic / t_adapter:.2f}"
            a = own.records.set_index("source_id")[["kind", "status", "insee_code"]]
            b = result.records.set_index("source_id").loc[a.index, ["kind", "status", "insee_code"]]
            assert a.astype(str).equals(b.astype(str)), f"{name}: generic != adapter"
        cli_default = _cli(path, env, None)
        cli_valid = _cli(path, env, "lignes-valides")
        app = "-" if args.no_app else str(_app(path, owner))
        read, valid = result.rows_read, len(result.records)
        print(
            f"{name:<46} {read:>7} {valid:>7} {valid / read:>6.1%} {cli_default:>10} "
            f"{cli_valid:>11} {app:>7} {t_generic:>6.2f} {ratio:>7}  "
            f"{result.report.recognised or 'tableau simple'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
