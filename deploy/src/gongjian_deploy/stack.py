"""The whole system as local processes: infrastructure, three services and the gateway."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from gongjian_deploy.infra import (
    LocalBroker,
    LocalPostgres,
    create_databases,
    database_url,
    free_port,
    stop_process,
    wait_for_port,
)
from gongjian_kit.personal_data import new_key
from gongjian_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[3]
GATEWAY_DIR = ROOT / "gateway"
GATEWAY_BINARY = GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"
SERVICES = ("organizations", "activities", "evaluation")


@dataclass
class Part:
    """One running process of the stack."""

    name: str
    process: subprocess.Popen[bytes]
    url: str


@dataclass
class StackConfig:
    workdir: Path
    gateway_port: int = field(default_factory=free_port)
    service_ports: dict[str, int] = field(
        default_factory=lambda: {name: free_port() for name in SERVICES}
    )
    database_prefix: str = "gongjian"
    topic_namespace: str = ""
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Only the gateway knows it: the subgraphs answer _service/_entities to it alone.
    gateway_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    personal_data_key: str = field(default_factory=new_key)
    personal_data_hmac_key: str = field(default_factory=new_key)
    # Signs the services' download links (/files/…); the links start with the gateway's address.
    files_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    fast_unsafe_postgres: bool = False
    gateway_deduplicate: bool = True
    # "production" runs every part as shipped (hardening on, no development aids such as
    # extensions.sqlStatements): what benchmarks of the user's view measure.
    environment: str = "development"
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    """Starts and stops every part; knows which part died."""

    config: StackConfig
    postgres: LocalPostgres | None = None
    broker: LocalBroker | None = None
    server_url: str = ""
    bootstrap: str = ""
    parts: list[Part] = field(default_factory=list)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.config.gateway_port}/graphql"

    @property
    def public_url(self) -> str:
        """The gateway's public address: what download links start with."""
        return f"http://127.0.0.1:{self.config.gateway_port}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.config.service_ports[name]}/graphql"

    def database(self, service: str) -> str:
        return database_url(self.server_url, f"{self.config.database_prefix}_{service}")

    def start_infrastructure(self) -> None:
        logs = self.config.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.server_url = os.environ.get("DATABASE_URL", "")
        if not self.server_url:
            self.postgres = LocalPostgres(
                self.config.workdir, fast_unsafe=self.config.fast_unsafe_postgres
            )
            self.server_url = self.postgres.start()
        create_databases(self.server_url, [f"{self.config.database_prefix}_{s}" for s in SERVICES])
        self.bootstrap = os.environ.get("KAFKA_BOOTSTRAP", "")
        if not self.bootstrap:
            self.broker = LocalBroker(log_path=logs / "broker.log")
            self.bootstrap = self.broker.start()

    def settings(self, name: str) -> ServiceSettings:
        """A service's settings as a process beside the stack (tests, CLI) needs them."""
        return ServiceSettings(
            service_name=name,
            database_url=self.database(name),
            jwt_secret=self.config.jwt_secret,
            personal_data_key=self.config.personal_data_key,
            personal_data_hmac_key=self.config.personal_data_hmac_key,
            topic_namespace=self.config.topic_namespace,
            files_secret=self.config.files_secret,
            public_url=self.public_url,
        )

    def service_env(self, name: str) -> dict[str, str]:
        return {
            **os.environ,
            "SERVICE_NAME": name,
            "ENVIRONMENT": self.config.environment,
            "GATEWAY_SECRET": self.config.gateway_secret,
            "HOST": "127.0.0.1",
            "PORT": str(self.config.service_ports[name]),
            "DATABASE_URL": self.database(name),
            "KAFKA_BOOTSTRAP": self.bootstrap,
            "JWT_SECRET": self.config.jwt_secret,
            "PERSONAL_DATA_KEY": self.config.personal_data_key,
            "PERSONAL_DATA_HMAC_KEY": self.config.personal_data_hmac_key,
            "TOPIC_NAMESPACE": self.config.topic_namespace,
            "FILES_SECRET": self.config.files_secret,
            "PUBLIC_URL": self.public_url,
            # The activities service asks organisations for names on certificates.
            "ORGANIZATIONS_URL": self.service_url("organizations"),
            **self.config.extra_env,
        }

    def _spawn(
        self, name: str, args: list[str], *, env: dict[str, str], cwd: Path, url: str, port: int
    ) -> Part:
        log = open(self.config.workdir / "logs" / f"{name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        part = Part(name, process, url)
        self.parts.append(part)
        wait_for_port("127.0.0.1", port, 90, name, process)
        return part

    def start_services(self) -> None:
        for name in SERVICES:
            self._spawn(
                name,
                [sys.executable, "-m", f"gongjian_{name}"],
                env=self.service_env(name),
                cwd=ROOT,
                url=self.service_url(name),
                port=self.config.service_ports[name],
            )
        for name in SERVICES:
            self.wait_ready(f"http://127.0.0.1:{self.config.service_ports[name]}/readyz", name)

    def gateway_env(self, port: int, environment: str = "development") -> dict[str, str]:
        """The gateway's environment: this stack's secrets and subgraphs, on ``port``."""
        return {
            **os.environ,
            "JWT_SECRET": self.config.jwt_secret,
            "ENVIRONMENT": environment,
            "GATEWAY_SECRET": self.config.gateway_secret,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_DEDUPLICATE": "true" if self.config.gateway_deduplicate else "false",
            **{f"{s.upper()}_URL": self.service_url(s) for s in SERVICES},
        }

    def start_gateway(self) -> None:
        self._spawn(
            "gateway",
            [str(GATEWAY_BINARY), "supergraph"],
            env=self.gateway_env(self.config.gateway_port, self.config.environment),
            cwd=GATEWAY_DIR,
            url=self.gateway_url,
            port=self.config.gateway_port,
        )
        self.wait_ready(f"http://127.0.0.1:{self.config.gateway_port}/readiness", "gateway")

    def wait_ready(self, url: str, name: str, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            dead = self.dead_part()
            if dead:
                raise RuntimeError(
                    f"{dead} exited while starting; see {self.config.workdir / 'logs'}"
                )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not ready within {timeout_s}s ({url})")
            time.sleep(0.1)

    def start(self) -> None:
        self.start_infrastructure()
        self.start_services()
        self.start_gateway()

    def dead_part(self) -> str | None:
        """The name of a part that has exited, if any (the broker first: it loses everything)."""
        if (
            self.broker is not None
            and self.broker.process is not None
            and self.broker.process.poll() is not None
        ):
            return "broker (Tansu)"
        if self.postgres is not None and not self.postgres.alive():
            return "PostgreSQL"
        for part in self.parts:
            if part.process.poll() is not None:
                return part.name
        return None

    def pids(self) -> dict[str, int]:
        found = {p.name: p.process.pid for p in self.parts}
        if self.broker is not None and self.broker.process is not None:
            found["broker"] = self.broker.process.pid
        if self.postgres is not None and (pid := self.postgres.pid()):
            found["postgres"] = pid
        return found

    # Fault injection (tests/chaos, gongjian_deploy.chaos): more replicas, kill -9, restarts.

    def part(self, name: str) -> Part | None:
        """The running part called ``name`` (``evaluation``, ``evaluation#2``, ``gateway``)."""
        return next((p for p in self.parts if p.name == name), None)

    def start_replica(
        self, service: str, replica: int = 2, port: int | None = None, *, wait_ready: bool = True
    ) -> Part:
        """Start another process of ``service`` on its own port, sharing its database and
        consumer groups (so its relay and consumers compete with the first one's)."""
        port = port or free_port()
        part = self._spawn(
            f"{service}#{replica}",
            [sys.executable, "-m", f"gongjian_{service}"],
            env={**self.service_env(service), "PORT": str(port)},
            cwd=ROOT,
            url=f"http://127.0.0.1:{port}/graphql",
            port=port,
        )
        if wait_ready:
            self.wait_ready(f"http://127.0.0.1:{port}/readyz", part.name)
        return part

    def kill_part(self, name: str) -> Part:
        """``kill -9`` one part (its process group, by pid); return it, dead, to restart."""
        part = self.part(name)
        if part is None:
            raise LookupError(f"no running part called {name}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(part.process.pid, signal.SIGKILL)
        part.process.wait(10)
        self.parts.remove(part)
        return part

    def stop_part(self, name: str) -> Part:
        """Stop one part gracefully (SIGTERM, then SIGKILL if it lingers); return it to restart."""
        part = self.part(name)
        if part is None:
            raise LookupError(f"no running part called {name}")
        stop_process(part.process)
        self.parts.remove(part)
        return part

    def restart_part(self, dead: Part, *, wait_ready: bool = True) -> Part:
        """Start a killed service part again, same name and port."""
        service = dead.name.split("#", maxsplit=1)[0]
        port = urlsplit(dead.url).port
        if service not in SERVICES or port is None:
            raise ValueError(f"only services can be restarted this way, not {dead.name}")
        part = self._spawn(
            dead.name,
            [sys.executable, "-m", f"gongjian_{service}"],
            env={**self.service_env(service), "PORT": str(port)},
            cwd=ROOT,
            url=dead.url,
            port=port,
        )
        if wait_ready:
            self.wait_ready(f"http://127.0.0.1:{port}/readyz", dead.name)
        return part

    def stop_broker(self) -> None:
        """Stop the stack's own broker (Tansu keeps everything in memory: all is lost)."""
        if self.broker is None:
            raise RuntimeError("the broker is external (KAFKA_BOOTSTRAP): it cannot be stopped")
        self.broker.stop()

    def start_broker(self) -> None:
        """Start the stack's own broker again, on the same port."""
        if self.broker is None:
            raise RuntimeError("the broker is external (KAFKA_BOOTSTRAP): it cannot be started")
        self.broker.start()

    def restart_postgres(self, down_s: float = 0.0) -> None:
        """Restart the stack's own PostgreSQL (every connection is cut), down ``down_s``."""
        if self.postgres is None:
            raise RuntimeError("PostgreSQL is external (DATABASE_URL): it cannot be restarted")
        self.postgres.restart(down_s)

    def stop(self) -> None:
        for part in reversed(self.parts):
            stop_process(part.process)
        self.parts.clear()
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


@contextmanager
def running_stack(config: StackConfig) -> Iterator[Stack]:
    stack = Stack(config)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
