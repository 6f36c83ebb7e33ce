"""The ``pilothouse`` command on SQLite and PostgreSQL, driven as an operator drives it.

Every test points ``PILOTHOUSE_HOME`` and ``PILOTHOUSE_DATABASE_URL`` at a fresh data
folder and database and checks what lands on stdout (data, for scripts), on stderr
(messages; failures as one ``error:`` line), the exit code, and the database (through
the services, with a runtime built from the same settings and secret key).

A process start costs about a second (the CLI imports the whole app, SciPy included),
so most commands run in-process through Typer's runner with exactly the environment,
standard input and working folder the process would get (every other ``PILOTHOUSE_*``
variable removed), and an uncaught exception counts as the traceback it would print.
What only a real process shows runs as ``python -m pilothouse``: the entry point and
its ``--help``, exit codes of the process on both databases, the default data folder
under the working folder, and the whole demo load. Each test runs a short sequence of
commands, set-up that is not under test (migrations, people) is done in-process, and
tests that exercise a file or a setting rather than the database run on SQLite only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import chdir, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.config import Settings, load_secret_key
from pilothouse.core.errors import Unauthorized
from pilothouse.core.migrate import head_revision, upgrade
from pilothouse.core.models import ApiToken, Event, ProductArea, Role, TokenScope, User
from pilothouse.core.runtime import Runtime
from pilothouse.core.tokens import authenticate_token
from tests.support.accounts import Accounts

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
CHEAP_HASHING = {"PILOTHOUSE_ARGON2_TIME_COST": "1", "PILOTHOUSE_ARGON2_MEMORY_KIB": "8192"}

#: The commands the platform-core issue asks for; the walk below must find at least these.
REQUIRED_COMMANDS = {
    ("serve",),
    ("init",),
    ("user", "create"),
    ("user", "list"),
    ("user", "set-role"),
    ("user", "deactivate"),
    ("token", "create"),
    ("token", "list"),
    ("token", "revoke"),
    ("db", "upgrade"),
    ("db", "current"),
    ("demo", "load"),
    ("config", "show"),
}


# --- the command tree --------------------------------------------------------------------


def _walk(
    cmd: Any, path: tuple[str, ...], parent: Any
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    ctx = cmd.context_class(cmd, info_name=path[-1] if path else "pilothouse", parent=parent)
    yield path, cmd, ctx
    if getattr(cmd, "commands", None) is not None:
        for name in cmd.list_commands(ctx):
            yield from _walk(cmd.get_command(ctx, name), (*path, name), ctx)


def command_tree() -> tuple[dict[tuple[str, ...], list[str]], list[tuple[str, ...]]]:
    """The groups (with their sub-command names) and the leaf commands of the Typer app."""
    groups: dict[tuple[str, ...], list[str]] = {}
    leaves: list[tuple[str, ...]] = []
    for path, cmd, ctx in _walk(typer.main.get_command(cli_app), (), None):
        if getattr(cmd, "commands", None) is not None:
            groups[path] = list(cmd.list_commands(ctx))
        else:
            leaves.append(path)
    return groups, leaves


GROUPS, LEAVES = command_tree()


# --- running the command -------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return (
            f"pilothouse {' '.join(self.args)} exited {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


def error_line(result: Result) -> str:
    """The one ``error:`` line of a failed command; fails on tracebacks or chatter."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    return lines[0]


