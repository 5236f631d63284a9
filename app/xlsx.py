"""What every .xlsx file we hand out shares: the text rules and the download response.

Text stays text: nothing becomes a formula, a number ("00123" keeps its zeros) or a link;
text that Excel or LibreOffice would run as a formula once the cell is edited (it starts
with = + - @, a tab or a carriage return) is written with a quote prefix; control
characters that XML cannot hold are dropped.
"""
import re
from urllib.parse import quote

from flask import send_file

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")
TEXT_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


def clean_text(text: str) -> str:
    """The text without the control characters an .xlsx file cannot hold."""
    return ILLEGAL_XML.sub("", text) if ILLEGAL_XML.search(text) else text


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def attachment(source, name: str, ascii_name: str):
    """A no-store download of `source` (a path or a file object) named `name`.

    RFC 6266 / 5987: an ASCII name for old clients, the Russian one for everyone else.
    """
    response = send_file(source, mimetype=XLSX_MIME, as_attachment=True, download_name=ascii_name)
    return download_headers(response, name, ascii_name)


def download_headers(response, name: str, ascii_name: str):
    """Name the download (RFC 6266 / 5987) and keep it out of every cache."""
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(name, safe="")}')
    response.headers["Cache-Control"] = "private, no-store"
    return response
