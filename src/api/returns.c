/*-------------------------------------------------------------------------
 *
 * returns.c
 *	  Returns and exchanges: an RMA asks for shipped units back (never more
 *	  than were shipped and are not already returned or on another open RMA,
 *	  and only inside the return window), receiving restocks resellable units
 *	  and puts damaged ones in the damaged bucket through the ledger,
 *	  inspection may re-grade them, and completion refunds the returned
 *	  value to the payment ledger or creates the linked replacement order.
 *
 * Lock order, the same as orders.c and fulfillment.c: the order row, then
 * the RMA row, then the stock levels of the items involved (engine/allocation.c).
 * Two RMAs of one order therefore run one after the other, and the second
 * sees what the first asked for.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "api/returns.h"
#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/ledger.h"
#include "engine/order.h"
#include "engine/payment_ledger.h"
#include "engine/placement.h"
#include "engine/serials.h"
#include "engine/transitions.h"
#include "engine/idempotency.h"

int			oms_return_window_days = 30;
int			oms_refund_shipping = 0;

const struct config_enum_entry oms_refund_shipping_options[] = {
	{"none", 0, false},
	{"proportional", 1, false},
	{NULL, 0, false}
};

static const char *const reason_codes[] = {
	"damaged", "defective", "wrong_item", "not_as_described", "size_fit",
	"changed_mind", "arrived_late", "other", NULL
};

/* The RMA row as read under lock. */
typedef struct RmaRow
{
	int64		rma_id;
	char	   *number;
	char	   *kind;
	char	   *status;
	int64		location_id;
} RmaRow;

/* An order line as a return sees it. */
typedef struct RetLine
{
	int64		line_id;
	int64		item_id;
	char	   *sku;
	char		kind;			/* 'i'tem, 'b'undle, 'c'omponent */
	int64		parent_line_id;
	int64		ordered;
	int64		returnable;		/* shipped - returned - on open RMAs - lost */
	int64		lost;			/* in lost shipments neither re-shipped nor written off */
	bool		window_closed;
	char	   *window_closed_on;
	char	   *delivered_on;
	int64		take;			/* units asked for now */
	char	   *reason;
} RetLine;

/* One line of an RMA. */
typedef struct RmaLine
{
	int64		line_id;
	int64		item_id;
	char	   *sku;
	int64		qty;
	int64		received;
	int64		resellable;
	int64		damaged;
	int64		new_resellable; /* scratch: receipt or inspection */
	int64		new_damaged;
	bool		serialized;		/* its units come back with their serials */
} RmaLine;

static OmsPlan plan_rma_order = {
	"SELECT order_id FROM oms.return_authorization WHERE rma_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_rma_lock = {
	"SELECT rma_number, kind, status, location_id FROM oms.return_authorization"
	" WHERE rma_id = $1 FOR UPDATE",
	1, {INT8OID}
};

/* Elements of a jsonb array of objects, as text (parsed and checked in C). */
static OmsPlan plan_elements = {
	"SELECT e->>'sku', e->>'qty', e->>'reason', e->>'condition', e->>'resellable', e->>'damaged',"
	" e->>'unit_price', pg_catalog.jsonb_typeof(e), e->'serials'"
	" FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS t(e, n) ORDER BY n",
	1, {JSONBOID}
};

/*
 * The order's stocked lines: returnable units (shipped, minus returned,
 * minus asked for on open RMAs) and the return window of their last
 * delivery.  $2 is the window in days (0: none).
 */
