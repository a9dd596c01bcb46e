-- Back office: an admin may disable an account (NULL: enabled), and the
-- customer list pages newest first.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
CREATE INDEX users_by_creation ON users (created_at, id);
