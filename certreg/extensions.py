"""Flask extensions, created unbound; ``create_app`` binds them."""

from typing import Any

from flask import current_app, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from certreg.application import lean_noop
from certreg.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class _LoginManager(LoginManager):
    """Flask-Login's manager; its after-request hook returns at once when the session is empty.

    Nothing to do then (no ``_remember`` mark, and certreg never refreshes a remember cookie: it sets
    none), and that is every anonymous request, every public scan among them.
    """

    @lean_noop  # a lean request has no session: returns at once
    def _update_remember_cookie(self, response: Any) -> Any:
        if not session and not current_app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            return response
        return super()._update_remember_cookie(response)


login_manager = _LoginManager()
csrf = CSRFProtect()
babel = Babel()
