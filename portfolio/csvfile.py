"""CSV import and export of transactions: the columns, and reading a file into checked rows.

Columns (a header row first; order free, names case-insensitive):

    date      YYYY-MM-DD
    type      buy | sell | dividend | fee
    stock     6-digit code (blank for a fee)
    quantity  shares (a dividend: the shares it was paid on)
    price     KRW per share (a dividend: per share)
    fee       KRW, optional (a dividend: tax withheld)
    note      optional

UTF-8 (with or without a BOM) or CP949, the encoding Korean Excel saves in.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.http import HttpResponse
from django.utils.translation import gettext as _

from portfolio import selectors
from portfolio.models import Portfolio, Transaction
from portfolio.selectors import CSV_COLUMNS, FORMULA_STARTS
from portfolio.services import ImportRefused, RowError, TransactionInput, transactions_import
from stocks.models import Stock

REQUIRED_COLUMNS = ("date", "type", "stock", "quantity", "price")


def _text(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([RowError(0, "file", _("The file is not UTF-8 or CP949 text."))])


# '.' is the decimal point; a comma only groups thousands (1,500 or 1,500.25), never "1,5",
# which was read as 15. Nothing else Decimal() would take ("1_5", "NaN").
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class NotANumber(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _decimal(value: str) -> Decimal | None:
    """A cell's number, None if blank. Raises NotANumber with the message to show."""
    value = value.strip()
    if not value:
        return None
    if "," in value:
        if not _GROUPED.fullmatch(value):
            raise NotANumber(
                _("“%(value)s” is not a number: a comma may only separate thousands (1,500), "
                  "and decimals take a point (1.5).") % {"value": value[:40]}
            )  # fmt: skip
        value = value.replace(",", "")
    if not _PLAIN.fullmatch(value):
        raise NotANumber(_("Not a number: “%(value)s”.") % {"value": value[:40]})
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # an exponent past what Decimal takes
        raise NotANumber(_("Not a number: “%(value)s”.") % {"value": value[:40]}) from exc


Rows = list[tuple[int, TransactionInput]]


def read_transactions(raw: bytes, *, max_rows: int) -> tuple[Rows, list[RowError]]:
    """Every row as (line number, input), and what could not be read in them (that field is
    None in its row; a row that could not be split into columns is left out). Raises
    ImportRefused if the file itself cannot be read."""
    text = _text(raw)
    if "\x00" in text:
        raise ImportRefused([RowError(0, "file", _("The file contains NUL characters."))])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read(reader, max_rows=max_rows)
    except csv.Error as exc:
        raise ImportRefused(
            [RowError(reader.line_num, "file", _("Not a readable CSV file: %(error)s")
                      % {"error": str(exc)[:100]})]
        ) from exc  # fmt: skip


def _read(reader: csv.DictReader, *, max_rows: int) -> tuple[Rows, list[RowError]]:
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportRefused([RowError(1, "header", _("Missing columns: %(columns)s. Expected: "
                                                       "%(expected)s.") % {
            "columns": ", ".join(missing), "expected": ", ".join(CSV_COLUMNS)})])  # fmt: skip
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for row in reader:
        line = reader.line_num
        if len(rows) >= max_rows:
            raise ImportRefused(
                [
                    RowError(
                        line,
                        "file",
                        _("More than %(count)d rows: split the file.") % {"count": max_rows},
                    )
                ]
            )
        if None in row:
            errors.append(RowError(line, "row", _("More values than columns.")))
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        note = cells.get("note", "")
        if note.startswith("'") and note[1:].startswith((*FORMULA_STARTS, "'")):
            cells["note"] = note[1:]  # the export's guard against spreadsheet formulas
        if any(cells.values()):
            rows.append((line, cells))
    codes = {cells["stock"] for _, cells in rows if cells.get("stock")}
    stocks = {stock.code: stock for stock in Stock.objects.filter(code__in=codes)}
    parsed: Rows = []
    for line, cells in rows:
        # Every cell is read, whatever else is wrong in the row, so one pass names every problem;
        # the service checks the rest (transactions_import). Field names are the service's.
        try:
            traded_on = date.fromisoformat(cells["date"])
        except ValueError:
            errors.append(RowError(line, "traded_on", _("Write dates as YYYY-MM-DD.")))
            traded_on = None
        numbers: dict[str, Decimal | None] = {}
        for name in ("quantity", "price", "fee"):
            try:
                numbers[name] = _decimal(cells.get(name, ""))
            except NotANumber as exc:
                errors.append(RowError(line, name, exc.message))
                numbers[name] = None
        code = cells.get("stock", "")
        stock = stocks.get(code)
        if code and stock is None:
            errors.append(
                RowError(
                    line, "stock", _("No listed stock has the code %(code)s.") % {"code": code[:20]}
                )
            )
        if len(cells.get("note", "")) > 200:
            errors.append(RowError(line, "note", _("A note is at most 200 characters.")))
        parsed.append((line, TransactionInput(
            kind=cells["type"].lower(), stock=stock, quantity=numbers["quantity"],
            price=numbers["price"], fee=numbers["fee"] or Decimal(0), traded_on=traded_on,
            note=cells.get("note", "")[:200],
        )))  # fmt: skip
    if not parsed and not errors:
        raise ImportRefused([RowError(1, "file", _("The file has no transactions."))])
    return parsed, errors


def write_transactions(rows: object) -> str:
    """Rows (header first) as CSV text."""
    buffer = io.StringIO()
    # CRLF ends a record, as in RFC 4180 and Excel: the writer then quotes any cell holding a CR
    # or LF, a lone CR included ("\n" quoted only LF; an unquoted CR split the row on import).
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)  # type: ignore[arg-type]
    return buffer.getvalue()


# The service's names for what the file calls its columns.
_COLUMN_OF_FIELD = {"traded_on": "date", "kind": "type"}


def transactions_import_csv(
    *, portfolio: Portfolio, raw: bytes, max_rows: int
) -> list[Transaction]:
    """Read a CSV file and record all its rows, or none. Raises ImportRefused, naming the
    file's lines and columns."""
    try:
        rows, unreadable = read_transactions(raw, max_rows=max_rows)
        return transactions_import(portfolio=portfolio, rows=rows, unreadable=unreadable)
    except ImportRefused as exc:
        raise ImportRefused(
            [
                RowError(e.line, _COLUMN_OF_FIELD.get(e.field, e.field), e.message, e.code)
                for e in exc.errors
            ]
        ) from exc


def csv_download(*, user_id: int, portfolio: Portfolio) -> HttpResponse:
    """The portfolio's transactions as a CSV attachment."""
    text = write_transactions(
        selectors.transactions_csv_rows(user_id=user_id, portfolio_id=portfolio.pk)
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="portfolio-{portfolio.pk}-transactions.csv"'
    )
    return response
