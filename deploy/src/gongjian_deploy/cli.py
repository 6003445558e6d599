"""`gongjian up` starts the whole system locally; `gongjian token` prints a dev token;
`gongjian import` / `template` / `export` move records in and out as XLSX or CSV (the kinds
each service declares, see `gongjian_kit.bulk`); `gongjian outbox …` and `gongjian dlq …`
operate the event plumbing."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gongjian_deploy.audit import register as register_audit
from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.infra import port_open
from gongjian_deploy.keys import register as register_keys
from gongjian_deploy.ops import register as register_operations
from gongjian_deploy.stack import ROOT, SERVICES, Stack, StackConfig
from gongjian_kit.auth import Role, issue_token

if TYPE_CHECKING:
    from gongjian_kit.bulk import BulkService
    from gongjian_kit.settings import ServiceSettings

# Where the running stack's address and keys are kept for `token`, `import` and `export`.
STATE_DIR = Path(os.environ.get("GONGJIAN_STATE_DIR") or ROOT / ".gongjian")
STATE_FILE = STATE_DIR / "state.json"
EXAMPLE_QUERY = (
    '{"query": "{ area(code: \\"330106000000\\") { name '
    'stats { organizationCount activityCount } } }"}'
)
DEFAULT_PORTS = {"gateway": 4000, "organizations": 4001, "activities": 4002, "evaluation": 4003}


def _port(name: str) -> int:
    from gongjian_deploy.infra import free_port  # noqa: PLC0415

    wanted = int(os.environ.get(f"{name.upper()}_PORT", DEFAULT_PORTS[name]))
    if port_open("127.0.0.1", wanted):
        other = free_port()
        print(f"  port {wanted} is taken; {name} uses {other}")
        return other
    return wanted


def up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    workdir = STATE_DIR / "run"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    config = StackConfig(
        workdir=workdir,
        gateway_port=_port("gateway"),
        service_ports={s: _port(s) for s in SERVICES},
    )
    stack = Stack(config)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("starting PostgreSQL and the broker …", flush=True)
        stack.start_infrastructure()
        print("starting organizations, activities, evaluation …", flush=True)
        stack.start_services()
        print("starting the gateway …", flush=True)
        stack.start_gateway()
        secret = config.jwt_secret
        _write_state(
            {
                "gateway": stack.gateway_url,
                "jwt_secret": secret,
                "pids": stack.pids(),
                # for `gongjian import` / `export`, which work on the organizations database
                "organizations_database_url": stack.database("organizations"),
                "personal_data_key": config.personal_data_key,
                "personal_data_hmac_key": config.personal_data_hmac_key,
                "topic_namespace": config.topic_namespace,
                # for `gongjian outbox …` and `gongjian dlq …`
                "databases": {s: stack.database(s) for s in SERVICES},
                "kafka_bootstrap": stack.bootstrap,
            }
        )
        token = issue_token(
            secret,
            subject="demo-district-admin",
            roles=[Role.DISTRICT_ADMIN.value],
            area="330106000000",
        )
        if not args.no_demo:
            print("loading demo data through the API …", flush=True)
            client = GraphQLClient(stack.gateway_url, token)
            created = load_demo_data(client)
            client.close()
            print(f"  {created}")
        print(
            f"""
Gongjian is up in {time.monotonic() - started:.1f}s.

  GraphQL (gateway):  {stack.gateway_url}   (GraphiQL in a browser)
  subgraphs:          {", ".join(f"{s} {stack.service_url(s)}" for s in SERVICES)}
  logs:               {workdir / "logs"}

  District admin token for 西湖区 (330106000000), valid 12 hours:

  TOKEN={token}

  curl -s {stack.gateway_url} -H 'content-type: application/json' \\
    -H "authorization: Bearer $TOKEN" -d '{EXAMPLE_QUERY}'

  Other tokens: uv run gongjian token --role COMMUNITY_ADMIN --area 330106001001
