"""E-mail (standard library smtplib) and the outbox of notices: each queued once, sent, retried.

Which notices are due is decided by :mod:`certreg.notices`."""
