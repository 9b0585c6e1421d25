-- Demo data for sql-jobber: 100,000 ledger entries for 20 users across 2017.
--
--   sqlite3 /tmp/jobber-demo.db < sql/demo-data/seed.sql
--
-- Deterministic: every run produces the same rows, so documented results stay true. Re-running
-- it replaces the table.
BEGIN;

DROP TABLE IF EXISTS entries;

CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    amount DECIMAL(12, 2),
    price REAL,
    entry_date DATE,
    created_at TIMESTAMP,
    is_paid BOOLEAN,
    note TEXT
);

-- Multiplying by the primes 7919 and 104729 scatters values without a random generator.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO entries (id, user_id, amount, price, entry_date, created_at, is_paid, note)
SELECT
    i,
    'USER' || ((i * 7919 / 13) % 20 + 1),
    printf('%d.%02d', (i * 7919) % 5000, (i * 104729) % 100),
    round(((i * 104729) % 100000) / 100.0 + 0.99, 2),
    date('2017-01-01', '+' || (i % 365) || ' days'),
    datetime('2017-01-01', '+' || (i % 365) || ' days', '+' || ((i * 7919) % 86400) || ' seconds'),
    CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END,
    CASE
        WHEN i % 10 = 0 THEN NULL
        WHEN i % 17 = 0 THEN 'café ☕ 支払い済み — ünïcødé'
        WHEN i % 13 = 0 THEN 'refund for order #' || (i * 31 % 9973)
        ELSE 'entry ' || i
    END
FROM n;

CREATE INDEX entries_user_date ON entries (user_id, entry_date);

COMMIT;

ANALYZE;
