#!/usr/bin/env python3
"""How search cost grows with the catalog: one row per catalog size.

    python3 bench/search_scale.py [--sizes 1000,100000,1000000] [--duration 5]

For each size: seeds a fresh SQLite store with target/release/benchseed
(through the store interface, no users or orders), starts the release binary
on it, and records start-up (exec to the first /healthz 200, which includes
building the search index before the first request is served), the index
build time the server logs, idle RSS, and for the three benchmark queries
(one word, two words with typos, a prefix) req/s as a share of the /healthz
floor measured just before, and p99, at 64 connections. Build the release
binaries first (bench/run.sh does; or cargo build --release --workspace --bins).
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the full benchmark's server and wrk helpers)

QUERIES = [
    ("one word", "/search?q=lamp"),
    ("two words, typos", "/search?q=woden%20chiar"),
    ("prefix", "/search?q=hea"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,100000,1000000")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tienda-search-scale-"))
    recorder = bench.Recorder(work)
    cfg = dict(bench.FULL, duration=args.duration, warmup=1)
    runner = bench.Runner(cfg, work, recorder)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        data = work / f"n{size}"
        data.mkdir()
        t0 = time.perf_counter()
        seed = subprocess.run([str(bench.SEED), "--store-url", f"sqlite://{data}/tienda.db", "--products", str(size),
                               "--users", "0", "--orders", "0"], capture_output=True, text=True, timeout=3600)
        if seed.returncode != 0:
            raise bench.BenchError(f"benchseed failed: {seed.stderr[-800:]}")
        bench.log(f"{size:,} products seeded in {time.perf_counter() - t0:.0f} s")
        server = bench.Server(work, f"n{size}", data, recorder, demo_catalog=False)
        server.env = (lambda base: lambda: dict(base(), TIENDA_LOG__LEVEL="info"))(server.env)
        startup_ms = server.start()
        try:
            time.sleep(2.0)
            idle_mb = bench.mb(server.rss_kb())
            built = re.search(r"search index built: \d+ products in (\d+) ms", server.log_path.read_text())
            row = dict(size=size, startup_ms=startup_ms, build_ms=int(built.group(1)) if built else None,
                       idle_mb=idle_mb, queries=[])
            for label, path in QUERIES:
                floor = runner.wrk(server, "floor", "/healthz", cfg["conns"], record=False)
                out = runner.wrk(server, label, path, cfg["conns"], record=False)
                total = bench.api(server.port, "GET", path)[1]["total"]
                row["queries"].append(dict(label=label, ratio=out["rps"] / floor["rps"], rps=out["rps"],
                                           p99_ms=out["p99_ms"], total=total))
            row["peak_mb"] = bench.mb(server.sampler.peak())
            rows.append(row)
        finally:
            server.stop()
    print(f"\n{'products':>10} {'start-up ms':>12} {'index build ms':>15} {'idle RSS MB':>12}  "
          + "  ".join(f"{label} (x floor, p99 ms, matches)" for label, _ in QUERIES))
    for r in rows:
        cells = "  ".join(f"{q['ratio']:.2f} x, {q['p99_ms']:.1f} ms, {q['total']:,}" for q in r["queries"])
        print(f"{r['size']:>10,} {r['startup_ms']:>12.0f} {r['build_ms'] or 0:>15} {r['idle_mb']:>12.1f}  {cells}")
    if runner.failures:
        print("errors:", *runner.failures, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
