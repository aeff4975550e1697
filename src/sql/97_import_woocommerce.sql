
-- ===========================================================================
-- 97_import_woocommerce.sql: WooCommerce's REST order (wc/v3 orders),
-- mapped for import_order and import_payment (97_import.sql).
--
-- id, number, currency, billing{email, first_name, last_name},
-- line_items[{sku, quantity, subtotal}], discount_total, shipping_total,
-- total_tax, shipping{first_name, last_name, company, address_1,
-- address_2, city, state, postcode, country, phone}, total.  A line's unit
-- price is its subtotal (before discounts) / quantity; discount =
-- discount_total; shipping = shipping_total; tax = total_tax; checked
-- against total.  WooCommerce sends "" for an empty field.
-- ===========================================================================

CREATE FUNCTION oms.import_map_woocommerce(p jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id text := oms.import_text(p->'id', 'woocommerce order "id"');
    lines jsonb := '[]';
    li jsonb;
    i integer := 0;
    sku text;
    qty bigint;
    sub numeric;
    a jsonb := p->'shipping';
BEGIN
    IF id IS NULL THEN
        RAISE EXCEPTION 'woocommerce order has no "id"' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'import_order needs the platform''s order id: a re-delivery is known by it.';
    END IF;
    IF length(id) > 200 THEN
        RAISE EXCEPTION 'woocommerce order "id" is % characters long, more than the 200 allowed', length(id)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(p->'line_items') IS DISTINCT FROM 'array' OR jsonb_array_length(p->'line_items') = 0 THEN
        RAISE EXCEPTION 'woocommerce order % has no line_items', id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR li IN SELECT e FROM jsonb_array_elements(p->'line_items') e LOOP
        IF jsonb_typeof(li) <> 'object' THEN
            RAISE EXCEPTION 'woocommerce line_items[%] must be an object', i USING ERRCODE = 'invalid_parameter_value';
        END IF;
        sku := oms.import_text(li->'sku', format('woocommerce line_items[%s].sku', i));
        IF sku IS NULL THEN
            RAISE EXCEPTION 'woocommerce line_items[%] of order % has no sku', i, id
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'Every line needs a sku that the channel''s sku map knows.';
        END IF;
        qty := oms.import_qty(li->'quantity', format('woocommerce line_items[%s].quantity', i));
        sub := coalesce(oms.import_amount(li->'subtotal', format('woocommerce line_items[%s].subtotal', i)), 0);
        IF sub <> round(sub / qty, 2) * qty THEN
            RAISE EXCEPTION 'woocommerce line_items[%].subtotal % is not a whole number of cents per unit (quantity %)',
                i, sub, qty USING ERRCODE = 'invalid_parameter_value';
        END IF;
        lines := lines || jsonb_build_object('external_sku', sku, 'qty', qty, 'unit_price', round(sub / qty, 2));
        i := i + 1;
    END LOOP;
    IF a IS NOT NULL AND jsonb_typeof(a) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'woocommerce shipping must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p->'billing' IS NOT NULL AND jsonb_typeof(p->'billing') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'woocommerce billing must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'platform_order_id', id,
        'platform_order_name', oms.import_text(p->'number', 'woocommerce order "number"'),
        'customer', oms.import_text(p#>'{billing,email}', 'woocommerce billing.email'),
        'customer_name', nullif(concat_ws(' ', oms.import_text(p#>'{billing,first_name}', 'woocommerce billing.first_name'),
                                               oms.import_text(p#>'{billing,last_name}', 'woocommerce billing.last_name')), ''),
        'currency', oms.import_text(p->'currency', 'woocommerce order "currency"'),
        'lines', lines,
        'tax', coalesce(oms.import_amount(p->'total_tax', 'woocommerce total_tax'), 0),
        'discount', coalesce(oms.import_amount(p->'discount_total', 'woocommerce discount_total'), 0),
        'shipping', coalesce(oms.import_amount(p->'shipping_total', 'woocommerce shipping_total'), 0),
        'ship_to', CASE WHEN jsonb_typeof(a) = 'object' THEN oms.import_ship_to(
            nullif(concat_ws(' ', oms.import_text(a->'first_name', 'woocommerce shipping.first_name'),
                                  oms.import_text(a->'last_name', 'woocommerce shipping.last_name')), ''),
            oms.import_text(a->'company', 'woocommerce shipping.company'),
            oms.import_text(a->'address_1', 'woocommerce shipping.address_1'),
            oms.import_text(a->'address_2', 'woocommerce shipping.address_2'), NULL,
            oms.import_text(a->'city', 'woocommerce shipping.city'),
            oms.import_text(a->'state', 'woocommerce shipping.state'),
            oms.import_text(a->'postcode', 'woocommerce shipping.postcode'),
            oms.import_text(a->'country', 'woocommerce shipping.country'),
            oms.import_text(a->'phone', 'woocommerce shipping.phone')) END,
        'platform_total', oms.import_amount(p->'total', 'woocommerce total')));
END
$$;
COMMENT ON FUNCTION oms.import_map_woocommerce(jsonb) IS 'Import mapper: a WooCommerce REST order as the request import_order places (unit price = line subtotal / quantity, discount_total, shipping_total, total_tax, checked against total).  22023 naming the field for anything malformed.';

-- WooCommerce has no transaction resource: the order itself says it was
-- paid (date_paid, set when the gateway took the money; webhook
-- order.updated).  A paid order is one capture of its total, once.
CREATE FUNCTION oms.import_map_woocommerce_payment(p jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id text := oms.import_text(p->'id', 'woocommerce order "id"');
    paid text := coalesce(oms.import_text(p->'date_paid_gmt', 'woocommerce date_paid_gmt'),
                          oms.import_text(p->'date_paid', 'woocommerce date_paid'));
    amount numeric := oms.import_amount(p->'total', 'woocommerce total');
BEGIN
    IF id IS NULL THEN
        RAISE EXCEPTION 'woocommerce order has no "id"' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(id) > 200 THEN
        RAISE EXCEPTION 'woocommerce order "id" is % characters long, more than the 200 allowed', length(id)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF paid IS NULL OR coalesce(amount, 0) = 0 THEN
        RETURN NULL;            -- not paid (yet)
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'platform_order_id', id,
        'notice_key', 'order:' || id || ':paid',
        'kind', 'capture',
        'amount', amount,
        'currency', oms.import_text(p->'currency', 'woocommerce order "currency"'),
        'provider', coalesce(oms.import_text(p->'payment_method', 'woocommerce payment_method'), 'woocommerce'),
        'provider_ref', oms.import_text(p->'transaction_id', 'woocommerce transaction_id')));
END
$$;
COMMENT ON FUNCTION oms.import_map_woocommerce_payment(jsonb) IS 'Import mapper: a WooCommerce REST order with date_paid as a payment notice, one capture of its total (NULL while unpaid).  22023 naming the field for anything malformed.';
