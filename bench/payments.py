#!/usr/bin/env python3
"""Checkout with shipping, tax and payment, and Stripe's webhook (issue 21's
performance targets).

    python3 bench/payments.py [--smoke] [--duration 10] [--rounds 3] [--orders 12000]
                              [--stripe-python PATH] [--no-results] [--keep]

Starts localstripe (the Stripe emulator, as scripts/test.sh step 3b does: its
aiohttp app on a free loopback port, state in memory) and the release binary
on a fresh SQLite store (demo catalog, development profile) with the payment
methods `bank_transfer` and `stripe`, Stripe's API at localstripe, then:

1. Checkout: 16 customers, each its own wrk thread and connection,
   alternating `POST /cart` (1 unit) and `POST /orders` with bench.py's body
   (a structured address in ES, `shipping_method: "standard"`,
   `payment_method: "bank_transfer"`; ES 21% included in the prices), for
   `--rounds` runs, each just after a `/healthz` floor run on the same
   server (the ratio compares neighbours). Target >= 2,000 orders/s. Then the
   oversell checks of bench.py: stock + units sold = initial stock on the
   products bought, and 16 customers racing for 50 units.
2. Card orders: `--orders` orders paid with `stripe`, placed through the API
   by 16 customers at once; each gets its PaymentIntent from localstripe
   during checkout (informational: localstripe, a Python process on the same
   2 cores, sets that pace).
3. Webhooks: signed `payment_intent.succeeded` events for those orders, and
   their duplicates: per order, the event `evt_A` twice, a second succeeded
   event `evt_B` for the same intent, and for every second order a
   `payment_intent.payment_failed` (an earlier attempt) too; shuffled within
   windows of 32 orders so that copies of one event race on different
   connections and arrive out of order. The bodies are signed here
   (HMAC-SHA256 of "{t}.{body}" with the webhook secret, t = now, inside the
   default 300 s tolerance) and replayed by wrk from a file (bench/wrk/
   dynamic.lua `webhook`): wrk's Lua has no HMAC, and pre-signed deliveries
   are exactly what a replaying attacker or Stripe's retries send. 64
   connections for `--duration` s after a floor run. Target >= 1,000 events/s.
   Afterwards every order's `evt_A` is sent once more (a late replay of the
   whole set, untimed), so that every order has had its event; then exactly
   once: each order `paid` with one `paid` history entry, `payment.paid ==
   total`, one payment-received mail in the outbox, and each event id
   recorded once.
Writes the `payments` section of bench/RESULTS.md (bench.py keeps it) unless
`--smoke` or `--no-results`. Build first: cargo build --release --bin tienda.
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
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

CHECKOUT_OPS = 2000
WEBHOOK_EPS = 1000
CUSTOMERS = 16
WINDOW = 32
SECRET_KEY = "sk_test_bench_payments"
WEBHOOK_SECRET = "whsec_bench_payments_0123456789abcdef"
PUBLISHABLE_KEY = "pk_test_bench_payments"

LOCALSTRIPE = """
import sys
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.Store.dump_to_disk = lambda self: None
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def stripe_python(given):
    """A Python that imports localstripe: --stripe-python, then scripts/test.sh's venv."""
    root = bench.ROOT
    candidates = [given, os.environ.get("TIENDA_BENCH_STRIPE_PYTHON")]
    venv = os.environ.get("TIENDA_TEST_VENV")
    if venv:
        candidates.append(str(Path(venv) / "bin/python"))
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    candidates += [str(target / "test-venv/bin/python"), sys.executable]
    for c in candidates:
        if c and Path(c).exists():
            if subprocess.run([c, "-c", "import localstripe"], capture_output=True).returncode == 0:
                return c
    return None


class StripeServer(bench.Server):
    """tienda with card payments on, Stripe's API at localstripe."""

    def __init__(self, stripe_url, *a, **kw):
        super().__init__(*a, **kw)
        self.stripe_url = stripe_url

    def env(self):
        env = super().env()
        env.update({
            "TIENDA_PAYMENT__METHODS": '["bank_transfer","stripe"]',
            "TIENDA_PAYMENT__STRIPE__SECRET_KEY": SECRET_KEY,
            "TIENDA_PAYMENT__STRIPE__WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TIENDA_PAYMENT__STRIPE__PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "TIENDA_PAYMENT__STRIPE__API_BASE": self.stripe_url,
        })
        return env


