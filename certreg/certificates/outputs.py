"""What a holder carries: the QR code (PNG, SVG), the wallet card (ID-1) and the A4 certificate (PDF).

The PDFs use DejaVu Sans from ``static/fonts`` (see its LICENSE there) so that names in any
script print (Latin, Cyrillic with Kazakh and Kyrgyz letters, Georgian, Armenian); Chinese falls back to
Droid Sans Fallback (Apache-2.0, see LICENSE-DroidSansFallback.txt), loaded only when the text needs it.
The QR code uses the signed token stored with the certificate, so every
download of a certificate carries the same QR.
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF

from certreg.certificates import qr
from certreg.certificates.models import Certificate
from certreg.vocabulary import HolderKind

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
CARD_MM = (85.6, 54.0)  # ISO/IEC 7810 ID-1


def verify_url_prefix() -> str:
    return current_app.config["PUBLIC_BASE_URL"] + "/v/"


def qr_code(cert: Certificate):
    return qr.qr_for_url(verify_url_prefix(), cert.token)


def qr_png(cert: Certificate, box_size: int = 8) -> bytes:
    return qr.render_png(qr_code(cert), box_size=box_size)


def qr_svg(cert: Certificate) -> str:
    return qr.render_svg(qr_code(cert))


class FallbackPDF(FPDF):
    """An FPDF that adds the CJK fallback font on the first character DejaVu lacks: parsing the 4 MB font
    costs about a second, which a card in Latin or Cyrillic should not pay."""

    _cjk_loaded = False

    def normalize_text(self, text: str) -> str:
        text = super().normalize_text(text)
        if not self._cjk_loaded and self.current_font is not None and self.is_ttf_font:
            glyphs = self.current_font.cmap
            if any(ord(ch) not in glyphs for ch in text if ch not in "\n\r\t"):
                self._cjk_loaded = True
                self.add_font("CJK", "", str(FONTS / "DroidSansFallbackFull.ttf"))
                self.set_fallback_fonts(["CJK"], exact_match=False)  # no bold CJK face: bold text uses it too
        if self._cjk_loaded:
            # fpdf2 2.8 loses track of the page's font after a line that starts in the fallback font
            # (the next Latin line came out in the CJK font's glyph ids): state the font again for every text.
            self.current_font_is_set_on_page = False
        return text


def new_pdf(orientation: str, size) -> FPDF:
    """A page with DejaVu Sans (regular, bold) and the CJK fallback loaded when the text needs it."""
    pdf = FallbackPDF(orientation=orientation, unit="mm", format=size)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    pdf.set_creator("certreg")
    pdf.add_page()
    return pdf


def _holder_names(cert: Certificate) -> tuple[str, str]:
    holder = cert.holder
    native = holder.full_name if cert.holder_kind is HolderKind.TECHNICIAN else holder.legal_name
    return native, cert.holder_name


def _category_line(cert: Certificate, language: str) -> list[str]:
    return [f"{c.code} — {c.name(language)}" for c in cert.categories]


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def wallet_card_pdf(cert: Certificate, language: str = "en") -> bytes:
    """One ID-1 card (85.6 × 54 mm): text on the left, the QR (30 mm, about 0.39 mm a module) on the right."""
    pdf = new_pdf("P", CARD_MM)  # the size is already landscape (fpdf2 would swap it for "L")
    pdf.set_title(cert.number)
    pdf.set_fill_color(11, 94, 126)
    pdf.rect(0, 0, CARD_MM[0], 7, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 6.5)
    pdf.set_xy(3, 1.6)
    pdf.cell(80, 4, _("REFRIGERANT HANDLING CERTIFICATE").upper())
    pdf.set_text_color(0, 0, 0)
    native, latin = _holder_names(cert)
    pdf.set_xy(3, 9)
    pdf.set_font("DejaVu", "B", 8)
    pdf.multi_cell(48, 3.6, native, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(3)
    pdf.set_font("DejaVu", "", 6)
    if latin != native:
        pdf.multi_cell(48, 2.8, latin, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(3)
    pdf.set_font("DejaVu", "B", 7)
    pdf.cell(48, 4, cert.number, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 5.5)
    lines = [
        _("Categories: %(codes)s", codes=", ".join(cert.category_codes)),
        _("Valid %(start)s – %(end)s", start=format_date(cert.valid_from, "short"),
          end=format_date(cert.valid_until, "short")),
        cert.authority.name,
        _("Scan the QR code to check; compare the name with an ID document."),
    ]
    for line in lines:
        pdf.set_x(3)
        pdf.multi_cell(48, 2.6, line, align="L", new_x="LMARGIN", new_y="NEXT")
    png = io.BytesIO(qr_png(cert, box_size=6))
    pdf.image(png, x=CARD_MM[0] - 33, y=CARD_MM[1] - 34, w=31, h=31)
    return _output(pdf)


def certificate_pdf(cert: Certificate, language: str = "en") -> bytes:
    """The full-page A4 certificate."""
    pdf = new_pdf("P", "A4")
    pdf.set_title(cert.number)
    pdf.set_margins(20, 20, 20)
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_xy(20, 20)
    pdf.multi_cell(170, 6, cert.authority.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 20)
    pdf.multi_cell(170, 10, _("Certificate"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(170, 6, _("of competence to handle refrigerants and other controlled substances"),
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(170, 8, cert.number, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    native, latin = _holder_names(cert)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(170, 6, _("is issued to"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(170, 9, native, align="C", new_x="LMARGIN", new_y="NEXT")
    if latin != native:
        pdf.set_font("DejaVu", "", 12)
        pdf.multi_cell(170, 7, latin, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(170, 6, _("Categories"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in _category_line(cert, language):
        pdf.multi_cell(170, 5.5, "• " + line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(170, 6, _("Valid from %(start)s to %(end)s inclusive.", start=format_date(cert.valid_from, "long"),
                             end=format_date(cert.valid_until, "long")), new_x="LMARGIN", new_y="NEXT")
    png = io.BytesIO(qr_png(cert, box_size=8))
    pdf.image(png, x=75, y=205, w=60, h=60)
    pdf.set_xy(20, 268)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(170, 4.5, _("Scan the QR code with any phone camera to check that this certificate is genuine "
                               "and valid; compare the name with the holder's ID document."), align="C")
    return _output(pdf)
