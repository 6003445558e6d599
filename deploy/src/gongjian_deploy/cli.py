"""`gongjian up` starts the whole system locally; `gongjian token` prints a dev token."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.infra import port_open
from gongjian_deploy.stack import ROOT, SERVICES, Stack, StackConfig
from gongjian_kit.auth import Role, issue_token

STATE_DIR = ROOT / ".gongjian"
STATE_FILE = STATE_DIR / "state.json"
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
        STATE_FILE.write_text(
            json.dumps({"gateway": stack.gateway_url, "jwt_secret": secret, "pids": stack.pids()})
        )
        STATE_FILE.chmod(0o600)
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

  {token}

  curl -s {stack.gateway_url} -H 'content-type: application/json' \\
    -H "authorization: Bearer $TOKEN" \\
    -d '{{"query":"{{ area(code: \\"330106000000\\") \\
          {{ name stats {{ organizationCount activityCount }} }} }}"}}'

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


def load_demo_data(client: GraphQLClient) -> dict[str, int]:
    from gongjian_deploy.demo import load_demo  # noqa: PLC0415

    return load_demo(client)


def token(args: argparse.Namespace) -> int:
    secret = os.environ.get("JWT_SECRET", "")
    if not secret and STATE_FILE.exists():
        secret = json.loads(STATE_FILE.read_text())["jwt_secret"]
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
            ttl_s=args.ttl,
        )
    )
    return 0


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
    token_cmd.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
    token_cmd.set_defaults(run=token)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
