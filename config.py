"""Configuration read from the environment; one class per way of running the app."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SQLITE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'tracker.db'}"
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "dev-only-not-secret"}


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs say postgres://; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url(DEFAULT_SQLITE_URL)
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    BOOTSTRAP_SERVE_LOCAL = True  # Bootstrap comes from the installed package, never a CDN
    BOOTSTRAP_BOOTSWATCH_THEME = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    # Absolute lifetime: a sign-in lasts at most this long, however active.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", "12")))
    # The cookie is sent again only when the session changes (its last-seen time does at most
    # once a minute: tracker.auth.access), not re-signed on every response.
    SESSION_REFRESH_EACH_REQUEST = False
    # Idle lifetime: a session unused this long ends.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    # There is no "remember me": a cookie that outlives the session would outlive these rules.
    # Flask-Login's remember cookie is never set; its flags are still the safe ones.
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PASSWORD_CHANGE_RATE_LIMIT = os.environ.get("PASSWORD_CHANGE_RATE_LIMIT", "5 per 15 minutes")

    # Password hashing: werkzeug's scrypt (N=2^15, r=8, p=1) unless a test speeds it up.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a password)
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Requests per API token (README: "API"), counted in the shared RATELIMIT_STORAGE_URI store.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")

    FORCE_HTTPS = False
    PAGE_SIZE = 25
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # uploads (CSV imports) up to 8 MB
    # A confirmed import posts the previewed file back as one (signed) form field.
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH

    # Matching (README: "Matching rules"). Component weights add up to 100.
    MATCH_WEIGHTS = {"skills": 40, "overlap": 25, "rate": 15, "seniority": 10, "availability": 10}
    # What the agency bills over an engineer's pay: an engineer fits a budget (a maximum bill
    # rate) when hourly_rate x MATCH_MARKUP <= max_bill_rate.
    MATCH_MARKUP = Decimal(os.environ.get("MATCH_MARKUP", "1.35"))
    # How far above the requested seniority an engineer may be: 1 lets a senior fill a mid
    # request but not a junior one (overqualified people leave, and cost more).
    MATCH_SENIORITY_STEPS_ABOVE = 1

    # Demo data is created by `make run` only when the database is empty.
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "tracker-demo-2026")

    # --- Timesheets (README: "Hours and timesheets") -------------------------------------------
    # A week's total above this is refused (hours per placement and week).
    TIMESHEET_MAX_WEEKLY_HOURS = Decimal(os.environ.get("TIMESHEET_MAX_WEEKLY_HOURS", "60"))
    # A submitted timesheet nobody answered is approved by the daily job after this many
    # business days (Monday to Friday).
    TIMESHEET_AUTO_APPROVE_DAYS = int(os.environ.get("TIMESHEET_AUTO_APPROVE_DAYS", "5"))

    # --- Interviews (README: "Interviews") ----------------------------------------------------
    # How long an interview lasts; the slots offered are this long (15 to 240 minutes).
    INTERVIEW_MINUTES = int(os.environ.get("INTERVIEW_MINUTES", "45"))

    # --- Notifications and e-mail (README: "Notifications and e-mail") -----------------------
    # Links in e-mails are made absolute with this, e.g. https://tracker.agency.example
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "").rstrip("/")
    # No MAIL_SERVER: the "log" transport writes each e-mail to the log and marks it sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)  # STARTTLS after connecting
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)  # TLS from the first byte (usually port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Engagement Tracker <no-reply@localhost>"
    )
    MAIL_SUBJECT_PREFIX = os.environ.get("MAIL_SUBJECT_PREFIX", "[Engagement Tracker] ")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per SMTP operation
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    # Webhooks (README: "Webhooks"), sent by the same worker: attempts before a delivery is
    # kept as failed, and seconds to wait for a receiver's answer.
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
    WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
    # Receivers on this machine or a private network: refused unless allowed (development and
    # tests allow them; production does not, whatever FORCE_HTTPS says).
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", False)
    # Days an invitation link to the portal works (once) before a new one must be sent.
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "7"))
    # --- end of notifications and e-mail ------------------------------------------------------

    # --- Invoice PDFs (README: "Invoices"): who bills, printed at the top of every invoice ----
    AGENCY_NAME = os.environ.get("AGENCY_NAME", "Engagement Tracker Agency")
    # Lines separated by "\n" (a real newline, or the two characters \n in an .env file).
    AGENCY_ADDRESS = os.environ.get("AGENCY_ADDRESS", "").replace("\\n", "\n")
    AGENCY_EMAIL = os.environ.get("AGENCY_EMAIL", "billing@agency.example")
    AGENCY_TAX_ID = os.environ.get("AGENCY_TAX_ID", "")  # printed when set, e.g. a VAT number
    # How to pay (bank, IBAN, reference), printed under the payment terms when set.
    AGENCY_PAYMENT_DETAILS = os.environ.get("AGENCY_PAYMENT_DETAILS", "").replace("\\n", "\n")
    # --- end of invoice PDFs --------------------------------------------------------------------


class DevelopmentConfig(Config):
    """`make run`: SQLite in instance/, debug toolbar off, helpful errors."""

    DEBUG = True
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", True)  # a receiver on localhost


class TestingConfig(Config):
    """The test suite: its own database, cheap hashes, no rate-limit surprises."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    # still scrypt, 32x cheaper: tests sign in a lot
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
    WEBHOOK_ALLOW_PRIVATE = True  # the tests' receivers listen on loopback


class ProductionConfig(Config):
    """gunicorn behind TLS; refuses to start without a real SECRET_KEY."""

    DEBUG = False
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = _bool("FORCE_HTTPS", True)
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls, config) -> None:
        """Refuse to run production with a missing or well-known secret key."""
        key = config.get("SECRET_KEY") or ""
        if key in INSECURE_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "ProductionConfig needs SECRET_KEY set to a random value of at least 32 "
                'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by APP_ENV (development when unset)."""
    name = os.environ.get("APP_ENV", "development").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
