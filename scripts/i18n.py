#!/usr/bin/env python3
"""Message catalogues, one per feature.

    python scripts/i18n.py update    extract strings and update every language's .po
    python scripts/i18n.py compile   write the .mo files Flask-Babel reads
    python scripts/i18n.py check     fail on any string without a translation (the tests run this)

A feature is a package ``certreg/<name>/``: its catalogue lives in
``certreg/<name>/translations`` and holds the strings of ``certreg/<name>/**.py`` and
``templates/<name>/**``. Everything else (``certreg/*.py``, ``certreg/api``,
``templates/*.html``, ``templates/_macros``, ``templates/errors``, ``static/js``) is in the
shared catalogue ``certreg/translations``.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "certreg"
TEMPLATES = ROOT / "templates"
LANGUAGES = ["ru", "zh_Hans", "kk", "ky", "uz"]  # complete catalogues (config.LANGUAGES minus "en")
# The verifier set (config.PUBLIC_LANGUAGES): only the strings of the public pages, listed below.
PUBLIC_LANGUAGES = ["sq", "hy", "az", "bs", "sr", "sr_Latn", "ka", "mk", "mn", "ro", "tg", "tr", "tk"]
# The public pages (/v/ verify, the offline page, public search, sign-in, the public home page and errors):
# every string extracted from these files, plus the Python-side messages they show (PUBLIC_MESSAGES).
PUBLIC_SOURCES = {
    "templates/base.html", "templates/_language_menu.html", "templates/errors/error.html",
    "templates/_macros/forms.html",
    "templates/certificates/verify.html", "certreg/certificates/verify_views.py",
    "certreg/certificates/category_names.py",  # the verify page names the certificate's categories
    "templates/auth/login.html", "templates/auth/home_public.html",
    "templates/registry/search.html", "templates/registry/_certification_status.html",
    "templates/licences/check.html", "templates/licences/_check_facts.html",  # the licence check /l/
    "certreg/licences/check_views.py",
    # the cylinder label check /c/ (online and offline), its warnings, and the printed label
    "templates/cylinders/scan.html", "templates/cylinders/_scan_facts.html", "certreg/cylinders/scan_texts.py",
    "certreg/cylinders/scanning.py",
    "certreg/cylinders/labels.py",
}
PUBLIC_MESSAGES = {
    "E-mail", "Password", "Country", "All countries", "This field is required.", "Wrong e-mail or password.",
    "Too many sign-in attempts for this account. Try again in %(minutes)s minutes.",
    "Please sign in to see this page.", "You have signed out.", "Not found", "Not found.", "Too many requests",
    "Too many requests. Try again later.", "Too many checks from this device. Try again in %(seconds)s seconds.",
    "Issued", "Issued as a renewal", "Replaced by a renewal", "Suspended", "Reinstated", "Revoked",
    # cylinder kinds, statuses and conditions (certreg.cylinders.models), shown on /c/ and printed on labels
    "Refillable cylinder", "Non-refillable (disposable) cylinder", "Recovery cylinder", "Drum or ISO tank",
    "In stock", "With a technician", "Empty", "Returned", "Destroyed", "Reported lost or stolen", "Seized",
    "Virgin (new)", "Recovered", "Recycled", "Reclaimed", "For destruction",
}
# ``msg``: certreg.audit.services.msg, an audit summary shown in the reader's language.
# ``N_``: a no-op marker for data that is shown translated (built-in category names, substance words).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2), "msg": None, "N_": None}
SHARED_PACKAGES = {"api"}  # packages without a catalogue of their own


@dataclass
class Domain:
    name: str
    directory: Path  # the translations folder
    files: list[tuple[Path, str]]  # (file, extraction method)


def _files(base: Path, pattern: str, method: str) -> list[tuple[Path, str]]:
    return [(p, method) for p in sorted(base.glob(pattern)) if p.is_file()] if base.exists() else []


def domains() -> Iterator[Domain]:
    features = sorted(
        p.name for p in PACKAGE.iterdir()
        if (p / "__init__.py").exists() and p.name not in SHARED_PACKAGES and not p.name.startswith("_")
    )
    shared = _files(PACKAGE, "*.py", "python")
    for name in SHARED_PACKAGES:
        shared += _files(PACKAGE / name, "**/*.py", "python")
    shared += _files(TEMPLATES, "*.html", "jinja2")
    feature_dirs = {TEMPLATES / f for f in features}
    for sub in sorted(p for p in TEMPLATES.iterdir() if p.is_dir() and p not in feature_dirs):
        shared += _files(sub, "**/*.html", "jinja2")
        shared += _files(sub, "**/*.js", "jinja2")
    yield Domain("shared", PACKAGE / "translations", shared)
    for name in features:
        files = _files(PACKAGE / name, "**/*.py", "python") + _files(TEMPLATES / name, "**/*.html", "jinja2") \
            + _files(TEMPLATES / name, "**/*.js", "jinja2") + _files(TEMPLATES / name, "**/*.txt", "jinja2")
        if files:
            yield Domain(name, PACKAGE / name / "translations", files)


def extract(domain: Domain) -> Catalog:
    template = Catalog(project="certreg", msgid_bugs_address="", charset="utf-8")
    for path, method in domain.files:
        if path.suffix == ".py" and "/translations/" in str(path):
            continue
        func = "python" if method == "python" else "jinja2.ext:babel_extract"
        options = {} if method == "python" else {"trimmed": "true"}
        for lineno, message, comments, context in extract_from_file(
            func, str(path), keywords=KEYWORDS, options=options, strip_comment_tags=True
        ):
            where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
            template.add(message, None, [(where, lineno)], auto_comments=comments,
                         context=context)
    return template


def public_part(template: Catalog) -> Catalog:
    """The messages of ``template`` that the public pages use (see PUBLIC_SOURCES)."""
    part = Catalog(project="certreg", msgid_bugs_address="", charset="utf-8")
    for message in template:
        key = message.id if isinstance(message.id, str) else (message.id[0] if message.id else "")
        if key and (key in PUBLIC_MESSAGES or any(where in PUBLIC_SOURCES for where, _ in message.locations)):
            part.add(message.id, None, message.locations, auto_comments=message.auto_comments,
                     context=message.context)
    return part


def catalogue_languages(template: Catalog) -> Iterator[tuple[str, Catalog]]:
    """Each language with the messages it must have: all of them, or the public part for the verifier set."""
    for lang in LANGUAGES:
        yield lang, template
    public = public_part(template)
    if len(public):
        for lang in PUBLIC_LANGUAGES:
            yield lang, public


def po_path(domain: Domain, lang: str) -> Path:
    return domain.directory / lang / "LC_MESSAGES" / "messages.po"


def known_translations() -> dict[str, dict[object, object]]:
    """Every translation in every catalogue, per language: a string that moves from one feature to
    another (or to the shared catalogue) keeps its translation."""
    known: dict[str, dict[object, object]] = {}
    for path in sorted(PACKAGE.glob("**/translations/*/LC_MESSAGES/messages.po")):
        lang = path.parent.parent.name
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                done = message.string if isinstance(message.string, str) else all(message.string)
                if message.id and done and not message.fuzzy:
                    known.setdefault(lang, {}).setdefault(message.id, message.string)
    return known


def update() -> None:
    known = known_translations()
    for domain in domains():
        full = extract(domain)
        if not len(full):
            continue
        for lang, shared_template in catalogue_languages(full):
            # Catalog.update adopts the template's Message objects: each language gets its own copy, or
            # a translation filled in below for one language would show in the next.
            template = copy.deepcopy(shared_template)
            path = po_path(domain, lang)
            if path.exists():
                with path.open("rb") as fh:
                    catalog = read_po(fh, locale=lang)
                created = catalog.creation_date
                catalog.update(template, update_header_comment=False)
                catalog.creation_date = created  # a header that changes on every run only makes merge conflicts
                catalog.obsolete.clear()
            else:
                catalog = Catalog(locale=lang, project="certreg", charset="utf-8")
                catalog.update(template)
            for message in catalog:
                empty = not message.string or (not isinstance(message.string, str) and not all(message.string))
                if message.id and (empty or message.fuzzy) and message.id in known.get(lang, {}):
                    message.string = known[lang][message.id]
                    message.flags.discard("fuzzy")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                # Sorted and without source locations: two branches that add strings rarely touch the same lines.
                write_po(fh, catalog, width=100, sort_output=True, no_location=True, include_previous=False,
                         omit_header=False)
            untranslated = sum(1 for m in catalog if m.id and (not m.string or m.fuzzy))
            print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {untranslated} to translate")


def compile_all() -> None:
    for domain in domains():
        for lang in LANGUAGES + PUBLIC_LANGUAGES:
            path = po_path(domain, lang)
            if not path.exists():
                continue
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            target = path.with_suffix(".mo")
            partial = target.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            os.replace(partial, target)  # atomic: parallel test workers may compile at once


def problems() -> list[str]:
    """Every extracted string that lacks a (non-fuzzy) translation, or whose placeholders differ."""
    found = []
    for domain in domains():
        for lang, template in catalogue_languages(extract(domain)):
            path = po_path(domain, lang)
            if not path.exists():
                if len(template):
                    found.append(f"{path.relative_to(ROOT)}: missing ({len(template)} strings)")
                continue
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            for message in template:
                if not message.id:
                    continue
                translated = catalog.get(message.id, context=message.context)
                strings = (translated.string if isinstance(translated.string, (list, tuple))
                           else [translated.string]) if translated else []
                if translated is None or translated.fuzzy or not all(strings):
                    where = message.locations[0] if message.locations else ("?", 0)
                    found.append(f"{lang} {where[0]}:{where[1]}: untranslated {message.id!r}")
            for message, errors in catalog.check():
                for error in errors:
                    found.append(f"{lang} {path.relative_to(ROOT)}: {message.id!r}: {error}")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        issues = problems()
        for line in issues:
            print(line)
        print(f"{len(issues)} problem(s)")
        return 1 if issues else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