class Pilothouse:
    """One installation: a data folder and a database, driven through the real command.

    ``process=True`` runs each command as ``python -m pilothouse``; otherwise in this
    process through Typer's runner (see the module's docstring).
    """

    def __init__(self, home: Path, database_url: str | None, *, process: bool = False) -> None:
        self.home = home
        self.database_url = database_url
        self.process = process

    def env(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
        env.update(CHEAP_HASHING)
        env["PILOTHOUSE_HOME"] = str(self.home)
        if self.database_url:
            env["PILOTHOUSE_DATABASE_URL"] = self.database_url
        # Plain, wide output: no colour codes, and tables that do not abbreviate e-mails.
        env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"})
        for key, value in (overrides or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        env: Mapping[str, str | None] | None = None,
        check: bool = True,
    ) -> Result:
        run = self._subprocess if self.process else self._in_process
        result = run(args, stdin if stdin is not None else "", self.env(env))
        if check:
            assert result.returncode == 0, result
            assert "Traceback" not in result.stderr, result
        return result

    def _subprocess(self, args: tuple[str, ...], stdin: str, env: dict[str, str]) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "pilothouse", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.home.parent,
            timeout=120,
            check=False,
        )
        return Result(args, completed.returncode, completed.stdout, completed.stderr)

    def _in_process(self, args: tuple[str, ...], stdin: str, env: dict[str, str]) -> Result:
        """The command in this process, with the process's environment (``None`` unsets a
        variable for the call) and working folder; an uncaught exception is the traceback
        the process would print, with exit code 1."""
        every = {name: env.get(name) for name in {*os.environ, *env}}
        with chdir(self.home.parent):
            done = CliRunner().invoke(cli_app, list(args), input=stdin, env=every)
        stderr = done.stderr
        if done.exception is not None and not isinstance(done.exception, SystemExit):
            stderr += "Traceback (most recent call last):\n"
            stderr += "".join(traceback.format_exception(done.exception))
        return Result(args, done.exit_code, done.stdout, stderr)

    def fail(self, *args: str, **kwargs: object) -> str:
        """Run a command that must fail cleanly; returns its one error line."""
        return error_line(self.run(*args, check=False, **kwargs))  # type: ignore[arg-type]

    def settings(self) -> Settings:
        # secret_key=None: read <home>/secret_key like the command does, whatever the env says.
        return Settings(
            home=self.home,
            database_url=self.database_url,
            secret_key=None,
            argon2_time_cost=1,
            argon2_memory_kib=8192,
        )

    @contextmanager
    def runtime(self) -> Iterator[Runtime]:
        """A runtime on the same database and secret key as the command."""
        runtime = Runtime.from_settings(self.settings())
        try:
            yield runtime
        finally:
            runtime.close()

    def migrate(self) -> None:
        with self.runtime() as runtime:
            upgrade(runtime.database)


@pytest.fixture
def cli(backend: str, database_factory: Any, tmp_path: Path) -> Pilothouse:
    """A fresh installation on the backend under test (one run on SQLite, one on PostgreSQL)."""
    return Pilothouse(tmp_path / "home", database_factory.new_url(backend))


@pytest.fixture
def migrated_cli(backend: str, database_factory: Any, tmp_path: Path) -> Pilothouse:
    """A fresh installation whose database is at the head revision (a copy of one migrated
    once per run: the migrations are not under test here)."""
    return Pilothouse(tmp_path / "home", database_factory.migrated_url(backend))


@pytest.fixture
def sqlite_cli(database_factory: Any, tmp_path: Path) -> Pilothouse:
    """A fresh installation on SQLite, for behaviour that does not depend on the database."""
    return Pilothouse(tmp_path / "home", database_factory.new_url("sqlite"))


def _count(runtime: Runtime, model: type) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _user(runtime: Runtime, email: str) -> User:
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None, f"{email} not found"
        return user


# --- help ---------------------------------------------------------------------------------


def test_the_command_tree_has_every_command_the_issue_asks_for() -> None:
    missing = REQUIRED_COMMANDS - set(LEAVES)
    assert not missing, f"commands missing from the CLI: {sorted(missing)}"


def _unlisted(help_text: str, names: list[str]) -> list[str]:
    """The command names that a help screen does not list in its commands panel."""
    return [n for n in names if not re.search(rf"^[│|\s]*{re.escape(n)}\s", help_text, re.M)]


def test_main_help_exits_0_and_lists_every_command(tmp_path: Path) -> None:
    result = Pilothouse(tmp_path / "home", None, process=True).run("--help")
    assert result.stderr == "", result
    assert "Usage:" in result.stdout, result
    assert not _unlisted(result.stdout, GROUPS[()]), result


