"""certreg: registry of certified refrigerant technicians and companies.

``create_app`` only assembles the application: no queries, no migrations and no
network access happen at import or start-up. The ``register_*`` functions import the features
inside themselves, deliberately: ``import certreg`` (the config, a script, a test collecting)
loads no feature, and the factory is the one place above every feature.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from certreg.application import Certreg
from config import CONFIGS, INSTANCE, ProductionConfig

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    config_name = (test_config or {}).get("CONFIG") or os.environ.get("CERTREG_CONFIG", "development")
    app = Certreg(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(CONFIGS[config_name])
    if test_config:
        app.config.update(test_config)
    _ensure_secret_key(app, config_name)
    if config_name == "production":
        ProductionConfig.check(app.config)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO" if config_name == "production" else "WARNING"))

    from certreg import inputs

    inputs.init_app(app)  # bounded URL converters and JSON parser: before any route is added
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies: the client's address and scheme come from their X-Forwarded-*
        # headers (the rate limits count per client address). Never trust them without a proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


def _ensure_secret_key(app: Flask, config_name: str) -> None:
    """Outside production, invent a secret once and keep it in ``instance/`` (never ``"dev"``)."""
    if app.config.get("SECRET_KEY") or config_name == "production":
        return
    if app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from certreg import i18n, security, transactions
    from certreg.auth import services as auth_services
    from certreg.auth import session as auth_session
    from certreg.extensions import csrf, db, migrate
    from certreg.notices import immediate as notices_immediate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    db.init_app(app)
    transactions.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    security.check_csrf(app, csrf)  # the check asked only where it can refuse (POST, ...)
    i18n.init_app(app, remember_language=auth_services.set_locale)
    auth_session.init_app(app)
    notices_immediate.init_app(app)  # suspensions, revocations, transfers: told after the request
    from certreg.certificates.trust import last_valid_day as certificates_valid_until
    from certreg.keys.services import register_signed_documents
    from certreg.licences.documents import last_valid_day as licences_valid_until

    register_signed_documents("certificates", certificates_valid_until)
    register_signed_documents("licences", licences_valid_until)
    from certreg.certificates import public_status
    from certreg.registry import status as registry_status

    registry_status.provide(app, public_status)  # the registry search asks the certificates (no import circle)
    from certreg.countries import rule_sections
    from certreg.cylinders.settings import PublicRules as CylinderPublicRules

    rule_sections.provide(app, CylinderPublicRules())  # the public rules page states the cylinder ban too
    from certreg.logbook import quotas as logbook_quotas
    from certreg.quotas import ledger as quota_ledger
    from certreg.quotas import usage as quota_usage

    quota_ledger.register(app)  # quota lines are leaves of the countries' logs (verify, proofs)
    logbook_quotas.provide(app, quota_usage)  # the logbook's rule path checks imports against quotas
    from certreg.federation import directories as federation_directories
    from certreg.federation import handlers as federation_handlers
    from certreg.federation.verifiers import SyncedPeers
    from certreg.focalpoints import federated as federated_focal_points
    from certreg.tokens import peers

    peers.register("federation", SyncedPeers())  # the peers' keys and status lists for the verifiers
    # the peers' focal points on the focal points page (the federation sits above that feature)
    federated_focal_points.provide(app, federation_directories.peer_focal_points)
    federation_handlers.register()  # the questions this installation answers


def register_blueprints(app: Flask) -> None:
    from certreg.api import bp as api_bp
    from certreg.auth import account_views, passkey_views, signin_views  # noqa: F401  (routes of auth_bp)
    from certreg.auth.views import bp as auth_bp
    from certreg.certificates.verify_views import bp as verify_bp
    from certreg.certificates.views import bp as certificates_bp
    from certreg.countries.views import bp as countries_bp
    from certreg.cylinders.logbook_link import install as link_cylinders_to_the_logbook
    from certreg.cylinders.views import bp as cylinders_bp
    from certreg.cylinders.views import scan_bp as cylinder_scan_bp
    from certreg.focalpoints.views import bp as focalpoints_bp
    from certreg.inspections.views import bp as inspections_bp
    from certreg.registry.views import bp as registry_bp
    from certreg.reports.views import bp as reports_bp
    from certreg.shipments.views import bp as shipments_bp
    from certreg.trail.views import bp as audit_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(countries_bp)
    app.register_blueprint(cylinders_bp)
    link_cylinders_to_the_logbook()  # the logbook's entries move the cylinders they name (certreg.logbook.links)
    app.register_blueprint(cylinder_scan_bp)
    from certreg.logbook import equipment_views, quick_views  # noqa: F401  (routes of logbook_bp)
    app.register_blueprint(shipments_bp)
    app.register_blueprint(inspections_bp)
    app.register_blueprint(focalpoints_bp)
    from certreg.logbook.import_views import bp as logbook_import_bp
    from certreg.logbook.views import bp as logbook_bp
    from certreg.substances.views import bp as substances_bp

    app.register_blueprint(logbook_bp)
    app.register_blueprint(logbook_import_bp)
    app.register_blueprint(substances_bp)
    from certreg.privacy.views import bp as privacy_bp
    from certreg.quotas.views import bp as quotas_bp

    app.register_blueprint(quotas_bp)

    app.register_blueprint(privacy_bp)
    from certreg.licences.check_views import bp as licence_check_bp
    from certreg.licences.views import bp as licences_bp

    app.register_blueprint(licences_bp)
    app.register_blueprint(licence_check_bp)
    from certreg.federation.views import bp as federation_bp
    from certreg.federation.views import wellknown as federation_wellknown_bp

    app.register_blueprint(federation_bp)
    app.register_blueprint(federation_wellknown_bp)


def register_error_handlers(app: Flask) -> None:
    from certreg.errors import register_error_handlers as register
    from certreg.security import register_security_headers

    register(app)
    register_security_headers(app)


def register_commands(app: Flask) -> None:
    from certreg.auth.cli import users_cli
    from certreg.certificates.cli import certificates_cli
    from certreg.countries.cli import countries_cli
    from certreg.cylinders.cli import cylinders_cli
    from certreg.demo.cli import demo_cli
    from certreg.federation.cli import federation_cli
    from certreg.focalpoints.cli import focalpoints_cli
    from certreg.keys.cli import keys_cli
    from certreg.licences.cli import licences_cli
    from certreg.logbook.cli import logbook_cli
    from certreg.notices.cli import notify_cli
    from certreg.privacy.cli import privacy_cli
    from certreg.quotas.cli import quotas_cli
    from certreg.registry.cli import registry_cli
    from certreg.reports.cli import reports_cli
    from certreg.shipments.cli import shipments_cli
    from certreg.substances.cli import substances_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(registry_cli)
    app.cli.add_command(countries_cli)
    app.cli.add_command(cylinders_cli)
    app.cli.add_command(licences_cli)
    app.cli.add_command(quotas_cli)
    app.cli.add_command(shipments_cli)
    app.cli.add_command(focalpoints_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(substances_cli)
    app.cli.add_command(logbook_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(federation_cli)


def register_template_helpers(app: Flask) -> None:
    from certreg import templating

    templating.init_app(app)
    from certreg.certificates.views import init_app as certificate_panels

    certificate_panels(app)
    from certreg.logbook.views import init_app as logbook_panels

    logbook_panels(app)
