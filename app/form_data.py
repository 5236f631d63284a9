"""Reading a posted form: a body the parser cannot read is said as such, not as a stale form.

werkzeug reads a multipart body "silently": when a part cannot be read (its headers not UTF-8, e.g.
a file name in cp1251 from a client on a Windows console; a body cut short; no boundary) the whole
form comes out empty, so Flask-WTF finds no CSRF token and the page said «Форма устарела» — a wrong
reason, and "refresh the page" does not help. Here such a body is a 400 that says what happened.
Browsers send a file name as raw UTF-8 (RFC 7578, HTML's form submission) and older clients as
RFC 2231's filename*=; werkzeug reads both, Cyrillic or not."""
from flask import Request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

UNREADABLE = ("Сервер не смог прочитать отправленную форму: она пришла повреждённой или имя файла "
              "записано не в кодировке UTF-8. Вернитесь назад и отправьте форму ещё раз; если не "
              "получается — переименуйте файл (например, латиницей).")


class SayingFormDataParser(FormDataParser):
    def parse(self, stream, mimetype, content_length, options=None):
        self.silent = False
        try:
            return super().parse(stream, mimetype, content_length, options)
        except ValueError:
            raise BadRequest(UNREADABLE) from None


class AppRequest(Request):
    form_data_parser_class = SayingFormDataParser
