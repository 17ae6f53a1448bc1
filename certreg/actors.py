"""Who is acting: a signed-in user, an API token's user, or an operator at the command line.

Every service takes the acting :class:`Actor` explicitly and checks what it may do.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certreg.errors import Forbidden
from certreg.vocabulary import Role

if TYPE_CHECKING:
    from certreg.auth.models import User


@dataclass(frozen=True, slots=True)
class Actor:
    user: User | None
    label: str
    is_system: bool = False

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user=user, label=user.email)

    @classmethod
    def system(cls, label: str | None = None) -> Actor:
        """The operator running a ``flask ...`` command: full rights, recorded as ``cli:<os user>``."""
        if label is None:
            try:
                label = getpass.getuser()
            except Exception:  # no passwd entry in some containers
                label = "unknown"
        return cls(user=None, label=f"cli:{label}", is_system=True)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user is not None else None

    @property
    def country_code(self) -> str | None:
        return self.user.country_code if self.user is not None else None

    def has_role(self, *roles: Role) -> bool:
        return self.user is not None and self.user.role in roles

    def in_country(self, country_code: str | None, *roles: Role) -> bool:
        """A user of one of ``roles`` (any role if none given) working for ``country_code``."""
        if self.user is None or self.user.country_code != country_code:
            return False
        return not roles or self.user.role in roles

    def acts_for_company(self, company_id: int | None) -> bool:
        return self.has_role(Role.COMPANY_USER) and company_id is not None and self.user.company_id == company_id

    def acts_for_technician(self, technician_id: int | None) -> bool:
        return (
            self.has_role(Role.TECHNICIAN)
            and technician_id is not None
            and self.user.technician_id == technician_id
        )

    def require(self, allowed: bool) -> None:
        if not (self.is_system or allowed):
            raise Forbidden()