# In-process from here: a subprocess per group and per command would cost minutes.
@pytest.mark.parametrize("group", sorted(g for g in GROUPS if g), ids=" ".join)
def test_help_of_each_group_exits_0_and_lists_its_commands(group: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli_app, [*group, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"Usage: pilothouse {' '.join(group)}" in result.output
    assert not _unlisted(result.output, GROUPS[group]), result.output


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
def test_help_of_each_command_exits_0(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(
        cli_app, [*command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    assert f"Usage: pilothouse {' '.join(command)}" in result.output


# --- database -----------------------------------------------------------------------------


def test_commands_on_an_unmigrated_database_ask_for_db_upgrade(cli: Pilothouse) -> None:
    """As processes: the exit codes an operator's script sees, on both databases."""
    cli = Pilothouse(cli.home, cli.database_url, process=True)
    line = cli.fail("user", "list")
    assert "pilothouse db upgrade" in line

    upgraded = cli.run("db", "upgrade")
    assert upgraded.stdout == ""
    assert f"Database at revision {head_revision()} (was empty)." in upgraded.stderr

    current = cli.run("db", "current")
    assert current.stdout.splitlines() == [
        f"current: {head_revision()}",
        f"head:    {head_revision()}",
    ]


def test_default_database_is_sqlite_in_wal_mode_inside_the_default_data_folder(
    tmp_path: Path,
) -> None:
    """No PILOTHOUSE_HOME and no PILOTHOUSE_DATABASE_URL: ``./.pilothouse/pilothouse.db``."""
    work = tmp_path / "work"
    work.mkdir()
    installation = Pilothouse(work / "unused", None, process=True)
    empty = installation.run(
        "db", "current", env={"PILOTHOUSE_HOME": None, "PILOTHOUSE_DATABASE_URL": None}
    )
    assert empty.stdout.startswith("current: empty")
    database = work / ".pilothouse" / "pilothouse.db"
    assert database.is_file()
    installation.run("db", "upgrade", env={"PILOTHOUSE_HOME": None})
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            head_revision()
        )
    finally:
        connection.close()


def test_unreachable_database_gives_one_clear_line(sqlite_cli: Pilothouse) -> None:
    line = sqlite_cli.fail(
        "user",
        "list",
        env={"PILOTHOUSE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"},
    )
    assert line.startswith("error: database error: ")


# --- init and people -------------------------------------------------------------------------


def test_init_migrates_and_creates_the_first_admin_once(cli: Pilothouse) -> None:
    first = cli.run(
        "init",
        "--email",
        "Ops@Example.com",
        "--name",
        "Olga Ops",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert first.stdout == ""
    assert "Created admin ops@example.com" in first.stderr
    with cli.runtime() as runtime:
        admin = _user(runtime, "ops@example.com")
        assert (admin.role, admin.name, admin.is_active) == (Role.admin, "Olga Ops", True)
        assert admin.password_hash and admin.password_hash.startswith("$argon2id$")
        assert runtime.passwords.verify(admin.password_hash, PASSWORD)

    again = cli.fail(
        "init",
        "--email",
        "other@example.com",
        "--name",
        "Other",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "has an admin already" in again
    with cli.runtime() as runtime:
        assert _count(runtime, User) == 1


def test_user_create_for_each_role_refuses_duplicates_and_lists(migrated_cli: Pilothouse) -> None:
    cli = migrated_cli
    for email, role in [
        ("ada@example.com", "admin"),
        ("eddie@example.com", "editor"),
        ("vera.viewer@example.com", "viewer"),
    ]:
        created = cli.run(
            "user", "create", email, "--role", role, "--password-stdin", stdin=PASSWORD + "\n"
        )
        assert created.stdout == "", "user create must keep stdout for data"
        assert f"Created {email} ({role})." in created.stderr

    duplicate = cli.fail(
        "user",
        "create",
        "Eddie@Example.com",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "eddie@example.com exists already" in duplicate

    listed = json.loads(cli.run("user", "list", "--format", "json").stdout)
    assert [(u["email"], u["role"], u["active"]) for u in listed] == [
        ("ada@example.com", "admin", True),
        ("eddie@example.com", "editor", True),
        ("vera.viewer@example.com", "viewer", True),
    ]
    assert listed[2]["name"] == "Vera Viewer"  # made from the e-mail
    assert set(listed[0]) == {"id", "email", "name", "role", "active", "created_at"}

    table = cli.run("user", "list").stdout
    assert "People" in table
    for email, role in [("ada@example.com", "admin"), ("vera.viewer@example.com", "viewer")]:
        assert re.search(rf"{re.escape(email)}\s.*\s{role}\s", table), table

    with cli.runtime() as runtime:
        assert _count(runtime, User) == 3
        for person in listed:
            user = _user(runtime, person["email"])
            assert runtime.passwords.verify(user.password_hash, PASSWORD)


def test_set_role_set_password_deactivate_and_the_last_admin(migrated_cli: Pilothouse) -> None:
    cli = migrated_cli
    with cli.runtime() as runtime:
        accounts = Accounts(runtime)
        admin = accounts.person(Role.admin, "ada@example.com")
        accounts.person(Role.editor, "eddie@example.com")
        accounts.person(Role.viewer, "vera@example.com")

    assert (
        "vera@example.com is now editor."
        in cli.run("user", "set-role", "vera@example.com", "editor").stderr
    )
    assert (
        "Deactivated eddie@example.com."
        in cli.run("user", "deactivate", "eddie@example.com").stderr
    )
    assert "last active admin" in cli.fail("user", "deactivate", admin.email)
    assert "last active admin" in cli.fail("user", "set-role", admin.email, "viewer")
    cli.run(
        "user", "set-password", "vera@example.com", "--password-stdin", stdin="a new long secret\n"
    )

    rows = list(
        csv.DictReader(io.StringIO(cli.run("user", "list", "--format", "csv", "--all").stdout))
    )
    assert [(r["email"], r["role"], r["active"]) for r in rows] == [
        ("ada@example.com", "admin", "True"),
        ("eddie@example.com", "editor", "False"),
        ("vera@example.com", "editor", "True"),
    ]
    with cli.runtime() as runtime:
        vera = _user(runtime, "vera@example.com")
        assert runtime.passwords.verify(vera.password_hash, "a new long secret")
        assert not runtime.passwords.verify(vera.password_hash, PASSWORD)
        with runtime.database.session() as session:
            names = list(session.scalars(select(Event.name).order_by(Event.id)))
        # CLI changes are audited like any other.
        assert names[-3:] == ["user.updated", "user.updated", "user.password_changed"]


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (
            ["user", "create", "a@example.com", "--password-stdin"],
            "",
            "standard input had no password",
        ),
        (
            ["user", "create", "a@example.com", "--password-stdin"],
            "short\n",
            "at least 10 characters",
        ),
        (
            ["user", "create", "not-an-email", "--password-stdin"],
            PASSWORD + "\n",
            "not a valid e-mail",
        ),
        (
            ["user", "set-role", "nobody@example.com", "editor"],
            "",
            "no user with e-mail nobody@example.com",
        ),
        (
            ["token", "create", "--user", "nobody@example.com"],
            "",
            "no user with e-mail nobody@example.com",
        ),
        (["token", "revoke", "999"], "", "no API token with id 999"),
    ],
    ids=[
        "empty-stdin",
        "short-password",
        "bad-email",
        "set-role-unknown",
        "token-unknown-user",
        "revoke-unknown",
    ],
)
def test_bad_input_gives_one_error_line_and_changes_nothing(
    migrated_cli: Pilothouse, args: list[str], stdin: str, expected: str
) -> None:
    cli = migrated_cli
    assert expected in cli.fail(*args, stdin=stdin)
    with cli.runtime() as runtime:
        assert _count(runtime, User) == 0
        assert _count(runtime, Event) == 0


# --- tokens ----------------------------------------------------------------------------------


def test_token_create_prints_only_the_token_which_authenticates_until_revoked(
    migrated_cli: Pilothouse,
) -> None:
    cli = migrated_cli
    with cli.runtime() as runtime:
        Accounts(runtime).person(Role.editor, "eddie@example.com")

    created = cli.run(
        "token", "create", "--user", "Eddie@Example.com", "--scope", "write", "--name", "deploy"
    )
    assert created.stderr == ""
    lines = created.stdout.splitlines()
    assert len(lines) == 1 and created.stdout == lines[0] + "\n", created
    write_secret = lines[0]
    assert re.fullmatch(r"ph_[A-Za-z0-9_-]{40,}", write_secret), write_secret
    read_secret = cli.run(
        "token", "create", "--user", "eddie@example.com", "--scope", "read"
    ).stdout.strip()
    assert read_secret.startswith("ph_") and read_secret != write_secret

    key_file = cli.home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with cli.runtime() as runtime, runtime.database.session() as session:
        token = authenticate_token(session, runtime.secrets, write_secret)
        assert (token.user.email, token.scope, token.name) == (
            "eddie@example.com",
            TokenScope.write,
            "deploy",
        )
        assert authenticate_token(session, runtime.secrets, read_secret).scope is TokenScope.read
        write_id = token.id

    revoked = cli.run("token", "revoke", str(write_id))
    assert f"Revoked token {write_id} (deploy) of eddie@example.com." in revoked.stderr

    listing = cli.run("token", "list", "--user", "eddie@example.com", "--format", "json").stdout
    assert write_secret not in listing and read_secret not in listing
    tokens = {t["name"]: t for t in json.loads(listing)}
    assert set(tokens) == {"deploy", "command line"}
    assert tokens["deploy"]["revoked"] is True and tokens["command line"]["revoked"] is False
    assert tokens["deploy"]["prefix"] == write_secret[:10]
    assert tokens["deploy"]["last_used_at"] is not None  # set by the authentication above
    assert tokens["deploy"]["scope"] == "write" and tokens["command line"]["scope"] == "read"

    with cli.runtime() as runtime, runtime.database.session() as session:
        with pytest.raises(Unauthorized, match="revoked"):
            authenticate_token(session, runtime.secrets, write_secret)
        assert (
            authenticate_token(session, runtime.secrets, read_secret).user.email
            == "eddie@example.com"
        )


def test_token_list_table_and_tokens_of_a_deactivated_person(migrated_cli: Pilothouse) -> None:
    cli = migrated_cli
    with cli.runtime() as runtime:
        accounts = Accounts(runtime)
        accounts.person(Role.admin, "ada@example.com")
        vera = accounts.person(Role.viewer, "vera@example.com")
        secret = accounts.token(vera, TokenScope.read)

    cli.run("user", "deactivate", "vera@example.com")
    table = cli.run("token", "list").stdout
    assert "API tokens" in table and "vera@example.com" in table and secret not in table
    with cli.runtime() as runtime, runtime.database.session() as session:
        with pytest.raises(Unauthorized):
            authenticate_token(session, runtime.secrets, secret)
        assert session.scalar(select(ApiToken.revoked_at)) is not None
    assert "deactivated" in cli.fail("token", "create", "--user", "vera@example.com")


# --- demo ------------------------------------------------------------------------------------


def test_demo_load_is_idempotent_and_prints_the_admin_password_once(sqlite_cli: Pilothouse) -> None:
    """The README's first command on the embedded default. Each domain's demo step is
    tested on SQLite and PostgreSQL in that domain's tests; the whole demo through the
    CLI (about a minute and a half) runs once, on SQLite."""
    cli = Pilothouse(sqlite_cli.home, sqlite_cli.database_url, process=True)
    first = cli.run("demo", "load")  # migrates by itself
    notices = first.stdout.splitlines()
    assert len(notices) == 1, first
    match = re.fullmatch(r"Sign in as (\S+) with password (\S+) \(shown once.*", notices[0])
    assert match, first
    email, password = match.groups()
    assert "core: 12 people, 6 product areas" in first.stderr

    with cli.runtime() as runtime:
        people, areas, events = (_count(runtime, m) for m in (User, ProductArea, Event))
        assert (people, areas) == (12, 6)
        admin = _user(runtime, email)
        assert admin.role is Role.admin
        assert runtime.passwords.verify(admin.password_hash, password)
        admin_hash = admin.password_hash

    second = cli.run("demo", "load")
    assert second.stdout == "", "the password must be shown on the first load only"
    assert "core: nothing new" in second.stderr
    with cli.runtime() as runtime:
        assert (_count(runtime, User), _count(runtime, ProductArea)) == (people, areas)
        assert _count(runtime, Event) == events, "a repeated load must not write audit entries"
        assert _user(runtime, email).password_hash == admin_hash


# --- settings ---------------------------------------------------------------------------------


def test_config_show_masks_the_database_password_and_never_prints_the_secret_key(
    tmp_path: Path,
) -> None:
    installation = Pilothouse(tmp_path / "home", None)
    env_key = "env-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    shown = installation.run(
        "config",
        "show",
        env={
            "PILOTHOUSE_DATABASE_URL": "postgres://pilot:s3cr3t-Passw0rd@db.internal:5432/ph",
            "PILOTHOUSE_SECRET_KEY": env_key,
            "PILOTHOUSE_TIMEZONE": "Europe/Berlin",
        },
    )
    output = shown.stdout + shown.stderr
    assert "s3cr3t-Passw0rd" not in output and env_key not in output
    assert "postgresql+psycopg://pilot:***@db.internal:5432/ph" in shown.stdout
    values = dict(line.split(None, 1) for line in shown.stdout.splitlines())
    assert set(values) == {f"PILOTHOUSE_{name.upper()}" for name in Settings.model_fields}
    assert values["PILOTHOUSE_SECRET_KEY"] == "(set)"
    assert values["PILOTHOUSE_TIMEZONE"] == "Europe/Berlin"

    # The generated key file is not printed either, and the default database is shown.
    file_key = load_secret_key(installation.settings().ensure_home())
    as_json = json.loads(
        installation.run("config", "show", "--json", env={"PILOTHOUSE_DATABASE_URL": None}).stdout
    )
    assert file_key not in json.dumps(as_json)
    assert set(as_json) == set(Settings.model_fields)
    assert as_json["secret_key"] == f"(in {installation.home}/secret_key)"
    assert as_json["database_url"] == f"sqlite:///{installation.home.resolve()}/pilothouse.db"


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("PILOTHOUSE_TIMEZONE", "Mars/Base", ["config", "show"]),
        ("PILOTHOUSE_SESSION_COOKIE_SECURE", "sometimes", ["user", "list"]),
    ],
)
def test_invalid_settings_give_one_clear_line(
    sqlite_cli: Pilothouse, variable: str, value: str, command: list[str]
) -> None:
    line = sqlite_cli.fail(*command, env={variable: value})
    assert line.startswith(f"error: invalid settings: {variable}: ")
    if variable == "PILOTHOUSE_TIMEZONE":
        assert "unknown time zone 'Mars/Base'" in line


def test_a_secret_key_file_readable_by_others_is_refused(sqlite_cli: Pilothouse) -> None:
    sqlite_cli.migrate()
    with sqlite_cli.runtime() as runtime:
        Accounts(runtime).person(Role.editor, "eddie@example.com")
    key_file = sqlite_cli.home / "secret_key"
    load_secret_key(sqlite_cli.home)
    key_file.chmod(0o644)
    line = sqlite_cli.fail("token", "create", "--user", "eddie@example.com")
    assert f"chmod 600 {key_file}" in line


def test_an_empty_secret_key_file_gives_one_clear_line(sqlite_cli: Pilothouse) -> None:
    sqlite_cli.migrate()
    with sqlite_cli.runtime() as runtime:
        Accounts(runtime).person(Role.editor, "eddie@example.com")
    key_file = sqlite_cli.home / "secret_key"
    key_file.touch(mode=0o600)  # what a second process sees while the first still writes
    line = sqlite_cli.fail("token", "create", "--user", "eddie@example.com")
    assert str(key_file) in line


@pytest.mark.parametrize("command", [["config", "show"], ["db", "upgrade"]], ids=" ".join)
def test_a_malformed_database_url_gives_one_clear_line(
    sqlite_cli: Pilothouse, command: list[str]
) -> None:
    line = sqlite_cli.fail(*command, env={"PILOTHOUSE_DATABASE_URL": "not a database url"})
    assert "PILOTHOUSE_DATABASE_URL" in line
