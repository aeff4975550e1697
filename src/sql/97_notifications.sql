
-- ===========================================================================
-- 97_notifications.sql: customer notifications.  A trigger on the events
-- outbox renders the events a customer hears about (order placed, payment
-- captured, shipped, delivered, return received, refund issued) into
-- oms.notification, in the transaction that wrote the event, from the
-- customer's preferences and the shop's templates; a worker outside the
-- database (tools/notify-worker) claims, sends and marks them.
-- ===========================================================================

CREATE TABLE oms.notification_kind (
    kind        text PRIMARY KEY,
    topic       text NOT NULL UNIQUE,
    variables   text[] NOT NULL,
    description text NOT NULL,
    seeded      boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE oms.notification_kind IS 'What a customer is told about: one kind per event topic, with the variables its templates may use.  Shipped with the extension; the trigger on oms.event knows exactly these topics.';
COMMENT ON COLUMN oms.notification_kind.topic IS 'The event (oms.event.topic) that makes a notification of this kind.';
COMMENT ON COLUMN oms.notification_kind.variables IS 'The {placeholders} a template of this kind may use.';
COMMENT ON COLUMN oms.notification_kind.seeded IS 'true for the rows the extension ships.';

INSERT INTO oms.notification_kind (kind, topic, variables, description, seeded)
SELECT k.kind, k.topic,
       ARRAY['order_number', 'customer_name', 'customer_email', 'currency', 'subtotal', 'tax',
             'shipping', 'total', 'lines', 'placed_on'] || k.extra,
       k.description, true
FROM (VALUES
    ('order_confirmation', 'order.placed', '{}'::text[], 'The order was placed: its lines and totals.'),
    ('payment_confirmation', 'payment.captured', '{amount}', 'A payment was captured.'),
    ('shipment_shipped', 'shipment.shipped',
     '{shipment_number,carrier,tracking_number,tracking_link,eta,shipment_lines}',
     'A parcel left: carrier, tracking link and estimated arrival.'),
    ('delivery', 'shipment.delivered',
     '{shipment_number,carrier,tracking_number,tracking_link,delivered_on,shipment_lines}',
     'A parcel was delivered.'),
    ('return_received', 'return.received', '{rma_number,return_lines}', 'A return arrived at the warehouse.'),
    ('refund_issued', 'refund.issued', '{amount}', 'Money was refunded.')
) AS k(kind, topic, extra, description);

CREATE TABLE oms.notification_template (
    kind       text NOT NULL REFERENCES oms.notification_kind,
    channel    text NOT NULL CHECK (channel IN ('email', 'sms')),
    language   text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    subject    text,
    body       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (kind, channel, language),
    CHECK ((channel = 'email') = (subject IS NOT NULL))
);
COMMENT ON TABLE oms.notification_template IS 'The message of each kind, per channel and language, with {placeholders} from oms.notification_kind.variables.  Written by oms_admin (or oms.set_notification_template()); checked by a trigger.';
COMMENT ON COLUMN oms.notification_template.language IS 'Language tag such as en, de or pt-BR.  A customer whose language has no template gets the en one.';
COMMENT ON COLUMN oms.notification_template.subject IS 'Subject line of an email (required); an SMS has none.';
COMMENT ON COLUMN oms.notification_template.body IS 'The text; {name} is replaced by the variable name, other braces are kept as they are.';

CREATE TABLE oms.notification_preference (
    customer_id bigint PRIMARY KEY REFERENCES oms.customer,
    channel     text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms', 'none')),
    language    text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    phone       text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    opt_out     text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK (channel <> 'sms' OR phone IS NOT NULL)
);
COMMENT ON TABLE oms.notification_preference IS 'How a customer wants to hear from the shop.  A customer without a row gets email in en, every kind.  Written with oms.set_notification_preference().';
COMMENT ON COLUMN oms.notification_preference.channel IS 'email (to customer.email), sms (to phone) or none.';
COMMENT ON COLUMN oms.notification_preference.phone IS 'Mobile number in E.164 form (+15551234567), for sms.';
COMMENT ON COLUMN oms.notification_preference.opt_out IS 'Kinds (oms.notification_kind) the customer does not want.';

CREATE TABLE oms.notification (
    notification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint NOT NULL,
    kind            text NOT NULL,
    order_id        bigint NOT NULL,
    customer_id     bigint NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'none')),
    language        text,
    recipient       text,
    subject         text,
    body            text,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    claimed_by      text,
    claimed_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    sent_at         timestamptz,
    CHECK (state = 'suppressed' OR (recipient IS NOT NULL AND body IS NOT NULL AND channel <> 'none')),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
