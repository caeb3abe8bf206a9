"""Flask extensions, created unbound and attached in create_app()."""

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from tracker.models.base import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()

__all__ = ["bootstrap", "csrf", "db", "limiter", "login_manager", "migrate", "talisman"]
