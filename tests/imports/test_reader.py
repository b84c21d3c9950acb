"""Reading uploaded files: encodings, delimiters, quoting, XLSX, and the files people send."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from crm.imports import reader
from crm.imports.headers import guess_mapping, normal
from crm.imports.reader import Table, UnreadableFile, cell_text, detect_encoding

DATA = Path(__file__).parent.parent / "data"


def _rows(path: Path) -> list[list[str]]:
    return [values for _, values in Table(path).rows()]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "first_row"),
    [
        ("contacts_hubspot.csv", "utf-8", ",", ["1001", "Ada", "Lovelace"]),
        ("contacts_cp1252_semicolon.csv", "cp1252", ";", ["François", "Müller"]),
        ("contacts_utf8_bom_tab.csv", "utf-8-sig", "\t", ["Åsa", "Lindström"]),
        ("persons_pipedrive.csv", "utf-8", ",", ["Tim Berners-Lee", "tim@w3.example"]),
    ],
)
def test_encoding_and_delimiter_are_detected(name, encoding, delimiter, first_row):
    table = Table(DATA / name)
    assert (table.info.encoding, table.info.delimiter) == (encoding, delimiter)
    assert table.info.headers[0] != ""
    assert not table.info.headers[0].startswith("\ufeff")
    row = _rows(DATA / name)[0]
    assert row[: len(first_row)] == first_row


def test_cp1252_letters_outside_latin_1_survive():
    rows = _rows(DATA / "contacts_cp1252_semicolon.csv")
    assert rows[1][1] == "Dubœuf"


def test_bytes_that_are_not_cp1252_fall_back_to_latin_1(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"name\nA\x81b\n")  # 0x81 is undefined in Windows-1252
    assert detect_encoding(path) == "latin-1"
    assert _rows(path) == [["A\x81b"]]


def test_utf16_from_excel_unicode_text(tmp_path):
    path = tmp_path / "excel.txt"
    path.write_bytes("Name\tEmail\nZoë\tzoe@example.com\n".encode("utf-16"))
    table = Table(path)
    assert table.info.delimiter == "\t"
    assert _rows(path) == [["Zoë", "zoe@example.com"]]


def test_quoted_newlines_and_row_numbers():
    rows = list(Table(DATA / "contacts_salesforce.csv").rows())
    numbers = [n for n, _ in rows]
    assert numbers == [2, 3, 4]
    assert rows[1][1][7] == "1101 Kitchawan Rd\nBuilding 2"


def test_messy_file_reads_every_line_and_skips_blank_ones():
    rows = _rows(DATA / "contacts_messy.csv")
    assert len(rows) == 12  # 14 lines after the header; the empty line and ",,,,,," skipped
    assert rows[5][0] == "Null\x00Byte"
    assert rows[6][-1] == "here"  # extra cells are kept for the validator to judge
    assert rows[7] == ["Short", "Row"]
    assert rows[8][0] == "Quoted, Name"


def test_one_column_file(tmp_path):
    path = tmp_path / "emails.csv"
    path.write_text("email\na@example.com\nb@example.com\n")
    assert Table(path).info.delimiter == ","
    assert _rows(path) == [["a@example.com"], ["b@example.com"]]


def test_huge_field_is_read_not_refused(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("name,notes\nA," + "x" * 500_000 + "\n")
    assert len(_rows(path)[0][1]) == 500_000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00\x00\x00" * 10, "binary"),
        (b"\n\n", "column names"),
        (b"PK\x03\x04not really a zip", "cannot be opened"),
    ],
)
def test_unreadable_files_say_why(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message):
        Table(path)


def test_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    path = tmp_path / "many.csv"
    path.write_text("name\n" + "".join(f"r{n}\n" for n in range(5)))
    with pytest.raises(UnreadableFile, match="more than 3 rows"):
        _rows(path)


def test_xlsx_is_streamed_with_cells_as_people_see_them(tmp_path):
    path = tmp_path / "people.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "People"
    sheet.append(["First Name", "Last Name", "Employees", "Since", "Active", "Score"])
    sheet.append(["Ada", "Lovelace", 12, datetime.datetime(2025, 1, 3), True, 4.5])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Alan", None, 9000.0, datetime.date(2024, 5, 6), False, None])
    book.save(path)
    table = Table(path)
    assert table.info.format == "xlsx"
    assert table.info.sheet == "People"
    assert table.info.headers[:2] == ["First Name", "Last Name"]
    assert list(table.rows()) == [
        (2, ["Ada", "Lovelace", "12", "2025-01-03", "true", "4.5"]),
        (4, ["Alan", "", "9000", "2024-05-06", "false", ""]),
    ]
    assert table.samples(1) == [["Ada", "Lovelace", "12", "2025-01-03", "true", "4.5"]]


def test_cell_text():
    assert cell_text(None) == ""
    assert cell_text(1e20) == "1e+20"
    assert cell_text(datetime.datetime(2025, 1, 2, 3, 4)) == "2025-01-02T03:04:00"


def test_headers_normal_form():
    assert normal("E-mail 1 - Value") == normal("e_mail_1_value") == "e mail 1 value"
    assert normal("Prénom") == "prenom"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "contacts_hubspot.csv",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "email",
                "Phone Number": "phone",
                "Mobile Phone Number": "mobile_phone",
                "Company Name": "company.name",
                "Job Title": "job_title",
                "Lead Status": "status",
                "Contact owner": "owner",
                "City": "address.city",
                "State/Region": "address.state",
                "Country/Region": "address.country",
            },
        ),
        (
            "contacts_google.csv",
            {
                "Name": "full_name",
                "Given Name": "first_name",
                "Family Name": "last_name",
                "Group Membership": "tags",
                "E-mail 1 - Value": "email",
                "E-mail 2 - Value": "email_2",
                "Phone 1 - Value": "phone",
                "Organization 1 - Name": "company.name",
                "Organization 1 - Title": "job_title",
            },
        ),
        (
            "persons_pipedrive.csv",
            {
                "Person - Name": "full_name",
                "Person - Email": "email",
                "Person - Phone": "phone",
                "Organization - Name": "company.name",
                "Person - Job title": "job_title",
                "Person - Labels": "tags",
                "Person - Owner": "owner",
            },
        ),
        (
            "contacts_salesforce.csv",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Title": "job_title",
                "Account Name": "company.name",
                "Email": "email",
                "Phone": "phone",
                "Mobile": "mobile_phone",
                "Mailing Street": "address.street",
                "Mailing City": "address.city",
                "Mailing State/Province": "address.state",
                "Mailing Zip/Postal Code": "address.zip",
                "Mailing Country": "address.country",
                "Lead Source": "source",
            },
        ),
        (
            "contacts_cp1252_semicolon.csv",
            {
                "Prénom": "first_name",
                "Nom": "last_name",
                "E-mail": "email",
                "Téléphone": "phone",
                "Société": "company.name",
                "Ville": "address.city",
            },
        ),
    ],
)
def test_mapping_is_guessed_from_other_crms_exports(name, expected):
    headers = Table(DATA / name).info.headers
    assert guess_mapping(headers, "contact") == expected


def test_company_and_deal_mappings():
    company = guess_mapping(Table(DATA / "companies.csv").info.headers, "company")
    assert company["Company name"] == "name"
    assert company["Company Domain Name"] == "domain"
    assert company["Number of Employees"] == "size"
    deal = guess_mapping(Table(DATA / "deals_pipedrive.csv").info.headers, "deal")
    assert deal == {
        "Deal - Title": "title",
        "Deal - Value": "amount",
        "Deal - Currency": "currency",
        "Deal - Stage": "stage",
        "Deal - Expected close date": "expected_close_date",
        "Organization - Name": "company.name",
        "Person - Email": "contact.email",
    }


def test_custom_fields_match_by_key_or_label_before_built_ins():
    mapping = guess_mapping(
        ["Email", "Region", "plan_tier", "Unknown"],
        "contact",
        {"region": "Region", "plan_tier": "Plan tier"},
    )
    assert mapping == {"Email": "email", "Region": "custom.region", "plan_tier": "custom.plan_tier"}


def test_each_target_is_claimed_once():
    mapping = guess_mapping(["Email", "E-mail", "Work Email"], "contact")
    assert mapping == {"Email": "email"}
