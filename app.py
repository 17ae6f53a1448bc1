"""WSGI entry point: ``flask --app app`` and ``gunicorn app:app`` both use this."""

from certreg import create_app

app = create_app()
