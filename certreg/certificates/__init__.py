"""Certificate cryptography, numbering and QR rendering (Flask-free core).

* :mod:`certreg.certificates.signing` -- the signed QR token (format v1), the
  JWKS trust list and the signed status list.
* :mod:`certreg.certificates.numbers` -- certificate numbers with a check digit.
* :mod:`certreg.certificates.qr` -- QR code construction and rendering.
"""
