"""Audit log in French: labels not dictionaries, integers as integers, filters, CSV and XLSX."""

from __future__ import annotations

import ast
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from matcher.errors import PermissionDenied, ValidationError
from matcher.services import accounts, audit, premises
from matcher.services.audit_labels import (
    ACTION_LABELS,
    ENTITY_LABELS,
    FIELD_LABELS,
    describe_changes,
)
from matcher.storage.db import session_scope
from matcher.storage.models import AuditEntry, Deal, Organisation, Premise, Project, User

SERVICES = Path(__file__).resolve().parents[2] / "matcher" / "services"


def _rename_premise(world, name: str) -> None:
    view = premises.get_premise(world.owner_a, world.premise_a)
    premises.update_premise(
        world.owner_a, world.premise_a, {"name": name, "floor_area_m2": 200}, view["version"]
    )


def test_a_change_reads_as_a_french_sentence(world):
    _rename_premise(world, "Poste rénovée")
    row = audit.audit_table(world.admin, entity="premise", action="update", limit=1).iloc[0]
    assert row["Action"] == "Modification" and row["Objet"] == "Local"
    assert row["Utilisateur"] == "owner_a@test.fr" and row["Organisation"] == "Commune A"
    assert row["N° de l'objet"] == world.premise_a
    assert row["Modifications"] == (
        "Nom : Ancienne poste → Poste rénovée ; Surface de plancher (m²) : 180 → 200"
    )
    assert "{" not in row["Modifications"] and ".0" not in row["Modifications"]


def test_codes_and_numbers_are_written_for_people(world):
    table = audit.audit_table(world.admin, limit=None)
    assert list(table.columns) == list(audit.COLUMNS)
    assert str(table["N°"].dtype) == "int64" and str(table["N° de l'objet"].dtype) == "Int64"
    deal = table[table["Objet"] == "Dossier du fonds"].iloc[-1]["Modifications"]
    assert "Étape : Identifié" in deal and "Ticket (€) : 100\u202f000" in deal
    org = table[(table["Objet"] == "Organisation") & (table["Action"] == "Création")]
    assert "Rôle des membres : Collectivité / propriétaire" in org.iloc[-1]["Modifications"]
    for text in table["Modifications"]:
        assert "{" not in text and "None" not in text and "True" not in text


def test_filters_by_user_organisation_object_action_and_dates(world):
    _rename_premise(world, "Poste A")
    accounts.set_user_active(world.admin, world.holder_b.id, False)
    by_user = audit.list_audit(world.admin, user_id=world.owner_a.id, limit=None)
    assert by_user and {e["user_id"] for e in by_user} == {world.owner_a.id}
    by_org = audit.list_audit(world.admin, organisation_id=world.owner_a.organisation_id)
    assert {e["organisation"] for e in by_org} == {"Commune A"}
    both = audit.list_audit(world.admin, entity=["user", "premise"], action="update")
    assert {(e["entity"], e["action"]) for e in both} == {("user", "update"), ("premise", "update")}
    today = dt.datetime.now(audit.PARIS).date()
    everything = audit.count_audit(world.admin)
    assert audit.count_audit(world.admin, since=today, until=today) == everything
    assert audit.count_audit(world.admin, until=today - dt.timedelta(days=1)) == 0
    assert audit.count_audit(world.admin, since=today + dt.timedelta(days=1)) == 0
    with pytest.raises(ValidationError, match="Filtre inconnu"):
        audit.list_audit(world.admin, who="moi")
    with pytest.raises(ValidationError, match="Date attendue"):
        audit.count_audit(world.admin, since="hier")


