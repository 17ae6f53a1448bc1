"""Signed tokens shared by every document certreg prints with a QR code.

Below the features: :mod:`~certreg.tokens.encoding` (base32, base64url, deterministic CBOR, the
errors of reading a token), :mod:`~certreg.tokens.keys` (P-256 keys, kids, the JWKS trust list),
:mod:`~certreg.tokens.cose` (COSE_Sign1 with ES256), :mod:`~certreg.tokens.format` (a token of one
document type, parametrised by a :class:`~certreg.tokens.format.TokenFormat`) and
:mod:`~certreg.tokens.status_list` (signed per-country status lists). The certificate token
(:mod:`certreg.certificates.token`, specified in its docstring and ``docs/qr-token.md``) is the
first document type; cylinder labels and licences plug in the same way.
"""
