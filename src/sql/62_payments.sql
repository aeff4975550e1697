
-- ===========================================================================
-- 62_payments.sql: the payment ledger of each order, the derived
-- payment_status, and the payment API (payments.c)
-- ===========================================================================

CREATE TABLE oms.payment (
    payment_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint NOT NULL REFERENCES oms.sales_order,
    kind              text NOT NULL
                      CHECK (kind IN ('authorization', 'capture', 'refund', 'void')),
    amount            numeric(14,2) NOT NULL CHECK (amount > 0),
    currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    provider          text,
    provider_ref      text,
    parent_payment_id bigint REFERENCES oms.payment,
    reason            text,
    idempotency_key   text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by        name NOT NULL DEFAULT SESSION_USER,
    CHECK (kind <> 'authorization' OR parent_payment_id IS NULL)
);
COMMENT ON TABLE oms.payment IS 'Append-only payment ledger: authorizations, captures, refunds and voids of each order.  Written only by oms.record_payment() and oms.refund(); UPDATE, DELETE and TRUNCATE are refused.  sales_order.payment_status is derived from it.';
COMMENT ON COLUMN oms.payment.kind IS 'authorization (funds held), capture (funds taken), refund (captured funds given back) or void (an uncaptured authorization released).';
COMMENT ON COLUMN oms.payment.amount IS 'Positive amount in currency; the kind says which way it goes.';
COMMENT ON COLUMN oms.payment.currency IS 'ISO 4217 code; always the order''s currency.';
COMMENT ON COLUMN oms.payment.provider IS 'Payment service provider, such as stripe or adyen (free text).';
COMMENT ON COLUMN oms.payment.provider_ref IS 'The provider''s reference of this operation (charge, capture or refund id).';
COMMENT ON COLUMN oms.payment.parent_payment_id IS 'The authorization a capture or void belongs to, or the capture a refund gives back, when known.  A direct sale''s capture points at the authorization recorded with it.';
COMMENT ON COLUMN oms.payment.reason IS 'Why (mostly for refunds and voids).';
COMMENT ON COLUMN oms.payment.idempotency_key IS 'The idempotency key of the call that wrote the row, if any (scope payment in oms.idempotency_key).';
COMMENT ON COLUMN oms.payment.created_by IS 'Session user of the call.';
CREATE INDEX payment_order_idx ON oms.payment (order_id) INCLUDE (kind, amount);
CREATE INDEX payment_provider_ref_idx ON oms.payment (provider, provider_ref)
    WHERE provider_ref IS NOT NULL;

-- payment_status is derived from the ledger by the engine; these are its values.
ALTER TABLE oms.sales_order ADD CONSTRAINT sales_order_payment_status_check
    CHECK (payment_status IN ('unpaid', 'authorized', 'partially_paid', 'paid',
                              'partially_refunded', 'refunded', 'voided'));
COMMENT ON COLUMN oms.sales_order.payment_status IS 'Derived from oms.payment by the engine, never written by hand: unpaid, authorized, partially_paid, paid, partially_refunded, refunded or voided (README, Payments).';

