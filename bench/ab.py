#!/usr/bin/env python3
"""Before/after comparison of two tienda release binaries on the read paths
and checkout.

    python3 bench/ab.py OLD_BINARY NEW_BINARY [--rounds 6] [--duration 4] [--old-config PATH]
                        [--old-checkout-body full|legacy] [--paths checkout,list,...]

Both servers run side by side on the demo catalog, each with its own data
directory. Each round measures, for one binary and then the other (the order
alternates between rounds), the /healthz floor and then every path, so each
path is divided by a floor measured seconds before it on the same binary.
Two full bench/run.sh sittings drift by more than the 5% this has to resolve;
interleaving the two binaries round by round puts the drift on both sides.
Prints, per path, the median over rounds of (path req/s / floor req/s) for
each binary and their ratio, and the server CPU per request.

Checkout sends bench.py's body (bench.CHECKOUT_BODY: a structured address
in ES, `shipping_method: "standard"`, `payment_method: "bank_transfer"`) to
both binaries; `--old-checkout-body legacy` sends OLD the one-line address
instead, for a binary from before addresses had parts, shipping and payment
(it would refuse the new body), so the comparison shows what the complete
checkout costs over the old one.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the full benchmark's server and wrk helpers)


class BinaryServer(bench.Server):
    def __init__(self, binary, config, *a, **kw):
        super().__init__(*a, **kw)
        self.binary = binary
        self.config = config

    def argv(self):
        return [str(self.binary), "serve", "--config", str(self.config), "--profile", "development"]


CHECKOUT_CUSTOMERS = 16


def prepare(server, work, body=None):
    """Demo catalog, one customer with three cart lines, and checkout
    customers with products of ample stock (as bench.py's checkout run);
    returns the paths to measure as (label, path, wrk keyword arguments)."""
    port = server.port
    bench.register(port, bench.ADMIN, "Bench Admin")
    admin = bench.login(port, bench.ADMIN)
    email = bench.user_email(0)
    bench.register(port, email, "Bench User")
    token = bench.login(port, email)
    listing = bench.must(bench.api(port, "GET", "/products?limit=50"), 200, what="list")
    mid = listing["items"][len(listing["items"]) // 2]
    for line in listing["items"][:3]:
        bench.must(bench.api(port, "POST", "/cart", {"product_id": line["id"], "quantity": 1}, token=token),
                   200, 201, what="fill cart")
    buyers = range(1, 1 + CHECKOUT_CUSTOMERS)
    bench.pmap(lambda n: bench.register(port, bench.user_email(n), f"Bench Customer {n}"), buyers)
    tokens = bench.pmap(lambda n: bench.login(port, bench.user_email(n)), buyers)
    stock = [bench.create_product(port, admin, f"Bench stock {k}", bench.MAX_STOCK) for k in range(4)]
    tokens_file = work / f"{server.name}-checkout-tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    stock_file = work / f"{server.name}-stock-products.txt"
    stock_file.write_text("\n".join(stock) + "\n")
    body_file = bench.write_checkout_body(work / f"{server.name}-checkout-body.json", body)
    checkout = dict(conns=CHECKOUT_CUSTOMERS, threads=CHECKOUT_CUSTOMERS,
                    dyn=["checkout", str(tokens_file), str(stock_file), body_file])
    return [
        ("list", "/products", {}),
        ("product_json", f"/products/{mid['id']}", {}),
        ("product_html", f"/products/{mid['id']}", {"headers": ["Accept: text/html"]}),
        ("category", f"/products/{mid['category']}", {}),
        ("cart_get", "/cart", {"headers": [f"Authorization: Bearer {token}"]}),
        ("checkout", "/orders", checkout),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    ap.add_argument("--old-config", default=str(bench.CONFIG),
                    help="config file for OLD, when it predates keys the current file has")
    ap.add_argument("--old-checkout-body", choices=("full", "legacy"), default="full",
                    help="legacy: OLD gets the one-line address only (a binary from before structured "
                         "addresses, shipping and payment methods)")
    ap.add_argument("--paths", help="only these paths, comma-separated (list, product_json, product_html, "
                                    "category, cart_get, checkout)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tienda-ab-"))
    recorder = bench.Recorder(work)
    cfg = dict(bench.FULL, duration=args.duration, warmup=1)
    runner = bench.Runner(cfg, work, recorder)
    servers = {name: BinaryServer(Path(binary).resolve(), config, work, name, work / name, recorder)
               for name, binary, config in (("old", args.old, args.old_config), ("new", args.new, bench.CONFIG))}
    try:
        paths = {}
        for name, server in servers.items():
            server.start()
            legacy = name == "old" and args.old_checkout_body == "legacy"
            paths[name] = prepare(server, work, bench.LEGACY_CHECKOUT_BODY if legacy else None)
            if args.paths:
                wanted = set(args.paths.split(","))
                paths[name] = [p for p in paths[name] if p[0] in wanted]
        ratios = {name: {p[0]: [] for p in paths[name]} for name in servers}
        cpu = {name: {p[0]: [] for p in paths[name]} for name in servers}
        for k in range(args.rounds):
            order = ("old", "new") if k % 2 == 0 else ("new", "old")
            bench.log(f"round {k + 1}/{args.rounds}: {order[0]} first")
            for name in order:
                server = servers[name]
                for label, path, kw in paths[name]:
                    floor = runner.wrk(server, "floor", "/healthz", cfg["conns"], record=False)
                    kw = dict(kw)
                    conns = kw.pop("conns", cfg["conns"])
                    out = runner.wrk(server, label, path, conns, record=False, **kw)
                    # Checkout counts orders (each is a cart add and an order).
                    done = out["orders_ok"] if label == "checkout" else out["requests"]
                    ratios[name][label].append(done / (out["duration_us"] / 1e6) / floor["rps"])
                    cpu[name][label].append((out["cpu_us_per_req"] or 0, floor["cpu_us_per_req"] or 0))
            time.sleep(0.5)
        if runner.failures:
            print("errors:", *runner.failures, sep="\n  ")
        print(f"\n{args.rounds} rounds x {args.duration} s, {cfg['conns']} connections "
              f"(checkout: {CHECKOUT_CUSTOMERS} customers, orders/s); "
              "ratio = median over rounds of path req/s / neighbouring floor req/s")
        print(f"{'path':14} {'old x floor':>12} {'new x floor':>12} {'new/old':>8}   "
              f"{'old us/req':>10} {'new us/req':>10}  (floor old/new us/req)")
        worst = 0.0
        for label in ratios["old"]:
            o, n = statistics.median(ratios["old"][label]), statistics.median(ratios["new"][label])
            oc = statistics.median(c for c, _ in cpu["old"][label])
            nc = statistics.median(c for c, _ in cpu["new"][label])
            of = statistics.median(f for _, f in cpu["old"][label])
            nf = statistics.median(f for _, f in cpu["new"][label])
            worst = min(worst, n / o - 1)
            print(f"{label:14} {o:12.3f} {n:12.3f} {n / o - 1:+8.1%}   {oc:10.1f} {nc:10.1f}  ({of:.1f}/{nf:.1f})")
        print(f"worst path: {worst:+.1%} as a ratio to its floor")
        return 1 if runner.failures else 0
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
