"""What bench_team.py reports: the final check of every replica against the server, the latencies
from the agents' records, the replies at the SMTP sink, and the CPU of each kind of process."""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # the fields after the command's name


def cpu_of(pid: int, *, reaped: bool = False) -> float:
    """A process's CPU seconds so far (with its waited-for children's when `reaped`)."""
    fields = _stat(pid)
    # utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat (11-14 after the name).
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def cpu_of_postgres(data: Path) -> float:
    """The cluster's CPU seconds so far: the postmaster, its live children and those it reaped
    (the backends of connections already closed)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = cpu_of(postmaster, reaped=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(int(entry.name))
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / TICK
    return total


@dataclass
class Measures:
    load_before: float
    load_after: float = 0.0
    postgres_cpu: float = 0.0
    worker_cpu: float = 0.0
    driver_cpu: float = 0.0
    wall: float = 0.0

    def start(self, data: Path) -> None:
        self.postgres_cpu = -cpu_of_postgres(data)
        self.driver_cpu = -time.process_time()
        self.wall = -time.monotonic()

    def stop(self, data: Path, worker_pid: int) -> None:
        self.postgres_cpu += cpu_of_postgres(data)
        self.driver_cpu += time.process_time()
        self.wall += time.monotonic()
        self.worker_cpu = cpu_of(worker_pid)
        self.load_after = os.getloadavg()[0]


def _flush(store) -> None:
    from deskterm.team import replica

    conn = replica.open_server(replica.configured(store))
    try:
        replica.sync_once(store, conn)
    finally:
        conn.close()


def final_check(owner_url: str, paths: dict[str, Path]) -> tuple[dict[str, float], int, int]:
    """Sync everyone twice; (server's uid -> when it received it, replicas that differ from the
    server, event rows held twice on some replica)."""
    from deskterm.store import open_store
    from deskterm.team import server

    stores = {name: open_store(path) for name, path in paths.items()}
    for _ in range(2):
        for store in stores.values():
            _flush(store)
    conn = server.connect(owner_url)
    received = {
        uid: when
        for uid, when in conn.execute(
            "SELECT uid::text, extract(epoch FROM received_at)::float8 FROM deskterm.events"
        )
    }
    conn.close()
    uids = sorted(received)
    differing = twice = 0
    for store in stores.values():
        local = [r[0] for r in store.conn.execute("SELECT uid FROM events WHERE seq IS NOT NULL")]
        differing += sorted(local) != uids
        twice += len(local) - len(set(local))
        store.close()
    return received, differing, twice


def _quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def _overlaps(windows: list[list[float]], start: float, end: float) -> bool:
    return any(a < end and start < b for a, b in windows)


def _action_uids(paths: dict[str, Path], results: dict[str, dict]) -> dict[str, dict[int, str]]:
    """Each agent's actions' local event ids -> the uids they were pushed under."""
    from deskterm.store import open_store

    found = {}
    for agent, result in results.items():
        store = open_store(paths[agent])
        ids = {event for event, _, _ in result["actions"]}
        found[agent] = {
            row_id: uid
            for row_id, uid in store.conn.execute(
                "SELECT id, uid FROM events WHERE uid IS NOT NULL"
            )
            if row_id in ids
        }
        store.close()
    return found


@dataclass
class Latencies:
    online: list[float]
    offline: list[float]
    to_server: list[float]
    mail: list[float]
    lost: int
    missing: int  # (online action, online replica) pairs with no arrival by the end


def latencies(
    results: dict[str, dict], uids: dict[str, dict[int, str]], received: dict[str, float]
) -> Latencies:
    """Every (action, other agent's replica) pair: online when the action was written online and
    the replica was not offline between the action and its arrival."""
    acted: dict[str, tuple[float, bool, str]] = {}
    to_server, lost = [], 0
    for agent, result in results.items():
        for event, when, offline in result["actions"]:
            uid = uids[agent].get(event)
            if uid is None or uid not in received:
                lost += 1
                continue
            acted[uid] = (when, offline, agent)
            if not offline:
                to_server.append(received[uid] - when)
    online, offline, mail, missing = [], [], [], 0
    for agent, result in results.items():
        windows = result["offline"]
        arrived = dict(result["arrivals"])
        for uid, (when, written_offline, writer) in acted.items():
            if writer == agent:
                continue
            at = arrived.get(uid)
            if at is None:
                missing += not written_offline and not _overlaps(windows, when, time.time())
                continue
            away = written_offline or _overlaps(windows, when, at)
            (offline if away else online).append(at - when)
        for message_id, at in result["mail"]:
            stamp = float(message_id.split("-")[2].split("@")[0])
            if not _overlaps(windows, stamp, at):
                mail.append(at - stamp)
    return Latencies(online, offline, to_server, mail, lost, missing)


def report(args, measures: Measures, owner_url, paths, out: Path, fed, replies, counts) -> None:
    results = {f"agent{p.stem}": json.loads(p.read_text()) for p in out.glob("*.json")}
    received, differing, twice = final_check(owner_url, paths)
    found = latencies(results, _action_uids(paths, results), received)
    sent = {mid for mid, status in replies.items() if status == "sent"}
    by_status: dict[str, int] = {}
    for status in replies.values():
        by_status[status] = by_status.get(status, 0) + 1
    actions = sum(len(r["actions"]) for r in results.values())
    busy = sum(r["busy"] for r in results.values())
    low, high = args.pace
    print(
        f"{args.agents} agents for {args.seconds:.0f} s, one action every {low:g}-{high:g} s, reads"
        f" every {args.read_every:g} s; every 4th agent offline {args.offline:.0f} s;"
        f" mail {args.mail_rate:g}/s; load {measures.load_before:.1f} -> {measures.load_after:.1f}"
    )
    print(
        f"events on the server: {len(received)}; actions {actions}, lost {found.lost},"
        f" refused for a busy replica {busy}; event rows held twice on a replica {twice}"
    )
    equal = "yes" if differing == 0 else f"no, {differing} differ"
    print(f"every replica equals the server: {equal} ({len(paths)} replicas)")
    print(
        f"replies: {len(replies)} ({', '.join(f'{v} {k}' for k, v in sorted(by_status.items()))});"
        f" at the SMTP sink {sum(counts.values())}, twice {sum(c > 1 for c in counts.values())},"
        f" sent but not at the sink {len(sent - set(counts))},"
        f" at the sink but not sent {len(set(counts) - sent)}"
    )
    print(
        f"action -> another agent's replica, online ({len(found.online)}): {_quantiles(found.online)}"
    )
    print(f"   not arrived by the end (online pairs): {found.missing}")
    print(
        f"action -> its push on the server ({len(found.to_server)}): {_quantiles(found.to_server)}"
    )
    print(
        f"action -> replica, writer or reader offline ({len(found.offline)}): {_quantiles(found.offline)}"
    )
    print(
        f"mail into Dovecot -> online replicas ({len(found.mail)}, {fed} fed): {_quantiles(found.mail)}"
    )
    _report_cpu(measures, results)


def _report_cpu(measures: Measures, results: dict[str, dict]) -> None:
    agents = [r["cpu"] for r in results.values()]
    sync = [r["sync_cpu"] for r in results.values()]
    passes = [cpu for r in results.values() for cpu, _ in r["passes"]]
    pulled = sum(n for r in results.values() for _, n in r["passes"])
    wall = measures.wall
    print(
        f"CPU over {wall:.0f} s: agents {sum(agents):.1f} s ({statistics.mean(agents):.2f} s each,"
        f" of which sync thread {statistics.mean(sync):.2f} s); worker {measures.worker_cpu:.1f} s;"
        f" PostgreSQL {measures.postgres_cpu:.1f} s; driver (mail feed, SMTP sink)"
        f" {measures.driver_cpu:.1f} s"
    )
    if passes:
        cuts = (
            statistics.quantiles(passes, n=100, method="inclusive") if len(passes) > 1 else [0] * 99
        )
        print(
            f"sync passes {len(passes)}: CPU per pass (wait included) mean"
            f" {statistics.mean(passes) * 1000:.2f} ms, p50 {cuts[49] * 1000:.2f} ms,"
            f" p99 {cuts[98] * 1000:.2f} ms; events pulled {pulled},"
            f" sync CPU per event pulled {sum(sync) / max(pulled, 1) * 1000:.2f} ms"
        )
