
-- ===========================================================================
-- 97_import_shopify.sql: Shopify's REST Admin Order and Transaction, mapped
-- for import_order and import_payment (97_import.sql).
--
-- Order: id, name, email (or contact_email, customer.email), customer
-- first_name/last_name, currency, taxes_included, line_items[{sku,
-- quantity, price}], total_discounts, total_tax, shipping_lines[{price,
-- discounted_price}], shipping_address{name, company, address1, address2,
-- city, province_code, zip, country_code, phone, latitude, longitude},
-- total_price.  Subtotal = sum(price x quantity) (total_line_items_price);
-- discount = total_discounts; shipping = the shipping lines' discounted
-- prices; tax = total_tax; checked against total_price.
-- ===========================================================================

CREATE FUNCTION oms.import_map_shopify(p jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id text := oms.import_text(p->'id', 'shopify order "id"');
    lines jsonb := '[]';
    li jsonb;
    sl jsonb;
    i integer := 0;
    sku text;
    shipping numeric := 0;
    a jsonb;
BEGIN
    IF id IS NULL THEN
        RAISE EXCEPTION 'shopify order has no "id"' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'import_order needs the platform''s order id: a re-delivery is known by it.';
    END IF;
    IF length(id) > 200 THEN
        RAISE EXCEPTION 'shopify order "id" is % characters long, more than the 200 allowed', length(id)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p->'taxes_included' = 'true' THEN
        RAISE EXCEPTION 'shopify order % has tax-inclusive prices (taxes_included)', id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An order''s total is subtotal - discount + tax + shipping: prices must exclude tax.';
    END IF;
    IF jsonb_typeof(p->'line_items') IS DISTINCT FROM 'array' OR jsonb_array_length(p->'line_items') = 0 THEN
        RAISE EXCEPTION 'shopify order % has no line_items', id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR li IN SELECT e FROM jsonb_array_elements(p->'line_items') e LOOP
        IF jsonb_typeof(li) <> 'object' THEN
            RAISE EXCEPTION 'shopify line_items[%] must be an object', i USING ERRCODE = 'invalid_parameter_value';
        END IF;
        sku := oms.import_text(li->'sku', format('shopify line_items[%s].sku', i));
        IF sku IS NULL THEN
            RAISE EXCEPTION 'shopify line_items[%] of order % has no sku', i, id
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'Every line needs a sku that the channel''s sku map knows.';
        END IF;
        lines := lines || jsonb_build_object(
            'external_sku', sku,
            'qty', oms.import_qty(li->'quantity', format('shopify line_items[%s].quantity', i)),
            'unit_price', coalesce(oms.import_amount(li->'price', format('shopify line_items[%s].price', i)), 0));
        i := i + 1;
    END LOOP;
    IF p->'shipping_lines' IS NOT NULL AND jsonb_typeof(p->'shipping_lines') NOT IN ('array', 'null') THEN
        RAISE EXCEPTION 'shopify shipping_lines must be an array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    i := 0;
    FOR sl IN SELECT e FROM jsonb_array_elements(coalesce(nullif(p->'shipping_lines', 'null'), '[]')) e LOOP
        IF jsonb_typeof(sl) <> 'object' THEN
            RAISE EXCEPTION 'shopify shipping_lines[%] must be an object', i USING ERRCODE = 'invalid_parameter_value';
        END IF;
        shipping := shipping + coalesce(
            oms.import_amount(sl->'discounted_price', format('shopify shipping_lines[%s].discounted_price', i)),
            oms.import_amount(sl->'price', format('shopify shipping_lines[%s].price', i)), 0);
        i := i + 1;
    END LOOP;
    a := p->'shipping_address';
    IF a IS NOT NULL AND jsonb_typeof(a) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'shopify shipping_address must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'platform_order_id', id,
        'platform_order_name', oms.import_text(p->'name', 'shopify order "name"'),
        'customer', coalesce(oms.import_text(p->'email', 'shopify order "email"'),
                             oms.import_text(p->'contact_email', 'shopify order "contact_email"'),
                             oms.import_text(p#>'{customer,email}', 'shopify customer.email')),
        'customer_name', nullif(concat_ws(' ', oms.import_text(p#>'{customer,first_name}', 'shopify customer.first_name'),
                                               oms.import_text(p#>'{customer,last_name}', 'shopify customer.last_name')), ''),
        'currency', oms.import_text(p->'currency', 'shopify order "currency"'),
        'lines', lines,
        'tax', coalesce(oms.import_amount(p->'total_tax', 'shopify total_tax'), 0),
        'discount', coalesce(oms.import_amount(p->'total_discounts', 'shopify total_discounts'), 0),
        'shipping', shipping,
        'ship_to', CASE WHEN jsonb_typeof(a) = 'object' THEN oms.import_ship_to(
            coalesce(oms.import_text(a->'name', 'shopify shipping_address.name'),
                     nullif(concat_ws(' ', oms.import_text(a->'first_name', 'shopify shipping_address.first_name'),
                                           oms.import_text(a->'last_name', 'shopify shipping_address.last_name')), '')),
            oms.import_text(a->'company', 'shopify shipping_address.company'),
            oms.import_text(a->'address1', 'shopify shipping_address.address1'),
            oms.import_text(a->'address2', 'shopify shipping_address.address2'), NULL,
            oms.import_text(a->'city', 'shopify shipping_address.city'),
            oms.import_text(a->'province_code', 'shopify shipping_address.province_code'),
            oms.import_text(a->'zip', 'shopify shipping_address.zip'),
            oms.import_text(a->'country_code', 'shopify shipping_address.country_code'),
            oms.import_text(a->'phone', 'shopify shipping_address.phone'),
            a->'latitude', a->'longitude') END,
        'platform_total', oms.import_amount(p->'total_price', 'shopify total_price')));
END
$$;
COMMENT ON FUNCTION oms.import_map_shopify(jsonb) IS 'Import mapper: a Shopify REST Admin Order as the request import_order places (platform_order_id, customer, currency, lines with the platform''s skus, tax, shipping, discount, ship_to, platform_total).  22023 naming the field for anything malformed.';

-- A Transaction (webhook order_transactions/create, or GET
-- /orders/{id}/transactions.json): id, order_id, kind, status, amount,
-- currency, gateway, authorization.  Only status success records a
-- payment; kind sale is a direct sale (a capture without authorization).
CREATE FUNCTION oms.import_map_shopify_payment(p jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id text := oms.import_text(p->'id', 'shopify transaction "id"');
    order_ref text := oms.import_text(p->'order_id', 'shopify transaction "order_id"');
    kind text := oms.import_text(p->'kind', 'shopify transaction "kind"');
    status text := oms.import_text(p->'status', 'shopify transaction "status"');
    amount numeric := oms.import_amount(p->'amount', 'shopify transaction "amount"');
BEGIN
    IF id IS NULL OR order_ref IS NULL THEN
        RAISE EXCEPTION 'shopify transaction has no "%"', CASE WHEN id IS NULL THEN 'id' ELSE 'order_id' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(id) > 200 OR length(order_ref) > 200 THEN
        RAISE EXCEPTION 'shopify transaction "id" or "order_id" is longer than the 200 characters allowed'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF kind IS NULL OR kind NOT IN ('authorization', 'capture', 'sale', 'void', 'refund') THEN
        RAISE EXCEPTION 'shopify transaction kind must be authorization, capture, sale, void or refund, got %',
            coalesce('"' || left(kind, 100) || '"', 'nothing')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF status IS DISTINCT FROM 'success' OR coalesce(amount, 0) = 0 THEN
        RETURN NULL;            -- pending, failure, error: no money moved
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'platform_order_id', order_ref,
        'notice_key', 'transaction:' || id,
        'kind', CASE kind WHEN 'sale' THEN 'capture' ELSE kind END,
        'amount', amount,
        'currency', oms.import_text(p->'currency', 'shopify transaction "currency"'),
        'provider', coalesce(oms.import_text(p->'gateway', 'shopify transaction "gateway"'), 'shopify'),
        'provider_ref', coalesce(oms.import_text(p->'authorization', 'shopify transaction "authorization"'), id)));
END
$$;
COMMENT ON FUNCTION oms.import_map_shopify_payment(jsonb) IS 'Import mapper: a Shopify REST Transaction as a payment notice (kind sale is a capture; NULL unless status is success and the amount above 0).  22023 naming the field for anything malformed.';
