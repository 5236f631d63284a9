"""Files kept under STORAGE_DIR (photos from residents and from staff)."""
import os
import tempfile
from pathlib import Path

from flask import current_app

def save(relative: str, content: bytes) -> None:
    """Write the file under STORAGE_DIR at once: readers never see half a file."""
    target = Path(current_app.config["STORAGE_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(tmp, target)
