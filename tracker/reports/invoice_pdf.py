"""An invoice or a credit note as the PDF a client files: render(invoice) -> bytes.

What it prints: the agency (AGENCY_* settings in config.py), the client, the title (INVOICE or
CREDIT NOTE, and for a credit note the invoice it credits and why), the number and dates, the
period, a row per line (description, days, hours, bill rate, amount), the total, and the terms
(Client.payment_terms_days, or the date it was paid). A draft says on every page that it is not
a valid invoice. Nothing internal is printed: no pay rate, margin, note or history.

Built with fpdf2 and its core font Helvetica, which holds Latin-1 only: every text goes through
printable(), which spells the dashes and quotes Latin-1 lacks and replaces what else it cannot
hold with "?" ("Sebastián Núñez" prints as it is). The document's dates come from the invoice,
not the clock, so rendering the same issued invoice twice gives the same bytes.
"""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask import current_app
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from tracker.models import Invoice
from tracker.services.billing import month_words
from tracker.services.invoices import creditable, days_text
from tracker.text import country_name
from tracker.text import day as day_text

FONT = "Helvetica"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
WATERMARK = (225, 225, 225)
DRAFT_HEADING = "DRAFT — not a valid invoice"
# What Latin-1 lacks but the app writes (days_words' en dash, descriptions' em dash, quotes).
SPELLED = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "-",
        "·": "-",
        "\u00a0": " ",
        "\u202f": " ",
    }
)
CURRENCY_SIGNS = {"USD": "$"}


def printable(text: object) -> str:
    """The text as Helvetica can print it: Latin-1, with '?' for what it cannot hold."""
    return str(text).translate(SPELLED).encode("latin-1", "replace").decode("latin-1")


def amount_text(value: Decimal, currency: str = "USD") -> str:
    """$1,234.50, -$120.00; another currency by its code (EUR 1,234.50)."""
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SIGNS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{abs(value):,.2f}"


def hours_text(value: Decimal) -> str:
    return f"{value:,.2f}"


def terms_text(invoice: Invoice) -> str:
    """What the client is asked to do: pay within the terms, or nothing (paid, credit note)."""
    if invoice.is_credit_note:
        credited = invoice.credits.number if invoice.credits else "the invoice"
        return f"This credit note reduces the amount due on {credited}."
    if invoice.paid_on is not None:
        return f"Paid on {day_text(invoice.paid_on)}. Thank you."
    if invoice.credit_notes and creditable(invoice) <= 0:
        return "Nothing is left to pay: credit notes cover this invoice in full."
    days = invoice.client.payment_terms_days
    terms = f"Payment due within {days} day{'s' if days != 1 else ''} of the issue date"
    if invoice.due_on is not None:
        terms += f", by {day_text(invoice.due_on)}"
    return terms + "."


class _Document(FPDF):
    """A4 pages with the agency's footer, and a draft's watermark under everything."""

    def __init__(self, footer_text: str, draft: bool):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.draft = draft
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)

    def header(self) -> None:
        if not self.draft:
            return
        with self.local_context(text_color=WATERMARK):
            self.set_font(FONT, "B", 64)
            with self.rotation(45, x=self.w / 2, y=self.h / 2):
                self.text(self.w / 2 - 55, self.h / 2 + 10, "DRAFT")
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _settings() -> dict[str, str]:
    config = current_app.config
    return {
        key: printable(config.get(key) or "").strip()
        for key in (
            "AGENCY_NAME",
            "AGENCY_ADDRESS",
            "AGENCY_EMAIL",
            "AGENCY_TAX_ID",
            "AGENCY_PAYMENT_DETAILS",
        )
    }


def _title(invoice: Invoice) -> str:
    return "CREDIT NOTE" if invoice.is_credit_note else "INVOICE"


