"""Run the whole test suite on SQLite, then again on PostgreSQL when one is reachable.

Under ``CI=true`` a missing PostgreSQL is a failure instead of a skipped leg. Extra arguments are
passed to pytest (``make test`` passes none).
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable(url: str) -> str | None:
    """None when reachable, else the reason."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "not reachable"; the reason is printed
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def run_leg(name: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n===== test leg: {name} =====", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main() -> int:
    args = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() == "true"
    base_env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    results = {"sqlite": run_leg("SQLite", base_env, args)}

    pg_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    problem = postgres_reachable(pg_url)
    if problem is None:
        results["postgresql"] = run_leg(
            "PostgreSQL", {**base_env, "TEST_DATABASE_URL": pg_url}, args
        )
    elif ci:
        print(f"PostgreSQL is not reachable at {pg_url} ({problem}); CI requires it.", flush=True)
        results["postgresql"] = 1
    else:
        print(
            f"PostgreSQL is not reachable at {pg_url} ({problem}): skipping that leg.", flush=True
        )

    print("\n===== summary =====")
    for leg, code in results.items():
        print(f"{leg}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
