-- tienda SQLite schema, version 1. Timestamps are Unix milliseconds (UTC);
-- money is integer minor units; ids are UUIDv7 strings.

CREATE TABLE products (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    price       INTEGER NOT NULL CHECK (price >= 0),
    currency    TEXT    NOT NULL,
    photo_url   TEXT    NOT NULL,
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX products_by_category ON products (category, seq);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- One cart per customer; items is a JSON array of {product_id, quantity, added_at}.
CREATE TABLE cart (
    email            TEXT PRIMARY KEY,
    items            TEXT NOT NULL,
    delivery_address TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- items and history are JSON arrays, written once (history appended on status changes).
CREATE TABLE orders (
    number           INTEGER PRIMARY KEY,
    email            TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    items            TEXT    NOT NULL,
    total            INTEGER NOT NULL,
    currency         TEXT    NOT NULL,
    delivery_address TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    history          TEXT    NOT NULL,
    idempotency_key  TEXT,
    UNIQUE (email, idempotency_key)
);
CREATE INDEX orders_by_email ON orders (email, number);
CREATE INDEX orders_by_status ON orders (status, number);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    author     TEXT NOT NULL,
    email      TEXT NOT NULL,
    type       TEXT NOT NULL,
    body       TEXT NOT NULL,
    recipient  TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_time ON messages (created_at, id);
CREATE INDEX messages_by_email ON messages (email, created_at);
CREATE INDEX messages_by_recipient ON messages (recipient, created_at);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    recipient_name  TEXT,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    hits       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
