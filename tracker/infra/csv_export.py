"""CSV downloads: streamed, UTF-8 with a BOM for spreadsheets, safe against formula injection."""

import csv
import io
import re
from collections.abc import Iterable

from flask import Response, stream_with_context

# A cell a spreadsheet would run as a formula. Phone numbers and signed numbers stay as they are.
_FORMULA = re.compile(r"^[=@\t\r]|^[+-](?![\d\s().-]*$)")


def spreadsheet_safe(value) -> str:
    """The value as text, prefixed with ' when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A streamed CSV download: rows are written as they are produced."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # so Excel reads UTF-8 names correctly
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_safe(v) for v in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
