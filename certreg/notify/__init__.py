"""E-mail (standard library smtplib) and notifications through an outbox."""
