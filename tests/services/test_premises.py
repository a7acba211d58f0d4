"""Premises: public and full views, validation, versioned edits, audit in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.errors import ConcurrentModification, NotFound, ValidationError
from matcher.services import audit, catalogue, premises
from matcher.storage.db import session_scope
from matcher.storage.models import PREMISE_PRIVATE_FIELDS, AuditEntry


def test_holder_sees_public_fields_only(world):
    view = premises.get_premise(world.holder_a, world.premise_a)
    assert view["view"] == "public" and view["name"] == "Ancienne poste"
    assert not set(PREMISE_PRIVATE_FIELDS) & set(view)
    listed = premises.list_premises(world.fund)
    assert listed and all(not set(PREMISE_PRIVATE_FIELDS) & set(v) for v in listed)


def test_owner_sees_own_private_fields_but_not_others(world):
    listed = {v["id"]: v for v in premises.list_premises(world.owner_a)}
    assert listed[world.premise_a]["internal_notes"].startswith("Note interne")
    assert "internal_notes" not in listed[world.premise_b]
    assert premises.list_premises(world.owner_a, {"mine": True})[0]["id"] == world.premise_a


def test_withdrawn_premises_are_hidden_from_other_organisations(world):
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    premises.change_status(world.owner_a, world.premise_a, "withdrawn", version)
    with pytest.raises(NotFound):
        premises.get_premise(world.holder_a, world.premise_a)
    assert world.premise_a not in {v["id"] for v in premises.list_premises(world.owner_b)}
    assert world.premise_a in {v["id"] for v in premises.list_premises(world.owner_a)}


def test_filters(world):
    assert [v["id"] for v in premises.list_premises(world.holder_a, {"kind": "bank_branch"})] == [
        world.premise_b
    ]
    assert premises.list_premises(world.holder_a, {"min_floor_area_m2": 1000}) == []
    with pytest.raises(ValidationError, match="Filtre inconnu"):
        premises.list_premises(world.holder_a, {"colour": "red"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "castle"}, "inconnue"),
        ({"floor_area_m2": -5}, "hors bornes"),
        ({"lat": 123}, "hors bornes"),
        ({"levels": "deux"}, "nombre attendu"),
        ({"insee_code": "ABCDE"}, "code INSEE"),
        ({"available_from": "demain"}, "date attendue"),
        ({"pmr_accessible": "peut-être"}, "oui/non"),
        ({"kind": None}, "obligatoire"),
        ({"colour": "red"}, "Champ inconnu"),
    ],
)
def test_bad_values_are_refused_in_french(world, changes, message):
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    with pytest.raises(ValidationError, match=message):
        premises.update_premise(world.owner_a, world.premise_a, changes, version)


def test_update_writes_audit_with_old_and_new_values(world):
    before = premises.get_premise(world.owner_a, world.premise_a)
    after = premises.update_premise(
        world.owner_a, world.premise_a, {"floor_area_m2": "210,5"}, before["version"]
    )
    assert after["floor_area_m2"] == 210.5 and after["version"] == before["version"] + 1
    entry = audit.list_audit(world.admin, entity="premise", entity_id=world.premise_a)[0]
    assert entry["user_email"] == "owner_a@test.fr" and entry["action"] == "update"
    assert entry["old_values"] == {"floor_area_m2": 180.0}
    assert entry["new_values"] == {"floor_area_m2": 210.5}


def test_stale_edit_is_refused_with_a_clear_message(world):
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    premises.update_premise(world.admin, world.premise_a, {"name": "Par l'admin"}, version)
    with pytest.raises(ConcurrentModification, match="modifié entre-temps") as info:
        premises.update_premise(world.owner_a, world.premise_a, {"levels": 2}, version)
    assert info.value.changes == {"levels": 2}
    assert premises.get_premise(world.owner_a, world.premise_a)["name"] == "Par l'admin"


def test_audit_and_change_share_one_transaction(world):
    """If the transaction fails after the change, neither the change nor its audit remain."""
    with session_scope(write=False) as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    with pytest.raises(RuntimeError), session_scope() as s:
        premises.update_premise(world.owner_a, world.premise_a, {"name": "X"}, version, session=s)
        raise RuntimeError("panne après l'écriture")
    with session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert premises.get_premise(world.owner_a, world.premise_a)["name"] == "Ancienne poste"


def test_every_premise_write_bumps_the_catalogue_version(world):
    v0 = catalogue.catalogue_version()
    created = premises.create_premise(world.owner_b, {"kind": "school", "name": "École"})
    v1 = catalogue.catalogue_version()
    premises.change_status(world.owner_b, created["id"], "reserved", created["version"])
    v2 = catalogue.catalogue_version()
    assert v0 < v1 < v2
    with pytest.raises(ValidationError):
        premises.create_premise(world.owner_b, {"kind": "castle"})
    assert catalogue.catalogue_version() == v2  # a refused write does not bump it


def test_created_premise_defaults(world):
    view = premises.create_premise(world.owner_a, {"kind": "shop"})
    assert view["status"] == "available" and view["source"] == "manual" and view["version"] == 1
    assert view["owner_org"] == "Commune A"


def test_admin_cannot_attach_a_premise_to_a_holder(world):
    with pytest.raises(ValidationError, match="n'est pas une collectivité"):
        premises.create_premise(
            world.admin, {"kind": "shop", "organisation_id": world.holder_a.organisation_id}
        )
