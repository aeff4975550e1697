
-- ===========================================================================
-- 97_import.sql: marketplace and storefront import (README, Marketplace
-- import).  import_order() takes an order as Shopify, WooCommerce or Amazon
-- send it, maps it with the platform's mapper (97_import_<platform>.sql)
-- onto place_order() and returns the order id; import_payment() takes a
-- payment notice and records it, or keeps it until its order arrives.
--
-- A layer above the order API, in PL/pgSQL: everything it writes to orders
-- and payments goes through place_order() and record_payment().
-- ===========================================================================

-- Per channel, the platform's sku -> ours.
CREATE TABLE oms.sku_map (
    channel_id   bigint NOT NULL REFERENCES oms.channel,
    external_sku text NOT NULL CHECK (external_sku <> '' AND pg_catalog.length(external_sku) <= 255),
    item_id      bigint NOT NULL REFERENCES oms.item,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (channel_id, external_sku)
);
COMMENT ON TABLE oms.sku_map IS 'Per channel, which of our items a platform''s sku is (import_order).  Maintained with oms.set_sku_map() and oms.unset_sku_map().';
COMMENT ON COLUMN oms.sku_map.external_sku IS 'The sku as the platform sends it (Shopify and WooCommerce line sku, Amazon SellerSKU).';
COMMENT ON COLUMN oms.sku_map.item_id IS 'Our item (a bundle too: place_order expands it).';

-- Per channel, every platform order the import has heard of: by its order
-- or by a payment notice that came first.  Its row is the lock that orders
-- an order's import and its payment notices.  channel_id has no foreign
-- key, as sales_order's (96_references.sql): every import of a channel
-- would lock the one channel row FOR KEY SHARE; import_lock() checks the
-- channel with a plain read, and channel rows are never deleted.
CREATE TABLE oms.order_import (
    channel_id          bigint NOT NULL,
    platform_order_id   text NOT NULL CHECK (platform_order_id <> '' AND pg_catalog.length(platform_order_id) <= 200),
    source              text NOT NULL CHECK (source IN ('shopify', 'woocommerce', 'amazon')),
    order_id            bigint UNIQUE REFERENCES oms.sales_order,
    platform_order_name text,
    first_seen_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    imported_at         timestamptz,
    PRIMARY KEY (channel_id, platform_order_id),
    CHECK ((order_id IS NULL) = (imported_at IS NULL))
);
COMMENT ON TABLE oms.order_import IS 'Platform orders the import has heard of, per channel: order_id once import_order placed it, NULL while only payment notices have arrived.';
COMMENT ON COLUMN oms.order_import.platform_order_id IS 'The platform''s order id (Shopify id, WooCommerce id, AmazonOrderId); also the order''s channel_order_ref.';
COMMENT ON COLUMN oms.order_import.platform_order_name IS 'The name the platform shows people (Shopify name such as #1001, WooCommerce number).';

CREATE TABLE oms.import_payment_notice (
    notice_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id        bigint NOT NULL,
    platform_order_id text NOT NULL,
    notice_key        text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('authorization', 'capture', 'refund', 'void')),
    amount            numeric(14,2) NOT NULL CHECK (amount > 0),
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    provider          text,
    provider_ref      text,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'failed')),
    payment_id        bigint,
    error             text,
    received_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    applied_at        timestamptz,
    FOREIGN KEY (channel_id, platform_order_id) REFERENCES oms.order_import,
    UNIQUE (channel_id, notice_key),
    CHECK ((state = 'applied') = (payment_id IS NOT NULL)),
    CHECK ((state = 'failed') = (error IS NOT NULL))
);
COMMENT ON TABLE oms.import_payment_notice IS 'Payment notices of platform orders (import_payment): applied to the order''s payment ledger once, at once when the order is there, else when import_order places it.';
COMMENT ON COLUMN oms.import_payment_notice.notice_key IS 'What makes the notice one: transaction:<id> (Shopify), order:<id>:paid (WooCommerce).';
-- payment_id has no foreign key: the payment ledger refuses TRUNCATE with
-- its own OM008, which a referencing key would pre-empt; ledger rows are
-- never deleted.
COMMENT ON COLUMN oms.import_payment_notice.payment_id IS 'The oms.payment row the notice became, once applied.';
COMMENT ON COLUMN oms.import_payment_notice.state IS 'pending (its order has not arrived), applied (payment_id is its ledger row) or failed (the ledger refused it when the order arrived: error says why).';
CREATE INDEX import_payment_notice_order_idx ON oms.import_payment_notice (channel_id, platform_order_id)
    WHERE state = 'pending';