Ctrl-C stops everything.""",
            flush=True,
        )
        while not stopping:
            dead = stack.dead_part()
            if dead:
                print(
                    f"\n{dead} has stopped; stopping the rest (the broker keeps its data in "
                    "memory only, so the system cannot go on without it).",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.5)
        print("\nstopping …")
        return 0
    except Exception as exc:
        print(f"gongjian up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        STATE_FILE.unlink(missing_ok=True)


def _write_state(state: dict[str, object]) -> None:
    """The running stack's addresses and secrets, readable by this user only from the start."""
    STATE_FILE.unlink(missing_ok=True)
    fd = os.open(STATE_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(state, file)


def _read_state() -> dict[str, Any]:
    if not STATE_FILE.exists():
        return {}
    found: dict[str, Any] = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    return found


def load_demo_data(client: GraphQLClient) -> dict[str, int]:
    from gongjian_deploy.demo import load_demo  # noqa: PLC0415

    return load_demo(client)


def token(args: argparse.Namespace) -> int:
    secret = os.environ.get("JWT_SECRET", "")
    if not secret:
        secret = _read_state().get("jwt_secret", "")
    if not secret:
        print(
            "no running stack found (start it with `make up`) and JWT_SECRET is not set",
            file=sys.stderr,
        )
        return 1
    subject = args.subject or f"dev-{args.role.lower()}"
    print(
        issue_token(
            secret,
            subject=subject,
            roles=[args.role],
            area=args.area,
            orgs=args.org or [],
            person=args.person,
            ttl_s=args.ttl,
        )
    )
    return 0


def _service_settings(args: argparse.Namespace, service: str = "organizations") -> ServiceSettings:
    """Where ``service``'s database is, and its keys.

    ``--database-url`` with the environment for the rest (JWT_SECRET, PERSONAL_DATA_KEY,
    PERSONAL_DATA_HMAC_KEY, TOPIC_NAMESPACE); else the stack `gongjian up` is running; else the
    service's own environment (DATABASE_URL …), as in a deployment.
    """
    from gongjian_kit.settings import ServiceSettings  # noqa: PLC0415

    if args.database_url:
        return ServiceSettings(service_name=service, database_url=args.database_url)
    state = _read_state()
    database_url = state.get(f"{service}_database_url") or state.get("databases", {}).get(service)
    if database_url:
        keys = ("jwt_secret", "personal_data_key", "personal_data_hmac_key", "topic_namespace")
        return ServiceSettings(
            service_name=service,
            database_url=database_url,
            **{key: state[key] for key in keys if key in state},
        )
    return ServiceSettings(service_name=service)


def _token(args: argparse.Namespace) -> str | None:
    found = args.token or os.environ.get("GONGJIAN_TOKEN", "")
    if not found:
        print(
            "请用 --token 或环境变量 GONGJIAN_TOKEN 提供令牌 / Give a token with --token or "
            "GONGJIAN_TOKEN (e.g. uv run gongjian token --role DISTRICT_ADMIN --area "
            "330106000000)",
            file=sys.stderr,
        )
        return None
    return str(found)


def _bulk_services() -> list[BulkService]:
    """The services' importable kinds (each `gongjian_<service>.bulk.bulk_kinds()`)."""
    from gongjian_kit.bulk import discover  # noqa: PLC0415

    return discover(SERVICES)


def _service_of(kind: str) -> BulkService:
    from gongjian_kit.bulk import service_of_kind  # noqa: PLC0415

    return service_of_kind(_bulk_services(), kind)


def import_file(args: argparse.Namespace) -> int:
    from gongjian_kit.bulk.commands import import_command  # noqa: PLC0415

    found = _token(args)
    if found is None:
        return 2
    service = _service_of(args.kind)
    return asyncio.run(
        import_command(
            service,
            _service_settings(args, service.name),
            found,
            args.kind,
            Path(args.file),
            skip_invalid=args.skip_invalid,
            report_path=Path(args.report) if args.report else None,
        )
    )


def template(args: argparse.Namespace) -> int:
    from gongjian_kit.bulk.commands import template_command  # noqa: PLC0415

    service = _service_of(args.kind)
    if args.out:
        return template_command(service, args.kind, Path(args.out))
    if sys.stdout.isatty():
        print(
            f"模板是 XLSX 文件，请重定向到文件或使用 --out / The template is an XLSX file: "
            f"redirect it (uv run gongjian template {args.kind} > {args.kind}.xlsx) or use --out",
            file=sys.stderr,
        )
        return 2
    buffer = io.BytesIO()
    code = template_command(service, args.kind, buffer)
    sys.stdout.buffer.write(buffer.getvalue())
    sys.stdout.buffer.flush()
    return code


def export(args: argparse.Namespace) -> int:
    found = _token(args)
    if found is None:
        return 2
    service = next(s for s in _bulk_services() if args.what in s.exports)
    target = Path(args.out or f"{args.what}-{args.area}.xlsx")
    command = service.exports[args.what]
    return asyncio.run(command(_service_settings(args, service.name), found, args.area, target))


def _database_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--token", help="the caller's token (default: $GONGJIAN_TOKEN)")
    command.add_argument(
        "--database-url",
        help="the database of the service that keeps these records, e.g. organizations "
        "(default: the running `gongjian up`, else $DATABASE_URL)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gongjian", description="Gongjian (共建) local tools")
    commands = parser.add_subparsers(dest="command", required=True)
    up_cmd = commands.add_parser("up", help="start the whole system with demo data")
    up_cmd.add_argument("--no-demo", action="store_true", help="start empty")
    up_cmd.set_defaults(run=up)
    token_cmd = commands.add_parser("token", help="print a development token for the stack")
    token_cmd.add_argument("--role", required=True, choices=[r.value for r in Role])
    token_cmd.add_argument("--area", required=True, help="12-digit area code of the scope")
    token_cmd.add_argument("--org", action="append", help="organisation id (ORG_ADMIN)")
    token_cmd.add_argument("--subject", help="the sub claim")
    token_cmd.add_argument("--person", help="the caller's own person id (MEMBER: their record)")
    token_cmd.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
    token_cmd.set_defaults(run=token)
    services = _bulk_services()
    kinds = [kind.kind for service in services for kind in service.kinds]
    import_cmd = commands.add_parser(
        "import",
        help=f"import {', '.join(kinds)} from XLSX or CSV (all or nothing)",
        description="Exit codes: 0 imported; 1 rows rejected, nothing imported; 2 error.",
    )
    import_cmd.add_argument("kind", choices=kinds)
    import_cmd.add_argument("file", help=".xlsx or .csv with the template's headers")
    import_cmd.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows, report the others"
    )
    import_cmd.add_argument("--report", help="where to write the rejected rows (XLSX)")
    _database_options(import_cmd)
    import_cmd.set_defaults(run=import_file)
    template_cmd = commands.add_parser("template", help="write the XLSX template of an import")
    template_cmd.add_argument("kind", choices=kinds)
    template_cmd.add_argument("--out", help="file to write (default: standard output)")
    template_cmd.set_defaults(run=template)
    export_cmd = commands.add_parser("export", help="export an area's coverage and gap lists")
    export_cmd.add_argument("what", choices=[name for s in services for name in s.exports])
    export_cmd.add_argument("--area", required=True, help="12-digit area code")
    export_cmd.add_argument("--out", help="XLSX file (default: coverage-<area>.xlsx)")
    _database_options(export_cmd)
    export_cmd.set_defaults(run=export)
    register_operations(commands)
    register_keys(commands)
    register_audit(commands)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
