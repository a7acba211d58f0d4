"""Accounts: argon2 passwords, invitations, OIDC linking, user lists, admin edits.

Throttling is tested in test_login.py, sessions in test_sessions.py, links in
test_invitations.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matcher.errors import AuthenticationError, PermissionDenied, ValidationError
from matcher.services import accounts
from matcher.storage.db import session_scope
from matcher.storage.models import User

PASSWORD = "motdepasse-long"


def test_passwords_are_stored_as_argon2id_hashes(world):
    with session_scope(write=False) as s:
        stored = s.scalar(select(User.password_hash).where(User.email == "owner_a@test.fr"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_authenticate_returns_the_actor_and_refuses_wrong_passwords(world):
    actor = accounts.authenticate(" Owner_A@Test.fr ", PASSWORD)
    assert actor == world.owner_a
    with pytest.raises(AuthenticationError, match="Identifiants incorrects"):
        accounts.authenticate("owner_a@test.fr", "mauvais-mot-de-passe")
    with pytest.raises(AuthenticationError, match="Identifiants incorrects"):
        accounts.authenticate("inconnu@test.fr", PASSWORD)  # same message: no account probing


def test_deactivated_account_cannot_log_in_nor_act(world):
    from matcher.services import premises

    accounts.set_user_active(world.admin, world.owner_a.id, False)
    with pytest.raises(AuthenticationError):
        accounts.authenticate("owner_a@test.fr", PASSWORD)
    with pytest.raises(PermissionDenied, match="désactivé"):
        premises.get_premise(world.owner_a, world.premise_a)


def test_forged_actor_with_another_role_is_refused(world):
    from dataclasses import replace

    from matcher.services import audit

    with pytest.raises(PermissionDenied):
        audit.list_audit(replace(world.owner_a, role="admin"))


def test_invitation_creates_an_account_once(world):
    token = accounts.invite_user(world.owner_a, "adjoint@commune-a.fr", "owner")
    actor = accounts.accept_invitation(token, "un-mot-de-passe-sûr", display_name="Adjoint")
    assert actor.organisation_id == world.owner_a.organisation_id and actor.role == "owner"
    assert accounts.authenticate("adjoint@commune-a.fr", "un-mot-de-passe-sûr") == actor
    with pytest.raises(AuthenticationError, match="déjà utilisée"):
        accounts.accept_invitation(token, "un-autre-mot-de-passe")


def test_invitation_expires_and_tokens_are_not_guessable(world):
    token = accounts.invite_user(
        world.admin, "x@commune-b.fr", "owner", world.owner_b.organisation_id, valid_days=-1
    )
    with pytest.raises(AuthenticationError, match="expirée"):
        accounts.accept_invitation(token, PASSWORD)
    with pytest.raises(AuthenticationError, match="inconnue"):
        accounts.accept_invitation("devine", PASSWORD)


def test_non_admin_cannot_invite_another_role(world):
    with pytest.raises(PermissionDenied):
        accounts.invite_user(world.owner_a, "x@y.fr", "admin")


def test_role_must_fit_the_organisation(world):
    with pytest.raises(ValidationError, match="ne convient pas"):
        accounts.invite_user(world.admin, "x@y.fr", "fund", world.owner_a.organisation_id)


@pytest.mark.parametrize("password", ["", "court", "123456789"])
def test_short_passwords_are_refused(world, password):
    with pytest.raises(ValidationError, match="trop court"):
        accounts.create_user(
            world.admin, "n@t.fr", "owner", world.owner_a.organisation_id, password
        )


@pytest.mark.parametrize("email", ["", "pas-une-adresse", "a@b", "a b@c.fr"])
def test_bad_emails_are_refused(world, email):
    with pytest.raises(ValidationError, match="e-mail invalide"):
        accounts.create_user(world.admin, email, "owner", world.owner_a.organisation_id, PASSWORD)


def test_duplicate_accounts_and_organisations_are_refused(world):
    with pytest.raises(ValidationError, match="existe déjà"):
        accounts.create_user(
            world.admin, "OWNER_A@test.fr", "owner", world.owner_a.organisation_id, PASSWORD
        )
    with pytest.raises(ValidationError, match="existe déjà"):
        accounts.create_organisation(world.admin, "Commune A", "owner")


def test_set_password_checks_the_current_one(world):
    with pytest.raises(AuthenticationError):
        accounts.set_password(world.fund, "faux-mot-de-passe", "nouveau-mot-de-passe")
    accounts.set_password(world.fund, PASSWORD, "nouveau-mot-de-passe")
    assert accounts.authenticate("fund@test.fr", "nouveau-mot-de-passe") == world.fund


def test_list_users_is_scoped_to_the_organisation(world):
    mine = accounts.list_users(world.owner_a)
    assert [u.email for u in mine] == ["owner_a@test.fr"]
    assert len(accounts.list_users(world.admin)) == 6
    assert [o.name for o in accounts.list_organisations(world.holder_b)] == ["Association B"]


def test_oidc_login_links_an_existing_account_only(world):
    actor = accounts.login_with_oidc("holder_b@test.fr", "sub-123")
    assert actor == world.holder_b
    assert accounts.login_with_oidc("holder_b@test.fr", "sub-123") == world.holder_b
    with pytest.raises(AuthenticationError, match="ne correspond pas"):
        accounts.login_with_oidc("holder_b@test.fr", "sub-autre")
    with pytest.raises(AuthenticationError, match="Aucun compte"):
        accounts.login_with_oidc("inconnu@test.fr", "sub-9")
    with pytest.raises(AuthenticationError, match="non vérifiée"):
        accounts.login_with_oidc("holder_a@test.fr", "sub-1", email_verified=False)


def test_bootstrap_admin_makes_a_first_admin_in_an_empty_database(empty_db):
    admin = accounts.bootstrap_admin("root@x.fr", PASSWORD)
    assert admin.role == "admin"
    assert accounts.authenticate("root@x.fr", PASSWORD) == admin


def test_deactivated_organisation_blocks_its_members(world):
    from matcher.services import premises

    info = accounts.set_organisation_active(world.admin, world.owner_b.organisation_id, False)
    assert not info.is_active
    with pytest.raises(PermissionDenied, match="organisation est désactivée"):
        premises.list_premises(world.owner_b)
    with pytest.raises(AuthenticationError):
        accounts.authenticate("owner_b@test.fr", PASSWORD)
    assert premises.list_premises(world.owner_a)  # other organisations unaffected
    with pytest.raises(PermissionDenied):
        accounts.set_organisation_active(world.owner_a, world.owner_b.organisation_id, True)


def test_admin_renames_an_organisation_under_optimistic_locking(world):
    from matcher.errors import ConcurrentModification

    org = next(o for o in accounts.list_organisations(world.admin) if o.name == "Commune A")
    renamed = accounts.update_organisation(
        world.admin, org.id, {"name": "Commune A (nouvelle)", "siren": "213 100 555"}, org.version
    )
    assert (renamed.name, renamed.siren, renamed.version) == (
        "Commune A (nouvelle)",
        "213100555",
        org.version + 1,
    )
    with pytest.raises(ConcurrentModification, match="modifié entre-temps"):
        accounts.update_organisation(world.admin, org.id, {"name": "Autre"}, org.version)
    with pytest.raises(ValidationError, match="SIREN invalide"):
        accounts.update_organisation(world.admin, org.id, {"siren": "12"}, renamed.version)
    with pytest.raises(ValidationError, match="ne change pas"):
        accounts.update_organisation(world.admin, org.id, {"kind": "fund"}, renamed.version)
    with pytest.raises(PermissionDenied):
        accounts.update_organisation(world.owner_a, org.id, {"name": "X"}, renamed.version)


def test_changing_a_role_moves_the_account_to_an_organisation_of_that_kind(world):
    user = next(u for u in accounts.list_users(world.admin) if u.email == "owner_a@test.fr")
    holder_org = world.holder_b.organisation_id
    with pytest.raises(ValidationError, match="ne convient pas"):
        accounts.update_user(world.admin, user.id, {"role": "holder"}, user.version)
    moved = accounts.update_user(
        world.admin, user.id, {"role": "holder", "organisation_id": holder_org}, user.version
    )
    assert (moved.role, moved.organisation_id, moved.organisation_name) == (
        "holder",
        holder_org,
        "Association B",
    )
    # The old Actor (owner of Commune A) is refused at once; a new login gets the new role.
    with pytest.raises(PermissionDenied):
        accounts.list_users(world.owner_a)
    assert accounts.authenticate("owner_a@test.fr", PASSWORD).role == "holder"


def test_login_does_not_move_the_account_version(world):
    """An admin editing an account is not refused because its owner logged in meanwhile."""
    before = next(u for u in accounts.list_users(world.admin) if u.email == "fund@test.fr")
    accounts.authenticate("fund@test.fr", PASSWORD)
    after = accounts.update_user(
        world.admin, before.id, {"display_name": "Chargée"}, before.version
    )
    assert after.display_name == "Chargée" and after.version == before.version + 1


def test_admin_edits_are_audited_with_old_and_new_values(world):
    from matcher.services.audit import list_audit

    user = next(u for u in accounts.list_users(world.admin) if u.email == "holder_a@test.fr")
    accounts.update_user(world.admin, user.id, {"display_name": "Claire"}, user.version)
    entry = list_audit(world.admin, entity="user", entity_id=user.id, limit=1)[0]
    assert (entry["action"], entry["old_values"], entry["new_values"]) == (
        "update",
        {"display_name": "holder_a"},
        {"display_name": "Claire"},
    )
