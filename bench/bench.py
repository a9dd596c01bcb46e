#!/usr/bin/env python3
"""tienda's load benchmark (driven by bench/run.sh; Python 3 standard library only).

Starts the release binary on a free 127.0.0.1 port with a temporary data
directory, prepares users, tokens and carts through the API, measures each
path with wrk (bounded by -d), the chat fan-out with target/release/chatload,
start-up time and server RSS, checks checkout for oversell, profiles missed
targets with perf, and writes RESULTS.md, results.svg and results.json.

Every loop is bounded in count and time, and a watchdog aborts the whole run
(stopping the servers it started) if it overstays.
"""

import argparse
import concurrent.futures
import datetime
import html
import http.client
import json
import math
import os
import platform
import queue
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sections  # noqa: E402  (RESULTS.md sections other scripts write)

ROOT = Path(__file__).resolve().parent.parent
# Where cargo put the build (honours CARGO_TARGET_DIR, like cargo): the release
# one, or the debug one for `run.sh --smoke`, which only checks that every
# path still runs (TIENDA_BENCH_PROFILE=debug; figures from it mean nothing).
PROFILE_DIR = os.environ.get("TIENDA_BENCH_PROFILE", "release")
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target").resolve() / PROFILE_DIR
BIN = RELEASE / "tienda"
CHATLOAD = RELEASE / "chatload"
SEED = RELEASE / "benchseed"
LUA_REPORT = ROOT / "bench/wrk/report.lua"
LUA_DYN = ROOT / "bench/wrk/dynamic.lua"
CONFIG = ROOT / "config/tienda.toml"

PASSWORD = "bench-password-1"
ADMIN = "bench-admin@bench.test"
USER_PREFIX = "bench-user-"
MAX_STOCK = 1_000_000

FULL = dict(
    mode="full", duration=10, warmup=2, conns=64, wrk_threads=2, checkout_customers=16,
    login_conns=16, demo_users=100, big=dict(products=10_000, users=500, orders=20_000),
    chat_sockets=10_000, chat_messages=5, startups=5, contention_rounds=3, profile=True, drain_s=90,
    deadline=25 * 60,
)
SMOKE = dict(
    mode="smoke", duration=2, warmup=0, conns=64, wrk_threads=2, checkout_customers=16,
    login_conns=8, demo_users=100, big=dict(products=300, users=100, orders=300),
    chat_sockets=200, chat_messages=3, startups=1, contention_rounds=1, profile=False, drain_s=15,
    deadline=6 * 60,
)

# Targets from the issue (release, 2 cores, embedded SQLite store).
LIST_RATIO = 0.50
HTML_RATIO = 0.35
READ_P99_MS = 10.0
CHECKOUT_OPS = 2000
CHAT_SOCKETS = 10_000
CHAT_P99_MS = 100.0
CHAT_RSS_MB = 200.0
IDLE_RSS_MB = 20.0
STARTUP_MS = 100.0
LOGIN_P99_FACTOR = 2.0

READ_PATHS = ("list", "product_json", "product_html", "category", "cart_get")
SEARCH_PATHS = ("search_word", "search_typo", "search_prefix")
SEARCH_RATIO = 0.40


class BenchError(Exception):
    pass


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def mb(kb):
    return None if kb is None else kb / 1024.0


class Recorder:
    """The commands the run executed, for RESULTS.md."""

    def __init__(self, work):
        self.work = str(work)
        self.commands = []

    def add(self, argv, env=None):
        text = " ".join(shell_quote(str(a)) for a in argv)
        if env:
            text = " ".join(f"{k}={shell_quote(v)}" for k, v in env.items()) + " " + text
        text = text.replace(self.work, "$WORK").replace(str(ROOT) + "/", "")
        text = re.sub(r"TIENDA_SERVER__PORT=\d+", "TIENDA_SERVER__PORT=$PORT", text)
        text = re.sub(r"startup-cold-\d+", "startup-cold-N", text)
        if text not in self.commands:
            self.commands.append(text)


