"""The driver side by side with what users do instead, against one simulator: see bench/README.md.

For each scenario and latency, runs the driver (`confluence-sql -c`) and the Python baseline (bench/baseline.py:
atlassian-python-api + pandas) alternately, REPS times each, and reports the median wall time, peak resident
memory, the simulator's request count, the rows of the answer, and baseline/driver. The full scan is also read
through the ADBC driver and through the Flight SQL server by Python's ADBC clients. Writes bench/RESULTS.md.
Exits non-zero when a scenario's requests exceed the minimum the API allows for its answer, or the two sides'
answers differ.

    python bench/compare.py --binary target/release/confluence-sql --adbc target/release/libconfluence_adbc.so
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = 250  # items per v2 list request
SEARCH_PAGE = 100  # results per CQL search request
# The site's history ends on 2026-06-01 (the simulator's data set): "the last 30 days" is the 30 days before it.
SINCE = "2026-05-02"
WORD = "roadmap"


@dataclass
class Scenario:
    name: str
    what: str
    sql: str
    # How the driver's output is read: "value" (one number) or "rows".
    answer: str
    baseline: str | None
    argument: str = ""
    # The fewest requests the API allows for this answer, from the answer's row count and the baseline's requests
    # (None: not checked).
    minimum: object = None


@dataclass
class Run:
    seconds: list = field(default_factory=list)
    rss_kib: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    answer: int | None = None
    # Seconds a client measured itself, from connecting to its last batch (ADBC and Flight SQL clients).
    inner: list = field(default_factory=list)

    def median(self):
        return statistics.median(self.seconds) if self.seconds else float("nan")


def scenarios(key):
    # Requests the driver needs at least, beside the content: the space directory (one request for ≤250 spaces).
    return [
        Scenario("full_count", "full `count(*)` of current pages",
                 "SELECT count(*) FROM pages WHERE status = 'current'", "value", "full_count"),
        Scenario("one_space", f"titles and last-modified of one space ({key}, the largest)",
                 f"SELECT title, updated_at FROM pages WHERE space_key = '{key}' AND status = 'current'", "rows",
                 "one_space", key,
                 # The chain from both ends: at most one page more for each end, read where they meet (neither can
                 # know the other has covered it before seeing it); and the space directory.
                 minimum=lambda rows, _: math.ceil(rows / PAGE) + 2 + 1),
        Scenario("recent", f"current pages modified since {SINCE} (the site's last 30 days)",
                 f"SELECT id, title, updated_at FROM pages WHERE updated_at >= TIMESTAMP '{SINCE} 00:00:00' "
                 "AND status = 'current'", "rows", "recent", SINCE,
                 # The search alone (a day wider, as the baseline's: CQL dates are in the user's time zone), its
                 # results decoded as the rows: the baseline's requests.
                 minimum=lambda rows, baseline: baseline),
        Scenario("latest", "the 20 most recently modified pages",
                 "SELECT title, updated_at FROM pages ORDER BY updated_at DESC LIMIT 20", "rows", "latest",
                 # One request sorted by the server (`sort=-modified-date&limit=20`), no space directory.
                 minimum=lambda rows, _: 1),
        Scenario("limit_one", "`SELECT * FROM pages LIMIT 1`", "SELECT * FROM pages LIMIT 1", "rows", "limit_one",
                 # One content request; `space_key` needs the space directory.
                 minimum=lambda rows, _: 2),
        Scenario("authors", f"one space's pages ({key}) joined to users for author names",
                 f"SELECT p.title, u.display_name FROM pages p JOIN users u ON u.account_id = p.author_id "
                 f"WHERE p.space_key = '{key}' AND p.status = 'current'", "rows", "authors", key,
                 # The space's chain from both ends (as above), the directory, and the users (one search page per
                 # 100 of the site's 60).
                 minimum=lambda rows, _: math.ceil(rows / PAGE) + 2 + 1 + 1),
        Scenario("labels_per_space", "how many current pages carry each label, per space",
                 "SELECT space_id, name, count(*) FROM labels WHERE page_id IS NOT NULL GROUP BY space_id, name",
                 "rows", "labels_per_space",
                 # The site's labels (one request for up to 250), then each label's pages (the baseline reads the
                 # same lists): the baseline's requests.
                 minimum=lambda rows, baseline: baseline),
        Scenario("text_search", f"a CQL text search (`text ~ \"{WORD}\"`)",
                 f"SELECT id, title FROM cql('type = page AND text ~ \"{WORD}\"')", "rows", "text_search", WORD,
                 minimum=lambda rows, _: max(1, math.ceil(rows / SEARCH_PAGE))),
    ]


class Simulator:
    def __init__(self, binary, dataset, seed):
        self.process = subprocess.Popen(
            [binary, "sim", "--format", "json", "--dataset", dataset, "--seed", str(seed)],
            stdout=subprocess.PIPE, text=True,
        )
        self.info = json.loads(self.process.stdout.readline())
        self.url = self.info["url"]

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/__sim/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return json.loads(text) if text else None

    def latency(self, ms):
        self.control("PUT", "faults", [{"latency_ms": ms}] if ms else [])

    def reset(self):
        self.control("DELETE", "counters")

    def counters(self):
        return self.control("GET", "counters")

    def api(self, path):
        auth = b64encode(f"{self.info['user']}:{self.info['api_token']}".encode()).decode()
        request = urllib.request.Request(self.url + path, headers={"Authorization": "Basic " + auth})
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        self.process.wait()


def timed(command, stdout_path, env=None):
    """Runs `command` under /usr/bin/time: (seconds, peak RSS KiB). Fails loudly on a non-zero exit."""
    with tempfile.NamedTemporaryFile("r") as usage, open(stdout_path, "w") as out:
        started = time.monotonic()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", usage.name, *command], stdout=out,
                              stderr=subprocess.PIPE, text=True, env=env)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        lines = [line for line in open(usage.name).read().split() if line.strip().isdigit()]
        return seconds, int(lines[-1])


def driver_answer(path, kind):
    lines = [line for line in open(path).read().splitlines() if line.strip()]
    if kind == "value":
        return int(lines[-1].strip().strip('"'))
    return len(lines) - 1  # a header, then one line per row


def measure(sim, run, command, out, kind, env=None):
    sim.reset()
    seconds, rss = timed(command, out, env)
    counters = sim.counters()
    answer = driver_answer(out, kind) if kind else int(open(out).read().split()[-1])
    if kind is None and len(open(out).read().split()) == 2:
        # A client that times itself (connect to last batch): the door's time without the interpreter's start-up.
        run.inner.append(float(open(out).read().split()[0]))
    if run.answer is not None and run.answer != answer:
        raise SystemExit(f"{command[:2]}: answers differ between repetitions ({run.answer} then {answer})")
    run.answer = answer
    run.seconds.append(seconds)
    run.rss_kib.append(rss)
    run.requests.append(counters["total"])


ADBC_CLIENT = """
import sys, time
import adbc_driver_manager.dbapi as dbapi
library, connection, sql = sys.argv[1:]
started = time.monotonic()
with dbapi.connect(driver=library, entrypoint="AdbcConfluenceInit", db_kwargs={"uri": connection},
                   autocommit=True) as conn:
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = sum(batch.num_rows for batch in cur.fetch_record_batch())
print(time.monotonic() - started, rows)
"""

FLIGHT_CLIENT = """
import sys, time
import adbc_driver_flightsql.dbapi as flightsql
url, sql = sys.argv[1:]
started = time.monotonic()
with flightsql.connect(url, db_kwargs={"username": "bench", "password": "bench-passphrase"}, autocommit=True) as c:
    with c.cursor() as cur:
        cur.execute(sql)
        rows = sum(batch.num_rows for batch in cur.fetch_record_batch())
