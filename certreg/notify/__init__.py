"""E-mail (standard library smtplib) and the outbox of notices: queued once, sent, retried (certreg.notices decides which are due)."""
