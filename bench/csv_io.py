#!/usr/bin/env python3
"""CSV export and import at back-office scale (issue #22's targets).

    python3 bench/csv_io.py [--products 100000] [--customers 50000] [--orders 1000000]
                            [--data FILE.db] [--keep] [--bin PATH]

1. Data: bench/backoffice_data.py writes a SQLite store with `--products`
   products (30% with three variants), `--customers` and `--orders` orders
   (`--schema all`); `--data` reuses a file it wrote before (copied, never
   changed).
2. Export: the release binary serves that store; an admin downloads
   `GET /admin/export/orders.csv` once to warm the page cache, then again
   timed, reading the body in 1 MiB pieces. The server's VmRSS
   (/proc/PID/status) is read just before the timed download, sampled every
   50 ms during it, and read after. Targets: >= 50 MB/s, RSS growth < 50 MB.
   The products and customers exports are timed too (informational), and
   the products file is kept for step 3.
3. Import: a second server on an empty store; the products export of step
   2 (every product, a row per variant) is posted to
   `POST /admin/catalog/import?dry_run=true` and then `dry_run=false`: its
   product ids name no product there, so each group of rows becomes a new
   product. Target: the apply of 100,000 products < 30 s. The catalog is then
   counted through `GET /products`.

Prints the figures as a Markdown table. Build first:
cargo build --release --bin tienda.
"""

import argparse
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the server, API and RSS helpers)

ROOT = bench.ROOT
GENERATOR = ROOT / "bench/backoffice_data.py"
CHUNK = 1 << 20


def generate(out, args):
    if not GENERATOR.exists():
        raise bench.BenchError(f"{GENERATOR} is missing (it comes with the dashboard benchmarks)")
    bench.log(f"generating {args.products} products, {args.customers} customers, {args.orders} orders")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(GENERATOR), str(out), "--products", str(args.products),
                    "--customers", str(args.customers), "--orders", str(args.orders),
                    "--schema", "all"], check=True, stdout=subprocess.DEVNULL)
    bench.log(f"generated in {time.perf_counter() - t0:.0f} s")


def admin_token(port):
    status, _ = bench.api(port, "POST", "/auth/register", {
        "name": "Bench admin", "phone": "+34 600 000 000", "email": bench.ADMIN,
        "password": bench.PASSWORD})
    if status not in (201, 409):
        raise bench.BenchError(f"register admin: HTTP {status}")
    return bench.login(port, bench.ADMIN)


