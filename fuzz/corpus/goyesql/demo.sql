-- Demo tasks for sql-jobber, run against the SQLite demo database (sql/demo-data/seed.sql).
--
-- Format (goyesql): each task starts with `-- name: <task>`, followed by optional tags and then
-- its SQL. Tags:
--   -- db: <source>          the source instance(s) the task may run on
--   -- results: <backend>    the results backend its tables are written to
--   -- queue: <queue>        the queue its jobs go to unless a request names another
--   -- raw: 1                run the SQL as is, without preparing it at startup
--   -- timeout: 5m           cancel a run that takes longer
-- `?` are positional arguments, bound in order from the job's args.

-- name: get_profit_summary
-- db: demo
-- results: demo_results
-- Expression columns take their type from the first row; ROUND keeps `total` a DOUBLE on every
-- row, where a bare SUM could be an integer for one day and fractional for the next.
SELECT ROUND(SUM(amount), 2) AS total, entry_date
FROM entries
WHERE user_id = ?
GROUP BY entry_date
ORDER BY entry_date;

-- name: get_profit_entries
-- db: demo
-- results: demo_results
-- queue: reports
SELECT * FROM entries WHERE user_id = ?;

-- name: get_profit_entries_by_date
-- db: demo
-- results: demo_results
SELECT * FROM entries WHERE user_id = ? AND entry_date BETWEEN ? AND ? ORDER BY id;

-- name: count_entries
-- db: demo
-- results: demo_results
-- raw: 1
-- Not prepared at startup (raw): compiled on every run instead.
SELECT COUNT(*) AS entries, COUNT(DISTINCT user_id) AS users, MIN(entry_date) AS first_day,
       MAX(entry_date) AS last_day
FROM entries;

-- name: slow_query
-- db: demo
-- results: demo_results
-- Counts to a billion: runs for minutes, to try cancelling a job (DELETE /jobs/{id}).
-- To see a timeout instead, add a "timeout" tag under the name, e.g. 5s.
WITH RECURSIVE counter(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM counter WHERE x < 1000000000)
SELECT COUNT(*) AS counted FROM counter;

-- name: all_types
-- db: demo
-- results: demo_results
-- One value of every column type, then the same columns NULL: the LEFT JOIN matches no row but
-- keeps the declared types.
SELECT e.id, e.amount, e.price, e.entry_date, e.created_at, e.is_paid, e.note,
       missing.id AS null_id, missing.amount AS null_amount, missing.price AS null_price,
       missing.entry_date AS null_entry_date, missing.created_at AS null_created_at,
       missing.is_paid AS null_is_paid, missing.note AS null_note
FROM entries AS e
LEFT JOIN entries AS missing ON missing.id = -e.id
WHERE e.id = 17;
