"""A premise's life: details, photos, history, withdraw, delete, and no duplicate on resubmit."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image
from sqlalchemy import func, select

from matcher.errors import (
    ConcurrentModification,
    FormErrors,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from matcher.services import (
    audit,
    catalogue,
    history,
    photos,
    premises,
    projects,
    requests,
    shortlists,
)
from matcher.services.submissions import new_token
from matcher.storage.db import session_scope
from matcher.storage.models import Premise


def _count() -> int:
    with session_scope(write=False) as s:
        return s.scalar(select(func.count()).select_from(Premise))


def test_details_are_public_and_contacts_private(world):
    view = premises.get_premise(world.owner_a, world.premise_a)
    premises.update_premise(
        world.owner_a, world.premise_a,
        {"description": "Deux salles\r\nau rez-de-chaussée", "links": "https://exemple.fr/a.jpg",
         "contact_phone": "05 63 00 00 00"},
        view["version"],
    )  # fmt: skip
    public = premises.get_premise(world.holder_a, world.premise_a)
    assert public["description"] == "Deux salles\nau rez-de-chaussée"
    assert public["links"] == "https://exemple.fr/a.jpg"
    assert "contact_phone" not in public and "internal_notes" not in public
    assert premises.get_premise(world.owner_a, world.premise_a)["contact_phone"] == "05 63 00 00 00"


def test_control_characters_never_reach_the_database(world):
    made = premises.create_premise(
        world.owner_a, {"kind": "shop", "name": "Bou\x00tique\x1b", "description": "a\x00\nb"}
    )
    assert (made["name"], made["description"]) == ("Boutique", "a\nb")


def test_unusual_values_are_saved_with_a_warning(world):
    made = premises.create_premise(world.owner_a, {"kind": "shop", "rent_eur_m2_year": 2500})
    assert made["rent_eur_m2_year"] == 2500 and "à vérifier" in made["warnings"]["rent_eur_m2_year"]


def test_every_bad_field_is_named_with_its_french_label(world):
    with pytest.raises(FormErrors) as info:
        premises.create_premise(world.owner_a, {"floor_area_m2": -50, "rent_eur_m2_year": "cher"})
    assert set(info.value.errors) == {"floor_area_m2", "rent_eur_m2_year", "kind"}
    assert info.value.errors["kind"] == "Type de local : champ obligatoire."


def test_same_form_token_creates_one_premise(world):
    token = new_token()
    before = _count()
    first = premises.create_premise(
        world.owner_a, {"kind": "shop", "name": "Une fois"}, token=token
    )
    again = premises.create_premise(
        world.owner_a, {"kind": "shop", "name": "Une fois"}, token=token
    )
    assert first["id"] == again["id"] and again["replayed"] and not first["replayed"]
    assert _count() == before + 1
    other = premises.create_premise(
        world.owner_a, {"kind": "shop", "name": "Une fois"}, token=new_token()
    )
    assert other["id"] != first["id"]


def test_concurrent_submissions_of_one_form_create_one_premise(world):
    token, before, ids, errors = new_token(), _count(), [], []

    def submit():
        try:
            ids.append(premises.create_premise(world.owner_a, {"kind": "shop"}, token=token)["id"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [e for e in errors if not isinstance(e, ConcurrentModification)], errors
    assert len(set(ids)) == 1 and _count() == before + 1


def test_a_token_is_per_user(world):
    token = new_token()
    a = premises.create_premise(world.owner_a, {"kind": "shop"}, token=token)
    b = premises.create_premise(world.owner_b, {"kind": "shop"}, token=token)
    assert a["id"] != b["id"]


def test_project_and_request_forms_are_idempotent_too(world):
    token = new_token()
    values = {"name": "Tiers-lieu unique", "project_type": "fablab"}
    one = projects.create_project(world.holder_a, values, token=token)
    two = projects.create_project(world.holder_a, values, token=token)
    assert one["id"] == two["id"]
    token = new_token()
    r1 = requests.create_request(world.holder_a, world.premise_a, "Visite ?", token=token)
    r2 = requests.create_request(world.holder_a, world.premise_a, "Visite ?", token=token)
    assert r1["id"] == r2["id"] and r2["replayed"]


def test_history_is_french_sentences(world):
    view = premises.get_premise(world.owner_a, world.premise_a)
    view = premises.update_premise(
        world.owner_a, world.premise_a, {"floor_area_m2": 240, "internal_notes": "secret"},
        view["version"],
    )  # fmt: skip
    premises.change_status(world.owner_a, world.premise_a, "reserved", view["version"])
    lines = history.object_history(world.owner_a, "premise", world.premise_a)
    assert lines[0]["action"] == "Modification"
    assert lines[0]["changes"] == ["Statut : Disponible → Réservé"]
    assert set(lines[1]["changes"]) == {
        "Surface de plancher : 180 m² → 240 m²",
        "Notes internes : modifié",  # a private value is never repeated in a history
    }
    assert lines[-1]["action"] == "Création" and lines[-1]["who"]
    with pytest.raises(PermissionDenied):
        history.object_history(world.owner_b, "premise", world.premise_a)
    with pytest.raises(PermissionDenied):
        history.object_history(world.holder_a, "premise", world.premise_a)


def test_withdrawn_premise_is_not_readable_through_an_older_shortlist(world):
    # holder A kept premise B (owner B) in its shortlist when the world was built
    kept = shortlists.get_shortlist(world.holder_a, world.shortlist_a)["matches"][0]
    assert kept["premise_name"] == "Agence bancaire B" and kept["score_total"] == 72.5
    version = premises.get_premise(world.owner_b, world.premise_b)["version"]
    premises.change_status(world.owner_b, world.premise_b, "withdrawn", version)
    for reader in (world.holder_a, world.fund):
        match = shortlists.get_shortlist(reader, world.shortlist_a)["matches"][0]
        assert match["withdrawn"] and match["premise_name"] == shortlists.WITHDRAWN_LABEL
        assert match["insee_code"] is None and match["score_total"] is None
        assert match["explanation"] is None and match["scores"] is None
    with pytest.raises(NotFound):
        shortlists.keep_match(world.holder_a, world.shortlist_a, world.premise_b, score_total=50)


def test_withdrawn_premise_name_is_hidden_in_the_holders_requests(world):
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    premises.change_status(world.owner_a, world.premise_a, "withdrawn", version)
    sent = requests.list_requests(world.holder_a)[0]
    assert sent["premise_name"] == requests.WITHDRAWN_LABEL
    assert requests.list_requests(world.owner_a)[0]["premise_name"] == "Ancienne poste"


def test_requests_of_one_premise(world):
    assert [r["id"] for r in requests.list_requests(world.owner_a, premise_id=world.premise_a)] == [
        world.request_a
    ]
    assert requests.list_requests(world.owner_a, premise_id=world.premise_b) == []


def test_keep_in_project_creates_the_first_list_then_reuses_it(world):
    kept = shortlists.keep_in_project(
        world.holder_a, world.project_a2, world.premise_a, score_total=61
    )
    lists = shortlists.list_shortlists(world.holder_a, world.project_a2)
    assert [(sl["name"], sl["size"]) for sl in lists] == [("Sélection", 1)]
    again = shortlists.keep_in_project(
        world.holder_a, world.project_a2, world.premise_b, score_total=40
    )
    assert again["shortlist_id"] == kept["shortlist_id"]
    with pytest.raises(ValidationError, match="n'appartient pas"):
        shortlists.keep_in_project(
            world.holder_a, world.project_a2, world.premise_b, shortlist_id=world.shortlist_a
        )
    with pytest.raises(PermissionDenied):
        shortlists.keep_in_project(world.holder_b, world.project_a2, world.premise_b)


def test_delete_an_unused_premise(world):
    made = premises.create_premise(world.owner_a, {"kind": "shop", "name": "Erreur de saisie"})
    v0 = catalogue.catalogue_version()
    with pytest.raises(PermissionDenied):
        premises.delete_premise(world.owner_b, made["id"], made["version"])
    with pytest.raises(ConcurrentModification):
        premises.delete_premise(world.owner_a, made["id"], made["version"] + 1)
    premises.delete_premise(world.owner_a, made["id"], made["version"])
    with pytest.raises(NotFound):
        premises.get_premise(world.owner_a, made["id"])
    assert catalogue.catalogue_version() > v0
    entry = audit.list_audit(world.admin, entity="premise", entity_id=made["id"])[0]
    assert entry["action"] == "delete" and entry["old_values"]["name"] == "Erreur de saisie"


def test_a_followed_premise_is_withdrawn_not_deleted(world):
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    with pytest.raises(ValidationError, match="1 demande") as info:
        premises.delete_premise(world.owner_a, world.premise_a, version)
    assert "Retiré" in str(info.value)
    assert premises.get_premise(world.owner_a, world.premise_a)["id"] == world.premise_a


def _png(width=640, height=480) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", (width, height), (200, 100, 50))
    exif = Image.Exif()
    exif[0x010F] = "Appareil secret"  # Make
    img.save(buf, "PNG", exif=exif.tobytes())
    return buf.getvalue()


def test_photos_are_reencoded_without_metadata(world):
    added = photos.add_photo(world.owner_a, world.premise_a, _png(), filename="facade.png")
    got = photos.get_photo(world.holder_a, added["id"])
    assert got["content_type"] == "image/jpeg" and got["data"][:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(got["data"])) as img:
        assert not img.getexif() and img.size == (640, 480)
    assert premises.get_premise(world.holder_a, world.premise_a)["photo_ids"] == [added["id"]]
    with pytest.raises(PermissionDenied):
        photos.add_photo(world.owner_b, world.premise_a, _png())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"%PDF-1.4 pas une image", "pas une image"),
        (b"GIF89a" + b"\0" * 40, "image"),
    ],
)
def test_bad_photos_are_refused_in_french(world, data, message):
    with pytest.raises(ValidationError, match=message):
        photos.add_photo(world.owner_a, world.premise_a, data, filename="x")


def test_huge_picture_headers_are_refused_before_decoding(world):
    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, "PNG")  # 81 Mpx, a few kB compressed
    with pytest.raises(ValidationError, match="trop grande"):
        photos.add_photo(world.owner_a, world.premise_a, buf.getvalue())


def test_photos_of_a_withdrawn_premise_are_hidden(world):
    added = photos.add_photo(world.owner_a, world.premise_a, _png())
    version = premises.get_premise(world.owner_a, world.premise_a)["version"]
    premises.change_status(world.owner_a, world.premise_a, "withdrawn", version)
    with pytest.raises(NotFound):
        photos.get_photo(world.holder_a, added["id"])
    assert photos.get_photo(world.owner_a, added["id"])["data"]
