-- 9: the sales dashboard's rolled-up figures (see src/domain/stats.rs for
-- what they mean), kept current by checkout and status changes in their own
-- transactions, and backfilled here from the orders already stored.
CREATE TABLE stats_days (
    day     INTEGER PRIMARY KEY, -- days since 1970-01-01 (UTC)
    orders  INTEGER NOT NULL,
    revenue INTEGER NOT NULL,
    placed  INTEGER NOT NULL DEFAULT 0 -- every order placed, cancelled ones too (the order list's count by date)
);

CREATE TABLE stats_products (
    day        INTEGER NOT NULL,
    product_id TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    units      INTEGER NOT NULL,
    revenue    INTEGER NOT NULL,
    PRIMARY KEY (day, product_id)
) WITHOUT ROWID;

CREATE TABLE stats_statuses (
    status TEXT    PRIMARY KEY,
    orders INTEGER NOT NULL
);

-- New customers in a range read users_by_creation (accounts_disabled.sql).

INSERT INTO stats_statuses (status, orders)
    SELECT status, COUNT(*) FROM orders GROUP BY status;

INSERT INTO stats_days (day, orders, revenue, placed)
    SELECT created_at / 86400000, SUM(status <> 'cancelled'),
           SUM(CASE WHEN status <> 'cancelled'
               THEN total - COALESCE(json_extract(details, '$.payment.refunded'), 0) ELSE 0 END),
           COUNT(*)
    FROM orders GROUP BY 1;

-- The title is the product's name on its latest order of the day: SQLite
-- takes a bare column from the row of the one max() in the query.
INSERT INTO stats_products (day, product_id, title, units, revenue)
    SELECT day, product_id, title, units, revenue FROM (
        SELECT day, product_id, title, max(at), SUM(units) AS units, SUM(revenue) AS revenue
        FROM (
            SELECT o.created_at / 86400000 AS day, o.created_at AS at,
                   json_extract(i.value, '$.product_id') AS product_id,
                   json_extract(i.value, '$.name') AS title,
                   json_extract(i.value, '$.quantity') AS units,
                   json_extract(i.value, '$.line_total') AS revenue
            FROM orders o, json_each(o.items) i
            WHERE o.status <> 'cancelled')
        GROUP BY day, product_id);
