-- 5: the audit log of admin and staff writes, listed newest first by
-- (at, id). Entries are never changed, and the triggers make the store
-- itself refuse to change or delete one.
CREATE TABLE audit_log (
    id      TEXT    PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    role    TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    before  TEXT,
    after   TEXT
);
CREATE INDEX audit_by_time ON audit_log (at, id);
CREATE INDEX audit_by_actor ON audit_log (actor, at);
CREATE INDEX audit_by_action ON audit_log (action, at);
CREATE INDEX audit_by_target ON audit_log (target, at);
CREATE TRIGGER audit_log_kept BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_not_deleted BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
