-- Low-stock alerts. products.low_stock_threshold: the product's own level
-- (NULL: catalog.low_stock_threshold). variants.low_stock_alerted: the level
-- a checkout mailed about this variant at (NULL: not mailed since its stock
-- was last above it).
ALTER TABLE products ADD COLUMN low_stock_threshold INTEGER CHECK (low_stock_threshold >= 0);
ALTER TABLE variants ADD COLUMN low_stock_alerted INTEGER;

-- The low-stock list reads sold variants in stock order up to the highest
-- level in use, so it touches only the few variants that can be low.
CREATE INDEX variants_by_stock ON variants (stock) WHERE archived = 0;
CREATE INDEX products_by_low_stock_threshold ON products (low_stock_threshold)
    WHERE low_stock_threshold IS NOT NULL;
