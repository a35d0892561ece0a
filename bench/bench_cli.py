"""The command line as scripts see it: whole processes on a 100,000-message Maildir, beside notmuch.

    .venv/bin/python bench/bench_cli.py [--keep DIR] [--messages 100000] [--runs 10]

Generates the Maildir (bench_maildir's generator) and imports it, unless DIR holds both already;
then runs each command as a separate process and prints the median wall time, the median CPU time
(user + system: on a busy machine, closer to what the command costs than the wall time) and the
command's own peak memory (through GNU time: `?` without it). When notmuch is installed, it
indexes the same Maildir (once, kept in DIR) and runs the same queries, printing both and their
ratio.

It also checks what `deskterm --help` and `deskterm search` import: a module on the heavy list,
or import time over the budget, prints IMPORT TIME GREW and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_maildir import generate_messages, load_note, write_maildir

# The commands of issue 13's table: (label, deskterm arguments, notmuch arguments or None).
FROM = "from:customer12"  # a prefix: customer12, customer120-129, customer1200-1299, ...
COMMANDS = [
    ("search, 50 results", ["search", "refund", "damaged"], ["--limit=50", "refund", "damaged"]),
    ("--help", ["--help"], None),
    (
        "list refund --json (10,000)",
        ["list", "refund", "--json"],
        ["--format=json", "--limit=10000", "refund"],
    ),
    ("list refund (table)", ["list", "refund"], ["--limit=10000", "refund"]),
    (f"list {FROM} (table)", ["list", FROM], [FROM + "*"]),
    (
        f"list '{FROM} refund' --limit 50",
        ["list", f"{FROM} refund", "--limit", "50"],
        ["--limit=50", FROM + "*", "refund"],
    ),
]
# Commands whose wall time is the median of --runs runs; the others run --slow-runs times.
FAST = {"search, 50 results", "--help", f"list '{FROM} refund' --limit 50"}

# What a command may import beyond a bare interpreter: how many modules (exact at any load: the
# check that catches a new import), and how long they take (the modules' own times, the least of
# 5 runs) as a multiple of what the bare interpreter imports (site, encodings); a busy machine
# slows both, unevenly: 1.7x-3.9x and 2.0x-8.2x measured at load 10-16 on 2 cores, so the time
# budget catches only gross growth. And modules it must never load.
MODULE_BUDGET = {"--help": 70, "search": 30}
IMPORT_BUDGET = {"--help": 6.0, "search": 5.0}
HEAVY = ("textual", "rich", "typer", "pydantic", "sqlite_utils", "jinja2", "deskterm.actions")
HEAVY += ("deskterm.connectors", "deskterm.config", "deskterm.sla", "deskterm.store.filters")
# `deskterm search` is answered without click (cli.fast).
NEVER = {"--help": HEAVY, "search": (*HEAVY, "click", "deskterm.cli.main", "deskterm.domain")}


# Measures each command's own peak memory (see run_once); the shell's `time` keyword is no program.
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")


@dataclass
class Run:
    wall: float
    cpu: float
    peak_kb: int | None  # None without GNU time


def run_once(argv: list[str], env: dict[str, str]) -> Run:
    """One run: wall time, CPU time and the command's own peak memory.

    The peak comes from GNU time (when installed), which forks the command from its own small
    process. The rusage that wait4 gives for a child of this process is no use: Linux carries the
    peak of the process image an exec replaces into the new program's ru_maxrss, so every command
    started from here reported this benchmark's own peak (326 MB after generating the Maildir).
    """
    timer = [GNU_TIME, "-f", "%M"] if GNU_TIME else []
    start = time.perf_counter()
    process = subprocess.Popen(
        [*timer, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    error = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {error.strip()}")
    peak_kb = int(error.split()[-1]) if GNU_TIME else None
    return Run(wall, usage.ru_utime + usage.ru_stime, peak_kb)


def measure(argv: list[str], runs: int, env: dict[str, str]) -> Run:
    done = [run_once(argv, env) for _ in range(runs)]
    return Run(
        statistics.median(r.wall for r in done),
        statistics.median(r.cpu for r in done),
        None if GNU_TIME is None else max(r.peak_kb or 0 for r in done),
    )


def prepare(work: Path, messages: int) -> Path:
    """The Maildir and its imported database in `work`, made when missing."""
    maildir, db = work / "Maildir", work / "bench.db"
    if maildir.is_dir() and db.exists():
        return db
    from deskterm.connectors.email.importer import MAILDIR
    from deskterm.imports import run_import
    from deskterm.store import open_store
    from deskterm.store.accounts import save_account

    start = time.perf_counter()
    write_maildir(maildir, generate_messages(messages))
    store = open_store(db)
    save_account(
        store,
        "bench",
        connector="email",
        channel="email",
        address="support@shop.example",
        settings={"data_dir": str(work)},
    )
    result = run_import(store, MAILDIR, maildir, account="bench")
    store.close()
    took = time.perf_counter() - start
    print(f"made {result.added:,} messages, {result.new_tickets:,} tickets in {took:.0f} s")
    return db


def notmuch_env(work: Path) -> dict[str, str] | None:
    """An environment for notmuch on work/Maildir, indexed first if need be; None without it."""
    if not shutil.which("notmuch"):
        return None
    config = work / "notmuch-config"
    config.write_text(
        f"[database]\npath={work / 'Maildir'}\n[new]\ntags=inbox;\n[search]\nexclude_tags=\n"
        "[maildir]\nsynchronize_flags=false\n"
    )
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    if not (work / "Maildir" / ".notmuch").exists():
        start = time.perf_counter()
        subprocess.run(["notmuch", "new", "--quiet"], env=env, check=True)
        print(f"notmuch indexed the Maildir in {time.perf_counter() - start:.0f} s")
    return env


def imports_beyond_python(args: list[str], env: dict[str, str]) -> tuple[float, float, set[str]]:
    """(ms of import time beyond `python -c pass`, ms that one imports, modules beyond it),
    the least of 5 runs each."""

    def own_times(argv: list[str]) -> dict[str, int]:
        best: dict[str, int] = {}
        for _ in range(5):
            err = subprocess.run(
                [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, env=env
            ).stderr
            for line in err.splitlines()[1:]:
                if line.startswith("import time:"):
                    own, _, name = line[len("import time:") :].split("|")
                    best[name.strip()] = min(best.get(name.strip(), 10**9), int(own))
        return best

    bare = own_times(["-c", "pass"])
    command = own_times(["-m", "deskterm", *args])
    extra = {name: us for name, us in command.items() if name not in bare}
    return sum(extra.values()) / 1000, sum(bare.values()) / 1000, set(extra)


def check_imports(db: Path, env: dict[str, str]) -> bool:
    ok = True
    for label, args in (("--help", ["--help"]), ("search", ["search", "refund", "--db", str(db)])):
        ms, bare, modules = imports_beyond_python(args, env)
        never = NEVER[label]
        heavy = sorted({h for h in never for m in modules if m == h or m.startswith(h + ".")})
        most, ratio = MODULE_BUDGET[label], IMPORT_BUDGET[label]
        print(
            f"imports of deskterm {label}: {len(modules)} modules (budget {most}) beyond python -c"
            f" pass, {ms:.1f} ms; python -c pass imports {bare:.1f} ms: {ms / bare:.1f}x"
            f" (budget {ratio}x)"
        )
        grew = [f"loads {', '.join(heavy)}"] if heavy else []
        grew += [f"imports {len(modules)} modules > {most}"] if len(modules) > most else []
        grew += [f"imports {ms / bare:.1f}x > {ratio}x"] if ms > ratio * bare else []
        for what in grew:
            print(f"!!! IMPORT TIME GREW: deskterm {label} {what}")
        ok = ok and not grew
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Maildir, database and notmuch index live here")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="runs of the fast commands")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of the 10,000-row lists")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="deskterm-cli-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        db = prepare(work, args.messages)
        env = {**os.environ, "DESKTERM_CONFIG": str(work / "no-config.toml")}
        notmuch = notmuch_env(work)
        print(load_note())
        print(
            f"{'command':<44} {'deskterm wall / cpu / peak':>30} {'notmuch wall / cpu / peak':>30}  ratio"
        )
        for label, argv, notmuch_argv in COMMANDS:
            runs = args.runs if label in FAST else args.slow_runs
            ours = measure(
                [
                    sys.executable,
                    "-m",
                    "deskterm",
                    *argv,
                    *(["--db", str(db)] if argv[0] != "--help" else []),
                ],
                runs,
                env,
            )
            line = f"{label:<44} {_fmt(ours):>30}"
            if notmuch and notmuch_argv:
                theirs = measure(["notmuch", "search", *notmuch_argv], runs, notmuch)
                line += f" {_fmt(theirs):>30}  {ours.wall / theirs.wall:5.1f}x"
            print(line)
        ok = check_imports(db, env)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if not ok:
        raise SystemExit(1)


def _fmt(run: Run) -> str:
    peak = "?" if run.peak_kb is None else f"{run.peak_kb / 1024:,.0f}"
    return f"{run.wall * 1000:,.0f} ms / {run.cpu * 1000:,.0f} ms / {peak} MB"


if __name__ == "__main__":
    main()
