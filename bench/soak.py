#!/usr/bin/env python3
"""The soak: mixed traffic for a long while, to see that the process stays steady.

    python3 bench/soak.py [--minutes 30] [--connections 8] [--pace-ms 10]

Starts the release binary on a fresh SQLite store (demo catalog) and for
`--minutes` runs, all at once:
- shoppers: wrk with bench/wrk/soak.lua, one customer per connection, each
  cycling through the catalog, a product page, a category, a search, a
  suggestion, add to cart, the cart and (every fourth round) a checkout,
  `--pace-ms` between requests (a steady rate, not saturation); run in
  one-minute pieces so every minute has its own p50/p99 and error counts;
- logins: one every half second;
- chat: target/release/chatload --rate, `--chat-sockets` sockets receiving
  `--chat-rate` messages a second throughout.
Samples the server's RSS every 10 s. The verdict: RSS growth after the first
five minutes under 10%, no 5xx, and p99 steady (the last ten minutes' worst
minute within 2x the median minute). Writes the `soak` section of
bench/RESULTS.md. Not part of CI: it takes as long as it says.
Build the release binaries first (cargo build --release --workspace --bins).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the full benchmark's server helpers)
import sections  # noqa: E402

LUA = Path(__file__).resolve().parent / "wrk" / "soak.lua"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--pace-ms", type=int, default=10)
    ap.add_argument("--chat-sockets", type=int, default=1000)
    ap.add_argument("--chat-rate", type=float, default=5.0)
    ap.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tienda-soak-"))
    recorder = bench.Recorder(work)
    server = bench.Server(work, "soak", work / "data", recorder, demo_catalog=True)
    server.start()
    minutes, rss, logins = [], [], {"ok": 0, "refused": 0, "server_errors": 0, "failed": 0}
    stop = threading.Event()
    chat = None
    try:
        port = server.port
        bench.register(port, bench.ADMIN, "Soak Admin")
        admin = bench.login(port, bench.ADMIN)
        pids = [bench.create_product(port, admin, f"Soak product {k}", bench.MAX_STOCK, category="soak")
                for k in range(4)]
        emails = [f"soak-{k}@bench.test" for k in range(max(args.connections, 4))]
        bench.pmap(lambda e: bench.register(port, e, "Soak " + e.split("@")[0]), emails)
        tokens = [bench.login(port, e) for e in emails]
        (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        (work / "pids.txt").write_text("\n".join(pids) + "\n")
        chatters = [f"soak-chat-{k}@bench.test" for k in range(4)] + ["soak-chat-sender@bench.test"]
        for e in chatters:
            bench.register(port, e, "Chat " + e.split("@")[0])
        (work / "chat-tokens.txt").write_text("\n".join(bench.login(port, e) for e in chatters[:4]) + "\n")
        sender = bench.login(port, chatters[4])

        def login_loop():
            while not stop.wait(0.5):
                try:
                    status, _ = bench.api(port, "POST", "/auth/login",
                                          {"email": emails[0], "password": bench.PASSWORD}, timeout=30)
                except Exception:  # a refused connection or a timeout
                    logins["failed"] += 1
                    continue
                key = "ok" if status < 400 else "refused" if status < 500 else "server_errors"
                logins[key] += 1

        threading.Thread(target=login_loop, daemon=True).start()
        total_s = args.minutes * 60
        chat = subprocess.Popen(
            [str(bench.CHATLOAD), "--addr", f"127.0.0.1:{port}", "--tokens-file", str(work / "chat-tokens.txt"),
             "--sender-token", sender, "--sockets", str(args.chat_sockets), "--rate", str(args.chat_rate),
             "--duration-secs", str(total_s), "--hold-secs", "1", "--message-timeout-secs", "30",
             "--deadline-secs", str(total_s + 300)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def sample_rss():
            t0 = time.monotonic()
            while not stop.wait(10.0):
                rss.append((round((time.monotonic() - t0) / 60, 2), bench.mb(server.rss_kb())))

        threading.Thread(target=sample_rss, daemon=True).start()
        bench.log(f"soak: {args.minutes} min, {args.connections} shoppers every {args.pace_ms} ms, a login "
                  f"every 0.5 s, {args.chat_sockets} chat sockets at {args.chat_rate:g} messages/s")
        for minute in range(args.minutes):
            out = subprocess.run(
                ["wrk", "-t", str(args.connections), "-c", str(args.connections), "-d", "60s", "--latency",
                 "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(work / "tokens.txt"),
                 str(work / "pids.txt"), str(args.pace_ms)],
                capture_output=True, text=True, timeout=180)
            line = next((l for l in out.stdout.splitlines() if l.startswith("SOAK_JSON ")), None)
            if line is None:
                raise bench.BenchError(f"wrk gave no result: {out.stdout[-400:]} {out.stderr[-400:]}")
            row = json.loads(line[len("SOAK_JSON "):])
            row["minute"] = minute + 1
            row["rss_mb"] = bench.mb(server.rss_kb())
            minutes.append(row)
            bench.log(f"soak minute {minute + 1}: {row['requests'] / 60:.0f} req/s, p50 {row['p50_us'] / 1000:.1f} ms, "
                      f"p99 {row['p99_us'] / 1000:.1f} ms, 5xx {row['server_errors']}, RSS {row['rss_mb']:.1f} MB")
            if not server.alive():
                raise bench.BenchError("the server died during the soak")
        stop.set()
        chat_out, chat_err = chat.communicate(timeout=400)
        chat_result = next((json.loads(l) for l in chat_out.splitlines() if l.startswith("{")), None)
    finally:
        stop.set()
        if chat and chat.poll() is None:
            chat.kill()
        server.stop()
    figures = verdict(args, minutes, rss, logins, chat_result)
    print(json.dumps({k: v for k, v in figures.items() if k not in ("minutes", "rss")}, indent=1))
    if not args.no_results:
        sections.update("soak", markdown(figures))
        bench.log(f"wrote the soak section of {sections.RESULTS}")
    sys.exit(0 if figures["steady"] else 1)


def verdict(args, minutes, rss, logins, chat):
    at5 = next((mb for m, mb in rss if m >= 5), None)
    end = rss[-1][1] if rss else None
    growth = (end - at5) / at5 if at5 and end else None
    p99s = [m["p99_us"] / 1000 for m in minutes]
    last10 = p99s[-10:]
    median_p99 = statistics.median(p99s) if p99s else None
    errors = sum(m["server_errors"] for m in minutes) + logins["server_errors"]
    socket_errors = sum(m["socket_errors"] + m["timeouts"] for m in minutes)
    p99_steady = bool(last10) and max(last10) <= 2 * median_p99
    return dict(minutes_run=len(minutes), rss_at_5_min=at5, rss_end=end, rss_peak=max((mb for _, mb in rss), default=None),
                rss_growth=growth, server_errors=errors, socket_errors=socket_errors, median_p99_ms=median_p99,
                worst_p99_last10_ms=max(last10) if last10 else None, p99_steady=p99_steady,
                requests=sum(m["requests"] for m in minutes), logins=logins, chat=chat and {
                    k: chat.get(k) for k in ("connected", "messages", "deliveries", "missing", "p50_ms", "p99_ms", "max_ms")},
                steady=growth is not None and growth < 0.10 and errors == 0 and p99_steady,
                minutes=minutes, rss=rss, args=vars(args), machine=bench.machine_info(),
                finished=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def markdown(f):
    m, a = f["machine"], f["args"]
    met = lambda ok: "**met**" if ok else "**missed**"  # noqa: E731
    chat = f["chat"] or {}
    L = ["## Soak\n",
         f"Generated {f['finished']} by `python3 bench/soak.py --minutes {a['minutes']}` at commit `{m['commit']}`: "
         f"{f['minutes_run']} minutes of mixed traffic on the release build (SQLite, demo catalog), everything on "
         f"the same {m.get('online', '2')} cores: {a['connections']} shoppers (catalog, product page, category, "
         f"search, suggest, add to cart, cart, a checkout every fourth round; {a['pace_ms']} ms between requests), "
         f"a login every 0.5 s, and {chat.get('connected', a['chat_sockets'])} chat sockets receiving "
         f"{a['chat_rate']:g} messages/s. {f['requests']:,} shopper requests in all.\n",
         "| target | measured | |", "| --- | --- | --- |",
         f"| RSS growth after the first 5 minutes < 10% | {f['rss_at_5_min']:.1f} MB at 5 min, {f['rss_end']:.1f} MB "
         f"at the end ({f['rss_growth'] * 100:+.1f}%), peak {f['rss_peak']:.1f} MB | {met(f['rss_growth'] < 0.10)} |",
         f"| zero 5xx | {f['server_errors']} 5xx; {f['socket_errors']} socket errors or timeouts; logins "
         f"{f['logins']['ok']:,} ok, {f['logins']['refused']} refused, {f['logins']['failed']} failed | "
         f"{met(f['server_errors'] == 0)} |",
         f"| stable p99 | median minute {f['median_p99_ms']:.1f} ms, worst of the last ten "
         f"{f['worst_p99_last10_ms']:.1f} ms | {met(f['p99_steady'])} |",
         f"| chat throughout | {chat.get('deliveries', 0):,} deliveries, {chat.get('missing', '?')} missing, "
         f"p50 {chat.get('p50_ms') or 0:.0f} ms, p99 {chat.get('p99_ms') or 0:.0f} ms | |",
         "",
         "| minute | req/s | p50 ms | p99 ms | refused | 5xx | RSS MB |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in f["minutes"]:
        L.append(f"| {r['minute']} | {r['requests'] / 60:,.0f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} "
                 f"| {r['refused']} | {r['server_errors']} | {r['rss_mb']:.1f} |")
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
