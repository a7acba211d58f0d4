"""``matcher import ...``: report summary, full CSV report, one transaction through the import service."""

from __future__ import annotations

import sqlite3

import pytest

from matcher.cli import main

HEADER = "id;nom;type;code_insee;surface\n"


@pytest.fixture
def db(tmp_path, monkeypatch, territory):
    """Return the path of a fresh SQLite database with one administrator."""
    storage = pytest.importorskip("matcher.storage.db")
    accounts = pytest.importorskip("matcher.services.accounts")
    pytest.importorskip("matcher.services.imports")
    path = tmp_path / "test.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path / "data"))
    storage.init_db()
    accounts.bootstrap_admin("admin@example.org", "un-mot-de-passe-assez-long")
    yield path
    storage.dispose_engines()


def _count(path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as con:
        return con.execute(
            "select source, source_id, name from premises order by source_id"
        ).fetchall()


def test_import_valid_only_then_reimport_updates(db, tmp_path, capsys) -> None:
    f = tmp_path / "locaux.csv"
    f.write_text(
        HEADER + "A1;Halle;entrepôt;35238;500\nA2;Poste;bureau de poste;75056;-3\n",
        encoding="utf-8",
    )
    report = tmp_path / "rapport.csv"
    rc = main(
        [
            "import",
            "premises",
            str(f),
            "--source",
            "essai",
            "--mode",
            "lignes-valides",
            "--report",
            str(report),
        ]
    )
    out = capsys.readouterr().out
    assert (
        rc == 0 and "2 lignes lues, 1 valide, 1 rejetée" in out and "committed (1 ajout(s)" in out
    )
    assert _count(db) == [("essai", "A1", "Halle")]
    assert "3;surface;'-3;Surface négative : impossible.;erreur" in report.read_text(
        encoding="utf-8-sig"
    )
    f.write_text(HEADER + "A1;Halle rénovée;entrepôt;35238;500\n", encoding="utf-8")
    assert main(["import", "premises", str(f), "--source", "essai"]) == 0
    assert "0 ajout(s), 1 mise(s) à jour" in capsys.readouterr().out
    assert _count(db) == [("essai", "A1", "Halle rénovée")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Fichier vide"),
        (HEADER.encode(), "0 ligne lue"),
        (bytes(range(256)) * 20, "binaire"),
        (
            (HEADER + "B1;Bon;bureaux;35238;100\nB2;Négatif;bureaux;35238;-1\n").encode(),
            "rien n'est importé",
        ),
        ((HEADER + "B1;Inconnu;bureaux;99999;100\n").encode(), "Code INSEE inconnu"),
        ((HEADER + "B1;Infini;bureaux;35238;Infinity\n").encode(), "non finie"),
        ((HEADER + "B1;Formule;bureaux;35238;1e400\n").encode(), "non finie"),
        ("id;nom;code_insee\nB1;é;35238\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_bad_input_leaves_database_unchanged(db, tmp_path, capsys, content, message) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text(HEADER + "K1;Existant;bureaux;35238;100\n", encoding="utf-8")
    assert main(["import", "premises", str(ok), "--source", "essai"]) == 0
    before = _count(db)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    report = tmp_path / "r.csv"
    main(["import", "premises", str(bad), "--source", "essai", "--report", str(report)])
    captured = capsys.readouterr()
    assert message in captured.out + report.read_text(encoding="utf-8-sig")
    assert _count(db) == before


def test_oversized_file_leaves_database_unchanged(db, tmp_path, capsys) -> None:
    big = tmp_path / "enorme.csv"
    with big.open("wb") as fh:
        fh.truncate(300 * 2**20)
    before = _count(db)
    assert main(["import", "premises", str(big), "--source", "essai"]) == 1
    assert "trop volumineux" in capsys.readouterr().out
    assert _count(db) == before


def test_dry_run_writes_nothing(db, tmp_path, capsys) -> None:
    f = tmp_path / "l.csv"
    f.write_text(HEADER + "D1;Halle;entrepôt;35238;500\n", encoding="utf-8")
    assert main(["import", "premises", str(f), "--source", "essai", "--dry-run"]) == 0
    assert "simulation sans écriture" in capsys.readouterr().out
    assert _count(db) == []


def test_cross_source_duplicates_flagged(db, tmp_path, capsys) -> None:
    a = tmp_path / "a.csv"
    a.write_text("id;nom;type;latitude;longitude\nX;Halle;entrepôt;48.11;-1.68\n", encoding="utf-8")
    assert main(["import", "premises", str(a), "--source", "source_a"]) == 0
    b = tmp_path / "b.csv"
    b.write_text(
        "id;nom;type;latitude;longitude\nY;La halle;entrepôt;48.1102;-1.68\n", encoding="utf-8"
    )
    report = tmp_path / "r.csv"
    assert (
        main(["import", "premises", str(b), "--source", "source_b", "--report", str(report)]) == 0
    )
    text = report.read_text(encoding="utf-8-sig")
    assert "Doublon probable : même type de lieu à 22 m de « Halle » (source source_a" in text


def test_projects_and_tiers_lieux_commands(db, tmp_path, capsys) -> None:
    p = tmp_path / "projets.csv"
    p.write_text(
        "nom;structure;type;code_insee;surface\nFablab;Asso;fablab;35238;150\n", encoding="utf-8"
    )
    assert main(["import", "projects", str(p), "--source", "appel"]) == 0
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from projects").fetchone()[0] == 1
    t = tmp_path / "tl.csv"
    t.write_text("nom,type,code_insee\nLa Cantine,coworking,44109\n", encoding="utf-8")
    assert main(["import", "tiers-lieux", str(t), "--source", "liste"]) == 0
    assert "Tiers-lieux validés écrits dans" in capsys.readouterr().out


def test_mapping_option_and_saved(db, tmp_path, capsys, monkeypatch) -> None:
    f = tmp_path / "l.csv"
    f.write_text("Réf;Désignation;Ville;Surf.\nM1;Halle;35238;500\n", encoding="utf-8")
    m = tmp_path / "m.json"
    m.write_text(
        '{"source_id": "Réf", "name": "Désignation", "insee_code": "Ville", "floor_area_m2": "Surf."}',
        encoding="utf-8",
    )
    assert (
        main(
            ["import", "premises", str(f), "--source", "dep", "--mapping", str(m), "--save-mapping"]
        )
        == 0
    )
    assert main(["import", "premises", str(f), "--source", "dep"]) == 0  # saved mapping reused
    assert _count(db) == [("dep", "M1", "Halle")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id;nom;surface;surface\nH1;Halle;100;200\n", "En-tête en double « surface »"),
        ("id;nom;surface\nH1;Halle;100\n", "Colonne obligatoire absente"),
        (";nom;code_insee\nH1;Halle;35238\n", "En-tête manquant en colonne 1"),
    ],
)
def test_header_problems_leave_database_unchanged(db, tmp_path, capsys, content, message) -> None:
    f = tmp_path / "h.csv"
    f.write_text(content, encoding="utf-8")
    report = tmp_path / "r.csv"
    assert main(["import", "premises", str(f), "--source", "essai", "--report", str(report)]) == 1
    assert message in capsys.readouterr().out + report.read_text(encoding="utf-8-sig")
    assert _count(db) == []


def test_progress_bar_only_for_large_files(tmp_path) -> None:
    from matcher.cli.ingestion import _progress_bar

    small = tmp_path / "petit.csv"
    small.write_text("a;b\n1;2\n", encoding="utf-8")
    assert _progress_bar(small) == (None, None)
    big = tmp_path / "gros.csv"
    with big.open("wb") as fh:
        fh.truncate(6 * 2**20)
    update, bar = _progress_bar(big)
    update(3 * 2**20, 6 * 2**20)
    assert bar.n == 3 * 2**20 and bar.total == 6 * 2**20
    bar.close()


def test_reference_share_command(raw_dir, capsys) -> None:
    assert main(["reference", "tiers-lieux-share"]) == 0
    out = capsys.readouterr().out
    assert "46 % hors des métropoles" in out and "fablabs_2020" in out
