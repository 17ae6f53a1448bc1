"""Canonical form of a logbook entry, version 1: the bytes that are hashed into the Merkle log.

This docstring is the specification (``docs/logbook.md`` mirrors it).

The canonical form of an entry is a JSON object (RFC 8259) serialised with the keys in
ascending code-point order, no insignificant whitespace (``","`` and ``":"`` separators),
UTF-8, non-ASCII characters written as themselves (not ``\\u`` escapes). Every member
below is always present; an absent value is ``null``. Member values:

=====================  ===================================================================
``v``                  integer ``1`` (the format version)
``log``                the country whose log holds the entry (ISO 3166-1 alpha-2)
``seq``                integer, the entry's leaf index in that log (from 0)
``id``                 integer, the entry's id
``logbook``            integer, the id of the holder's logbook
``kind``               ``import`` ``export`` ``purchase`` ``sale`` ``charge`` ``recovery``
                       ``recycling`` ``reclamation`` ``sent_for_destruction`` ``destroyed``
                       ``stock_count`` ``reversal`` ``production`` ``feedstock_use``
                       ``qps_use`` ``exempted_use``
``date``               date of the operation, ``YYYY-MM-DD``
``substance``          catalogue code (``HCFC-22``, ``R-404A``)
``quantity``           kilograms as a decimal string with exactly three decimals (``"12.500"``)
``condition``          ``virgin`` ``recovered`` ``recycled`` ``reclaimed``
``from_condition``     condition before recycling/reclamation, else ``null``
``direction``          stock counts: ``in`` / ``out``, else ``null``
``counted``            stock counts: kilograms counted (decimal string), else ``null``
``book``               stock counts: kilograms in the books before, else ``null``
``cylinders``          array of cylinder serial numbers as recorded (possibly empty)
``equipment``          integer id of the equipment, or ``null``
``intervention``       integer id of the equipment intervention, or ``null``
``counterparty``       name as recorded, or ``null``
``counterparty_country``  ISO code or ``null``
``counterparty_logbook``  integer id of the counterparty's logbook if registered, or ``null``
``buyer_certificate``  the buyer's certificate number as checked (sales), or ``null``
``documents``          document numbers as recorded, or ``null``
``import_licence`` ``customs_declaration`` ``origin_country`` ``exporter``
                       proof of origin (imports), or ``null``
``export_licence`` ``destination_country``  exports, or ``null``
``reverses``           integer id of the entry this one reverses, or ``null``
``counterpart_of``     integer id of the sale/export a confirmed purchase/import answers, or ``null``
``reason`` ``note``    text or ``null``
``channel``            ``web`` ``api`` ``csv`` ``cli``
``import``             integer id of the CSV import batch, or ``null``
``recorded_at``        UTC time of recording, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (microseconds)
``recorded_by``        label of the recording user (e-mail, or ``cli:<name>``)
``recorded_by_user``   integer user id, or ``null`` for the command line
=====================  ===================================================================

Optional members (added after version 1 was first written; present only when not null,
so the canonical form, hash and MAC of every entry without them are unchanged):

=========================  ===============================================================
``exempted_use``           ``feedstock`` ``process_agent`` ``laboratory`` ``essential_use``
                           ``critical_use`` ``quarantine``: the use exempted from the
                           phase-out that the entry states
``exemption_reference``    the decision or licence granting the exemption, as recorded
=========================  ===============================================================

The leaf hash is ``SHA-256(0x00 || canonical form)`` (RFC 9162 section 2.1.1).

The entry MAC is ``HMAC-SHA256(K, "certreg-logbook-mac-v1" || 0x00 || log || 0x00 ||
seq as 8-byte big-endian || leaf hash)`` with ``K`` the server's ``LOGBOOK_MAC_KEY``:
it binds the hash to its position, and a database attacker without ``K`` cannot forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

VERSION = 1
MAC_LABEL = b"certreg-logbook-mac-v1"
_GRAMS = Decimal("0.001")

#: Canonical member name -> entry column (attribute) name.
FIELDS: dict[str, str] = {
    "log": "country_code",
    "seq": "seq",
    "id": "id",
    "logbook": "logbook_id",
    "kind": "kind",
    "date": "operation_date",
    "substance": "substance_code",
    "quantity": "quantity",
    "condition": "condition",
    "from_condition": "from_condition",
    "direction": "direction",
    "counted": "counted_quantity",
    "book": "book_quantity",
    "equipment": "equipment_id",
    "intervention": "intervention_id",
    "counterparty": "counterparty_name",
    "counterparty_country": "counterparty_country",
    "counterparty_logbook": "counterparty_logbook_id",
    "buyer_certificate": "buyer_certificate",
    "documents": "document_numbers",
    "import_licence": "import_licence",
    "customs_declaration": "customs_declaration",
    "origin_country": "origin_country",
    "exporter": "exporter_name",
    "export_licence": "export_licence",
    "destination_country": "destination_country",
    "reverses": "reverses_id",
    "counterpart_of": "counterpart_of_id",
    "reason": "reason",
    "note": "note",
    "channel": "channel",
    "import": "import_id",
    "recorded_at": "recorded_at",
    "recorded_by": "recorded_by_label",
    "recorded_by_user": "recorded_by_user_id",
}
#: Optional members (present only when not null) -> entry column.
OPTIONAL_FIELDS: dict[str, str] = {
    "exempted_use": "exempted_use",
    "exemption_reference": "exemption_reference",
}
_KILOGRAMS = {"quantity", "counted", "book"}


def kilograms_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(_GRAMS):f}"


def _value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _KILOGRAMS:
        return kilograms_text(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name}: naive datetime")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        raise TypeError(f"{name}: unexpected boolean")
    if isinstance(value, (int, str)):
        return value
    raise TypeError(f"{name}: cannot serialise {type(value).__name__}")


_PLAIN = (int, str)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # keys are inserted in sorted order
_MEMBERS = sorted(["v", "cylinders", *FIELDS])


def _kg(value: Any) -> str:
    return kilograms_text(value)


def _text(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _time(value: datetime) -> str:
    return _value("recorded_at", value)


def _date(value: date) -> str:
    return value.isoformat()


_CONVERT = {"quantity": _kg, "counted": _kg, "book": _kg, "date": _date, "recorded_at": _time}
_PLAN = [(member, FIELDS.get(member), _CONVERT.get(member, _text)) for member in _MEMBERS]


def document(values: Mapping[str, Any], cylinders: Sequence[str]) -> dict[str, Any]:
    """The canonical object of an entry given its column values (by column name), keys in sorted order."""
    doc: dict[str, Any] = {}
    for member, column, convert in _PLAN:
        if column is None:
            doc[member] = VERSION if member == "v" else [str(c) for c in cylinders]
            continue
        value = values[column]
        if value is None or type(value) in _PLAIN:
            doc[member] = value
        else:
            doc[member] = convert(value)
    optional = {member: _text(values[column]) for member, column in OPTIONAL_FIELDS.items()
                if values.get(column) is not None}
    if optional:
        doc.update(optional)
        doc = dict(sorted(doc.items()))
    return doc


def serialize(doc: Mapping[str, Any]) -> bytes:
    return _ENCODER.encode(doc).encode("utf-8")


def canonical_bytes(values: Mapping[str, Any], cylinders: Sequence[str]) -> bytes:
    return serialize(document(values, cylinders))


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def entry_mac(key: bytes, country_code: str, seq: int, leaf: bytes) -> bytes:
    message = MAC_LABEL + b"\x00" + country_code.encode("ascii") + b"\x00" + seq.to_bytes(8, "big") + leaf
    return hmac.new(key, message, hashlib.sha256).digest()


class MacKey:
    """:func:`entry_mac` for many entries of one log: the key and the label are hashed in once."""

    def __init__(self, key: bytes, country_code: str) -> None:
        self._start = hmac.new(key, MAC_LABEL + b"\x00" + country_code.encode("ascii") + b"\x00", hashlib.sha256)

    def entry_mac(self, seq: int, leaf: bytes) -> bytes:
        mac = self._start.copy()
        mac.update(seq.to_bytes(8, "big") + leaf)
        return mac.digest()


def mac_matches(key: bytes, country_code: str, seq: int, leaf: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(entry_mac(key, country_code, seq, leaf), bytes(mac))


# --- many entries at once ------------------------------------------------------------------
#
# The CSV import seals up to millions of entries that share their recording columns (log,
# logbook, channel, import, recorded_at/by). :class:`Template` writes their canonical form
# by string formatting instead of building and encoding a dict per entry. It is an
# optimisation, not a second definition: its output is byte for byte that of
# :func:`canonical_bytes` (``tests/logbook/test_bulk.py`` compares them).

_encode_string = json.encoder.encode_basestring  # what the encoder above writes for a str (ensure_ascii=False)
_INT_MEMBERS = {"seq", "id", "logbook", "equipment", "intervention", "counterparty_logbook", "reverses",
                "counterpart_of", "import", "recorded_by_user"}


def _json(member: str, value: Any) -> str:
    """The normative encoding of one member's value (the slow, general path)."""
    converted = _PLAN_BY_MEMBER[member](value) if value is not None and type(value) not in _PLAIN else value
    return _ENCODER.encode(converted)


