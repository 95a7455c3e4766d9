"""Where things live: the repository's data folders and the official source files."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
PROCESSED_DIR = DATA_DIR / "processed"
STATIC_DIR = REPO_ROOT / "static"


def default_sources_dir() -> Path:
    """The official files: $LM_SOURCES, else ../shared/data-sources beside the clone."""
    env = os.environ.get("LM_SOURCES")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "data-sources"
