"""`check`, `usage`, `generate` and `serve` on PostgreSQL: which store is in use, and one clear line
when it cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import PASSWORD, Cluster
from tests.test_cli import run_cli


def _bad_urls(cluster: Cluster) -> dict[str, tuple[str, str]]:
    return {
        "missing database": (cluster.url("nobody_made_this"), "the database does not exist"),
        "wrong password": (cluster.url(password="not-the-password"), "refused the user name or password"),
        "unreachable": (cluster.url().replace(f":{cluster.port}/", ":1/"), "cannot connect (connection refused)"),
    }


async def test_check_says_which_postgresql_database_is_in_use(pg_url: str, tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path, env={"DATABASE_URL": pg_url.replace("postgresql://", "postgres://")})
    assert result.returncode == 0, result.stdout + result.stderr
    store = next(line for line in result.stdout.splitlines() if line.startswith("store"))
    name = pg_url.rsplit("/", 1)[1]
    assert "usable" in store and f'PostgreSQL database "{name}" on 127.0.0.1' in store and "as postgres" in store
    assert "temporary files only" in result.stdout and PASSWORD not in result.stdout + result.stderr
    assert not (tmp_path / "data" / "headshot-bot.db").exists()  # no SQLite store was made beside it


def test_usage_and_generate_count_in_the_postgresql_store(pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url, "QUOTA_STUDIO_PER_USER_PER_MONTH": "1"}
    assert run_cli("usage", cwd=tmp_path, env=env).stdout == "No headshots were counted for any workspace this month.\n"
    first = run_cli("generate", "--sample", "--out", "out", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    second = run_cli("generate", "--sample", "--out", "out", cwd=tmp_path, env=env)
    assert second.returncode != 0 and second.stdout == ""
    lines = second.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: You have used 1 of your 1 Studio headshots for this month")
    usage = run_cli("usage", cwd=tmp_path, env=env)
    rows = [line.split()[:6] for line in usage.stdout.splitlines()]
    assert rows[0] == ["WORKSPACE", "WHO", "PROVIDER", "PERIOD", "USED", "LIMIT"]
    assert ["cli", "cli", "studio", "month", "1", "1"] in rows[1:], usage.stdout
    assert not (tmp_path / "data" / "headshot-bot.db").exists()  # everything was counted in PostgreSQL


@pytest.mark.parametrize("case", ["missing database", "wrong password", "unreachable"])
def test_an_unusable_database_is_one_line_from_check_and_serve(pg_cluster: Cluster, tmp_path: Path, case: str) -> None:
    url, says = _bad_urls(pg_cluster)[case]
    env = {"DATABASE_URL": url, "PORT": "0"}
    check = run_cli("check", cwd=tmp_path, env=env)
    assert check.returncode == 1
    (store,) = [line for line in check.stdout.splitlines() if line.startswith("store")]
    assert "NOT USABLE" in store and says in store
    serve = run_cli("serve", cwd=tmp_path, env=env)
    assert serve.returncode != 0
    lines = serve.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: PostgreSQL database") and says in lines[0], serve.stderr
    for output in (check.stdout + check.stderr, serve.stderr):
        assert "Traceback" not in output and PASSWORD not in output and "not-the-password" not in output


def test_a_database_url_of_another_kind_is_refused_by_name(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, env={"DATABASE_URL": "mysql://db/headshots"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: DATABASE_URL: must be sqlite:///path or postgresql://user:password@host:port/dbname"
    )
