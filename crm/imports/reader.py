"""Uploaded spreadsheets read row by row, never whole: CSV in any delimiter, quoting and
encoding people send (UTF-8 with or without BOM, UTF-16 from Excel's "Unicode text", Windows-1252
and Latin-1 from older exports), and XLSX through openpyxl's streaming reader."""

from __future__ import annotations

import codecs
import csv
import datetime
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

# A field this long is refused by the row's validation, not by the parser, so that one huge
# cell rejects its row instead of stopping the whole file.
csv.field_size_limit(64 * 1024 * 1024)

MAX_ROWS = 1_048_576  # Excel's limit, and ours
SNIFF_BYTES = 64 * 1024
SCAN_CHUNK = 1024 * 1024
DELIMITERS = ",;\t|"
XLSX_MAGIC = b"PK\x03\x04"


@contextmanager
def local_path(field_file: Any) -> Iterator[Path]:
    """A path on this machine for a stored file: its own path on local storage, else a
    temporary copy (S3-compatible storage has no paths), streamed in 1 MB pieces."""
    try:
        own = Path(field_file.path)
    except NotImplementedError:
        own = None
    if own is not None and own.exists():
        yield own
        return
    suffix = Path(field_file.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with field_file.open("rb") as source:
            if source.seekable():
                source.seek(0)  # a file just saved may still be open at its end
            shutil.copyfileobj(source, copy, SCAN_CHUNK)
        copy.flush()
        yield Path(copy.name)


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file we can read; the message says why, for the user."""


@dataclass
class TableInfo:
    format: str  # "csv" | "xlsx"
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    samples: list[list[str]] = field(default_factory=list)


def detect_encoding(path: Path) -> str:
    """The codec that reads the whole file: a BOM decides; otherwise UTF-8 if every byte is
    valid UTF-8 (checked in chunks with an incremental decoder), else Windows-1252, else
    Latin-1 (which reads any byte)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(SCAN_CHUNK):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def detect_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample; falls back to the most frequent candidate on the header
    line when the sniffer cannot decide (a one-column file, say)."""
    cut = sample.rfind("\n")
    if cut > 0:
        sample = sample[:cut]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.split("\n", 1)[0]
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == XLSX_MAGIC


class Table:
    """One uploaded file. ``rows()`` yields ``(row_number, values)`` for each data row, where
    ``row_number`` is the row as a spreadsheet shows it (the header is row 1)."""

    def __init__(self, path: str | Path, *, delimiter: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists() or self.path.stat().st_size == 0:
            raise UnreadableFile("The file is empty.")
        if is_xlsx(self.path):
            self.info = self._xlsx_info()
        else:
            self.info = self._csv_info(delimiter)
        if not any(h.strip() for h in self.info.headers):
            raise UnreadableFile("The first row has no column names.")

    # --- CSV ---------------------------------------------------------------------------

    def _csv_open(self, encoding: str) -> IO[str]:
        return open(self.path, encoding=encoding, newline="", errors="strict")

    def _csv_info(self, delimiter: str | None) -> TableInfo:
        encoding = detect_encoding(self.path)
        with self._csv_open(encoding) as handle:
            sample = handle.read(SNIFF_BYTES)
        head = sample[:4096]
        if encoding != "utf-16" and head.count("\x00") > max(8, len(head) // 20):
            raise UnreadableFile("This looks like a binary file, not a CSV or XLSX file.")
        delimiter = delimiter or detect_delimiter(sample)
        info = TableInfo(format="csv", headers=[], encoding=encoding, delimiter=delimiter)
        with self._csv_open(encoding) as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                info.headers = [h.strip() for h in next(reader)]
            except StopIteration:
                raise UnreadableFile("The file is empty.") from None
            except csv.Error as error:
                raise UnreadableFile(f"The first row cannot be read: {error}.") from None
        return info

    def _csv_rows(self) -> Iterator[tuple[int, list[str]]]:
        with self._csv_open(self.info.encoding) as handle:
            reader = csv.reader(handle, delimiter=self.info.delimiter)
            next(reader, None)
            number = 1
            for values in reader:
                number += 1
                if not any(v.strip() for v in values):
                    continue  # a blank line, or a row of empty cells
                yield number, values

    # --- XLSX --------------------------------------------------------------------------

    def _workbook(self) -> Any:
        from openpyxl import load_workbook

        try:
            return load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:  # zip or XML damage: say so, don't crash the job
            reason = type(error).__name__
            raise UnreadableFile(f"The XLSX file cannot be opened ({reason}).") from None

    def _xlsx_info(self) -> TableInfo:
        workbook = self._workbook()
        try:
            sheet = workbook.worksheets[0]
            first = next(sheet.iter_rows(values_only=True, max_row=1), None)
            if first is None:
                raise UnreadableFile("The first sheet is empty.")
            return TableInfo(
                format="xlsx", headers=[cell_text(v).strip() for v in first], sheet=sheet.title
            )
        finally:
            workbook.close()

    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        workbook = self._workbook()
        try:
            sheet = workbook.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True, min_row=2), 2):
                row = [cell_text(v) for v in values]
                if any(row):
                    yield number, row
        finally:
            workbook.close()

    # --- Both --------------------------------------------------------------------------

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows, streamed. Raises UnreadableFile past MAX_ROWS or on a broken quote."""
        source = self._xlsx_rows() if self.info.format == "xlsx" else self._csv_rows()
        count = 0
        try:
            for number, values in source:
                count += 1
                if count > MAX_ROWS:
                    raise UnreadableFile(f"The file has more than {MAX_ROWS:,} rows.")
                yield number, values
        except csv.Error as error:
            message = f"The file cannot be read past row {count + 1}: {error}."
            raise UnreadableFile(message) from None

    def samples(self, count: int = 5) -> list[list[str]]:
        """The first ``count`` data rows, for the mapping step."""
        out = []
        for _, values in self.rows():
            out.append(values)
            if len(out) >= count:
                break
        return out


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees: dates as ISO dates, whole numbers without
    ``.0``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value)
