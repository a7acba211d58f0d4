"""The authorisation matrix: every service operation x profile x object state, each cell run.

See tests/services/authorisation_matrix.py for the rules and docs/authorisation.md for
the table they make. A refused call must raise PermissionDenied or NotFound and write
nothing; a refused list must not show the object.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher import errors
from matcher.storage.db import dispose_engines, init_db, session_scope
from matcher.storage.models import AuditEntry, DecisionAction, DecisionList

from . import authorisation_probes as probes
from .authorisation_matrix import (
    EXEMPT,
    EXEMPT_MODULES,
    PROFILES,
    applies,
    document,
    rows,
    service_functions,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "authorisation.md"


def _cases():
    for row in rows():
        for state in row.state_list():
            for profile in PROFILES:
                if not applies(row.kind, profile):
                    continue
                marks = []
                hole = probes.KNOWN_HOLES.get((row.name, profile.key, state))
                if hole:
                    marks.append(pytest.mark.xfail(strict=True, reason=hole))
                yield pytest.param(
                    row, profile, state, marks=marks, id=f"{row.name}-{profile.key}-{state}"
                )


@pytest.fixture(scope="session")
def matrix_template(tmp_path_factory):
    """Return (SQLite file holding an object in each state, its MatrixWorld fields)."""
    path = tmp_path_factory.mktemp("matrix") / "template.sqlite"
    url = f"sqlite:///{path}"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        init_db(url)
        fields = probes.build()
    finally:
        if previous is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = previous
        dispose_engines()
    return path, fields


@pytest.fixture(scope="session")
def shared_copy(matrix_template, tmp_path_factory) -> Path:
    """Return one copy of the matrix database for the operations that only read."""
    path = tmp_path_factory.mktemp("matrix-reads") / "matrix.sqlite"
    shutil.copyfile(matrix_template[0], path)
    return path


@pytest.fixture
def matrix_world(request, matrix_template, shared_copy, tmp_path, monkeypatch):
    """Return the matrix world in a copy of its database (DATABASE_URL set).

    Operations that write get a private copy per cell; those that only read
    share one (a refused read writes nothing, which each cell checks).
    """
    template, fields = matrix_template
    row = request.node.callspec.params["row"]
    if row.reads_only:
        path = shared_copy
    else:
        path = tmp_path / "matrix.sqlite"
        shutil.copyfile(template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    yield probes.MatrixWorld(**fields)
    if not row.reads_only:
        dispose_engines()


def _audit_rows() -> int:
    """Return the rows of the audit log and of the decision events (never audited one by one)."""
    with session_scope(write=False) as s:
        return sum(
            s.scalar(select(func.count()).select_from(model))
            for model in (AuditEntry, DecisionList, DecisionAction)
        )


@pytest.mark.parametrize(("row", "profile", "state"), list(_cases()))
def test_cell(matrix_world, row, profile, state):
    actor = matrix_world.actors[profile.key]
    target = matrix_world.target(row.kind, state)
    allowed = row.expected(profile, state)
    hiding = (errors.PermissionDenied, errors.NotFound) + tuple(
        getattr(errors, name) for name in row.hides
    )
    before = _audit_rows()
    try:
        result = row.probe(matrix_world, actor, target)
    except hiding as exc:
        assert not allowed, f"refusé à tort : {exc}"
        assert _audit_rows() == before, "un appel refusé a écrit dans le journal ou les décisions"
        return
    if row.listed is not None:
        assert row.listed(result, target) == allowed, "listé" if not allowed else "absent"
    else:
        assert allowed, "accepté à tort"


def test_every_service_function_has_a_row_or_a_reason():
    functions = set(service_functions())
    covered = {r.operation for r in rows()} | set(EXEMPT)
    in_exempt_modules = {f for f in functions if f.split(".")[0] in EXEMPT_MODULES}
    missing = sorted(functions - covered - in_exempt_modules)
    assert missing == [], f"fonctions de service sans ligne dans la matrice ni raison : {missing}"
    stale = sorted(covered - functions)
    assert stale == [], f"lignes ou exemptions qui ne correspondent à aucune fonction : {stale}"


def test_the_document_is_up_to_date():
    assert DOC.read_text() == document(), (
        "docs/authorisation.md n'est plus à jour : "
        ".venv/bin/python -m tests.services.authorisation_matrix > docs/authorisation.md"
    )


def test_the_matrix_is_not_vacuous():
    cells = [
        (row, profile, state)
        for row in rows()
        for state in row.state_list()
        for profile in PROFILES
        if applies(row.kind, profile)
    ]
    assert len(cells) > 500
    for profile in PROFILES[1:]:
        mine = [c for c in cells if c[1] == profile]
        refused = [c for c in mine if not c[0].expected(profile, c[2])]
        # Another organisation is refused often; one's own objects are mostly one's to use.
        assert len(refused) >= len(mine) // (4 if not profile.own else 8), profile.key
    kinds = {row.kind for row in rows()}
    assert {"premise", "project", "shortlist", "kept", "request", "deal", "scenario",
            "application", "loose_premise"} <= kinds  # fmt: skip
