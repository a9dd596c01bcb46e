#!/usr/bin/env python3
"""Writes a back-office sized SQLite store for the back-office benchmarks
(issue #22): products with variants, customers, and orders over about two
years, in the row formats tienda reads (Python 3 standard library only).

    python3 bench/backoffice_data.py OUT.db [--products 100000] [--customers 50000]
                                            [--orders 1000000] [--days 730] [--seed 22]
                                            [--schema before-stats|all]

The tables come from the migrations the binary itself ships: the entries of
MIGRATIONS in src/store/sqlite/mod.rs, applied in order, with
`PRAGMA user_version` set as the binary would. By default (`before-stats`) the
file stops at the migration before `stats.sql`, so the first `tienda serve` on
it runs the dashboard's migration, which backfills the rolled-up figures from
these orders, exactly as an upgraded shop would. `--schema all` applies every
migration (then the rollups stay empty: use it only for benches that do not
read them).

Rows, all in one transaction with executemany and the journal off (the file
is scratch until it is complete):
- products: `--products`, 30% of them with a `Size` option (S/M/L, three
  variants), the rest with their one default variant (id = the product's id,
  as the variants migration makes it); prices 1.00-200.00, stock 1000 each.
- users: `--customers` customers, created over the whole span, all with the
  password `correct horse battery` (one argon2id hash, from
  tests/fixtures/store-v1.sql), emails `customer-N@bench.test`.
- orders: `--orders` orders numbered from 1001 in time order, 1-3 lines of
  1-3 units each (popular products more often), shipping 4.95 under 50.00,
  no tax; statuses by age (old orders delivered, 5% cancelled, 1% refunded,
  2% partly refunded, recent ones awaiting payment, paid or shipped), with a
  `details` payment record consistent with the status; the order counter is
  set past the last number so new checkouts continue from it.
Prints a JSON summary (counts, span, expected figures the dashboard must
show for the whole span) on stdout.
"""

import argparse
import datetime
import json
import random
import re
import sqlite3
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_DIR = ROOT / "src/store/sqlite"
PASSWORD = "correct horse battery"
PASSWORD_HASH = ("$argon2id$v=19$m=19456,t=2,p=1$u3k1F7pqZsiDsYTPumrlqQ$"
                 "OUTEgz7vvLLXRKF+qp2MZjwu+B/xxo6WRMn+9LOnK74")
FIRST_ORDER_NUMBER = 1001
DAY_MS = 86_400_000
CATEGORIES = ["books", "garden", "kitchen", "toys", "tools", "music", "sports", "office",
              "clothes", "shoes", "games", "lighting", "bath", "pets", "food", "travel"]
SIZES = ["S", "M", "L"]


