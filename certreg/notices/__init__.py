"""Which notices are due (certificates expiring, suspended or revoked; transfers awaiting an answer), and
``flask notify send``, which queues them in the outbox (certreg.notify) and sends it."""
