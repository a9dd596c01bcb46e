-- 3: options, variants and uploaded photos. Every product gets its one
-- default variant, whose id is the product's, so existing cart lines and
-- order items name it by the product id they already carry.
ALTER TABLE products ADD COLUMN options TEXT NOT NULL DEFAULT '[]';
ALTER TABLE products ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';

-- products.stock is the sum over the product's sold variants, kept in the
-- same transaction as every change to theirs.
CREATE TABLE variants (
    id         TEXT    PRIMARY KEY,
    product_id TEXT    NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sku        TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    options    TEXT    NOT NULL, -- JSON object: option name -> value
    price      INTEGER NOT NULL CHECK (price >= 0),
    stock      INTEGER NOT NULL CHECK (stock >= 0),
    photo_id   TEXT,
    archived   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX variants_by_product ON variants (product_id, position);

INSERT INTO variants (id, product_id, position, sku, options, price, stock)
    SELECT id, id, 0, upper(id), '{}', price, stock FROM products;

UPDATE cart SET items = (
    SELECT json_group_array(json_set(value, '$.variant_id', json_extract(value, '$.product_id')))
    FROM json_each(cart.items));
UPDATE orders SET items = (
    SELECT json_group_array(json_set(value, '$.variant_id', json_extract(value, '$.product_id')))
    FROM json_each(orders.items));
