"""Password rules (NIST SP 800-63B rev. 4, 3.1.1): length and a list of common passwords, nothing else.

At least ``MIN_LENGTH`` characters (``MIN_LENGTH_OFFICIAL`` for officials), at most
``MAX_LENGTH``, and not on the shipped list of common, breached passwords
(``data/common-passwords.txt.gz``, see ``data/README.md``). No composition rules.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from flask_babel import gettext as _

from certreg.errors import ValidationFailed

MIN_LENGTH = 8
MIN_LENGTH_OFFICIAL = 15
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def min_length(*, official: bool) -> int:
    return MIN_LENGTH_OFFICIAL if official else MIN_LENGTH


def check_password_strength(password: str, *, official: bool = False, field: str = "password") -> None:
    """:raise ValidationFailed: ``password_too_short``, ``too_long`` or ``password_common``."""
    password = password or ""
    needed = min_length(official=official)
    if len(password) < needed:
        raise ValidationFailed.for_field(field, _("Use at least %(n)s characters.", n=needed), "password_too_short")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed.for_field(field, _("Use at most %(n)s characters.", n=MAX_LENGTH), "too_long")
    if password.strip().lower() in common_passwords():
        raise ValidationFailed.for_field(
            field, _("This password is on a list of common or breached passwords. Choose another."),
            "password_common")
