#!/usr/bin/env python3
"""The photo benchmark (issue 20's performance targets for uploads).

    python3 bench/photos.py [--duration 10] [--uploads 5] [--no-results]

Starts the release binary on a fresh SQLite store (demo catalog) and measures:
- serving: GET /photos/ID/400.jpg (a 400 px JPEG the OS has cached) against
  the floor (GET /healthz) measured just before and just after it; target
  >= 50% of the floor's req/s;
- upload: POST /products/ID/photos with one 12-megapixel (4000x3000) JPEG,
  `--uploads` times one after another: wall time per upload (decode, resize to
  1200 and 400 px, encode, store) and the server's peak RSS meanwhile
  (sampled every 50 ms); targets < 1 s and < 200 MB;
- catalog p99 (GET /products, 64 connections) idle, then while two clients
  upload 12-megapixel JPEGs back to back; target < 2x idle.
Writes the `photos` section of bench/RESULTS.md (bench.py keeps it).
Build the release binaries first (cargo build --release --workspace --bins).
"""

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the full benchmark's server helpers)
import sections  # noqa: E402

PHOTO = bench.RELEASE / "benchphoto"
SERVE_RATIO = 0.50
UPLOAD_S = 1.0
UPLOAD_RSS_MB = 200.0
CATALOG_P99_FACTOR = 2.0


