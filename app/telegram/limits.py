"""Telegram's limits, each once, named for what it limits (Bot API documentation)."""

MESSAGE_TEXT_MAX = 4096          # characters of a text message
PHOTO_CAPTION_MAX = 1024         # characters of a photo's caption
CALLBACK_DATA_MAX_BYTES = 64     # bytes of an inline button's callback data
DOWNLOAD_MAX_BYTES = 20 * 2**20  # the largest file getFile hands out (a resident's photo bigger than this is lost)
SEND_PHOTO_MAX_BYTES = 10 * 2**20  # the largest photo sendPhoto takes (staff photos, announcements)
PHOTO_SIDES_MAX = 10_000         # sendPhoto: width + height at most
PHOTO_RATIO_MAX = 20             # sendPhoto: the longer side at most 20 times the shorter
