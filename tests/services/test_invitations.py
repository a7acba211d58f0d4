"""Invitations die with their inviter's rights; password-reset links are one-time and expire."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from matcher.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from matcher.services import accounts, invitations, sessions
from matcher.storage.db import session_scope
from matcher.storage.models import Invitation, User

PASSWORD = "motdepasse-long"
NEW = "un-mot-de-passe-sûr"


def _accounts_named(email: str) -> int:
    with session_scope(write=False) as s:
        return s.scalar(select(func.count()).select_from(User).where(User.email == email))


def _unrevoke_all() -> None:
    """Simulate links made before revocation existed: only the check at acceptance is left."""
    with session_scope() as s:
        s.execute(update(Invitation).values(revoked_at=None))


def test_invitation_dies_with_its_inviters_deactivation(world):
    token = invitations.invite_user(world.owner_a, "adjoint@commune-a.fr", "owner")
    accounts.set_user_active(world.admin, world.owner_a.id, False)
    with pytest.raises(AuthenticationError, match="annulé"):
        invitations.accept_invitation(token, NEW)
    _unrevoke_all()
    with pytest.raises(AuthenticationError, match="n'est plus valable"):
        invitations.accept_invitation(token, NEW)
    assert _accounts_named("adjoint@commune-a.fr") == 0


def test_invitation_is_rechecked_when_the_inviter_moved_organisation(world):
    token = invitations.invite_user(world.holder_a, "benevole@asso-a.fr", "holder")
    user = next(u for u in accounts.list_users(world.admin) if u.id == world.holder_a.id)
    accounts.update_user(
        world.admin, user.id, {"organisation_id": world.holder_b.organisation_id}, user.version
    )
    _unrevoke_all()
    with pytest.raises(AuthenticationError, match="n'est plus valable"):
        invitations.accept_invitation(token, NEW)
    assert _accounts_named("benevole@asso-a.fr") == 0


def test_invitation_into_a_deactivated_organisation_is_refused(world):
    token = invitations.invite_user(
        world.admin, "x@commune-b.fr", "owner", world.owner_b.organisation_id
    )
    accounts.set_organisation_active(world.admin, world.owner_b.organisation_id, False)
    _unrevoke_all()
    with pytest.raises(AuthenticationError, match="désactivée"):
        invitations.accept_invitation(token, NEW)


def test_invitation_of_an_active_inviter_still_works(world):
    token = invitations.invite_user(world.owner_a, "adjoint@commune-a.fr", "owner")
    accounts.set_user_active(world.admin, world.owner_b.id, False)  # somebody else
    info = invitations.describe_link(token)
    assert (info.purpose, info.email, info.organisation_name) == (
        "join",
        "adjoint@commune-a.fr",
        "Commune A",
    )
    actor = invitations.accept_invitation(token, NEW)
    assert actor.organisation_id == world.owner_a.organisation_id


def test_pending_invitations_are_listed_and_revocable(world):
    invitations.invite_user(world.owner_a, "a@commune-a.fr", "owner")
    mine = invitations.invite_user(world.owner_a, "b@commune-a.fr", "owner")
    listed = invitations.list_invitations(world.owner_a)
    assert [i.email for i in listed] == ["b@commune-a.fr", "a@commune-a.fr"]
    assert invitations.list_invitations(world.owner_b) == []
    with pytest.raises(PermissionDenied):
        invitations.list_invitations(world.owner_b, world.owner_a.organisation_id)
    with pytest.raises(NotFound):
        invitations.revoke_invitation(world.owner_b, listed[0].id)
    invitations.revoke_invitation(world.owner_a, listed[0].id)
    with pytest.raises(AuthenticationError, match="annulé"):
        invitations.accept_invitation(mine, NEW)
    assert [i.email for i in invitations.list_invitations(world.admin)] == ["a@commune-a.fr"]


# --------------------------------------------------------------------------- reset links


def test_reset_link_sets_a_new_password_once_and_ends_every_session(world):
    opened = [sessions.open_session(world.holder_b) for _ in range(2)]
    token = invitations.create_reset_link(world.admin, world.holder_b.id)
    info = invitations.describe_link(token)
    assert (info.purpose, info.email) == ("reset", "holder_b@test.fr")
    actor = invitations.reset_password(token, NEW)
    assert actor == world.holder_b
    assert {sessions.check_session(o.token).reason for o in opened} == {"password_reset"}
    assert accounts.authenticate("holder_b@test.fr", NEW) == world.holder_b
    with pytest.raises(AuthenticationError, match="déjà servi"):
        invitations.reset_password(token, "encore-un-autre-mot")
    with pytest.raises(AuthenticationError):
        accounts.authenticate("holder_b@test.fr", PASSWORD)


def test_reset_link_expires_and_a_new_one_revokes_the_old(world):
    expired = invitations.create_reset_link(world.admin, world.fund.id, valid_hours=-1)
    with pytest.raises(AuthenticationError, match="expiré"):
        invitations.reset_password(expired, NEW)
    first = invitations.create_reset_link(world.admin, world.fund.id)
    second = invitations.create_reset_link(world.admin, world.fund.id)
    with pytest.raises(AuthenticationError, match="annulé"):
        invitations.reset_password(first, NEW)
    invitations.reset_password(second, NEW)


def test_only_admins_make_reset_links_and_never_for_a_deactivated_account(world):
    for actor in (world.owner_a, world.holder_a, world.fund):
        with pytest.raises(PermissionDenied):
            invitations.create_reset_link(actor, actor.id)
    accounts.set_user_active(world.admin, world.owner_b.id, False)
    with pytest.raises(ValidationError, match="désactivé"):
        invitations.create_reset_link(world.admin, world.owner_b.id)


def test_reset_link_dies_when_the_account_is_deactivated(world):
    token = invitations.create_reset_link(world.admin, world.owner_b.id)
    accounts.set_user_active(world.admin, world.owner_b.id, False)
    with pytest.raises(AuthenticationError, match="annulé"):
        invitations.reset_password(token, NEW)
    _unrevoke_all()
    with pytest.raises(AuthenticationError, match="désactivé"):
        invitations.reset_password(token, NEW)


def test_links_cannot_be_swapped_between_purposes(world):
    invite = invitations.invite_user(world.owner_a, "c@commune-a.fr", "owner")
    reset = invitations.create_reset_link(world.admin, world.owner_a.id)
    with pytest.raises(AuthenticationError):
        invitations.reset_password(invite, NEW)
    with pytest.raises(AuthenticationError):
        invitations.accept_invitation(reset, NEW)
    with pytest.raises(AuthenticationError, match="inconnu"):
        invitations.describe_link("devine")


def test_only_the_hash_of_a_link_is_stored(world):
    token = invitations.create_reset_link(world.admin, world.owner_a.id)
    with session_scope(write=False) as s:
        stored = list(s.scalars(select(Invitation.token_sha256)))
    assert token not in stored and all(len(h) == 64 for h in stored)
