"""Configuration classes.

Every setting can be given as an environment variable of the same name (see README,
"Configuration"). ``CERTREG_CONFIG`` picks the class: ``development`` (default),
``testing`` or ``production``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("CERTREG_INSTANCE_PATH", ROOT / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(default: str) -> str:
    """``DATABASE_URL`` if set; ``postgres://`` URLs are mapped to the psycopg 3 driver."""
    url = os.environ.get("DATABASE_URL") or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE / 'certreg.sqlite3'}")
    # A server database may drop idle connections: test each one before use (pointless for SQLite).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {} if SQLALCHEMY_DATABASE_URI.startswith("sqlite") else {"pool_pre_ping": True}
    # Public address printed in QR codes: ``{PUBLIC_BASE_URL}/v/{token}``. Keep it short.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Directory holding one PEM private key per issuing country (``<kid>.pem``); never in the repo.
    SIGNING_KEYS_DIR = os.environ.get("SIGNING_KEYS_DIR", str(INSTANCE / "keys"))

    # Complete languages (every string translated); ``scripts/i18n.py`` keeps the same list.
    LANGUAGES = ("en", "ru", "zh_Hans", "kk", "ky", "uz")
    # The verifier set: the public pages (verify, offline, public search, sign-in) also speak these.
    PUBLIC_LANGUAGES = ("sq", "hy", "az", "bs", "sr", "sr_Latn", "ka", "mk", "mn", "ro", "tg", "tr", "tk")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    WTF_I18N_ENABLED = True

    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # Inspection photos (docs/inspections.md): files outside the database, size and pixel limits.
    INSPECTION_PHOTOS_DIR = os.environ.get("INSPECTION_PHOTOS_DIR", str(INSTANCE / "inspection-photos"))
    INSPECTION_PHOTO_MAX_BYTES = _env_int("INSPECTION_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
    INSPECTION_PHOTO_MAX_PIXELS = _env_int("INSPECTION_PHOTO_MAX_PIXELS", 40_000_000)
    SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME", "certreg_session")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 12))
    # werkzeug.security method; the default (scrypt) is deliberately slow.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    # Sign-in throttle, per account, shared by all workers through the database.
    LOGIN_MAX_ATTEMPTS = _env_int("LOGIN_MAX_ATTEMPTS", 5)
    LOGIN_WINDOW_SECONDS = _env_int("LOGIN_WINDOW_SECONDS", 15 * 60)
    # --- accounts (docs/accounts.md) ---
    # Officials sign in again after this many hours, and after this many minutes without a request.
    OFFICIAL_SESSION_HOURS = _env_int("OFFICIAL_SESSION_HOURS", 12)
    OFFICIAL_IDLE_MINUTES = _env_int("OFFICIAL_IDLE_MINUTES", 30)
    # A password reset link works once, for this many minutes.
    PASSWORD_RESET_MINUTES = _env_int("PASSWORD_RESET_MINUTES", 30)
    # Relying party id of passkeys (WebAuthn): the site's domain. Unset: the request's host name.
    WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID") or None
    # Retention, enforced by `flask privacy purge` (run it daily): sign-in history, scan logs of the
    # public verification, the log of who viewed national ID numbers and dates of birth.
    SIGN_IN_HISTORY_DAYS = _env_int("SIGN_IN_HISTORY_DAYS", 365)
    SCAN_LOG_DAYS = _env_int("SCAN_LOG_DAYS", 365)
    PERSONAL_DATA_ACCESS_LOG_DAYS = _env_int("PERSONAL_DATA_ACCESS_LOG_DAYS", 5 * 365)
    # Sent notices are kept this many days in the outbox, then purged.
    OUTBOX_DAYS = _env_int("OUTBOX_DAYS", 90)

    # --- e-mail (certreg/notify/mail.py); without MAIL_SERVER every mail is printed to the console ---
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _env_int("MAIL_PORT", 0)  # 0: 465 with MAIL_USE_TLS, else 25
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)  # implicit TLS (SMTPS)
    MAIL_USE_STARTTLS = _env_bool("MAIL_USE_STARTTLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "certreg <no-reply@localhost>")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 30)
    # Send a notice the app queued (reset link, new sign-in) right after the response; what fails
    # waits for `flask notify send`.
    MAIL_SEND_AFTER_REQUEST = _env_bool("MAIL_SEND_AFTER_REQUEST", True)
    # Collectors of `flask notify send` look this many days back for status changes and transfers.
    NOTIFY_LOOKBACK_DAYS = _env_int("NOTIFY_LOOKBACK_DAYS", 7)

    # Send Strict-Transport-Security (only behind HTTPS).
    HSTS = _env_bool("HSTS", False)
    # Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For / X-Forwarded-Proto to
    # believe. 0 (the default) ignores those headers: a client could set them itself.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    # Page size of lists and API collections.
    PAGE_SIZE = _env_int("PAGE_SIZE", 50)

    # --- certificates (docs/certificates.md) ---
    # Default validity of a new certificate in years (the issue form's proposal), and the maximum.
    CERTIFICATE_VALIDITY_YEARS = _env_int("CERTIFICATE_VALIDITY_YEARS", 5)
    CERTIFICATE_MAX_YEARS = _env_int("CERTIFICATE_MAX_YEARS", 10)
    # "Expiring soon" on lists and home pages: certificates whose last valid day is within N days.
    CERTIFICATE_EXPIRING_DAYS = _env_int("CERTIFICATE_EXPIRING_DAYS", 60)
    # Seconds each worker reuses the trust list (JWKS) and the signed status lists before rebuilding
    # them from the database. Status changes reach offline verifiers only through the status list.
    TRUST_LIST_CACHE_SECONDS = _env_int("TRUST_LIST_CACHE_SECONDS", 60)
    STATUS_LIST_CACHE_SECONDS = _env_int("STATUS_LIST_CACHE_SECONDS", 60)
    # The "ttl" signed into each status list: seconds a verifier may use it before fetching a new one.
    STATUS_LIST_TTL_SECONDS = _env_int("STATUS_LIST_TTL_SECONDS", 24 * 3600)
    # Offline verification shows the status in amber when the last sync is older than this many days.
    VERIFY_OFFLINE_STALE_DAYS = _env_int("VERIFY_OFFLINE_STALE_DAYS", 7)
    # Federation (certreg.federation, README "Federation"): this installation's address as its peers
    # know it (default: PUBLIC_BASE_URL), how long to wait for a peer, the time window and the rate
    # of questions accepted from each peer, and how often an unchanged status document is re-signed
    # (so a peer's "as of" stays recent). Plain http:// peers only where FEDERATION_ALLOW_HTTP.
    FEDERATION_BASE_URL = os.environ.get("FEDERATION_BASE_URL", "").rstrip("/") or None
    FEDERATION_TIMEOUT_SECONDS = float(os.environ.get("FEDERATION_TIMEOUT_SECONDS", "10"))
    FEDERATION_CLOCK_SKEW_SECONDS = _env_int("FEDERATION_CLOCK_SKEW_SECONDS", 300)
    FEDERATION_RATE_LIMIT = _env_int("FEDERATION_RATE_LIMIT", 60)  # questions per peer per minute
    FEDERATION_REPUBLISH_SECONDS = _env_int("FEDERATION_REPUBLISH_SECONDS", 6 * 3600)
    FEDERATION_ALLOW_HTTP = _env_bool("FEDERATION_ALLOW_HTTP", True)
    # Public verification (/v/<token>, POST /api/v1/verify, certificate status): requests per client
    # (IP address, or user when signed in) per fixed window, counted in the database (all workers).
    VERIFY_RATE_LIMIT = _env_int("VERIFY_RATE_LIMIT", 120)
    VERIFY_RATE_WINDOW_SECONDS = _env_int("VERIFY_RATE_WINDOW_SECONDS", 60)
    # Each worker reserves this fraction of a client's limit at once in the database and spends it
    # locally (certreg/certificates/ratelimit.py): the limit holds exactly across workers; a client
    # may be refused up to workers x (share - 1) requests early.
    VERIFY_RATE_SHARE = float(os.environ.get("VERIFY_RATE_SHARE", "0.025"))
    # Scan records are buffered per worker and written every this many seconds
    # (certreg/certificates/scanlog.py); 0 writes them, and the rate-limit count, in each request's
    # own transaction.
    VERIFY_LOG_FLUSH_SECONDS = float(os.environ.get("VERIFY_LOG_FLUSH_SECONDS", "0.5"))
    # Reads that need no transaction (the API token's user, a border check's facts) run on connections kept
    # for them in autocommit (certreg/autocommit_query.py): the latest committed data, no BEGIN or COMMIT.
    # False: in the request's transaction (the tests' rolled-back one, which no other connection sees).
    AUTOCOMMIT_READS = _env_bool("AUTOCOMMIT_READS", True)
    # An anonymous GET of a public scan page runs only the request hooks that act on it and is sent without
    # a Response object (certreg/application.py, "lean dispatch"); False: every request the whole way.
    LEAN_PUBLIC_PAGES = True
    # Rendered verdict pages kept per worker (certreg/certificates/pagecache.py); the status is
    # still read live on every request. Size 0 turns the cache off.
    VERIFY_PAGE_CACHE_SIZE = _env_int("VERIFY_PAGE_CACHE_SIZE", 4096)
    VERIFY_PAGE_CACHE_SECONDS = _env_int("VERIFY_PAGE_CACHE_SECONDS", 300)

    # Logbooks. Secret key of the per-entry MAC (HMAC-SHA256) that lets `flask logbook verify` name a
    # tampered entry even when the attacker rewrote its hashes too: keep it out of the database and
    # never change it (entries keep their MACs). Unset, it is derived from SECRET_KEY: set it on its own
    # in production, so that SECRET_KEY can be rotated without invalidating every entry's MAC.
    LOGBOOK_MAC_KEY = os.environ.get("LOGBOOK_MAC_KEY")
    # Key sealing secret columns at rest (TOTP secrets; certreg/sealed.py): 32 random bytes, base64
    # (`python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`).
    # Unset, it is derived from SECRET_KEY: set it on its own in production so SECRET_KEY can rotate.
    DATA_ENCRYPTION_KEY = os.environ.get("DATA_ENCRYPTION_KEY")
    # Sign a checkpoint of a country's log once this many entries were added since the last one, or
    # this many seconds passed (with new entries). 0 turns either off; `flask logbook checkpoint` always works.
    LOGBOOK_CHECKPOINT_EVERY_ENTRIES = _env_int("LOGBOOK_CHECKPOINT_EVERY_ENTRIES", 1000)
    LOGBOOK_CHECKPOINT_EVERY_SECONDS = _env_int("LOGBOOK_CHECKPOINT_EVERY_SECONDS", 3600)
    # Equipment topped up by more than this percentage of its nominal charge in 12 months is flagged
    # as a leaker (countries may set their own threshold on the logbook settings page).
    LEAK_RATE_THRESHOLD_PERCENT = _env_int("LEAK_RATE_THRESHOLD_PERCENT", 10)
    # Late entries: an entry dated more than LATE_ENTRY_DAYS before it is recorded needs a reason (and is
    # listed as an anomaly); more than APPROVAL_DAYS, it is refused until a certifying officer approves it
    # (refused with late_entry_needs_approval). Countries may set their own (country settings).
    LOGBOOK_LATE_ENTRY_DAYS = _env_int("LOGBOOK_LATE_ENTRY_DAYS", 30)
    LOGBOOK_APPROVAL_DAYS = _env_int("LOGBOOK_APPROVAL_DAYS", 365)

    # --- reports and anomalies (docs/reports.md) ---
    # Mass-balance gap: a stock count is "far from the books" when it differs by more than this many kg
    # AND by more than this percentage of the stock the books showed.
    REPORTS_STOCK_GAP_KG = _env_int("REPORTS_STOCK_GAP_KG", 1)
    REPORTS_STOCK_GAP_PERCENT = _env_int("REPORTS_STOCK_GAP_PERCENT", 5)
    # Gas sold or exported as recovered/recycled/reclaimed beyond what the holder recovered or bought
    # from a registered seller: flagged above this many kg (per substance, up to the end of the period).
    REPORTS_UNSOURCED_USED_KG = _env_int("REPORTS_UNSOURCED_USED_KG", 1)
    # A sale or export to a registered holder still unconfirmed after this many days is an anomaly.
    REPORTS_PENDING_DAYS = _env_int("REPORTS_PENDING_DAYS", 30)
    # Imports "far above history": more than FACTOR times the average of the same period in the
    # previous HISTORY_YEARS years (years with imports only), and more than MIN_KG kg above that average.
    REPORTS_IMPORT_SURGE_FACTOR = _env_int("REPORTS_IMPORT_SURGE_FACTOR", 3)
    REPORTS_IMPORT_HISTORY_YEARS = _env_int("REPORTS_IMPORT_HISTORY_YEARS", 3)
    REPORTS_IMPORT_SURGE_MIN_KG = _env_int("REPORTS_IMPORT_SURGE_MIN_KG", 100)
    # A cylinder sold or handed over and then never charged from, returned or scanned for this many months
    # is an anomaly (certreg.reports.cylinder_anomalies).
    REPORTS_CYLINDER_IDLE_MONTHS = _env_int("REPORTS_CYLINDER_IDLE_MONTHS", 6)
    # Chronic leakers use the logbook's leak-rate threshold (LEAK_RATE_THRESHOLD_PERCENT or the country's own).


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    WTF_CSRF_ENABLED = True
    SERVER_NAME = None
    PUBLIC_BASE_URL = "https://certreg.example.org"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - an algorithm, fast in tests only
    TRUST_LIST_CACHE_SECONDS = 0
    STATUS_LIST_CACHE_SECONDS = 0
    VERIFY_LOG_FLUSH_SECONDS = float(os.environ.get("VERIFY_LOG_FLUSH_SECONDS", "0"))
    AUTOCOMMIT_READS = False  # tests that commit for real turn it on (tests/test_autocommit_reads.py)
    VERIFY_PAGE_CACHE_SIZE = 0
    LOGBOOK_MAC_KEY = "testing-only-logbook-mac-key"  # the same in every test process
    # the same in every test process too: a live server started by a test opens the secrets the test sealed
    DATA_ENCRYPTION_KEY = "dGVzdGluZy1vbmx5LWRhdGEtZW5jcnlwdGlvbi1rZXk="  # noqa: S105 - testing only
    LOGBOOK_CHECKPOINT_EVERY_ENTRIES = 0  # tests sign checkpoints when they want one
    LOGBOOK_CHECKPOINT_EVERY_SECONDS = 0
    MAIL_SEND_AFTER_REQUEST = _env_bool("MAIL_SEND_AFTER_REQUEST", False)  # tests that want it turn it on
    # fixtures date entries years back; tests of late entries set the country's own limits
    LOGBOOK_LATE_ENTRY_DAYS = 36500
    LOGBOOK_APPROVAL_DAYS = 36500


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME", "__Host-certreg")
    HSTS = _env_bool("HSTS", True)
    FEDERATION_ALLOW_HTTP = _env_bool("FEDERATION_ALLOW_HTTP", False)

    @classmethod
    def check(cls, app_config: dict) -> None:
        """Refuse to start production with an unsafe configuration."""
        problems = []
        if not app_config.get("SECRET_KEY") or len(app_config["SECRET_KEY"]) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if not os.environ.get("DATABASE_URL"):
            problems.append("DATABASE_URL must be set")
        if not os.environ.get("SIGNING_KEYS_DIR"):
            problems.append("SIGNING_KEYS_DIR must be set")
        if not os.environ.get("PUBLIC_BASE_URL", "").startswith("https://"):
            problems.append("PUBLIC_BASE_URL must be set to the public https:// address")
        if problems:
            raise RuntimeError("certreg refuses to start: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
