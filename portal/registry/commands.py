"""`portal import …` and `portal init` on the command line (added to portal/cli.py's parser).

    portal import KIND FILE [--dry-run] [--valid-only] [--user LOGIN] [--report OUT]
    portal import template KIND OUT.xlsx
    portal import list
    portal import rollback ID --user LOGIN
    portal init [--city NAME] [--districts FILE] [--offices FILE] [--admin LOGIN]
                [--password-file FILE]

KIND is one of portal/registry/kinds.py's table: institutions, grades, inspections, penalties,
credit, districts, offices, places (unregistered places, place_import.py), staff. Every run is
recorded in the imports table the back office lists (/admin/imports); an import of
institutions or government records can be rolled back there or here while nothing depends on
it, one of districts, offices, places or staff cannot (it keeps no before-values).
Exit status: 0 when the file was valid (and written, unless a dry run) or its valid rows were
written with --valid-only; 1 when it has bad rows and nothing was written, or a rollback is
refused; 2 when the file cannot be read or the user is unknown. `portal init`: 0 done, 1 a file
or the password is refused (nothing written), 2 the database already has a city or the name
disagrees with PORTAL_CITY_NAME.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.registry.services import Outcome

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

    init = sub.add_parser("init", help="from an empty database to your city: districts, "
                          "offices, routing rules and the first admin, without demo data")
    init.add_argument("--city", help="the city's name (must equal PORTAL_CITY_NAME, its default)")
    init.add_argument("--districts", help="districts and streets to import (.xlsx, .xls or .csv)")
    init.add_argument("--offices", help="offices to import (.xlsx, .xls or .csv); without it, the "
                      "sixteen department types' city offices")
    init.add_argument("--admin", default="admin", help="the first administrator's login")
    init.add_argument("--password-file", help="read the admin's password from this file's "
                      "first line (prompted for when omitted)")
    init.set_defaults(func=run_init)


def _print_outcome(outcome: Outcome) -> None:
    from portal.registry.rules import imports, report

    for row, column, message in report.report_rows(outcome.problems):
        print(imports.Problem(row, column, message).line())
    for line in outcome.summary.lines():
        print(line)
    for line in outcome.notes:
        print(line)


def run_import(args: argparse.Namespace) -> int:
    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.kinds import KINDS
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
    _print_outcome(outcome)
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


def _admin_password(args: argparse.Namespace) -> str:
    if args.password_file:
        lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        return lines[0].strip() if lines else ""
    first = getpass.getpass(f"{args.admin} 的密码：")
    if getpass.getpass("再输入一次：") != first:
        raise SystemExit("init: 两次输入的密码不一致")
    return first


def run_init(args: argparse.Namespace) -> int:
    from portal.core.db import session_scope
    from portal.core.migrate import upgrade
    from portal.core.settings import get_settings
    from portal.registry.first_run import InitError, init_city, refusal
    from portal.registry.services import ImportFileError

    settings = get_settings()
    city = args.city or settings.city_name
    if city != settings.city_name:
        print(f"init: PORTAL_CITY_NAME 是“{settings.city_name}”，与 --city “{city}”不同；页面标题"
              f"和市级部门名称都用 PORTAL_CITY_NAME，请先在环境文件中设为 {city}", file=sys.stderr)
        return 2
    files = {}
    for name in ("districts", "offices"):
        value = getattr(args, name)
        if value and not Path(value).is_file():
            print(f"init: 找不到文件：{value}", file=sys.stderr)
            return 2
        files[name] = Path(value) if value else None
    upgrade(settings.database_url)
    with session_scope(settings.database_url, reading=True) as db:
        why = refusal(db)
    if why:  # before asking for a password
        print(f"init: {why}", file=sys.stderr)
        return 2
    password = _admin_password(args)
    try:
        with session_scope(settings.database_url) as db:
            result = init_city(db, city=city, admin=args.admin, password=password,
                               districts_file=files["districts"], offices_file=files["offices"])
    except (InitError, ImportFileError) as exc:
        for name, outcome in getattr(exc, "outcomes", []):
            print(f"【{name}】")
            _print_outcome(outcome)
        print(f"init: {exc}", file=sys.stderr)
        return 1
    for name, outcome in result.outcomes:
        print(f"【{name}】")
        _print_outcome(outcome)
    if result.city_offices:
        print(f"已建市级部门 {len(result.city_offices)} 个：{'、'.join(result.city_offices)}")
    print(f"{city}：区县 {result.districts} 个，部门 {result.offices} 个，路由规则 {result.rules} 条"
          "（每一类投诉都有负责的市级部门，区县有对应部门时交区县）")
    print(f"管理员 {args.admin} 已创建；接着可导入工作人员账号和机构：portal import staff FILE、"
          "portal import institutions FILE")
    return 0
