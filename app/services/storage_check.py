"""The file store against the rows that name its files (`flask storage-check`).

A file under STORAGE_DIR that no row names (a crash between writing the file and committing its
row, a half-written `.part-` file, one copied there by hand, one left after migration 0015 moved
the photos into the database) is reported, never deleted: only a person can tell whether it is
still wanted. A row naming a file the store lacks is reported too (its photo does not show), and
a file in the database that no row names (none should be: a file and its row commit together).
"""
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, ExportJob, MeterReading, Notification, RequestPhoto
from app.services import storage

# Every column that holds a file store reference; notifications' "telegram:<file id>" are Telegram's.
REFERENCES = (RequestPhoto.file_path, Notification.photo, Announcement.photo, ExportJob.file,
              MeterReading.photo_path)
TELEGRAM_FILE = "telegram:"


def files_under(root: Path) -> list[str]:
    """Every file under `root`, as paths relative to it (sorted)."""
    if not root.is_dir():
        return []
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def not_named(root: Path, names) -> list[str]:
    """The files under `root` that none of `names` (paths relative to `root`) names."""
    root = root.resolve()
    named = {(root / name).resolve() for name in names}
    return [name for name in files_under(root) if (root / name).resolve() not in named]


@dataclass
class Report:
    root: Path
    unnamed: list[str] = field(default_factory=list)               # files under root no row names
    missing: list[tuple[str, str]] = field(default_factory=list)   # (table.column, reference) lacking its file
    unnamed_stored: list[int] = field(default_factory=list)        # stored_files ids no row names

    def lines(self, limit: int | None = None) -> list[str]:
        out = [f"Files under {self.root} that no row names: {len(self.unnamed)}"
               + (" (left as they are: nothing is deleted; remove them by hand once you know "
                  "nobody needs them)" if self.unnamed else "")]
        out += [f"  {name}" for name in self.unnamed[:limit]]
        if limit is not None and len(self.unnamed) > limit:
            out.append(f"  ... and {len(self.unnamed) - limit} more")
        out.append(f"Files in the database that no row names: {len(self.unnamed_stored)}"
                   + (f" (stored_files ids {', '.join(map(str, self.unnamed_stored[:limit]))}"
                      + (" ..." if limit is not None and len(self.unnamed_stored) > limit else "") + ")"
                      if self.unnamed_stored else ""))
        out.append(f"Rows naming a file the store lacks: {len(self.missing)}")
        out += [f"  {where}: {ref}" for where, ref in self.missing[:limit]]
        if limit is not None and len(self.missing) > limit:
            out.append(f"  ... and {len(self.missing) - limit} more")
        return out


def check(root: Path) -> Report:
    """Compare STORAGE_DIR (`root`) and the database's files with every reference the rows hold."""
    report = Report(root.resolve())
    stored = set(db.session.execute(select(storage._files.c.id)).scalars())
    names, named_ids = [], set()
    for column in REFERENCES:
        where = f"{column.class_.__tablename__}.{column.key}"
        for ref in sorted(set(db.session.execute(select(column).where(column != "").distinct()).scalars())):
            if ref.startswith(TELEGRAM_FILE):
                continue
            if ref.startswith(storage.DB):
                named_ids.add(storage._file_id(ref))
                if storage._file_id(ref) not in stored:
                    report.missing.append((where, ref))
                continue
            names.append(ref)
            if storage._path(ref) is None:
                report.missing.append((where, ref))
    report.unnamed = not_named(report.root, names)
    report.unnamed_stored = sorted(stored - named_ids)
    return report
