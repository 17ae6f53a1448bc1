"""Inspection photos: checked before anything is stored, kept as files outside the database.

Limits (settings): ``INSPECTION_PHOTO_MAX_BYTES`` (refused: ``photo_too_large``), JPEG, PNG or WebP as
Pillow reads the bytes, whatever the name or declared type says (``photo_wrong_type``), at most
``INSPECTION_PHOTO_MAX_PIXELS`` pixels, read from the header before decoding, and any image Pillow
calls a decompression bomb (``photo_too_many_pixels``), and a file Pillow cannot verify
(``photo_unreadable``). Files are named ``<uuid>.<ext>`` under ``INSPECTION_PHOTOS_DIR`` and served only
to those who may read the inspection.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import uuid
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.inspections import access
from certreg.inspections.models import Inspection, Photo
from certreg.inspections.records import client_id, existing, text

logger = logging.getLogger(__name__)

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


def _bad(message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field("photo", message, code)


def inspect_image(data: bytes) -> tuple[str, str, int, int]:
    """(media type, extension, width, height) of an acceptable image. :raise ValidationFailed:."""
    config = current_app.config
    limit = int(config["INSPECTION_PHOTO_MAX_BYTES"])
    if not data:
        raise _bad(_("Choose a photo."), "required")
    if len(data) > limit:
        raise _bad(_("The photo is larger than %(mb)s MB.", mb=round(limit / 1048576, 1)), "photo_too_large")
    max_pixels = int(config["INSPECTION_PHOTO_MAX_PIXELS"])
    too_many = _("The photo has too many pixels (at most %(mp)s million).", mp=max_pixels // 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise _bad(_("Send a JPEG, PNG or WebP photo."), "photo_wrong_type")
                width, height = image.size
                if width * height > max_pixels:
                    raise _bad(too_many, "photo_too_many_pixels")
                image.verify()
                media_type, extension = FORMATS[image.format]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad(too_many, "photo_too_many_pixels") from None
    except UnidentifiedImageError:
        raise _bad(_("Send a JPEG, PNG or WebP photo."), "photo_wrong_type") from None
    except (OSError, SyntaxError, ValueError):
        raise _bad(_("The photo could not be read."), "photo_unreadable") from None
    return media_type, extension, width, height


def folder() -> Path:
    return Path(current_app.config["INSPECTION_PHOTOS_DIR"])


def add_photo(actor: Actor, inspection: Inspection, cid: str, data: bytes, caption: str = "") -> tuple[Photo, bool]:
    """Store a photo of the inspection (idempotent by ``cid``); a refused photo stores nothing."""
    actor.require(access.can_write(actor, inspection.country_code))
    cid = client_id(cid)
    found = existing(Photo, cid, inspection)
    if found is not None:
        return found, False
    caption = text(caption, "caption", 255)
    media_type, extension, width, height = inspect_image(data)
    name = f"{uuid.uuid4().hex}.{extension}"
    photo = Photo(client_id=cid, inspection_id=inspection.id, caption=caption, media_type=media_type,
                  size_bytes=len(data), width=width, height=height, sha256=hashlib.sha256(data).hexdigest(),
                  stored_name=name)
    db.session.add(photo)
    db.session.flush()
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, target / name)
    audit.record(actor, "inspection.photo", inspection, country_code=inspection.country_code,
                 summary=audit.msg("Inspection %(id)s: photo added", id=inspection.id),
                 after={"client_id": cid, "sha256": photo.sha256, "bytes": len(data)})
    return photo, True


def read_photo(actor: Actor, photo_id: int) -> tuple[Photo, bytes]:
    """:raise NotFound: no such photo, or the actor may not read its inspection."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound()
    inspection = db.session.get(Inspection, photo.inspection_id)
    if not access.can_read(actor, inspection.country_code):
        raise NotFound()
    try:
        return photo, (folder() / photo.stored_name).read_bytes()
    except FileNotFoundError:
        raise NotFound() from None