static OmsPlan plan_ret_lines = {
	"SELECT l.line_id, l.item_id, i.sku, l.kind, l.parent_line_id, l.qty_ordered,"
	" l.qty_shipped - l.qty_returned - COALESCE((SELECT sum(rl.qty) FROM oms.return_line rl"
	"   JOIN oms.return_authorization r ON r.rma_id = rl.rma_id"
	"   WHERE rl.line_id = l.line_id AND r.status IN ('requested', 'authorized')), 0)::bigint"
	" - COALESCE(lost.qty, 0),"
	" $2 > 0 AND d.at + pg_catalog.make_interval(days => $2) < pg_catalog.now(),"
	" pg_catalog.to_char(d.at + pg_catalog.make_interval(days => $2), 'YYYY-MM-DD'),"
	" pg_catalog.to_char(d.at, 'YYYY-MM-DD'), COALESCE(lost.qty, 0)::bigint"
	" FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" LEFT JOIN LATERAL (SELECT max(s.delivered_at) AS at FROM oms.shipment_line sl"
	"   JOIN oms.shipment s ON s.shipment_id = sl.shipment_id"
	"   WHERE sl.line_id = l.line_id AND s.status = 'delivered') d ON true"
	/* units of a lost parcel come back only once re-shipped or written off */
	" LEFT JOIN LATERAL (SELECT sum(sl.qty)::bigint AS qty FROM oms.shipment_line sl"
	"   JOIN oms.shipment s ON s.shipment_id = sl.shipment_id"
	"   WHERE sl.line_id = l.line_id AND s.status = 'lost' AND NOT EXISTS"
	"   (SELECT FROM oms.shipment x WHERE x.replaces_shipment_id = s.shipment_id)) lost ON true"
	" WHERE l.order_id = $1 ORDER BY l.line_no",
	2, {INT8OID, INT4OID}
};
static OmsPlan plan_rma_ids = {
	"SELECT pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('oms.return_authorization', 'rma_id')),"
	" oms.document_number('RMA', pg_catalog.nextval('oms.rma_number_seq'))",
	0, {}
};
static OmsPlan plan_rma_insert = {
	"INSERT INTO oms.return_authorization (rma_id, rma_number, order_id, kind, note, exchange_lines)"
	" OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6)",
	6, {INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, JSONBOID}
};
static OmsPlan plan_rma_lines_insert = {
	"INSERT INTO oms.return_line (rma_id, line_id, item_id, qty, reason_code)"
	" SELECT $1, d.line_id, d.item_id, d.qty, d.reason"
	" FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS d(line_id, item_id, qty, reason)",
	5, {INT8OID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID}
};
static OmsPlan plan_rma_status = {
	"UPDATE oms.return_authorization SET status = $2 WHERE rma_id = $1",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_rma_lines = {
	"SELECT rl.line_id, rl.item_id, i.sku, rl.qty, rl.qty_received, rl.qty_resellable, rl.qty_damaged,"
	" i.serialized FROM oms.return_line rl JOIN oms.item i ON i.item_id = rl.item_id"
	" WHERE rl.rma_id = $1 ORDER BY rl.line_id",
	1, {INT8OID}
};
static OmsPlan plan_rma_line_update = {
	"UPDATE oms.return_line rl SET qty_received = d.received, qty_resellable = d.resellable,"
	" qty_damaged = d.damaged"
	" FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])"
	" AS d(line_id, received, resellable, damaged)"
	" WHERE rl.rma_id = $1 AND rl.line_id = d.line_id",
	5, {INT8OID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_lines_returned = {
	"UPDATE oms.order_line l SET qty_returned = l.qty_returned + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty) WHERE l.line_id = d.line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_rma_received = {
	"UPDATE oms.return_authorization SET status = 'received', location_id = $2,"
	" received_at = pg_catalog.now() WHERE rma_id = $1",
	2, {INT8OID, INT8OID}
};

/*
 * The refund of an RMA in one statement: the value of the units received
 * (oms.line_unit_value: a component at its share of the bundle's price), less what an exchange
 * uses ($3), with its share of the order's tax and, when $4, of its
 * shipping; and what of it is refundable now (captured - refunded).
 */
static OmsPlan plan_refund = {
	"WITH v AS (SELECT COALESCE(sum(oms.line_unit_value(rl.line_id) * rl.qty_received), 0)::numeric(14,2) AS value"
	"   FROM oms.return_line rl WHERE rl.rma_id = $1),"
	" b AS (SELECT v.value, GREATEST(v.value - $3, 0) AS base, o.subtotal, o.tax, o.shipping"
	"   FROM v, oms.sales_order o WHERE o.order_id = $2),"
	" a AS (SELECT value, (base + CASE WHEN subtotal > 0 THEN round(tax * base / subtotal, 2) ELSE 0 END"
	"   + CASE WHEN $4 AND subtotal > 0 THEN round(shipping * base / subtotal, 2) ELSE 0 END)::numeric(14,2) AS owed"
	"   FROM b)"
	" SELECT value::text, owed::text, LEAST(owed, oms.refundable_balance($2))::numeric(14,2)::text,"
	" LEAST(owed, oms.refundable_balance($2)) > 0 FROM a",
	4, {INT8OID, INT8OID, NUMERICOID, BOOLOID}
};
/* The value of units asked back, priced as plan_refund prices received ones. */
static OmsPlan plan_requested_value = {
	"SELECT COALESCE(sum(oms.line_unit_value(d.line_id) * d.qty), 0)::numeric(14,2)::text"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty)",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
/* The value of an RMA's units: received ones ($2) or all asked for. */
static OmsPlan plan_rma_value = {
	"SELECT COALESCE(sum(oms.line_unit_value(rl.line_id) * CASE WHEN $2 THEN rl.qty_received ELSE rl.qty END), 0)"
	"::numeric(14,2)::text,"
	" COALESCE(sum(CASE WHEN $2 THEN rl.qty_received ELSE rl.qty END), 0)::bigint"
	" FROM oms.return_line rl WHERE rl.rma_id = $1",
	2, {INT8OID, BOOLOID}
};
/* The value of priced exchange lines, and whether it exceeds $2. */
static OmsPlan plan_exchange_value = {
	"SELECT x.value::text, x.value > $2::numeric FROM (SELECT COALESCE(sum((e->>'unit_price')::numeric"
	" * (e->>'qty')::bigint), 0)::numeric(14,2) AS value FROM pg_catalog.jsonb_array_elements($1) e) x",
	2, {JSONBOID, TEXTOID}
};
/* What the replacement order of an exchange is placed with. */
static OmsPlan plan_exchange_origin = {
	"SELECT c.email, ch.code, ch.active FROM oms.sales_order o"
	" LEFT JOIN oms.customer c ON c.customer_id = o.customer_id"
	" LEFT JOIN oms.channel ch ON ch.channel_id = o.channel_id WHERE o.order_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_rma_change = {
	"UPDATE oms.return_authorization SET kind = $2, exchange_lines = $3 WHERE rma_id = $1",
	3, {INT8OID, TEXTOID, JSONBOID}
};
static OmsPlan plan_rma_exchange = {
	"SELECT r.exchange_lines::text, c.email, ch.code, o.ship_to::text, o.service_level, o.currency,"
	" x.value::text, v.value::text, x.value > v.value"
	" , EXISTS (SELECT FROM oms.sales_order d WHERE d.channel_id = o.channel_id"
	"   AND d.channel_order_ref = r.rma_number)"
	" FROM oms.return_authorization r JOIN oms.sales_order o ON o.order_id = r.order_id"
	" LEFT JOIN oms.customer c ON c.customer_id = o.customer_id"
	" LEFT JOIN oms.channel ch ON ch.channel_id = o.channel_id,"
	" LATERAL (SELECT COALESCE(sum((e->>'unit_price')::numeric * (e->>'qty')::bigint), 0)::numeric(14,2) AS value"
	"  FROM pg_catalog.jsonb_array_elements(r.exchange_lines) e) x,"
	" LATERAL (SELECT COALESCE(sum(oms.line_unit_value(rl.line_id) * rl.qty_received), 0)::numeric(14,2) AS value"
	"   FROM oms.return_line rl WHERE rl.rma_id = r.rma_id) v"
	" WHERE r.rma_id = $1",
	1, {INT8OID}
};
/* The lines and options of an exchange's replacement order. */
static OmsPlan plan_exchange_request = {
	"SELECT $1::jsonb, pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
	" 'channel_order_ref', $2, 'ship_to', $3::jsonb, 'service_level', $4, 'currency', $5,"
	" 'confirm', true, 'payment_required', $6::text))",
	6, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};
static OmsPlan plan_order_number = {
	"SELECT order_number FROM oms.sales_order WHERE order_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_rma_complete = {
	"UPDATE oms.return_authorization SET status = 'completed', completed_at = pg_catalog.now(),"
	" refund_amount = $2, refund_payment_id = $3, exchange_order_id = $4 WHERE rma_id = $1",
	4, {INT8OID, NUMERICOID, INT8OID, INT8OID}
};

/* Lock the RMA's order, then the RMA. */
static void
lock_rma(int64 rma_id, OmsOrder *o, RmaRow *r)
{
	Datum		arg[1] = {Int64GetDatum(rma_id)};
	bool		isnull;

	if (oms_plan_exec(&plan_rma_order, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown return authorization " INT64_FORMAT, rma_id)));
	oms_order_lock(oms_spi_int64(0, 1, &isnull), o);
	oms_plan_exec(&plan_rma_lock, arg, NULL, false, 1, SPI_OK_SELECT);
	r->rma_id = rma_id;
	r->number = oms_spi_text(0, 1);
	r->kind = oms_spi_text(0, 2);
	r->status = oms_spi_text(0, 3);
	r->location_id = oms_spi_int64(0, 4, &isnull);
	if (isnull)
		r->location_id = 0;
}

static void
require_status(const RmaRow *r, const char *status, const char *doing)
{
	if (strcmp(r->status, status) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("return %s is %s: it must be %s to be %s", r->number, r->status,
						status, doing)));
}

static void
set_rma_status(int64 rma_id, const char *status, const char *reason)
{
	Datum		args[2] = {Int64GetDatum(rma_id), CStringGetTextDatum(status)};

	oms_set_reason(reason);
	oms_plan_exec(&plan_rma_status, args, NULL, false, 0, SPI_OK_UPDATE);
}

/* A whole number >= min_value from a JSON field, or 22023 naming it. */
static int64
parse_count(const char *text, const char *field, int index, int64 min_value)
{
	char	   *end;
	long long	v;

	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines[%d] needs \"%s\"", index, field)));
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno == ERANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("lines[%d].%s \"%s\" is out of range for bigint", index, field, text)));
	if (errno != 0 || *end != '\0' || end == text || v < min_value)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines[%d].%s must be a whole number of at least " INT64_FORMAT ", got \"%s\"",
						index, field, min_value, text)));
	return (int64) v;
}

/* The keys each jsonb argument of the return API knows. */
static const char *const request_keys[] = {"sku", "qty", "reason", NULL};
static const char *const receive_keys[] = {"sku", "qty", "condition", "serials", NULL};
static const char *const inspect_keys[] = {"sku", "resellable", "damaged", NULL};
static const char *const request_options[] = {"exchange", "note", "authorize", NULL};

typedef struct RetInput
{
	char	   *sku;
	char	   *qty;
	char	   *reason;
	char	   *condition;
	char	   *resellable;
	char	   *damaged;
	char	   *unit_price;
	Jsonb	   *serials;		/* NULL when not given */
} RetInput;

