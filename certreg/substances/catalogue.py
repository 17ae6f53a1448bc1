"""Catalogue of controlled substances (Montreal Protocol Annexes A, B, C, E, F),
refrigerant blends and common non-controlled alternatives.

Pure Python: no Flask, no database.  Every number is a :class:`decimal.Decimal`;
floats are refused.  The data live in ``data/substances.csv`` and
``data/blends.csv`` next to this module; ``data/SOURCES.md`` says where each
figure comes from.

Rules (see SOURCES.md for the details):

* ``Substance.odp`` is the ozone-depleting potential exactly as printed in the
  annex (for an isomer group given as a range, the upper value, as the Annex C
  footnote requires); 0 for HFCs and non-controlled substances.
* ``Substance.gwp`` is the 100-year GWP: the Kigali Amendment value for Annex F,
  the annex value for Annex A group I and Annex C group I (0 where Annex C gives
  none, per its footnote), otherwise IPCC AR4 for information; ``None`` where no
  value is published.
* ``Blend.odp`` / ``Blend.gwp`` are mass-weighted sums over the components:
  ``ODP = sum(w_i * ODP_i)``, ``GWP = sum(w_i * GWP_i)`` with ``w_i`` the mass
  fractions.  Article 7 data are reported per component: use
  :meth:`Catalogue.components_by_mass` to split a quantity of a blend.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from certreg.substances.catalogue_entries import Blend, Entry, Substance, normalize

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)

__all__ = [
    "DATA_DIR",
    "SUBSTANCE_COLUMNS",
    "BLEND_COLUMNS",
    "ANNEX_GROUPS",
    "CatalogueError",
    "Entry",
    "Substance",
    "Blend",
    "Catalogue",
    "normalize",
    "default_catalogue",
    "components_by_mass",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

SUBSTANCE_COLUMNS = (
    "code",
    "name",
    "ashrae",
    "formula",
    "annex",
    "group",
    "odp",
    "gwp",
    "hs_code",
    "aliases",
    "controlled",
)
BLEND_COLUMNS = ("code", "name", "aliases", "hs_code", "components")

#: Groups that exist in each annex of the Protocol.
ANNEX_GROUPS: dict[str, frozenset[str]] = {
    "A": frozenset({"I", "II"}),
    "B": frozenset({"I", "II", "III"}),
    "C": frozenset({"I", "II", "III"}),
    "E": frozenset({"I"}),
    "F": frozenset({"I", "II"}),
}

class CatalogueError(ValueError):
    """A data file is malformed; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


