"""``matcher db ...`` commands."""

from __future__ import annotations

from matcher.cli import main
from matcher.services import accounts


def test_db_commands_upgrade_create_admin_backup_restore(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["db", "upgrade"]) == 0
    assert (
        main(["db", "create-admin", "--email", "Chef@Test.fr", "--password", "motdepasse-long"])
        == 0
    )
    assert accounts.authenticate("chef@test.fr", "motdepasse-long").role == "admin"
    dest = tmp_path / "save.sqlite"
    assert main(["db", "backup", str(dest)]) == 0
    assert dest.is_file()
    assert main(["db", "restore", str(dest), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Sauvegarde vérifiée" in out and "Base restaurée" in out


def test_create_admin_reports_errors_in_french(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["db", "create-admin", "--email", "a@b.fr", "--password", "court"]) == 2
    assert "trop court" in capsys.readouterr().err


def test_restore_asks_for_confirmation(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    main(["db", "upgrade"])
    main(["db", "backup", str(tmp_path / "s.sqlite")])
    monkeypatch.setattr("builtins.input", lambda _prompt: "non")
    assert main(["db", "restore", str(tmp_path / "s.sqlite")]) == 1