/* A non-empty jsonb array of objects, element by element as text. */
static int
read_elements(Jsonb *lines, const char *argname, const char *const *allowed, RetInput **out)
{
	Datum		arg[1];
	int			n;
	int			i;
	RetInput   *v;

	if (lines == NULL || !JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines) ||
		JB_ROOT_COUNT(lines) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a non-empty JSON array of objects", argname)));
	oms_check_line_count((int) JB_ROOT_COUNT(lines), argname);
	for (i = 0; i < (int) JB_ROOT_COUNT(lines); i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(&lines->root, i);

		CHECK_FOR_INTERRUPTS();
		if (elem != NULL && elem->type == jbvBinary && JsonContainerIsObject(elem->val.binary.data))
			oms_check_keys(elem->val.binary.data, psprintf("%s[%d]", argname, i), allowed);
	}
	arg[0] = JsonbPGetDatum(lines);
	n = oms_plan_exec(&plan_elements, arg, NULL, false, 0, SPI_OK_SELECT);
	v = palloc0(sizeof(RetInput) * n);
	for (i = 0; i < n; i++)
	{
		char	   *type = oms_spi_text(i, 8);

		if (strcmp(type, "object") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] must be an object, got a JSON %s", argname, i, type)));
		v[i].sku = oms_spi_text(i, 1);
		v[i].qty = oms_spi_text(i, 2);
		v[i].reason = oms_spi_text(i, 3);
		v[i].condition = oms_spi_text(i, 4);
		v[i].resellable = oms_spi_text(i, 5);
		v[i].damaged = oms_spi_text(i, 6);
		v[i].unit_price = oms_spi_text(i, 7);
		{
			bool		snull;
			Datum		sd = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 9, &snull);

			v[i].serials = snull ? NULL : DatumGetJsonbPCopy(sd);
		}
		if (v[i].sku == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] needs \"sku\"", argname, i)));
	}
	*out = v;
	return n;
}

static int
read_rma_lines(int64 rma_id, RmaLine **out)
{
	Datum		arg[1] = {Int64GetDatum(rma_id)};
	int			n;
	int			i;
	bool		isnull;
	RmaLine    *v;

	n = oms_plan_exec(&plan_rma_lines, arg, NULL, false, 0, SPI_OK_SELECT);
	v = palloc0(sizeof(RmaLine) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		v[i].line_id = oms_spi_int64(i, 1, &isnull);
		v[i].item_id = oms_spi_int64(i, 2, &isnull);
		v[i].sku = oms_spi_text(i, 3);
		v[i].qty = oms_spi_int64(i, 4, &isnull);
		v[i].received = oms_spi_int64(i, 5, &isnull);
		v[i].resellable = oms_spi_int64(i, 6, &isnull);
		v[i].damaged = oms_spi_int64(i, 7, &isnull);
		v[i].serialized = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 8, &isnull));
	}
	*out = v;
	return n;
}

/* The RMA's units of sku over all its lines of that sku (OM003 if none). */
static int64
sku_total(RmaLine *lines, int n, const char *sku, const RmaRow *r, bool received)
{
	int64		total = 0;
	bool		found = false;
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(lines[i].sku, sku) == 0)
		{
			found = true;
			total = oms_add_qty(total, received ? lines[i].received : lines[i].qty, "units");
		}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("return %s has no line of sku \"%s\"", r->number, sku)));
	return total;
}

/*
 * Receive qty units of sku in one condition, line after line of that sku
 * (an RMA has several when the sku is on several order lines).
 */
static void
receive_sku(RmaLine *lines, int n, const char *sku, int64 qty, bool damaged, const RmaRow *r)
{
	int64		authorized = sku_total(lines, n, sku, r, false);
	int64		left = qty;
	int			i;

	for (i = 0; i < n && left > 0; i++)
	{
		RmaLine    *l = &lines[i];
		int64		room;
		int64		t;

		if (strcmp(l->sku, sku) != 0)
			continue;
		room = l->qty - l->new_resellable - l->new_damaged;
		t = Min(left, room);
		if (t <= 0)
			continue;
		if (damaged)
			l->new_damaged += t;
		else
			l->new_resellable += t;
		left -= t;
	}
	if (left > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("cannot receive more units of sku \"%s\" on return %s than the " INT64_FORMAT " authorized",
						sku, r->number, authorized)));
}

/* Lock the levels of the RMA's items (allocation.h protocol). */
static void
lock_rma_levels(int n, const RmaLine *lines)
{
	int64	   *items = palloc(sizeof(int64) * Max(n, 1));
	OmsLevels	ls;
	int			i;

	for (i = 0; i < n; i++)
		items[i] = lines[i].item_id;
	oms_levels_lock(n, items, &ls);
	oms_levels_flush(&ls);		/* expired cart holds found on the way */
}

static void
write_rma_lines(int64 rma_id, int n, const RmaLine *lines)
{
	int64	   *ids = palloc(sizeof(int64) * Max(n, 1));
	int64	   *rec = palloc(sizeof(int64) * Max(n, 1));
	int64	   *res = palloc(sizeof(int64) * Max(n, 1));
	int64	   *dam = palloc(sizeof(int64) * Max(n, 1));
	Datum		args[5];
	int			i;

	for (i = 0; i < n; i++)
	{
		ids[i] = lines[i].line_id;
		rec[i] = lines[i].received;
		res[i] = lines[i].resellable;
		dam[i] = lines[i].damaged;
	}
	args[0] = Int64GetDatum(rma_id);
	args[1] = oms_int8_array(n, ids);
	args[2] = oms_int8_array(n, rec);
	args[3] = oms_int8_array(n, res);
	args[4] = oms_int8_array(n, dam);
	oms_plan_exec(&plan_rma_line_update, args, NULL, false, 0, SPI_OK_UPDATE);
}

/* ----------------------------------------------------------------
 * request_return
 * ----------------------------------------------------------------
 */

/* Ask for qty units of sku (an item or component line) on the RMA. */
static void
take_units(const OmsOrder *o, RetLine *lines, int n, const char *sku,
		   int64 parent_line_id, int64 qty, const char *reason)
{
	int64		left = qty;
	int64		returnable = 0;
	int64		lost = 0;
	bool		found = false;
	int			i;

	for (i = 0; i < n && left > 0; i++)
	{
		RetLine    *l = &lines[i];
		int64		t;

		if (l->kind == 'b' || strcmp(l->sku, sku) != 0 ||
			(parent_line_id != 0 && l->parent_line_id != parent_line_id))
			continue;
		found = true;
		lost = oms_add_qty(lost, l->lost, "lost units");
		t = Min(left, l->returnable - l->take);
		if (t <= 0)
			continue;
		if (l->window_closed)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_RETURN_WINDOW_CLOSED),
					 errmsg("the return window of sku \"%s\" on order %s closed on %s",
							sku, o->number, l->window_closed_on),
					 errdetail("Delivered on %s; returns are accepted for %d days after delivery (setting oms.return_window_days).",
							   l->delivered_on, oms_return_window_days)));
		returnable += l->returnable - l->take;
		if (l->take > 0 && l->reason != NULL && strcmp(l->reason, reason) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sku \"%s\" is asked for twice with different reasons (\"%s\", \"%s\")",
							sku, l->reason, reason)));
		l->take += t;
		l->reason = pstrdup(reason);
		left -= t;
	}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("order %s has no line of sku \"%s\"", o->number, sku)));
	if (left > 0 && lost > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("cannot return " INT64_FORMAT " units of sku \"%s\" on order %s: only " INT64_FORMAT " returnable, " INT64_FORMAT " are in a lost shipment",
						qty, sku, o->number, returnable, lost),
				 errdetail("Units of a lost shipment cannot be returned until they are re-shipped or written off."),
				 errhint("Call oms.reship(shipment_id) or oms.advance_shipment(shipment_id, 'cancelled') first.")));
	if (left > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("cannot return " INT64_FORMAT " units of sku \"%s\" on order %s: only " INT64_FORMAT " returnable",
						qty, sku, o->number, returnable),
				 errdetail("A return may ask only for units that were shipped and are not already returned or on another open return.")));
}

static void
check_reason(const char *reason, int index)
{
	int			i;

	for (i = 0; reason_codes[i] != NULL; i++)
		if (strcmp(reason, reason_codes[i]) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("lines[%d].reason \"%s\" is not a return reason", index, reason),
			 errdetail("Reasons are damaged, defective, wrong_item, not_as_described, size_fit, changed_mind, arrived_late and other.")));
}

