"""QR codes for certificate cards.

The QR payload is exactly ``prefix + token`` where ``prefix`` is the
verification URL prefix (``https://host/v/``, any case) and ``token`` the
base32 certificate token (see :mod:`certreg.certificates.signing`).  The prefix
goes into a *byte*-mode segment and the token into an *alphanumeric*-mode
segment (5.5 bits per character instead of 8), at error-correction level Q
(~25 % of codewords recoverable: cards get scratched and photographed badly)
with the standard 4-module quiet zone.

The chosen QR version is available as ``qr.version`` (1-40) after
:func:`qr_for_url`; it is what decides how dense the printed code is.
"""

from __future__ import annotations

import io
import re
from typing import Final

import qrcode
import qrcode.constants
import qrcode.image.svg
from PIL import Image
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData

__all__ = ["ERROR_CORRECTION", "QUIET_ZONE", "qr_for_url", "render_png", "render_svg"]

ERROR_CORRECTION: Final = qrcode.constants.ERROR_CORRECT_Q
QUIET_ZONE: Final = 4  # modules; the minimum ISO/IEC 18004 requires
_TOKEN_RE: Final = re.compile(r"[A-Z2-7]+", re.ASCII)


def qr_for_url(prefix: str, token: str) -> qrcode.QRCode:
    """Build (and lay out) the QR code for ``prefix + token``.

    ``token`` must be uppercase base32 (``A-Z2-7``).  The smallest QR version
    that fits is chosen; read it from ``qr.version``.  Raises ``ValueError``
    for a bad token and ``qrcode.exceptions.DataOverflowError`` if nothing
    fits.
    """
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise ValueError("token must be non-empty uppercase base32 (A-Z, 2-7)")
    if not prefix:
        raise ValueError("empty URL prefix")
    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    qr.add_data(QRData(prefix.encode("utf-8"), mode=MODE_8BIT_BYTE))
    qr.add_data(QRData(token.encode("ascii"), mode=MODE_ALPHA_NUM))
    qr.make(fit=True)
    return qr


def render_png(qr: qrcode.QRCode, box_size: int = 8) -> bytes:
    """PNG of ``qr``: black modules on white, 1-bit, ``box_size`` pixels per module.

    The image includes the quiet zone, so it is ``(modules + 8) * box_size``
    pixels square.
    """
    if type(box_size) is not int or box_size < 1:
        raise ValueError("box_size must be a positive integer")
    matrix = qr.get_matrix()  # includes the border
    n = len(matrix)
    img = Image.new("1", (n, n), 1)
    img.putdata([0 if dark else 1 for row in matrix for dark in row])
    if box_size != 1:
        img = img.resize((n * box_size, n * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_svg(qr: qrcode.QRCode) -> str:
    """SVG of ``qr`` (one black path on a white background rect, with viewBox).

    Sizes are in mm as qrcode emits them (``box_size / 10`` mm per module);
    the viewBox lets CSS scale it freely.
    """
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = image.to_string(encoding="unicode")
    assert isinstance(svg, str)
    return svg
