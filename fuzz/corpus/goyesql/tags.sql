-- name: a
-- db: x, y
-- raw: 1
-- timeout: 5m
-- concurrency: 5
SELECT ?;
-- name: b
SELECT 1;