/*
 * The replacement lines of an exchange as stored on the RMA, every one
 * priced: a missing unit_price is the average price of the units returned,
 * truncated to the cent (rounding up could make a like-for-like swap of
 * three units worth 20.00 cost 20.01, more than came back).
 */
static Jsonb *
exchange_lines(Jsonb *exchange, int64 units, const char *value_text)
{
	OmsLineInput *in;
	int			n = oms_parse_lines(exchange, "exchange", true, &in);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < n; i++)
	{
		char	   *price;

		if (in[i].unit_price != NULL)
			price = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(in[i].unit_price)));
		else
		{
			/* value / units, to the cent */
			Datum		v = DirectFunctionCall3(numeric_in, CStringGetDatum(value_text),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
			Datum		q = DirectFunctionCall1(int8_numeric, Int64GetDatum(Max(units, 1)));
			Datum		avg = DirectFunctionCall2(numeric_div, v, q);

			/* down to the cent: the lines never add up to more than came back */
			avg = DirectFunctionCall2(numeric_trunc, avg, Int32GetDatum(2));
			price = DatumGetCString(DirectFunctionCall1(numeric_out, avg));
		}
		appendStringInfo(&buf, "%s{\"sku\": %s, \"qty\": " INT64_FORMAT ", \"unit_price\": \"%s\"}",
						 i > 0 ? ", " : "", oms_json_quote(in[i].sku), in[i].qty, price);
	}
	appendStringInfoChar(&buf, ']');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/*
 * Everything complete_return will need to place the replacement order,
 * checked now so an exchange cannot be accepted and then fail forever at
 * completion: every sku known, active and (a bundle) with components; the
 * order's customer and an active channel to place it with; and the
 * replacement worth no more than value, the units it is set against.
 * Stock is the one thing left to completion (it changes until then).
 */
static void
check_exchange(const OmsOrder *o, Jsonb *priced, const char *value, const char *rma_number)
{
	OmsLineInput *in;
	int			n = oms_parse_lines(priced, "exchange", true, &in);
	Datum		args[2];
	bool		isnull;
	char	   *xvalue;
	int			i;
	int			j;

	(void) oms_resolve_lines(n, in);	/* OM003 unknown, 22023 inactive */
	/* place_order merges a sku given twice only at one price */
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(in[i].sku, in[j].sku) == 0 &&
				!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(in[i].unit_price),
												  NumericGetDatum(in[j].unit_price))))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sku \"%s\" appears twice in the exchange with different unit prices", in[i].sku),
						 errdetail("Lines of the same sku are merged only when their unit prices agree.")));

	args[0] = Int64GetDatum(o->order_id);
	oms_plan_exec(&plan_exchange_origin, args, NULL, false, 1, SPI_OK_SELECT);
	if (oms_spi_text(0, 1) == NULL || oms_spi_text(0, 2) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("order %s has no customer or channel to place the replacement order of an exchange with",
						o->number),
				 errhint("Ask for a refund instead.")));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel \"%s\" of order %s is not active: it cannot take the replacement order of an exchange",
						oms_spi_text(0, 2), o->number),
				 errhint("Ask for a refund instead, or activate the channel.")));

	/*
	 * Worth more than the units it replaces: accepted, the replacement order
	 * will owe the difference (place_replacement); money values are checked
	 * in range by placement itself.
	 */
	args[0] = JsonbPGetDatum(priced);
	args[1] = CStringGetTextDatum(value);
	oms_plan_exec(&plan_exchange_value, args, NULL, false, 1, SPI_OK_SELECT);
	xvalue = oms_spi_text(0, 1);
	(void) xvalue;
	(void) rma_number;
}

/*
 * One request_return call: the arguments, checked; the order and its lines
 * as read under lock; the units taken from each line, and the RMA written.
 */
typedef struct ReturnRequest
{
	/* the call */
	Jsonb	   *which;
	char	   *kind;
	char	   *note;
	bool		authorize;
	Jsonb	   *exchange;		/* the replacement lines, priced once known */
	RetInput   *in;
	int			nin;
	/* the order and its lines, under lock */
	OmsOrder	o;
	RetLine    *lines;
	int			n;
	/* the lines asked back, and the RMA */
	int			nout;
	int64	   *ids;
	int64	   *items;
	int64	   *qtys;
	Datum	   *reasons;
	int64		units;
	int64		rma_id;
	char	   *rma_number;
} ReturnRequest;

/* Step: every argument but the lines, checked before any table is touched. */
static void
parse_return_request(FunctionCallInfo fcinfo, ReturnRequest *rq)
{
	Jsonb	   *options;

	memset(rq, 0, sizeof(ReturnRequest));
	rq->which = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	rq->kind = oms_text_arg(fcinfo, 2, "kind", true);
	options = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("order_id must not be null")));
	if (strcmp(rq->kind, "refund") != 0 && strcmp(rq->kind, "exchange") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kind must be refund or exchange, got \"%s\"", rq->kind)));
	oms_check_options(options, "options", request_options);
	rq->note = options ? oms_option_text(options, "note") : NULL;
	rq->authorize = options ? oms_option_bool(options, "authorize", false) : false;
	if (options)
		rq->exchange = oms_option_array(options, "exchange");
	if (strcmp(rq->kind, "exchange") == 0 && rq->exchange == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an exchange needs option \"exchange\": the replacement lines [{\"sku\", \"qty\"}]")));
	if (strcmp(rq->kind, "refund") == 0 && rq->exchange != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"exchange\" belongs to kind exchange, not refund")));
}

/* Step: the order's lines with what each can still give back, and its return window. */
static void
read_returnable_lines(ReturnRequest *rq)
{
	Datum		args[2];
	bool		isnull;
	int			i;

	args[0] = Int64GetDatum(rq->o.order_id);
	args[1] = Int32GetDatum(oms_return_window_days);
	rq->n = oms_plan_exec(&plan_ret_lines, args, NULL, false, 0, SPI_OK_SELECT);
	rq->lines = palloc0(sizeof(RetLine) * Max(rq->n, 1));
	for (i = 0; i < rq->n; i++)
	{
		RetLine    *l = &rq->lines[i];
		char	   *k = oms_spi_text(i, 4);

		l->line_id = oms_spi_int64(i, 1, &isnull);
		l->item_id = oms_spi_int64(i, 2, &isnull);
		l->sku = oms_spi_text(i, 3);
		l->kind = k[0];
		l->parent_line_id = oms_spi_int64(i, 5, &isnull);
		if (isnull)
			l->parent_line_id = 0;
		l->ordered = oms_spi_int64(i, 6, &isnull);
		l->returnable = oms_spi_int64(i, 7, &isnull);
		l->window_closed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i],
													  SPI_tuptable->tupdesc, 8, &isnull));
		if (isnull)
			l->window_closed = false;
		l->window_closed_on = oms_spi_text(i, 9);
		l->delivered_on = oms_spi_text(i, 10);
		l->lost = oms_spi_int64(i, 11, &isnull);
	}
}

/* Step: take each requested sku from the lines (a bundle as its components). */
static void
take_requested(ReturnRequest *rq)
{
	RetLine    *lines = rq->lines;
	int			n = rq->n;
	int			i;

	for (i = 0; i < rq->nin; i++)
	{
		int64		qty = parse_count(rq->in[i].qty, "qty", i, 1);
		const char *reason = rq->in[i].reason ? rq->in[i].reason : "other";
		RetLine    *bundle = NULL;
		int			j;

		CHECK_FOR_INTERRUPTS();
		check_reason(reason, i);
		for (j = 0; j < n; j++)
			if (lines[j].kind == 'b' && strcmp(lines[j].sku, rq->in[i].sku) == 0)
				bundle = &lines[j];
		if (bundle == NULL)
		{
			take_units(&rq->o, lines, n, rq->in[i].sku, 0, qty, reason);
			continue;
		}
		/* a bundle comes back as its components, in proportion */
		for (j = 0; j < n; j++)
		{
			int64		per;

			if (lines[j].kind != 'c' || lines[j].parent_line_id != bundle->line_id)
				continue;
			per = bundle->ordered > 0 ? lines[j].ordered / bundle->ordered : 0;
			take_units(&rq->o, lines, n, lines[j].sku, bundle->line_id,
					   oms_mul_qty(per, qty, "return quantity"), reason);
		}
	}
}

