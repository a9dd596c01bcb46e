-- 4: shipping, taxes and payments. Orders keep their amounts, shipping,
-- payment, tracking and language as one JSON object (`details`); the two
-- payment fields the store searches by are columns of their own.
ALTER TABLE orders ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
ALTER TABLE orders ADD COLUMN intent_id TEXT;
ALTER TABLE orders ADD COLUMN hold_until INTEGER;
CREATE UNIQUE INDEX orders_by_intent ON orders (intent_id) WHERE intent_id IS NOT NULL;
CREATE INDEX orders_on_hold ON orders (hold_until) WHERE hold_until IS NOT NULL;

-- `placed` is now `awaiting_payment`: orders from before payments were
-- marked paid by hand, as bank transfers are (their details default so).
UPDATE orders SET status = 'awaiting_payment' WHERE status = 'placed';

-- Each webhook event is acted on once: its id is recorded in the same
-- transaction as its effect.
CREATE TABLE payment_events (
    id           TEXT    PRIMARY KEY,
    order_number INTEGER NOT NULL,
    at           INTEGER NOT NULL
);

CREATE TABLE shipping_methods (
    id       TEXT    PRIMARY KEY,
    position INTEGER NOT NULL,
    method   TEXT    NOT NULL -- JSON: name and zones
);

-- Products weigh something (grams, optional; a variant may weigh its own)
-- and belong to a tax class.
ALTER TABLE products ADD COLUMN tax_class TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE products ADD COLUMN weight INTEGER;
ALTER TABLE variants ADD COLUMN weight INTEGER;
