"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from dotenv import load_dotenv

load_dotenv()  # a .env beside this file, if there is one; real environment variables win

from tracker import create_app  # noqa: E402

app = create_app()
