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


def _decimal(value: str) -> Decimal | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidOperation
    return number


def read_transactions(raw: bytes, *, max_rows: int) -> list[tuple[int, TransactionInput]]:
    """Every row as (line number, input); raises ImportRefused listing every unreadable row."""
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


def _read(reader: csv.DictReader, *, max_rows: int) -> list[tuple[int, TransactionInput]]:
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
    parsed: list[tuple[int, TransactionInput]] = []
    for line, cells in rows:
        row_errors = []
        try:
            traded_on = date.fromisoformat(cells["date"])
        except ValueError:
            row_errors.append(RowError(line, "date", _("Write dates as YYYY-MM-DD.")))
            traded_on = None
        numbers = {}
        for name in ("quantity", "price", "fee"):
            try:
                numbers[name] = _decimal(cells.get(name, ""))
            except (InvalidOperation, ValueError):
                row_errors.append(RowError(line, name, _("Not a number: “%(value)s”.")
                                           % {"value": cells.get(name, "")[:40]}))  # fmt: skip
        code = cells.get("stock", "")
        stock = stocks.get(code)
        if code and stock is None:
            row_errors.append(
                RowError(
                    line, "stock", _("No listed stock has the code %(code)s.") % {"code": code[:20]}
                )
            )
        if len(cells.get("note", "")) > 200:
            row_errors.append(RowError(line, "note", _("A note is at most 200 characters.")))
        if row_errors:
            errors += row_errors
            continue
        parsed.append((line, TransactionInput(
            kind=cells["type"].lower(), stock=stock, quantity=numbers["quantity"],
            price=numbers["price"], fee=numbers["fee"] or Decimal(0), traded_on=traded_on,
            note=cells.get("note", ""),
        )))  # fmt: skip
    if errors:
        raise ImportRefused(errors)
    if not parsed:
        raise ImportRefused([RowError(1, "file", _("The file has no transactions."))])
    return parsed


def write_transactions(rows: object) -> str:
    """Rows (header first) as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
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
        return transactions_import(
            portfolio=portfolio, rows=read_transactions(raw, max_rows=max_rows)
        )
    except ImportRefused as exc:
        raise ImportRefused(
            [
                RowError(e.line, _COLUMN_OF_FIELD.get(e.field, e.field), e.message)
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
