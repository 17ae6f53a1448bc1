"""The access matrix harness: every route × every role (and anonymous) × method.

Each feature lists its cases in ``tests/<feature>/access_cases.py``:

* ``CASES``: a list of :class:`Case` (method, path built from the world, expected status per role);
* optionally ``build(world)``: adds the feature's objects to the shared :class:`World`.

``tests/test_access_matrix.py`` runs every case for every role and checks that every
route of the application is covered by at least one case.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from certreg.vocabulary import Role
from tests import factories

ROLES = [
    "anonymous",
    "admin",
    "certifying_officer",
    "inspector",
    "auditor",
    "company_user",
    "technician",
    "kz_admin",
    "kz_inspector",
]
OFFICIALS = ("admin", "certifying_officer", "inspector", "auditor")


class World:
    """The objects every case can refer to. KG is "our" country, KZ a neighbour."""

    def __init__(self) -> None:
        self.company_own = factories.make_company(country_code="KG", activities=["service", "dealer", "importer"])
        self.company_other = factories.make_company(country_code="KG", activities=["importer"])
        self.company_kz = factories.make_company(country_code="KZ", activities=["dealer"])
        self.technician_own = factories.make_technician(employer=self.company_own)
        self.technician_other = factories.make_technician(country_code="KG")
        self.technician_kz = factories.make_technician(country_code="KZ")
        self.employment_own = self.technician_own.employments[0]
        self.users = {
            "admin": factories.make_user(Role.ADMIN, "KG"),
            "certifying_officer": factories.make_user(Role.CERTIFYING_OFFICER, "KG"),
            "inspector": factories.make_user(Role.INSPECTOR, "KG"),
            "auditor": factories.make_user(Role.AUDITOR, "KG"),
            "company_user": factories.make_user(Role.COMPANY_USER, "KG", company=self.company_own),
            "technician": factories.make_user(Role.TECHNICIAN, "KG", technician=self.technician_own),
            "kz_admin": factories.make_user(Role.ADMIN, "KZ"),
            "kz_inspector": factories.make_user(Role.INSPECTOR, "KZ"),
        }
        self.other_user = factories.make_user(Role.INSPECTOR, "KG")
        self.tokens = {role: factories.make_token(user) for role, user in self.users.items()}
        self.token_ids = {role: factories.token_id(plain) for role, plain in self.tokens.items()}
        self.today = date.today().isoformat()
        self.extra: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Case:
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    data: Callable[[World], dict] | None = None
    api: bool = False  # use the role's bearer token instead of a session
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def id(self) -> str:
        return f"{self.method} {self.note or self.path.__doc__ or ''}".strip()


def expect(default: int, **per_role: int) -> dict[str, int]:
    """Expected status for every role: ``default`` unless given per role."""
    return {role: per_role.get(role, default) for role in ROLES}


def feature_modules() -> list:
    modules = []
    base = Path(__file__).parent
    for info in pkgutil.iter_modules([str(base)]):
        if info.ispkg and (base / info.name / "access_cases.py").exists():
            modules.append(importlib.import_module(f"tests.{info.name}.access_cases"))
    return modules


def all_cases() -> list[Case]:
    return [case for module in feature_modules() for case in module.CASES]


def build_world() -> World:
    world = World()
    for module in feature_modules():
        if hasattr(module, "build"):
            module.build(world)
    return world