class Peak(threading.Thread):
    """The highest VmRSS of `pid` while it runs, sampled every 50 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, bench.read_rss_kb(pid) or 0, threading.Event()

    def run(self):
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, bench.read_rss_kb(self.pid) or 0)


def download(server, token, path, keep=None):
    """Downloads `path`; returns (bytes, seconds, rss before, peak, after) in KiB."""
    before = bench.read_rss_kb(server.pid())
    peak = Peak(server.pid())
    peak.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    if r.status != 200:
        raise bench.BenchError(f"{path}: HTTP {r.status}: {r.read()[:300]!r}")
    total = 0
    out = open(keep, "wb") if keep else None
    while True:
        piece = r.read(CHUNK)
        if not piece:
            break
        total += len(piece)
        if out:
            out.write(piece)
    secs = time.perf_counter() - t0
    conn.close()
    if out:
        out.close()
    peak.stop.set()
    peak.join()
    after = bench.read_rss_kb(server.pid())
    return total, secs, before, max(peak.peak, after or 0), after


def post_file(port, token, path, data):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    t0 = time.perf_counter()
    conn.request("POST", path, body=data, headers={
        "Authorization": "Bearer " + token, "Content-Type": "text/csv", "Accept": "application/json"})
    r = conn.getresponse()
    raw = r.read()
    secs = time.perf_counter() - t0
    conn.close()
    if r.status != 200:
        raise bench.BenchError(f"{path}: HTTP {r.status}: {raw[:600]!r}")
    return json.loads(raw), secs


def serve(work, name, db, recorder):
    server = bench.Server(work, name, db.parent, recorder, demo_catalog=False)
    server.env = lambda: {**bench.Server.env(server),
                          # An import of 100,000 products is one request.
                          "TIENDA_SERVER__REQUEST_TIMEOUT": '"600s"'}
    server.start()
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--data", help="a store backoffice_data.py wrote (copied)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--bin", help="another tienda binary (a debug build: figures not comparable)")
    args = ap.parse_args()
    if args.bin:
        bench.BIN = Path(args.bin).resolve()
    if not bench.BIN.exists():
        raise bench.BenchError(f"{bench.BIN} is missing: cargo build --release --bin tienda")
    work = Path(tempfile.mkdtemp(prefix="tienda-csv-"))
    recorder = bench.Recorder(work)
    rows = []
    servers = []
    try:
        big = work / "big" / "tienda.db"
        big.parent.mkdir()
        if args.data:
            shutil.copy(args.data, big)
        else:
            generate(big, args)
        server = serve(work, "big", big, recorder)
        servers.append(server)
        token = admin_token(server.port)
        download(server, token, "/admin/export/orders.csv")  # warm the page cache
        size, secs, before, peak, after = download(server, token, "/admin/export/orders.csv")
        mbps = size / secs / 1e6
        growth = (peak - before) / 1024
        rows.append(("orders.csv export", f"{args.orders:,} orders, {size / 1e6:.0f} MB in {secs:.2f} s",
                     f"{mbps:.0f} MB/s; RSS {before / 1024:.0f} → peak {peak / 1024:.0f} MB (+{growth:.1f} MB)",
                     "≥ 50 MB/s, < 50 MB growth", "met" if mbps >= 50 and growth < 50 else "missed"))
        products = work / "products.csv"
        size, secs, before, peak, _ = download(server, token, "/admin/export/products.csv", keep=products)
        rows.append(("products.csv export", f"{args.products:,} products, {size / 1e6:.0f} MB in {secs:.2f} s",
                     f"{size / secs / 1e6:.0f} MB/s; +{(peak - before) / 1024:.1f} MB", "-", "-"))
        size, secs, before, peak, _ = download(server, token, "/admin/export/customers.csv")
        rows.append(("customers.csv export", f"{args.customers:,} accounts, {size / 1e6:.1f} MB in {secs:.2f} s",
                     f"{size / secs / 1e6:.0f} MB/s; +{(peak - before) / 1024:.1f} MB", "-", "-"))
        server.stop()

        empty = work / "empty" / "tienda.db"
        empty.parent.mkdir()
        server = serve(work, "empty", empty, recorder)
        servers.append(server)
        token = admin_token(server.port)
        data = products.read_bytes()
        report, secs = post_file(server.port, token, "/admin/catalog/import?dry_run=true", data)
        rows.append(("import check (dry run)", f"{report['rows']:,} rows, {len(data) / 1e6:.0f} MB",
                     f"{secs:.1f} s", "-", "-"))
        before = bench.read_rss_kb(server.pid())
        peak = Peak(server.pid())
        peak.start()
        report, secs = post_file(server.port, token, "/admin/catalog/import?dry_run=false", data)
        peak.stop.set()
        peak.join()
        status, listed = bench.api(server.port, "GET", "/products?limit=1")
        total = listed["total"] if status == 200 else None
        rows.append(("import apply", f"{report['products_created']:,} products created "
                     f"({report['variants_created']:,} variants); catalog now {total:,}",
                     f"{secs:.1f} s; RSS +{(peak.peak - before) / 1024:.0f} MB",
                     "< 30 s", "met" if secs < 30 else "missed"))
    finally:
        for s in servers:
            s.stop()
        if args.keep:
            bench.log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("| what | size | result | target | |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    try:
        main()
    except bench.BenchError as e:
        print(f"csv_io: {e}", file=sys.stderr)
        sys.exit(1)
