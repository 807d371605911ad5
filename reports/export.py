"""Tables out of Centrala as CSV or XLSX, in the office's language and time zone.

CSV streams row by row (a million calls never sit in memory and the first bytes leave at
once); it starts with a byte-order mark so that Excel reads Polish letters right. XLSX is
written by openpyxl in write-only mode to a temporary file, then sent: a workbook is a zip
and cannot be streamed as it is made. An XLSX sheet holds at most 1,048,575 rows below its
header, and a caller may ask for fewer (the call list: what a web request can build in time);
a longer export says so in its last row, and CSV has it all."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX_ROWS = 1_048_575  # below the header


class _Line:
    """csv.writer's file: hands back each line instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], most: int = XLSX_ROWS) -> Any:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for n, row in enumerate(rows):
        if n == most:
            sheet.append([_("Only the first %(n)s rows are here: export as CSV for all of them.") % {"n": f"{most:,}"}])
            break
        sheet.append(list(row))
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    book.save(spool)
    spool.seek(0)
    return spool


def table_response(
    fmt: str,
    filename: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    xlsx_rows: int = XLSX_ROWS,
) -> HttpResponseBase:
    """`filename` without extension (ASCII: it goes into a header); an XLSX holds at most
    `xlsx_rows` rows below its header, then says so."""
    if fmt == "xlsx":
        return FileResponse(xlsx_file(title, header, rows, xlsx_rows), as_attachment=True, filename=f"{filename}.xlsx")
    response = StreamingHttpResponse(_csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
