-- tpcc_new_order.sql: one TPC-C New-Order (clause 2.4.1) against the
-- reference of tpcc_setup.sql.  The terminal's inputs: a warehouse and a
-- district, a customer by NURand(255, 1, 300), 5..15 distinct items by
-- NURand(1023, 1, 10000), quantity 1..10, 1% of the lines supplied by another
-- warehouse.  The items are drawn in the statement (pgbench has no loops).
\set w random(1, 4)
\set d random(1, 10)
\set c ((random(0, 255) | random(1, 300)) + 113) % 300 + 1
\set n random(5, 15)
SELECT tpcc.new_order(:w, :d, :c, array_agg(i ORDER BY i), array_agg(sw ORDER BY i), array_agg(q ORDER BY i))
FROM (SELECT DISTINCT ON (i) i,
             CASE WHEN random() < 0.01 THEN (:w + tpcc.rnd(0, 2)) % 4 + 1 ELSE :w END AS sw,
             tpcc.rnd(1, 10) AS q
      FROM (SELECT tpcc.nurand(1023, 1, 10000, 259) AS i FROM generate_series(1, :n)) x) y;
