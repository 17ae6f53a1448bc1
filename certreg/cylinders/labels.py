"""The printed cylinder label (PDF): one 100 × 70 mm label, or an A4 sheet of eight.

Text follows the labelling practice of EU Implementing Regulation 2024/2174, US 40 CFR 84.23
and the UNEP OzonAction labelling brief: the substance and its ASHRAE number, net kg, the
contents' t CO2-eq and ODP t, "Contains fluorinated greenhouse gases" / "Contains
ozone-depleting substances" as applies, the condition statement, the registered owner, and
the signed QR code (``{PUBLIC_BASE_URL}/c/{TOKEN}``, see :mod:`certreg.cylinders.token`).
Each statement is printed in the country's language(s) (``data/label_languages.csv``) and in
English (DejaVu Sans with the CJK fallback font of the certificate PDFs, so any script prints);
the statements' font shrinks until they fit the label.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from certreg.certificates import qr
from certreg.certificates.outputs import FONTS, FallbackPDF
from certreg.cylinders.models import KIND_LABELS, ContentCondition, Cylinder
from certreg.substances.models import Substance
from certreg.substances.services import get as get_substance

LABEL_MM = (100.0, 70.0)
QR_MM = 40.0
LANGUAGES_FILE = Path(__file__).resolve().parent / "data" / "label_languages.csv"
#: Statement font sizes (pt), tried largest first until the statements fit.
FONT_SIZES = (6.5, 6.0, 5.5, 5.0, 4.5, 4.0)
_TONNE = Decimal("0.001")


@functools.cache
def country_languages() -> dict[str, tuple[str, ...]]:
    """The languages each country's labels are printed in besides English (``data/label_languages.csv``)."""
    with LANGUAGES_FILE.open(encoding="utf-8", newline="") as fh:
        return {row["country"]: tuple(row["languages"].split()) for row in csv.DictReader(fh)}


def label_languages(country_code: str) -> tuple[str, ...]:
    return country_languages().get(country_code, ())


def label_prefix() -> str:
    return current_app.config["PUBLIC_BASE_URL"] + "/c/"


def qr_code(cylinder: Cylinder):
    return qr.qr_for_url(label_prefix(), cylinder.token)


def _both(languages: tuple[str, ...], text: Callable[[], str]) -> str:
    """``text()`` in each of the country's languages, then in English (each different text once)."""
    texts: list[str] = []
    for language in (*languages, "en"):
        with force_locale(language):
            local = text()
        if local not in texts:
            texts.append(local)
    return " / ".join(texts)


def _condition_statement(condition: ContentCondition | None) -> Callable[[], str] | None:
    return {
        ContentCondition.RECYCLED: lambda: _("100 % Recycled"),
        ContentCondition.RECLAIMED: lambda: _("100 % Reclaimed"),
        ContentCondition.FOR_DESTRUCTION: lambda: _("For destruction only"),
        ContentCondition.RECOVERED: lambda: _("Recovered refrigerant"),
    }.get(condition) if condition else None


def label_lines(cylinder: Cylinder) -> tuple[str, list[str]]:
    """The headline (substance) and the label's statements, as printed."""
    language = label_languages(cylinder.country_code)
    substance: Substance | None = get_substance(cylinder.substance_code) if cylinder.substance_code else None
    headline = _both(language, lambda: _("Empty")) if substance is None else substance.label
    lines = [cylinder.serial + " · " + _both(language, lambda: str(KIND_LABELS[cylinder.kind]))]
    kg = cylinder.net_kg
    lines.append(_both(language, lambda: _("Net contents: %(kg)s kg", kg=kg)))
    if substance is not None:
        co2 = (kg * (substance.gwp or 0) / 1000).quantize(_TONNE)
        odp = (kg * substance.odp / 1000).quantize(Decimal("0.00001"))
        lines.append(_both(language, lambda: _("%(co2)s t CO2-eq · ODP %(odp)s t", co2=co2, odp=odp)))
        if substance.odp > 0:
            lines.append(_both(language, lambda: _("Contains ozone-depleting substances")))
        if substance.annex_f_gwp > 0:
            lines.append(_both(language, lambda: _("Contains fluorinated greenhouse gases")))
    statement = _condition_statement(cylinder.condition)
    if statement is not None:
        lines.append(_both(language, statement))
    owner = cylinder.owner
    name = owner.legal_name if owner.legal_name == owner.name_latin else f"{owner.legal_name} ({owner.name_latin})"
    lines.append(_both(language, lambda: _("Owner: %(name)s", name=name)))
    return headline, lines


def _new_pdf(size) -> FPDF:
    pdf = FallbackPDF(orientation="P", unit="mm", format=size)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    pdf.set_creator("certreg")
    pdf.set_margins(0, 0, 0)
    return pdf


def _draw(pdf: FPDF, cylinder: Cylinder, x: float, y: float) -> None:
    width, height = LABEL_MM
    pdf.set_draw_color(160, 160, 160)
    pdf.rect(x, y, width, height)
    headline, lines = label_lines(cylinder)
    text_w = width - QR_MM - 6
    pdf.set_xy(x + 3, y + 3)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(text_w, 6, headline, align="L", new_x="LEFT", new_y="NEXT")
    room = y + height - 2 - pdf.get_y()
    for size in FONT_SIZES:
        pdf.set_font("DejaVu", "", size)
        line_h = size * 0.46
        needed = sum(pdf.multi_cell(text_w, line_h, line, align="L", dry_run=True, output=MethodReturnValue.HEIGHT)
                     + line_h / 4 for line in lines)
        if needed <= room:
            break
    for line in lines:
        if pdf.get_y() + line_h > y + height - 1:
            break
        pdf.multi_cell(text_w, line_h, line, align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_xy(x + 3, pdf.get_y() + line_h / 4)
    png = io.BytesIO(qr.render_png(qr_code(cylinder), box_size=8))
    pdf.image(png, x=x + width - QR_MM - 2, y=y + (height - QR_MM) / 2, w=QR_MM, h=QR_MM)


def label_pdf(cylinder: Cylinder) -> bytes:
    """One label, 100 × 70 mm."""
    pdf = _new_pdf(LABEL_MM)
    pdf.set_title(cylinder.serial)
    pdf.add_page()
    _draw(pdf, cylinder, 0, 0)
    return bytes(pdf.output())


def sheet_pdf(cylinders: Sequence[Cylinder]) -> bytes:
    """A4 sheets of 2 × 4 labels (100 × 70 mm each, 5 mm side and 8.5 mm top margins)."""
    pdf = _new_pdf("A4")
    pdf.set_title("Cylinder labels")
    for i, cylinder in enumerate(cylinders):
        slot = i % 8
        if slot == 0:
            pdf.add_page()
        _draw(pdf, cylinder, 5 + (slot % 2) * LABEL_MM[0], 8.5 + (slot // 2) * LABEL_MM[1])
    if not cylinders:
        pdf.add_page()
    return bytes(pdf.output())
