"""The search service on SQLite and PostgreSQL: its one-statement rights check, its public
fields (read, then kept) and its catalogue version, with what each driver returns."""

from __future__ import annotations

import pandas as pd
import pytest

from matcher.errors import PermissionDenied, ValidationError
from matcher.services import accounts, engine_state, organisations, premises, search

NEEDS = {"project_type": "coworking", "target_insee_codes": "12052"}


@pytest.fixture
def placed(world):
    """The world with two premises in Capdenac-Gare, one without a date or a price."""
    owner = world["owner"]
    values = {"kind": "post_office", "name": "Poste du bourg", "insee_code": "12052",
              "floor_area_m2": 300, "price_eur": 90_000, "available_from": "2027-01-01"}  # fmt: skip
    world["dated"] = premises.create_premise(owner, values)["id"]
    world["bare"] = premises.create_premise(
        owner, {"kind": "bank_branch", "name": "Agence", "insee_code": "12052"}
    )["id"]
    return world


def test_search_shows_public_fields_read_then_kept(placed):
    engine_state.reset_engine_states()
    first = search.search_premises(placed["holder"], NEEDS, k=10)
    table = first.table.set_index("premise_id")
    dated, bare = table.loc[placed["dated"]], table.loc[placed["bare"]]
    assert (dated["name"], dated["owner_org"], dated["commune"]) == (
        "Poste du bourg", "Commune A", "Capdenac-Gare"
    )  # fmt: skip
    assert dated["departement"] == "12" and dated["price_eur"] == 90_000
    assert dated["available_from"] == pd.Timestamp("2027-01-01")
    assert pd.isna(bare["available_from"]) and pd.isna(bare["price_eur"])
    assert first.table["available_from"].dtype == "datetime64[ns]"
    assert first.table["kind"].dtype == object and first.table["lon"].dtype == float
    state = engine_state.engine_state()
    assert state.public.get([placed["dated"], placed["bare"]])[1] == []  # both kept now
    again = search.search_premises(placed["holder"], NEEDS, k=10)
    pd.testing.assert_frame_equal(again.table, first.table, check_exact=True)
    assert again.catalogue_version == first.catalogue_version == state.version


def test_search_refuses_a_deactivated_account_or_organisation_at_once(placed):
    admin, holder = placed["admin"], placed["holder"]
    assert len(search.search_premises(holder, NEEDS).table) == 2
    accounts.set_user_active(admin, holder.id, False)
    with pytest.raises(PermissionDenied, match="désactivé"):
        search.search_premises(holder, NEEDS)
    accounts.set_user_active(admin, holder.id, True)
    assert len(search.search_premises(holder, NEEDS).table) == 2
    organisations.set_organisation_active(admin, holder.organisation_id, False)
    with pytest.raises(PermissionDenied, match="organisation est désactivée"):
        search.search_premises(holder, NEEDS)


def test_search_refuses_an_actor_whose_role_changed(placed):
    from dataclasses import replace

    stale = replace(placed["holder"], role="fund")  # what a UI kept is not what is stored
    with pytest.raises(PermissionDenied, match="modifié"):
        search.search_premises(stale, NEEDS)
    with pytest.raises(PermissionDenied, match="aucun utilisateur"):
        search.search_premises(None, NEEDS)


def test_a_search_that_read_an_older_version_serves_the_newer_snapshot(placed, monkeypatch):
    """A concurrent search may have patched the snapshot past the version this one read:
    the newer snapshot is served as it is, never rebuilt back to the older version."""
    from matcher.services import _common

    holder = placed["holder"]
    search.search_premises(holder, NEEDS)
    state = engine_state.engine_state()
    builds, version = state.builds, state.version
    real = _common.standing_soon
    monkeypatch.setattr(search, "standing_soon", lambda actor: lambda: real(actor)() - 1)
    result = search.search_premises(holder, NEEDS)
    assert (state.builds, state.version, result.catalogue_version) == (builds, version, version)


@pytest.mark.postgres
def test_a_search_survives_the_server_closing_its_connections(pg_url, monkeypatch):
    """The rights read runs on kept autocommit connections without a ping before use: a
    connection the server closed (restart, idle timeout) is replaced, once, in the call."""
    from sqlalchemy import create_engine, text

    from matcher.storage.db import init_db, normalise_url

    from .conftest import make_world

    init_db(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    world = make_world(pg_url)
    assert search.search_premises(world["holder"], NEEDS).table.empty  # no premise placed yet
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar_one()  # fmt: skip
    admin.dispose()
    assert killed >= 1
    assert search.search_premises(world["holder"], NEEDS).table.empty


def test_a_search_ranked_on_a_snapshot_another_process_has_passed_ranks_again(placed, monkeypatch):
    """The ranking starts on the snapshot this process has while the version is read: a
    write committed by another process (here, one whose commit does not patch this
    process's snapshot) is seen by the next search, by a patch, not a rebuild."""
    owner, holder, pid = placed["owner"], placed["holder"], placed["dated"]
    search.search_premises(holder, NEEDS)
    state = engine_state.engine_state()
    builds, patches, version = state.builds, state.patches, state.version
    monkeypatch.setattr(engine_state, "refresh", lambda progress=None: None)
    view = premises.get_premise(owner, pid)
    premises.update_premise(owner, pid, {"floor_area_m2": 444}, view["version"])
    assert state.version == version  # this process's snapshot is behind the database
    result = search.search_premises(holder, NEEDS)
    assert result.table.set_index("premise_id").loc[pid, "floor_area_m2"] == 444
    assert result.catalogue_version == state.version > version
    assert (state.builds, state.patches) == (builds, patches + 1)


def test_a_search_judges_the_rights_before_the_input(placed):
    """A refused actor is told it is refused, not what its needs lack; an accepted one is
    told what is wrong with its needs."""
    admin, holder = placed["admin"], placed["holder"]
    bad = {**NEEDS, "surface_min_m2": "beaucoup"}
    with pytest.raises(ValidationError, match="beaucoup"):
        search.search_premises(holder, bad)
    with pytest.raises(PermissionDenied, match="aucun utilisateur"):
        search.search_premises(None, bad)
    accounts.set_user_active(admin, holder.id, False)
    with pytest.raises(PermissionDenied, match="désactivé"):
        search.search_premises(holder, bad)


def test_the_rights_read_runs_beside_the_ranking_only_on_a_server(placed, monkeypatch):
    """On PostgreSQL the rights read runs on a reader thread while the caller ranks; on
    SQLite, an in-process read, it runs in the caller's thread."""
    import threading

    from matcher.storage import db

    threads = []
    real = db.DriverQuery.first

    def first(self, url=None, **params):
        threads.append(threading.current_thread().name)
        return real(self, url, **params)

    monkeypatch.setattr(db.DriverQuery, "first", first)
    search.search_premises(placed["holder"], NEEDS)
    server = db.reader_engine().dialect.name != "sqlite"
    assert len(threads) == 1
    assert threads[0].startswith("matcher-read") == server
    assert (threads[0] == threading.current_thread().name) != server


def test_a_forked_process_makes_its_own_reader_threads(monkeypatch):
    """A forked child does not have its parent's threads: a pool made before the fork
    would queue the reads for ever."""
    from matcher.storage import db

    pool = db._reader_threads()
    assert db._reader_threads() is pool
    monkeypatch.setattr(db.os, "getpid", lambda: -1)
    child = db._reader_threads()
    assert child is not pool and child.submit(lambda: 7).result(timeout=10) == 7