/* Step: the lines that give units back, as arrays for the RMA's lines. */
static void
collect_taken(ReturnRequest *rq)
{
	int			i;

	rq->ids = palloc(sizeof(int64) * Max(rq->n, 1));
	rq->items = palloc(sizeof(int64) * Max(rq->n, 1));
	rq->qtys = palloc(sizeof(int64) * Max(rq->n, 1));
	rq->reasons = palloc(sizeof(Datum) * Max(rq->n, 1));
	for (i = 0; i < rq->n; i++)
		if (rq->lines[i].take > 0)
		{
			rq->ids[rq->nout] = rq->lines[i].line_id;
			rq->items[rq->nout] = rq->lines[i].item_id;
			rq->qtys[rq->nout] = rq->lines[i].take;
			rq->reasons[rq->nout] = CStringGetTextDatum(rq->lines[i].reason);
			rq->units = oms_add_qty(rq->units, rq->lines[i].take, "units");
			rq->nout++;
		}
}

/* Step: the RMA's id and number; an exchange's replacement lines priced by what comes back. */
static void
number_and_price(ReturnRequest *rq)
{
	Datum		args[2];
	bool		isnull;
	char	   *value;

	oms_plan_exec(&plan_rma_ids, NULL, NULL, false, 1, SPI_OK_SELECT);
	rq->rma_id = oms_spi_int64(0, 1, &isnull);
	rq->rma_number = oms_spi_text(0, 2);

	if (rq->exchange != NULL)
	{
		/* the value of what is asked back prices the replacement lines */
		args[0] = oms_int8_array(rq->nout, rq->ids);
		args[1] = oms_int8_array(rq->nout, rq->qtys);
		oms_plan_exec(&plan_requested_value, args, NULL, false, 1, SPI_OK_SELECT);
		value = oms_spi_text(0, 1);
		rq->exchange = exchange_lines(rq->exchange, rq->units, value);
		check_exchange(&rq->o, rq->exchange, value, rq->rma_number);
	}
}

/* Step: the RMA row and its lines (its event carries them), authorized on request. */
static void
write_rma(const ReturnRequest *rq)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	StringInfoData members;
	int			i;

	initStringInfo(&members);
	appendStringInfo(&members, "\"rma_number\": \"%s\", \"order_number\": \"%s\", \"kind\": \"%s\", \"units\": " INT64_FORMAT ", \"lines\": [",
					 rq->rma_number, rq->o.number, rq->kind, rq->units);
	for (i = 0; i < rq->nout; i++)
		appendStringInfo(&members, "%s{\"sku\": %s, \"qty\": " INT64_FORMAT ", \"reason\": \"%s\"}",
						 i > 0 ? ", " : "", oms_json_quote(oms_item_sku(rq->items[i])), rq->qtys[i],
						 TextDatumGetCString(rq->reasons[i]));
	appendStringInfoChar(&members, ']');
	oms_status_event_members("return", rq->rma_id, members.data);

	args[0] = Int64GetDatum(rq->rma_id);
	args[1] = CStringGetTextDatum(rq->rma_number);
	args[2] = Int64GetDatum(rq->o.order_id);
	args[3] = CStringGetTextDatum(rq->kind);
	args[4] = rq->note ? CStringGetTextDatum(rq->note) : (Datum) 0;
	nulls[4] = rq->note ? ' ' : 'n';
	args[5] = rq->exchange ? JsonbPGetDatum(rq->exchange) : (Datum) 0;
	nulls[5] = rq->exchange ? ' ' : 'n';
	oms_set_reason(rq->note);
	oms_plan_exec(&plan_rma_insert, args, nulls, false, 0, SPI_OK_INSERT);

	args[0] = Int64GetDatum(rq->rma_id);
	args[1] = oms_int8_array(rq->nout, rq->ids);
	args[2] = oms_int8_array(rq->nout, rq->items);
	args[3] = oms_int8_array(rq->nout, rq->qtys);
	args[4] = PointerGetDatum(construct_array(rq->reasons, rq->nout, TEXTOID, -1, false, TYPALIGN_INT));
	oms_plan_exec(&plan_rma_lines_insert, args, NULL, false, 0, SPI_OK_INSERT);

	if (rq->authorize)
		set_rma_status(rq->rma_id, "authorized", "authorized on request");
}

PG_FUNCTION_INFO_V1(oms_request_return);

/* request_return(order_id, lines, kind, options) */
Datum
oms_request_return(PG_FUNCTION_ARGS)
{
	ReturnRequest rq;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "request_return", 4, 0, oms_request_return);

	parse_return_request(fcinfo, &rq);
	oms_spi_connect();
	oms_order_lock(PG_GETARG_INT64(0), &rq.o);
	rq.nin = read_elements(rq.which, "lines", request_keys, &rq.in);
	read_returnable_lines(&rq);
	take_requested(&rq);
	collect_taken(&rq);
	number_and_price(&rq);
	write_rma(&rq);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_INT64(rq.rma_id);
}

/* ----------------------------------------------------------------
 * advance_return: authorize, reject, cancel
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_advance_return);

Datum
oms_advance_return(PG_FUNCTION_ARGS)
{
	char	   *to = oms_text_arg(fcinfo, 1, "to_status", true);
	char	   *reason = oms_text_arg(fcinfo, 2, "reason", false);
	OmsOrder	o;
	RmaRow		r;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "advance_return", 3, 0, oms_advance_return);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rma_id must not be null")));
	if (strcmp(to, "authorized") != 0 && strcmp(to, "rejected") != 0 && strcmp(to, "cancelled") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("advance_return moves a return to authorized, rejected or cancelled, not \"%s\"", to),
				 errhint("Use oms.receive_return() and oms.complete_return() for the other steps.")));
	oms_spi_connect();
	lock_rma(PG_GETARG_INT64(0), &o, &r);
	/* the guard refuses what the return machine does not allow (OM002) */
	set_rma_status(r.rma_id, to, reason);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(to));
}

