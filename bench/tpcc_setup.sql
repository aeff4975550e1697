-- tpcc_setup.sql: the New-Order reference of bench/run.sh.  A TPC-C schema
-- (TPC-C standard specification 5.11, clause 1.3), our own population
-- generator in SQL (clause 4.3.3.1, scaled down as below) and the New-Order
-- transaction (clause 2.4) in plain PL/pgSQL: what a competent team writes
-- for the same job without the oms extension.  Run in a fresh database.
--
-- Scale: 4 warehouses, 10 districts each.  Scaled down so that set-up takes
-- seconds on a busy 2-core machine (the spec's figure in brackets):
--   items                10,000 (100,000)    stock rows 40,000 (400,000)
--   customers/district      300 (3,000)      initial orders/district 300 (3,000)
--   new_order rows/district  90 (900)        the last 30% of the orders, as in the spec
-- NURand's A constants are scaled with the ranges: 1023 for items (8191),
-- 255 for customers (1023).  Row contents follow clause 4.3.3.1 (random
-- strings of the given lengths, 10% of i_data/s_data containing ORIGINAL,
-- 10% of customers with bad credit "BC").
--
-- New-Order choices (see tpcc.new_order below):
--   * 5 to 15 distinct items, quantity 1..10 each, 1% of the lines supplied by
--     a remote warehouse (clause 2.4.1.5).
--   * The 1% of transactions the spec rolls back with an unused item number
--     (clause 2.4.1.4) are left out: pgbench counts an error as a failed client.
--     The function still raises (and so rolls back) on an unknown item.
--   * Set-based, as a competent team writes it: 7 statements whatever the number
--     of lines (district, warehouse + customer, items, stock lock in key order,
--     stock update + order lines in one statement, order, new_order).  Stock is
--     locked in (warehouse, item) order so concurrent orders never deadlock.

CREATE SCHEMA tpcc;

CREATE TABLE tpcc.warehouse (
    w_id       int PRIMARY KEY,
    w_name     varchar(10) NOT NULL,
    w_street_1 varchar(20) NOT NULL,
    w_street_2 varchar(20) NOT NULL,
    w_city     varchar(20) NOT NULL,
    w_state    char(2) NOT NULL,
    w_zip      char(9) NOT NULL,
    w_tax      numeric(4,4) NOT NULL,
    w_ytd      numeric(12,2) NOT NULL
);
CREATE TABLE tpcc.district (
    d_id        int NOT NULL,
    d_w_id      int NOT NULL REFERENCES tpcc.warehouse,
    d_name      varchar(10) NOT NULL,
    d_street_1  varchar(20) NOT NULL,
    d_street_2  varchar(20) NOT NULL,
    d_city      varchar(20) NOT NULL,
    d_state     char(2) NOT NULL,
    d_zip       char(9) NOT NULL,
    d_tax       numeric(4,4) NOT NULL,
    d_ytd       numeric(12,2) NOT NULL,
    d_next_o_id int NOT NULL,
    PRIMARY KEY (d_w_id, d_id)
);
CREATE TABLE tpcc.customer (
    c_id           int NOT NULL,
    c_d_id         int NOT NULL,
    c_w_id         int NOT NULL,
    c_first        varchar(16) NOT NULL,
    c_middle       char(2) NOT NULL,
    c_last         varchar(16) NOT NULL,
    c_street_1     varchar(20) NOT NULL,
    c_street_2     varchar(20) NOT NULL,
    c_city         varchar(20) NOT NULL,
    c_state        char(2) NOT NULL,
    c_zip          char(9) NOT NULL,
    c_phone        char(16) NOT NULL,
    c_since        timestamptz NOT NULL,
    c_credit       char(2) NOT NULL,
    c_credit_lim   numeric(12,2) NOT NULL,
    c_discount     numeric(4,4) NOT NULL,
    c_balance      numeric(12,2) NOT NULL,
    c_ytd_payment  numeric(12,2) NOT NULL,
    c_payment_cnt  int NOT NULL,
    c_delivery_cnt int NOT NULL,
    c_data         varchar(500) NOT NULL,
    PRIMARY KEY (c_w_id, c_d_id, c_id),
    FOREIGN KEY (c_w_id, c_d_id) REFERENCES tpcc.district (d_w_id, d_id)
);
CREATE TABLE tpcc.item (
    i_id    int PRIMARY KEY,
    i_im_id int NOT NULL,
    i_name  varchar(24) NOT NULL,
    i_price numeric(5,2) NOT NULL,
    i_data  varchar(50) NOT NULL
);
CREATE TABLE tpcc.stock (
    s_i_id       int NOT NULL REFERENCES tpcc.item,
    s_w_id       int NOT NULL REFERENCES tpcc.warehouse,
    s_quantity   int NOT NULL,
    s_dist_01    char(24) NOT NULL, s_dist_02 char(24) NOT NULL, s_dist_03 char(24) NOT NULL,
    s_dist_04    char(24) NOT NULL, s_dist_05 char(24) NOT NULL, s_dist_06 char(24) NOT NULL,
    s_dist_07    char(24) NOT NULL, s_dist_08 char(24) NOT NULL, s_dist_09 char(24) NOT NULL,
    s_dist_10    char(24) NOT NULL,
    s_ytd        int NOT NULL,
    s_order_cnt  int NOT NULL,
    s_remote_cnt int NOT NULL,
    s_data       varchar(50) NOT NULL,
    PRIMARY KEY (s_w_id, s_i_id)
);
CREATE TABLE tpcc.orders (
    o_id         int NOT NULL,
    o_d_id       int NOT NULL,
    o_w_id       int NOT NULL,
    o_c_id       int NOT NULL,
    o_entry_d    timestamptz NOT NULL,
    o_carrier_id int,
    o_ol_cnt     int NOT NULL,
    o_all_local  int NOT NULL,
    PRIMARY KEY (o_w_id, o_d_id, o_id),
    FOREIGN KEY (o_w_id, o_d_id, o_c_id) REFERENCES tpcc.customer (c_w_id, c_d_id, c_id)
);
CREATE INDEX orders_customer_idx ON tpcc.orders (o_w_id, o_d_id, o_c_id, o_id);
CREATE TABLE tpcc.new_order (
    no_o_id int NOT NULL,
    no_d_id int NOT NULL,
    no_w_id int NOT NULL,
    PRIMARY KEY (no_w_id, no_d_id, no_o_id),
    FOREIGN KEY (no_w_id, no_d_id, no_o_id) REFERENCES tpcc.orders (o_w_id, o_d_id, o_id)
);
CREATE TABLE tpcc.order_line (
    ol_o_id        int NOT NULL,
    ol_d_id        int NOT NULL,
    ol_w_id        int NOT NULL,
    ol_number      int NOT NULL,
    ol_i_id        int NOT NULL,
    ol_supply_w_id int NOT NULL,
    ol_delivery_d  timestamptz,
    ol_quantity    int NOT NULL,
    ol_amount      numeric(6,2) NOT NULL,
    ol_dist_info   char(24) NOT NULL,
    PRIMARY KEY (ol_w_id, ol_d_id, ol_o_id, ol_number),
    FOREIGN KEY (ol_w_id, ol_d_id, ol_o_id) REFERENCES tpcc.orders (o_w_id, o_d_id, o_id),
    FOREIGN KEY (ol_supply_w_id, ol_i_id) REFERENCES tpcc.stock (s_w_id, s_i_id)
);

-- Population helpers: a random string of letters of length lo..hi (a-string
-- of the spec), a random digit string (n-string), NURand (clause 2.1.6).
CREATE FUNCTION tpcc.astr(lo int, hi int) RETURNS text LANGUAGE sql VOLATILE
RETURN (SELECT string_agg(chr(97 + (random() * 25)::int), '')
        FROM generate_series(1, lo + (random() * (hi - lo))::int));
CREATE FUNCTION tpcc.nstr(n int) RETURNS text LANGUAGE sql VOLATILE
RETURN (SELECT string_agg(chr(48 + (random() * 9)::int), '') FROM generate_series(1, n));
CREATE FUNCTION tpcc.rnd(lo int, hi int) RETURNS int LANGUAGE sql VOLATILE
RETURN lo + floor(random() * (hi - lo + 1))::int;
CREATE FUNCTION tpcc.nurand(a int, lo int, hi int, c int) RETURNS int LANGUAGE sql VOLATILE
RETURN (((tpcc.rnd(0, a) | tpcc.rnd(lo, hi)) + c) % (hi - lo + 1)) + lo;
-- i_data / s_data: 26..50 characters, 10% with ORIGINAL somewhere inside.
CREATE FUNCTION tpcc.data_str() RETURNS text LANGUAGE sql VOLATILE
RETURN (SELECT CASE WHEN random() < 0.1
                    THEN left(s, p) || 'ORIGINAL' || substr(s, p + 9)
                    ELSE s END
        FROM (SELECT tpcc.astr(26, 50) AS s, tpcc.rnd(0, 17) AS p) x);
-- c_last from a number 0..999 (clause 4.3.2.3).
CREATE FUNCTION tpcc.last_name(n int) RETURNS text LANGUAGE sql IMMUTABLE
RETURN (SELECT string_agg((ARRAY['BAR','OUGHT','ABLE','PRI','PRES','ESE','ANTI','CALLY','ATION','EING'])
                          [substr(lpad(n::text, 3, '0'), k, 1)::int + 1], '' ORDER BY k)
        FROM generate_series(1, 3) k);

-- Population (clause 4.3.3.1, scaled as above)
INSERT INTO tpcc.item
SELECT i, tpcc.rnd(1, 10000), tpcc.astr(14, 24), tpcc.rnd(100, 10000) / 100.0, tpcc.data_str()
FROM generate_series(1, 10000) i;
INSERT INTO tpcc.warehouse
SELECT w, tpcc.astr(6, 10), tpcc.astr(10, 20), tpcc.astr(10, 20), tpcc.astr(10, 20),
       tpcc.astr(2, 2), tpcc.nstr(4) || '11111', tpcc.rnd(0, 2000) / 10000.0, 300000
FROM generate_series(1, 4) w;
INSERT INTO tpcc.stock
SELECT i, w, tpcc.rnd(10, 100),
       tpcc.astr(24, 24), tpcc.astr(24, 24), tpcc.astr(24, 24), tpcc.astr(24, 24), tpcc.astr(24, 24),
       tpcc.astr(24, 24), tpcc.astr(24, 24), tpcc.astr(24, 24), tpcc.astr(24, 24), tpcc.astr(24, 24),
       0, 0, 0, tpcc.data_str()
FROM generate_series(1, 4) w CROSS JOIN generate_series(1, 10000) i;
INSERT INTO tpcc.district
SELECT d, w, tpcc.astr(6, 10), tpcc.astr(10, 20), tpcc.astr(10, 20), tpcc.astr(10, 20),
       tpcc.astr(2, 2), tpcc.nstr(4) || '11111', tpcc.rnd(0, 2000) / 10000.0, 30000, 301
FROM generate_series(1, 4) w CROSS JOIN generate_series(1, 10) d;
INSERT INTO tpcc.customer
SELECT c, d, w, tpcc.astr(8, 16), 'OE',
       tpcc.last_name(CASE WHEN c <= 1000 THEN c - 1 ELSE tpcc.nurand(255, 0, 999, 157) END),
       tpcc.astr(10, 20), tpcc.astr(10, 20), tpcc.astr(10, 20), tpcc.astr(2, 2),
       tpcc.nstr(4) || '11111', tpcc.nstr(16), now(),
       CASE WHEN random() < 0.1 THEN 'BC' ELSE 'GC' END, 50000, tpcc.rnd(0, 5000) / 10000.0,
       -10, 10, 1, 0, tpcc.astr(300, 500)
FROM generate_series(1, 4) w CROSS JOIN generate_series(1, 10) d CROSS JOIN generate_series(1, 300) c;
-- Orders 1..300 per district, customers in a random permutation; the last
-- 90 (o_id > 210) are undelivered and in new_order.
INSERT INTO tpcc.orders
SELECT o, d, w, c, now(), CASE WHEN o <= 210 THEN tpcc.rnd(1, 10) END, tpcc.rnd(5, 15), 1
FROM generate_series(1, 4) w CROSS JOIN generate_series(1, 10) d
CROSS JOIN LATERAL (SELECT row_number() OVER (ORDER BY random())::int AS o, c
                    FROM generate_series(1, 300) c) p;
INSERT INTO tpcc.new_order SELECT o_id, o_d_id, o_w_id FROM tpcc.orders WHERE o_id > 210;
INSERT INTO tpcc.order_line
SELECT o.o_id, o.o_d_id, o.o_w_id, n, tpcc.rnd(1, 10000), o.o_w_id,
       CASE WHEN o.o_id <= 210 THEN o.o_entry_d END, 5,
       CASE WHEN o.o_id <= 210 THEN 0 ELSE tpcc.rnd(1, 999999) / 100.0 END, tpcc.astr(24, 24)
FROM tpcc.orders o CROSS JOIN LATERAL generate_series(1, o.o_ol_cnt) n;

-- New-Order (clause 2.4.2.2).  Arguments as the terminal enters them
-- (clause 2.4.1): warehouse, district, customer, and per line the item, the
-- supplying warehouse and the quantity.  Returns the order's total amount
-- (clause 2.4.2.2: sum(ol_amount) * (1 - c_discount) * (1 + w_tax + d_tax)).
CREATE FUNCTION tpcc.new_order(w int, d int, c int, items int[], supply int[], qty int[])
RETURNS numeric LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o          int;
    d_tax      numeric;
    w_tax      numeric;
    c_discount numeric;
    c_last     text;
    c_credit   text;
    n          int := cardinality(items);
    found_n    int;
    total      numeric;
BEGIN
    -- the district's next order number, taken and advanced in one statement
    UPDATE tpcc.district SET d_next_o_id = d_next_o_id + 1
    WHERE d_w_id = w AND d_id = d
    RETURNING district.d_tax, district.d_next_o_id - 1 INTO d_tax, o;
    SELECT wh.w_tax, cu.c_discount, cu.c_last, cu.c_credit
    INTO w_tax, c_discount, c_last, c_credit
    FROM tpcc.warehouse wh, tpcc.customer cu
    WHERE wh.w_id = w AND cu.c_w_id = w AND cu.c_d_id = d AND cu.c_id = c;
    -- an unused item number rolls the whole transaction back (clause 2.4.2.3)
    SELECT count(*) INTO found_n FROM tpcc.item WHERE i_id = ANY (items);
    IF found_n <> n THEN
        RAISE EXCEPTION 'Item number is not valid';
    END IF;
    INSERT INTO tpcc.orders (o_id, o_d_id, o_w_id, o_c_id, o_entry_d, o_carrier_id, o_ol_cnt, o_all_local)
    VALUES (o, d, w, c, now(), NULL, n, CASE WHEN supply <@ ARRAY[w] THEN 1 ELSE 0 END);
    INSERT INTO tpcc.new_order (no_o_id, no_d_id, no_w_id) VALUES (o, d, w);
    -- lock the stock rows in key order: concurrent orders never deadlock
    PERFORM 1 FROM tpcc.stock s
    JOIN unnest(items, supply) AS l(i, sw) ON s.s_i_id = l.i AND s.s_w_id = l.sw
    ORDER BY s.s_w_id, s.s_i_id
    FOR UPDATE OF s;
    -- stock update and order lines in one statement
    WITH l AS (
        SELECT * FROM unnest(items, supply, qty) WITH ORDINALITY AS l(i, sw, q, num)
    ), s AS (
        UPDATE tpcc.stock s
        SET s_quantity = CASE WHEN s.s_quantity >= l.q + 10 THEN s.s_quantity - l.q
                              ELSE s.s_quantity - l.q + 91 END,
            s_ytd = s.s_ytd + l.q,
            s_order_cnt = s.s_order_cnt + 1,
            s_remote_cnt = s.s_remote_cnt + (l.sw <> w)::int
        FROM l
        WHERE s.s_i_id = l.i AND s.s_w_id = l.sw
        RETURNING l.num, l.i, l.sw, l.q,
                  CASE d WHEN 1 THEN s.s_dist_01 WHEN 2 THEN s.s_dist_02 WHEN 3 THEN s.s_dist_03
                         WHEN 4 THEN s.s_dist_04 WHEN 5 THEN s.s_dist_05 WHEN 6 THEN s.s_dist_06
                         WHEN 7 THEN s.s_dist_07 WHEN 8 THEN s.s_dist_08 WHEN 9 THEN s.s_dist_09
                         ELSE s.s_dist_10 END AS dist_info
    ), ins AS (
        INSERT INTO tpcc.order_line (ol_o_id, ol_d_id, ol_w_id, ol_number, ol_i_id, ol_supply_w_id,
                                     ol_delivery_d, ol_quantity, ol_amount, ol_dist_info)
        SELECT o, d, w, s.num, s.i, s.sw, NULL, s.q, s.q * it.i_price, s.dist_info
        FROM s JOIN tpcc.item it ON it.i_id = s.i
        RETURNING ol_amount
    )
    SELECT sum(ol_amount) * (1 - c_discount) * (1 + w_tax + d_tax) INTO total FROM ins;
    RETURN total;
END
$$;

-- Consistency conditions 1-4 of clause 3.3.2.  One row per violation.
CREATE FUNCTION tpcc.check_consistency() RETURNS TABLE (condition int, w int, d int, detail text)
LANGUAGE sql AS $$
    SELECT 1, wh.w_id, NULL::int, 'w_ytd ' || wh.w_ytd || ' <> sum(d_ytd) ' || sum(di.d_ytd)
    FROM tpcc.warehouse wh JOIN tpcc.district di ON di.d_w_id = wh.w_id
    GROUP BY wh.w_id, wh.w_ytd HAVING wh.w_ytd <> sum(di.d_ytd)
    UNION ALL
    SELECT 2, di.d_w_id, di.d_id, 'd_next_o_id - 1 = ' || (di.d_next_o_id - 1)
           || ', max(o_id) = ' || mo.m || ', max(no_o_id) = ' || mn.m
    FROM tpcc.district di
    CROSS JOIN LATERAL (SELECT max(o_id) AS m FROM tpcc.orders WHERE o_w_id = di.d_w_id AND o_d_id = di.d_id) mo
    CROSS JOIN LATERAL (SELECT max(no_o_id) AS m FROM tpcc.new_order WHERE no_w_id = di.d_w_id AND no_d_id = di.d_id) mn
    WHERE di.d_next_o_id - 1 <> mo.m OR di.d_next_o_id - 1 <> mn.m
    UNION ALL
    SELECT 3, no_w_id, no_d_id, 'new_order rows ' || count(*) || ' <> max - min + 1'
    FROM tpcc.new_order GROUP BY no_w_id, no_d_id
    HAVING count(*) <> max(no_o_id) - min(no_o_id) + 1
    UNION ALL
    SELECT 4, o.o_w_id, o.o_d_id, 'sum(o_ol_cnt) ' || sum(o.o_ol_cnt) || ' <> order lines ' || max(l.n)
    FROM tpcc.orders o
    JOIN (SELECT ol_w_id, ol_d_id, count(*) AS n FROM tpcc.order_line GROUP BY 1, 2) l
      ON l.ol_w_id = o.o_w_id AND l.ol_d_id = o.o_d_id
    GROUP BY o.o_w_id, o.o_d_id HAVING sum(o.o_ol_cnt) <> max(l.n)
$$;

VACUUM ANALYZE;
