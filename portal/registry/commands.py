"""`portal import …`: the registry imports on the command line (added to portal/cli.py's parser).

    portal import institutions FILE [--dry-run] [--valid-only] [--user LOGIN] [--report OUT]
    portal import places FILE [the same options]     (unregistered places, place_import.py)
    portal import template institutions|places OUT.xlsx

Exit status: 0 when the file was valid (and written, unless a dry run) or its valid rows were
written with --valid-only; 1 when it has bad rows and nothing was written; 2 when the file
cannot be read or the user is unknown.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

KINDS = ("institutions", "places")


def add_parser(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import the city's registry from XLSX or CSV "
                         "(UTF-8 or GB18030), every row checked first")
    kinds = imp.add_subparsers(dest="import_kind", required=True)
    for name, help_, runner in (
            ("institutions", "institutions, upserted by credit code",
             "portal.registry.services:import_institutions"),
            ("places", "unregistered places (未登记/未备案场所), upserted by credit code or by "
             "district, name and address", "portal.registry.place_import:import_places")):
        one = kinds.add_parser(name, help=help_)
        one.add_argument("file")
        one.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        one.add_argument("--valid-only", action="store_true",
                         help="write the valid rows even when others are bad")
        one.add_argument("--user", help="the login recorded as the importer (default: 命令行)")
        one.add_argument("--report", help="also write the per-row report here (.xlsx or .csv)")
        one.set_defaults(func=run_import, runner=runner)
    tpl = kinds.add_parser("template", help="write an empty template with its 数据字典 sheet")
    tpl.add_argument("kind", choices=KINDS)
    tpl.add_argument("out")
    tpl.set_defaults(func=run_template)


def run_import(args: argparse.Namespace) -> int:
    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.rules import imports
    from portal.registry.services import ImportFileError, write_report

    module, name = args.runner.split(":")
    run = getattr(importlib.import_module(module), name)

    path = Path(args.file)
    if not path.is_file():
        print(f"import: 找不到文件：{path}", file=sys.stderr)
        return 2
    try:
        with session_scope(get_settings().database_url) as db:
            outcome = run(db, path, dry_run=args.dry_run, valid_only=args.valid_only,
                          username=args.user)
    except ImportFileError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    problems = outcome.problems
    for row, column, message in imports.report_rows(problems):
        print(imports.Problem(row, column, message).line())
    for line in outcome.summary.lines():
        print(line)
    if args.report:
        write_report(problems, Path(args.report))
        print(f"检查结果已写入：{args.report}")
    return 1 if problems and not (args.valid_only and outcome.written) else 0


def run_template(args: argparse.Namespace) -> int:
    from portal.registry.rules import place_import
    from portal.registry.services import write_template

    if args.kind == "places":
        write_template(Path(args.out), place_import.SHEET, place_import.COLUMNS, ())
    else:
        write_template(Path(args.out))
    print(f"模板已写入：{args.out}")
    return 0
