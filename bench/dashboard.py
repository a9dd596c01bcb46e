#!/usr/bin/env python3
"""The sales dashboard at scale (issue #22's performance target): `GET
/admin/stats` and the `/admin` page p99 at 16 connections on a store of
1,000,000 orders, and how the dashboard's cost grows from 10,000 orders.

    python3 bench/dashboard.py [--smoke] [--sizes 10000,100000,1000000] [--duration 10]
                               [--products 100000] [--customers 50000] [--no-results] [--keep]

For each size: bench/backoffice_data.py writes a fresh SQLite store (the
products and customers of the issue, that many orders over two years) at
the schema version before the dashboard, and the release binary opens it:
its migration computes the rolled-up figures from the orders (timed: the
one-off cost of an upgrade). Then, as the admin (registered through the API):
1. Checks: `GET /orders/1001` reads a generated order, and `GET /admin/stats`
   over the whole span answers exactly the generator's counts, revenue and
   statuses (the backfill is right).
2. Cost: single requests, one at a time, each for a range not asked before
   (so nothing is served from the dashboard's per-range cache): 30-day
   ranges, the longest range (732 days), and the page; median and max.
3. Load (the largest size only): 16 connections for `--duration` s on the
   default range (`/admin/stats` and `/admin`: what a dashboard open in
   many tabs asks; answered from the per-range cache between writes), and
   on 30-day ranges drawn at random from the two years (mostly not cached).
   wrk when it is installed (bench/wrk/report.lua), else 16 Python threads
   with keep-alive connections (the client then shares the 2 cores).
   The same 16 connections then ask the back office's order list, a page of
   20 filtered by a random status, a random 30 days, a random customer's
   email, a random order number, and the `/admin/orders` page.
Targets: p99 < 50 ms at 16 connections (the dashboard), < 20 ms (the order list). Writes the `dashboard` section of
bench/RESULTS.md unless `--smoke` or `--no-results`. Build first:
cargo build --release --bin tienda.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the full benchmark's server, API and wrk helpers)
import sections  # noqa: E402

P99_MS = 50.0
ORDERS_P99_MS = 20.0
ORDER_STATUSES = ["awaiting_payment", "paid", "shipped", "delivered", "cancelled", "refunded"]
CONNECTIONS = 16
HERE = Path(__file__).resolve().parent


class DashboardServer(bench.Server):
    """tienda on a generated store: no demo catalog, and time to migrate."""

    def start(self, wrapper=None, limit=900.0):
        self.port = bench.free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIENDA_") and k != "RUST_LOG"}
        overrides = self.env()
        env.update(overrides)
        self.recorder.add(self.argv(), overrides)
        logf = open(self.log_path, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv(), cwd=bench.ROOT, env=env, stdout=logf,
                                     stderr=subprocess.STDOUT)
        logf.close()
        return self.wait_ready(t0, limit)


def generate(path, orders, products, customers):
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, str(HERE / "backoffice_data.py"), str(path),
                          "--orders", str(orders), "--products", str(products),
                          "--customers", str(customers)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise bench.BenchError(f"backoffice_data.py failed: {out.stderr[-800:]}")
    summary = json.loads(out.stdout)
    summary["wall_s"] = round(time.monotonic() - t0, 1)
    return summary


class Client:
    """One keep-alive connection."""

    def __init__(self, port, token, accept="application/json"):
        self.port, self.token, self.accept = port, token, accept
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path):
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", path, headers={"Authorization": "Bearer " + self.token,
                                                    "Accept": self.accept})
            r = self.conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        return r.status, body, (time.perf_counter() - t0) * 1000.0


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))]


def day(d):
    return d.strftime("%Y-%m-%d")


def random_range(rng, first, today, days=30):
    span = (today - first).days - days + 1
    start = first + datetime.timedelta(days=rng.randrange(max(1, span)))
    return f"from={day(start)}&to={day(start + datetime.timedelta(days=days - 1))}"


def wrk_paths_load(port, token, paths, accept, conns, duration, work):
    """wrk asking 5,000 paths drawn from `paths()` round-robin (bench/wrk/dynamic.lua
    paths): the random ranges and filters without a Python client on the cores."""
    listing = Path(work) / f"paths-{time.monotonic_ns()}.txt"
    listing.write_text("\n".join(paths() for _ in range(5000)) + "\n")
    return run_wrk(["-s", str(bench.LUA_DYN), f"http://127.0.0.1:{port}/", "--", "paths", str(listing),
                    token, accept], conns, duration)


def python_load(port, token, paths, accept, conns, duration):
    """`conns` threads asking `paths()` over keep-alive for `duration` s:
    (requests/s, p50, p99, max, errors)."""
    lat, errors, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + duration

    def run(k):
        c = Client(port, token, accept)
        mine, bad = [], 0
        while time.perf_counter() < stop:
            try:
                status, _, ms = c.get(paths())
            except (OSError, http.client.HTTPException):
                bad += 1
                continue
            if status != 200:
                bad += 1
            mine.append(ms)
        with lock:
            lat.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return dict(rps=len(lat) / elapsed, p50=pct(lat, 50), p99=pct(lat, 99), max=max(lat or [0]),
                n=len(lat), errors=errors[0], client="python")


def wrk_load(port, token, path, accept, conns, duration):
    """wrk with bench/wrk/report.lua (its BENCH_JSON line), as bench.py runs it."""
    return run_wrk(["-s", str(bench.LUA_REPORT), "-H", f"Authorization: Bearer {token}", "-H",
                    f"Accept: {accept}", f"http://127.0.0.1:{port}{path}"], conns, duration)


def run_wrk(script_and_url, conns, duration):
    """wrk at `conns` connections for `duration` s with a script that prints a
    BENCH_JSON line (report.lua, dynamic.lua): the load figures."""
    argv = ["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "--latency", *script_and_url]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((l for l in p.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if p.returncode != 0 or line is None:
        raise bench.BenchError(f"wrk failed: {p.stderr[-400:]} {p.stdout[-400:]}")
    r = json.loads(line[len("BENCH_JSON "):])
    secs = r["duration_us"] / 1e6 or 1.0
    errors = r["non2xx"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    return dict(rps=r["requests"] / secs, p50=r["p50_us"] / 1000, p99=r["p99_us"] / 1000,
                max=r["max_us"] / 1000, n=r["requests"], errors=errors, client="wrk")


def measure_size(n, a, work, recorder, rng):
    data = work / f"orders-{n}"
    data.mkdir(parents=True, exist_ok=True)
    bench.log(f"{n:,} orders: generating")
    summary = generate(data / "tienda.db", n, a.products, a.customers)
    bench.log(f"  generated in {summary['wall_s']} s ({summary['seconds']} s inside); starting the server")
    server = DashboardServer(work, f"dashboard-{n}", data, recorder, demo_catalog=False)
    row = dict(orders=n, generate_s=summary["wall_s"])
    try:
        row["first_start_ms"] = round(server.start())
        port = server.port
        bench.register(port, bench.ADMIN, "Bench Admin")
        token = bench.login(port, bench.ADMIN)
        c = Client(port, token)
        # 1. Checks.
        if n:
            status, body, _ = c.get("/orders/1001")
            if status != 200 or json.loads(body).get("number") != 1001:
                raise bench.BenchError(f"GET /orders/1001: {status} {body[:300]!r}")
        whole = f"/admin/stats?from={summary['from']}&to={summary['to']}"
        status, body, ms = c.get(whole)
        if status != 200:
            raise bench.BenchError(f"{whole}: {status} {body[:400]!r}")
        s = json.loads(body)
        got = (s["orders"], s["revenue"], {k: v for k, v in s["by_status"].items() if v})
        want = (summary["counted_orders"], summary["revenue"], summary["by_status"])
        if got != want:
            raise bench.BenchError(f"the dashboard disagrees with the generator: {got} != {want}")
        if s["new_customers"] != summary["new_customers"] + 1:  # + the admin, registered now
            raise bench.BenchError(f"new_customers {s['new_customers']} != {summary['new_customers']} + 1")
        bench.log(f"  checks passed: {s['orders']:,} orders, revenue {s['revenue']:,}, "
                  f"{len(s['top_products'])} top products")
        # 2. Cost, one request at a time, each range asked once (not cached).
        today = datetime.date.fromisoformat(summary["to"])
        first = datetime.date.fromisoformat(summary["from"])
        asked = set()

        def fresh(days):
            for _ in range(1000):
                q = random_range(rng, first, today, days)
                if q not in asked:
                    asked.add(q)
                    return q
            raise bench.BenchError("no fresh range left")

        def cost(path_of, count, accept="application/json"):
            cl = Client(port, token, accept)
            xs = []
            for _ in range(count):
                status, body, ms = cl.get(path_of())
                if status != 200:
                    raise bench.BenchError(f"{status}: {body[:300]!r}")
                xs.append(ms)
            return dict(median=statistics.median(xs), max=max(xs))

        k = a.cost_requests
        row["cost_30d"] = cost(lambda: "/admin/stats?" + fresh(30), k)
        longest = iter(range(1000))

        def longest_range():
            # 732 days ending today or a later day: every order in each, never the same range twice.
            end = today + datetime.timedelta(days=next(longest))
            return f"/admin/stats?from={day(end - datetime.timedelta(days=731))}&to={day(end)}"

        row["cost_732d"] = cost(longest_range, max(3, k // 4))
        row["cost_page"] = cost(lambda: "/admin?" + fresh(30), k, accept="text/html")
        row["cached_30d"] = cost(lambda: "/admin/stats", k)
        bench.log(f"  cost: 30 days {row['cost_30d']['median']:.1f} ms, 732 days "
                  f"{row['cost_732d']['median']:.1f} ms, page {row['cost_page']['median']:.1f} ms (uncached medians)")
        # 3. Load, on the largest size.
        if n == max(a.sizes):
            row["load"] = {}
            use_wrk = shutil.which("wrk") is not None
            runs = [
                ("stats", lambda: "/admin/stats", "application/json"),
                ("page", lambda: "/admin", "text/html"),
                ("stats_random", lambda: "/admin/stats?" + random_range(rng, first, today), "application/json"),
                ("page_random", lambda: "/admin?" + random_range(rng, first, today), "text/html"),
                # The back office's order list (target p99 < 20 ms): a page of 20 with each filter.
                ("orders_status", lambda: "/orders?limit=20&status=" + rng.choice(ORDER_STATUSES),
                 "application/json"),
                ("orders_month", lambda: "/orders?limit=20&" + random_range(rng, first, today), "application/json"),
                ("orders_email", lambda: f"/orders?limit=20&email=customer-{rng.randrange(1, a.customers + 1)}"
                 "@bench.test", "application/json"),
                ("orders_number", lambda: f"/orders?number={rng.randrange(1001, 1001 + n)}", "application/json"),
                ("orders_page", lambda: "/admin/orders?status=paid&" + random_range(rng, first, today),
                 "text/html"),
            ]
            for name, paths, accept in runs:
                if use_wrk and name in ("stats", "page"):
                    r = wrk_load(port, token, paths(), accept, CONNECTIONS, a.duration)
                elif use_wrk:
                    r = wrk_paths_load(port, token, paths, accept, CONNECTIONS, a.duration, work)
                else:
                    r = python_load(port, token, paths, accept, CONNECTIONS, a.duration)
                row["load"][name] = r
                bench.log(f"  load {name}: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                          f"errors {r['errors']} ({r['client']})")
        row["rss_mb"] = round(server.rss_kb() / 1024.0, 1)
        return row
    finally:
        server.stop()
        if not a.keep:
            shutil.rmtree(data, ignore_errors=True)


def markdown(rows, a):
    L = ["## Sales dashboard (issue #22)", "",
         f"`python3 bench/dashboard.py` on {datetime.date.today()}: generated SQLite stores "
         f"({a.products:,} products with variants, {a.customers:,} customers, orders over two years; "
         "bench/backoffice_data.py), release build, loopback. The first start of each store runs the "
         "dashboard's migration, which computes the rolled-up figures from the orders.", "",
         "| orders | first start (migration) | /admin/stats, 30 days | /admin/stats, 732 days | /admin page, 30 days | /admin/stats, cached |",
         "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        L.append(f"| {r['orders']:,} | {r['first_start_ms'] / 1000:.1f} s | {r['cost_30d']['median']:.1f} ms "
                 f"(max {r['cost_30d']['max']:.1f}) | {r['cost_732d']['median']:.1f} ms (max {r['cost_732d']['max']:.1f}) | "
                 f"{r['cost_page']['median']:.1f} ms (max {r['cost_page']['max']:.1f}) | {r['cached_30d']['median']:.2f} ms |")
    L += ["", "One request at a time, each for a range not asked before (medians; the per-range cache "
          "cannot answer them).", ""]
    big = rows[-1]
    if "load" in big:
        L += [f"At {big['orders']:,} orders, {CONNECTIONS} connections for {a.duration} s "
              f"(target p99 < {P99_MS:.0f} ms):", "",
              "| path | requests/s | p50 | p99 | errors | client |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        names = {"stats": "`/admin/stats` (default range)", "page": "`/admin` (default range)",
                 "stats_random": "`/admin/stats`, random 30-day ranges", "page_random": "`/admin`, random 30-day ranges",
                 "orders_status": "`/orders?status=S&limit=20` (a random status; target 20 ms)",
                 "orders_month": "`/orders?from=&to=&limit=20` (a random 30 days; target 20 ms)",
                 "orders_email": "`/orders?email=E&limit=20` (a random customer; target 20 ms)",
                 "orders_number": "`/orders?number=N` (a random order; target 20 ms)",
                 "orders_page": "`/admin/orders?status=paid&from=&to=` page (target 20 ms)"}
        for k, r in big["load"].items():
            target = ORDERS_P99_MS if k.startswith("orders") else P99_MS
            ok = "" if r["p99"] < target else " (over target)"
            L.append(f"| {names[k]} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms{ok} | {r['errors']} | {r['client']} |")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small sizes, short runs, no results written")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--cost-requests", type=int, default=20)
    ap.add_argument("--no-results", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    if a.smoke:
        a.sizes, a.products, a.customers, a.duration, a.cost_requests = "2000", 500, 200, 2, 5
    a.sizes = [int(s) for s in str(a.sizes).split(",") if s]
    if not bench.BIN.exists():
        raise SystemExit(f"{bench.BIN} is missing: cargo build --release --bin tienda")
    work = Path(tempfile.mkdtemp(prefix="tienda-dashboard-"))
    recorder = bench.Recorder(work)
    rng = random.Random(22)
    rows = []
    try:
        for n in a.sizes:
            rows.append(measure_size(n, a, work, recorder, rng))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            bench.log(f"kept {work}")
    md = markdown(rows, a)
    print(md)
    if not (a.smoke or a.no_results):
        sections.update("dashboard", md)
        bench.log(f"wrote the dashboard section of {sections.RESULTS}")
    big = rows[-1].get("load", {})
    missed = [k for k, r in big.items() if r["errors"]]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
