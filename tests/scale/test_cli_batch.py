"""``matcher batch run`` from Parquet and CSV files, and from the database."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from matcher.cli import build_parser, main
from matcher.engine import batch_match, build_snapshot
from matcher.scale.output import read_batch
from matcher.scale.sources import read_projects
from tests.scale import catalogues as C

os.environ.setdefault("MATCHER_ARGON2_PROFILE", "fast")


def _projects_frame(needs) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": [p.project_id for p in needs],
            "project_type": [p.project_type for p in needs],
            "target_lon": [p.target_lon for p in needs],
            "target_lat": [p.target_lat for p in needs],
            "radius_km": [p.radius_km for p in needs],
            "surface_min_m2": [p.surface_min_m2 for p in needs],
            "surface_target_m2": [p.surface_target_m2 for p in needs],
            "surface_max_m2": [p.surface_max_m2 for p in needs],
            "budget_purchase_eur": [p.budget_purchase_eur for p in needs],
            "max_rent_eur_year": [p.max_rent_eur_year for p in needs],
            "fibre_required": [p.fibre_required for p in needs],
        }
    )


def test_the_batch_command_is_listed():
    assert "batch" in build_parser().format_help()


def test_batch_run_from_parquet_premises_and_csv_projects(tmp_path, capsys):
    frame = C.premises(1500, seed=31)
    frame.to_parquet(tmp_path / "premises.parquet")
    needs = C.projects(30, seed=32)
    table = _projects_frame(needs)
    extra = pd.DataFrame({"project_id": ["SANS-CENTRE"], "project_type": ["fablab"]})
    table = pd.concat([table.astype(object), extra], ignore_index=True)
    table.to_csv(tmp_path / "projects.csv", index=False)
    out = tmp_path / "out"
    args = ["batch", "run", "--premises", str(tmp_path / "premises.parquet"), "--projects",
            str(tmp_path / "projects.csv"), "--out", str(out), "--radius-km", "25", "--k", "4",
            "--quiet"]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Projet écarté, ligne 31 (projet SANS-CENTRE)" in text
    assert "Lot terminé : 30 projets, 1 500 locaux lus" in text
    read_back, _ = read_projects(tmp_path / "projects.csv")
    want = batch_match(build_snapshot(frame), read_back, 25.0, 4)
    C.assert_same(read_batch(out).by_project, want, "project")
    assert main(args) == 0  # already done: nothing recomputed
    assert "déjà faites" in capsys.readouterr().out


def test_bad_weights_are_reported_in_french(tmp_path, capsys):
    C.premises(10, seed=1).to_parquet(tmp_path / "p.parquet")
    _projects_frame(C.projects(2)).to_parquet(tmp_path / "q.parquet")
    code = main(["batch", "run", "--premises", str(tmp_path / "p.parquet"), "--projects",
                 str(tmp_path / "q.parquet"), "--out", str(tmp_path / "o"), "--weights",
                 "{distance: 2"])  # fmt: skip
    assert code == 2
    assert "Pondérations illisibles" in capsys.readouterr().err


@pytest.fixture
def small_db(tmp_path, monkeypatch):
    """A migrated database with 200 premises on offer and 6 projects (3 active, placed)."""
    from matcher.services import accounts, premises, projects
    from matcher.storage.db import dispose_engines, init_db

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    init_db(url)
    admin = accounts.bootstrap_admin("admin@test.fr", "motdepasse-admin")
    owner_org = accounts.create_organisation(admin, "Commune", "owner")
    holder_org = accounts.create_organisation(admin, "Association", "holder")
    owner = accounts.create_user(admin, "o@test.fr", "owner", owner_org.id, "motdepasse-long")
    holder = accounts.create_user(admin, "h@test.fr", "holder", holder_org.id, "motdepasse-long")
    frame = C.premises(200, seed=41)
    for row in frame.itertuples():
        premises.create_premise(owner, {"kind": "shop", "name": row.premise_id, "lon": row.lon,
                                        "lat": row.lat, "insee_code": "75056",
                                        "floor_area_m2": row.floor_area_m2})  # fmt: skip
    for i, p in enumerate(C.projects(3, seed=42)):
        projects.create_project(holder, {"name": f"Projet {i}", "project_type": p.project_type,
                                         "target_lon": p.target_lon, "target_lat": p.target_lat,
                                         "radius_km": p.radius_km, "surface_min_m2": 50})  # fmt: skip
    projects.create_project(holder, {"name": "Sans centre", "project_type": "food"})
    yield url
    dispose_engines()


def test_batch_run_from_the_database_equals_the_engine_on_its_catalogue(small_db, tmp_path, capsys):
    from matcher.services.catalogue import premises_frame, projects_frame
    from matcher.territory.attributes import enrich_premises

    out = tmp_path / "out"
    assert main(["batch", "run", "--premises", "db", "--projects", "db", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "Lot terminé : 3 projets, 200 locaux lus" in text
    assert "Projet écarté" in text  # the project without a centre
    got = read_batch(out)
    needs, _ = read_projects(projects_frame())
    want = batch_match(build_snapshot(enrich_premises(premises_frame())), needs, 30.0, 20)
    assert len(want) > 0
    C.assert_same(got.by_project, want, "project")
    assert isinstance(got.metadata["catalogue_version"], int)


def test_the_spark_run_refuses_a_folder_holding_a_batch(tmp_path):
    pytest.importorskip("pyspark", reason="pyspark absent (extra dev ou scale)")
    from matcher.errors import ValidationError
    from matcher.scale.spark import run_spark

    (tmp_path / "_batch.json").write_text("{}")
    with pytest.raises(ValidationError, match="contient déjà un lot"):
        run_spark(None, tmp_path / "p.parquet", C.projects(2), tmp_path)
