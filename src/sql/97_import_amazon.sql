
-- ===========================================================================
-- 97_import_amazon.sql: Amazon SP-API Orders v0, mapped for import_order
-- (97_import.sql).
--
-- The payload is the payload object of getOrder merged with that of
-- getOrderItems (getOrder->'payload' || getOrderItems->'payload'):
-- AmazonOrderId, OrderTotal{CurrencyCode, Amount}, BuyerInfo{BuyerEmail,
-- BuyerName}, ShipmentServiceLevelCategory, ShippingAddress{Name,
-- AddressLine1..3, City, StateOrRegion, PostalCode, CountryCode, Phone},
-- OrderItems[{SellerSKU, QuantityOrdered, ItemPrice, ItemTax,
-- ShippingPrice, ShippingTax, PromotionDiscount, PromotionDiscountTax,
-- ShippingDiscount, ShippingDiscountTax}], each money {CurrencyCode,
-- Amount}.  ItemPrice is the line's price (unit price x quantity).
-- Subtotal = sum(ItemPrice); discount = sum(PromotionDiscount +
-- ShippingDiscount); shipping = sum(ShippingPrice); tax = sum(ItemTax +
-- ShippingTax - PromotionDiscountTax - ShippingDiscountTax); checked
-- against OrderTotal.
-- ===========================================================================

