"""Photos of premises: small uploads, decoded and re-encoded before they are stored.

An upload is refused unless it is a JPEG, PNG or WebP picture of bounded
size; it is then decoded and written again as a JPEG of at most
:data:`MAX_SIDE_PX` pixels a side, which drops every metadata block (EXIF
position, camera...) and anything hidden after the picture. What is stored
is what the server wrote, never the bytes received.

Rights: the premise's managers add and delete photos; whoever may see the
premise sees its photos.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import NotFound, ValidationError
from matcher.services._common import Actor, audit, check_actor, transaction
from matcher.services.fields import clean_message
from matcher.services.premise_access import _load, _load_managed
from matcher.storage.models import PremisePhoto

#: Largest upload accepted, in bytes.
MAX_UPLOAD_BYTES: Final[int] = 8 * 1024 * 1024
#: Largest picture decoded, in pixels (guards against decompression bombs).
MAX_PIXELS: Final[int] = 40_000_000
#: Longest side of the stored picture.
MAX_SIDE_PX: Final[int] = 1600
#: Photos per premise.
MAX_PHOTOS: Final[int] = 6
_FORMATS = {"JPEG", "PNG", "WEBP"}


def _reencode(data: bytes, filename: str = "photo") -> tuple[bytes, int, int]:
    """Return (JPEG bytes, width, height) of an uploaded picture; raise ValidationError.

    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (3000, 1500), "white").save(buf, "PNG")
    >>> out, w, h = _reencode(buf.getvalue())
    >>> out[:3], (w, h)
    (b'\\xff\\xd8\\xff', (1600, 800))
    """
    from PIL import Image, UnidentifiedImageError

    name = str(filename)[:100]
    if not data:
        raise ValidationError(f"Photo « {name} » : fichier vide.", field="photo")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"Photo « {name} » : {len(data) / 1e6:.1f} Mo, maximum "
            f"{MAX_UPLOAD_BYTES / 1e6:.0f} Mo.".replace(".", ","),
            field="photo",
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in _FORMATS:
                raise ValidationError(
                    f"Photo « {name} » : format {img.format or 'inconnu'} refusé "
                    "(JPEG, PNG ou WebP seulement).",
                    field="photo",
                )
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    f"Photo « {name} » : image trop grande ({width} × {height} pixels).",
                    field="photo",
                )
            img.draft("RGB", (MAX_SIDE_PX, MAX_SIDE_PX))  # JPEG: decode at a reduced size
            picture = img.convert("RGB")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            f"Photo « {name} » : ce fichier n'est pas une image lisible.", field="photo"
        ) from None
    picture.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue(), picture.width, picture.height


def add_photo(
    actor: Actor,
    premise_id: int,
    data: bytes,
    *,
    filename: str = "photo",
    caption: str | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the stored photo's description (id, size) after adding it to a premise."""
    stored, width, height = _reencode(data, filename)
    caption = clean_message("caption", caption, required=False)
    with transaction(session) as s:
        _load_managed(s, actor, premise_id, "ajout de photo")
        count = s.scalar(
            select(func.count())
            .select_from(PremisePhoto)
            .where(PremisePhoto.premise_id == premise_id)
        )
        if count >= MAX_PHOTOS:
            raise ValidationError(
                f"Le local n° {premise_id} a déjà {MAX_PHOTOS} photos : supprimez-en une d'abord.",
                field="photo",
            )
        photo = PremisePhoto(
            premise_id=premise_id,
            content_type="image/jpeg",
            data=stored,
            width_px=width,
            height_px=height,
            sha256=hashlib.sha256(stored).hexdigest(),
            caption=caption,
            created_by_id=actor.id,
        )
        s.add(photo)
        s.flush()
        audit(s, actor, "photo_add", "premise", premise_id, None, {"photo_id": photo.id})
        return {"id": photo.id, "premise_id": premise_id, "width_px": width,
                "height_px": height, "size_bytes": len(stored), "caption": caption}  # fmt: skip


def get_photo(actor: Actor, photo_id: int, *, session: Session | None = None) -> dict[str, Any]:
    """Return a photo (bytes, content type, caption) of a premise the actor may see."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        photo = s.get(PremisePhoto, photo_id)
        if photo is None:
            raise NotFound(f"Photo n° {photo_id} introuvable.")
        try:
            _load(s, actor, photo.premise_id)
        except NotFound:
            raise NotFound(f"Photo n° {photo_id} introuvable.") from None
        return {"id": photo.id, "premise_id": photo.premise_id, "data": photo.data,
                "content_type": photo.content_type, "caption": photo.caption}  # fmt: skip


def delete_photo(actor: Actor, photo_id: int, *, session: Session | None = None) -> None:
    """Delete a photo of a premise the actor manages."""
    with transaction(session) as s:
        photo = s.get(PremisePhoto, photo_id)
        if photo is None:
            raise NotFound(f"Photo n° {photo_id} introuvable.")
        _load_managed(s, actor, photo.premise_id, "suppression de photo")
        premise_id = photo.premise_id
        s.delete(photo)
        audit(s, actor, "photo_delete", "premise", premise_id, {"photo_id": photo_id}, None)
