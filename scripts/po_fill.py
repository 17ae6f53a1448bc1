#!/usr/bin/env python3
"""Translation passes over every catalogue of a language (the delta pass after new strings land).

    python scripts/po_fill.py todo [LANG ...] > todo.json
        The msgids still to translate (missing, empty or fuzzy), per language, as JSON:
        {"kk": [{"id": "Save", "domains": ["shared"]}, {"id": "%(num)d entry", "plural": "%(num)d entries",
        "nplurals": 2, "domains": ["logbook"]}], ...}. Without LANG: every language of scripts/i18n.py.
    python scripts/po_fill.py fill LANG MAP.json|MAP.py [--force]
        Fill LANG's catalogues from a mapping msgid -> translation (a string; for a plural msgid a list of
        the language's plural forms, or one string used for every form). MAP.json is that object; MAP.py
        defines it as ``T``. Only untranslated or fuzzy entries are filled unless --force. Prints the
        msgids still missing and any translation whose placeholders (%(name)s, %s, {name}) differ from the
        msgid's, which it refuses.
    python scripts/po_fill.py FILE.po MAP.py
        The old form: fill one Russian catalogue from ``T``.

Run ``scripts/i18n.py update`` first (it adds new msgids to every catalogue) and ``check`` after.
"""

from __future__ import annotations

import json
import re
import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n  # noqa: E402  (scripts/i18n.py: domains, po paths, languages)

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _done(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings) and not message.fuzzy


def _catalogues(lang: str):
    for domain in i18n.domains():
        path = i18n.po_path(domain, lang)
        if path.exists():
            with path.open("rb") as fh:
                yield domain, path, read_po(fh, locale=lang)


def todo(languages: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for lang in languages:
        entries: dict[str, dict] = {}
        for domain, _path, catalog in _catalogues(lang):
            for m in catalog:
                if not m.id or _done(m):
                    continue
                key = m.id if isinstance(m.id, str) else m.id[0]
                entry = entries.setdefault(key, {"id": key})
                if not isinstance(m.id, str):
                    entry["plural"] = m.id[1]
                    entry["nplurals"] = catalog.num_plurals
                entry.setdefault("domains", []).append(domain.name)
        out[lang] = list(entries.values())
    return out


def _load(mapping_file: str) -> dict:
    if mapping_file.endswith(".py"):
        return runpy.run_path(mapping_file)["T"]
    return json.loads(Path(mapping_file).read_text(encoding="utf-8"))


def _forms(value, message, nplurals: int) -> str | tuple[str, ...]:
    if isinstance(message.id, str):
        return value if isinstance(value, str) else value[0]
    forms = [value] * nplurals if isinstance(value, str) else list(value)
    forms = (forms + [forms[-1]] * nplurals)[:nplurals]
    return tuple(forms)


def _placeholders_ok(message, value) -> bool:
    """A translation keeps the msgid's placeholders exactly; a plural's forms may drop the count except the
    last (Chinese has one form, and "one" may say the number in words)."""
    if isinstance(message.id, str):
        return placeholders(value) == placeholders(message.id)
    wanted = set(placeholders(message.id[1])) | set(placeholders(message.id[0]))
    return all(set(placeholders(s)) <= wanted for s in value) and set(placeholders(value[-1])) == wanted


def fill_po(path: Path, lang: str, mapping: dict, force: bool = False) -> tuple[list[str], list[str]]:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    catalog.fuzzy = False
    missing, refused = [], []
    changed = False
    for m in catalog:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        if _done(m) and not force:
            continue
        if key not in mapping:
            if not _done(m):
                missing.append(key)
            continue
        value = _forms(mapping[key], m, catalog.num_plurals)
        if not _placeholders_ok(m, value):
            refused.append(key)
            continue
        changed = changed or m.string != value or m.fuzzy
        m.string = value
        m.flags.discard("fuzzy")
    if changed:  # leave untouched catalogues byte for byte as they are
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, no_location=True, include_previous=False)
    return missing, refused


def fill(lang: str, mapping: dict, force: bool = False) -> int:
    missing_all, refused_all = [], []
    for _domain, path, _catalog in list(_catalogues(lang)):
        missing, refused = fill_po(path, lang, mapping, force)
        missing_all += missing
        refused_all += refused
    for key in refused_all:
        print(f"{lang}: placeholders differ, not filled: {key!r}")
    print(f"{lang}: {len(missing_all)} missing, {len(refused_all)} refused")
    for key in missing_all:
        print(f"  missing: {key!r}")
    return 1 if refused_all else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1].endswith(".po"):
        missing, refused = fill_po(Path(argv[1]), "ru", _load(argv[2]))
        print("missing:", missing, "refused:", refused)
        return 1 if refused else 0
    if len(argv) >= 2 and argv[1] == "todo":
        json.dump(todo(argv[2:] or i18n.LANGUAGES + i18n.PUBLIC_LANGUAGES), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    if len(argv) >= 4 and argv[1] == "fill":
        return fill(argv[2], _load(argv[3]), force="--force" in argv[4:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