-- pg_dump keeps the ledger and its identity sequence (restore with
-- session_replication_role = replica: README, Dump and restore).
SELECT pg_catalog.pg_extension_config_dump('oms.payment', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.payment', 'payment_id')::pg_catalog.regclass, '');

-- ---------------------------------------------------------------------------
-- Guards (C triggers): the ledger is written only by the engine and never
-- rewritten; payment_status is written only by the engine and follows the
-- order total.
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.payment_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_payment_guard';
COMMENT ON FUNCTION oms.payment_guard() IS 'Ledger trigger: refuses INSERT into oms.payment outside the payment API, and every UPDATE, DELETE and TRUNCATE.';
CREATE TRIGGER payment_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.payment
    FOR EACH ROW EXECUTE FUNCTION oms.payment_guard();
CREATE TRIGGER payment_guard_truncate
    BEFORE TRUNCATE ON oms.payment
    FOR EACH STATEMENT EXECUTE FUNCTION oms.payment_guard();

CREATE FUNCTION oms.payment_status_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_payment_status_guard';
COMMENT ON FUNCTION oms.payment_status_guard() IS 'Order trigger: refuses writes of sales_order.payment_status outside the payment engine, and derives it again when the order total changes.';
CREATE TRIGGER payment_status_guard
    BEFORE INSERT OR UPDATE OF payment_status, subtotal, tax, shipping ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.payment_status_guard();

-- ---------------------------------------------------------------------------
-- Payment API (C).  Not STRICT: a NULL required argument is answered with
-- 22023 naming it.
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.record_payment(order_id bigint, kind text, amount numeric,
                                   currency text DEFAULT NULL, provider text DEFAULT NULL,
                                   provider_ref text DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_record_payment';
COMMENT ON FUNCTION oms.record_payment(bigint, text, numeric, text, text, text, text) IS 'Record an authorization, capture, refund or void of an order (currency NULL = the order''s) and derive its payment_status.  A capture on an order with no authorization is a direct sale.  Returns the payment id; a retry with the same idempotency key returns the first one.';

CREATE FUNCTION oms.refund(order_id bigint, amount numeric, reason text DEFAULT NULL,
                           idempotency_key text DEFAULT NULL, provider text DEFAULT NULL,
                           provider_ref text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_refund';
COMMENT ON FUNCTION oms.refund(bigint, numeric, text, text, text, text) IS 'Refund captured money of an order (at most captured - refunded), in the order''s currency, with a reason.  Emits refund.issued.  Returns the payment id; a retry with the same idempotency key refunds once.';

CREATE FUNCTION oms.refundable_balance(order_id bigint)
    RETURNS numeric
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_refundable_balance';
COMMENT ON FUNCTION oms.refundable_balance(bigint) IS 'What can still be refunded on an order: captured - refunded.  OM003 for an unknown order.';

CREATE FUNCTION oms.payment_status_of(total numeric, authorized numeric, captured numeric,
                                      refunded numeric, voided numeric)
    RETURNS text
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'oms_payment_status_of';
COMMENT ON FUNCTION oms.payment_status_of(numeric, numeric, numeric, numeric, numeric) IS 'The payment_status an order of this total has with these ledger sums (the rule the engine applies).';

-- check_payments: every order whose stored payment_status is not the one its
-- ledger gives, and every order whose ledger breaks a rule.  No rows means
-- all is well.
CREATE FUNCTION oms.check_payments()
    RETURNS TABLE (order_number text, problem text, expected text, actual text)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH s AS (
        SELECT o.order_number, o.payment_status, o.total, o.currency,
               COALESCE(sum(p.amount) FILTER (WHERE p.kind = 'authorization'), 0) AS authorized,
               COALESCE(sum(p.amount) FILTER (WHERE p.kind = 'capture'), 0) AS captured,
               COALESCE(sum(p.amount) FILTER (WHERE p.kind = 'refund'), 0) AS refunded,
               COALESCE(sum(p.amount) FILTER (WHERE p.kind = 'void'), 0) AS voided,
               count(*) FILTER (WHERE p.currency::text <> o.currency) AS foreign_rows
        FROM oms.sales_order o
        LEFT JOIN oms.payment p ON p.order_id = o.order_id
        GROUP BY o.order_id
    )
    SELECT order_number, 'payment_status differs from the ledger',
           oms.payment_status_of(total, authorized, captured, refunded, voided), payment_status
    FROM s WHERE payment_status <> oms.payment_status_of(total, authorized, captured, refunded, voided)
    UNION ALL
    SELECT order_number, 'captured + voided exceeds authorized',
           authorized::text, (captured + voided)::text
    FROM s WHERE captured + voided > authorized
    UNION ALL
    SELECT order_number, 'refunded exceeds captured', captured::text, refunded::text
    FROM s WHERE refunded > captured
    UNION ALL
    SELECT order_number, 'payments in another currency than the order''s', currency, foreign_rows::text
    FROM s WHERE foreign_rows > 0
    ORDER BY 1, 2
$$;
COMMENT ON FUNCTION oms.check_payments() IS 'Proves every order''s payment_status is the one its ledger gives and no ledger breaks a rule: one row per problem, none when all is well.';

-- Per order, for BI: the ledger sums and what follows from them.
CREATE VIEW oms.order_payments AS
SELECT o.order_id,
       o.order_number,
       o.currency,
       o.total,
       round(COALESCE(p.authorized, 0), 2) AS authorized,
       round(COALESCE(p.captured, 0), 2) AS captured,
       round(COALESCE(p.refunded, 0), 2) AS refunded,
       round(COALESCE(p.voided, 0), 2) AS voided,
       round(COALESCE(p.authorized, 0) - COALESCE(p.captured, 0) - COALESCE(p.voided, 0), 2) AS open_authorization,
       round(COALESCE(p.captured, 0) - COALESCE(p.refunded, 0), 2) AS refundable,
       o.payment_status,
       o.payment_required,
       oms.payment_satisfied(o.payment_required, o.payment_status) AS payment_satisfied,
       COALESCE(p.payments, 0) AS payments,
       p.last_payment_at
FROM oms.sales_order o
LEFT JOIN (
    SELECT order_id,
           sum(amount) FILTER (WHERE kind = 'authorization') AS authorized,
           sum(amount) FILTER (WHERE kind = 'capture') AS captured,
           sum(amount) FILTER (WHERE kind = 'refund') AS refunded,
           sum(amount) FILTER (WHERE kind = 'void') AS voided,
           count(*) AS payments,
           max(created_at) AS last_payment_at
    FROM oms.payment
    GROUP BY order_id
) p ON p.order_id = o.order_id;
COMMENT ON VIEW oms.order_payments IS 'Per order: authorized, captured, refunded and voided sums, the open authorization (authorized - captured - voided), the refundable balance (captured - refunded), payment_status and whether it meets payment_required.';

GRANT SELECT ON oms.payment TO oms_admin, oms_app, oms_reader;
GRANT SELECT ON oms.order_payments TO oms_admin, oms_app, oms_reader;
REVOKE ALL ON FUNCTION oms.record_payment(bigint, text, numeric, text, text, text, text),
                       oms.refund(bigint, numeric, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.record_payment(bigint, text, numeric, text, text, text, text),
                          oms.refund(bigint, numeric, text, text, text, text) TO oms_admin, oms_app;
GRANT EXECUTE ON FUNCTION oms.refundable_balance(bigint),
                          oms.payment_status_of(numeric, numeric, numeric, numeric, numeric),
                          oms.check_payments() TO oms_admin, oms_app, oms_reader;