COMMENT ON TABLE oms.notification IS 'Customer notifications, rendered from events in the transaction that wrote them; a worker claims the pending ones (oms.claim_notifications), sends them and marks them (oms.notification_sent / oms.notification_failed).';
COMMENT ON COLUMN oms.notification.event_id IS 'The event (oms.event) it was rendered from.';
COMMENT ON COLUMN oms.notification.recipient IS 'Email address or phone number; NULL when suppressed.';
COMMENT ON COLUMN oms.notification.state IS 'pending (to send), sent, failed (given up) or suppressed (the customer opted out, chose none, or no template fits: see last_error).';
COMMENT ON COLUMN oms.notification.attempts IS 'How many times a worker claimed it.';
COMMENT ON COLUMN oms.notification.last_error IS 'Why the last attempt failed, or why it is suppressed.';
COMMENT ON COLUMN oms.notification.next_attempt_at IS 'When a worker may claim it: after a failure, the retry time; while claimed, the end of the claim''s lease.';
COMMENT ON COLUMN oms.notification.claimed_by IS 'The worker that claimed it last.';
-- what claim_notifications() scans, and a customer's history by order
CREATE INDEX notification_pending_idx ON oms.notification (channel, next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX notification_order_idx ON oms.notification (order_id);

-- pg_dump keeps the shop's templates, preferences and notifications (the
-- kinds come back with CREATE EXTENSION).
SELECT pg_catalog.pg_extension_config_dump('oms.notification_kind', 'WHERE NOT seeded');
SELECT pg_catalog.pg_extension_config_dump('oms.notification_template', '');
SELECT pg_catalog.pg_extension_config_dump('oms.notification_preference', '');
SELECT pg_catalog.pg_extension_config_dump('oms.notification', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.notification', 'notification_id')::pg_catalog.regclass, '');

-- ---------------------------------------------------------------------------
-- Rendering
-- ---------------------------------------------------------------------------
-- One pass over the template (C, api/notifications.c): each {name} that
-- vars has is replaced by its value, everything else is copied, so a value
-- that looks like a placeholder is never expanded again.
CREATE FUNCTION oms.render_template(template text, vars jsonb)
    RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_render_template';
COMMENT ON FUNCTION oms.render_template(text, jsonb) IS 'Replace each {name} of template by vars->>name (a JSON null by nothing) in one pass; names vars lacks and other braces stay as they are.';

-- The template's checks, for set_notification_template() and direct writes.
CREATE FUNCTION oms.notification_template_check()
    RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    allowed text[];
    bad text;
    max_body integer;
BEGIN
    IF NEW.kind IS NULL THEN
        RAISE EXCEPTION 'notification kind must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k.variables INTO allowed FROM oms.notification_kind k WHERE k.kind = NEW.kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown notification kind "%"', NEW.kind
            USING ERRCODE = 'OM003',
                  DETAIL = 'Kinds: ' || (SELECT string_agg(k.kind, ', ' ORDER BY k.kind) FROM oms.notification_kind k) || '.';
    END IF;
    IF NEW.channel IS NULL OR NEW.channel NOT IN ('email', 'sms') THEN
        RAISE EXCEPTION 'invalid template channel "%"', coalesce(NEW.channel, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A template is for email or sms.';
    END IF;
    IF NEW.language IS NULL OR NEW.language !~ '^[a-z]{2,3}(-[A-Z]{2})?$' THEN
        RAISE EXCEPTION 'invalid language "%"', coalesce(NEW.language, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A language is a tag such as en, de or pt-BR.';
    END IF;
    IF NEW.channel = 'email' AND (NEW.subject IS NULL OR btrim(NEW.subject) = '') THEN
        RAISE EXCEPTION 'the email template % in % has no subject', NEW.kind, NEW.language
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.channel = 'sms' AND NEW.subject IS NOT NULL THEN
        RAISE EXCEPTION 'the sms template % in % has a subject', NEW.kind, NEW.language
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'An SMS has no subject: leave it NULL.';
    END IF;
    IF NEW.subject IS NOT NULL AND (length(NEW.subject) > 200 OR NEW.subject ~ '[\r\n]') THEN
        RAISE EXCEPTION 'the subject of template % in % is longer than 200 characters or has a line break', NEW.kind, NEW.language
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.body IS NULL OR btrim(NEW.body) = '' THEN
        RAISE EXCEPTION 'the % template % in % has an empty body', NEW.channel, NEW.kind, NEW.language
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    max_body := CASE NEW.channel WHEN 'sms' THEN 1600 ELSE 100000 END;
    IF length(NEW.body) > max_body THEN
        RAISE EXCEPTION 'the body of the % template % in % has % characters, more than %', NEW.channel, NEW.kind,
                        NEW.language, length(NEW.body), max_body
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT m[1] INTO bad
    FROM regexp_matches(coalesce(NEW.subject, '') || ' ' || NEW.body, '\{([a-z_]+)\}', 'g') AS m
    WHERE m[1] <> ALL (allowed)
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown placeholder {%} in the % template % in %', bad, NEW.channel, NEW.kind, NEW.language
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A ' || NEW.kind || ' template may use {' || array_to_string(allowed, '}, {') || '}.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION oms.notification_template_check() IS 'Trigger on oms.notification_template: refuses an unknown kind (OM003), a channel other than email or sms, a bad language tag, an email without subject, an empty or too long body and unknown placeholders (22023).';
CREATE TRIGGER notification_template_check
    BEFORE INSERT OR UPDATE ON oms.notification_template
    FOR EACH ROW EXECUTE FUNCTION oms.notification_template_check();

-- The preference's checks, for set_notification_preference() and direct writes.
CREATE FUNCTION oms.notification_preference_check()
    RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    bad text;
BEGIN
    IF NEW.channel IS NULL OR NEW.channel NOT IN ('email', 'sms', 'none') THEN
        RAISE EXCEPTION 'invalid notification channel "%"', coalesce(NEW.channel, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A customer hears by email, sms or none.';
    END IF;
    IF NEW.language IS NULL OR NEW.language !~ '^[a-z]{2,3}(-[A-Z]{2})?$' THEN
        RAISE EXCEPTION 'invalid language "%"', coalesce(NEW.language, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A language is a tag such as en, de or pt-BR.';
    END IF;
    IF (TG_OP = 'INSERT' OR NEW.language IS DISTINCT FROM OLD.language)
       AND NOT EXISTS (SELECT 1 FROM oms.notification_template t WHERE t.language = NEW.language) THEN
        RAISE EXCEPTION 'unknown notification language "%"', NEW.language
            USING ERRCODE = 'OM003',
                  DETAIL = coalesce('Templates exist in: ' || (SELECT string_agg(DISTINCT t.language, ', ') FROM oms.notification_template t) || '.',
                                    'No template exists yet.'),
                  HINT = 'Add templates in that language first (oms.set_notification_template).';
    END IF;
    IF NEW.phone IS NOT NULL AND NEW.phone !~ '^\+[1-9][0-9]{6,14}$' THEN
        RAISE EXCEPTION 'invalid phone number "%"', left(NEW.phone, 40)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A phone number is in E.164 form: + and 7 to 15 digits, such as +15551234567.';
    END IF;
    IF NEW.channel = 'sms' AND NEW.phone IS NULL THEN
        RAISE EXCEPTION 'customer % chose sms but has no phone number', NEW.customer_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.opt_out IS NULL OR array_position(NEW.opt_out, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'opt_out must not be or hold NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT o INTO bad FROM unnest(NEW.opt_out) AS o
    WHERE NOT EXISTS (SELECT 1 FROM oms.notification_kind k WHERE k.kind = o) LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown notification kind "%"', left(bad, 100)
            USING ERRCODE = 'OM003',
                  DETAIL = 'Kinds: ' || (SELECT string_agg(k.kind, ', ' ORDER BY k.kind) FROM oms.notification_kind k) || '.';
    END IF;
    NEW.opt_out := ARRAY(SELECT DISTINCT o FROM unnest(NEW.opt_out) AS o ORDER BY o);
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION oms.notification_preference_check() IS 'Trigger on oms.notification_preference: refuses a channel other than email, sms or none, a bad language tag or phone number, sms without a phone (22023), a language without templates and unknown kinds in opt_out (OM003).';
CREATE TRIGGER notification_preference_check
    BEFORE INSERT OR UPDATE ON oms.notification_preference
    FOR EACH ROW EXECUTE FUNCTION oms.notification_preference_check();

-- Render an event into a notification: the trigger on the outbox.  It runs
-- in the transaction that wrote the event, as the owner of the tables (the
-- engine writes events as the owner), reads the order, the customer, the
-- preference and the template by their keys, and inserts one row: no row
-- is shared between orders, so it adds no lock that orders wait for.
CREATE FUNCTION oms.notification_from_event()
    RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    v_kind text;
    v_order bigint;
    v_shipment bigint;
    v_rma bigint;
    o record;
    s record;
    v_vars jsonb;
    v_text text;
BEGIN
    v_kind := CASE NEW.topic
        WHEN 'order.placed' THEN 'order_confirmation'
        WHEN 'payment.captured' THEN 'payment_confirmation'
        WHEN 'shipment.shipped' THEN 'shipment_shipped'
        WHEN 'shipment.delivered' THEN 'delivery'
        WHEN 'return.received' THEN 'return_received'
        WHEN 'refund.issued' THEN 'refund_issued' END;
    IF v_kind IS NULL OR NEW.entity_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.entity = 'order' THEN
        v_order := NEW.entity_id;
    ELSIF NEW.entity = 'shipment' THEN
        v_shipment := NEW.entity_id;
        SELECT sh.order_id INTO v_order FROM oms.shipment sh WHERE sh.shipment_id = v_shipment;
    ELSIF NEW.entity = 'return' THEN
        v_rma := NEW.entity_id;
        SELECT r.order_id INTO v_order FROM oms.return_authorization r WHERE r.rma_id = v_rma;
    END IF;

    -- One read: the order, its customer, the preference, the template in
    -- the customer's language (else en) and the variables every kind has;
    -- the lines only when the template shows them.
    SELECT so.order_id, so.customer_id, pr.channel, pr.language, pr.opted_out,
           CASE pr.channel WHEN 'sms' THEN pr.phone ELSE c.email END AS recipient,
           t.subject, t.body, t.language AS template_language,
           jsonb_build_object(
               'order_number', so.order_number,
               'customer_name', coalesce(c.name, so.ship_to ->> 'name', c.email),
               'customer_email', c.email, 'currency', so.currency, 'subtotal', so.subtotal::text,
               'tax', so.tax::text, 'shipping', so.shipping::text, 'total', so.total::text,
               'placed_on', to_char(so.placed_at, 'YYYY-MM-DD'), 'amount', NEW.payload ->> 'amount',
               'lines', CASE WHEN strpos(coalesce(t.subject, '') || t.body, '{lines}') > 0 THEN (
                   SELECT string_agg(format('%s x %s (%s)  %s %s', l.qty_ordered, i.name, i.sku,
                                            (l.qty_ordered * l.unit_price)::numeric(14,2), so.currency),
                                     E'\n' ORDER BY l.line_no)
                   FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id
                   WHERE l.order_id = so.order_id AND l.kind <> 'component') END) AS vars
      INTO o
      FROM oms.sales_order so
      JOIN oms.customer c ON c.customer_id = so.customer_id
      CROSS JOIN LATERAL (
          SELECT coalesce(p.channel, 'email') AS channel, coalesce(p.language, 'en') AS language, p.phone,
                 coalesce(v_kind = ANY (p.opt_out), false) AS opted_out
          FROM (SELECT 1) AS one
          LEFT JOIN oms.notification_preference p ON p.customer_id = so.customer_id) pr
      LEFT JOIN LATERAL (
          SELECT nt.subject, nt.body, nt.language
          FROM oms.notification_template nt
          WHERE nt.kind = v_kind AND nt.channel = pr.channel AND nt.language IN (pr.language, 'en')
          ORDER BY nt.language = pr.language DESC
          LIMIT 1) t ON true
     WHERE so.order_id = v_order;
    IF NOT FOUND THEN
        RETURN NULL;        -- no such order, or an order without a customer
    END IF;

    IF o.channel = 'none' OR o.opted_out OR o.body IS NULL THEN
        INSERT INTO oms.notification (event_id, kind, order_id, customer_id, channel, language, state, last_error)
        VALUES (NEW.event_id, v_kind, o.order_id, o.customer_id, o.channel, o.language, 'suppressed',
                CASE WHEN o.opted_out THEN 'the customer opted out of ' || v_kind
                     WHEN o.channel = 'none' THEN 'the customer chose no notifications'
                     ELSE format('no %s template for %s in %s', o.channel, v_kind,
                                 CASE WHEN o.language = 'en' THEN 'en' ELSE o.language || ' or en' END) END);
        RETURN NULL;
    END IF;
    v_vars := o.vars;
    v_text := coalesce(o.subject, '') || o.body;

    IF v_shipment IS NOT NULL THEN
        SELECT sh.shipment_number, sh.tracking_number, sh.estimated_delivery, sh.delivered_at,
               ca.name AS carrier,
               replace(ca.tracking_url, '{tracking_number}', replace(sh.tracking_number, ' ', '%20')) AS link
          INTO s
          FROM oms.shipment sh LEFT JOIN oms.carrier ca ON ca.carrier_id = sh.carrier_id
         WHERE sh.shipment_id = v_shipment;
        v_vars := v_vars || jsonb_build_object(
            'shipment_number', s.shipment_number, 'carrier', coalesce(s.carrier, ''),
            'tracking_number', coalesce(s.tracking_number, ''), 'tracking_link', coalesce(s.link, ''),
            'eta', coalesce(to_char(s.estimated_delivery, 'YYYY-MM-DD'), ''),
            'delivered_on', coalesce(to_char(s.delivered_at, 'YYYY-MM-DD'), ''));
        IF strpos(v_text, '{shipment_lines}') > 0 THEN
            v_vars := v_vars || jsonb_build_object('shipment_lines', (
                SELECT string_agg(format('%s x %s (%s)', sl.qty, i.name, i.sku), E'\n' ORDER BY sl.line_id)
                FROM oms.shipment_line sl JOIN oms.item i ON i.item_id = sl.item_id
                WHERE sl.shipment_id = v_shipment));
        END IF;
    END IF;
    IF v_rma IS NOT NULL THEN
        v_vars := v_vars || jsonb_build_object(
            'rma_number', (SELECT r.rma_number FROM oms.return_authorization r WHERE r.rma_id = v_rma),
            'return_lines', (
                SELECT string_agg(format('%s x %s (%s)', rl.qty_received, i.name, i.sku), E'\n' ORDER BY rl.line_id)
                FROM oms.return_line rl JOIN oms.item i ON i.item_id = rl.item_id
                WHERE rl.rma_id = v_rma AND rl.qty_received > 0));
    END IF;

    INSERT INTO oms.notification (event_id, kind, order_id, customer_id, channel, language, recipient,
                                  subject, body)
    VALUES (NEW.event_id, v_kind, o.order_id, o.customer_id, o.channel, o.template_language, o.recipient,
            oms.render_template(o.subject, v_vars), oms.render_template(o.body, v_vars));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms.notification_from_event() IS 'Trigger on oms.event: renders the events of oms.notification_kind into oms.notification for the order''s customer, in the event''s transaction.';
-- The WHEN clause keeps every other event, and everything while the setting
-- is off (the default), from calling the function at all.
CREATE TRIGGER notification_from_event
    AFTER INSERT ON oms.event
    FOR EACH ROW
    WHEN (NEW.topic IN ('order.placed', 'payment.captured', 'shipment.shipped', 'shipment.delivered',
                        'return.received', 'refund.issued')
          AND pg_catalog.current_setting('oms.customer_notifications', true) = 'on')
    EXECUTE FUNCTION oms.notification_from_event();

-- ---------------------------------------------------------------------------
-- The API: templates, preferences, and the worker's claim and marks
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.set_notification_template(kind text, channel text, language text,
                                              subject text, body text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    INSERT INTO oms.notification_template AS t (kind, channel, language, subject, body)
    VALUES (kind, channel, language, subject, body)
    ON CONFLICT ON CONSTRAINT notification_template_pkey
    DO UPDATE SET subject = EXCLUDED.subject, body = EXCLUDED.body;
END
$$;
COMMENT ON FUNCTION oms.set_notification_template(text, text, text, text, text) IS 'Create or replace the template of a kind, channel (email, sms) and language.  Unknown kind: OM003; bad channel, language, subject, body or placeholder: 22023.';

CREATE FUNCTION oms.set_notification_preference(customer text, channel text DEFAULT NULL,
                                                language text DEFAULT NULL, phone text DEFAULT NULL,
                                                opt_out text[] DEFAULT NULL)
    RETURNS oms.notification_preference
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cid bigint;
    result oms.notification_preference;
BEGIN
    IF customer IS NULL OR customer = '' THEN
        RAISE EXCEPTION 'customer must not be null or empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.customer_id INTO cid FROM oms.customer c WHERE lower(c.email) = lower(customer);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown customer "%"', left(customer, 255) USING ERRCODE = 'OM003';
    END IF;
    INSERT INTO oms.notification_preference AS p (customer_id, channel, language, phone, opt_out)
    VALUES (cid, coalesce(set_notification_preference.channel, 'email'),
            coalesce(set_notification_preference.language, 'en'),
            set_notification_preference.phone, coalesce(set_notification_preference.opt_out, '{}'))
    ON CONFLICT ON CONSTRAINT notification_preference_pkey DO UPDATE
    SET channel = coalesce(set_notification_preference.channel, p.channel),
        language = coalesce(set_notification_preference.language, p.language),
        phone = coalesce(set_notification_preference.phone, p.phone),
        opt_out = coalesce(set_notification_preference.opt_out, p.opt_out)
    RETURNING * INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION oms.set_notification_preference(text, text, text, text, text[]) IS 'Set how a customer (by email) hears from the shop: channel email, sms or none, language, phone, and the kinds opted out of.  NULL keeps the current value (defaults: email, en, none opted out).  Returns the preference.';

CREATE FUNCTION oms.claim_notifications(worker text, batch integer DEFAULT 10,
                                        lease interval DEFAULT '1 minute',
                                        channel text DEFAULT 'email')
    RETURNS SETOF oms.notification
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    claim_time timestamptz := clock_timestamp();
BEGIN
    IF worker IS NULL OR worker = '' OR length(worker) > 255 THEN
        RAISE EXCEPTION 'worker must be 1 to 255 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF batch IS NULL OR batch <= 0 THEN
        RAISE EXCEPTION 'batch must be greater than zero, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF batch > 10000 THEN
        RAISE EXCEPTION 'batch % is out of range', batch
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'A claim takes at most 10000 notifications.';
    END IF;
    IF lease IS NULL OR lease <= interval '0' THEN
        RAISE EXCEPTION 'lease must be greater than zero, got %', coalesce(lease::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lease > interval '1 day' THEN
        RAISE EXCEPTION 'lease % is out of range', lease
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'A claim lasts at most 1 day.';
    END IF;
    IF channel IS NULL OR channel NOT IN ('email', 'sms') THEN
        RAISE EXCEPTION 'invalid notification channel "%"', left(coalesce(channel, 'NULL'), 100)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A worker sends email or sms.';
    END IF;
    -- Lock the due notifications, skipping those another worker is
    -- claiming right now; stamp them as ours until the lease ends.
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT n.notification_id
        FROM oms.notification n
        WHERE n.state = 'pending' AND n.channel = claim_notifications.channel
          AND n.next_attempt_at <= claim_time
        ORDER BY n.next_attempt_at, n.notification_id
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE oms.notification n
        SET claimed_by = worker, claimed_at = claim_time, attempts = n.attempts + 1,
            next_attempt_at = claim_time + lease
        FROM picked
        WHERE n.notification_id = picked.notification_id
        RETURNING n.*
    )
    SELECT * FROM claimed ORDER BY claimed.notification_id;
END
$$;
COMMENT ON FUNCTION oms.claim_notifications(text, integer, interval, text) IS 'Claim up to batch (at most 10000) due pending notifications of a channel for lease (at most 1 day): no other worker gets them until the lease ends.  Concurrent workers never get the same one (SKIP LOCKED).  Counts an attempt.';

CREATE FUNCTION oms.notification_sent(worker text, notification_id bigint)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    st text;
    claimed timestamptz;
BEGIN
    IF worker IS NULL OR worker = '' OR length(worker) > 255 THEN
        RAISE EXCEPTION 'worker must be 1 to 255 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF notification_id IS NULL THEN
        RAISE EXCEPTION 'notification_id must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT n.state, n.claimed_at INTO st, claimed
    FROM oms.notification n WHERE n.notification_id = notification_sent.notification_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown notification %', notification_id USING ERRCODE = 'OM003';
    END IF;
    IF st = 'sent' THEN
        RETURN false;
    END IF;
    IF st <> 'pending' OR claimed IS NULL THEN
        RAISE EXCEPTION 'notification % is %, not claimed and pending', notification_id,
                        CASE WHEN st = 'pending' THEN 'unclaimed' ELSE st END
            USING ERRCODE = 'OM002', DETAIL = 'Only a notification a worker claimed (oms.claim_notifications) can be marked sent.';
    END IF;
    UPDATE oms.notification n
    SET state = 'sent', sent_at = clock_timestamp(), claimed_by = worker
    WHERE n.notification_id = notification_sent.notification_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION oms.notification_sent(text, bigint) IS 'Mark a claimed notification sent (whoever holds the claim: it went out).  Returns true, or false when it was already sent.  Unknown: OM003; not claimed, failed or suppressed: OM002.';

CREATE FUNCTION oms.notification_failed(worker text, notification_id bigint, error text,
                                        permanent boolean DEFAULT false, retry_in interval DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    st text;
    claimed timestamptz;
    tries integer;
    new_state text;
BEGIN
    IF worker IS NULL OR worker = '' OR length(worker) > 255 THEN
        RAISE EXCEPTION 'worker must be 1 to 255 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF notification_id IS NULL THEN
        RAISE EXCEPTION 'notification_id must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF error IS NULL OR btrim(error) = '' THEN
        RAISE EXCEPTION 'error must not be null or empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF retry_in IS NOT NULL AND retry_in < interval '0' THEN
        RAISE EXCEPTION 'retry_in must not be negative, got %', retry_in USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF retry_in > interval '7 days' THEN
        RAISE EXCEPTION 'retry_in % is out of range', retry_in
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'A retry comes within 7 days.';
    END IF;
    SELECT n.state, n.claimed_at, n.attempts INTO st, claimed, tries
    FROM oms.notification n WHERE n.notification_id = notification_failed.notification_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown notification %', notification_id USING ERRCODE = 'OM003';
    END IF;
    IF st <> 'pending' OR claimed IS NULL THEN
        RAISE EXCEPTION 'notification % is %, not claimed and pending', notification_id,
                        CASE WHEN st = 'pending' THEN 'unclaimed' ELSE st END
            USING ERRCODE = 'OM002', DETAIL = 'Only a notification a worker claimed (oms.claim_notifications) can fail.';
    END IF;
    new_state := CASE WHEN coalesce(permanent, false) THEN 'failed' ELSE 'pending' END;
    UPDATE oms.notification n
    SET state = new_state, last_error = left(error, 1000), claimed_by = worker,
        -- 30 s, 1, 2, 4 ... minutes, at most an hour
        next_attempt_at = clock_timestamp() + coalesce(retry_in,
                              least(interval '30 seconds' * power(2, least(greatest(tries, 1) - 1, 10)),
                                    interval '1 hour'))
    WHERE n.notification_id = notification_failed.notification_id;
    RETURN new_state;
END
$$;
COMMENT ON FUNCTION oms.notification_failed(text, bigint, text, boolean, interval) IS 'Record a failed attempt of a claimed notification: permanent makes it failed, else it is due again after retry_in (default 30 s doubling per attempt, at most 1 hour; at most 7 days).  Returns the new state.  Unknown: OM003; not claimed and pending: OM002.';

CREATE FUNCTION oms.purge_notifications(older_than interval DEFAULT '90 days')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    purged bigint;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must not be negative, got %', coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF older_than > interval '10 years' THEN
        RAISE EXCEPTION 'older_than % is out of range', older_than
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'older_than is at most 10 years.';
    END IF;
    DELETE FROM oms.notification n
    WHERE n.state <> 'pending' AND n.created_at < clock_timestamp() - older_than;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;
COMMENT ON FUNCTION oms.purge_notifications(interval) IS 'Delete sent, failed and suppressed notifications older than older_than (at most 10 years).  Pending ones are never purged.  Returns how many were deleted.';

-- The reference templates, in English and German: install them with
--   SELECT count(oms.set_notification_template(kind, channel, language, subject, body))
--   FROM oms.default_notification_templates();
CREATE FUNCTION oms.default_notification_templates()
    RETURNS TABLE (kind text, channel text, language text, subject text, body text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT t.kind, t.channel, t.language, t.subject, t.body FROM (VALUES
    ('order_confirmation', 'email', 'en', 'Your order {order_number}',
     E'Hello {customer_name},\n\nthank you for your order {order_number} of {placed_on}:\n\n{lines}\n\nSubtotal: {subtotal} {currency}\nShipping: {shipping} {currency}\nTax: {tax} {currency}\nTotal: {total} {currency}\n\nWe will tell you when it ships.\n'),
    ('payment_confirmation', 'email', 'en', 'Payment received for order {order_number}',
     E'Hello {customer_name},\n\nwe received your payment of {amount} {currency} for order {order_number}.\n'),
    ('shipment_shipped', 'email', 'en', 'Your order {order_number} has shipped',
     E'Hello {customer_name},\n\nparcel {shipment_number} of your order {order_number} is on its way with {carrier}:\n\n{shipment_lines}\n\nTracking number: {tracking_number}\nTrack it: {tracking_link}\nLikely arrival: {eta}\n'),
    ('delivery', 'email', 'en', 'Your order {order_number} was delivered',
     E'Hello {customer_name},\n\n{carrier} delivered parcel {shipment_number} of your order {order_number} on {delivered_on}:\n\n{shipment_lines}\n'),
    ('return_received', 'email', 'en', 'We received your return {rma_number}',
     E'Hello {customer_name},\n\nyour return {rma_number} for order {order_number} arrived:\n\n{return_lines}\n\nWe will let you know when it is refunded.\n'),
    ('refund_issued', 'email', 'en', 'Refund for order {order_number}',
     E'Hello {customer_name},\n\nwe refunded {amount} {currency} for your order {order_number}.\n'),
    ('order_confirmation', 'sms', 'en', NULL, 'Thank you for order {order_number}: {total} {currency}.'),
    ('payment_confirmation', 'sms', 'en', NULL, 'Payment of {amount} {currency} received for order {order_number}.'),
    ('shipment_shipped', 'sms', 'en', NULL, 'Order {order_number} shipped with {carrier}, arriving {eta}: {tracking_link}'),
    ('delivery', 'sms', 'en', NULL, 'Order {order_number}: parcel {shipment_number} was delivered.'),
    ('return_received', 'sms', 'en', NULL, 'We received your return {rma_number} for order {order_number}.'),
    ('refund_issued', 'sms', 'en', NULL, 'We refunded {amount} {currency} for order {order_number}.'),
    ('order_confirmation', 'email', 'de', 'Ihre Bestellung {order_number}',
     E'Hallo {customer_name},\n\nvielen Dank für Ihre Bestellung {order_number} vom {placed_on}:\n\n{lines}\n\nZwischensumme: {subtotal} {currency}\nVersand: {shipping} {currency}\nSteuer: {tax} {currency}\nGesamt: {total} {currency}\n\nWir melden uns, sobald sie versandt ist.\n'),
    ('payment_confirmation', 'email', 'de', 'Zahlung für Bestellung {order_number} erhalten',
     E'Hallo {customer_name},\n\nwir haben Ihre Zahlung über {amount} {currency} für die Bestellung {order_number} erhalten.\n'),
    ('shipment_shipped', 'email', 'de', 'Ihre Bestellung {order_number} ist unterwegs',
     E'Hallo {customer_name},\n\ndas Paket {shipment_number} Ihrer Bestellung {order_number} ist mit {carrier} unterwegs:\n\n{shipment_lines}\n\nSendungsnummer: {tracking_number}\nSendungsverfolgung: {tracking_link}\nVoraussichtliche Zustellung: {eta}\n'),
    ('delivery', 'email', 'de', 'Ihre Bestellung {order_number} wurde zugestellt',
     E'Hallo {customer_name},\n\n{carrier} hat das Paket {shipment_number} Ihrer Bestellung {order_number} am {delivered_on} zugestellt:\n\n{shipment_lines}\n'),
    ('return_received', 'email', 'de', 'Ihre Rücksendung {rma_number} ist eingetroffen',
     E'Hallo {customer_name},\n\nIhre Rücksendung {rma_number} zur Bestellung {order_number} ist eingetroffen:\n\n{return_lines}\n\nWir melden uns, sobald wir erstattet haben.\n'),
    ('refund_issued', 'email', 'de', 'Erstattung zur Bestellung {order_number}',
     E'Hallo {customer_name},\n\nwir haben {amount} {currency} für Ihre Bestellung {order_number} erstattet.\n')
    ) AS t(kind, channel, language, subject, body)
    ORDER BY t.language, t.channel, t.kind
$$;
COMMENT ON FUNCTION oms.default_notification_templates() IS 'The reference templates (email and sms in en, email in de), to install with oms.set_notification_template() or to start from.';

-- What BI reads of the notifications: how many went out, by kind, channel and
-- state, and how long they took; no recipient, subject, body or error text.
CREATE VIEW oms.notification_overview AS
SELECT n.notification_id, n.event_id, n.kind, n.order_id, n.channel, n.language, n.state,
       n.attempts, n.created_at, n.sent_at
FROM oms.notification n;
COMMENT ON VIEW oms.notification_overview IS 'One row per customer notification, without its personal data (recipient, subject, body, last error): what BI tools read of the notifications.';
COMMENT ON COLUMN oms.notification_overview.kind IS 'order_confirmation, payment_confirmation, shipped, delivered, return_received or refund_issued.';
COMMENT ON COLUMN oms.notification_overview.channel IS 'email, sms, or none (the customer opted out: state suppressed).';
COMMENT ON COLUMN oms.notification_overview.state IS 'pending, sent, failed or suppressed.';
COMMENT ON COLUMN oms.notification_overview.attempts IS 'Sending attempts so far.';

-- ---------------------------------------------------------------------------
-- Privileges (99_privileges.sql takes every table from oms_reader: BI reads views only)
-- ---------------------------------------------------------------------------
REVOKE ALL ON oms.notification_kind, oms.notification_template, oms.notification_preference,
              oms.notification FROM PUBLIC;
GRANT SELECT ON oms.notification_kind, oms.notification_template TO oms_admin, oms_app;
GRANT SELECT ON oms.notification_overview TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.notification_template TO oms_admin;
GRANT SELECT ON oms.notification_preference, oms.notification TO oms_admin, oms_app;
GRANT INSERT, UPDATE, DELETE ON oms.notification_preference TO oms_admin;
REVOKE ALL ON FUNCTION oms.render_template(text, jsonb),
                       oms.set_notification_template(text, text, text, text, text),
                       oms.set_notification_preference(text, text, text, text, text[]),
                       oms.claim_notifications(text, integer, interval, text),
                       oms.notification_sent(text, bigint),
                       oms.notification_failed(text, bigint, text, boolean, interval),
                       oms.purge_notifications(interval),
                       oms.default_notification_templates() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.render_template(text, jsonb),
                          oms.default_notification_templates() TO oms_admin, oms_app, oms_reader;
GRANT EXECUTE ON FUNCTION oms.set_notification_template(text, text, text, text, text),
                          oms.purge_notifications(interval) TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.set_notification_preference(text, text, text, text, text[]),
                          oms.claim_notifications(text, integer, interval, text),
                          oms.notification_sent(text, bigint),
                          oms.notification_failed(text, bigint, text, boolean, interval) TO oms_admin, oms_app;