# Per member kind: the expression for the common type (inlined in the generated function) and the
# type it applies to; any other value goes through the normative ``_json``.
def _fast_expression(member: str, name: str) -> str:
    if member in _INT_MEMBERS:
        return f"str({name}) if type({name}) is int"
    if member in _KILOGRAMS:
        return f"'\"' + format({name}.quantize(_GRAMS), 'f') + '\"' if type({name}) is Decimal"
    if member == "date":
        return f"'\"' + {name}.isoformat() + '\"' if type({name}) is date"
    if member == "recorded_at":
        return "None if False"  # always the general path (it is fixed in imports)
    # a str, or an enum member with a str value (``.value`` is its ``_value_``)
    return (f"_encode_string({name}) if type({name}) is str else _encode_string({name}._value_) "
            f"if isinstance({name}, Enum) and type({name}._value_) is str")


class Template:
    """The canonical form of entries whose ``fixed`` columns are the same, the others given per entry.

    ``render(values, cylinders)`` takes the other columns' values as a sequence in the
    order of ``variable`` (every column of :data:`FIELDS` that is not fixed) and returns
    exactly ``canonical_bytes(...)`` of the complete entry. ``render_parts`` returns it
    with the JSON text of each of ``values`` (``null`` for ``None``), for callers that
    write the same values elsewhere.

    The fixed members are encoded once; the function that fills in the others is
    generated for the given columns, with the common type of each member inlined (int,
    str or enum member, ``Decimal`` kilograms, date) and any other value sent to the
    normative encoding. An entry with an optional member (:data:`OPTIONAL_FIELDS`, among
    the variable columns) takes the normative path whole (:meth:`_normative_parts`).
    """

    def __init__(self, fixed: Mapping[str, Any], variable: Sequence[str]) -> None:
        columns = set(FIELDS.values())
        optional = set(OPTIONAL_FIELDS.values())  # may be among the variable columns, always null (see below)
        if (set(fixed) | set(variable)) - optional != columns or set(fixed) & set(variable) \
                or set(fixed) & optional or len(set(variable)) != len(variable):
            raise ValueError("fixed and variable must split the entry's columns")
        member_of = {column: member for member, column in FIELDS.items()}
        parts: list[str] = []
        arguments: list[str] = []
        for member, column, _convert in _PLAN:
            key = _ENCODER.encode(member) + ":"
            if column is None and member == "v":
                parts.append(key + str(VERSION))
            elif column is None:  # cylinders
                parts.append(key + "%s")
                arguments.append("_cylinders_json(cylinders) if cylinders else '[]'")
            elif column in fixed:
                parts.append(key + _json(member, fixed[column]).replace("%", "%%"))
            else:
                parts.append(key + "%s")
                arguments.append(f"j{variable.index(column)}")
        lines = ["def render_parts(values, cylinders):",
                 f"    {''.join(f'v{i}, ' for i in range(len(variable)))} = values" if variable else ""]
        for i, column in enumerate(variable):
            if column in optional:  # an entry stating one (rare) is rendered by the normative encoding
                lines.append(f"    if v{i} is not None: return _normative(values, cylinders)")
                lines.append(f"    j{i} = 'null'")
                continue
            member = member_of[column]
            lines.append(f"    j{i} = 'null' if v{i} is None else {_fast_expression(member, f'v{i}')} "
                         f"else _json({member!r}, v{i})")
        lines.append(f"    return (_FORMAT % ({''.join(a + ', ' for a in arguments)})).encode('utf-8'), "
                     f"({''.join(f'j{i}, ' for i in range(len(variable)))})")
        self.source = "\n".join(lines) + "\n"
        namespace = {"_FORMAT": "{" + ",".join(parts) + "}", "_json": _json, "_encode_string": _encode_string,
                     "_cylinders_json": _cylinders_json, "_GRAMS": _GRAMS, "Decimal": Decimal, "date": date,
                     "Enum": Enum, "_normative": self._normative_parts}
        self.variable, self._fixed, self._member_of = tuple(variable), dict(fixed), member_of
        exec(compile(self.source, f"<canonical.Template of {len(variable)} columns>", "exec"), namespace)  # noqa: S102
        self.render_parts: Callable[[Sequence[Any], Sequence[str]], tuple[bytes, tuple[str, ...]]] = \
            namespace["render_parts"]

    def render(self, values: Sequence[Any], cylinders: Sequence[str]) -> bytes:
        return self.render_parts(values, cylinders)[0]

    def _normative_parts(self, values: Sequence[Any], cylinders: Sequence[str]) -> tuple[bytes, tuple[str, ...]]:
        """``render_parts`` by :func:`canonical_bytes` and the normative encoding of each value."""
        columns = {**self._fixed, **dict(zip(self.variable, values, strict=True))}
        parts = tuple(_ENCODER.encode(_text(value)) if column in OPTIONAL_FIELDS.values() or value is None
                      else _json(self._member_of[column], value) for column, value in zip(self.variable, values,
                                                                                          strict=True))
        return canonical_bytes(columns, cylinders), parts


def _cylinders_json(cylinders: Sequence[str]) -> str:
    return "[" + ",".join([_encode_string(str(c)) for c in cylinders]) + "]"


_PLAN_BY_MEMBER = {member: convert for member, _column, convert in _PLAN}
