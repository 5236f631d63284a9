"""Client files for the import tests: a few known rows, and a zip bomb. Builders: devtools.spreadsheets."""
import functools
import io
import zipfile

ROWS = [
    ["Иванов Иван Иванович", "Самара", "ул. Ленина", "5", "А", "12", "8 912 345-67-89", "Д-1", "100001"],
    ["Петрова Анна Сергеевна", "Самара", "пр. Мира", "7", "", "3", "+7 (917) 000-11-22", "Д-2", "100002"],
    ["Сидоров Пётр Ильич", "Самара", "ул. Гагарина", "11", "Б", "45", "", "", "100003"],
]


@functools.cache
def zip_bomb(unpacked_bytes: int) -> bytes:
    """A real .xlsx-looking archive whose sheet unpacks into `unpacked_bytes` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1 << 20)
            for _ in range(unpacked_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()
