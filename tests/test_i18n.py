"""English and Russian are complete: every extracted string has a Russian translation."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from tests.access import build_world
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent


def _i18n_script():
    spec = importlib.util.spec_from_file_location("certreg_i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need their module registered
    spec.loader.exec_module(module)
    return module


def test_every_string_is_translated_into_russian():
    problems = _i18n_script().problems()
    assert problems == [], "\n".join(problems[:50])


def test_catalogue_check_catches_a_missing_translation(tmp_path, monkeypatch):
    """The check above can fail: a template with a new string is reported."""
    script = _i18n_script()
    template = tmp_path / "probe.html"
    template.write_text('{{ _("A string nobody translated yet") }}')
    domains = list(script.domains())
    domains[0].files.append((template, "jinja2"))
    monkeypatch.setattr(script, "domains", lambda: iter(domains))
    assert any("A string nobody translated yet" in p for p in script.problems())


ENGLISH_WORDS = re.compile(r">\s*(Sign in|Sign out|Search|Save|Technicians|Companies|Register a technician|"
                           r"Registration number|Account|Users)\s*<")


def test_main_pages_render_in_russian_for_every_role(app):
    world = build_world()
    pages = ["/", "/search?q=Test", "/account", "/account/tokens", "/registry/technicians",
             "/registry/companies", f"/registry/technicians/{world.technician_own.id}",
             f"/registry/companies/{world.company_own.id}", "/admin/users", "/admin/users/new",
             "/registry/technicians/new", "/registry/companies/new"]
    for role in ["admin", "company_user", "technician", "inspector"]:
        client = app.test_client()
        client.set_cookie("certreg_lang", "ru")
        login(client, world.users[role])
        for path in pages:
            response = client.get(path, headers={"Accept-Language": "ru"})
            if response.status_code != 200:
                continue
            html = response.get_data(as_text=True)
            assert 'lang="ru"' in html
            leftover = ENGLISH_WORDS.findall(html)
            assert not leftover, f"{role} {path}: {leftover}"
