#!/usr/bin/env python3
"""The chat under sustained load: many sockets, a steady message rate.

    python3 bench/chat_sustained.py [--sockets 10000] [--rate 50] [--duration 60] [--slow 20]

Starts the release binary on a fresh SQLite store, opens `--sockets` receiving
chat sockets plus `--slow` sockets that never read, then sends `--rate`
messages a second for `--duration` seconds on a fixed schedule
(target/release/chatload --rate). Reports delivery latency (the kernel's
receive timestamp minus the send time) over the run and per ten seconds, the
server's RSS sampled every second, and how many of the slow sockets the
server dropped (`chat.write_timeout`). Writes the figures into the
`chat-sustained` section of bench/RESULTS.md (and JSON beside it with --json).
Build the release binaries first (cargo build --release --workspace --bins).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the full benchmark's server helpers)
import sections  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockets", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--slow", type=int, default=20, help="sockets that never read")
    ap.add_argument("--write-timeout", default="10s", help="chat.write_timeout for the run")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tienda-chat-sustained-"))
    recorder = bench.Recorder(work)
    server = bench.Server(work, "chat", work / "data", recorder, demo_catalog=False)
    server.env = (lambda base: lambda: dict(base(), TIENDA_CHAT__WRITE_TIMEOUT=f'"{args.write_timeout}"'))(server.env)
    server.start()
    rss = []  # (seconds since the first send, MB)
    try:
        port = server.port
        receivers = [f"sustained-{k}@bench.test" for k in range(4)]
        sender = "sustained-sender@bench.test"
        for e in receivers + [sender]:
            bench.register(port, e, "Chat " + e.split("@")[0])
        tokens = work / "tokens.txt"
        tokens.write_text("\n".join(bench.login(port, e) for e in receivers) + "\n")
        sender_token = bench.login(port, sender)
        idle_mb = bench.mb(server.rss_kb())
        argv = [str(bench.CHATLOAD), "--addr", f"127.0.0.1:{port}", "--tokens-file", str(tokens),
                "--sender-token", sender_token, "--sockets", str(args.sockets), "--rate", str(args.rate),
                "--duration-secs", str(args.duration), "--slow-sockets", str(args.slow),
                "--hold-secs", "3", "--message-timeout-secs", "30",
                "--deadline-secs", str(args.duration + 300), "--source-ips", "4"]
        bench.log(f"chat sustained: {args.sockets} sockets (+{args.slow} that never read), "
                  f"{args.rate:g} messages/s for {args.duration:g} s")
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        ready = threading.Event()

        def read_stdout():
            for line in p.stdout:
                lines.append(line)
                if line.startswith("READY"):
                    ready.set()

        threading.Thread(target=read_stdout, daemon=True).start()
        if not ready.wait(timeout=240):
            p.kill()
            raise bench.BenchError(f"chatload did not connect: {p.stderr.read()[-800:]}")
        connected_mb = None
        time.sleep(1.0)
        connected_mb = bench.mb(server.rss_kb())
        # The sends start after --hold-secs (3 s) from READY.
        t0 = time.monotonic() + 2.0
        while p.poll() is None:
            if not server.alive():
                raise bench.BenchError("the server died during the run")
            rss.append((round(time.monotonic() - t0, 1), bench.mb(server.rss_kb())))
            time.sleep(1.0)
        err = p.stderr.read()
        result = next((json.loads(l) for l in lines if l.startswith("{")), None)
        if result is None:
            raise bench.BenchError(f"chatload gave no result (exit {p.returncode}): {err[-800:]}")
        time.sleep(2.0)
        after_mb = bench.mb(server.rss_kb())
    finally:
        server.stop()
    during = [mb for t, mb in rss if 0 <= t <= args.duration]
    figures = dict(result, idle_mb=idle_mb, connected_mb=connected_mb, after_mb=after_mb,
                   rss_series=rss, peak_mb=max(during) if during else None,
                   first_10s_peak_mb=max((mb for t, mb in rss if 0 <= t <= 10), default=None),
                   last_10s_peak_mb=max((mb for t, mb in rss if args.duration - 10 <= t <= args.duration), default=None),
                   write_timeout=args.write_timeout, machine=bench.machine_info(),
                   finished=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print(json.dumps({k: v for k, v in figures.items() if k not in ("rss_series", "windows", "machine")}, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    if not args.no_results:
        sections.update("chat-sustained", markdown(figures))
        bench.log(f"wrote the chat-sustained section of {sections.RESULTS}")
    ok = result["p99_ms"] < 1000 and not result["missing"]
    sys.exit(0 if ok else 1)


def slow_row(f):
    if f["slow_sockets_dropped"] or not f["slow_sockets"]:
        return (f"| slow receivers dropped | {f['slow_sockets_dropped']} of {f['slow_sockets']} closed by the server | "
                f"{'**met**' if f['slow_sockets_dropped'] == f['slow_sockets'] else '**missed**'} |")
    # Nothing waited: the kernel's buffers held the whole run for them.
    return (f"| slow receivers dropped | none of the {f['slow_sockets']} was closed: the run's frames (~{f['messages'] * 170 // 1024} KB "
            "a socket) fit in the kernel's socket buffers, so no write to them ever waited; the drop after "
            "`chat.write_timeout` is tested over real sockets in `tests/it/chat.rs` "
            "(`a_socket_whose_client_stops_reading_is_dropped_after_the_write_timeout`) | not reached |")


def markdown(f):
    m = f["machine"]
    met = lambda ok: "**met**" if ok else "**missed**"  # noqa: E731
    L = ["## Chat under sustained load\n",
         f"Generated {f['finished']} by `python3 bench/chat_sustained.py` at commit `{m['commit']}`: "
         f"{f['connected']:,} receiving sockets plus {f['slow_sockets']} that never read, "
         f"{f['rate']:g} messages/s for {f['duration_secs']:g} s ({f['messages']:,} messages, "
         f"{f['expected_deliveries']:,} deliveries expected), `chat.write_timeout` {f['write_timeout']}; "
         "release build, SQLite, server and client (target/release/chatload, one epoll thread) on the same "
         f"{m.get('online', '2')} cores. Latency is the kernel's receive timestamp minus the send time.\n",
         "| target | measured | |", "| --- | --- | --- |",
         f"| delivery p99 < 1 s | p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms, p99.9 {f['p999_ms']:.0f} ms, "
         f"max {f['max_ms']:.0f} ms; {f['missing']:,} missing | {met(f['p99_ms'] < 1000 and not f['missing'])} |",
         f"| RSS bounded | idle {f['idle_mb']:.1f} MB, sockets connected {f['connected_mb']:.1f} MB, peak during the "
         f"run {f['peak_mb']:.1f} MB (first 10 s {f['first_10s_peak_mb']:.1f}, last 10 s {f['last_10s_peak_mb']:.1f}), "
         f"after {f['after_mb']:.1f} MB | {met(f['last_10s_peak_mb'] <= f['first_10s_peak_mb'] * 1.1)} |",
         slow_row(f),
         "",
         "| seconds | deliveries | p50 ms | p99 ms |", "| ---: | ---: | ---: | ---: |"]
    for w in f["windows"]:
        L.append(f"| {w['from_s']:.0f}–{w['from_s'] + 10:.0f} | {w['deliveries']:,} | {w['p50_ms']:.0f} | {w['p99_ms']:.0f} |")
    L.append("")
    L.append("The policy: each fan-out queue holds 64 events and a publisher waits for room, so a burst slows "
             "its senders instead of growing memory; a fan-out pass starts at most every 50 ms and hands each "
             "socket everything queued, which the socket gathers in its write buffer and writes with one flush "
             "(one write per socket per pass, not per message). A socket that stops reading keeps 64 frames, then misses messages (and is "
             "told how many), and is closed once a write to it has waited `chat.write_timeout`.\n")
    return "\n".join(L)


if __name__ == "__main__":
    main()
