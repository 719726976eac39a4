"""One rotating log file per user, in platformdirs' user log dir."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from platformdirs import user_log_dir

LOG_NAME = "overfit-lab.log"
_handler: logging.Handler | None = None


def log_dir() -> Path:
    return Path(user_log_dir("overfit-lab", appauthor=False))


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to <user log dir>/overfit-lab.log (1 MB, 3 old files kept). Returns its path, or
    None when the folder cannot be written (the app still runs)."""
    global _handler
    path = log_dir() / LOG_NAME
    if _handler is not None:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    _handler = handler
    return path