def shell_quote(s):
    if re.fullmatch(r"[A-Za-z0-9_./:=@%+,-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every 50 ms; `peak()` since the last `reset()`."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self._peak = 0

    def run(self):
        while not self.stop.wait(0.05):
            kb = read_rss_kb(self.pid)
            if kb is None:
                return
            with self.lock:
                self._peak = max(self._peak, kb)

    def reset(self):
        with self.lock:
            self._peak = read_rss_kb(self.pid) or 0

    def peak(self):
        with self.lock:
            return max(self._peak, read_rss_kb(self.pid) or 0)


class Server:
    def __init__(self, work, name, data_dir, recorder, demo_catalog=True):
        self.work, self.name, self.data_dir = Path(work), name, Path(data_dir)
        self.recorder = recorder
        self.demo_catalog = demo_catalog
        self.proc = None
        self.port = None
        self.sampler = None
        self.log_path = self.work / f"server-{name}.log"

    def env(self):
        return {
            "TIENDA_SERVER__PORT": str(self.port),
            "TIENDA_SERVER__HOST": "127.0.0.1",
            "TIENDA_STORE__URL": f"sqlite://{self.data_dir}/tienda.db",
            "TIENDA_STORE__DEMO_CATALOG": "true" if self.demo_catalog else "false",
            "TIENDA_RATE_LIMIT__ENABLED": "false",
            "TIENDA_LOG__LEVEL": "warn",
            "TIENDA_MAIL__OUTBOX_DIR": str(self.data_dir / "outbox"),
            "TIENDA_ADMIN__EMAILS": f'["{ADMIN}"]',
            "TIENDA_CHAT__MAX_SOCKETS_PER_USER": "20000",
        }

    def argv(self):
        return [str(BIN), "serve", "--config", str(CONFIG), "--profile", "development"]

    def start(self, wrapper=None):
        """Starts the server; returns ms from exec to the first 200 of /healthz."""
        self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIENDA_") and k != "RUST_LOG"}
        overrides = self.env()
        env.update(overrides)
        self.recorder.add(self.argv(), overrides)
        logf = open(self.log_path, "ab")
        argv = (wrapper or []) + self.argv()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        ms = self.wait_ready(t0, 30.0)
        self.sampler = RssSampler(self.pid())
        self.sampler.start()
        return ms

    def pid(self):
        return self.proc.pid

    def wait_ready(self, t0, limit):
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        while time.perf_counter() - t0 < limit:
            if self.proc.poll() is not None:
                raise BenchError(f"server {self.name} exited during start-up (code {self.proc.returncode}); see {self.log_path}:\n{tail(self.log_path)}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(request)
                    head = s.recv(64)
                    if head.startswith(b"HTTP/1.1 200"):
                        return (time.perf_counter() - t0) * 1000.0
            except OSError:
                pass
            time.sleep(0.001)
        raise BenchError(f"server {self.name} did not answer /healthz within {limit}s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kb(self):
        return read_rss_kb(self.pid())

    def stop(self):
        if self.sampler:
            self.sampler.stop.set()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        rc = self.proc.returncode
        self.proc = None
        return rc


def tail(path, n=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


# ---------------------------------------------------------------- the API

def api(port, method, path, body=None, token=None, timeout=60, accept="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Accept": accept}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
    finally:
        conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return r.status, parsed


def must(result, *ok, what=""):
    status, body = result
    if status not in ok:
        raise BenchError(f"{what}: HTTP {status}: {str(body)[:400]}")
    return body


def pmap(fn, items, workers=4):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(fn, items))


def user_email(n):
    return f"{USER_PREFIX}{n}@bench.test"


def register(port, email, name):
    return must(api(port, "POST", "/auth/register",
                    {"name": name, "phone": "+34 600 000 000", "email": email, "password": PASSWORD}),
                201, what=f"register {email}")


def login(port, email):
    return must(api(port, "POST", "/auth/login", {"email": email, "password": PASSWORD}),
                200, what=f"login {email}")["token"]


def create_product(port, admin_token, name, stock, category="bench-stock"):
    return must(api(port, "POST", "/products", {
        "name": name, "description": "Benchmark stock product", "category": category,
        "price": 1234, "stock": stock, "photo_url": "/static/photos/e-reader.svg",
    }, token=admin_token), 201, what=f"create product {name}")["id"]


# The checkout body of the checkout runs (bench.py, ab.py, payments.py): a
# structured address in the shop's country (ES, whose 21% is included in the
# prices), the starter shipping method and a bank transfer.
CHECKOUT_BODY = {
    "delivery_address": {
        "name": "Bench Customer", "line1": "Calle Mayor 1", "line2": "3º B", "city": "Madrid",
        "postal_code": "28013", "region": "Madrid", "country": "ES", "phone": "+34 600 123 456",
    },
    "shipping_method": "standard",
    "payment_method": "bank_transfer",
}
# What the same runs sent before addresses had parts (for binaries that predate them).
LEGACY_CHECKOUT_BODY = {"delivery_address": "1 Benchmark Street, 28001 Madrid"}


def checkout_body_words():
    a = CHECKOUT_BODY["delivery_address"]
    return (f"a structured address in {a['country']} (name, two lines, city, postal code, region, phone), "
            f"`shipping_method: \"{CHECKOUT_BODY['shipping_method']}\"`, `payment_method: \"{CHECKOUT_BODY['payment_method']}\"`")


def write_checkout_body(path, body=None):
    """Writes the checkout body (JSON, one line) for dynamic.lua's checkout mode."""
    Path(path).write_text(json.dumps(CHECKOUT_BODY if body is None else body, ensure_ascii=False) + "\n")
    return str(path)


def check_checkout_order(port, admin_token, number, body=None):
    """Reads one order placed by a checkout run and checks it carries what the
    body asked for: the address's parts, the shipping method, the payment
    method, taxes, and totals that add up. Returns a summary (and `ok`)."""
    body = CHECKOUT_BODY if body is None else body
    order = must(api(port, "GET", f"/orders/{number}", token=admin_token), 200, what=f"order {number}")
    addr, want = order.get("delivery_address") or {}, body["delivery_address"]
    shipping = order.get("shipping") or {}
    payment = order.get("payment") or {}
    taxes = order.get("taxes") or []
    problems = []
    if isinstance(want, dict):
        for k, v in want.items():
            if str(addr.get(k, "")) != v:
                problems.append(f"address {k} {addr.get(k)!r} != {v!r}")
    if body.get("shipping_method") and shipping.get("method") != body["shipping_method"]:
        problems.append(f"shipping {shipping}")
    if body.get("payment_method") and payment.get("method") != body["payment_method"]:
        problems.append(f"payment method {payment.get('method')}")
    if not taxes:
        problems.append("no taxes")
    tax_sum = sum(t.get("amount", 0) for t in taxes)
    expect_total = order["subtotal"] + shipping.get("price", 0) + (0 if order.get("prices_include_tax") else tax_sum)
    if order.get("total") != expect_total:
        problems.append(f"total {order.get('total')} != {expect_total}")
    return {
        "number": number, "status": order.get("status"), "subtotal": order.get("subtotal"),
        "shipping": shipping.get("price"), "shipping_method": shipping.get("method"),
        "taxes": [{"rate": t.get("rate"), "amount": t.get("amount")} for t in taxes],
        "total": order.get("total"), "payment_method": payment.get("method"),
        "prices_include_tax": order.get("prices_include_tax"), "ok": not problems, "problems": problems,
    }


def empty_cart(port, token):
    cart = must(api(port, "GET", "/cart", token=token), 200, what="get cart")
    for line in cart.get("items", []):
        must(api(port, "DELETE", f"/cart/{line['product_id']}", token=token), 200, 204, what="empty cart")


# ---------------------------------------------------------------- wrk

class PerfStat:
    """Server CPU time and context switches over one measured run: `perf stat -p`
    (counting software events, inherited by threads the server starts), or the
    process's utime+stime from /proc when perf is unavailable."""

    def __init__(self, pid, out):
        self.pid, self.out = pid, out
        self.t0 = cpu_ticks(pid)
        self.proc = None
        if shutil.which("perf"):
            self.proc = subprocess.Popen(["perf", "stat", "-e", "context-switches,task-clock", "-x,", "-o", str(out),
                                          "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        result = {"cs": None, "cpu_ms": None}
        t1 = cpu_ticks(self.pid)
        if self.t0 is not None and t1 is not None:
            result["cpu_ms"] = (t1 - self.t0) * 1000.0 / os.sysconf("SC_CLK_TCK")
        if self.proc is None:
            return result
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
            for line in Path(self.out).read_text().splitlines():
                parts = line.split(",")
                if len(parts) > 2 and parts[2] == "context-switches" and parts[0].strip().isdigit():
                    result["cs"] = int(parts[0])
        except (subprocess.TimeoutExpired, OSError, ValueError):
            self.proc.kill()
        return result


def cpu_ticks(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


class Runner:
    def __init__(self, cfg, work, recorder):
        self.cfg, self.work, self.recorder = cfg, Path(work), recorder
        self.failures = []

    def wrk(self, server, name, path, conns, threads=None, duration=None, headers=(),
            dyn=None, warmup=None, record=True, on_measure=None):
        """Runs wrk against `server`; returns the parsed figures (and RSS peak)."""
        threads = threads or min(self.cfg["wrk_threads"], conns)
        duration = duration or self.cfg["duration"]
        warmup = self.cfg["warmup"] if warmup is None else warmup
        argv = ["wrk", "-t", str(threads), "-c", str(conns), "--timeout", "5s", "--latency"]
        for h in headers:
            argv += ["-H", h]
        url = f"http://127.0.0.1:{server.port}{path}"
        if dyn:
            argv += ["-s", str(LUA_DYN)]
        else:
            argv += ["-s", str(LUA_REPORT)]
        if warmup:
            self._run(argv + ["-d", f"{warmup}s", url] + (["--"] + dyn if dyn else []), warmup, server)
        if on_measure:
            on_measure()
        server.sampler.reset()
        full = argv + ["-d", f"{duration}s", url] + (["--"] + dyn if dyn else [])
        if record:
            self.recorder.add([a if a != url else f"http://127.0.0.1:$PORT{path}" for a in full])
        stat = PerfStat(server.pid(), self.work / f"stat-{server.name}-{name}.txt")
        out = self._run(full, duration, server)
        counters = stat.stop()
        out["rss_peak_mb"] = mb(server.sampler.peak())
        n = max(out["requests"], 1)
        out["cpu_us_per_req"] = counters["cpu_ms"] * 1000 / n if counters.get("cpu_ms") is not None else None
        out["cs_per_req"] = counters["cs"] / n if counters.get("cs") is not None else None
        out["name"], out["path"], out["conns"], out["threads"] = name, path, conns, threads
        secs = out["duration_us"] / 1e6
        out["rps"] = out["requests"] / secs if secs else 0.0
        out["ok_rps"] = out["ok"] / secs if secs else 0.0
        out["p50_ms"], out["p99_ms"], out["max_ms"] = out["p50_us"] / 1000, out["p99_us"] / 1000, out["max_us"] / 1000
        out["errors"] = out["non2xx"] + out["connect_errors"] + out["read_errors"] + out["write_errors"] + out["timeouts"]
        if out["errors"]:
            self.failures.append(f"{server.name} {name}: {out['errors']} errors ({out['non2xx']} non-2xx)")
        if not server.alive():
            raise BenchError(f"server {server.name} died during {name}; log:\n{tail(server.log_path)}")
        log(f"  {server.name:5} {name:22} c={conns:<3} {out['rps']:>9.0f} req/s  p50 {out['p50_ms']:.2f} ms  "
            f"p99 {out['p99_ms']:.2f} ms  errors {out['errors']}  RSS {out['rss_peak_mb']:.1f} MB")
        return out

    def _run(self, argv, duration, server):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
        except subprocess.TimeoutExpired as e:
            raise BenchError(f"wrk overran its bound: {' '.join(argv)}") from e
        if p.returncode != 0:
            raise BenchError(f"wrk failed ({p.returncode}): {p.stderr[-800:]}")
        if p.stderr.strip():
            for line in p.stderr.strip().splitlines()[:3]:
                log(f"  wrk: {line}")
        for line in p.stdout.splitlines():
            if line.startswith("BENCH_JSON "):
                return json.loads(line[len("BENCH_JSON "):])
        raise BenchError(f"wrk printed no figures: {p.stdout[-800:]}")

    def wrk_background(self, server, path, conns, threads, duration, dyn):
        argv = ["wrk", "-t", str(threads), "-c", str(conns), "--timeout", "5s", "-s", str(LUA_DYN),
                "-d", f"{duration}s", f"http://127.0.0.1:{server.port}{path}", "--"] + dyn
        self.recorder.add([a.replace(str(server.port), "$PORT") for a in argv])
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ---------------------------------------------------------------- perf

CATEGORIES = [
    ("argon2id password hashing", re.compile(r"argon2|blake2|Blake2", re.I)),
    ("SQLite engine", re.compile(r"sqlite|^pager|^btree|^vdbe|^balance|^wal|^pcache|^unix(Read|Write|Sync|Lock|Unlock|FileControl|Shm)|^memjrnl|^yy|^robust|^accessPayload|^moveTo|^getAndInitPage|^insertCell|^fillInCell|^whereLoop|^exprAnalyze|^computeHMS|^rebuildPage|^decodeFlags|^btreeParseCell|^pageFindSlot|^freeSpace|^allocateSpace|^mem[0-9]|^page", re.I)),
    ("Handlebars rendering", re.compile(r"handlebars", re.I)),
    ("JSON (serde_json)", re.compile(r"serde_json|serde::|Serialize|Deserialize", re.I)),
    ("allocator (malloc/free)", re.compile(r"malloc|free|realloc|calloc|_int_|arena|tcache|alloc::", re.I)),
    ("memcpy/memmove/memset/strlen", re.compile(r"mem(cpy|move|set|cmp)|str(len|cmp)|__memcpy|__memset", re.I)),
    ("r2d2 pool / locks / parking", re.compile(r"r2d2|parking_lot|pthread_mutex|futex|Mutex|Condvar", re.I)),
    ("tokio runtime & blocking pool", re.compile(r"tokio", re.I)),
    ("HTTP stack (hyper/axum/tower/httparse)", re.compile(r"hyper|axum|tower|httparse|http::|h2::|bytes::", re.I)),
    ("tracing", re.compile(r"tracing", re.I)),
    ("JWT / HMAC / SHA-2", re.compile(r"jsonwebtoken|hmac|sha2|sha256|Sha256|compress256", re.I)),
    ("uuid / time formatting", re.compile(r"uuid|time::|format_description", re.I)),
    ("WebSocket (tungstenite)", re.compile(r"tungstenite|websocket", re.I)),
]


KERNEL = [
    ("kernel: file system (ext4, page cache: SQLite WAL, outbox .eml files)",
     re.compile(r"ext4|jbd2|filemap|find_get_block|recently_deleted|find_inode|generic_perform_write|block_write|"
                r"__brelse|posix_lock|fcntl|locks_|copy_folio_from_iter|d_alloc|dentry|inode|__fsnotify|fsync|"
                r"writeback|bio_|blk_|iowrite|virtio|path_|link_path|open|namei|lookup", re.I)),
    ("kernel: scheduler, thread wake-ups and sleeps (context switches, futex)",
     re.compile(r"finish_task_switch|__schedule|schedule|_raw_spin_unlock_irqrestore|_raw_spin_lock|try_to_wake_up|"
                r"futex|wake_up|enqueue|dequeue|update_curr|update_load|select_task|pick_next|psi_|ttwu|"
                r"switch_mm|__switch_to|cpuidle|idle|hrtimer|native_sched|irqentry_exit|sched", re.I)),
    ("kernel: TCP over loopback, epoll, socket syscalls",
     re.compile(r"tcp|sock|skb|net|inet|ip_|ipv4|__sys_|sendto|recv|epoll|loopback|__dev_queue|dst_|copy_user|"
                r"copy_to|copy_from|_copy_|check_object_size|ep_|poll|fput|fget|do_sys|syscall|entry_SYSCALL|ksys|vfs_", re.I)),
    ("kernel: memory (page faults, zeroing pages, mmap)",
     re.compile(r"page|mm_|mmap|munmap|madvise|memcg|lru|folio|pte|pmd|vma|rmqueue|clear_|zap_|kmem|slab|kmalloc|kfree", re.I)),
]


def categorise(sym, dso):
    name = sym[4:] if sym.startswith("[") else sym
    if "kernel" in dso or sym.startswith("[k]"):
        for label, rx in KERNEL:
            if rx.search(name):
                return label
        return "kernel: other"
    for label, rx in CATEGORIES:
        if rx.search(name):
            return label
    if dso.startswith("libc") or "libc.so" in dso:
        return "libc (other)"
    return "other"


def perf_report(data, top=12, only_pid=None):
    only = ["--pid", str(only_pid), "--percentage", "relative"] if only_pid else []
    p = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "dso,sym",
                        "-g", "none", "--percent-limit", "0"] + only, capture_output=True, text=True, timeout=300)
    rows = []
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\[.\]\s+.*)$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3).strip()))
    cats = {}
    for pct, dso, sym in rows:
        c = categorise(sym, dso)
        cats[c] = cats.get(c, 0.0) + pct
    return {
        "samples_total_pct": sum(r[0] for r in rows),
        "categories": sorted(cats.items(), key=lambda kv: -kv[1]),
        "top": [{"pct": r[0], "dso": r[1], "sym": re.sub(r"\s+", " ", r[2])[:150]} for r in rows[:top]],
    }


