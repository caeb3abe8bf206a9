"""A bare Flask app, the ceiling the throughput benchmark compares the pages with: Flask's own
request handling and gunicorn, nothing of the tracker (no extension, hook, session or database).

    gunicorn -w 2 benchmarks.bare_app:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