def _line(pdf: FPDF, text: str, size: float = 10, style: str = "", colour=INK, h=5.0) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, h, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _agency_and_title(pdf: FPDF, invoice: Invoice, agency: dict[str, str]) -> None:
    """The agency at the left, the title and the document's figures at the right."""
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 14)
    pdf.set_text_color(*INK)
    pdf.multi_cell(100, 7, agency["AGENCY_NAME"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    details = [*agency["AGENCY_ADDRESS"].splitlines(), agency["AGENCY_EMAIL"]]
    if agency["AGENCY_TAX_ID"]:
        details.append(f"Tax ID: {agency['AGENCY_TAX_ID']}")
    for text in filter(None, (d.strip() for d in details)):
        pdf.multi_cell(100, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()

    right = pdf.w - pdf.r_margin - 75
    pdf.set_xy(right, top)
    pdf.set_font(FONT, "B", 20)
    pdf.set_text_color(*INK)
    pdf.cell(75, 9, _title(invoice), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    figures = [
        ("Number", invoice.number or "Draft"),
        ("Issued", day_text(invoice.issued_on) if invoice.issued_on else "Not issued"),
    ]
    if not invoice.is_credit_note:
        figures.append(("Due", day_text(invoice.due_on) if invoice.due_on else "-"))
    figures.append(("Period", month_words(invoice.period_start)))
    for label, value in figures:
        pdf.set_x(right)
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(25, 5, label, align="L")
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(*INK)
        pdf.cell(50, 5, printable(value), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(right)
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 6)


def _bill_to(pdf: FPDF, invoice: Invoice) -> None:
    _line(pdf, "BILL TO", size=8, style="B", colour=MUTED, h=4.5)
    _line(pdf, invoice.client.name, size=11, style="B", h=5.5)
    _line(pdf, country_name(invoice.client.country), size=9, colour=MUTED, h=4.5)
    if invoice.is_credit_note:
        pdf.ln(3)
        credited = invoice.credits.number if invoice.credits else "an earlier invoice"
        _line(pdf, f"Credits invoice {credited}", size=10, style="B")
        if invoice.note:
            _line(pdf, f"Reason: {invoice.note}", size=10)
    pdf.ln(5)


def _lines_table(pdf: FPDF, invoice: Invoice) -> None:
    heading = FontFace(emphasis="BOLD", color=INK, fill_color=(241, 243, 245))
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    with pdf.table(
        col_widths=(46, 20, 10, 11, 13),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=heading,
        borders_layout="HORIZONTAL_LINES",
        line_height=5,
        padding=1.5,
    ) as table:
        header = table.row()
        for name in ("Engineer / description", "Days", "Hours", "Rate / h", "Amount"):
            header.cell(name)
        for line in invoice.lines:
            row = table.row()
            row.cell(printable(line.description))
            row.cell(printable(days_text(line)))
            row.cell(hours_text(line.hours))
            row.cell(amount_text(line.rate, invoice.currency) if line.rate else "")
            row.cell(amount_text(line.amount, invoice.currency))
        if not invoice.lines:
            table.row().cell("No lines.", colspan=5)


def _totals(pdf: FPDF, invoice: Invoice) -> None:
    pdf.ln(3)
    rows = [(f"Total ({invoice.currency})", invoice.total, True)]
    credit_notes = [] if invoice.is_credit_note else invoice.credit_notes
    for note in credit_notes:
        rows.append((f"Credit note {note.number or 'draft'}", note.total, False))
    if credit_notes:
        rows.append((f"Balance ({invoice.currency})", creditable(invoice), True))
    left = pdf.w - pdf.r_margin - 90
    for label, value, strong in rows:
        pdf.set_x(left)
        pdf.set_font(FONT, "B" if strong else "", 11 if strong else 9)
        pdf.set_text_color(*(INK if strong else MUTED))
        pdf.cell(55, 7, printable(label), align="R")
        pdf.cell(35, 7, amount_text(value, invoice.currency), align="R", new_x=XPos.LMARGIN)
        pdf.ln(7)
    pdf.ln(4)


def _terms(pdf: FPDF, invoice: Invoice, agency: dict[str, str]) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    _line(pdf, terms_text(invoice), size=10, style="B")
    to_pay = not invoice.is_credit_note and not invoice.paid_on and creditable(invoice) > 0
    if agency["AGENCY_PAYMENT_DETAILS"] and to_pay:
        pdf.ln(1)
        for text in agency["AGENCY_PAYMENT_DETAILS"].splitlines():
            _line(pdf, text, size=9, colour=MUTED, h=4.5)
    if invoice.number and to_pay:
        _line(pdf, f"Please quote {invoice.number} with your payment.", size=9, colour=MUTED)


def _created(invoice: Invoice) -> datetime:
    """The document's date: its issue date (a draft: the end of its period), never the clock."""
    when: date = invoice.issued_on or invoice.period_end
    return datetime.combine(when, time(), tzinfo=UTC)


def render(invoice: Invoice) -> bytes:
    """The invoice or credit note as a PDF (Latin-1 text, A4, one page per ~25 lines)."""
    agency = _settings()
    footer = " - ".join(filter(None, (agency["AGENCY_NAME"], agency["AGENCY_EMAIL"])))
    pdf = _Document(footer_text=footer, draft=invoice.is_draft)
    pdf.set_creation_date(_created(invoice))
    title = f"{_title(invoice).title()} {invoice.number or 'draft'}"
    pdf.set_title(printable(title))
    pdf.set_author(agency["AGENCY_NAME"])
    pdf.set_subject(printable(f"{invoice.client.name}, {month_words(invoice.period_start)}"))
    pdf.set_lang("en")
    pdf.alias_nb_pages()
    pdf.add_page()

    if invoice.is_draft:
        _line(pdf, printable(DRAFT_HEADING), size=12, style="B", colour=(176, 42, 55), h=7)
        pdf.ln(2)
    _agency_and_title(pdf, invoice, agency)
    _bill_to(pdf, invoice)
    _lines_table(pdf, invoice)
    _totals(pdf, invoice)
    _terms(pdf, invoice, agency)
    return bytes(pdf.output())