def perf_attach(pid, seconds, out):
    """`pid` None: the whole machine."""
    target = ["-p", str(pid)] if pid else ["-a"]
    argv = ["perf", "record", "-F", "997"] + target + ["-o", str(out), "--", "sleep", str(seconds)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def cpu_by_process(data, names):
    """Share of the busy (non-idle) CPU samples per process; `names` maps pid -> label."""
    p = subprocess.run(["perf", "script", "-i", str(data), "-F", "pid"], capture_output=True, text=True, timeout=300)
    counts = {}
    for line in p.stdout.split():
        if line.isdigit() and line != "0":
            label = names.get(int(line), "other processes (perf, the bench driver, ...)")
            counts[label] = counts.get(label, 0) + 1
    busy = sum(counts.values()) or 1
    return sorted(((k, 100.0 * v / busy) for k, v in counts.items()), key=lambda kv: -kv[1])


def smaps_summary(pid, top=8):
    """Where the resident memory is, by mapping (a memory profile for RSS misses)."""
    maps = []
    cur = None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    name = parts[5] if len(parts) > 5 else "[anon]"
                    cur = {"name": name, "rss_kb": 0, "anon_kb": 0}
                    maps.append(cur)
                elif cur is not None and parts and parts[0] == "Rss:":
                    cur["rss_kb"] = int(parts[1])
                elif cur is not None and parts and parts[0] == "Anonymous:":
                    cur["anon_kb"] = int(parts[1])
    except OSError:
        return None
    by_name = {}
    for m in maps:
        n = m["name"].replace(str(ROOT) + "/", "")
        d = by_name.setdefault(n, {"rss_kb": 0, "anon_kb": 0, "mappings": 0})
        d["rss_kb"] += m["rss_kb"]
        d["anon_kb"] += m["anon_kb"]
        d["mappings"] += 1
    ranked = sorted(by_name.items(), key=lambda kv: -kv[1]["rss_kb"])[:top]
    return {
        "threads": proc_status(pid, "Threads"),
        "rss_anon": proc_status(pid, "RssAnon"),
        "rss_file": proc_status(pid, "RssFile"),
        "top": [{"mapping": k, **v} for k, v in ranked],
    }


# ---------------------------------------------------------------- the run

class Bench:
    def __init__(self, cfg, out_dir, work):
        self.cfg = cfg
        self.out = Path(out_dir)
        self.work = Path(work)
        self.rec = Recorder(work)
        self.run = Runner(cfg, work, self.rec)
        self.servers = []
        self.results = {"mode": cfg["mode"], "datasets": {}, "startup": {}, "chat": None,
                        "profiles": {}, "notes": []}

    def new_server(self, name, data_dir, demo_catalog=True):
        s = Server(self.work, name, data_dir, self.rec, demo_catalog)
        self.servers.append(s)
        return s

    def stop_all(self):
        for s in self.servers:
            try:
                s.stop()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass

    def write_lines(self, name, items):
        p = self.work / name
        p.write_text("\n".join(items) + "\n")
        return str(p)

    # -- start-up

    def measure_startups(self):
        n = self.cfg["startups"]
        cold, warm, idle = [], [], []
        warm_dir = self.work / "startup-warm"
        for i in range(n):
            s = self.new_server(f"cold{i}", self.work / f"startup-cold-{i}")
            cold.append(s.start())
            if i == 0:
                time.sleep(2.0)
                idle.append(mb(s.rss_kb()))
            s.stop()
        s = self.new_server("warm", warm_dir)
        s.start()
        s.stop()
        for i in range(n):
            warm.append(s.start())
            s.stop()
        self.results["startup"] = {"cold_ms": cold, "warm_ms": warm, "idle_rss_fresh_mb": idle[0]}
        log(f"start-up: empty store {fmt_list(cold)} ms, existing demo store {fmt_list(warm)} ms, idle RSS {idle[0]:.1f} MB")

    # -- a data set

    def dataset(self, key, label, server, users_total, seeded, chat_users=False):
        cfg = self.cfg
        r = self.run
        ds = {"label": label, "paths": {}, "checks": {}}
        self.results["datasets"][key] = ds
        port = server.port

        log(f"[{key}] preparing users and tokens")
        register(port, ADMIN, "Bench Admin")
        admin = login(port, ADMIN)
        n_cart, n_co, n_race = cfg["conns"], cfg["checkout_customers"], 16
        needed = n_cart + n_co + n_race
        if not seeded:
            pmap(lambda n: register(port, user_email(n), f"Bench Customer {n}"), range(users_total))
        tokens = pmap(lambda n: login(port, user_email(n)), range(needed))
        cart_tokens, co_tokens, race_tokens = tokens[:n_cart], tokens[n_cart:n_cart + n_co], tokens[n_cart + n_co:]
        emails_file = self.write_lines(f"{key}-emails.txt", [user_email(n) for n in range(users_total)])
        cart_tokens_file = self.write_lines(f"{key}-cart-tokens.txt", cart_tokens)
        co_tokens_file = self.write_lines(f"{key}-checkout-tokens.txt", co_tokens)
        if chat_users:
            self.chat_prepare(port)

        listing = must(api(port, "GET", "/products?limit=50"), 200, what="list")
        total = listing["total"]
        mid = must(api(port, "GET", f"/products?offset={total // 2}&limit=1"), 200, what="list")["items"][0]
        pid, category = mid["id"], mid["category"]
        cat_total = must(api(port, "GET", f"/products/{category}?limit=50"), 200, what="category")["total"]
        ds["catalog"] = {"products": total, "list_items": len(listing["items"]), "product": pid,
                         "category": category, "category_products": cat_total,
                         "category_items": min(50, cat_total), "users": users_total}
        # Three lines in each cart read by GET /cart.
        lines = [listing["items"][k]["id"] for k in (0, 1, 2)]
        pmap(lambda t: [must(api(port, "POST", "/cart", {"product_id": p, "quantity": 1}, token=t), 200, 201,
                             what="fill cart") for p in lines], cart_tokens)
        html_bytes = len(must(api(port, "GET", f"/products/{pid}", accept="text/html"), 200, what="html page"))
        ds["catalog"]["html_bytes"] = html_bytes
        db = server.data_dir / "tienda.db"
        ds["checks"]["mail_before"] = wait_outbox(db, cfg["drain_s"])

        # Setup hashed ~100 passwords; measure on a fresh process (sessions live in
        # the store, so the tokens stay valid) so its memory is the paths' own.
        server.stop()
        ds["restart_ms"] = server.start()
        port = server.port
        time.sleep(2.0)
        ds["idle_rss_mb"] = mb(server.rss_kb())

        log(f"[{key}] catalog {total} products; measuring")
        c = cfg["conns"]
        floors = []

        def measure(name, *a, **kw):
            # Each path is paired with a floor run just before it: the machine is
            # shared, so the floor drifts; the ratio compares neighbours.
            floor = r.wrk(server, "floor", "/healthz", c, record=not floors)
            floors.append(floor)
            out = r.wrk(server, name, *a, **kw)
            out["floor_rps"] = floor["rps"]
            ds["paths"][name] = out
            return out

        measure("list", "/products", c)
        measure("product_json", f"/products/{pid}", c)
        measure("product_html", f"/products/{pid}", c, headers=["Accept: text/html"])
        measure("category", f"/products/{category}", c)
        measure("cart_get", "/cart", c, dyn=["get_auth", cart_tokens_file])
        # Search: one word, two words with a typo (woden → wooden, chiar →
        # chair), and a prefix as typed into the search box.
        measure("search_word", "/search?q=lamp", c)
        measure("search_typo", "/search?q=woden%20chiar", c)
        measure("search_prefix", "/search?q=hea", c)

        # Writes: products with ample stock for the cart and checkout runs.
        stock_ids = [create_product(port, admin, f"Bench stock {k}", MAX_STOCK) for k in range(4)]
        stock_file = self.write_lines(f"{key}-stock-products.txt", stock_ids)
        body_file = write_checkout_body(self.work / f"{key}-checkout-body.json")
        measure("cart_add", "/cart", c, dyn=["cart_add", cart_tokens_file, stock_file])
        n = cfg["checkout_customers"]
        co_emails = [user_email(n) for n in range(n_cart, n_cart + n_co)]
        before = {}
        co = measure("checkout", "/orders", n, threads=n, dyn=["checkout", co_tokens_file, stock_file, body_file],
                     on_measure=lambda: before.update(orders=orders_of(db, co_emails)))
        co["orders_per_s"] = co["orders_ok"] / (co["duration_us"] / 1e6)
        drain = wait_outbox(db, cfg["drain_s"])
        ds["checks"]["mail_after_checkout"] = drain
        log(f"  order mail backlog: {drain['pending']} pending, {drain['left']} left after {drain['secs']:.1f} s")

        # Oversell: every unit sold plus what is left equals the initial stock.
        co_orders = orders_of(db, co_emails) - before["orders"]
        ds["checks"]["checkout_stock"] = dict(stock_check(port, db, stock_ids), orders_in_store=co_orders,
                                              orders_counted_by_wrk=co["orders_ok"])
        if ds["checks"]["checkout_stock"]["api_stale"]:
            log(f"  GET /products/ID shows a stale stock: {ds['checks']['checkout_stock']['api_stale']}")
        ds["checks"]["checkout_order"] = check_checkout_order(port, admin, last_order_of(db, co_emails))
        if not ds["checks"]["checkout_order"]["ok"]:
            r.failures.append(f"{server.name} checkout order: {ds['checks']['checkout_order']['problems']}")
        ds["checks"]["contention"] = self.contention(port, admin, race_tokens, db)
        ds["rss_before_logins_mb"] = mb(server.rss_kb())

        # Logins last: argon2id's memory stays with the process afterwards.
        measure("login", "/auth/login", cfg["login_conns"], dyn=["login", emails_file, PASSWORD])
        # Catalog p99 while logins run at full rate.
        d = cfg["duration"]
        bg = r.wrk_background(server, "/auth/login", cfg["login_conns"], 2, d + 3 + cfg["warmup"],
                              ["login", emails_file, PASSWORD])
        time.sleep(1.0)
        under = r.wrk(server, "list_during_logins", "/products", c)
        try:
            bg_out, _ = bg.communicate(timeout=d + 60)
        except subprocess.TimeoutExpired:
            bg.kill()
            raise BenchError("background login wrk overran its bound")
        bg_json = next((json.loads(l[11:]) for l in bg_out.splitlines() if l.startswith("BENCH_JSON ")), None)
        under["login_rps_meanwhile"] = bg_json["requests"] / (bg_json["duration_us"] / 1e6) if bg_json else None
        under["floor_rps"] = floors[-1]["rps"]
        if bg_json and bg_json["non2xx"]:
            r.failures.append(f"{server.name} logins during catalog: {bg_json['non2xx']} non-2xx")
        ds["paths"]["list_during_logins"] = under
        ds["floor_runs"] = floors
        ordered = sorted(floors, key=lambda f: f["rps"])
        ds["paths"]["floor"] = dict(ordered[len(ordered) // 2], floor_rps=ordered[len(ordered) // 2]["rps"])
        ds["floor_rps"] = ds["paths"]["floor"]["rps"]
        time.sleep(2.0)
        ds["idle_rss_after_mb"] = mb(server.rss_kb())
        return ds

    def contention(self, port, admin, tokens, db):
        """16 customers each hold 5 units of a product with 50 in stock and check out at once."""
        rounds = []
        for k in range(self.cfg["contention_rounds"]):
            pid = create_product(port, admin, f"Last units {k}", 50)
            for t in tokens:
                empty_cart(port, t)
                must(api(port, "POST", "/cart", {"product_id": pid, "quantity": 5}, token=t), 200, 201, what="race cart")
            barrier = threading.Barrier(len(tokens), timeout=30)

            def go(t):
                barrier.wait()
                return api(port, "POST", "/orders", CHECKOUT_BODY, token=t)[0]

            statuses = pmap(go, tokens, workers=len(tokens))
            stock = must(api(port, "GET", f"/products/{pid}"), 200, what="stock")["stock"]
            sold = units_sold(db, pid)
            placed = statuses.count(201)
            rounds.append({"product": pid, "initial": 50, "placed": placed,
                           "refused_409": statuses.count(409), "other": len(statuses) - placed - statuses.count(409),
                           "stock_after": stock, "units_sold": sold,
                           "ok": stock >= 0 and sold == placed * 5 and stock + sold == 50 and sold <= 50})
            for t in tokens:
                empty_cart(port, t)
        ok = all(x["ok"] for x in rounds)
        log(f"  contention: {[(x['placed'], x['refused_409'], x['stock_after']) for x in rounds]} -> {'no oversell' if ok else 'OVERSELL OR MISMATCH'}")
        if not ok:
            self.run.failures.append(f"contention check failed: {rounds}")
        return {"rounds": rounds, "ok": ok}

    # -- chat

    def chat_prepare(self, port):
        """Chat accounts and tokens, made during set-up so the chat run needs no password hashing."""
        receivers = [f"bench-chat-{k}@bench.test" for k in range(4)]
        sender = "bench-chat-sender@bench.test"
        for e in receivers + [sender]:
            register(port, e, "Chat " + e.split("@")[0])
        self.chat_tokens_file = self.write_lines("chat-tokens.txt", [login(port, e) for e in receivers])
        self.chat_sender_token = login(port, sender)

    def chat(self, server):
        """Fan-out on a freshly started server (the tokens are from chat_prepare)."""
        cfg = self.cfg
        port = server.port
        want = cfg["chat_sockets"]
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < want + 500:
            want_was = want
            want = max(100, soft - 500)
            self.results["notes"].append(f"open-file limit {soft}: chat sockets cut from {want_was} to {want}")
        tokens_file, sender_token = self.chat_tokens_file, self.chat_sender_token
        time.sleep(2.0)
        argv = [str(CHATLOAD), "--addr", f"127.0.0.1:{port}", "--tokens-file", tokens_file,
                "--sender-token", sender_token, "--sockets", str(want), "--messages", str(cfg["chat_messages"]),
                "--hold-secs", "3", "--deadline-secs", "240", "--source-ips", "4"]
        self.rec.add([a.replace(str(port), "$PORT") if a != sender_token else "$SENDER_TOKEN" for a in argv])
        before = mb(server.rss_kb())
        server.sampler.reset()
        log(f"chat: connecting {want} sockets")
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
        connected_rss = None
        result = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < 300:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if p.poll() is not None and lines.empty():
                    break
                continue
            if line.startswith("READY"):
                time.sleep(1.5)
                connected_rss = mb(server.rss_kb())
                log(f"chat: {line.strip()}; server RSS {connected_rss:.1f} MB")
            elif line.startswith("{"):
                result = json.loads(line)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
        err = p.stderr.read()
        if result is None:
            raise BenchError(f"chatload gave no result (exit {p.returncode}): {err[-800:]}")
        result["rss_before_mb"] = before
        result["rss_connected_mb"] = connected_rss
        result["rss_peak_mb"] = mb(server.sampler.peak())
        time.sleep(2.0)
        result["rss_after_mb"] = mb(server.rss_kb())
        result["stderr"] = err.strip()[-400:]
        if result["missing"] or result["connect_failures"]:
            self.run.failures.append(f"chat: {result['connect_failures']} sockets failed, {result['missing']} deliveries missing")
        if not server.alive():
            raise BenchError("server died during the chat run")
        log(f"chat: {result['connected']} sockets, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
            f"max {result['max_ms']:.1f} ms, missing {result['missing']}, peak RSS {result['rss_peak_mb']:.1f} MB")
        if result.get("unstamped"):
            self.run.failures.append(f"chat: {result['unstamped']} deliveries without a kernel timestamp")
        if cfg["profile"]:
            # The same again with chatload reading while the server fans out,
            # as it did before it used kernel timestamps: what that costs.
            time.sleep(2.0)
            meanwhile = subprocess.run(argv + ["--settle-ms", "0"], capture_output=True, text=True, timeout=300)
            lines = [l for l in meanwhile.stdout.splitlines() if l.startswith("{")]
            if lines:
                r = json.loads(lines[-1])
                result["reading_meanwhile"] = {k: r[k] for k in ("connected", "p50_ms", "p99_ms", "read_p50_ms", "read_p99_ms", "missing")}
                log(f"chat, chatload reading meanwhile: p99 {r['p99_ms']:.1f} ms (kernel stamps), "
                    f"{r['read_p99_ms']:.1f} ms (read returns)")
        self.results["chat"] = result
        return argv


def stock_check(port, db, product_ids, initial=MAX_STOCK):
    """Oversell check on products bought by a checkout run: the store's stock
    (SQLite, read-only: what checkout takes from) + units sold in orders not
    cancelled = the initial stock, for each. Also what `GET /products/{id}`
    shows (through the catalog cache): `api_stale` lists products it shows
    otherwise (a cache the run left stale, not an oversell)."""
    products = []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        for pid in product_ids:
            store = int(con.execute("SELECT stock FROM products WHERE id = ?", (pid,)).fetchone()[0])
            products.append({"product": pid, "stock": store, "sold": units_sold(db, pid)})
    finally:
        con.close()
    for x in products:
        x["api_stock"] = must(api(port, "GET", f"/products/{x['product']}"), 200, what="stock")["stock"]
    return {
        "initial_each": initial, "products": products,
        "consistent": all(x["stock"] + x["sold"] == initial and x["stock"] >= 0 for x in products),
        "api_stale": [{"product": x["product"], "api": x["api_stock"], "store": x["stock"]}
                      for x in products if x["api_stock"] != x["stock"]],
    }


def stock_words(cs):
    """The stock check in words, for RESULTS.md."""
    text = (f"Stock check on the {len(cs['products'])} products bought: stock in the store + units sold = "
            f"{cs['initial_each']:,} for each: **{'yes' if cs['consistent'] else 'NO'}**")
    stale = cs.get("api_stale")
    if stale:
        text += (f"; but `GET /products/{{id}}` showed a stale stock for {len(stale)} of them ("
                 + ", ".join(f"{x['api']:,} vs {x['store']:,} in the store" for x in stale)
                 + "): the catalog cache kept entries that a checkout should have dropped, see the note on the cache")
    elif stale is not None:
        text += "; `GET /products/{id}` shows the same stock"
    return text + "."


def units_sold(db, product_id):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = con.execute(
            "SELECT COALESCE(SUM(json_extract(j.value, '$.quantity')), 0) FROM orders, json_each(orders.items) j "
            "WHERE json_extract(j.value, '$.product_id') = ? AND orders.status != 'cancelled'", (product_id,)).fetchone()
        return int(row[0])
    finally:
        con.close()


def pending_mail(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(con.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0])
    finally:
        con.close()


def wait_outbox(db, limit_s):
    """Waits (bounded) until the mail sender has worked off the outbox, so a
    backlog from one run does not load the next; returns what it saw."""
    t0 = time.monotonic()
    first = pending_mail(db)
    left = first
    while left and time.monotonic() - t0 < limit_s:
        time.sleep(0.25)
        left = pending_mail(db)
    return {"pending": first, "secs": time.monotonic() - t0, "left": left}


def orders_of(db, emails):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        q = "SELECT COUNT(*) FROM orders WHERE email IN (%s)" % ",".join("?" * len(emails))
        return int(con.execute(q, emails).fetchone()[0])
    finally:
        con.close()


def last_order_of(db, emails):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        q = "SELECT MAX(number) FROM orders WHERE email IN (%s)" % ",".join("?" * len(emails))
        return int(con.execute(q, emails).fetchone()[0])
    finally:
        con.close()


def fmt_list(xs):
    return "[" + ", ".join(f"{x:.0f}" for x in xs) + "]"


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


# ---------------------------------------------------------------- targets

def evaluate(res):
    ds = res["datasets"]
    t = []

    def ratio(k, path):
        p = ds[k]["paths"][path]
        return p["rps"] / p["floor_rps"]

    big_key = "big" if "big" in ds else "demo"
    r = ratio(big_key, "list")
    t.append(dict(id="list_ratio", target=f"GET /products (50 items) >= {LIST_RATIO:.0%} of floor req/s",
                  figure=f"{r:.1%} ({ds[big_key]['catalog']['list_items']} items, {big_key}); demo ({ds['demo']['catalog']['list_items']} items) {ratio('demo', 'list'):.1%}",
                  met=r >= LIST_RATIO, profile=(big_key, "list")))
    worst_k = min(ds, key=lambda k: ratio(k, "product_html"))
    r = ratio(worst_k, "product_html")
    t.append(dict(id="html_ratio", target=f"product HTML page >= {HTML_RATIO:.0%} of floor req/s",
                  figure=" / ".join(f"{k} {ratio(k, 'product_html'):.1%}" for k in ds),
                  met=r >= HTML_RATIO, profile=(worst_k, "product_html")))
    searches = [(big_key, p) for p in SEARCH_PATHS]
    worst = min(searches, key=lambda kp: ratio(*kp))
    slowest = max(searches, key=lambda kp: ds[kp[0]]["paths"][kp[1]]["p99_ms"])
    t.append(dict(id="search", target=f"each search >= {SEARCH_RATIO:.0%} of floor req/s, p99 < {READ_P99_MS:.0f} ms",
                  figure=" / ".join(f"{p} {ratio(k, p):.1%} p99 {ds[k]['paths'][p]['p99_ms']:.1f} ms" for k, p in searches)
                  + f" ({ds[big_key]['catalog']['products']:,} products)",
                  met=ratio(*worst) >= SEARCH_RATIO and ds[slowest[0]]["paths"][slowest[1]]["p99_ms"] < READ_P99_MS,
                  profile=worst))
    worst = max(((k, p) for k in ds for p in READ_PATHS), key=lambda kp: ds[kp[0]]["paths"][kp[1]]["p99_ms"])
    w = ds[worst[0]]["paths"][worst[1]]["p99_ms"]
    over = [f"{k}/{p} {ds[k]['paths'][p]['p99_ms']:.1f}" for k in ds for p in READ_PATHS if ds[k]["paths"][p]["p99_ms"] >= READ_P99_MS]
    t.append(dict(id="read_p99", target=f"p99 < {READ_P99_MS:.0f} ms at 64 connections on every read path",
                  figure=f"worst {worst[0]}/{worst[1]} {w:.1f} ms" + (f"; over: {', '.join(over)}" if over else ""),
                  met=w < READ_P99_MS, profile=worst))
    worst_k = min(ds, key=lambda k: ds[k]["paths"]["checkout"]["orders_per_s"])
    ops = ds[worst_k]["paths"]["checkout"]["orders_per_s"]
    no_oversell = all(d["checks"]["checkout_stock"]["consistent"] and d["checks"]["contention"]["ok"] for d in ds.values())
    t.append(dict(id="checkout", target=f"checkout (structured address, shipping, tax, bank transfer) >= {CHECKOUT_OPS:,} orders/s, 16 customers, zero oversell",
                  figure=" / ".join(f"{k} {d['paths']['checkout']['orders_per_s']:,.0f} orders/s" for k, d in ds.items())
                  + ("; no oversell" if no_oversell else "; OVERSELL OR STOCK MISMATCH"),
                  met=ops >= CHECKOUT_OPS and no_oversell, profile=(worst_k, "checkout")))
    ch = res["chat"]
    if ch:
        ok = ch["connected"] >= CHAT_SOCKETS and ch["missing"] == 0 and ch["p99_ms"] < CHAT_P99_MS and (ch["rss_peak_mb"] or 1e9) < CHAT_RSS_MB
        t.append(dict(id="chat", target=f"chat: {CHAT_SOCKETS:,} sockets, delivery p99 < {CHAT_P99_MS:.0f} ms, RSS < {CHAT_RSS_MB:.0f} MB",
                      figure=f"{ch['connected']:,} sockets, p99 {ch['p99_ms']:.1f} ms, peak RSS {ch['rss_peak_mb']:.1f} MB, {ch['missing']} missing",
                      met=ok, profile=("demo", "chat")))
    idle = res["startup"]["idle_rss_fresh_mb"]
    t.append(dict(id="idle_rss", target=f"idle RSS <= {IDLE_RSS_MB:.0f} MB",
                  figure=f"{idle:.1f} MB (fresh start, demo catalog); big data set {ds.get('big', ds['demo'])['idle_rss_mb']:.1f} MB",
                  met=idle <= IDLE_RSS_MB, profile=("demo", "idle_rss")))
    st = res["startup"]
    meds = {"empty store": median(st["cold_ms"]), "existing demo store": median(st["warm_ms"])}
    if st.get("big_ms"):
        meds["10k-product store"] = median(st["big_ms"])
    t.append(dict(id="startup", target=f"start-up (exec to /healthz 200) < {STARTUP_MS:.0f} ms",
                  figure=", ".join(f"{k} {v:.0f} ms" for k, v in meds.items()) + " (medians)",
                  met=max(meds.values()) < STARTUP_MS, profile=("demo", "startup")))
    worst_k = max(ds, key=lambda k: ds[k]["paths"]["list_during_logins"]["p99_ms"] / ds[k]["paths"]["list"]["p99_ms"])
    f = {k: d["paths"]["list_during_logins"]["p99_ms"] / d["paths"]["list"]["p99_ms"] for k, d in ds.items()}
    t.append(dict(id="login_isolation", target=f"catalog p99 during full-rate logins < {LOGIN_P99_FACTOR:.0f}x idle",
                  figure=" / ".join(f"{k} {d['paths']['list_during_logins']['p99_ms']:.1f} ms vs {d['paths']['list']['p99_ms']:.1f} ms = {f[k]:.1f}x" for k, d in ds.items()),
                  met=f[worst_k] < LOGIN_P99_FACTOR, profile=(worst_k, "list_during_logins")))
    return t


# ---------------------------------------------------------------- report

PATH_LABELS = {
    "floor": "GET /healthz (floor)",
    "list": "GET /products",
    "product_json": "GET /products/:id (JSON)",
    "search_word": "GET /search?q=lamp (one word)",
    "search_typo": "GET /search?q=woden chiar (two words, typos)",
    "search_prefix": "GET /search?q=hea (prefix)",
    "product_html": "GET /products/:id (HTML)",
    "category": "GET /products/:category",
    "cart_get": "GET /cart (auth)",
    "cart_add": "POST /cart",
    "checkout": "POST /cart + POST /orders",
    "login": "POST /auth/login",
    "list_during_logins": "GET /products during logins",
}
ORDER = ["floor", "list", "product_json", "product_html", "category", "cart_get", "search_word", "search_typo",
         "search_prefix", "cart_add", "checkout", "login", "list_during_logins"]


def machine_info():
    cpu = "unknown"
    cores = os.cpu_count()
    try:
        info = Path("/proc/cpuinfo").read_text()
        m = re.search(r"model name\s*:\s*(.*)", info)
        cpu = m.group(1).strip() if m else cpu
        mhz = re.search(r"cpu MHz\s*:\s*(.*)", info)
        cpu_mhz = mhz.group(1).strip() if mhz else None
    except OSError:
        cpu_mhz = None
    mem = None
    try:
        m = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
        mem = int(m.group(1)) / 1024 / 1024
    except (OSError, AttributeError):
        pass
    osr = ""
    try:
        osr = re.search(r'PRETTY_NAME="(.*)"', Path("/etc/os-release").read_text()).group(1)
    except (OSError, AttributeError):
        pass

    def cmd(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    return {
        "cpu": cpu, "cpu_mhz": cpu_mhz, "cores": cores, "online": cmd(["nproc"]), "mem_gb": mem,
        "kernel": platform.release(), "os": osr, "rustc": cmd(["rustc", "--version"]),
        "wrk": cmd(["sh", "-c", "wrk --version 2>&1 | head -1"]).split(" Copyright")[0],
        "commit": cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }


def loadavg():
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return ["?"] * 3


def write_svg(res, path):
    ds = res["datasets"]
    keys = list(ds)
    paths = [p for p in ORDER if all(p in ds[k]["paths"] for k in keys)]
    colors = {"demo": "#4e79a7", "big": "#f28e2b"}
    width, left, top_pad, chart_h, gap = 1000, 230, 40, None, 30
    row_h, bar_h = 34, 13
    chart_h = len(paths) * row_h
    height = top_pad + 30 + 2 * chart_h + gap + 30 + 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">tienda benchmark ({res["mode"]}): throughput and p99 latency per path</text>']

    def chart(y0, title, value, unit, fmt, limit_line=None, log_scale=False):
        vals = [value(ds[k]["paths"][p]) or 0 for p in paths for k in keys]
        vmax = max(vals) or 1
        plot_w = width - left - 120
        lo = 0.1
        if log_scale:
            hi = 10 ** math.ceil(math.log10(max(vmax, 1.0)))

            def scale(v):
                return plot_w * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
            tick = lo
            while tick <= hi * 1.0001:
                x = left + scale(tick)
                out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + chart_h}" stroke="#ddd"/>')
                out.append(f'<text x="{x:.1f}" y="{y0 + chart_h + 14}" text-anchor="middle" font-size="10" fill="#666">{tick:g}</text>')
                tick *= 10
        else:
            def scale(v):
                return plot_w * v / vmax
        out.append(f'<text x="{left}" y="{y0 - 8}" font-weight="bold">{html.escape(title)}</text>')
        for i, p in enumerate(paths):
            y = y0 + i * row_h
            out.append(f'<text x="{left - 8}" y="{y + row_h / 2 + 4}" text-anchor="end">{html.escape(PATH_LABELS[p])}</text>')
            for j, k in enumerate(keys):
                v = value(ds[k]["paths"][p]) or 0
                w = max(1, scale(v))
                by = y + 3 + j * (bar_h + 2)
                out.append(f'<rect x="{left}" y="{by}" width="{w:.1f}" height="{bar_h}" fill="{colors.get(k, "#888")}"/>')
                out.append(f'<text x="{left + w + 4:.1f}" y="{by + bar_h - 2}" font-size="11">{fmt(v)}{unit}</text>')
        out.append(f'<line x1="{left}" y1="{y0}" x2="{left}" y2="{y0 + chart_h}" stroke="#333"/>')
        if limit_line is not None and limit_line <= (hi if log_scale else vmax):
            x = left + scale(limit_line)
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + chart_h}" stroke="#c00" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{x + 3:.1f}" y="{y0 + chart_h + 28}" fill="#c00" font-size="11">read-path target {limit_line:g}{unit}</text>')

    y0 = top_pad + 30
    chart(y0, "Throughput (requests/s; checkout counts both requests)", lambda r: r["rps"], "", lambda v: f"{v:,.0f}")
    y1 = y0 + chart_h + gap + 30
    chart(y1, "p99 latency (ms, log scale)", lambda r: r["p99_ms"], " ms", lambda v: f"{v:.1f}", READ_P99_MS, log_scale=True)
    lx = width - 110
    for j, k in enumerate(keys):
        out.append(f'<rect x="{lx}" y="{40 + j * 18}" width="12" height="12" fill="{colors.get(k, "#888")}"/>')
        out.append(f'<text x="{lx + 16}" y="{50 + j * 18}">{html.escape(k)}</text>')
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")


def write_markdown(res, path, svg_name):
    m = res["machine"]
    ds = res["datasets"]
    L = []
    L.append("# tienda benchmark results\n")
    L.append(f"Mode: **{res['mode']}**. Generated {res['finished']} by `bench/run.sh"
             f"{' --smoke' if res['mode'] == 'smoke' else ''}` at commit `{m['commit']}` "
             f"({res['elapsed_s'] / 60:.1f} min). Release build, embedded SQLite store, server and load "
             "generators on the same machine over 127.0.0.1.\n")
    L.append("## Machine\n")
    L.append(f"- CPU: {m['cpu']} ({m['cores']} cores online{', ' + m['cpu_mhz'] + ' MHz' if m['cpu_mhz'] else ''}); "
             f"memory {m['mem_gb']:.1f} GB; {m['os']}, Linux {m['kernel']}")
    L.append(f"- {m['rustc']}; {m['wrk']}; open-file limit {m['nofile']}")
    L.append(f"- Load average before / after the run: {' '.join(res['load_before'])} / {' '.join(res['load_after'])} "
             "(the 2 cores are shared with other work, so figures carry noise; the floor is re-measured in the "
             "same run and ratios compare like with like)\n")
    L.append("## Targets\n")
    L.append("| target | measured | |")
    L.append("| --- | --- | --- |")
    for t in res["targets"]:
        L.append(f"| {t['target']} | {t['figure']} | **{'met' if t['met'] else 'missed'}** |")
    L.append("")
    L.append(f"![throughput and p99 per path]({svg_name})\n")
    for k, d in ds.items():
        c = d["catalog"]
        L.append(f"## Data set: {d['label']}\n")
        L.append(f"{c['products']:,} products ({c['list_items']} in the first page), {c['users']:,} customers; "
                 f"after set-up (registrations, logins, carts) the server is restarted ({d['restart_ms']:.0f} ms) so the runs start "
                 f"from a fresh process, then reads, writes and, last, logins (argon2id memory stays with the process); "
                 f"product page {c['html_bytes']:,} bytes of HTML; category `{c['category']}` has {c['category_products']:,} products "
                 f"(first page {c['category_items']}). Floor (GET /healthz, same binary and middleware), measured just "
                 f"before each path, which is divided by that neighbouring floor run: "
                 + ", ".join(f"{f['rps']:,.0f}" for f in d["floor_runs"]) + f" req/s, median "
                 f"**{d['floor_rps']:,.0f} req/s**. RSS: {d['idle_rss_mb']:.1f} MB idle before the runs, "
                 f"{d['rss_before_logins_mb']:.1f} MB before the login runs, {d['idle_rss_after_mb']:.1f} MB idle after them.\n")
        L.append("| path | conns | req/s | × floor | p50 ms | p99 ms | max ms | errors | peak RSS MB | server CPU µs/req | context switches/req |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for p in ORDER:
            r = d["paths"].get(p)
            if not r:
                continue
            extra = ""
            if p == "checkout":
                extra = f" ({r['orders_per_s']:,.0f} orders/s)"
            if p == "list_during_logins" and r.get("login_rps_meanwhile") is not None:
                extra = f" (logins meanwhile {r['login_rps_meanwhile']:,.0f}/s)"
            cpu = "—" if r.get("cpu_us_per_req") is None else f"{r['cpu_us_per_req']:,.0f}"
            csw = "—" if r.get("cs_per_req") is None else f"{r['cs_per_req']:.1f}"
            L.append(f"| {PATH_LABELS[p]}{extra} | {r['conns']} | {r['rps']:,.0f} | {r['rps'] / r['floor_rps']:.3f} | "
                     f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} | {r['rss_peak_mb']:.1f} | {cpu} | {csw} |")
        L.append("")
        L.append("The floor row is the median floor run. Server CPU and context switches per request come from "
                 "`perf stat -e context-switches,task-clock -p PID` over the measured run (all server threads; the "
                 "load generator runs on the same 2 cores and is not counted).")
        cs = d["checks"]["checkout_stock"]
        md = d["checks"]["mail_after_checkout"]
        L.append("")
        L.append(f"Each order queues two emails (customer and shop copy) that the background sender writes to the file "
                 f"outbox; after the checkout run {md['pending']:,} were pending and the run waited {md['secs']:.1f} s for them "
                 f"({md['left']:,} still pending) before going on, so the backlog does not load the next measurement.")
        L.append(f"Checkout: {d['paths']['checkout']['conns']} customers, each its own wrk thread and connection, "
                 f"alternating `POST /cart` (1 unit) and `POST /orders` with {checkout_body_words()}; wrk counted {cs['orders_counted_by_wrk']:,} orders "
                 f"answered 201, the store gained {cs['orders_in_store']:,} orders for these customers during the measured run "
                 f"(checkouts in flight when wrk stopped count in the store only). " + stock_words(cs))
        so = d["checks"].get("checkout_order")
        if so:
            L.append(f"One of those orders (#{so['number']}), read back: status `{so['status']}`, subtotal {so['subtotal']}, "
                     f"shipping `{so['shipping_method']}` {so['shipping']}, taxes "
                     + ", ".join(f"{t['rate'] / 100:g}% {t['amount']}" for t in so["taxes"])
                     + f" ({'included' if so['prices_include_tax'] else 'added'}), total {so['total']} (minor units), "
                     f"payment `{so['payment_method']}`: **{'as asked' if so['ok'] else 'NOT AS ASKED: ' + '; '.join(so['problems'])}**.")
        ct = d["checks"]["contention"]
        L.append(f"Contention: {len(ct['rounds'])} round(s) of 16 customers each holding 5 units of a product with 50 in stock, "
                 "checking out at the same instant with the same body: " + "; ".join(
                     f"{x['placed']} orders placed, {x['refused_409']} refused (409), {x['other']} other, stock left {x['stock_after']}, "
                     f"units sold {x['units_sold']}" for x in ct["rounds"]) + f": **{'no oversell' if ct['ok'] else 'OVERSELL'}**.\n")
    ch = res["chat"]
    if ch:
        L.append("## Chat fan-out\n")
        L.append(f"{ch['connected']:,} of {ch['sockets']:,} sockets connected ({ch['connect_failures']} failed) in "
                 f"{ch['connect_secs']:.1f} s, all on 4 customer accounts, over 4 source addresses 127.0.0.1-4; then one "
                 f"more customer sent {ch['messages']} messages, one at a time. Per-socket delivery latency, from the send "
                 f"to the kernel's receive timestamp (`SO_TIMESTAMPNS`) of the data that completed the frame in the receiving "
                 f"socket, over {ch['deliveries']:,} deliveries: p50 **{ch['p50_ms']:.1f} ms**, p99 "
                 f"**{ch['p99_ms']:.1f} ms**, max {ch['max_ms']:.1f} ms; {ch['missing']} missing. chatload's receiving thread "
                 f"starts reading a message's frames {ch.get('settle_ms', 0)} ms after sending it, so that its own CPU "
                 f"(~5 µs per delivery, on the server's two cores) is not taken during the fan-out it measures; the "
                 f"kernel's timestamps do not depend on when it reads.")
        full = [x["all_delivered_ms"] for x in ch["per_message"]]
        L.append("Time until every socket had the message, per message: "
                 + ", ".join("—" if v is None else f"{v:.0f} ms" for v in full) + ".")
        rm = ch.get("reading_meanwhile")
        if rm:
            L.append(f"The same run again with chatload reading while the server fans out (`--settle-ms 0`, as chatload "
                     f"did until this figure moved to kernel timestamps): p50 {rm['p50_ms']:.1f} ms, p99 **{rm['p99_ms']:.1f} ms** by "
                     f"the kernel's stamps; p50 {rm['read_p50_ms']:.1f} ms, p99 **{rm['read_p99_ms']:.1f} ms** from the send to "
                     f"the return of chatload's read, the figure this section reported before "
                     f"({rm['connected']:,} sockets, {rm['missing']} missing). What separates these from the figure above is "
                     f"chatload's own reading (~5 µs of CPU per delivery), done during the fan-out on the server's two cores.")
        if ch.get("read_all_ms"):
            L.append("Time from the send until chatload had read the message's last delivery (includes the wait "
                     "before reading): " + ", ".join(f"{v:.0f} ms" for v in ch["read_all_ms"]) + ".")
        per = ((ch["rss_connected_mb"] or 0) - ch["rss_before_mb"]) * 1024 / max(ch["connected"], 1)
        L.append(f"Server (freshly started, so no other work's memory is counted) RSS: {ch['rss_before_mb']:.1f} MB before, "
                 f"{ch['rss_connected_mb'] or 0:.1f} MB with the sockets connected (**{per:.0f} KB per socket**), peak "
                 f"{ch['rss_peak_mb']:.1f} MB, {ch['rss_after_mb']:.1f} MB two seconds after they closed.\n")
    st = res["startup"]
    L.append("## Start-up and memory\n")
    L.append(f"Exec to the first `200` from `/healthz` (polled every millisecond): empty store (creates the database, "
             f"migrates, seeds the demo catalog) {fmt_list(st['cold_ms'])} ms, median {median(st['cold_ms']):.0f} ms; "
             f"existing demo store {fmt_list(st['warm_ms'])} ms, median {median(st['warm_ms']):.0f} ms"
             + (f"; existing 10k-product store {fmt_list(st['big_ms'])} ms, median {median(st['big_ms']):.0f} ms" if st.get("big_ms") else "")
             + f". Idle RSS two seconds after a fresh start: **{st['idle_rss_fresh_mb']:.1f} MB**"
             + ".\n")
    if res.get("seed"):
        s = res["seed"]
        L.append(f"The generated data set is seeded by `target/release/benchseed` (bench/chatload/src/bin/benchseed.rs) "
                 f"through the `tienda` library's store interface before the server starts: {s['products']:,} products in "
                 f"{s['categories']} categories ({s['products_secs']:.1f} s), {s['users']:,} customers sharing one argon2id "
                 f"password hash ({s['users_secs']:.1f} s; registering them through the API would cost ~35 ms of argon2 each), "
                 f"{s['orders']:,} orders of 1-3 lines via `place_order`, the checkout transaction ({s['orders_secs']:.1f} s). "
                 "Seeded users and orders queue no emails.\n")
    if res["profiles"]:
        L.append("## Profiles of the missed targets\n")
        L.append("`perf record -F 997 -p PID` on the server while the path runs again (self time, no call graphs), "
                 "grouped by what the symbol belongs to; top symbols below. Memory misses show where the resident pages are "
                 "(`/proc/PID/smaps`).\n")
        for name, p in res["profiles"].items():
            L.append(f"### {name}\n")
            if p.get("error"):
                L.append(f"Profile failed: {p['error']}\n")
                continue
            if p.get("note"):
                L.append(p["note"] + "\n")
            if p.get("categories"):
                L.append("| share of CPU samples | what |")
                L.append("| ---: | --- |")
                for label, pct in p["categories"][:8]:
                    L.append(f"| {pct:.1f}% | {label} |")
                L.append("")
                L.append("Top symbols: " + "; ".join(f"{x['pct']:.1f}% `{x['sym'][4:] if x['sym'].startswith('[') else x['sym']}` ({x['dso']})" for x in p["top"][:10]) + "\n")
            note = MISS_NOTES.get(name.split(":")[0])
            if note and any(t["id"] == name.split(":")[0] and not t["met"] for t in res["targets"]):
                L.append(note + "\n")
            if p.get("smaps"):
                s = p["smaps"]
                L.append(f"Threads {s['threads']}; {s['rss_anon']} anonymous, {s['rss_file']} file-backed. Largest mappings: "
                         + "; ".join(f"`{x['mapping']}` {x['rss_kb'] / 1024:.1f} MB ({x['mappings']} mappings)" for x in s["top"]) + "\n")
    if res["notes"]:
        L.append("## Notes\n")
        for n in res["notes"]:
            L.append(f"- {n}")
        L.append("")
    L.append("## Commands\n")
    L.append("`$WORK` is the run's temporary directory, `$PORT` the free loopback port picked for the server. "
             "Each wrk run is preceded by an unrecorded warm-up of the same command"
             f" ({res['warmup']} s); the floor runs again at the end of each set.\n")
    L.append("```sh")
    L.append("bench/run.sh            # full run: this file and results.svg")
    L.append("bench/run.sh --smoke    # a few seconds per path, written to a temporary directory")
    L.append("cargo build --release --workspace")
    for c in res["commands"]:
        L.append(c)
    L.append("```\n")
    # The sections other scripts write (sustained chat, soak) stay.
    previous = Path(path).read_text() if Path(path).exists() else ""
    carried = sections.kept(previous)
    Path(path).write_text("\n".join(L) + ("\n\n" + carried if carried else ""))


# ---------------------------------------------------------------- main

# Our reading of the profiles of targets still missed, shown under each
# profile while that target stays missed (update them with the code).
MISS_NOTES = {
    "chat": (
        "**Why it is missed, and what would reach it.** The fan-out is bound by the kernel's loopback TCP work at "
        "both ends of 10,000 connections sharing 2 cores: three quarters of the server's own samples are in the "
        "kernel, in the one `sendto` per delivery (on loopback it carries the receiver's TCP processing and its "
        "wake-up; there is no other syscall per delivery). Done: frames serialized once per audience and shared "
        "by every socket; a fan-out that writes each frame straight into the socket from a few tasks per worker "
        "instead of waking 10,000 socket tasks (which was about a quarter of the server's CPU per delivery); "
        "mimalloc (188 MB -> 77 MB for the 10,000 sockets). chatload reads with one epoll thread parsing frames by "
        "hand (~5 µs of CPU per delivery) and only after each fan-out, timing arrivals by the kernel's receive "
        "timestamps. What is left is the server's ~15 µs of CPU per delivery, nearly all kernel."
    ),
    "idle_rss": (
        "**Why it is missed.** Most of the figure is file-backed: the binary's code and read-only data that start-up "
        "touched, plus the neighbours the kernel maps around each page fault (fault-around, 64 KiB), and libc/libm; "
        "anonymous memory is about 5.5 MB. mimalloc costs ~1 MB idle and halves memory under load (taken)."
    ),
}


def profile_misses(bench, targets, servers, key):
    """Profiles each missed target whose data set is `key`, while its server runs."""
    cfg = bench.cfg
    r = bench.run
    server = servers[key]
    ds = bench.results["datasets"][key]
    # The idle memory profile first, while the process is still idle.
    for t in sorted(targets, key=lambda t: t["id"] != "idle_rss"):
        dk, what = t["profile"]
        if t["met"] or dk != key:
            continue
        name = f"{t['id']}: {t['target']}"
        data = bench.work / f"perf-{key}-{what}.data"
        done_before = next((n for n, p in bench.results["profiles"].items() if p.get("key") == (key, what)), None)
        if done_before:
            bench.results["profiles"][name] = {"note": f"Same run as profiled under {done_before.split(':')[0]}.", "key": (key, what)}
            continue
        try:
            if what == "idle_rss":
                time.sleep(2)
                bench.results["profiles"][name] = {"smaps": smaps_summary(server.pid()),
                                                   "note": f"Idle server on the {key} store, two seconds after a start, "
                                                           f"VmRSS {mb(server.rss_kb()):.1f} MB."}
                continue
            if what == "startup":
                continue  # profiled separately with a wrapped start
            if what == "chat":
                continue
            secs = 5
            perf = perf_attach(server.pid(), secs, data)
            time.sleep(0.3)
            p = ds["paths"][what]
            if what == "checkout":
                r.wrk(server, "profile-checkout", "/orders", p["conns"], threads=p["conns"], duration=secs,
                      dyn=["checkout", str(bench.work / f"{key}-checkout-tokens.txt"), str(bench.work / f"{key}-stock-products.txt"),
                           str(bench.work / f"{key}-checkout-body.json")],
                      warmup=0, record=False)
            elif what == "list_during_logins":
                bg = r.wrk_background(server, "/auth/login", cfg["login_conns"], 2, secs + 1,
                                      ["login", str(bench.work / f"{key}-emails.txt"), PASSWORD])
                r.wrk(server, "profile-list-logins", "/products", p["conns"], duration=secs, warmup=0, record=False)
                bg.communicate(timeout=60)
            elif what == "cart_get":
                r.wrk(server, "profile-cart_get", "/cart", p["conns"], duration=secs, warmup=0, record=False,
                      dyn=["get_auth", str(bench.work / f"{key}-cart-tokens.txt")])
            else:
                headers = ["Accept: text/html"] if what == "product_html" else []
                r.wrk(server, f"profile-{what}", p["path"], p["conns"], duration=secs, headers=headers, warmup=0, record=False)
            perf.wait(timeout=60)
            bench.results["profiles"][name] = dict(perf_report(data), key=(key, what),
                                                   note=f"Profiled on the {key} data set, `{PATH_LABELS[what]}`.")
            bench.rec.add(["perf", "record", "-F", "997", "-p", "$PID", "-o", "perf.data", "--", "sleep", str(secs)])
            bench.rec.add(["perf", "report", "-i", "perf.data", "--stdio", "--no-children", "--sort", "dso,sym", "-g", "none"])
            log(f"  profiled {what}: " + ", ".join(f"{l} {v:.0f}%" for l, v in bench.results["profiles"][name]["categories"][:4]))
        except Exception as e:  # noqa: BLE001 - a failed profile must not lose the figures
            bench.results["profiles"][name] = {"error": str(e)[:300]}


def profile_chat(bench, server, targets):
    t = next((t for t in targets if t["id"] == "chat" and not t["met"]), None)
    if not t:
        return
    name = f"chat: {t['target']}"
    data = bench.work / "perf-chat.data"
    argv = bench.chat_argv[:]
    i = argv.index("--sockets")
    argv[i + 1] = str(min(int(argv[i + 1]), CHAT_SOCKETS))
    argv[argv.index("--addr") + 1] = f"127.0.0.1:{server.port}"
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        smaps, last, perf = None, "", None
        t0 = time.monotonic()
        for line in p.stdout:  # bounded: chatload stops itself (--deadline-secs)
            last = line.strip() or last
            if line.startswith("READY") and smaps is None:
                # The whole machine from here on: the fan-out, not the
                # handshakes, and the load client's share beside the server's.
                perf = perf_attach(None, 90, data)
                time.sleep(1.0)
                smaps = smaps_summary(server.pid())
            if time.monotonic() - t0 > 280:
                p.kill()
                break
        p.wait(timeout=30)
        if perf is None:
            raise BenchError("chatload never reported READY")
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=60)
        prof = perf_report(data, only_pid=server.pid())
        split = cpu_by_process(data, {server.pid(): "tienda (server)", p.pid: "chatload (load client)"})
        prof["note"] = ("CPU: `perf record -a` over the whole machine from the moment every socket is connected until "
                        "chatload ends (the messages' fan-out). Busy CPU by process: "
                        + ", ".join(f"{k} {v:.0f}%" for k, v in split)
                        + ". The table is the server's own samples. Memory: with the sockets connected. chatload said: `"
                        + last[:300] + "`")
        prof["smaps"] = smaps
        bench.results["profiles"][name] = prof
    except Exception as e:  # noqa: BLE001
        bench.results["profiles"][name] = {"error": str(e)[:300]}


def profile_startup(bench, targets):
    t = next((t for t in targets if t["id"] == "startup" and not t["met"]), None)
    if not t:
        return
    name = f"startup: {t['target']}"
    data = bench.work / "perf-startup.data"
    try:
        s = bench.new_server("perfstart", bench.work / "startup-perf")
        ms = s.start(wrapper=["perf", "record", "-F", "20000", "-g", "-o", str(data), "--"])
        # perf's child is the server: stop it, perf then writes its data.
        kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(s.pid())], capture_output=True, text=True).stdout.split()
        for k in kids:
            os.kill(int(k), signal.SIGTERM)
        s.proc.wait(timeout=30)
        s.proc = None
        prof = perf_report(data)
        prof["note"] = f"One start on an empty store under `perf record -F 20000` ({ms:.0f} ms with perf attached)."
        bench.results["profiles"][name] = prof
    except Exception as e:  # noqa: BLE001
        bench.results["profiles"][name] = {"error": str(e)[:300]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="a few seconds per path, small data, temp output")
    ap.add_argument("--out", help="directory for RESULTS.md, results.svg, results.json")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--profile", action="store_true", help="profile missed targets in smoke mode too")
    ap.add_argument("--render", metavar="RESULTS_JSON", help="only rewrite RESULTS.md and results.svg beside it")
    args = ap.parse_args()
    if args.render:
        res = json.loads(Path(args.render).read_text())
        write_svg(res, Path(args.render).parent / "results.svg")
        write_markdown(res, Path(args.render).parent / "RESULTS.md", "results.svg")
        return 0
    cfg = dict(SMOKE if args.smoke else FULL)
    if args.profile:
        cfg["profile"] = True
    for tool in (BIN, CHATLOAD, SEED):
        if not tool.exists():
            sys.exit(f"{tool} is missing: run `cargo build --release --workspace` (bench/run.sh does)")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk (bench/run.sh does)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = Path(tempfile.mkdtemp(prefix=f"tienda-bench-{cfg['mode']}-"))
    out = Path(args.out) if args.out else (work / "out" if args.smoke else ROOT / "bench")
    out.mkdir(parents=True, exist_ok=True)
    bench = Bench(cfg, out, work)
    res = bench.results
    res["machine"] = machine_info()
    res["load_before"] = loadavg()
    res["warmup"] = cfg["warmup"]
    started = time.monotonic()

    def watchdog(signum, frame):
        raise BenchError(f"the run overstayed its {cfg['deadline']} s bound")

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(cfg["deadline"])
    ok = False
    try:
        log(f"mode {cfg['mode']}, work dir {work}, results to {out}")
        bench.measure_startups()

        # Demo catalog.
        demo = bench.new_server("demo", work / "demo")
        demo.start()
        bench.dataset("demo", "demo catalog", demo, cfg["demo_users"], seeded=False, chat_users=True)
        demo.stop()
        demo.start()
        bench.chat_argv = bench.chat(demo)
        demo.stop()  # idle meanwhile; restarted on the same store if a demo miss needs a profile

        # Generated catalog, seeded before its server starts.
        b = cfg["big"]
        big_dir = work / "big"
        big_dir.mkdir()
        seed_argv = [str(SEED), "--store-url", f"sqlite://{big_dir}/tienda.db", "--products", str(b["products"]),
                     "--users", str(b["users"]), "--orders", str(b["orders"]), "--password", PASSWORD,
                     "--email-prefix", USER_PREFIX]
        bench.rec.add(seed_argv)
        log(f"seeding {b['products']} products, {b['users']} users, {b['orders']} orders")
        p = subprocess.run(seed_argv, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise BenchError(f"benchseed failed: {p.stderr[-800:]}")
        res["seed"] = json.loads(p.stdout.strip().splitlines()[-1])
        log(f"seeded in {res['seed']['total_secs']:.1f} s")
        big = bench.new_server("big", big_dir, demo_catalog=False)
        big_ms = []
        for _ in range(cfg["startups"]):
            big_ms.append(big.start())
            big.stop()
        big_ms.append(big.start())
        res["startup"]["big_ms"] = big_ms
        bench.dataset("big", f"generated ({b['products']:,} products, {b['users']:,} users, {b['orders']:,} orders)",
                      big, b["users"], seeded=True)

        targets = evaluate(res)
        res["targets"] = targets
        if cfg["profile"]:
            log("profiling missed targets")
            profile_misses(bench, targets, {"big": big}, "big")
            big.stop()
            if any(not t["met"] and t["profile"][0] == "demo" for t in targets):
                demo.start()
                profile_misses(bench, targets, {"demo": demo}, "demo")
                demo.stop()
                demo.start()  # a fresh process, so the chat memory profile is the sockets' own
                profile_chat(bench, demo, targets)
            profile_startup(bench, targets)
        for s in (demo, big):
            if s.proc is not None and not s.alive():
                raise BenchError(f"server {s.name} died (code {s.proc.returncode}); log:\n{tail(s.log_path)}")
        rcs = {s.name: s.stop() for s in (demo, big)}
        for name, rc in rcs.items():
            if rc not in (0, None):
                bench.run.failures.append(f"server {name} exited with code {rc} at shutdown")
        ok = True
    except BenchError as e:
        log(f"FAILED: {e}")
        bench.run.failures.append(str(e))
    finally:
        signal.alarm(0)
        bench.stop_all()

    res["load_after"] = loadavg()
    res["elapsed_s"] = time.monotonic() - started
    res["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    res["commands"] = bench.rec.commands
    res["failures"] = bench.run.failures
    (out / "results.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    if ok:
        write_svg(res, out / "results.svg")
        write_markdown(res, out / "RESULTS.md", "results.svg")
        log(f"wrote {out / 'RESULTS.md'} and {out / 'results.svg'}")
        for t in res["targets"]:
            log(f"  {'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['figure']}")
    if not args.keep and not args.smoke:
        shutil.rmtree(work, ignore_errors=True)
    if bench.run.failures:
        log("errors: " + "; ".join(bench.run.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