/* ----------------------------------------------------------------
 * change_return: the way out of an exchange that cannot complete
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_change_return);

/* change_return(rma_id, kind, exchange, reason) */
Datum
oms_change_return(PG_FUNCTION_ARGS)
{
	char	   *kind = oms_text_arg(fcinfo, 1, "kind", true);
	Jsonb	   *exchange = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	char	   *reason = oms_text_arg(fcinfo, 3, "reason", false);
	OmsOrder	o;
	RmaRow		r;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	bool		received;
	char	   *value;
	int64		units;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "change_return", 4, 0, oms_change_return);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rma_id must not be null")));
	if (strcmp(kind, "refund") != 0 && strcmp(kind, "exchange") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kind must be refund or exchange, got \"%s\"", kind)));
	if (strcmp(kind, "exchange") == 0 && exchange == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an exchange needs its replacement lines [{\"sku\", \"qty\"}]")));
	if (strcmp(kind, "refund") == 0 && exchange != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("replacement lines belong to kind exchange, not refund")));

	oms_spi_connect();
	lock_rma(PG_GETARG_INT64(0), &o, &r);
	if (strcmp(r.status, "requested") != 0 && strcmp(r.status, "authorized") != 0 &&
		strcmp(r.status, "received") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("return %s is %s: only a requested, authorized or received return can change",
						r.number, r.status)));

	if (exchange != NULL)
	{
		/* priced and checked against what came back, or what is asked back */
		received = strcmp(r.status, "received") == 0;
		args[0] = Int64GetDatum(r.rma_id);
		args[1] = BoolGetDatum(received);
		oms_plan_exec(&plan_rma_value, args, NULL, false, 1, SPI_OK_SELECT);
		value = oms_spi_text(0, 1);
		units = oms_spi_int64(0, 2, &isnull);
		exchange = exchange_lines(exchange, units, value);
		check_exchange(&o, exchange, value, r.number);
	}

	args[0] = Int64GetDatum(r.rma_id);
	args[1] = CStringGetTextDatum(kind);
	args[2] = exchange ? JsonbPGetDatum(exchange) : (Datum) 0;
	nulls[2] = exchange ? ' ' : 'n';
	oms_plan_exec(&plan_rma_change, args, nulls, false, 0, SPI_OK_UPDATE);
	oms_emit_event_json("return.changed", "return", r.rma_id,
						psprintf("{\"rma_number\": \"%s\", \"order_number\": \"%s\", \"status\": \"%s\","
								 " \"from_kind\": \"%s\", \"kind\": \"%s\", \"exchange\": %s, \"reason\": %s}",
								 r.number, o.number, r.status, r.kind, kind,
								 exchange ? JsonbToCString(NULL, &exchange->root, VARSIZE(exchange)) : "null",
								 oms_json_quote(reason)));
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(r.status));
}

/* ----------------------------------------------------------------
 * receive_return
 * ----------------------------------------------------------------
 */

/* Write the ledger movements that take the stock from old to new grading. */
static void
move_stock(const RmaRow *r, int64 location_id, RmaLine *l, int64 old_res, int64 old_dam,
		   Datum res_serials, Datum dam_serials)
{
	int64		restock = l->resellable - old_res;
	int64		damage = l->damaged - old_dam;
	char	   *why = psprintf("return %s", r->number);

	if (old_res == 0 && old_dam == 0)
	{
		/* units arriving */
		if (restock > 0)
			(void) oms_insert_movement_serials(l->item_id, location_id, "return_restock", restock, 0,
											   why, r->number, 0, NULL, res_serials);
		if (damage > 0)
			(void) oms_insert_movement_serials(l->item_id, location_id, "return_damaged", 0, damage,
											   why, r->number, 0, NULL, dam_serials);
		return;
	}
	/* re-grading units already here: the received total does not change */
	Assert(restock == -damage);
	if (restock > 0)
		(void) oms_insert_movement(l->item_id, location_id, "restore", restock, -restock,
								   psprintf("inspection of return %s", r->number), r->number, 0, NULL);
	else if (damage > 0)
		(void) oms_insert_movement(l->item_id, location_id, "damage", -damage, damage,
								   psprintf("inspection of return %s", r->number), r->number, 0, NULL);
}

/*
 * Serials named on receipt, per item and condition: every serialized unit
 * that arrives is named, and must have shipped on the order (serials.h).
 */
typedef struct SerialPool
{
	int64		item_id;
	char	   *sku;
	bool		damaged;
	OmsSerials *serials;
	int			used;
} SerialPool;

static void
serial_pool_add(SerialPool *pools, int *npools, const RmaLine *lines, int n,
				const RetInput *in, int index, int64 qty, bool damaged)
{
	char	   *what = psprintf("lines[%d].serials", index);
	OmsSerials *s = oms_serials_from_jsonb(in->serials, what);
	int64		item_id = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(lines[i].sku, in->sku) == 0)
		{
			if (!lines[i].serialized)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sku \"%s\" is not serialized: %s must not be given", in->sku, what)));
			item_id = lines[i].item_id;
		}
	if (s->n != qty)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
				 errmsg("%s names %d serials for qty " INT64_FORMAT " of sku \"%s\"", what, s->n, qty, in->sku),
				 errdetail("Every unit of a serialized item that comes back is named by its serial.")));
	for (i = 0; i < *npools; i++)
		if (pools[i].item_id == item_id && pools[i].damaged == damaged)
		{
			pools[i].serials = oms_serials_merge(pools[i].serials, s, what);
			return;
		}
	pools[*npools].item_id = item_id;
	pools[*npools].sku = in->sku;
	pools[*npools].damaged = damaged;
	pools[*npools].serials = s;
	(*npools)++;
}

/* The next qty serials of an item's pool as a text[] datum (0 for none). */
static Datum
serial_pool_take(SerialPool *pools, int npools, int64 item_id, bool damaged, int64 qty)
{
	int			i;
	Datum		d;

	if (qty == 0)
		return (Datum) 0;
	for (i = 0; i < npools; i++)
		if (pools[i].item_id == item_id && pools[i].damaged == damaged)
		{
			Assert(pools[i].used + qty <= pools[i].serials->n);
			d = oms_serials_datum(pools[i].serials, pools[i].used, (int) qty);
			pools[i].used += (int) qty;
			return d;
		}
	elog(ERROR, "no serials for item " INT64_FORMAT, item_id);
}

/*
 * Each serialized item's units received in each condition are named, no
 * serial twice, and every serial shipped on the order (the fraud guard).
 */
static void
check_returned_serials(const OmsOrder *o, const RmaRow *r, const RmaLine *lines, int n,
					   SerialPool *pools, int npools)
{
	int			i;
	int			j;

	for (i = 0; i < n; i++)
	{
		int64		res = 0;
		int64		dam = 0;
		int64		named_res = 0;
		int64		named_dam = 0;

		if (!lines[i].serialized)
			continue;
		for (j = 0; j < i; j++)
			if (lines[j].item_id == lines[i].item_id)
				break;
		if (j < i)
			continue;
		for (j = i; j < n; j++)
			if (lines[j].item_id == lines[i].item_id)
			{
				res += lines[j].new_resellable;
				dam += lines[j].new_damaged;
			}
		for (j = 0; j < npools; j++)
			if (pools[j].item_id == lines[i].item_id)
			{
				if (pools[j].damaged)
					named_dam = pools[j].serials->n;
				else
					named_res = pools[j].serials->n;
			}
		if (res != named_res || dam != named_dam)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("sku \"%s\" is serialized: return %s receives " INT64_FORMAT " units of it but names " INT64_FORMAT " serials",
							lines[i].sku, r->number, res + dam, named_res + named_dam),
					 errhint("Name each unit that arrives: lines [{\"sku\", \"qty\", \"condition\", \"serials\": [...]}].")));
	}
	for (j = 0; j < npools; j++)
	{
		OmsSerials *all = pools[j].serials;
		int			k;

		/* a serial named in both conditions is named twice */
		for (k = j + 1; k < npools; k++)
			if (pools[k].item_id == pools[j].item_id)
				all = oms_serials_merge(all, pools[k].serials, "lines[].serials");
		oms_serials_check_return(o->order_id, o->number, pools[j].item_id, pools[j].sku, pools[j].serials);
		(void) all;
	}
}

PG_FUNCTION_INFO_V1(oms_receive_return);

/*
 * What arrived, by line: everything authorized when no lines are given,
 * else each given line's units by condition, and the serials it names
 * (into pools, one per item and condition).
 */
static void
read_received_units(Jsonb *which, RmaRow *r, RmaLine *lines, int n,
					SerialPool **pools, int *npools)
{
	RetInput   *in;
	int			nin;
	int			i;

	if (which == NULL)
	{
		for (i = 0; i < n; i++)
			lines[i].new_resellable = lines[i].qty;
		return;
	}
	nin = read_elements(which, "lines", receive_keys, &in);
	*pools = palloc0(sizeof(SerialPool) * nin);
	for (i = 0; i < nin; i++)
	{
		int64		qty = parse_count(in[i].qty, "qty", i, 1);
		const char *cond = in[i].condition ? in[i].condition : "resellable";
		bool		damaged;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(cond, "resellable") != 0 && strcmp(cond, "damaged") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lines[%d].condition must be resellable or damaged, got \"%s\"", i, cond)));
		damaged = strcmp(cond, "damaged") == 0;
		receive_sku(lines, n, in[i].sku, qty, damaged, r);
		if (in[i].serials != NULL)
			serial_pool_add(*pools, npools, lines, n, &in[i], i, qty, damaged);
	}
}

