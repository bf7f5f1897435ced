"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, ``initdb`` into a temporary
directory and ``pg_ctl start`` on a free loopback port (and a unix socket in the same directory).

PostgreSQL refuses to run as root: as root the server's directory is handed to the ``postgres`` user
(``nobody`` when there is none) and every command runs as that user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "okrsync"
DATABASE = "postgres"
START_SECONDS = 60


class PostgresMissing(RuntimeError):
    """No ``initdb``/``pg_ctl`` on this machine: the message says how to install them."""


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian keeps them under /usr/lib/postgresql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing(
        "the warehouse tests need a PostgreSQL server: apt-get install -y postgresql (make test installs it as root)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> str | None:
    """Whom the server runs as: None (this user) unless this is root, whom PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresMissing("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")


@dataclass
class PostgresServer:
    directory: Path
    port: int
    bin: Path
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=START_SECONDS, cwd=self.directory
        )
        if done.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr or done.stdout}{tail}")

    def start(self) -> None:
        data = self.directory / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "server.log"),
                  "-o", options, "-w", "-t", str(START_SECONDS), "start")  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """A fresh server in a new temporary directory, started and answering."""
    binaries, user = postgres_bin(), _server_user()
    directory = Path(tempfile.mkdtemp(prefix="okrsync-pg-"))
    if user is not None:
        shutil.chown(directory, user)
    server = PostgresServer(directory, _free_port(), binaries, user)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return server