def _decimal(text: str, what: str, path: Path, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CatalogueError(path, line, f"{what} {text!r} is not a decimal number") from None
    if not value.is_finite():
        raise CatalogueError(path, line, f"{what} {text!r} is not a finite number")
    if value < 0:
        raise CatalogueError(path, line, f"{what} {text!r} is negative")
    return value


def _aliases(text: str, path: Path, line: int) -> tuple[str, ...]:
    if not text:
        return ()
    parts = tuple(part.strip() for part in text.split("|"))
    if any(not part for part in parts):
        raise CatalogueError(path, line, f"empty alias in {text!r}")
    return parts


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, row)``; the header must be exactly ``columns``."""
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CatalogueError(path, None, f"cannot read file: {exc.strerror or exc}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise CatalogueError(path, 1, "file is empty, expected a header row")
            header = [h.strip() for h in header]
            if tuple(header) != columns:
                raise CatalogueError(
                    path, reader.line_num, f"header is {','.join(header)!r}, expected {','.join(columns)!r}"
                )
            for raw in reader:
                line = reader.line_num
                if not raw or all(not cell.strip() for cell in raw):
                    continue
                if len(raw) != len(columns):
                    raise CatalogueError(path, line, f"expected {len(columns)} fields, found {len(raw)}")
                yield line, {col: cell.strip() for col, cell in zip(columns, raw)}
        except csv.Error as exc:
            raise CatalogueError(path, reader.line_num, f"CSV syntax error: {exc}") from None


def _check_code(code: str, path: Path, line: int) -> None:
    if not code:
        raise CatalogueError(path, line, "code is empty")
    if any(ch in code for ch in "|:,") or code != code.strip():
        raise CatalogueError(path, line, f"code {code!r} contains a reserved character (| : ,)")


def _parse_substance(row: dict[str, str], path: Path, line: int) -> Substance:
    code = row["code"]
    _check_code(code, path, line)
    if not row["name"]:
        raise CatalogueError(path, line, f"{code}: name is empty")
    annex, group = row["annex"], row["group"]
    if annex:
        if annex not in ANNEX_GROUPS:
            raise CatalogueError(path, line, f"{code}: unknown annex {annex!r} (expected A, B, C, E or F)")
        if group not in ANNEX_GROUPS[annex]:
            raise CatalogueError(path, line, f"{code}: annex {annex} has no group {group!r}")
    elif group:
        raise CatalogueError(path, line, f"{code}: group {group!r} given without an annex")
    if row["controlled"] not in ("0", "1"):
        raise CatalogueError(path, line, f"{code}: controlled must be 1 or 0, not {row['controlled']!r}")
    controlled = row["controlled"] == "1"
    if controlled != bool(annex):
        raise CatalogueError(path, line, f"{code}: controlled={row['controlled']} but annex is {annex or 'empty'!r}")
    if not row["odp"]:
        raise CatalogueError(path, line, f"{code}: odp is empty (write 0)")
    odp = _decimal(row["odp"], f"{code}: odp", path, line)
    if odp != 0 and annex not in ("A", "B", "C", "E"):
        raise CatalogueError(path, line, f"{code}: only Annex A, B, C and E substances have a non-zero ODP")
    gwp = _decimal(row["gwp"], f"{code}: gwp", path, line) if row["gwp"] else None
    if annex == "F" and gwp is None:
        raise CatalogueError(path, line, f"{code}: an Annex F substance needs its GWP")
    return Substance(
        code=code,
        name=row["name"],
        ashrae=row["ashrae"],
        formula=row["formula"],
        annex=annex,
        group=group,
        odp=odp,
        gwp=gwp,
        hs_code=row["hs_code"],
        aliases=_aliases(row["aliases"], path, line),
        controlled=controlled,
    )


def _parse_blend(row: dict[str, str], substances: dict[str, Substance], path: Path, line: int) -> Blend:
    code = row["code"]
    _check_code(code, path, line)
    if not row["name"]:
        raise CatalogueError(path, line, f"{code}: name is empty")
    if not row["components"]:
        raise CatalogueError(path, line, f"{code}: components are empty")
    components: list[tuple[str, Decimal]] = []
    subs: list[Substance] = []
    total = _ZERO
    for part in row["components"].split("|"):
        comp, sep, pct_text = part.strip().rpartition(":")
        comp, pct_text = comp.strip(), pct_text.strip()
        if not sep or not comp or not pct_text:
            raise CatalogueError(path, line, f"{code}: component {part!r} is not of the form CODE:PERCENT")
        if comp not in substances:
            raise CatalogueError(path, line, f"{code}: component {comp!r} is not in substances.csv")
        if any(existing == comp for existing, _ in components):
            raise CatalogueError(path, line, f"{code}: component {comp!r} is listed twice")
        pct = _decimal(pct_text, f"{code}: percentage of {comp}", path, line)
        if not 0 < pct <= _HUNDRED:
            raise CatalogueError(path, line, f"{code}: percentage of {comp} must be in (0, 100], not {pct_text}")
        sub = substances[comp]
        if sub.gwp is None:
            raise CatalogueError(path, line, f"{code}: component {comp} has no GWP, the blend GWP cannot be computed")
        total += pct
        components.append((comp, pct / _HUNDRED))
        subs.append(sub)
    if total != _HUNDRED:
        raise CatalogueError(path, line, f"{code}: component percentages sum to {total}, not 100")
    return Blend(
        code=code,
        name=row["name"],
        aliases=_aliases(row["aliases"], path, line),
        hs_code=row["hs_code"],
        components=tuple(components),
        component_substances=tuple(subs),
    )


def _check_quantity(kg: object) -> Decimal:
    if isinstance(kg, bool) or not isinstance(kg, (Decimal, int)):
        raise TypeError(f"quantity must be a Decimal (or int), not {type(kg).__name__}")
    value = Decimal(kg)
    if not value.is_finite():
        raise ValueError(f"quantity must be finite, not {value}")
    if value < 0:
        raise ValueError(f"quantity must not be negative, got {value}")
    return value


class Catalogue:
    """The loaded catalogue.  Build it with :meth:`Catalogue.load`."""

    def __init__(self, substances: tuple[Substance, ...], blends: tuple[Blend, ...]) -> None:
        self._substances = substances
        self._blends = blends
        self._by_code: dict[str, Entry] = {e.code: e for e in (*substances, *blends)}
        self._by_key: dict[str, Entry] = {}
        for entry in (*substances, *blends):
            for key in {normalize(entry.code), normalize(entry.ashrae)} - {""}:
                self._by_key.setdefault(key, entry)

    # -- loading -----------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str | None = None) -> Catalogue:
        """Read ``substances.csv`` and ``blends.csv`` from directory ``path``.

        ``path`` defaults to the ``data`` directory shipped with this module.
        Raises :class:`CatalogueError` (a ``ValueError``) naming the file and the
        line of the first problem found.
        """
        directory = Path(path) if path is not None else DATA_DIR
        sub_path = directory / "substances.csv"
        blend_path = directory / "blends.csv"

        # Every code, ASHRAE number and alias is matched on its normalized key;
        # a key may belong to one entry only (aliases excepted, see below).
        owners: dict[str, str] = {}  # normalized code/ashrae -> code

        def claim(key_source: str, code: str, path_: Path, line: int, what: str) -> None:
            key = normalize(key_source)
            if not key:
                return
            owner = owners.get(key)
            if owner is not None and owner != code:
                raise CatalogueError(path_, line, f"{what} {key_source!r} of {code} clashes with {owner}")
            owners[key] = code

        substances: dict[str, Substance] = {}
        pending_aliases: list[tuple[Path, int, Entry]] = []
        for line, row in _rows(sub_path, SUBSTANCE_COLUMNS):
            sub = _parse_substance(row, sub_path, line)
            if sub.code in substances:
                raise CatalogueError(sub_path, line, f"duplicate code {sub.code!r}")
            claim(sub.code, sub.code, sub_path, line, "code")
            claim(sub.ashrae, sub.code, sub_path, line, "ASHRAE number")
            substances[sub.code] = sub
            pending_aliases.append((sub_path, line, sub))

        blends: dict[str, Blend] = {}
        for line, row in _rows(blend_path, BLEND_COLUMNS):
            blend = _parse_blend(row, substances, blend_path, line)
            if blend.code in substances or blend.code in blends:
                raise CatalogueError(blend_path, line, f"duplicate code {blend.code!r}")
            claim(blend.code, blend.code, blend_path, line, "code")
            blends[blend.code] = blend
            pending_aliases.append((blend_path, line, blend))

        # An alias may be shared by several entries (e.g. a molecular formula
        # for an isomer and its isomer group) but must not be another entry's
        # code or ASHRAE number, or look-ups by that code would be ambiguous.
        for path_, line, entry in pending_aliases:
            for alias in entry.aliases:
                owner = owners.get(normalize(alias))
                if owner is not None and owner != entry.code:
                    raise CatalogueError(path_, line, f"alias {alias!r} of {entry.code} is the code of {owner}")

        return cls(tuple(substances.values()), tuple(blends.values()))

    # -- access ------------------------------------------------------------------
    def all(self) -> list[Entry]:
        """Every substance (file order) followed by every blend (file order)."""
        return [*self._substances, *self._blends]

    def substances(self) -> list[Substance]:
        return list(self._substances)

    def blends(self) -> list[Blend]:
        return list(self._blends)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._substances) + len(self._blends)

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        try:
            self.get(code)
        except KeyError:
            return False
        return True

    def get(self, code: str) -> Entry:
        """Entry by code.  Exact codes win; otherwise the code or ASHRAE number
        is matched ignoring case, spaces and hyphens (``"r22"`` -> HCFC-22).
        Raises ``KeyError`` when nothing matches."""
        entry = self._by_code.get(code)
        if entry is None:
            entry = self._by_key.get(normalize(code))
        if entry is None:
            raise KeyError(f"unknown substance or blend: {code!r}")
        return entry

    def search(self, text: str) -> list[Entry]:
        """Entries whose code, ASHRAE number, name, aliases or formula match
        ``text``, ignoring case, spaces and hyphens.

        Ranked: exact code/ASHRAE match, exact name/alias/formula match, prefix
        match, then substring match; ties keep catalogue order.
        """
        query = normalize(text)
        if not query:
            return []
        ranked: list[tuple[int, int, Entry]] = []
        for order, entry in enumerate(self.all()):
            primary = [normalize(entry.code), normalize(entry.ashrae)]
            secondary = [normalize(entry.name), normalize(entry.formula), *(normalize(a) for a in entry.aliases)]
            keys = [k for k in primary + secondary if k]
            if query in primary:
                rank = 0
            elif query in secondary:
                rank = 1
            elif any(k.startswith(query) for k in keys):
                rank = 2
            elif any(query in k for k in keys):
                rank = 3
            else:
                continue
            ranked.append((rank, order, entry))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry in ranked]

    def components_by_mass(self, code: str, kg: Decimal | int) -> list[tuple[str, Decimal]]:
        """Split ``kg`` of a blend into kilograms of each component.

        A pure substance returns ``[(code, kg)]``.  The parts add up exactly to
        ``kg`` (13.6 kg of R-502 -> HCFC-22 6.6368 kg, CFC-115 6.9632 kg).
        ``kg`` must be a ``Decimal`` (or ``int``); floats are refused.
        """
        quantity = _check_quantity(kg)
        entry = self.get(code)
        return [(comp, quantity * fraction) for comp, fraction in entry.components]


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The catalogue shipped with the package, loaded once."""
    return Catalogue.load()


def components_by_mass(code: str, kg: Decimal | int, catalogue: Catalogue | None = None) -> list[tuple[str, Decimal]]:
    """Module-level shortcut for :meth:`Catalogue.components_by_mass`."""
    return (catalogue or default_catalogue()).components_by_mass(code, kg)
