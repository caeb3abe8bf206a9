"""Schemas every resource shares: problem details, list pages, list query arguments."""

from marshmallow import Schema, fields, validate

from tracker.api.core import DEFAULT_LIMIT, MAX_LIMIT


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Messages per field, for invalid input."},
    )


class ListArgs(Schema):
    """?limit=&cursor=: the page size and where the previous page ended."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Rows per page, 1 to {MAX_LIMIT}."},
    )
    cursor = fields.String(
        validate=[validate.Length(1, 500), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
        metadata={
            "description": "The `next` link's cursor: where the previous page ended.",
            "pattern": "^[A-Za-z0-9_-]+$",
        },
    )


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """{"data": [items], "next": link or null}. (A list's first page answered with it is
    kept until a write to what it read: tracker.api.core.first_pages_kept.)"""
    page = Schema.from_dict(
        {
            "data": fields.List(fields.Nested(item), required=True),
            "next": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "The next page's path, or null on the last page."},
            ),
        },
        name=name,
    )
    page.is_page = True  # type: ignore[attr-defined]
    return page