SELECT pg_catalog.pg_extension_config_dump('oms.sku_map', '');
SELECT pg_catalog.pg_extension_config_dump('oms.order_import', '');
SELECT pg_catalog.pg_extension_config_dump('oms.import_payment_notice', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.import_payment_notice', 'notice_id')::pg_catalog.regclass, '');

-- ---------------------------------------------------------------------------
-- Reading a platform's JSON: each value named by its place in the payload
-- (what), 22023 for anything that is not what the platform documents.
-- ---------------------------------------------------------------------------

-- Text: a JSON string or number; NULL for absent, null or "" (WooCommerce
-- sends "" for an empty field).
CREATE FUNCTION oms.import_text(v jsonb, what text)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) NOT IN ('string', 'number') THEN
        RAISE EXCEPTION '% must be a string, got %', what, left(v::text, 100)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    t := v #>> '{}';
    RETURN nullif(t, '');
END
$$;
COMMENT ON FUNCTION oms.import_text(jsonb, text) IS 'Import helper: a JSON string or number as text (NULL for absent, null or empty); 22023 naming what otherwise.';

-- An amount: a JSON number or a numeric string (Shopify "199.00"), at least
-- 0, at most two decimals, below 10^12.  NULL for absent or null.
CREATE FUNCTION oms.import_amount(v jsonb, what text)
    RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    n numeric;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) IN ('string', 'number') THEN
        t := btrim(v #>> '{}');
    END IF;
    IF t IS NULL OR length(t) > 40 OR t !~ '^[0-9]+(\.[0-9]+)?$' THEN
        RAISE EXCEPTION '% must be an amount such as "10.00", got %', what, left(v::text, 100)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    n := t::numeric;
    IF n <> round(n, 2) THEN
        RAISE EXCEPTION '% must have at most two decimals, got %', what, t
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF n >= 1000000000000 THEN
        RAISE EXCEPTION '% % is out of range', what, t
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'Amounts are below 1000000000000.';
    END IF;
    RETURN round(n, 2);
END
$$;
COMMENT ON FUNCTION oms.import_amount(jsonb, text) IS 'Import helper: a JSON number or numeric string as an amount (at least 0, two decimals, below 10^12; NULL for absent or null); 22023 or 22003 naming what otherwise.';

-- A quantity: a whole JSON number (or numeric string) above 0.
CREATE FUNCTION oms.import_qty(v jsonb, what text)
    RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
BEGIN
    IF jsonb_typeof(v) IN ('string', 'number') THEN
        t := btrim(v #>> '{}');
    END IF;
    IF t IS NULL OR t !~ '^[0-9]{1,15}$' OR t::bigint = 0 THEN
        RAISE EXCEPTION '% must be a whole number above 0, got %', what, coalesce(left(v::text, 100), 'nothing')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN t::bigint;
END
$$;
COMMENT ON FUNCTION oms.import_qty(jsonb, text) IS 'Import helper: a whole JSON number above 0 (at most 15 digits) as a quantity; 22023 naming what otherwise.';

-- The ship-to address of place_order from a platform's fields, nulls left
-- out; region as an ISO 3166-2 code (US-NJ) when the platform gives a
-- state or province code, as locations name their regions; NULL when
-- there is no street address (digital goods, pickup).
CREATE FUNCTION oms.import_ship_to(name text, company text, line1 text, line2 text, line3 text,
                                   city text, region text, postal_code text, country text,
                                   phone text, latitude jsonb DEFAULT NULL, longitude jsonb DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE WHEN line1 IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
               'name', name, 'company', company, 'line1', line1, 'line2', line2, 'line3', line3,
               'city', city,
               'region', CASE WHEN region ~ '^[A-Za-z0-9]{1,3}$' AND country ~ '^[A-Z]{2}$'
                              THEN country || '-' || upper(region) ELSE region END,
               'postal_code', postal_code, 'country', country, 'phone', phone,
               'latitude', CASE WHEN jsonb_typeof(latitude) = 'number' AND jsonb_typeof(longitude) = 'number'
                                THEN latitude END,
               'longitude', CASE WHEN jsonb_typeof(latitude) = 'number' AND jsonb_typeof(longitude) = 'number'
                                 THEN longitude END)) END
$$;
COMMENT ON FUNCTION oms.import_ship_to(text, text, text, text, text, text, text, text, text, text, jsonb, jsonb) IS 'Import helper: a place_order ship_to from address fields (nulls left out, a state code made ISO 3166-2 such as US-NJ, coordinates only as a pair of numbers); NULL without a street line.';

-- ---------------------------------------------------------------------------
-- The sku map
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.import_channel_id(channel text)
    RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id bigint;
BEGIN
    IF channel IS NULL OR channel = '' THEN
        RAISE EXCEPTION 'channel must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(channel) > 255 THEN
        RAISE EXCEPTION 'channel is % characters long, more than the 255 allowed', length(channel)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.channel_id INTO id FROM oms.channel c WHERE c.code = channel;
    IF id IS NULL THEN
        RAISE EXCEPTION 'unknown channel "%"', channel USING ERRCODE = 'OM003';
    END IF;
    RETURN id;
END
$$;
COMMENT ON FUNCTION oms.import_channel_id(text) IS 'Import helper: the id of a channel code; 22023 for an empty or too long code, OM003 for an unknown one.';

CREATE FUNCTION oms.set_sku_map(channel text, external_sku text, sku text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ch bigint := oms.import_channel_id(channel);
    item bigint;
BEGIN
    IF external_sku IS NULL OR external_sku = '' OR length(external_sku) > 255 THEN
        RAISE EXCEPTION 'external_sku must be 1 to 255 characters, got %',
            coalesce(length(external_sku)::text || ' characters', 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF sku IS NULL THEN
        RAISE EXCEPTION 'sku must not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT i.item_id INTO item FROM oms.item i WHERE i.sku = set_sku_map.sku;
    IF item IS NULL THEN
        RAISE EXCEPTION 'unknown sku "%"', left(sku, 255) USING ERRCODE = 'OM003';
    END IF;
    INSERT INTO oms.sku_map AS m (channel_id, external_sku, item_id) VALUES (ch, external_sku, item)
    ON CONFLICT ON CONSTRAINT sku_map_pkey DO UPDATE SET item_id = EXCLUDED.item_id, created_at = now()
        WHERE m.item_id <> EXCLUDED.item_id;
END
$$;
COMMENT ON FUNCTION oms.set_sku_map(text, text, text) IS 'Map a platform''s sku to ours for a channel (replacing an earlier mapping of it).  OM003 for an unknown channel or sku.';

CREATE FUNCTION oms.unset_sku_map(channel text, external_sku text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ch bigint := oms.import_channel_id(channel);
BEGIN
    DELETE FROM oms.sku_map m WHERE m.channel_id = ch AND m.external_sku = unset_sku_map.external_sku;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION oms.unset_sku_map(text, text) IS 'Remove the mapping of a platform''s sku for a channel.  Returns whether there was one.';

-- ---------------------------------------------------------------------------
-- import_order
-- ---------------------------------------------------------------------------

-- The source as given, checked: 22023 for one oms does not know.
CREATE FUNCTION oms.import_source(source text, payload jsonb)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF source IS NULL OR source NOT IN ('shopify', 'woocommerce', 'amazon') THEN
        RAISE EXCEPTION 'unknown source %', coalesce('"' || left(source, 100) || '"', 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The sources are amazon, shopify and woocommerce.';
    END IF;
    IF payload IS NULL OR jsonb_typeof(payload) <> 'object' THEN
        RAISE EXCEPTION '% payload must be a JSON object, got %', source,
            coalesce(jsonb_typeof(payload), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN source;
END
$$;
COMMENT ON FUNCTION oms.import_source(text, jsonb) IS 'Import helper: checks the source (shopify, woocommerce, amazon: 22023 otherwise) and that the payload is a JSON object.';

-- Lock the platform order's row (creating it when this is the first word
-- of it): import_order and import_payment of one platform order serialize
-- here, so a notice is never stored as pending while its order commits.
CREATE FUNCTION oms.import_lock(channel_id bigint, platform_order_id text, source text)
    RETURNS oms.order_import
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r oms.order_import;
BEGIN
    PERFORM oms.import_source(source, '{}');
    IF platform_order_id IS NULL OR platform_order_id = '' OR length(platform_order_id) > 200 THEN
        RAISE EXCEPTION 'platform order id must be 1 to 200 characters, got %',
            coalesce(length(platform_order_id)::text || ' characters', 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM oms.channel c WHERE c.channel_id = import_lock.channel_id) THEN
        RAISE EXCEPTION 'unknown channel id %', coalesce(channel_id::text, 'NULL') USING ERRCODE = 'OM003';
    END IF;
    INSERT INTO oms.order_import (channel_id, platform_order_id, source)
    VALUES (import_lock.channel_id, import_lock.platform_order_id, import_lock.source)
    ON CONFLICT DO NOTHING;
    SELECT * INTO r FROM oms.order_import o
    WHERE o.channel_id = import_lock.channel_id AND o.platform_order_id = import_lock.platform_order_id
    FOR UPDATE;
    IF r.source <> import_lock.source THEN
        RAISE EXCEPTION 'order "%" of this channel came from %, not %', platform_order_id, r.source, source
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION oms.import_lock(bigint, text, text) IS 'Import helper: locks (and first creates) the oms.order_import row of a platform order; 22023 when it came from another source.';

CREATE FUNCTION oms.import_order(source text, payload jsonb, channel text DEFAULT NULL,
                                 options jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src text := oms.import_source(source, payload);
    ch text := coalesce(channel, source);
    ch_id bigint := oms.import_channel_id(coalesce(channel, source));
    m jsonb;
    id text;
    l jsonb;
    i integer := 0;
    item_sku text;
    lines jsonb := '[]';
    subtotal numeric := 0;
    total numeric;
    opts jsonb;
    k text;
    imp oms.order_import;
    placed bigint;
    n record;
    pid bigint;
    st text;
    msg text;
    first_number text;
BEGIN
    IF options IS NOT NULL AND jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object, got %', jsonb_typeof(options)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k IN SELECT jsonb_object_keys(coalesce(options, '{}')) LOOP
        IF k NOT IN ('service_level', 'strategy', 'allow_split', 'payment_required', 'confirm', 'promised_at') THEN
            RAISE EXCEPTION 'option "%" is not one import_order takes', left(k, 100)
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'import_order takes service_level, strategy, allow_split, payment_required, confirm and promised_at; the rest comes from the payload.';
        END IF;
    END LOOP;

    m := CASE src WHEN 'shopify' THEN oms.import_map_shopify(payload)
                  WHEN 'woocommerce' THEN oms.import_map_woocommerce(payload)
                  ELSE oms.import_map_amazon(payload) END;
    id := m->>'platform_order_id';
    IF m->>'customer' IS NULL THEN
        RAISE EXCEPTION '% order % has no customer email', src, id USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Orders are placed for a customer known by email (shopify: email, woocommerce: billing.email, amazon: BuyerInfo.BuyerEmail).';
    END IF;
    IF m->>'currency' IS NULL THEN
        RAISE EXCEPTION '% order % has no currency', src, id USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- our skus, through the channel's map
    FOR l IN SELECT e FROM jsonb_array_elements(m->'lines') e LOOP
        SELECT it.sku INTO item_sku
        FROM oms.sku_map s JOIN oms.item it USING (item_id)
        WHERE s.channel_id = ch_id AND s.external_sku = l->>'external_sku';
        IF item_sku IS NULL THEN
            RAISE EXCEPTION 'unmapped sku "%" of channel "%" in % order %', l->>'external_sku', ch, src, id
                USING ERRCODE = 'OM003',
                      DETAIL = format('Line %s of the order names it; channel "%s" has no mapping for it.', i + 1, ch),
                      HINT = format('Map it with oms.set_sku_map(%L, %L, <our sku>).', ch, l->>'external_sku');
        END IF;
        lines := lines || jsonb_build_object('sku', item_sku, 'qty', (l->>'qty')::bigint,
                                             'unit_price', l->'unit_price');
        subtotal := subtotal + (l->>'unit_price')::numeric * (l->>'qty')::bigint;
        i := i + 1;
    END LOOP;

    -- the platform's own total must be what the order will say
    total := greatest(subtotal - (m->>'discount')::numeric, 0) + (m->>'tax')::numeric + (m->>'shipping')::numeric;
    IF m->>'platform_total' IS NOT NULL AND total <> (m->>'platform_total')::numeric THEN
        RAISE EXCEPTION '% order % totals %, not the % the payload says', src, id, total, m->>'platform_total'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Subtotal %s - discount %s + tax %s + shipping %s.  Amounts oms does not map (tips, duties, fees, gift wrap, tax-inclusive prices) make the platform''s total differ.',
                                  subtotal, m->>'discount', m->>'tax', m->>'shipping');
    END IF;

    opts := jsonb_strip_nulls(jsonb_build_object(
                'idempotency_key', 'import:' || ch_id || ':' || id,
                'channel_order_ref', id,
                'currency', m->'currency', 'tax', m->'tax', 'shipping', m->'shipping',
                'discount', m->'discount', 'ship_to', m->'ship_to',
                'service_level', m->'service_level', 'customer_name', m->'customer_name'))
            || coalesce(options, '{}');

    imp := oms.import_lock(ch_id, id, src);
    BEGIN
        placed := oms.place_order(m->>'customer', ch, lines, opts);
    EXCEPTION WHEN SQLSTATE 'OM004' THEN
        SELECT o.order_number INTO first_number FROM oms.sales_order o WHERE o.order_id = imp.order_id;
        RAISE EXCEPTION '% order % was already imported with other contents', src, id
            USING ERRCODE = 'OM004',
                  DETAIL = format('It was imported as %s.  The order it maps to (customer, lines, prices, amounts, address) and the options must be the same for a re-delivery; fields oms does not read do not count.', coalesce(first_number, '(none)')),
                  HINT = 'Change the order with oms.edit_order() or oms.cancel_order().';
    END;
    IF imp.order_id IS NULL THEN
        UPDATE oms.order_import o SET order_id = placed, imported_at = now(),
                                      platform_order_name = m->>'platform_order_name'
        WHERE o.channel_id = ch_id AND o.platform_order_id = id;
    END IF;

    -- payment notices that came first, in the order they came
    FOR n IN SELECT * FROM oms.import_payment_notice p
             WHERE p.channel_id = ch_id AND p.platform_order_id = id AND p.state = 'pending'
             ORDER BY p.notice_id FOR UPDATE LOOP
        BEGIN
            pid := oms.record_payment(placed, n.kind, n.amount, n.currency, n.provider, n.provider_ref,
                                      'import:' || ch_id || ':' || n.notice_key);
            UPDATE oms.import_payment_notice p SET state = 'applied', payment_id = pid, applied_at = now()
            WHERE p.notice_id = n.notice_id;
        EXCEPTION WHEN SQLSTATE 'OM004' OR SQLSTATE 'OM005' OR SQLSTATE 'OM010'
                    OR invalid_parameter_value OR numeric_value_out_of_range THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            UPDATE oms.import_payment_notice p SET state = 'failed', error = st || ': ' || msg
            WHERE p.notice_id = n.notice_id;
        END;
    END LOOP;
    RETURN placed;
END
$$;
COMMENT ON FUNCTION oms.import_order(text, jsonb, text, jsonb) IS 'Import an order as a platform sends it (source shopify: REST Order; woocommerce: REST order; amazon: getOrder payload merged with getOrderItems payload) into the channel (default: the channel named like the source) through place_order, and apply the payment notices that came first.  A re-delivery returns the first order.  Returns the order id.';

-- ---------------------------------------------------------------------------
-- import_payment
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.import_payment(source text, payload jsonb, channel text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src text := oms.import_source(source, payload);
    ch_id bigint := oms.import_channel_id(coalesce(channel, source));
    m jsonb;
    imp oms.order_import;
    n oms.import_payment_notice;
    pid bigint;
BEGIN
    m := CASE src WHEN 'shopify' THEN oms.import_map_shopify_payment(payload)
                  WHEN 'woocommerce' THEN oms.import_map_woocommerce_payment(payload)
                  ELSE oms.import_map_amazon_payment(payload) END;
    IF m IS NULL THEN
        RETURN NULL;            -- not a payment: a failed or pending transaction, an unpaid order
    END IF;
    imp := oms.import_lock(ch_id, m->>'platform_order_id', src);

    SELECT * INTO n FROM oms.import_payment_notice p
    WHERE p.channel_id = ch_id AND p.notice_key = m->>'notice_key' FOR UPDATE;
    IF FOUND THEN
        IF (n.kind, n.amount, n.currency, n.provider, n.provider_ref, n.platform_order_id)
           IS DISTINCT FROM (m->>'kind', (m->>'amount')::numeric, m->>'currency', m->>'provider',
                             m->>'provider_ref', m->>'platform_order_id') THEN
            RAISE EXCEPTION '% payment notice "%" arrived before with other contents', src, m->>'notice_key'
                USING ERRCODE = 'OM004',
                      DETAIL = format('First: %s %s %s of order %s.', n.kind, n.amount, n.currency, n.platform_order_id);
        END IF;
        IF n.state = 'applied' OR imp.order_id IS NULL THEN
            RETURN n.payment_id;
        END IF;
    ELSE
        INSERT INTO oms.import_payment_notice (channel_id, platform_order_id, notice_key, kind, amount,
                                               currency, provider, provider_ref)
        VALUES (ch_id, m->>'platform_order_id', m->>'notice_key', m->>'kind', (m->>'amount')::numeric,
                m->>'currency', m->>'provider', m->>'provider_ref')
        RETURNING * INTO n;
        IF imp.order_id IS NULL THEN
            RETURN NULL;        -- kept until import_order places its order
        END IF;
    END IF;
    pid := oms.record_payment(imp.order_id, n.kind, n.amount, n.currency, n.provider, n.provider_ref,
                              'import:' || ch_id || ':' || n.notice_key);
    UPDATE oms.import_payment_notice p SET state = 'applied', payment_id = pid, error = NULL, applied_at = now()
    WHERE p.notice_id = n.notice_id;
    RETURN pid;
END
$$;
COMMENT ON FUNCTION oms.import_payment(text, jsonb, text) IS 'Record a platform''s payment notice (shopify: a REST Transaction; woocommerce: a paid REST order) on its imported order, once; a notice whose order has not arrived is kept and applied by import_order.  Returns the payment id, NULL while kept or when the notice records nothing.';

GRANT SELECT ON oms.sku_map, oms.order_import, oms.import_payment_notice TO oms_admin, oms_app, oms_reader;
GRANT EXECUTE ON FUNCTION oms.import_order(text, jsonb, text, jsonb),
                          oms.import_payment(text, jsonb, text) TO oms_admin, oms_app;
GRANT EXECUTE ON FUNCTION oms.set_sku_map(text, text, text),
                          oms.unset_sku_map(text, text) TO oms_admin;