def test_a_day_is_a_french_calendar_day(world):
    late = dt.datetime(2024, 7, 14, 22, 30, tzinfo=dt.UTC)  # 00:30 on 15 July in Paris
    with session_scope() as s:
        s.add(AuditEntry(at=late, action="update", entity="premise", entity_id=1))
    day = dt.date(2024, 7, 15)
    assert audit.count_audit(world.admin, since=day, until=day) == 1
    assert (
        audit.count_audit(world.admin, since=dt.date(2024, 7, 14), until=dt.date(2024, 7, 14)) == 0
    )
    assert audit.audit_table(world.admin, since=day, until=day).iloc[0]["Date"] == (
        "15/07/2024 00:30:00"
    )


def test_csv_export_is_french_and_never_runs_formulas(world):
    _rename_premise(world, '=HYPERLINK("http://x")')
    data = audit.export_audit(world.admin, "csv", entity="premise", action="update")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "N°;Date;Utilisateur;Organisation;Action;Objet;N° de l'objet;Modifications"
    assert len(lines) == 2
    assert lines[1].startswith(f"{audit.list_audit(world.admin, limit=1)[0]['id']};")
    assert ";Modification;Local;1;" in lines[1]
    assert "→ =HYPERLINK" in lines[1]  # inside the sentence, not at the start of a cell


def test_xlsx_export_keeps_integers_and_french_headers(world):
    data = audit.export_audit(world.admin, "xlsx", action="create")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Journal d'audit"]
    assert [c.value for c in sheet[1]] == list(audit.COLUMNS)
    assert all(isinstance(row[0].value, int) for row in sheet.iter_rows(min_row=2))
    assert sheet.max_row - 1 == audit.count_audit(world.admin, action="create")
    with pytest.raises(ValidationError, match="Format"):
        audit.export_audit(world.admin, "pdf")


@pytest.mark.parametrize("name", ["owner_a", "holder_a", "fund"])
def test_only_admins_read_the_log(world, name):
    actor = getattr(world, name)
    for call in (audit.list_audit, audit.count_audit, audit.audit_table, audit.audit_choices):
        with pytest.raises(PermissionDenied):
            call(actor)
    with pytest.raises(PermissionDenied):
        audit.export_audit(actor, "csv")


def test_filter_choices_are_french(world):
    choices = audit.audit_choices(world.admin)
    assert choices["entity"]["premise"] == "Local"
    assert choices["action"]["apply_to_fund"] == "Candidature au fonds"


def _audited_literals() -> set[tuple[str, str]]:
    """Return every (action, entity) written as literals in an audit(...) call of the services."""
    found = set()
    for path in SERVICES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "audit":
                args = node.args[2:4]
                if all(isinstance(a, ast.Constant) for a in args):
                    found.add((args[0].value, args[1].value))
    return found


def test_every_audited_action_and_object_has_a_french_label():
    literals = _audited_literals()
    assert len(literals) > 15  # the scan found the audit calls
    assert {a for a, _e in literals} - set(ACTION_LABELS) == set()
    assert {e for _a, e in literals} - set(ENTITY_LABELS) == set()
    assert "import_update" in ACTION_LABELS  # written in bulk by import_writes
    assert "reopen" in ACTION_LABELS  # deals.move_stage names its action in a variable


def test_a_committee_decision_and_a_purge_read_as_french_sentences():
    committee = describe_changes("deal", None, {"decision": "approved", "ticket_eur": 150000.0})
    assert committee == "Décision du comité : Approuvé ; Ticket (€) : 150\u202f000"
    purge = describe_changes("decision_events", None, {"retention_days": 365, "lists": 2})
    assert purge == "Durée de conservation (jours) : 365 ; Listes supprimées : 2"


@pytest.mark.parametrize("model", [Premise, Project, Deal, User, Organisation])
def test_every_audited_column_has_a_french_label(model):
    bookkeeping = {"id", "version", "created_at", "updated_at", "catalogue_seq", "import_batch_id",
                   "password_hash", "oidc_subject", "last_login_at"}  # fmt: skip
    missing = set(model.__table__.columns.keys()) - bookkeeping - set(FIELD_LABELS)
    assert missing == set()
