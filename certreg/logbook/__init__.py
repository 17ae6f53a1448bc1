"""Logbooks: every kilogram from import to destruction, append-only and tamper-evident."""
