"""What a photo staff upload for Telegram must be (a message to a resident, an announcement): a JPEG or
PNG by its content, not by its name or the browser's word, within sendPhoto's size and sides."""
import struct

from app.telegram.limits import PHOTO_RATIO_MAX, PHOTO_SIDES_MAX, SEND_PHOTO_MAX_BYTES

MEGABYTE = 2**20


class BadPhoto(ValueError):
    """Telegram would not take the photo; the message says why, in Russian for staff."""


def check_photo(data: bytes) -> str:
    """The file extension (`.jpg` or `.png`) of a photo Telegram will accept, or BadPhoto."""
    if not data:
        raise BadPhoto("Файл пустой. Выберите фото в формате JPEG или PNG.")
    if len(data) > SEND_PHOTO_MAX_BYTES:
        size = f"{len(data) / MEGABYTE:.1f}".replace(".", ",")
        raise BadPhoto(f"Фото больше {SEND_PHOTO_MAX_BYTES // MEGABYTE} МБ ({size} МБ) — Telegram такое не примет. "
                       "Уменьшите или сожмите его.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        ext, size = ".png", _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        ext, size = ".jpg", _jpeg_size(data)
    else:
        raise BadPhoto("Это не фото: принимаются только изображения JPEG и PNG.")
    if size is None:
        raise BadPhoto("Файл изображения повреждён: его не удалось прочитать. Выберите другое фото.")
    width, height = size
    if not width or not height or width + height > PHOTO_SIDES_MAX \
            or max(width, height) / min(width, height) > PHOTO_RATIO_MAX:
        raise BadPhoto(f"Фото {width}×{height} Telegram не примет: ширина и высота вместе — не больше "
                       f"{PHOTO_SIDES_MAX}, а одна сторона — не длиннее другой в {PHOTO_RATIO_MAX} раз.")
    return ext


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the JPEG's frame header (SOFn)."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None