/*
 * Record the units received on the return lines and on the order lines;
 * the totals by condition (22023 when nothing arrived).
 */
static void
record_received(RmaRow *r, RmaLine *lines, int n, int64 *resellable, int64 *damaged)
{
	int64	   *ids = palloc(sizeof(int64) * Max(n, 1));
	int64	   *qtys = palloc(sizeof(int64) * Max(n, 1));
	Datum		args[2];
	int			i;

	*resellable = *damaged = 0;
	for (i = 0; i < n; i++)
	{
		RmaLine    *l = &lines[i];

		l->resellable = l->new_resellable;
		l->damaged = l->new_damaged;
		l->received = l->resellable + l->damaged;
		*resellable += l->resellable;
		*damaged += l->damaged;
		ids[i] = l->line_id;
		qtys[i] = l->received;
	}
	if (*resellable + *damaged == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("return %s: nothing received", r->number)));
	write_rma_lines(r->rma_id, n, lines);
	args[0] = oms_int8_array(n, ids);
	args[1] = oms_int8_array(n, qtys);
	oms_plan_exec(&plan_lines_returned, args, NULL, false, 0, SPI_OK_UPDATE);
}

/* Restock the resellable units and put the damaged aside, each with its serials. */
static void
restock_received(RmaRow *r, int64 location_id, RmaLine *lines, int n,
				 SerialPool *pools, int npools)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		res_serials = (Datum) 0;
		Datum		dam_serials = (Datum) 0;

		if (lines[i].serialized)
		{
			res_serials = serial_pool_take(pools, npools, lines[i].item_id, false, lines[i].resellable);
			dam_serials = serial_pool_take(pools, npools, lines[i].item_id, true, lines[i].damaged);
		}
		move_stock(r, location_id, &lines[i], 0, 0, res_serials, dam_serials);
	}
}

/* receive_return(rma_id, location, lines) */
Datum
oms_receive_return(PG_FUNCTION_ARGS)
{
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	Jsonb	   *which = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	OmsOrder	o;
	RmaRow		r;
	RmaLine    *lines;
	int			n;
	int64		location_id;
	Datum		args[2];
	int64		resellable;
	int64		damaged;
	SerialPool *pools = NULL;
	int			npools = 0;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "receive_return", 3, 0, oms_receive_return);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rma_id must not be null")));
	oms_spi_connect();
	lock_rma(PG_GETARG_INT64(0), &o, &r);
	require_status(&r, "authorized", "received");
	location_id = oms_location_id(loc);

	n = read_rma_lines(r.rma_id, &lines);
	read_received_units(which, &r, lines, n, &pools, &npools);
	lock_rma_levels(n, lines);
	/* after the levels (serials.h lock order): the fraud guard */
	check_returned_serials(&o, &r, lines, n, pools, npools);
	record_received(&r, lines, n, &resellable, &damaged);
	restock_received(&r, location_id, lines, n, pools, npools);

	oms_status_event_members("return", r.rma_id,
							 psprintf("\"rma_number\": \"%s\", \"order_number\": \"%s\", \"location\": %s,"
									  " \"resellable\": " INT64_FORMAT ", \"damaged\": " INT64_FORMAT,
									  r.number, o.number, oms_json_quote(loc), resellable, damaged));
	args[0] = Int64GetDatum(r.rma_id);
	args[1] = Int64GetDatum(location_id);
	oms_set_reason(NULL);
	oms_plan_exec(&plan_rma_received, args, NULL, false, 0, SPI_OK_UPDATE);
	(void) oms_fulfillment_refresh(o.order_id);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text("received"));
}

/* ----------------------------------------------------------------
 * inspect_return
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_inspect_return);

/* inspect_return(rma_id, lines) */
Datum
oms_inspect_return(PG_FUNCTION_ARGS)
{
	Jsonb	   *which = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	OmsOrder	o;
	RmaRow		r;
	RmaLine    *lines;
	int			n;
	int			i;
	RetInput   *in;
	int			nin;
	int64	   *old_res;
	int64	   *old_dam;
	StringInfoData payload;

	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "inspect_return", 2, 0, oms_inspect_return);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rma_id must not be null")));
	oms_spi_connect();
	lock_rma(PG_GETARG_INT64(0), &o, &r);
	require_status(&r, "received", "inspected");
	nin = read_elements(which, "lines", inspect_keys, &in);
	n = read_rma_lines(r.rma_id, &lines);
	old_res = palloc(sizeof(int64) * Max(n, 1));
	old_dam = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		old_res[i] = lines[i].resellable;
		old_dam[i] = lines[i].damaged;
	}
	for (i = 0; i < nin; i++)
	{
		int64		received = sku_total(lines, n, in[i].sku, &r, true);
		int64		res = parse_count(in[i].resellable, "resellable", i, 0);
		int64		dam = parse_count(in[i].damaged, "damaged", i, 0);
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (oms_add_qty(res, dam, "resellable + damaged") != received)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sku \"%s\" on return %s: resellable " INT64_FORMAT " + damaged " INT64_FORMAT " must equal the " INT64_FORMAT " received",
							in[i].sku, r.number, res, dam, received)));
		/* resellable units first, line after line of the sku */
		for (j = 0; j < n; j++)
		{
			RmaLine    *l = &lines[j];

			if (strcmp(l->sku, in[i].sku) != 0)
				continue;
			l->resellable = Min(res, l->received);
			l->damaged = l->received - l->resellable;
			res -= l->resellable;
		}
	}

	lock_rma_levels(n, lines);
	write_rma_lines(r.rma_id, n, lines);
	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"rma_number\": \"%s\", \"order_number\": \"%s\", \"lines\": [",
					 r.number, o.number);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (lines[i].received > 0)
			move_stock(&r, r.location_id, &lines[i], old_res[i], old_dam[i], (Datum) 0, (Datum) 0);
		appendStringInfo(&payload, "%s{\"sku\": %s, \"resellable\": " INT64_FORMAT ", \"damaged\": " INT64_FORMAT "}",
						 i > 0 ? ", " : "", oms_json_quote(lines[i].sku), lines[i].resellable, lines[i].damaged);
	}
	appendStringInfoString(&payload, "]}");
	oms_emit_event_json("return.inspected", "return", r.rma_id, payload.data);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(r.status));
}

/*
 * Place an exchange's replacement order through the engine's entry point
 * (engine/placement.c), as oms.place_order(email, channel, lines, options)
 * would: the settings it changes (oms.reason) are restored afterwards, as
 * the SQL function's SET clause restores them.  A NULL argument is stored
 * as SQL NULL, so that lines NULL is refused as place_order refuses it.
 */
static int64
place_exchange(const char *xlines, const char *email, const char *channel,
			   const char *rma_number, const char *ship_to,
			   const char *service_level, const char *currency, const char *payment_required)
{
	const char *text[6] = {xlines, rma_number, ship_to, service_level, currency, payment_required};
	Datum		args[6];
	char		nulls[6];
	bool		lines_null;
	bool		options_null;
	Jsonb	   *lines;
	Jsonb	   *options;
	int			nest;
	int64		order_id;
	int			i;

	for (i = 0; i < 6; i++)
	{
		args[i] = text[i] ? CStringGetTextDatum(text[i]) : (Datum) 0;
		nulls[i] = text[i] ? ' ' : 'n';
	}
	oms_plan_exec(&plan_exchange_request, args, nulls, false, 1, SPI_OK_SELECT);
	args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &lines_null);
	args[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &options_null);
	if (lines_null)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be null")));
	lines = DatumGetJsonbPCopy(args[0]);
	options = options_null ? NULL : DatumGetJsonbPCopy(args[1]);

	nest = NewGUCNestLevel();
	order_id = oms_place_order_internal(email, channel, lines, options);
	AtEOXact_GUC(true, nest);
	return order_id;
}

