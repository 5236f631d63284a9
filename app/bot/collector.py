"""Text, photos and albums until «Готово», taken the same way by every dialog that asks for them:
a request's description (new_request), the resident writing to the dispatcher (request_chat) and
an executor's report (executor).

A dialog makes a Collector with its Limits and its words (Voice) and lists the collector's
handlers in its state table, beside its own «Готово»:
    text                            -> kept; empty, or without a letter or digit: said why
    a photo, an image sent as a file -> kept with its caption; one too many, or too big: said why
    anything else (a sticker, voice, video, another file) -> said what is taken
Kept means either at once (`keep`, the dialog's: the conversation hands each message to the
dispatcher; the dialog data counts them in `sent`) or gathered in the dialog data (`text`,
`photos`: gathered()) for the dialog's «Готово».

An album reaches the bot as one message per picture: it gets one acknowledgement, and at most one
of each refusal, instead of one reply per picture.
"""
from dataclasses import dataclass
from typing import Callable

from app.bot.dialog import Turn, current
from app.bot.incoming import clean, photo_of
from app.telegram import common, resident
from app.telegram.limits import DOWNLOAD_MAX_BYTES

# (turn, text, photo: Telegram's file id and unique id, or None) -> False if nothing was kept (and
# the resident was told why).
Keep = Callable[[Turn, str, tuple[str, str] | None], bool]


@dataclass(frozen=True)
class Limits:
    text_max: int                 # characters of text, all messages together when gathered
    photos_max: int | None = None  # photos in all; None: no limit
    at_once: bool = False         # each message kept as it comes (`keep`), or gathered until «Готово»


@dataclass(frozen=True)
class Voice:
    """What the dialog answers. Each text may name {done} (the «Готово» button), {number} (the
    dialog's `number`: the request), {max}; photo_kept also {count}, photo_too_big {mb}."""

    text_kept: str
    photo_kept: str
    no_words: str    # an empty text, or one without a letter or digit (emoji, punctuation)
    wrong_type: str  # a sticker, voice, video, another kind of file
    text_cut: str    # the text went past text_max: the first text_max characters are kept
    text_full: str = ""  # gathered: the text was full already, nothing added
    photo_limit: str = resident.PHOTO_LIMIT
    photo_too_big: str = resident.PHOTO_TOO_BIG


def has_words(text: str) -> bool:
    """A letter or a digit: something a person can act on (not an emoji or a row of «!»)."""
    return any(ch.isalnum() for ch in text)


def gathered(data: dict) -> tuple[str, list[tuple[str, str]]]:
    """The text and photos (file id, unique id) gathered in the dialog data."""
    text = data.get("text", data.get("desc", ""))  # "desc": a description begun before this module
    photos = [(p["file_id"], p.get("unique_id", "")) if isinstance(p, dict) else tuple(p)
              for p in data.get("photos", [])]
    return text, photos


class Collector:
    def __init__(self, limits: Limits, voice: Voice, keep: Keep | None = None):
        assert limits.at_once == (keep is not None), "`keep` is what keeps each message at once"
        self.limits, self.voice, self.keep = limits, voice, keep

    # --- the handlers a dialog lists in its state table ---

    def on_text(self, message) -> None:
        turn = current()
        text = clean(message.text)
        if not has_words(text):
            self._say(turn, message, "no_words")
            return
        if self.limits.at_once:
            cut = len(text) > self.limits.text_max
            if self.keep(turn, text[:self.limits.text_max], None):
                self._count(turn)
                self._say(turn, message, "text_cut" if cut else "text_kept")
            return
        text, said = self._join(turn.data, text)
        if said != "text_full":
            turn.update(text=text)
        self._say(turn, message, said)

    def on_photo(self, message) -> None:
        turn = current()
        data = turn.data
        count = data.get("photos_sent", 0) if self.limits.at_once else len(data.get("photos", []))
        if self.limits.photos_max is not None and count >= self.limits.photos_max:
            self._say(turn, message, "photo_limit")
            return
        file_id, unique_id, size = photo_of(message)
        if size and size > DOWNLOAD_MAX_BYTES:
            self._say(turn, message, "photo_too_big", mb=DOWNLOAD_MAX_BYTES // 2**20)
            return
        caption = clean(message.caption)
        said = "photo_kept"
        if self.limits.at_once:  # the caption goes with the photo, as the resident wrote it
            if not self.keep(turn, caption[:self.limits.text_max], (file_id, unique_id)):
                return
            self._count(turn, photos=True)
        else:
            changes = {"photos": [*data.get("photos", []), {"file_id": file_id, "unique_id": unique_id}]}
            if has_words(caption):
                text, joined = self._join(data, caption)
                changes["text"] = text
                if joined != "text_kept":  # the caption did not fit: that is what to say
                    said = joined
            turn.update(**changes)
        self._say(turn, message, said, count=count + 1)

    def on_other(self, message) -> None:
        self._say(current(), message, "wrong_type")

    # --- helpers ---

    def _join(self, data: dict, text: str) -> tuple[str, str]:
        """The gathered text with `text` added within text_max, and which Voice text says so."""
        kept, most = gathered(data)[0], self.limits.text_max
        if len(kept) >= most:
            return kept, "text_full"
        joined = f"{kept}\n{text}" if kept else text
        return (joined[:most], "text_cut") if len(joined) > most else (joined, "text_kept")

    @staticmethod
    def _count(turn, photos: bool = False) -> None:
        data = turn.data
        changes = {"sent": data.get("sent", 0) + 1}
        if photos:
            changes["photos_sent"] = data.get("photos_sent", 0) + 1
        turn.update(**changes)

    def _say(self, turn, message, what: str, **values) -> None:
        """Say Voice's `what`, once per album."""
        data = turn.data
        album = message.media_group_id or ""
        if album:
            said = data.get("album_said", []) if data.get("album") == album else []
            if what in said:
                return
            turn.update(album=album, album_said=[*said, what])
        values.setdefault("max", self.limits.photos_max if what.startswith("photo") else self.limits.text_max)
        turn.send(getattr(self.voice, what).format(done=common.BTN_DONE, number=data.get("number"), **values))