def start_localstripe(python, work, recorder):
    port = bench.free_port()
    script = work / "localstripe_serve.py"
    script.write_text(LOCALSTRIPE)
    logf = open(work / "localstripe.log", "ab")
    proc = subprocess.Popen([python, str(script), str(port)], stdout=logf, stderr=subprocess.STDOUT,
                            cwd=work)
    logf.close()
    recorder.commands.append(f"{Path(python).name} $WORK/localstripe_serve.py $STRIPE_PORT   "
                             "# localstripe's aiohttp app, state in memory (scripts/test.sh step 3b)")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        if proc.poll() is not None:
            raise bench.BenchError(f"localstripe exited: {bench.tail(work / 'localstripe.log')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise bench.BenchError("localstripe did not open its port in 30 s")


def sign(body, t):
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_body(event_id, kind, order, created):
    obj = {
        "id": order["intent_id"], "object": "payment_intent", "amount": order["total"],
        "currency": "eur", "metadata": {"order_number": str(order["number"])},
    }
    if kind == "payment_intent.succeeded":
        obj.update(amount_received=order["total"], status="succeeded")
    else:
        obj.update(amount_received=0, status="requires_payment_method",
                   last_payment_error={"code": "card_declined", "message": "Your card was declined."})
    return json.dumps({
        "id": event_id, "object": "event", "api_version": "2024-06-20", "created": created,
        "livemode": False, "pending_webhooks": 1, "type": kind, "data": {"object": obj},
    }, separators=(",", ":")).encode()


def deliveries(orders, rng, tag):
    """The deliveries for `orders`, in the order they are sent: per order evt_A
    twice, evt_B once, and for every second order a payment_failed; shuffled
    within windows of WINDOW orders. Returns (bodies in send order, event ids)."""
    now = int(time.time())
    out, ids = [], set()
    for w in range(0, len(orders), WINDOW):
        window = []
        for k, o in enumerate(orders[w:w + WINDOW]):
            n = o["number"]
            a = event_body(f"evt_{tag}_{n}_A", "payment_intent.succeeded", o, now)
            b = event_body(f"evt_{tag}_{n}_B", "payment_intent.succeeded", o, now)
            window += [a, a, b]
            ids.update({f"evt_{tag}_{n}_A", f"evt_{tag}_{n}_B"})
            if (w + k) % 2 == 0:
                window.append(event_body(f"evt_{tag}_{n}_F", "payment_intent.payment_failed", o, now - 60))
                ids.add(f"evt_{tag}_{n}_F")
        rng.shuffle(window)
        out += window
    return out, ids


def write_deliveries(path, bodies):
    t = int(time.time())
    with open(path, "w") as f:
        for body in bodies:
            f.write(sign(body, t) + "\t" + body.decode() + "\n")
    return str(path)


def post_event(port, body, conn=None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/payments/stripe/webhook", body=body, headers={
        "Stripe-Signature": sign(body, int(time.time())), "Content-Type": "application/json"})
    r = conn.getresponse()
    return conn, r.status, json.loads(r.read() or b"null")


def place_card_orders(port, tokens, stock_ids, n, body):
    """`n` card orders by len(tokens) customers at once; returns (orders, seconds, failures)."""
    lock = threading.Lock()
    left = [n]
    orders, failures = [], []

    def customer(k):
        tok = tokens[k]
        pid = stock_ids[k % len(stock_ids)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json", "Accept": "application/json"}
        mine = []
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            conn.request("POST", "/cart", body=json.dumps({"product_id": pid, "quantity": 1}), headers=h)
            r = conn.getresponse()
            r.read()
            conn.request("POST", "/orders", body=json.dumps(body), headers=h)
            r = conn.getresponse()
            raw = r.read()
            if r.status != 201:
                failures.append(f"{r.status} {raw[:200]!r}")
                if len(failures) > 20:
                    break
                continue
            o = json.loads(raw)
            mine.append({"number": o["number"], "total": o["total"], "intent_id": o["payment"].get("intent_id")})
        conn.close()
        with lock:
            orders.extend(mine)

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(tokens)) as ex:
        list(ex.map(customer, range(len(tokens))))
    secs = time.perf_counter() - t0
    orders.sort(key=lambda o: o["number"])
    return orders, secs, failures


def replay_all(port, bodies, workers=8):
    """Sends each body once more, signed now (a late replay); returns outcome counts."""
    counts = {}
    lock = threading.Lock()
    chunks = [bodies[k::workers] for k in range(workers)]

    def run(chunk):
        conn = None
        mine = {}
        for body in chunk:
            conn, status, answer = post_event(port, body, conn)
            key = answer.get("outcome") if status == 200 and isinstance(answer, dict) else f"HTTP {status}"
            mine[key] = mine.get(key, 0) + 1
        if conn:
            conn.close()
        with lock:
            for k, v in mine.items():
                counts[k] = counts.get(k, 0) + v

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        list(ex.map(run, chunks))
    return counts


