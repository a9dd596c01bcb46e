#!/usr/bin/env python3
"""Write build/symbol-order.txt: the functions tienda runs, start-up first.

Release builds link with this file (see build.rs), so the code that start-up
touches sits together at the front of .text, followed by the code that serves
the common requests. Without it, the kernel maps 64 KiB around every page
fault in the binary, and start-up code scattered across 17 MB of .text kept
~8.7 MB of it resident in an idle server; ordered, ~4 MB.

How: run the release binary under valgrind's callgrind on a fresh demo store,
dump the functions executed up to the first /healthz answer, then drive one
round of the usual requests (catalog JSON and HTML, register, login, cart,
checkout, order pages) and dump again. Names are the binary's own symbols, so
a stale file only loses the entries whose symbols changed (the linker skips
missing names); run this again after changing start-up code or dependencies:

    cargo build --release && scripts/symbol_order.py

Needs valgrind (Debian: apt-get install valgrind).
"""

import glob
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench import free_port, api as bench_api, must  # noqa: E402  (the bench's HTTP helpers)
BINARY = os.path.join(ROOT, "target", "release", "tienda")
OUT = os.path.join(ROOT, "build", "symbol-order.txt")


def wait_ready(port, proc, deadline=120):
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("tienda exited during start-up under valgrind")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("tienda did not answer /healthz under valgrind")


def api(port, method, path, body=None, token=None, accept="application/json"):
    return must(bench_api(port, method, path, body, token, timeout=120, accept=accept),
                200, 201, what=f"{method} {path}")


def drive_requests(port):
    products = api(port, "GET", "/products")["items"]
    first = products[0]
    api(port, "GET", "/products")
    api(port, "GET", f"/products/{first['id']}")
    api(port, "GET", f"/products/{first['id']}", accept="text/html")
    api(port, "GET", f"/products/{first['category']}")
    api(port, "GET", "/products", accept="text/html")
    email = "order-profile@example.test"
    api(port, "POST", "/auth/register", {"name": "Order Profile", "phone": "+34 600 000 000",
                                         "email": email, "password": "order-profile-1"})
    token = api(port, "POST", "/auth/login", {"email": email, "password": "order-profile-1"})["token"]
    for _ in range(2):
        api(port, "POST", "/cart", {"product_id": first["id"], "quantity": 1}, token=token)
        api(port, "GET", "/cart", token=token)
        api(port, "POST", "/orders", {"delivery_address": "1 Profile Street, Madrid"}, token=token)
    api(port, "GET", "/orders", token=token)
    api(port, "GET", "/healthz")


def executed_functions(path):
    """Function names in one callgrind dump (names appear once, then by id)."""
    names = set()
    pattern = re.compile(r"^c?fn=\(\d+\) (.+)$")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = pattern.match(line)
            if m:
                names.add(m.group(1).strip())
    return names


def text_symbols(binary):
    out = subprocess.run(["nm", "--defined-only", binary], check=True,
                         capture_output=True, text=True).stdout
    return [p[2] for p in (l.split() for l in out.splitlines()) if len(p) == 3 and p[1] in "tTwW"]


def main():
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    if not os.path.exists(BINARY):
        raise SystemExit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="tienda-symbol-order-")
    port = free_port()
    env = dict(os.environ,
               TIENDA_SERVER__HOST="127.0.0.1", TIENDA_SERVER__PORT=str(port),
               TIENDA_STORE__URL=f"sqlite://{work}/tienda.db", TIENDA_STORE__DEMO_CATALOG="true",
               TIENDA_RATE_LIMIT__ENABLED="false", TIENDA_LOG__LEVEL="warn",
               TIENDA_MAIL__OUTBOX_DIR=f"{work}/outbox")
    out_file = os.path.join(work, "callgrind.out")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", "--demangle=no",
         BINARY, "serve", "--config", os.path.join(ROOT, "config", "tienda.toml"),
         "--profile", "development"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        subprocess.run(["callgrind_control", "--dump=startup", str(proc.pid)], check=True,
                       capture_output=True)
        drive_requests(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    dumps = sorted(glob.glob(out_file + ".*"))
    if not dumps or not os.path.exists(out_file):
        raise SystemExit(f"callgrind wrote no dumps in {work}")
    startup = set().union(*(executed_functions(d) for d in dumps))
    requests = executed_functions(out_file) - startup
    symbols = text_symbols(BINARY)
    ordered = [s for s in symbols if s in startup] + [s for s in symbols if s in requests]
    seen = set()
    ordered = [s for s in ordered if not (s in seen or seen.add(s))]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(ordered) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{OUT}: {len([s for s in ordered if s in startup])} start-up and "
          f"{len([s for s in ordered if s in requests])} request functions")


if __name__ == "__main__":
    sys.exit(main())