CREATE FUNCTION oms.import_map_amazon(p jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id text := oms.import_text(p->'AmazonOrderId', 'amazon AmazonOrderId');
    currency text;
    lines jsonb := '[]';
    it jsonb;
    i integer := 0;
    sku text;
    qty bigint;
    price numeric;
    tax numeric := 0;
    shipping numeric := 0;
    discount numeric := 0;
    f text;
    v numeric;
    a jsonb := p->'ShippingAddress';
BEGIN
    IF id IS NULL THEN
        RAISE EXCEPTION 'amazon order has no "AmazonOrderId"' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'import_order needs the platform''s order id: a re-delivery is known by it.';
    END IF;
    IF length(id) > 200 THEN
        RAISE EXCEPTION 'amazon AmazonOrderId is % characters long, more than the 200 allowed', length(id)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(p->'OrderItems') IS DISTINCT FROM 'array' OR jsonb_array_length(p->'OrderItems') = 0 THEN
        RAISE EXCEPTION 'amazon order % has no OrderItems', id USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Merge the payload of getOrderItems into that of getOrder: getOrder->''payload'' || getOrderItems->''payload''.';
    END IF;
    IF p->'OrderTotal' IS NOT NULL AND jsonb_typeof(p->'OrderTotal') <> 'object' THEN
        RAISE EXCEPTION 'amazon OrderTotal must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    currency := coalesce(oms.import_text(p#>'{OrderTotal,CurrencyCode}', 'amazon OrderTotal.CurrencyCode'),
                         oms.import_text(p#>'{OrderItems,0,ItemPrice,CurrencyCode}', 'amazon OrderItems[0].ItemPrice.CurrencyCode'));
    FOR it IN SELECT e FROM jsonb_array_elements(p->'OrderItems') e LOOP
        IF jsonb_typeof(it) <> 'object' THEN
            RAISE EXCEPTION 'amazon OrderItems[%] must be an object', i USING ERRCODE = 'invalid_parameter_value';
        END IF;
        sku := oms.import_text(it->'SellerSKU', format('amazon OrderItems[%s].SellerSKU', i));
        IF sku IS NULL THEN
            RAISE EXCEPTION 'amazon OrderItems[%] of order % has no SellerSKU', i, id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        qty := oms.import_qty(it->'QuantityOrdered', format('amazon OrderItems[%s].QuantityOrdered', i));
        -- every money field: {CurrencyCode, Amount} in the order's currency
        FOREACH f IN ARRAY ARRAY['ItemPrice', 'ItemTax', 'ShippingPrice', 'ShippingTax', 'PromotionDiscount',
                                 'PromotionDiscountTax', 'ShippingDiscount', 'ShippingDiscountTax'] LOOP
            IF it->f IS NOT NULL AND jsonb_typeof(it->f) <> 'null' AND
               (jsonb_typeof(it->f) <> 'object' OR it->f->>'CurrencyCode' IS DISTINCT FROM currency) THEN
                RAISE EXCEPTION 'amazon OrderItems[%].% must be money in the order''s currency %, got %',
                    i, f, coalesce(currency, '(none)'), left((it->f)::text, 100)
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            v := coalesce(oms.import_amount(it->f->'Amount', format('amazon OrderItems[%s].%s.Amount', i, f)), 0);
            CASE f
                WHEN 'ItemPrice' THEN price := v;
                WHEN 'ItemTax', 'ShippingTax' THEN tax := tax + v;
                WHEN 'PromotionDiscountTax', 'ShippingDiscountTax' THEN tax := tax - v;
                WHEN 'ShippingPrice' THEN shipping := shipping + v;
                ELSE discount := discount + v;
            END CASE;
        END LOOP;
        IF price <> round(price / qty, 2) * qty THEN
            RAISE EXCEPTION 'amazon OrderItems[%].ItemPrice % is not a whole number of cents per unit (QuantityOrdered %)',
                i, price, qty USING ERRCODE = 'invalid_parameter_value';
        END IF;
        lines := lines || jsonb_build_object('external_sku', sku, 'qty', qty, 'unit_price', round(price / qty, 2));
        i := i + 1;
    END LOOP;
    IF tax < 0 THEN
        RAISE EXCEPTION 'amazon order % has more discount tax than tax (%)', id, tax
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF a IS NOT NULL AND jsonb_typeof(a) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'amazon ShippingAddress must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p->'BuyerInfo' IS NOT NULL AND jsonb_typeof(p->'BuyerInfo') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'amazon BuyerInfo must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'platform_order_id', id,
        'customer', oms.import_text(p#>'{BuyerInfo,BuyerEmail}', 'amazon BuyerInfo.BuyerEmail'),
        'customer_name', oms.import_text(p#>'{BuyerInfo,BuyerName}', 'amazon BuyerInfo.BuyerName'),
        'currency', currency,
        'lines', lines,
        'tax', tax, 'discount', discount, 'shipping', shipping,
        'service_level', CASE oms.import_text(p->'ShipmentServiceLevelCategory', 'amazon ShipmentServiceLevelCategory')
                             WHEN 'SameDay' THEN 'same_day' WHEN 'NextDay' THEN 'express'
                             WHEN 'SecondDay' THEN 'air' WHEN 'Expedited' THEN 'air' END,
        'ship_to', CASE WHEN jsonb_typeof(a) = 'object' THEN oms.import_ship_to(
            oms.import_text(a->'Name', 'amazon ShippingAddress.Name'),
            oms.import_text(a->'CompanyName', 'amazon ShippingAddress.CompanyName'),
            oms.import_text(a->'AddressLine1', 'amazon ShippingAddress.AddressLine1'),
            oms.import_text(a->'AddressLine2', 'amazon ShippingAddress.AddressLine2'),
            oms.import_text(a->'AddressLine3', 'amazon ShippingAddress.AddressLine3'),
            oms.import_text(a->'City', 'amazon ShippingAddress.City'),
            oms.import_text(a->'StateOrRegion', 'amazon ShippingAddress.StateOrRegion'),
            oms.import_text(a->'PostalCode', 'amazon ShippingAddress.PostalCode'),
            oms.import_text(a->'CountryCode', 'amazon ShippingAddress.CountryCode'),
            oms.import_text(a->'Phone', 'amazon ShippingAddress.Phone')) END,
        'platform_total', oms.import_amount(p#>'{OrderTotal,Amount}', 'amazon OrderTotal.Amount')));
END
$$;
COMMENT ON FUNCTION oms.import_map_amazon(jsonb) IS 'Import mapper: an Amazon SP-API getOrder payload merged with its getOrderItems payload as the request import_order places (unit price = ItemPrice / QuantityOrdered, taxes, shipping, promotions, checked against OrderTotal; ShipmentServiceLevelCategory to a service level).  22023 naming the field for anything malformed.';

-- Amazon collects the buyer's payment itself and pays the seller out in
-- settlements: the Orders API has no payment notice to record.
CREATE FUNCTION oms.import_map_amazon_payment(p jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'amazon sends no payment notices' USING ERRCODE = 'invalid_parameter_value',
        DETAIL = 'Amazon collects the buyer''s payment itself; an order past Pending is paid at Amazon.',
        HINT = 'Record what the settlement says with oms.record_payment().';
END
$$;
COMMENT ON FUNCTION oms.import_map_amazon_payment(jsonb) IS 'Import mapper: refuses (22023), as Amazon sends no payment notices.';
