-- Back office: the order list filtered by a date range reads this index in
-- its order (newest first), so a page stops after its rows.
CREATE INDEX orders_by_created ON orders (created_at, number);
