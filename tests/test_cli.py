import pytest

from matcher import settings
from matcher.cli import build_parser, main


def test_parser_lists_the_command_groups():
    help_text = build_parser().format_help()
    for group in ("territory", "demo"):
        assert group in help_text


def test_territory_build_command_is_idempotent(capsys, territory):
    assert main(["territory", "build"]) == 0


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as exc:
        main(["nope"])
    assert exc.value.code == 2


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert settings.data_dir() == tmp_path / "d"
    assert settings.database_url() == f"sqlite:///{tmp_path / 'd' / 'matcher.sqlite'}"
    assert settings.cache_dir().is_dir()
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert settings.database_url() == "postgresql+psycopg://u@h/db"