print(time.monotonic() - started, rows)
"""


def serve(binary, connection):
    env = dict(os.environ, CONFLUENCE_SQL_SERVE_PASSWORD="bench-passphrase")
    process = subprocess.Popen([binary, "serve", connection, "--user", "bench", "--listen", "127.0.0.1:0",
                                "--format", "json"], stdout=subprocess.PIPE, text=True, env=env)
    return process, json.loads(process.stdout.readline())["url"]


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({model}), {memory / 1024 / 1024:.0f} GiB, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / "target/release/confluence-sql"))
    parser.add_argument("--adbc", default=str(ROOT / "target/release/libconfluence_adbc.so"))
    parser.add_argument("--python", default=sys.executable, help="the Python with the baseline's packages")
    parser.add_argument("--dataset", default="small,spaces=20,pages=50000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency", default="100,0", help="added latency per request, ms (comma-separated)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--no-doors", action="store_true", help="skip the ADBC and Flight SQL reads")
    parser.add_argument("--results", default=str(ROOT / "bench/RESULTS.md"))
    args = parser.parse_args()

    sim = Simulator(args.binary, args.dataset, args.seed)
    failures = []
    sections = []
    try:
        spaces = sim.api("/wiki/api/v2/spaces?limit=250&type=global&sort=id")["results"]
        key = spaces[0]["key"]
        connection = sim.info["connection_string"] + f";MaxConcurrency={args.concurrency}"
        chosen = [s for s in scenarios(key) if not args.only or s.name in args.only.split(",")]
        workdir = Path(tempfile.mkdtemp())
        for latency in [int(x) for x in args.latency.split(",")]:
            sim.latency(latency)
            rows_out = []
            for scenario in chosen:
                driver, baseline = Run(), Run()
                for _ in range(args.reps):
                    measure(sim, driver, [args.binary, connection, "--format", "csv", "-c", scenario.sql],
                            workdir / "driver.out", scenario.answer)
                    if scenario.baseline:
                        measure(sim, baseline, [args.python, str(ROOT / "bench/baseline.py"), scenario.baseline,
                                                sim.url, sim.info["user"], sim.info["api_token"], scenario.argument],
                                workdir / "baseline.out", None)
                if scenario.baseline and baseline.answer != driver.answer:
                    failures.append(f"{scenario.name}: the driver answered {driver.answer}, "
                                    f"the baseline {baseline.answer}")
                baseline_requests = max(baseline.requests) if baseline.requests else 0
                floor = scenario.minimum(driver.answer, baseline_requests) if scenario.minimum else None
                if floor is not None and max(driver.requests) > floor:
                    failures.append(f"{scenario.name} at {latency} ms: {max(driver.requests)} requests, "
                                    f"more than the {floor} the answer needs")
                ideal = None
                if scenario.name == "full_count" and latency:
                    ideal = math.ceil(driver.answer / PAGE) * latency / 1000 / args.concurrency
                rows_out.append((scenario, driver, baseline, floor, ideal))
                print(f"{latency:>4} ms {scenario.name:<12} driver {driver.median():6.2f} s "
                      f"{statistics.median(driver.requests):5.0f} req | baseline "
                      f"{baseline.median():6.2f} s {statistics.median(baseline.requests) if baseline.requests else 0:5.0f} req"
                      f" | ratio {baseline.median() / driver.median():5.1f}", flush=True)
            doors = []
            if not args.no_doors and latency:
                sql = "SELECT id, title, updated_at FROM pages WHERE status = 'current'"
                repl, adbc, flight = Run(), Run(), Run()
                server, server_url = serve(args.binary, connection)
                try:
                    for _ in range(args.reps):
                        measure(sim, repl, [args.binary, connection, "--format", "csv", "-c", sql],
                                workdir / "repl.out", "rows")
                        measure(sim, adbc, [args.python, "-c", ADBC_CLIENT, args.adbc, connection, sql],
                                workdir / "adbc.out", None)
                        measure(sim, flight, [args.python, "-c", FLIGHT_CLIENT, server_url, sql],
                                workdir / "flight.out", None)
                finally:
                    server.terminate()
                    server.wait()
                for name, run in [("ADBC driver", adbc), ("Flight SQL", flight)]:
                    if run.answer != repl.answer:
                        failures.append(f"{name}: {run.answer} rows, the REPL {repl.answer}")
                doors = [("REPL (`-c`, CSV)", repl), ("ADBC driver (Python)", adbc),
                         ("Flight SQL server (Python ADBC client)", flight)]
                for name, run in doors:
                    inner = f" ({statistics.median(run.inner):.2f} s in the client)" if run.inner else ""
                    print(f"{latency:>4} ms {name:<40} {run.median():6.2f} s{inner} "
                          f"{statistics.median(run.requests):5.0f} req {run.answer} rows", flush=True)
            sections.append((latency, rows_out, doors))
    finally:
        sim.stop()
    write_results(args, sections, failures)
    for failure in failures:
        print("FAILED:", failure, file=sys.stderr)
    sys.exit(1 if failures else 0)


def mib(run):
    return f"{max(run.rss_kib) / 1024:.0f}" if run.rss_kib else "–"


def write_results(args, sections, failures):
    out = ["# Benchmark results: the driver beside atlassian-python-api + pandas", "",
           f"Measured {datetime.date.today()} on {machine()}, with `bash bench/compare.sh` "
           f"(simulator data set `{args.dataset}`, seed {args.seed}; `MaxConcurrency={args.concurrency}`; "
           f"median of {args.reps} runs, driver and baseline alternating). Wall times include process start-up; "
           "requests are the simulator's counters; memory is the process's peak resident set (the Python "
           "baseline's includes the interpreter and pandas). The baseline is `bench/baseline.py`.", ""]
    for latency, rows, doors in sections:
        out += [f"## {latency} ms added per request" + (" (a site over the network)" if latency else ""), "",
                "| scenario | rows | driver | requests | MiB | baseline | requests | MiB | baseline ÷ driver | "
                "request floor |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for scenario, driver, baseline, floor, ideal in rows:
            ratio = baseline.median() / driver.median() if baseline.seconds else float("nan")
            ideal_note = f" (ideal {ideal:.2f} s: driver {driver.median() / ideal:.2f}× it)" if ideal else ""
            out.append(
                f"| {scenario.what} | {driver.answer} | {driver.median():.2f} s{ideal_note} | "
                f"{statistics.median(driver.requests):.0f} | {mib(driver)} | "
                f"{baseline.median():.2f} s | {statistics.median(baseline.requests) if baseline.requests else 0:.0f} | "
                f"{mib(baseline)} | **{ratio:.1f}×** | {floor if floor is not None else '–'} |")
        if doors:
            repl = doors[0][1].median()
            out += ["", f"The full scan `SELECT id, title, updated_at FROM pages WHERE status = 'current'` through "
                        "each door (the REPL prints CSV; the Python clients count Arrow batches; \"in the client\" is "
                        "from connecting to the last batch, without Python's start-up and imports):", "",
                    "| door | rows | process | ÷ REPL | in the client | ÷ REPL | requests | MiB |",
                    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for name, run in doors:
                inner = statistics.median(run.inner) if run.inner else None
                inner_text = f"{inner:.2f} s | {inner / repl:.2f}" if inner else "– | –"
                out.append(f"| {name} | {run.answer} | {run.median():.2f} s | {run.median() / repl:.2f} | "
                           f"{inner_text} | {statistics.median(run.requests):.0f} | {mib(run)} |")
        out.append("")
    if failures:
        out += ["## Failures", ""] + [f"- {f}" for f in failures] + [""]
    Path(args.results).write_text("\n".join(out))


if __name__ == "__main__":
    main()
