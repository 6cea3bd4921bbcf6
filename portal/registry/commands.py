"""`portal import …`: the registry imports on the command line (added to portal/cli.py's parser).

    portal import KIND FILE [--dry-run] [--valid-only] [--user LOGIN] [--report OUT]
    portal import template KIND OUT.xlsx
    portal import list
    portal import rollback ID --user LOGIN

KIND: institutions, grades, inspections, penalties, credit (portal/registry/kinds.py). Every
run is recorded in the imports table the back office lists (/admin/imports), where it can be
rolled back too. Exit status: 0 when the file was valid (and written, unless a dry run) or its
valid rows were written with --valid-only; 1 when it has bad rows and nothing was written, or a
rollback is refused; 2 when the file cannot be read or the user is unknown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    from portal.registry.kinds import KINDS

    imp = sub.add_parser("import", help="import the city's registry from XLSX or CSV "
                         "(UTF-8 or GB18030), every row checked first")
    kinds = imp.add_subparsers(dest="import_kind", required=True)
    for code, kind in KINDS.items():
        one = kinds.add_parser(code, help=f"{kind.label}（{kind.sheet}）")
        one.add_argument("file")
        one.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        one.add_argument("--valid-only", action="store_true",
                         help="write the valid rows even when others are bad")
        one.add_argument("--user", help="the login recorded as the importer (default: 命令行)")
        one.add_argument("--report", help="also write the per-row report here (.xlsx or .csv)")
        one.set_defaults(func=run_import)
    tpl = kinds.add_parser("template", help="write an empty template with its 数据字典 sheet")
    tpl.add_argument("kind", choices=list(KINDS))
    tpl.add_argument("out")
    tpl.set_defaults(func=run_template)
    lst = kinds.add_parser("list", help="the latest imports and their status")
    lst.set_defaults(func=run_list)
    back = kinds.add_parser("rollback", help="undo an import while nothing depends on it")
    back.add_argument("id", type=int)
    back.add_argument("--user", required=True, help="the login recorded as undoing it")
    back.set_defaults(func=run_rollback)


def run_import(args: argparse.Namespace) -> int:
    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.kinds import KINDS
    from portal.registry.rules import imports
    from portal.registry.services.files import ImportFileError, write_report
    from portal.registry.services.institutions import sha256_of
    from portal.registry.services.running import import_file

    path = Path(args.file)
    if not path.is_file():
        print(f"import: 找不到文件：{path}", file=sys.stderr)
        return 2
    mode = "dry_run" if args.dry_run else "valid_only" if args.valid_only else "import"
    try:
        with session_scope(get_settings().database_url) as db:
            outcome, record = import_file(db, KINDS[args.import_kind], path, mode=mode,
                                          sha256=sha256_of(path), username=args.user)
            number = record.id
    except ImportFileError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    problems = outcome.problems
    for row, column, message in imports.report_rows(problems):
        print(imports.Problem(row, column, message).line())
    for line in outcome.summary.lines():
        print(line)
    print(f"导入记录：#{number}")
    if args.report:
        write_report(problems, Path(args.report))
        print(f"检查结果已写入：{args.report}")
    return 1 if problems and not (args.valid_only and outcome.written) else 0


def run_template(args: argparse.Namespace) -> int:
    from portal.registry.kinds import KINDS
    from portal.registry.services.files import template_book

    kind = KINDS[args.kind]
    template_book(kind.sheet, kind.columns, kind.not_kept).save(args.out)
    print(f"模板已写入：{args.out}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.models import Import

    with session_scope(get_settings().database_url, reading=True) as db:
        for r in db.scalars(select(Import).order_by(Import.id.desc()).limit(50)):
            print(f"#{r.id}\t{r.kind}\t{r.mode_label}\t{r.status_label}\t{r.file_name}\t"
                  f"新增 {r.added} 更新 {r.updated} 错误行 {r.rows_bad}\t{r.actor}")
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.services.history import ImportRefused, roll_back

    try:
        with session_scope(get_settings().database_url) as db:
            user = db.scalar(select(User).where(User.username == args.user))
            if user is None:
                print(f"import: 没有该用户：{args.user}", file=sys.stderr)
                return 2
            roll_back(db, args.id, user)
    except ImportRefused as exc:
        print(f"import: {exc.message}", file=sys.stderr)
        return 1
    print(f"导入 #{args.id} 已撤销")
    return 0
