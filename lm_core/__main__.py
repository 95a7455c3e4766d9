"""Command line: python -m lm_core build-data | build-db."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lm_core.paths import PROCESSED_DIR, default_sources_dir


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one subcommand; exit codes: 0 ok, 1 rejected input, 2 usage."""
    parser = argparse.ArgumentParser(prog="python -m lm_core", description="Level Measures tools")
    sub = parser.add_subparsers(dest="command", required=True)
    bd = sub.add_parser("build-data", help="read the official files and rewrite data/processed")
    bd.add_argument("--sources", type=Path, default=None, help="folder holding the publisher folders")
    bd.add_argument("--out", type=Path, default=PROCESSED_DIR, help=argparse.SUPPRESS)
    db = sub.add_parser("build-db", help="load data/processed into LM_DATABASE_URL (default SQLite)")
    db.add_argument("--url", default=None, help="SQLAlchemy URL (default $LM_DATABASE_URL or data/*.sqlite)")
    args = parser.parse_args(argv)

    if args.command == "build-data":
        from lm_core.build import BuildError, build_data

        try:
            build_data(args.sources or default_sources_dir(), out_dir=args.out)
        except BuildError as exc:
            print(f"build-data: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "build-db":
        from lm_core.store import StoreError, build_db, database_url, get_engine, safe_url

        url = args.url or database_url()
        try:
            version = build_db(get_engine(url), progress=lambda f, m: print(f"{f:4.0%} {m}"))
        except StoreError as exc:
            print(f"build-db: {exc}", file=sys.stderr)
            return 1
        print(f"loaded data version {version} into {safe_url(url)}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