def migrations():
    """The MIGRATIONS entries of src/store/sqlite/mod.rs, in order, each as
    (label, SQL): `include_str!("x.sql")` reads the file, a string literal is
    taken as written (escaped quotes and backslash-newlines undone)."""
    src = (SQLITE_DIR / "mod.rs").read_text()
    m = re.search(r"const MIGRATIONS: &\[&str\] = &\[(.*?)\n\];", src, re.S)
    if not m:
        raise SystemExit("cannot find MIGRATIONS in src/store/sqlite/mod.rs")
    body = re.sub(r"^\s*//.*$", "", m.group(1), flags=re.M)
    out = []
    for inc, lit in re.findall(r'include_str!\("([^"]+)"\)|"((?:[^"\\]|\\.)*)"', body, re.S):
        if inc:
            out.append((inc, (SQLITE_DIR / inc).read_text()))
        else:
            text = re.sub(r"\\\n\s*", "", lit).replace('\\"', '"').replace("\\\\", "\\")
            out.append(("inline", text))
    return out


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def q(s):
    """A JSON string literal."""
    return json.dumps(s, ensure_ascii=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--schema", choices=["before-stats", "all"], default="before-stats")
    ap.add_argument("--currency", default="EUR")
    a = ap.parse_args()
    if min(a.products, a.customers) < 1 or a.orders < 0 or a.days < 1:
        raise SystemExit("products and customers must be >= 1, orders >= 0, days >= 1")
    t0 = time.monotonic()
    rng = random.Random(a.seed)
    out = Path(a.out)
    for suffix in ("", "-wal", "-shm"):
        Path(str(out) + suffix).unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)

    steps = migrations()
    if a.schema == "before-stats":
        cut = next((i for i, (label, _) in enumerate(steps) if label == "stats.sql"), len(steps))
        steps = steps[:cut]
    db = sqlite3.connect(out, isolation_level=None)
    db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                     "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;")
    db.execute("BEGIN")
    for _, sql in steps:
        for stmt in split_sql(sql):
            db.execute(stmt)
    db.execute(f"PRAGMA user_version = {len(steps)}")

    now_ms = int(time.time() * 1000)
    today0 = now_ms - now_ms % DAY_MS
    start_ms = today0 - (a.days - 1) * DAY_MS

    def uid(ms):
        """A UUIDv7-shaped id for a time (the shop's id format)."""
        r = rng.getrandbits(74)
        n = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (r >> 62) << 64 | 0b10 << 62 | (r & ((1 << 62) - 1))
        return str(uuid.UUID(int=n))

    # Products and their variants.
    products = []  # (id, name, description, [(variant_id, sku, size or None, price)])
    prod_rows, var_rows = [], []
    for i in range(a.products):
        created = start_ms - rng.randrange(1, 90) * DAY_MS
        pid = uid(created)
        name = f"Product {i + 1}"
        desc = f"Bench product number {i + 1}."
        cat = CATEGORIES[i % len(CATEGORIES)]
        price = rng.randrange(100, 20001)
        sized = rng.random() < 0.3
        if sized:
            variants = [(uid(created), f"BP{i + 1}-{s}", s, price) for s in SIZES]
            options = '[{"name":"Size","values":["S","M","L"]}]'
        else:
            variants = [(pid, f"BP{i + 1}", None, price)]
            options = "[]"
        stock = 1000 * len(variants)
        prod_rows.append((pid, name, desc, cat, price, a.currency, "", stock, created, created,
                          options, "[]"))
        for pos, (vid, sku, size, vprice) in enumerate(variants):
            var_rows.append((vid, pid, pos, sku, '{"Size":%s}' % q(size) if size else "{}", vprice,
                             1000))
        products.append((pid, name, desc, variants))
    db.executemany("INSERT INTO products (id, name, description, category, price, currency, photo_url, "
                   "stock, created_at, updated_at, options, photos) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   prod_rows)
    db.executemany("INSERT INTO variants (id, product_id, position, sku, options, price, stock) "
                   "VALUES (?,?,?,?,?,?,?)", var_rows)
    del prod_rows, var_rows

    # Customers, created over the span (and some before it).
    customers = []
    user_rows = []
    for i in range(a.customers):
        created = start_ms - 30 * DAY_MS + rng.randrange(0, (a.days + 30) * DAY_MS)
        email = f"customer-{i + 1}@bench.test"
        customers.append(email)
        user_rows.append((uid(created), f"Customer {i + 1}", "+34 600 000 000", email, "customer",
                          PASSWORD_HASH, created, None))
    db.executemany("INSERT INTO users (id, name, phone, email, role, password_hash, created_at, locale) "
                   "VALUES (?,?,?,?,?,?,?,?)", user_rows)
    new_customers = sum(1 for r in user_rows if r[6] >= start_ms)
    del user_rows

    # Orders in time order: numbers rise with created_at, as checkout makes them.
    span = a.days * DAY_MS - 1
    times = sorted(start_ms + rng.randrange(0, min(span, now_ms - start_ms)) for _ in range(a.orders))
    # Popular products are bought more (a long tail), as in a real shop.
    weights_n = min(len(products), 5000)
    hot = [rng.randrange(len(products)) for _ in range(weights_n)]
    counted = revenue = 0
    statuses = {}
    order_rows = []
    batch = 50_000
    sql = ("INSERT INTO orders (number, email, status, items, total, currency, delivery_address, "
           "created_at, history, details) VALUES (?,?,?,?,?,?,?,?,?,?)")
    address_cache = {}
    for k, at in enumerate(times):
        number = FIRST_ORDER_NUMBER + k
        email = customers[rng.randrange(len(customers))]
        lines = []
        subtotal = 0
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            if rng.random() < 0.5:
                p = products[hot[int(rng.paretovariate(1.2)) % weights_n]]
            else:
                p = products[rng.randrange(len(products))]
            pid, pname, pdesc, variants = p
            vid, sku, size, price = variants[rng.randrange(len(variants))]
            qty = rng.choice((1, 1, 1, 2, 3))
            total = price * qty
            subtotal += total
            opts = '{"Size":%s}' % q(size) if size else "{}"
            lines.append('{"product_id":"%s","variant_id":"%s","sku":%s,"variant":%s,"options":%s,'
                         '"name":%s,"description":%s,"unit_price":%d,"quantity":%d,"line_total":%d}'
                         % (pid, vid, q(sku), q(size or ""), opts, q(pname), q(pdesc), price, qty,
                            total))
        ship = 0 if subtotal >= 5000 else 495
        total = subtotal + ship
        age_days = (now_ms - at) / DAY_MS
        roll = rng.random()
        if roll < 0.05:
            status = "cancelled"
        elif roll < 0.06 and age_days > 3:
            status = "refunded"
        elif age_days < 1:
            status = "awaiting_payment" if roll < 0.6 else "paid"
        elif age_days < 3:
            status = ("awaiting_payment", "paid", "shipped")[int(roll * 3) % 3]
        elif age_days < 7:
            status = "shipped" if roll < 0.5 else "delivered"
        else:
            status = "delivered"
        refunded = 0
        if status == "refunded":
            refunded = total
        elif status == "delivered" and rng.random() < 0.02:
            refunded = max(1, total // 4)
        paid = total if status in ("paid", "shipped", "delivered", "refunded") else 0
        hist = ['{"status":"awaiting_payment","at":"%s","by":%s}' % (iso(at), q(email))]
        t = at
        for step in {"awaiting_payment": (), "cancelled": ("cancelled",), "paid": ("paid",),
                     "shipped": ("paid", "shipped"), "delivered": ("paid", "shipped", "delivered"),
                     "refunded": ("paid", "shipped", "delivered", "refunded")}[status]:
            t += rng.randrange(3_600_000, DAY_MS)
            hist.append('{"status":"%s","at":"%s","by":"bench-admin@bench.test"}' % (step, iso(min(t, now_ms))))
        if status == "cancelled":
            pay_status = "voided"
        elif refunded == total and refunded:
            pay_status = "refunded"
        elif refunded:
            pay_status = "partially_refunded"
        elif paid:
            pay_status = "paid"
        else:
            pay_status = "pending"
        refunds = "[]"
        if refunded:
            refunds = ('[{"id":"refund-%d","amount":%d,"at":"%s","by":"bench-admin@bench.test"}]'
                       % (number, refunded, iso(min(t, now_ms))))
        paid_at = ',"paid_at":"%s"' % iso(min(at + 3_600_000, now_ms)) if paid else ""
        details = ('{"subtotal":%d,"shipping":{"method":"standard","name":"Standard","price":%d},'
                   '"taxes":[],"prices_include_tax":false,"payment":{"method":"bank_transfer",'
                   '"status":"%s","reference":"ORDER-%d","paid":%d,"refunded":%d,"refunds":%s%s},'
                   '"tracking":null,"locale":"en"}'
                   % (subtotal, ship, pay_status, number, paid, refunded, refunds, paid_at))
        address = address_cache.get(email)
        if address is None:
            n = len(address_cache)
            address = ('{"name":%s,"line1":"Calle Mayor %d","line2":"","city":"Madrid",'
                       '"postal_code":"28013","region":"Madrid","country":"ES","phone":"+34 600 000 000"}'
                       % (q("Customer " + email.split("-")[1].split("@")[0]), n % 200 + 1))
            address_cache[email] = address
        order_rows.append((number, email, status, "[" + ",".join(lines) + "]", total, a.currency,
                           address, at, "[" + ",".join(hist) + "]", details))
        statuses[status] = statuses.get(status, 0) + 1
        if status != "cancelled":
            counted += 1
            revenue += total - refunded
        if len(order_rows) >= batch:
            db.executemany(sql, order_rows)
            order_rows.clear()
    db.executemany(sql, order_rows)
    if a.orders:
        db.execute("INSERT INTO counters (name, value) VALUES ('order_number', ?)",
                   (FIRST_ORDER_NUMBER + a.orders - 1,))
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    summary = {
        "file": str(out), "user_version": len(steps), "products": a.products,
        "variants": sum(len(p[3]) for p in products), "customers": a.customers,
        "orders": a.orders, "from": iso(start_ms)[:10], "to": iso(today0)[:10],
        "counted_orders": counted, "revenue": revenue, "by_status": statuses,
        "new_customers": new_customers, "seconds": round(time.monotonic() - t0, 1),
    }
    json.dump(summary, sys.stdout, indent=1)
    print()


def split_sql(script):
    """The statements of a migration script (sqlite3.complete_statement
    decides where one ends, so `;` inside strings or triggers is safe)."""
    out, cur = [], ""
    for line in script.splitlines(keepends=True):
        cur += line
        if sqlite3.complete_statement(cur):
            if cur.strip():
                out.append(cur)
            cur = ""
    if cur.strip() and not all(l.strip().startswith("--") or not l.strip() for l in cur.splitlines()):
        out.append(cur)
    return out


if __name__ == "__main__":
    main()