def upload(port, token, product_id, jpeg):
    """POSTs one photo; returns (seconds, status, the new photo's id or None)."""
    boundary = "bench-" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    try:
        conn.request("POST", f"/products/{product_id}/photos", body=body, headers={
            "Authorization": "Bearer " + token, "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        r = conn.getresponse()
        raw = r.read()
    finally:
        conn.close()
    seconds = time.perf_counter() - t0
    photo = None
    if r.status == 201:
        photo = json.loads(raw)["photos"][-1]["id"]
    return seconds, r.status, photo


def make_jpeg(work, width, height):
    out = work / f"photo-{width}x{height}.jpg"
    subprocess.run([str(PHOTO), str(width), str(height), str(out)], check=True, timeout=120)
    return out.read_bytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--uploads", type=int, default=5)
    ap.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tienda-photos-"))
    recorder = bench.Recorder(work)
    cfg = dict(bench.FULL, duration=args.duration)
    runner = bench.Runner(cfg, work, recorder)
    server = bench.Server(work, "photos", work / "data", recorder, demo_catalog=True)
    server.start()
    res = {}
    try:
        port = server.port
        bench.register(port, bench.ADMIN, "Photo Admin")
        admin = bench.login(port, bench.ADMIN)
        big = make_jpeg(work, 4000, 3000)
        medium = make_jpeg(work, 1600, 1200)
        bench.log(f"photos: 12 MP JPEG {len(big) / 1e6:.2f} MB, 1600x1200 JPEG {len(medium) / 1e3:.0f} kB")

        served = bench.create_product(port, admin, "Served photo", 10, category="photos")
        _, status, photo = upload(port, admin, served, medium)
        if status != 201:
            raise bench.BenchError(f"upload for serving: HTTP {status}")
        path = f"/photos/{photo}/400.jpg"
        size = len(bench.api(port, "GET", path, accept="image/jpeg")[1])
        floors = [runner.wrk(server, "floor", "/healthz", 64)]
        res["serve"] = runner.wrk(server, "photo_400", path, 64)
        floors.append(runner.wrk(server, "floor", "/healthz", 64))
        res["floor_rps"] = statistics.mean(f["rps"] for f in floors)
        res["floors"] = [f["rps"] for f in floors]
        res["serve_bytes"] = size

        # One upload at a time, each to a fresh product (12 photos at most each).
        server.sampler.reset()
        rss_before = bench.mb(server.rss_kb())
        times = []
        for k in range(args.uploads):
            product = bench.create_product(port, admin, f"Upload {k}", 10, category="photos")
            seconds, status, _ = upload(port, admin, product, big)
            if status != 201:
                raise bench.BenchError(f"12 MP upload: HTTP {status}")
            times.append(seconds)
            bench.log(f"  upload {k + 1}: {seconds * 1000:.0f} ms")
        res["upload_s"] = times
        res["upload_rss_before"] = rss_before
        res["upload_rss_peak"] = bench.mb(server.sampler.peak())

        res["catalog_idle"] = runner.wrk(server, "catalog_idle", "/products", 64)
        stop = threading.Event()
        during = {"uploads": 0, "failed": 0, "seconds": []}

        def uploader(n):
            product = bench.create_product(port, admin, f"Busy uploader {n}", 10, category="photos")
            while not stop.is_set():
                seconds, status, photo = upload(port, admin, product, big)
                if status != 201:
                    during["failed"] += 1
                    continue
                during["uploads"] += 1
                during["seconds"].append(seconds)
                bench.must(bench.api(port, "DELETE", f"/products/{product}/photos/{photo}", token=admin),
                           200, what="delete photo")

        threads = [threading.Thread(target=uploader, args=(n,), daemon=True) for n in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # both uploads under way
        server.sampler.reset()
        res["catalog_busy"] = runner.wrk(server, "catalog_uploads", "/products", 64, warmup=0)
        res["busy_rss_peak"] = bench.mb(server.sampler.peak())
        stop.set()
        for t in threads:
            t.join(timeout=60)
        res["during"] = during
    finally:
        server.stop()

    report = markdown(res, args)
    print(report)
    if not args.no_results:
        sections.update("photos", report)
    failures = runner.failures + ([] if res.get("during", {}).get("failed", 0) == 0 else ["uploads failed"])
    if failures:
        print("errors: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


def verdict(ok):
    return "**met**" if ok else "**missed**"


def markdown(res, args):
    serve, idle, busy = res["serve"], res["catalog_idle"], res["catalog_busy"]
    ratio = serve["rps"] / res["floor_rps"]
    times = res["upload_s"]
    worst = max(times)
    factor = busy["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] else float("inf")
    during = res["during"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=bench.ROOT,
                            capture_output=True, text=True).stdout.strip()
    L = ["## Photos (bench/photos.py)\n",
         f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python3 bench/photos.py` at commit "
         f"`{commit}`: release build, embedded SQLite store (photo files on disk beside it), wrk at 64 "
         f"connections for {args.duration} s per run, on the same 2 cores.\n",
         "| target | measured | |", "| --- | --- | --- |",
         f"| serving a 400 px JPEG >= {SERVE_RATIO:.0%} of floor req/s | {serve['rps']:,.0f} req/s vs floor "
         f"{res['floor_rps']:,.0f} = {ratio:.1%} | {verdict(ratio >= SERVE_RATIO)} |",
         f"| upload + resize of a 12 MP JPEG < {UPLOAD_S:.0f} s | median {statistics.median(times) * 1000:.0f} ms, "
         f"worst {worst * 1000:.0f} ms ({len(times)} uploads) | {verdict(worst < UPLOAD_S)} |",
         f"| peak RSS during those uploads < {UPLOAD_RSS_MB:.0f} MB | {res['upload_rss_peak']:.1f} MB "
         f"(before: {res['upload_rss_before']:.1f} MB) | {verdict(res['upload_rss_peak'] < UPLOAD_RSS_MB)} |",
         f"| catalog p99 during two concurrent uploads < {CATALOG_P99_FACTOR:.0f}x idle | {busy['p99_ms']:.2f} ms vs "
         f"{idle['p99_ms']:.2f} ms = {factor:.2f}x | {verdict(factor < CATALOG_P99_FACTOR)} |",
         "",
         "| run | req/s | p50 ms | p99 ms | max ms | errors | peak RSS MB |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in [("GET /healthz (floor, mean of before/after)", None), (f"GET /photos/ID/400.jpg ({res['serve_bytes']:,} bytes)", serve),
                    ("GET /products idle", idle), ("GET /products during 2 uploads", busy)]:
        if r is None:
            L.append(f"| {name} | {res['floor_rps']:,.0f} | | | | | |")
            continue
        L.append(f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | "
                 f"{r['errors']} | {r['rss_peak_mb']:.1f} |")
    per = statistics.median(during["seconds"]) * 1000 if during["seconds"] else 0
    L += ["",
          f"Uploads during the busy catalog run: {during['uploads']} of a 12 MP JPEG by two clients back to back "
          f"(each deleted again), median {per:.0f} ms each, {during['failed']} failed; server peak RSS "
          f"{res['busy_rss_peak']:.1f} MB. Floors: {', '.join(f'{f:,.0f}' for f in res['floors'])} req/s. "
          "Uploads decode and resize on two threads of their own at nice 10, at most two at once "
          "(`services::photo_processing`), so the async workers keep serving; the 12 MP JPEG is made by "
          "`target/release/benchphoto` (gradients with noise, quality 90)."]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