/* ----------------------------------------------------------------
 * complete_return
 * ----------------------------------------------------------------
 */
/* One complete_return call: the RMA and its order, locked, and what completing it gave. */
typedef struct ReturnCompletion
{
	OmsOrder	o;
	RmaRow		r;
	const char *reason;
	char	   *xvalue;			/* the replacement items' value ("0" for a refund RMA) */
	char	   *value;
	char	   *owed;
	char	   *upcharge;		/* what the replacement order owes (exchange worth more) */
	char	   *refund;
	int64		payment_id;		/* 0: no refund */
	int64		exchange_id;	/* 0: no replacement order */
	char	   *exchange_number;
} ReturnCompletion;

/*
 * An exchange worth more than what came back (issue 16): the replacement
 * order was placed with payment_required captured; the value of the units
 * received is credited to it as a capture (provider "exchange", reference
 * the RMA number), so it is partially_paid and owes the difference, and
 * the shipping gate (OM009, naming the amount) holds it until the customer
 * pays the rest with oms.record_payment().  Returns the amount owed.
 */
static char *
exchange_upcharge(ReturnCompletion *c)
{
	Numeric		credit = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(c->value),
															 ObjectIdGetDatum(InvalidOid),
															 Int32GetDatum(-1)));
	Numeric		xvalue = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(c->xvalue),
															 ObjectIdGetDatum(InvalidOid),
															 Int32GetDatum(-1)));

	if (DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(credit),
										 NumericGetDatum(int64_to_numeric(0)))))
		(void) oms_payment_record(c->exchange_id, "capture", credit, NULL, "exchange", c->r.number,
								  psprintf("credit of return %s", c->r.number), NULL);
	return DatumGetCString(DirectFunctionCall1(numeric_out,
											   DirectFunctionCall2(numeric_sub, NumericGetDatum(xvalue),
																   NumericGetDatum(credit))));
}

/*
 * Step (exchange RMAs): the replacement order, placed like any order (it
 * reserves stock); worth more than what came back, it owes the difference.
 */
static void
place_replacement(ReturnCompletion *c)
{
	Datum		args[1];
	bool		isnull;
	char	   *xlines;
	char	   *email;
	char	   *channel;
	char	   *ship_to;
	char	   *service_level;
	char	   *currency;
	bool		upcharge;

	args[0] = Int64GetDatum(c->r.rma_id);
	if (oms_plan_exec(&plan_rma_exchange, args, NULL, false, 1, SPI_OK_SELECT) != 1)
		elog(ERROR, "return %s vanished", c->r.number);
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 10, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("the channel of order %s already has an order with reference \"%s\"",
						c->o.number, c->r.number),
				 errdetail("The replacement order of an exchange takes its RMA number as channel reference.")));
	xlines = oms_spi_text(0, 1);
	email = oms_spi_text(0, 2);
	channel = oms_spi_text(0, 3);
	ship_to = oms_spi_text(0, 4);
	service_level = oms_spi_text(0, 5);
	currency = oms_spi_text(0, 6);
	c->xvalue = oms_spi_text(0, 7);
	c->value = oms_spi_text(0, 8);
	if (email == NULL || channel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order %s has no customer or channel to place the replacement order of return %s with",
						c->o.number, c->r.number)));
	upcharge = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 9, &isnull));
	c->exchange_id = place_exchange(xlines, email, channel, c->r.number, ship_to,
									service_level, currency, upcharge ? "captured" : "none");
	args[0] = Int64GetDatum(c->exchange_id);
	oms_plan_exec(&plan_order_number, args, NULL, false, 1, SPI_OK_SELECT);
	c->exchange_number = oms_spi_text(0, 1);
	if (upcharge)
		c->upcharge = exchange_upcharge(c);
	oms_emit_event_json("exchange.created", "return", c->r.rma_id,
						psprintf("{\"rma_number\": \"%s\", \"order_number\": \"%s\","
								 " \"replacement_order_number\": \"%s\", \"value\": \"%s\"%s}",
								 c->r.number, c->o.number, c->exchange_number, c->xvalue,
								 upcharge ? psprintf(", \"credit\": \"%s\", \"owed\": \"%s\"",
													 c->value, c->upcharge) : ""));
}

/*
 * Step: the refund: what came back (less the exchange), never above what is
 * refundable.  No idempotency key: the RMA row is locked and moves to
 * completed in this transaction, so it refunds once; a key claimed here,
 * after the order row, could deadlock with a client using the same key.
 */
static void
refund_returned(ReturnCompletion *c)
{
	Datum		args[4];
	bool		isnull;
	bool		refund_due;

	args[0] = Int64GetDatum(c->r.rma_id);
	args[1] = Int64GetDatum(c->o.order_id);
	args[2] = DirectFunctionCall3(numeric_in, CStringGetDatum(c->xvalue),
								  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	args[3] = BoolGetDatum(oms_refund_shipping == 1);
	oms_plan_exec(&plan_refund, args, NULL, false, 1, SPI_OK_SELECT);
	c->value = oms_spi_text(0, 1);
	c->owed = oms_spi_text(0, 2);
	c->refund = oms_spi_text(0, 3);
	refund_due = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	if (refund_due)
		c->payment_id = oms_payment_record(c->o.order_id, "refund",
										   DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(c->refund),
																			   ObjectIdGetDatum(InvalidOid),
																			   Int32GetDatum(-1))),
										   NULL, NULL, c->r.number,
										   c->reason ? c->reason : psprintf("return %s", c->r.number),
										   NULL);
}

/* Step: the RMA completed, its event carrying the refund and the replacement order. */
static void
finish_completion(const ReturnCompletion *c)
{
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	oms_status_event_members("return", c->r.rma_id,
							 psprintf("\"rma_number\": \"%s\", \"order_number\": \"%s\", \"kind\": \"%s\","
									  " \"value\": \"%s\", \"refund_owed\": \"%s\", \"refund\": \"%s\","
									  " \"replacement_order_number\": %s",
									  c->r.number, c->o.number, c->r.kind, c->value, c->owed, c->refund,
									  oms_json_quote(c->exchange_number)));
	args[0] = Int64GetDatum(c->r.rma_id);
	args[1] = DirectFunctionCall3(numeric_in, CStringGetDatum(c->refund),
								  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	args[2] = Int64GetDatum(c->payment_id);
	nulls[2] = c->payment_id > 0 ? ' ' : 'n';
	args[3] = Int64GetDatum(c->exchange_id);
	nulls[3] = c->exchange_id > 0 ? ' ' : 'n';
	oms_set_reason(c->reason);
	oms_plan_exec(&plan_rma_complete, args, nulls, false, 0, SPI_OK_UPDATE);
}

PG_FUNCTION_INFO_V1(oms_complete_return);

/* complete_return(rma_id, reason) */
Datum
oms_complete_return(PG_FUNCTION_ARGS)
{
	ReturnCompletion c;

	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "complete_return", 2, 0, oms_complete_return);

	memset(&c, 0, sizeof(ReturnCompletion));
	c.reason = oms_text_arg(fcinfo, 1, "reason", false);
	c.xvalue = "0";
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rma_id must not be null")));
	oms_spi_connect();
	lock_rma(PG_GETARG_INT64(0), &c.o, &c.r);
	require_status(&c.r, "received", "completed");
	if (strcmp(c.r.kind, "exchange") == 0)
		place_replacement(&c);
	refund_returned(&c);
	finish_completion(&c);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text("completed"));
}
