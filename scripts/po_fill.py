"""Fill msgstr entries of a .po file from a dict T in a Python file: python scripts/po_fill.py FILE.po MAP.py"""
import runpy
import sys

from babel.messages.pofile import read_po, write_po

path, mapping_file = sys.argv[1], sys.argv[2]
mapping = runpy.run_path(mapping_file)["T"]
with open(path, "rb") as fh:
    cat = read_po(fh, locale="ru")
cat.fuzzy = False
missing = []
for m in cat:
    if not m.id:
        continue
    key = m.id if isinstance(m.id, str) else m.id[0]
    if key in mapping:
        m.string = mapping[key]
        m.flags.discard("fuzzy")
    elif not (m.string if isinstance(m.string, str) else all(m.string)):
        missing.append(key)
with open(path, "wb") as fh:
    write_po(fh, cat, width=100)
print("missing:", missing)
