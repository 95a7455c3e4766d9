"""Command line: python -m lm_core build-data | build-db | peers | compare | pack | load."""

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
    pe = sub.add_parser("peers", help="a council's nearest councils on context (never on outcomes)")
    pe.add_argument("code", help="GSS code of the council, e.g. E07000117")
    pe.add_argument("--lens", default="overall", help="overall | people | place | economy")
    pe.add_argument("--k", type=int, default=15, help="number of peers, 5 to 30 (default 15)")
    pe.add_argument("--tier", choices=["lower", "upper"], default=None, help="tier to compare in (unitaries)")
    pe.add_argument("--json", action="store_true", help="print JSON instead of a table")
    co = sub.add_parser("compare", help="a council's outcomes against similar councils (never a ranking)")
    co.add_argument("code", help="GSS code of the council, e.g. E07000117")
    co.add_argument("--indicator", default=None, help="one indicator id (default: every outcome that applies)")
    co.add_argument("--lens", default="overall", help="overall | people | place | economy")
    co.add_argument("--k", type=int, default=15, help="number of similar councils, 5 to 30 (default 15)")
    co.add_argument("--json", action="store_true", help="print JSON instead of text")
    pk = sub.add_parser("pack", help="a committee pack (PDF or PPTX) for a council, regenerable exactly")
    pk.add_argument("code", help="GSS code of the council, e.g. E07000117")
    pk.add_argument("--format", choices=["pdf", "pptx"], required=True)
    pk.add_argument("--out", type=Path, required=True, help="file to write")
    pk.add_argument("--lens", default="overall", help="overall | people | place | economy")
    pk.add_argument("--k", type=int, default=15, help="number of similar councils, 5 to 30")
    pk.add_argument("--areas", default=None, help="comma-separated service areas or 'all' (default: Oflog's families)")
    pk.add_argument("--date", default=None, help="YYYY-MM-DD on the title slide (default today; not in the stamp)")
    pk.add_argument("--base-url", default="http://localhost:8501", help="app address for the permalinks")
    lo = sub.add_parser("load", help="validate a CSV of your own indicator (and --save it to the store)")
    lo.add_argument("file", type=Path, help="CSV in long or wide format (see the upload page)")
    lo.add_argument("--title", required=True, help="indicator title")
    lo.add_argument("--unit", required=True, help='unit, e.g. "%%", "per 1,000 households", "£"')
    lo.add_argument("--polarity", required=True, choices=["higher_better", "lower_better", "none"])
    lo.add_argument("--tier", default="lower", choices=["lower", "upper"], help="tier the figures are for")
    lo.add_argument("--source", required=True, help="where the figures come from (shown with them)")
    lo.add_argument("--save", action="store_true", help="store it in the shared store (all rows or none)")
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
    if args.command == "peers":
        return _peers(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "pack":
        from lm_core.pack import cli_pack

        code, message = cli_pack(args.code, args.format, args.out, args.lens, args.k, args.areas, args.base_url,
                                 args.date)
        print(message, file=sys.stderr if code else sys.stdout)
        return code
    if args.command == "load":
        from lm_core.store import StoreError, ensure_store, get_engine
        from lm_core.user_data import load_cli

        try:
            engine = get_engine()
            ensure_store(engine)
        except StoreError as exc:
            print(f"load: {exc}", file=sys.stderr)
            return 2
        code, message = load_cli(args.file, args.title, args.unit, args.polarity, args.tier, args.source,
                                 args.save, engine)
        print(message, file=sys.stderr if code else sys.stdout)
        return code
    return 2


def _peers(args: argparse.Namespace) -> int:
    import json

    from lm_core.peer_groups import PeerInputError, find_peers, save_peer_set, tier_context, tier_of
    from lm_core.peers import load_config
    from lm_core.queries import authorities, catalogue, store_facts, values_for
    from lm_core.store import StoreError, ensure_store, get_engine

    try:
        engine = get_engine()
        ensure_store(engine)
        table = authorities(engine)
        if args.code not in set(table["area_code"]):
            print(f"peers: {args.code} is not a current English council code", file=sys.stderr)
            return 1
        config = load_config()
        tier = tier_of(table, args.code, args.tier)
        cat = catalogue(engine)
        values = values_for(engine, indicator_ids=list(config.variables))
        ctx = tier_context(values, cat, table, tier, config)
        result = find_peers(ctx, config, args.code, args.lens, args.k, store_facts(engine)["data_version"])
        save_peer_set(engine, result)
    except (PeerInputError, StoreError) as exc:
        print(f"peers: {exc}", file=sys.stderr)
        return 1
    from lm_core.peer_groups import to_json

    payload = to_json(result)
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    name = ctx.names[args.code]
    print(f"Councils most like {name} ({args.code}), {tier} tier, lens '{args.lens}', k={args.k}, "
          f"hash {result.hash}")
    print("(ordered by likeness in context, not by performance)")
    for p in result.members.to_dict("records"):
        print(f"  {p['area_name']:<40} similarity {p['similarity']:5.1f}%  stable in {p['stability']:5.1f}% of runs")
    return 0



def _compare(args: argparse.Namespace) -> int:
    import json

    from lm_core.peer_groups import PeerInputError, tier_context
    from lm_core.peers import load_config
    from lm_core.profile import build_profile, profile_json, split_by_indicator
    from lm_core.queries import authorities, catalogue, store_facts, values_for
    from lm_core.store import StoreError, ensure_store, get_engine

    try:
        engine = get_engine()
        ensure_store(engine)
        table = authorities(engine)
        if args.code not in set(table["area_code"]):
            print(f"compare: {args.code} is not a current English council code", file=sys.stderr)
            return 1
        cat = catalogue(engine)
        if args.indicator and args.indicator not in set(cat.loc[cat["role"] == "outcome", "id"]):
            print(f"compare: {args.indicator} is not an outcome indicator (see the About the data page)",
                  file=sys.stderr)
            return 1
        config = load_config()
        values = values_for(engine)
        contexts = {t: tier_context(values, cat, table, t, config) for t in ("lower", "upper")}
        profile = build_profile(args.code, table, cat, split_by_indicator(values), contexts, config, args.lens,
                                args.k, [args.indicator] if args.indicator else None)
    except (PeerInputError, StoreError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 1
    payload = profile_json(profile, cat, store_facts(engine)["data_version"])
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True))
        return 0
    print(f"{profile.name} ({args.code}) compared with {args.k} similar councils, lens '{args.lens}'")
    print("(no ranks: each measure against the typical range of similar councils)")
    measures: list[dict[str, str]] = payload["measures"]  # type: ignore[assignment]
    for item in measures:
        print(f"  {item['service_area'][:24]:<24} {item['title'][:48]:<48} {item['value_text']:>22}  {item['label']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