def exactly_once(db, orders, event_ids, replayed_ids):
    """Checks each order in the store: paid once, for its total, one
    payment-received mail; the events recorded (each once: the table's key)
    are among those sent and include every one replayed to all orders (wrk
    may not have reached the end of its file, so not every id was sent)."""
    numbers = [o["number"] for o in orders]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        con.execute("CREATE TEMP TABLE bench_orders (number INTEGER PRIMARY KEY)")
        con.executemany("INSERT INTO bench_orders VALUES (?)", [(n,) for n in numbers])
        rows = con.execute(
            "SELECT o.number, o.status, o.total, o.history, o.details FROM orders o JOIN bench_orders b USING (number)"
        ).fetchall()
        mails = dict(con.execute(
            "SELECT CAST(json_extract(payload, '$.order.number') AS INTEGER) AS n, COUNT(*) FROM outbox "
            "WHERE json_extract(payload, '$.event') = 'payment_received' GROUP BY n").fetchall())
        mails_all = int(con.execute(
            "SELECT COUNT(*) FROM outbox WHERE json_extract(payload, '$.event') = 'payment_received'").fetchone()[0])
        recorded = int(con.execute(
            "SELECT COUNT(*) FROM payment_events WHERE order_number IN (SELECT number FROM bench_orders)").fetchone()[0])
        recorded_ids = {r[0] for r in con.execute(
            "SELECT id FROM payment_events WHERE order_number IN (SELECT number FROM bench_orders)")}
        outbox_total = int(con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    finally:
        con.close()
    bad = []
    paid_once = amount_ok = mail_once = status_paid = 0
    for number, status, total, history, details in rows:
        hist = json.loads(history)
        pay = json.loads(details).get("payment", {})
        p = sum(1 for h in hist if h.get("status") == "paid")
        ok_p, ok_a, ok_m, ok_s = p == 1, pay.get("paid") == total, mails.get(number, 0) == 1, status == "paid"
        paid_once += ok_p
        amount_ok += ok_a
        mail_once += ok_m
        status_paid += ok_s
        if not (ok_p and ok_a and ok_m and ok_s) and len(bad) < 5:
            bad.append({"number": number, "status": status, "paid_entries": p, "paid": pay.get("paid"),
                        "total": total, "mails": mails.get(number, 0)})
    n = len(numbers)
    return {
        "orders": n, "found": len(rows), "status_paid": status_paid, "one_paid_entry": paid_once,
        "paid_equals_total": amount_ok, "one_mail": mail_once, "payment_received_mails": mails_all,
        "events_prepared": len(event_ids), "events_recorded": recorded,
        "events_recorded_match": recorded_ids <= event_ids and replayed_ids <= recorded_ids,
        "outbox_total": outbox_total,
        "examples": bad,
        "ok": len(rows) == n == status_paid == paid_once == amount_ok == mail_once == mails_all
        and recorded_ids <= event_ids and replayed_ids <= recorded_ids,
    }


def api_spot_check(port, admin, orders, k=20):
    """A sample of the orders read through the API as the admin."""
    bad = []
    for o in random.Random(7).sample(orders, min(k, len(orders))):
        got = bench.must(bench.api(port, "GET", f"/orders/{o['number']}", token=admin), 200, what="order")
        pay = got["payment"]
        paid = [h for h in got.get("history", []) if h.get("status") == "paid"]
        if not (got["status"] == "paid" and pay.get("paid") == got["total"] == o["total"] and len(paid) == 1):
            bad.append({"number": o["number"], "status": got["status"], "paid": pay.get("paid"), "history": len(paid)})
    return {"checked": min(k, len(orders)), "bad": bad}


def profile_checkout(runner, server, work, tokens_file, stock_file, body_file, secs=5):
    """`perf record` of the server over one more checkout run (as bench.py profiles a missed target)."""
    if not shutil.which("perf"):
        return {"error": "perf is not installed"}
    data = work / "perf-checkout.data"
    try:
        perf = bench.perf_attach(server.pid(), secs, data)
        time.sleep(0.3)
        run = runner.wrk(server, "profile-checkout", "/orders", CUSTOMERS, threads=CUSTOMERS, duration=secs, warmup=0,
                         record=False, dyn=["checkout", tokens_file, stock_file, body_file])
        perf.wait(timeout=60)
        prof = bench.perf_report(data, top=15)
        prof["orders_per_s"] = run["orders_ok"] / (run["duration_us"] / 1e6)
        prof["cpu_us_per_req"] = run["cpu_us_per_req"]
        bench.log("  profiled checkout: " + ", ".join(f"{l} {v:.0f}%" for l, v in prof["categories"][:5]))
        return prof
    except Exception as e:  # noqa: BLE001 - a failed profile must not lose the figures
        return {"error": str(e)[:300]}


def busy_share():
    """(busy, total) jiffies of the whole machine so far (from /proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return sum(f) - idle, sum(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds, not minutes; results in a temp dir")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (full 10, smoke 2)")
    ap.add_argument("--rounds", type=int, help="checkout runs, each after a floor (full 3, smoke 1)")
    ap.add_argument("--orders", type=int, help="card orders the measured webhook run draws on (full 24000, smoke 300)")
    ap.add_argument("--webhook-duration", type=int, help="seconds of the webhook run (full 8, smoke 2)")
    ap.add_argument("--stripe-python", help="a python that imports localstripe (default: scripts/test.sh's venv)")
    ap.add_argument("--profile", action="store_true", help="profile the checkout run even if it meets its target")
    ap.add_argument("--if-stripe", action="store_true", help="skip (exit 0) when no python has localstripe")
    ap.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    smoke = args.smoke
    duration = args.duration or (2 if smoke else 10)
    rounds = args.rounds or (1 if smoke else 3)
    n_orders = args.orders or (300 if smoke else 24_000)
    wh_duration = args.webhook_duration or (2 if smoke else 8)
    n_warm = 100 if smoke else 1000

    if not bench.BIN.exists():
        sys.exit(f"{bench.BIN} is missing: cargo build --release --bin tienda")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk (bench/run.sh does)")
    python = stripe_python(args.stripe_python)
    if not python and args.if_stripe:
        bench.log("payments: skipped, no python with localstripe (set TIENDA_TEST_VENV or pass --stripe-python)")
        return 0
    if not python:
        sys.exit("no python with localstripe: pass --stripe-python, or set TIENDA_TEST_VENV (scripts/test.sh installs it)")

    work = Path(tempfile.mkdtemp(prefix="tienda-payments-"))
    cfg = dict(bench.SMOKE if smoke else bench.FULL, duration=duration, warmup=1 if smoke else 2)
    b = bench.Bench(cfg, work, work)
    runner, recorder = b.run, b.rec
    res = {"mode": "smoke" if smoke else "full", "load_before": bench.loadavg(), "duration": duration,
           "webhook_duration": wh_duration,
           "rounds": rounds, "machine": bench.machine_info()}
    stripe_proc = None
    stripe_port = None
    server = None
    started = time.monotonic()
    ok = False
    try:
        stripe_proc, stripe_port = start_localstripe(python, work, recorder)
        server = StripeServer(f"http://127.0.0.1:{stripe_port}", work, "payments", work / "store", recorder)
        b.servers.append(server)
        server.start()
        port = server.port
        db = server.data_dir / "tienda.db"
        bench.log(f"tienda on {port}, localstripe on {stripe_port}, work dir {work}")

        bench.register(port, bench.ADMIN, "Bench Admin")
        admin = bench.login(port, bench.ADMIN)
        users = 3 * CUSTOMERS
        bench.pmap(lambda n: bench.register(port, bench.user_email(n), f"Bench Customer {n}"), range(users))
        tokens = bench.pmap(lambda n: bench.login(port, bench.user_email(n)), range(users))
        co_tokens, race_tokens, card_tokens = tokens[:CUSTOMERS], tokens[CUSTOMERS:2 * CUSTOMERS], tokens[2 * CUSTOMERS:]
        co_emails = [bench.user_email(n) for n in range(CUSTOMERS)]
        stock_ids = [bench.create_product(port, admin, f"Bench stock {k}", bench.MAX_STOCK) for k in range(4)]
        card_stock = [bench.create_product(port, admin, f"Bench card stock {k}", bench.MAX_STOCK) for k in range(4)]
        tokens_file = b.write_lines("checkout-tokens.txt", co_tokens)
        stock_file = b.write_lines("stock-products.txt", stock_ids)
        body_file = bench.write_checkout_body(work / "checkout-body.json")
        methods = bench.must(bench.api(port, "GET", "/shipping-methods", token=admin), 200, what="shipping methods")
        res["shipping_methods"] = methods
        bench.wait_outbox(db, cfg["drain_s"])

        # 1. Checkout with the full body.
        co_runs = []
        for k in range(rounds):
            floor = runner.wrk(server, "floor", "/healthz", cfg["conns"], record=k == 0)
            before = {}
            busy0 = busy_share()
            co = runner.wrk(server, "checkout", "/orders", CUSTOMERS, threads=CUSTOMERS,
                            dyn=["checkout", tokens_file, stock_file, body_file], record=k == 0,
                            on_measure=lambda: before.update(orders=bench.orders_of(db, co_emails)))
            busy1 = busy_share()
            co["orders_per_s"] = co["orders_ok"] / (co["duration_us"] / 1e6)
            co["floor_rps"] = floor["rps"]
            co["machine_busy"] = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
            co["orders_in_store"] = bench.orders_of(db, co_emails) - before["orders"]
            co_runs.append(co)
            drain = bench.wait_outbox(db, cfg["drain_s"])
            co["mail_drain"] = drain
            bench.log(f"  checkout round {k + 1}: {co['orders_per_s']:,.0f} orders/s, floor {floor['rps']:,.0f} req/s, "
                      f"ratio {co['orders_per_s'] / floor['rps']:.3f}; mail backlog {drain['pending']} ({drain['secs']:.1f} s)")
        res["checkout_runs"] = co_runs
        res["checkout_stock"] = bench.stock_check(port, db, stock_ids)
        res["checkout_order"] = bench.check_checkout_order(port, admin, bench.last_order_of(db, co_emails))
        if not res["checkout_order"]["ok"]:
            runner.failures.append(f"checkout order not as asked: {res['checkout_order']['problems']}")
        if not res["checkout_stock"]["consistent"]:
            runner.failures.append(f"checkout stock mismatch: {res['checkout_stock']}")
        if res["checkout_stock"]["api_stale"]:
            bench.log(f"  GET /products/ID shows a stale stock: {res['checkout_stock']['api_stale']}")
        res["contention"] = b.contention(port, admin, race_tokens, db)
        med = statistics.median(c["orders_per_s"] for c in co_runs)
        if args.profile or (not smoke and med < CHECKOUT_OPS):
            res["checkout_profile"] = profile_checkout(runner, server, work, tokens_file, stock_file, body_file)
            bench.wait_outbox(db, cfg["drain_s"])

        # 2. Card orders, each with its PaymentIntent from localstripe.
        card_body = dict(bench.CHECKOUT_BODY, payment_method="stripe")
        bench.log(f"placing {n_warm + n_orders:,} card orders (PaymentIntents from localstripe)")
        orders, secs, failures = place_card_orders(port, card_tokens, card_stock, n_warm + n_orders, card_body)
        if failures:
            raise bench.BenchError(f"card checkout failed {len(failures)} times: {failures[:3]}")
        missing = [o for o in orders if not o["intent_id"]]
        if missing:
            raise bench.BenchError(f"{len(missing)} card orders have no PaymentIntent")
        res["card_orders"] = {"orders": len(orders), "secs": secs, "per_s": len(orders) / secs}
        bench.log(f"  {len(orders):,} card orders in {secs:.1f} s ({len(orders) / secs:,.0f}/s)")
        bench.wait_outbox(db, cfg["drain_s"])
        warm, measured = orders[:n_warm], orders[n_warm:]

        # 3. Webhooks.
        rng = random.Random(21)
        warm_bodies, warm_ids = deliveries(warm, rng, "w")
        bodies, ids = deliveries(measured, rng, "m")
        threads = 2
        warm_file = write_deliveries(work / "webhooks-warmup.txt", warm_bodies)
        runner.wrk(server, "webhooks-warmup", "/payments/stripe/webhook", cfg["conns"], threads=threads,
                   duration=1, warmup=0, record=False, dyn=["webhook", warm_file, str(threads)])
        floor = runner.wrk(server, "floor", "/healthz", cfg["conns"], record=False)
        events_file = write_deliveries(work / "webhooks.txt", bodies)
        busy0 = busy_share()
        wh = runner.wrk(server, "webhooks", "/payments/stripe/webhook", cfg["conns"], threads=threads,
                        duration=wh_duration, warmup=0, dyn=["webhook", events_file, str(threads)])
        busy1 = busy_share()
        floor_after = runner.wrk(server, "floor", "/healthz", cfg["conns"], record=False)
        wh["floor_rps"] = floor["rps"]
        wh["floor_after_rps"] = floor_after["rps"]
        wh["machine_busy"] = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
        wh["deliveries_prepared"] = len(bodies)
        wh["event_ids"] = len(ids)
        wh["orders"] = len(measured)
        res["webhooks"] = wh
        bench.log(f"  webhooks: {wh['rps']:,.0f} events/s (applied {wh['applied']:,}, unchanged {wh['unchanged']:,}, "
                  f"ignored {wh['ignored']:,}, wrapped {wh['wrapped']:,}) of {len(bodies):,} prepared; floor "
                  f"{floor['rps']:,.0f} / {floor_after['rps']:,.0f} req/s")
        if wh["wrapped"]:
            res.setdefault("notes", []).append(
                f"wrk went through all {len(bodies):,} deliveries and sent {wh['wrapped']:,} of them again (replays) "
                "before its time was up: a larger --orders would keep the first-delivery share.")

        # A late replay of every order's evt_A (and of the warm-up's), then the checks.
        replay = [event_body(f"evt_m_{o['number']}_A", "payment_intent.succeeded", o, int(time.time()))
                  for o in measured] + [event_body(f"evt_w_{o['number']}_A", "payment_intent.succeeded", o, int(time.time()))
                                        for o in warm]
        t0 = time.perf_counter()
        res["replay"] = {"outcomes": replay_all(port, replay), "secs": time.perf_counter() - t0, "sent": len(replay)}
        bench.log(f"  late replay of {len(replay):,} events: {res['replay']['outcomes']}")
        drain = bench.wait_outbox(db, cfg["drain_s"])
        res["webhook_mail_drain"] = drain
        replayed_ids = {f"evt_m_{o['number']}_A" for o in measured} | {f"evt_w_{o['number']}_A" for o in warm}
        check = exactly_once(db, orders, ids | warm_ids, replayed_ids)
        mail_api = bench.must(bench.api(port, "GET", "/admin/mail?limit=1", token=admin), 200, what="admin mail")
        check["outbox_total_api"] = mail_api["total"]
        check["ok"] = check["ok"] and mail_api["total"] == check["outbox_total"]
        check["api_spot_check"] = api_spot_check(port, admin, orders)
        check["ok"] = check["ok"] and not check["api_spot_check"]["bad"]
        res["exactly_once"] = check
        bench.log(f"  exactly once: {'yes' if check['ok'] else 'NO'}: {json.dumps({k: v for k, v in check.items() if k != 'examples'})}")
        if not check["ok"]:
            runner.failures.append(f"webhooks not exactly once: {check}")
        for key, out in (("replay", res["replay"]["outcomes"]),):
            if any(k.startswith("HTTP") for k in out):
                runner.failures.append(f"{key}: {out}")
        if not server.alive():
            raise bench.BenchError(f"server died; log:\n{bench.tail(server.log_path)}")
        rc = server.stop()
        if rc not in (0, None):
            runner.failures.append(f"server exited with code {rc} at shutdown")
        ok = True
    except bench.BenchError as e:
        bench.log(f"FAILED: {e}")
        runner.failures.append(str(e))
    finally:
        b.stop_all()
        if stripe_proc is not None:
            stripe_proc.terminate()
            try:
                stripe_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stripe_proc.kill()

    res["load_after"] = bench.loadavg()
    res["elapsed_s"] = time.monotonic() - started
    res["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    res["commands"] = [c.replace(f"127.0.0.1:{stripe_port}", "127.0.0.1:$STRIPE_PORT") if stripe_port else c
                       for c in recorder.commands]
    res["failures"] = runner.failures
    (work / "payments.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    bench.log(f"figures in {work / 'payments.json'}")
    if ok:
        md = markdown(res)
        print(md)
        if not smoke and not args.no_results:
            sections.update("payments", md)
            bench.log(f"wrote the payments section of {sections.RESULTS}")
    if not args.keep and not smoke:
        shutil.rmtree(work, ignore_errors=True)
    if runner.failures:
        bench.log("errors: " + "; ".join(runner.failures))
        return 1
    return 0


def commit():
    p = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=bench.ROOT, capture_output=True, text=True)
    return p.stdout.strip() or "?"


def markdown(res):
    co = res["checkout_runs"]
    ops = [c["orders_per_s"] for c in co]
    ratios = [c["orders_per_s"] / c["floor_rps"] for c in co]
    med_ops = statistics.median(ops)
    wh = res["webhooks"]
    eo = res["exactly_once"]
    ct = res["contention"]
    cs = res["checkout_stock"]
    so = res["checkout_order"]
    no_oversell = cs["consistent"] and ct["ok"]
    L = ["## Checkout with shipping, tax and payment; Stripe webhooks (bench/payments.py)\n"]
    L.append(f"Generated {res['finished']} by `python3 bench/payments.py` at commit `{commit()}` ({res['elapsed_s'] / 60:.1f} min): "
             "release build, SQLite store (demo catalog, development profile), payment methods `bank_transfer` and `stripe` "
             "with Stripe's API at localstripe (in memory, on loopback); tienda, localstripe, wrk and this driver on the "
             f"same 2 cores. Load average before / after: {' '.join(res['load_before'])} / {' '.join(res['load_after'])} (the machine is shared "
             "with other builds; each figure is shown beside a `/healthz` floor measured just before it on the same server).\n")
    L.append("| target | measured | |")
    L.append("| --- | --- | --- |")
    L.append(f"| checkout (structured address, shipping method, tax, bank transfer) >= {CHECKOUT_OPS:,} orders/s, "
             f"16 customers, zero oversell | median {med_ops:,.0f} orders/s = {med_ops / CHECKOUT_OPS:.2f}x the target "
             f"({', '.join(f'{x:,.0f}' for x in ops)}); {'no oversell' if no_oversell else 'OVERSELL OR STOCK MISMATCH'} | "
             f"**{'met' if med_ops >= CHECKOUT_OPS and no_oversell else 'missed'}** |")
    L.append(f"| webhooks >= {WEBHOOK_EPS:,} events/s, exactly-once effects | {wh['rps']:,.0f} events/s = "
             f"{wh['rps'] / WEBHOOK_EPS:.2f}x the target; {eo['orders']:,} orders paid once each: "
             f"{'yes' if eo['ok'] else 'NO'} | **{'met' if wh['rps'] >= WEBHOOK_EPS and eo['ok'] else 'missed'}** |\n")
    L.append("| run | conns | req/s | orders or events/s | floor req/s | × floor | p50 ms | p99 ms | errors | server CPU µs/req | machine busy |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k, c in enumerate(co):
        L.append(f"| POST /cart + POST /orders, round {k + 1} | {c['conns']} | {c['rps']:,.0f} | {c['orders_per_s']:,.0f} | "
                 f"{c['floor_rps']:,.0f} | {c['orders_per_s'] / c['floor_rps']:.3f} | {c['p50_ms']:.2f} | {c['p99_ms']:.2f} | "
                 f"{c['errors']} | {c['cpu_us_per_req'] or 0:.0f} | {c['machine_busy']:.0%} |")
    L.append(f"| POST /payments/stripe/webhook | {wh['conns']} | {wh['rps']:,.0f} | {wh['rps']:,.0f} | {wh['floor_rps']:,.0f} | "
             f"{wh['rps'] / wh['floor_rps']:.3f} | {wh['p50_ms']:.2f} | {wh['p99_ms']:.2f} | {wh['errors']} | "
             f"{wh['cpu_us_per_req'] or 0:.0f} | {wh['machine_busy']:.0%} |\n")
    L.append(f"Checkout: {CUSTOMERS} customers, each its own wrk thread and connection, alternating `POST /cart` (1 unit) and "
             f"`POST /orders` with {bench.checkout_body_words()} (bench.py's checkout run, same body); orders/s is the "
             f"orders answered 201 over the run (median of {len(co)} runs: {statistics.median(ratios):.3f} of the floor). "
             f"Orders counted by wrk / gained by the store per run: "
             + ", ".join(f"{c['orders_ok']:,} / {c['orders_in_store']:,}" for c in co)
             + f". One order read back (#{so['number']}): subtotal {so['subtotal']}, shipping `{so['shipping_method']}` "
             f"{so['shipping']}, taxes " + ", ".join(f"{t['rate'] / 100:g}% {t['amount']}" for t in so["taxes"])
             + f" ({'included' if so['prices_include_tax'] else 'added'}), total {so['total']}, payment `{so['payment_method']}`: "
             f"**{'as asked' if so['ok'] else 'NOT AS ASKED'}**. Each order queues two mails (customer and shop copy); "
             "the run waits for the sender to clear them before the next run ("
             + ", ".join(f"{c['mail_drain']['pending']:,} in {c['mail_drain']['secs']:.1f} s" for c in co) + "). "
             + bench.stock_words(cs) + " Contention: 16 customers each holding 5 units of a product with 50 "
             "in stock check out at the same instant with the same body: " + "; ".join(
                 f"{x['placed']} placed, {x['refused_409']} refused (409), {x['other']} other, stock left {x['stock_after']}, "
                 f"units sold {x['units_sold']}" for x in ct["rounds"]) + f": **{'no oversell' if ct['ok'] else 'OVERSELL'}**.\n")
    card = res["card_orders"]
    rp = res["replay"]
    L.append(f"Card orders: {card['orders']:,} orders with `payment_method: \"stripe\"` placed through the API by {CUSTOMERS} "
             f"customers at once, each getting its PaymentIntent from localstripe during checkout: {card['per_s']:,.0f} orders/s "
             "(not a tienda figure: localstripe, one Python process on the same cores, sets that pace).\n")
    L.append(f"Webhooks: {wh['orders']:,} of those orders (another {card['orders'] - wh['orders']:,} went to a 1 s warm-up), "
             f"{wh['deliveries_prepared']:,} deliveries of {wh['event_ids']:,} distinct events prepared: per order the "
             "`payment_intent.succeeded` event `evt_A` twice, a second succeeded event `evt_B` for the same intent, and for "
             "every second order a `payment_intent.payment_failed` from an earlier attempt; shuffled within windows of "
             f"{WINDOW} orders, so copies race on different connections and the failure lands before or after the success. "
             "The bodies are signed in Python (HMAC-SHA256 of `{t}.{body}` with the webhook secret, `t` = when the file "
             "was written, inside the default 300 s tolerance) and replayed by wrk from a file (`bench/wrk/dynamic.lua "
             f"webhook`): wrk's Lua has no HMAC, and a pre-signed delivery is what a retry or a replay sends. {wh['conns']} "
             f"connections, {res['webhook_duration']} s: {wh['requests']:,} deliveries answered ({wh['applied']:,} `applied`, "
             f"{wh['unchanged']:,} `unchanged`, {wh['ignored']:,} `ignored`, {wh['errors']} errors)"
             + (f", {wh['wrapped']:,} of them sent a second time after wrk went through the file" if wh["wrapped"] else
                ", wrk did not reach the end of the file")
             + f". Floor before / after: {wh['floor_rps']:,.0f} / {wh['floor_after_rps']:,.0f} req/s. Then every order's "
             f"`evt_A` once more, signed anew ({rp['sent']:,} late replays, untimed: "
             + ", ".join(f"{v:,} {k}" for k, v in sorted(rp["outcomes"].items())) + ").\n")
    L.append(f"Exactly once, checked in the store (SQLite, read-only) over all {eo['orders']:,} card orders: status `paid` "
             f"{eo['status_paid']:,}; exactly one `paid` history entry {eo['one_paid_entry']:,}; `payment.paid == total` "
             f"{eo['paid_equals_total']:,}; exactly one payment-received mail in the outbox {eo['one_mail']:,} "
             f"({eo['payment_received_mails']:,} such mails in all); {eo['events_recorded']:,} event ids recorded (once each), "
             f"all among the {eo['events_prepared']:,} prepared and including every order's `evt_A`: "
             f"{'yes' if eo['events_recorded_match'] else 'NO'}; `GET /admin/mail` "
             f"total {eo['outbox_total_api']:,} = the outbox's {eo['outbox_total']:,} rows; {eo['api_spot_check']['checked']} "
             f"orders read back through `GET /orders/{{n}}` as the admin agree"
             + ("" if not eo["api_spot_check"]["bad"] else f" except {eo['api_spot_check']['bad']}")
             + f": **{'exactly once' if eo['ok'] else 'NOT EXACTLY ONCE'}**.\n")
    prof = res.get("checkout_profile")
    if prof and "categories" in prof:
        L.append(f"Profile of the checkout (server, `perf record -F 997 -p PID` over one more {CUSTOMERS}-customer run, "
                 f"{prof['orders_per_s']:,.0f} orders/s, {prof['cpu_us_per_req'] or 0:.0f} µs of server CPU a request): "
                 + "; ".join(f"{label} {pct:.1f}%" for label, pct in prof["categories"][:8]) + ". Top symbols: "
                 + "; ".join(f"{t['pct']:.1f}% `{t['sym'].replace('[.] ', '').replace('[k] ', '')[:90]}`" for t in prof["top"][:10])
                 + ".\n")
    elif prof:
        L.append(f"Profile of the checkout failed: {prof.get('error')}\n")
    for note in res.get("notes", []):
        L.append(f"Note: {note}\n")
    L.append("```sh")
    L.append("cargo build --release --bin tienda")
    L.append("python3 bench/payments.py            # this section; --smoke: seconds, results in a temp dir")
    for c in res["commands"]:
        L.append(c)
    L.append("```")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
