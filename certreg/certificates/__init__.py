"""Certificates: issue and lifecycle, public verification, status lists, the purchase check.

See ``docs/certificates.md`` for where each part lives (one purpose per module); the QR token
format is specified in :mod:`certreg.certificates.token` on the shared :mod:`certreg.tokens`.
"""
