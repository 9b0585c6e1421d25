-- comment
-- name: bom 
SELECT 1;
