/*-------------------------------------------------------------------------
 *
 * fulfillment.c
 *	  Shipments: create one from what an order has reserved at a location,
 *	  ship it (its reservations are consumed and a shipment movement leaves
 *	  the ledger), deliver it, lose and re-ship it, take it back from the
 *	  carrier; and the order's derived fulfillment status.
 *
 * Lock order, the same as orders.c: the order row, then the shipment row,
 * then every stock level of the items involved (engine/allocation.c), and only then
 * order lines and reservations.  Every function here locks the order row
 * first, so two calls on one order (two shipments, a shipment and a
 * cancellation) run one after the other and the second sees the first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/ledger.h"
#include "engine/order.h"
#include "engine/payment_ledger.h"
#include "engine/serials.h"
#include "engine/transitions.h"
#include "engine/idempotency.h"

/* The shipment row as read under lock. */
typedef struct ShipRow
{
	int64		shipment_id;
	char	   *number;
	int64		location_id;
	char	   *status;
	char	   *service_level;
	int64		carrier_id;		/* 0: none yet */
	char	   *tracking;
	char	   *estimated;		/* date as text, NULL before shipping */
	TimestampTz shipped_at;		/* 0 before shipping */
} ShipRow;

/* Units of one order line in a shipment. */
typedef struct ShipLine
{
	int64		line_id;
	int64		item_id;
	int64		qty;
	bool		serialized;		/* its units ship with their serials */
} ShipLine;

static const char *const service_levels[] = {"ground", "air", "express", "same_day", NULL};

static OmsPlan plan_shipment_order = {
	"SELECT order_id FROM oms.shipment WHERE shipment_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_shipment_lock = {
	"SELECT shipment_number, location_id, status, service_level, carrier_id, tracking_number,"
	" estimated_delivery::text, shipped_at FROM oms.shipment WHERE shipment_id = $1 FOR UPDATE",
	1, {INT8OID}
};
static OmsPlan plan_shipment_lines = {
	"SELECT sl.line_id, sl.item_id, sl.qty, i.serialized FROM oms.shipment_line sl"
	" JOIN oms.item i ON i.item_id = sl.item_id WHERE sl.shipment_id = $1 ORDER BY sl.line_id",
	1, {INT8OID}
};
static OmsPlan plan_carrier = {
	"SELECT c.carrier_id, c.active, s.transit_days, s.business_days"
	" FROM oms.carrier c LEFT JOIN oms.carrier_service s"
	" ON s.carrier_id = c.carrier_id AND s.service_level = $2 WHERE c.code = $1",
	2, {TEXTOID, TEXTOID}
};
static OmsPlan plan_carrier_by_id = {
	"SELECT code FROM oms.carrier WHERE carrier_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_order_items = {
	"SELECT DISTINCT item_id FROM oms.order_line WHERE order_id = $1 AND kind <> 'bundle'",
	1, {INT8OID}
};

/*
 * The order's lines with what each holds at one location: reserved there,
 * and already in open shipments from there.
 */
static OmsPlan plan_lines_at = {
	"SELECT l.line_id, l.item_id, i.sku, l.kind, l.parent_line_id, l.qty_ordered,"
	" COALESCE((SELECT sum(r.qty) FROM oms.reservation r WHERE r.line_id = l.line_id"
	"   AND r.location_id = $2 AND r.state = 'active'), 0)::bigint,"
	" COALESCE((SELECT sum(sl.qty) FROM oms.shipment_line sl JOIN oms.shipment s"
	"   ON s.shipment_id = sl.shipment_id WHERE sl.line_id = l.line_id AND s.location_id = $2"
	"   AND s.status IN ('pending', 'picking', 'packed')), 0)::bigint"
	" FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" WHERE l.order_id = $1 ORDER BY l.line_no",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_insert_shipment = {
	"INSERT INTO oms.shipment (order_id, location_id, carrier_id, service_level, replaces_shipment_id)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING shipment_id, shipment_number",
	5, {INT8OID, INT8OID, INT8OID, TEXTOID, INT8OID}
};
static OmsPlan plan_insert_lines = {
	"INSERT INTO oms.shipment_line (shipment_id, line_id, item_id, qty)"
	" SELECT $1, d.line_id, d.item_id, d.qty"
	" FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS d(line_id, item_id, qty)",
	4, {INT8OID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_tracking_taken = {
	"SELECT shipment_number FROM oms.shipment"
	" WHERE carrier_id = $1 AND tracking_number = $2 AND shipment_id <> $3",
	3, {INT8OID, TEXTOID, INT8OID}
};
static OmsPlan plan_eta = {
	"SELECT oms.add_transit_days(pg_catalog.now()::date, $1, $2)",
	2, {INT4OID, BOOLOID}
};
static OmsPlan plan_ship = {
	"UPDATE oms.shipment SET status = 'shipped', carrier_id = $2, tracking_number = $3,"
	" service_level = $4, shipped_at = pg_catalog.now(), estimated_delivery = $5"
	" WHERE shipment_id = $1",
	5, {INT8OID, INT8OID, TEXTOID, TEXTOID, DATEOID}
};
static OmsPlan plan_deliver = {
	"UPDATE oms.shipment SET status = 'delivered', delivered_at = $2 WHERE shipment_id = $1",
	2, {INT8OID, TIMESTAMPTZOID}
};

/*
 * Line quantity moves, batched: the first column moves units out, the
 * second in.
 */
static OmsPlan plan_lines_ship = {
	"UPDATE oms.order_line l SET qty_reserved = l.qty_reserved - d.qty,"
	" qty_shipped = l.qty_shipped + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty) WHERE l.line_id = d.line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_lines_deliver = {
	"UPDATE oms.order_line l SET qty_delivered = l.qty_delivered + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty) WHERE l.line_id = d.line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_lines_reship = {
	"UPDATE oms.order_line l SET qty_shipped = l.qty_shipped - d.qty,"
	" qty_reserved = l.qty_reserved + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty) WHERE l.line_id = d.line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_lines_rts_cancel = {
	"UPDATE oms.order_line l SET qty_shipped = l.qty_shipped - d.qty,"
	" qty_cancelled = l.qty_cancelled + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty) WHERE l.line_id = d.line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_lines_rts_reship = {
	"UPDATE oms.order_line l SET qty_shipped = l.qty_shipped - d.qty,"
	" qty_backordered = l.qty_backordered + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(line_id, qty) WHERE l.line_id = d.line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_replacement = {
	"SELECT shipment_number FROM oms.shipment WHERE replaces_shipment_id = $1",
	1, {INT8OID}
};
/* A line of the shipment whose units are returned or on an open return. */
static OmsPlan plan_returned_units = {
	"SELECT i.sku, l.qty_returned + COALESCE((SELECT sum(rl.qty) FROM oms.return_line rl"
	"   JOIN oms.return_authorization r ON r.rma_id = rl.rma_id"
	"   WHERE rl.line_id = l.line_id AND r.status IN ('requested', 'authorized')), 0)::bigint,"
	" l.qty_shipped - sl.qty"
	" FROM oms.shipment_line sl JOIN oms.order_line l ON l.line_id = sl.line_id"
	" JOIN oms.item i ON i.item_id = l.item_id WHERE sl.shipment_id = $1"
	" AND l.qty_shipped - sl.qty < l.qty_returned + COALESCE((SELECT sum(rl.qty) FROM oms.return_line rl"
	"   JOIN oms.return_authorization r ON r.rma_id = rl.rma_id"
	"   WHERE rl.line_id = l.line_id AND r.status IN ('requested', 'authorized')), 0)"
	" ORDER BY i.sku LIMIT 1",
	1, {INT8OID}
};
static OmsPlan plan_bundles_cancelled = {
	"UPDATE oms.order_line b SET qty_cancelled = GREATEST(b.qty_cancelled, x.done)"
	" FROM (SELECT c.parent_line_id AS bundle_id,"
	"   min(c.qty_cancelled / NULLIF(c.qty_ordered / p.qty_ordered, 0))::bigint AS done"
	"   FROM oms.order_line c JOIN oms.order_line p ON p.line_id = c.parent_line_id"
	"   WHERE c.parent_line_id IN (SELECT parent_line_id FROM oms.order_line"
	"     WHERE line_id = ANY($1) AND parent_line_id IS NOT NULL)"
	"   GROUP BY c.parent_line_id) x"
	" WHERE b.line_id = x.bundle_id AND x.done IS NOT NULL",
	1, {INT8ARRAYOID}
};


/* Lock the order of a shipment, then the shipment. */
static void
lock_shipment(int64 shipment_id, OmsOrder *o, ShipRow *s)
{
	Datum		arg[1] = {Int64GetDatum(shipment_id)};
	bool		isnull;

	if (oms_plan_exec(&plan_shipment_order, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown shipment " INT64_FORMAT, shipment_id)));
	oms_order_lock(oms_spi_int64(0, 1, &isnull), o);
	oms_plan_exec(&plan_shipment_lock, arg, NULL, false, 1, SPI_OK_SELECT);
	s->shipment_id = shipment_id;
	s->number = oms_spi_text(0, 1);
	s->location_id = oms_spi_int64(0, 2, &isnull);
	s->status = oms_spi_text(0, 3);
	s->service_level = oms_spi_text(0, 4);
	s->carrier_id = oms_spi_int64(0, 5, &isnull);
	if (isnull)
		s->carrier_id = 0;
	s->tracking = oms_spi_text(0, 6);
	s->estimated = oms_spi_text(0, 7);
	s->shipped_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, &isnull));
	if (isnull)
		s->shipped_at = 0;
}

static int
read_shipment_lines(int64 shipment_id, ShipLine **out)
{
	Datum		arg[1] = {Int64GetDatum(shipment_id)};
	int			n;
	int			i;
	bool		isnull;
	ShipLine   *v;

	n = oms_plan_exec(&plan_shipment_lines, arg, NULL, false, 0, SPI_OK_SELECT);
	v = palloc(sizeof(ShipLine) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		v[i].line_id = oms_spi_int64(i, 1, &isnull);
		v[i].item_id = oms_spi_int64(i, 2, &isnull);
		v[i].qty = oms_spi_int64(i, 3, &isnull);
		v[i].serialized = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4, &isnull));
	}
	*out = v;
	return n;
}

/* Lock every level of the shipment's items (allocation.h protocol). */
static void
lock_line_levels(int n, const ShipLine *lines, OmsLevels *ls)
{
	int64	   *items = palloc(sizeof(int64) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		items[i] = lines[i].item_id;
	oms_levels_lock(n, items, ls);
}

/* The line ids and quantities as two int8[] arguments. */
static void
line_arrays(int n, const ShipLine *lines, Datum *args)
{
	int64	   *ids = palloc(sizeof(int64) * Max(n, 1));
	int64	   *qtys = palloc(sizeof(int64) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		ids[i] = lines[i].line_id;
		qtys[i] = lines[i].qty;
	}
	args[0] = oms_int8_array(n, ids);
	args[1] = oms_int8_array(n, qtys);
}

static void
check_service_level(const char *value)
{
	int			i;

	for (i = 0; service_levels[i] != NULL; i++)
		if (strcmp(value, service_levels[i]) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown service level \"%s\"", value),
			 errdetail("Service levels are ground, air, express and same_day.")));
}

/* Letters and digits, with spaces or dashes inside: what carriers print. */
static void
check_tracking(const char *tracking)
{
	const char *p;

	if (tracking[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("tracking_number must not be empty")));
	for (p = tracking; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  (p != tracking && (*p == ' ' || *p == '-'))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tracking number \"%s\" may hold only letters, digits, spaces and dashes", tracking)));
}

/* A carrier by code, with the transit time of one of its service levels. */
static int64
resolve_carrier(const char *code, const char *service_level, bool need_service,
				int32 *transit_days, bool *business_days)
{
	Datum		args[2] = {CStringGetTextDatum(code), CStringGetTextDatum(service_level)};
	HeapTuple	t;
	TupleDesc	td;
	bool		isnull;
	int64		carrier_id;

	if (oms_plan_exec(&plan_carrier, args, NULL, true, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown carrier \"%s\"", code)));
	t = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	carrier_id = oms_spi_int64(0, 1, &isnull);
	if (!DatumGetBool(SPI_getbinval(t, td, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("carrier \"%s\" is not active", code)));
	(void) SPI_getbinval(t, td, 3, &isnull);
	if (isnull && need_service)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("carrier \"%s\" offers no %s service", code, service_level),
				 errhint("Add a row to oms.carrier_service.")));
	if (transit_days)
		*transit_days = isnull ? 0 : DatumGetInt32(SPI_getbinval(t, td, 3, &isnull));
	if (business_days)
		*business_days = isnull ? false : DatumGetBool(SPI_getbinval(t, td, 4, &isnull));
	return carrier_id;
}

static char *
carrier_code(int64 carrier_id)
{
	Datum		arg[1] = {Int64GetDatum(carrier_id)};

	if (carrier_id == 0 || oms_plan_exec(&plan_carrier_by_id, arg, NULL, true, 1, SPI_OK_SELECT) == 0)
		return NULL;
	return oms_spi_text(0, 1);
}

/*
 * An order that must be captured and is paid in part (the replacement order
 * of an exchange worth more than what came back, credited with it): OM009
 * naming what it still owes.
 */
static void
check_amount_owed(const OmsOrder *o)
{
	Numeric		paid;
	Datum		owed;

	if (strcmp(o->payment_required, "captured") != 0)
		return;
	paid = oms_payment_refundable(o->order_id);
	if (!DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(paid),
										  NumericGetDatum(int64_to_numeric(0)))))
		return;
	owed = DirectFunctionCall2(numeric_sub, NumericGetDatum(o->total), NumericGetDatum(paid));
	ereport(ERROR,
			(errcode(ERRCODE_OMS_PAYMENT_REQUIRED),
			 errmsg("order %s owes %s %s before it ships (payment status %s)",
					o->number, DatumGetCString(DirectFunctionCall1(numeric_out, owed)), o->currency,
					o->payment_status),
			 errdetail("Its total is %s %s, of which %s is paid.",
					   DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(o->total))),
					   o->currency, DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(paid)))),
			 errhint("Authorize and capture the difference with oms.record_payment().")));
}

/* Shipments are made for confirmed and processing orders only. */
static void
check_order_ships(const OmsOrder *o, bool check_payment)
{
	if (strcmp(o->status, "confirmed") != 0 && strcmp(o->status, "processing") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("order %s is %s: it cannot ship", o->number, o->status),
				 errdetail("Orders ship when they are confirmed or processing.")));
	if (check_payment && !oms_payment_satisfies(o->payment_required, o->payment_status))
	{
		check_amount_owed(o);
		ereport(ERROR,
				(errcode(ERRCODE_OMS_PAYMENT_REQUIRED),
				 errmsg("order %s needs a payment %s before it ships (payment status %s)",
						o->number, o->payment_required, o->payment_status),
				 errhint("Record the payment with oms.record_payment() first.")));
	}
}

/*
 * Units that left in this shipment and are now returned, or asked back on an
 * open return, cannot also come back unshipped (lost, returned to sender).
 */
static void
check_not_returned(const OmsOrder *o, const ShipRow *s, const char *doing)
{
	Datum		arg[1] = {Int64GetDatum(s->shipment_id)};
	bool		isnull;

	if (oms_plan_exec(&plan_returned_units, arg, NULL, false, 1, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("shipment %s cannot be %s: " INT64_FORMAT " units of sku \"%s\" on order %s are returned or on an open return",
						s->number, doing, oms_spi_int64(0, 2, &isnull), oms_spi_text(0, 1), o->number),
				 errdetail("Only " INT64_FORMAT " units of the line would stay shipped.",
						   oms_spi_int64(0, 3, &isnull)),
				 errhint("Cancel or complete the return first.")));
}

static bool
is_open_status(const char *status)
{
	return strcmp(status, "pending") == 0 || strcmp(status, "picking") == 0 ||
		strcmp(status, "packed") == 0;
}

/* ----------------------------------------------------------------
 * create_shipment
 * ----------------------------------------------------------------
 */

/* One order line as create_shipment sees it at the location. */
typedef struct AtLine
{
	int64		line_id;
	int64		item_id;
	char	   *sku;
	char		kind;
	int64		parent_line_id;
	int64		ordered;
	int64		shippable;		/* reserved here, not in an open shipment */
	int64		take;			/* units going into the new shipment */
} AtLine;

/* Put qty units of sku (an item or component line) into the shipment. */
static void
take_sku(const OmsOrder *o, const char *loc, AtLine *lines, int n,
		 const char *sku, int64 parent_line_id, int64 qty)
{
	int64		left = qty;
	int64		shippable = 0;
	bool		found = false;
	int			i;

	for (i = 0; i < n && left > 0; i++)
	{
		int64		t;

		if (lines[i].kind == 'b' || strcmp(lines[i].sku, sku) != 0 ||
			(parent_line_id != 0 && lines[i].parent_line_id != parent_line_id))
			continue;
		found = true;
		shippable = oms_add_qty(shippable, lines[i].shippable - lines[i].take, "shippable");
		t = Min(left, lines[i].shippable - lines[i].take);
		lines[i].take += t;
		left -= t;
	}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("order %s has no line of sku \"%s\"", o->number, sku)));
	if (left > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("cannot ship " INT64_FORMAT " units of sku \"%s\" from %s on order %s: only " INT64_FORMAT " reserved there",
						qty, sku, loc, o->number, shippable),
				 errdetail("Units already in open shipments, shipped or reserved at another location do not count.")));
}

/* Step: the levels of the order's items first: a receipt's backorder fill writes lines under them. */
static void
lock_order_item_levels(int64 order_id)
{
	Datum		arg[1] = {Int64GetDatum(order_id)};
	int			nitems;
	int64	   *items;
	OmsLevels	ls;
	bool		isnull;
	int			i;

	nitems = oms_plan_exec(&plan_order_items, arg, NULL, false, 0, SPI_OK_SELECT);
	items = palloc(sizeof(int64) * Max(nitems, 1));
	for (i = 0; i < nitems; i++)
		items[i] = oms_spi_int64(i, 1, &isnull);
	oms_levels_lock(nitems, items, &ls);
	oms_levels_flush(&ls);		/* expired cart holds found on the way */
}

/* Step: the order's lines as seen at the location (what each can ship from there). */
static int
read_lines_at(int64 order_id, int64 location_id, AtLine **out)
{
	Datum		arg[2] = {Int64GetDatum(order_id), Int64GetDatum(location_id)};
	AtLine	   *lines;
	bool		isnull;
	int			n;
	int			i;

	n = oms_plan_exec(&plan_lines_at, arg, NULL, false, 0, SPI_OK_SELECT);
	lines = palloc0(sizeof(AtLine) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		char	   *kind = oms_spi_text(i, 4);

		lines[i].line_id = oms_spi_int64(i, 1, &isnull);
		lines[i].item_id = oms_spi_int64(i, 2, &isnull);
		lines[i].sku = oms_spi_text(i, 3);
		lines[i].kind = kind[0];
		lines[i].parent_line_id = oms_spi_int64(i, 5, &isnull);
		if (isnull)
			lines[i].parent_line_id = 0;
		lines[i].ordered = oms_spi_int64(i, 6, &isnull);
		lines[i].shippable = oms_spi_int64(i, 7, &isnull) - oms_spi_int64(i, 8, &isnull);
	}
	*out = lines;
	return n;
}

/* Step: the units that go into the shipment (which NULL: all that is shippable). */
static void
choose_units(const OmsOrder *o, const char *loc, AtLine *lines, int n, Jsonb *which)
{
	OmsLineInput *in;
	int			nin;
	int			i;
	int			j;

	if (which == NULL)
	{
		for (i = 0; i < n; i++)
			if (lines[i].kind != 'b')
				lines[i].take = lines[i].shippable;
		return;
	}
	nin = oms_parse_lines(which, "lines", false, &in);
	for (j = 0; j < nin; j++)
	{
		AtLine	   *bundle = NULL;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
			if (lines[i].kind == 'b' && strcmp(lines[i].sku, in[j].sku) == 0)
				bundle = &lines[i];
		if (bundle == NULL)
		{
			take_sku(o, loc, lines, n, in[j].sku, 0, in[j].qty);
			continue;
		}
		/* a bundle ships its components in proportion */
		for (i = 0; i < n; i++)
		{
			int64		per;

			if (lines[i].kind != 'c' || lines[i].parent_line_id != bundle->line_id)
				continue;
			per = bundle->ordered > 0 ? lines[i].ordered / bundle->ordered : 0;
			take_sku(o, loc, lines, n, lines[i].sku, bundle->line_id,
					 oms_mul_qty(per, in[j].qty, "ship quantity"));
		}
	}
}

/* Step: the lines that ship units; an empty shipment is refused. */
static int
units_chosen(const OmsOrder *o, const char *loc, const AtLine *lines, int n, ShipLine **out)
{
	ShipLine   *chosen = palloc(sizeof(ShipLine) * Max(n, 1));
	int			nout = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (lines[i].take > 0)
		{
			chosen[nout].line_id = lines[i].line_id;
			chosen[nout].item_id = lines[i].item_id;
			chosen[nout].qty = lines[i].take;
			chosen[nout].serialized = false;	/* not read here */
			nout++;
		}
	if (nout == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("order %s has nothing reserved at %s that is not already in a shipment",
						o->number, loc)));
	*out = chosen;
	return nout;
}

/* Step: the shipment row and its lines; returns its id and stores its number in *number. */
static int64
insert_shipment(int64 order_id, int64 location_id, int64 carrier_id, const char *service_level,
				int64 replaces, const ShipLine *out, int nout, char **number)
{
	Datum		iargs[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Datum		largs[4];
	int64		shipment_id;
	int64	   *ids;
	int64	   *its;
	int64	   *qtys;
	bool		isnull;
	int			i;

	iargs[0] = Int64GetDatum(order_id);
	iargs[1] = Int64GetDatum(location_id);
	iargs[2] = Int64GetDatum(carrier_id);
	nulls[2] = carrier_id > 0 ? ' ' : 'n';
	iargs[3] = CStringGetTextDatum(service_level);
	iargs[4] = Int64GetDatum(replaces);
	nulls[4] = replaces > 0 ? ' ' : 'n';
	oms_plan_exec(&plan_insert_shipment, iargs, nulls, false, 0, SPI_OK_INSERT_RETURNING);
	shipment_id = oms_spi_int64(0, 1, &isnull);
	*number = oms_spi_text(0, 2);

	ids = palloc(sizeof(int64) * nout);
	its = palloc(sizeof(int64) * nout);
	qtys = palloc(sizeof(int64) * nout);
	for (i = 0; i < nout; i++)
	{
		ids[i] = out[i].line_id;
		its[i] = out[i].item_id;
		qtys[i] = out[i].qty;
	}
	largs[0] = Int64GetDatum(shipment_id);
	largs[1] = oms_int8_array(nout, ids);
	largs[2] = oms_int8_array(nout, its);
	largs[3] = oms_int8_array(nout, qtys);
	oms_plan_exec(&plan_insert_lines, largs, NULL, false, 0, SPI_OK_INSERT);
	return shipment_id;
}

/*
 * Create a pending shipment of the given lines (or all that is shippable at
 * the location).  The order row is locked; returns the shipment id and
 * stores its number in *number.
 */
static int64
create_shipment(OmsOrder *o, int64 location_id, const char *loc, Jsonb *which,
				int64 carrier_id, const char *service_level, int64 replaces,
				char **number)
{
	AtLine	   *lines;
	int			n;
	ShipLine   *out;
	int			nout;

	lock_order_item_levels(o->order_id);
	n = read_lines_at(o->order_id, location_id, &lines);
	choose_units(o, loc, lines, n, which);
	nout = units_chosen(o, loc, lines, n, &out);
	return insert_shipment(o->order_id, location_id, carrier_id, service_level, replaces,
						   out, nout, number);
}

PG_FUNCTION_INFO_V1(oms_create_shipment);

static const char *const shipment_options[] = {"carrier", "service_level", NULL};

/* create_shipment(order_id, location, lines, options) */
Datum
oms_create_shipment(PG_FUNCTION_ARGS)
{
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	Jsonb	   *which = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	Jsonb	   *options = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	char	   *carrier;
	char	   *service_level;
	OmsOrder	o;
	int64		location_id;
	int64		carrier_id = 0;
	int64		shipment_id;
	char	   *number;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "create_shipment", 4, 0, oms_create_shipment);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("order_id must not be null")));
	oms_check_options(options, "options", shipment_options);
	carrier = options ? oms_option_text(options, "carrier") : NULL;
	service_level = options ? oms_option_text(options, "service_level") : NULL;
	if (service_level)
		check_service_level(service_level);

	oms_spi_connect();
	oms_order_lock(PG_GETARG_INT64(0), &o);
	check_order_ships(&o, true);
	location_id = oms_location_id(loc);
	if (service_level == NULL)
		service_level = o.service_level;
	if (carrier)
		carrier_id = resolve_carrier(carrier, service_level, true, NULL, NULL);

	shipment_id = create_shipment(&o, location_id, loc, which, carrier_id, service_level, 0, &number);
	if (strcmp(o.status, "confirmed") == 0)
		oms_order_set_status(o.order_id, "processing", psprintf("shipment %s created", number));
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_INT64(shipment_id);
}

/* ----------------------------------------------------------------
 * ship
 * ----------------------------------------------------------------
 */
/* ----------------------------------------------------------------
 * ship, as named steps
 * ----------------------------------------------------------------
 */

/* Step: a carrier's tracking number belongs to one shipment. */
static void
check_tracking_free(int64 carrier_id, const char *carrier, const char *tracking, int64 shipment_id)
{
	Datum		args[3];

	args[0] = Int64GetDatum(carrier_id);
	args[1] = CStringGetTextDatum(tracking);
	args[2] = Int64GetDatum(shipment_id);
	if (oms_plan_exec(&plan_tracking_taken, args, NULL, false, 1, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("tracking number \"%s\" of carrier \"%s\" is already used by shipment %s",
						tracking, carrier, oms_spi_text(0, 1))));
}

/* Step: a shipment handed over straight away was picked and packed on the way. */
static void
pick_and_pack(const ShipRow *s)
{
	if (strcmp(s->status, "pending") == 0)
		oms_shipment_set_status(s->shipment_id, "picking", "picked as it shipped");
	if (strcmp(s->status, "packed") != 0)
		oms_shipment_set_status(s->shipment_id, "packed", "packed as it shipped");
}

/*
 * Step: consume exactly the reserved units, mark the lines shipped, then
 * let the units leave the ledger (one movement per item: lines of one sku,
 * bundle parts, add up).  Returns the location's code.
 */
static char *
ship_units(const ShipRow *s)
{
	ShipLine   *lines;
	OmsLevels	ls;
	Datum		args[3];
	char	   *loc;
	int			n;
	int			i;

	n = read_shipment_lines(s->shipment_id, &lines);
	lock_line_levels(n, lines, &ls);
	loc = oms_location_code(s->location_id);
	for (i = 0; i < n; i++)
	{
		int64		got;

		CHECK_FOR_INTERRUPTS();
		got = oms_release_line_at(&ls, lines[i].line_id, s->location_id, lines[i].qty, "consumed");
		if (got != lines[i].qty)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
					 errmsg("shipment %s needs " INT64_FORMAT " units of sku \"%s\" reserved at %s but only " INT64_FORMAT " are",
							s->number, lines[i].qty, oms_item_sku(lines[i].item_id), loc, got)));
	}
	oms_levels_flush(&ls);
	line_arrays(n, lines, args);
	oms_plan_exec(&plan_lines_ship, args, NULL, false, 0, SPI_OK_UPDATE);
	for (i = 0; i < n; i++)
	{
		int64		qty = lines[i].qty;
		int			j;

		for (j = 0; j < i; j++)
			if (lines[j].item_id == lines[i].item_id)
				break;
		if (j < i)
			continue;
		for (j = i + 1; j < n; j++)
			if (lines[j].item_id == lines[i].item_id)
				qty = oms_add_qty(qty, lines[j].qty, "shipment quantity");
		/* a serialized item ships the serials assigned to the shipment */
		(void) oms_insert_movement_serials(lines[i].item_id, s->location_id, "shipment", -qty, 0,
										   NULL, s->number, 0, NULL,
										   lines[i].serialized ?
										   oms_serials_of_shipment(s->shipment_id, s->number,
																   lines[i].item_id, "in_stock", qty) :
										   (Datum) 0);
	}
	return loc;
}

/* Step: the estimated delivery date (a date datum) from today and the carrier's transit time. */
static Datum
estimated_delivery(int32 transit_days, bool business_days)
{
	Datum		args[2];
	bool		isnull;

	args[0] = Int32GetDatum(transit_days);
	args[1] = BoolGetDatum(business_days);
	oms_plan_exec(&plan_eta, args, NULL, true, 1, SPI_OK_SELECT);
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
}

PG_FUNCTION_INFO_V1(oms_ship);

/* ship(shipment_id, carrier, tracking_number, service_level) */
Datum
oms_ship(PG_FUNCTION_ARGS)
{
	char	   *carrier = oms_text_arg(fcinfo, 1, "carrier", false);
	char	   *tracking = oms_text_arg(fcinfo, 2, "tracking_number", true);
	char	   *service_level = oms_text_arg(fcinfo, 3, "service_level", false);
	OmsOrder	o;
	ShipRow		s;
	int64		carrier_id;
	int32		transit_days;
	bool		business_days;
	Datum		args[5];
	Datum		eta;
	char	   *loc;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "ship", 4, 0, oms_ship);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("shipment_id must not be null")));
	check_tracking(tracking);
	if (service_level)
		check_service_level(service_level);

	oms_spi_connect();
	lock_shipment(PG_GETARG_INT64(0), &o, &s);
	if (!is_open_status(s.status))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("shipment %s is %s: it cannot ship", s.number, s.status),
				 errdetail("Only pending, picking or packed shipments ship.")));
	check_order_ships(&o, true);
	if (service_level == NULL)
		service_level = s.service_level;
	if (carrier == NULL)
		carrier = carrier_code(s.carrier_id);
	if (carrier == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shipment %s has no carrier: name one", s.number)));
	carrier_id = resolve_carrier(carrier, service_level, true, &transit_days, &business_days);
	check_tracking_free(carrier_id, carrier, tracking, s.shipment_id);

	pick_and_pack(&s);
	loc = ship_units(&s);
	eta = estimated_delivery(transit_days, business_days);

	oms_status_event_members("shipment", s.shipment_id,
							 psprintf("\"shipment_number\": \"%s\", \"order_number\": \"%s\", \"location\": %s,"
									  " \"carrier\": %s, \"tracking_number\": %s, \"service_level\": \"%s\","
									  " \"estimated_delivery\": \"%s\"",
									  s.number, o.number, oms_json_quote(loc), oms_json_quote(carrier),
									  oms_json_quote(tracking), service_level,
									  DatumGetCString(DirectFunctionCall1(date_out, eta))));
	args[0] = Int64GetDatum(s.shipment_id);
	args[1] = Int64GetDatum(carrier_id);
	args[2] = CStringGetTextDatum(tracking);
	args[3] = CStringGetTextDatum(service_level);
	args[4] = eta;
	oms_set_reason(NULL);
	oms_plan_exec(&plan_ship, args, NULL, false, 0, SPI_OK_UPDATE);

	(void) oms_fulfillment_refresh(o.order_id);
	if (strcmp(o.status, "confirmed") == 0)
		oms_order_set_status(o.order_id, "processing", psprintf("shipment %s shipped", s.number));
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_DATUM(eta);
}

/* ----------------------------------------------------------------
 * deliver
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_deliver);

/* deliver(shipment_id, delivered_at) */
Datum
oms_deliver(PG_FUNCTION_ARGS)
{
	OmsOrder	o;
	ShipRow		s;
	ShipLine   *lines;
	int			n;
	Datum		args[2];
	TimestampTz at;
	char	   *fstatus;

	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "deliver", 2, UINT32_C(1) << 1, oms_deliver);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("shipment_id must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("delivered_at must not be null")));
	at = PG_GETARG_TIMESTAMPTZ(1);

	oms_spi_connect();
	lock_shipment(PG_GETARG_INT64(0), &o, &s);
	if (strcmp(s.status, "shipped") != 0 && strcmp(s.status, "in_transit") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("shipment %s is %s: it cannot be delivered", s.number, s.status),
				 errdetail("Only shipped or in_transit shipments are delivered.")));
	/* the return window counts from this time: it must be a real one */
	if (at > GetCurrentTimestamp() || at < s.shipped_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delivered_at %s of shipment %s is %s", timestamptz_to_str(at), s.number,
						at < s.shipped_at ? "before it shipped" : "in the future"),
				 errdetail("It shipped at %s.", timestamptz_to_str(s.shipped_at))));

	oms_status_event_members("shipment", s.shipment_id,
							 psprintf("\"shipment_number\": \"%s\", \"order_number\": \"%s\","
									  " \"tracking_number\": %s, \"delivered_at\": \"%s\","
									  " \"estimated_delivery\": %s",
									  s.number, o.number, oms_json_quote(s.tracking),
									  timestamptz_to_str(at), oms_json_quote(s.estimated)));
	args[0] = Int64GetDatum(s.shipment_id);
	args[1] = TimestampTzGetDatum(at);
	oms_set_reason(NULL);
	oms_plan_exec(&plan_deliver, args, NULL, false, 0, SPI_OK_UPDATE);

	n = read_shipment_lines(s.shipment_id, &lines);
	line_arrays(n, lines, args);
	oms_plan_exec(&plan_lines_deliver, args, NULL, false, 0, SPI_OK_UPDATE);
	fstatus = oms_fulfillment_refresh(o.order_id);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(fstatus));
}

/* ----------------------------------------------------------------
 * advance_shipment: the moves that change no quantity
 * ----------------------------------------------------------------
 */
/*
 * A lost shipment that will not be re-shipped: its units are cancelled on
 * the order, as a return to sender with then_do cancel does but with no
 * restock (the units are gone), so an order whose other units are all
 * delivered completes instead of staying processing for ever.
 */
static void
cancel_lost(const OmsOrder *o, const ShipRow *s, const char *reason)
{
	ShipLine   *lines;
	int			n;
	Datum		args[2];

	args[0] = Int64GetDatum(s->shipment_id);
	if (oms_plan_exec(&plan_replacement, args, NULL, false, 1, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("shipment %s was already re-shipped as %s: its units cannot also be cancelled",
						s->number, oms_spi_text(0, 1))));
	check_not_returned(o, s, "cancelled");
	oms_status_event_members("shipment", s->shipment_id,
							 psprintf("\"shipment_number\": \"%s\", \"order_number\": \"%s\","
									  " \"tracking_number\": %s, \"lost\": true",
									  s->number, o->number, oms_json_quote(s->tracking)));
	oms_shipment_set_status(s->shipment_id, "cancelled", reason ? reason : "lost, not re-shipped");
	n = read_shipment_lines(s->shipment_id, &lines);
	line_arrays(n, lines, args);
	oms_plan_exec(&plan_lines_rts_cancel, args, NULL, false, 0, SPI_OK_UPDATE);
	oms_plan_exec(&plan_bundles_cancelled, args, NULL, false, 0, SPI_OK_UPDATE);
	oms_order_recompute_subtotal(o->order_id);
	(void) oms_fulfillment_refresh(o->order_id);
}

PG_FUNCTION_INFO_V1(oms_advance_shipment);

/* advance_shipment(shipment_id, to_status, reason) */
Datum
oms_advance_shipment(PG_FUNCTION_ARGS)
{
	char	   *to = oms_text_arg(fcinfo, 1, "to_status", true);
	char	   *reason = oms_text_arg(fcinfo, 2, "reason", false);
	OmsOrder	o;
	ShipRow		s;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "advance_shipment", 3, 0, oms_advance_shipment);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("shipment_id must not be null")));
	if (strcmp(to, "shipped") == 0 || strcmp(to, "delivered") == 0 ||
		strcmp(to, "returned_to_sender") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a shipment moves to %s with oms.%s()", to,
						strcmp(to, "shipped") == 0 ? "ship" :
						strcmp(to, "delivered") == 0 ? "deliver" : "return_to_sender")));

	oms_spi_connect();
	lock_shipment(PG_GETARG_INT64(0), &o, &s);
	/* units of a lost parcel cannot also be on a return (issue 16, item 7) */
	if (strcmp(to, "lost") == 0 && (strcmp(s.status, "shipped") == 0 || strcmp(s.status, "in_transit") == 0))
		check_not_returned(&o, &s, "marked lost");
	if (strcmp(to, "lost") == 0)
		oms_status_event_members("shipment", s.shipment_id,
								 psprintf("\"shipment_number\": \"%s\", \"order_number\": \"%s\", \"tracking_number\": %s",
										  s.number, o.number, oms_json_quote(s.tracking)));
	if (strcmp(to, "cancelled") == 0 && strcmp(s.status, "lost") == 0)
	{
		cancel_lost(&o, &s, reason);
		oms_set_reason(NULL);
		oms_spi_finish();
		PG_RETURN_TEXT_P(cstring_to_text(to));
	}
	/* the guard refuses what the shipment machine does not allow (OM002) */
	oms_shipment_set_status(s.shipment_id, to, reason);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(to));
}


/* ----------------------------------------------------------------
 * reship: a replacement for a lost shipment
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_reship);

/* Only a lost shipment that was not re-shipped or returned is re-shipped. */
static void
check_reshippable(const OmsOrder *o, const ShipRow *s)
{
	Datum		args[1] = {Int64GetDatum(s->shipment_id)};

	if (strcmp(s->status, "lost") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("shipment %s is %s: only a lost shipment is re-shipped", s->number, s->status)));
	if (oms_plan_exec(&plan_replacement, args, NULL, false, 1, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("shipment %s was already re-shipped as %s", s->number, oms_spi_text(0, 1))));
	check_not_returned(o, s, "re-shipped");
}

/*
 * Reserve the lost shipment's units again at the location (OM001 when it
 * has not enough free) and record them as re-shipped on the order lines.
 * Returns the lines' ids, for the replacement's lines.
 */
static int64 *
reserve_for_reship(const ShipRow *s, int n, ShipLine *lines, int64 location_id, const char *loc)
{
	OmsLevels	ls;
	OmsAlloc   *allocs = palloc(sizeof(OmsAlloc) * Max(n, 1));
	int64	   *line_ids = palloc(sizeof(int64) * Max(n, 1));
	Datum		args[5];
	int			i;

	lock_line_levels(n, lines, &ls);
	for (i = 0; i < n; i++)
	{
		OmsLevel   *l = oms_level_find(&ls, lines[i].item_id, location_id);
		int64		free_units = l ? oms_level_free(l) : 0;

		CHECK_FOR_INTERRUPTS();
		if (free_units < lines[i].qty)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
					 errmsg("insufficient stock of sku \"%s\" at %s to re-ship %s: wanted " INT64_FORMAT ", available " INT64_FORMAT,
							oms_item_sku(lines[i].item_id), loc, s->number, lines[i].qty, free_units),
					 errhint("Re-ship from another location: oms.reship(shipment_id, location).")));
		l->reserved = oms_add_qty(l->reserved, lines[i].qty, "reserved");
		l->reserved_delta = oms_add_qty(l->reserved_delta, lines[i].qty, "reserved");
		allocs[i].item_id = lines[i].item_id;
		allocs[i].location_id = location_id;
		allocs[i].qty = lines[i].qty;
		line_ids[i] = lines[i].line_id;
	}
	oms_reservations_insert(n, line_ids, 0, allocs, 0);
	oms_levels_flush(&ls);
	line_arrays(n, lines, args);
	oms_plan_exec(&plan_lines_reship, args, NULL, false, 0, SPI_OK_UPDATE);
	return line_ids;
}

/* The replacement shipment of the same lines, carrier and service; its id and number. */
static int64
insert_replacement(const OmsOrder *o, const ShipRow *s, int64 location_id, int n,
				   const ShipLine *lines, int64 *line_ids, char **number)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int64	   *its = palloc(sizeof(int64) * Max(n, 1));
	int64	   *qtys = palloc(sizeof(int64) * Max(n, 1));
	int64		new_id;
	bool		isnull;
	int			i;

	args[0] = Int64GetDatum(o->order_id);
	args[1] = Int64GetDatum(location_id);
	args[2] = Int64GetDatum(s->carrier_id);
	nulls[2] = s->carrier_id > 0 ? ' ' : 'n';
	args[3] = CStringGetTextDatum(s->service_level);
	args[4] = Int64GetDatum(s->shipment_id);
	oms_plan_exec(&plan_insert_shipment, args, nulls, false, 0, SPI_OK_INSERT_RETURNING);
	new_id = oms_spi_int64(0, 1, &isnull);
	*number = oms_spi_text(0, 2);
	for (i = 0; i < n; i++)
	{
		its[i] = lines[i].item_id;
		qtys[i] = lines[i].qty;
	}
	args[0] = Int64GetDatum(new_id);
	args[1] = oms_int8_array(n, line_ids);
	args[2] = oms_int8_array(n, its);
	args[3] = oms_int8_array(n, qtys);
	oms_plan_exec(&plan_insert_lines, args, NULL, false, 0, SPI_OK_INSERT);
	return new_id;
}

/* reship(shipment_id, location) */
Datum
oms_reship(PG_FUNCTION_ARGS)
{
	char	   *loc = oms_text_arg(fcinfo, 1, "location", false);
	OmsOrder	o;
	ShipRow		s;
	ShipLine   *lines;
	int			n;
	int64		location_id;
	int64	   *line_ids;
	int64		new_id;
	char	   *new_number;

	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "reship", 2, 0, oms_reship);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("shipment_id must not be null")));

	oms_spi_connect();
	lock_shipment(PG_GETARG_INT64(0), &o, &s);
	check_reshippable(&o, &s);
	location_id = loc ? oms_location_id(loc) : s.location_id;
	if (loc == NULL)
		loc = oms_location_code(location_id);

	n = read_shipment_lines(s.shipment_id, &lines);
	line_ids = reserve_for_reship(&s, n, lines, location_id, loc);
	oms_set_reason(psprintf("replaces lost shipment %s", s.number));
	new_id = insert_replacement(&o, &s, location_id, n, lines, line_ids, &new_number);

	oms_emit_event_json("shipment.reshipped", "shipment", s.shipment_id,
						psprintf("{\"shipment_number\": \"%s\", \"order_number\": \"%s\","
								 " \"replacement\": \"%s\", \"location\": %s}",
								 s.number, o.number, new_number, oms_json_quote(loc)));
	(void) oms_fulfillment_refresh(o.order_id);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_INT64(new_id);
}

/* ----------------------------------------------------------------
 * return_to_sender
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_return_to_sender);

/*
 * A parcel back at its location: its units restocked through the ledger,
 * a serialized item's shipped serials with them (one movement per item).
 */
static void
restock_returned_parcel(const ShipRow *s, int n, const ShipLine *lines, const char *reason)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		int64		qty = lines[i].qty;
		Datum		serials = (Datum) 0;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (lines[i].serialized)
		{
			for (j = 0; j < i; j++)
				if (lines[j].item_id == lines[i].item_id)
					break;
			if (j < i)
				continue;
			for (j = i + 1; j < n; j++)
				if (lines[j].item_id == lines[i].item_id)
					qty = oms_add_qty(qty, lines[j].qty, "returned quantity");
			serials = oms_serials_of_shipment(s->shipment_id, s->number, lines[i].item_id, "shipped", qty);
		}
		(void) oms_insert_movement_serials(lines[i].item_id, s->location_id, "return_restock",
										   qty, 0, reason ? reason : "returned to sender",
										   s->number, 0, NULL, serials);
	}
}

/* return_to_sender(shipment_id, then_do, reason) */
Datum
oms_return_to_sender(PG_FUNCTION_ARGS)
{
	char	   *then_do = oms_text_arg(fcinfo, 1, "then_do", true);
	char	   *reason = oms_text_arg(fcinfo, 2, "reason", false);
	bool		reship;
	OmsOrder	o;
	ShipRow		s;
	ShipLine   *lines;
	int			n;
	OmsLevels	ls;
	Datum		args[2];
	char	   *fstatus;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "return_to_sender", 3, 0, oms_return_to_sender);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("shipment_id must not be null")));
	if (strcmp(then_do, "cancel") != 0 && strcmp(then_do, "reship") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("then_do must be cancel or reship, got \"%s\"", then_do)));
	reship = strcmp(then_do, "reship") == 0;

	oms_spi_connect();
	lock_shipment(PG_GETARG_INT64(0), &o, &s);
	if (strcmp(s.status, "shipped") != 0 && strcmp(s.status, "in_transit") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("shipment %s is %s: only a shipped or in_transit shipment returns to sender",
						s.number, s.status)));
	check_not_returned(&o, &s, "returned to sender");
	oms_status_event_members("shipment", s.shipment_id,
							 psprintf("\"shipment_number\": \"%s\", \"order_number\": \"%s\","
									  " \"tracking_number\": %s, \"then\": \"%s\"",
									  s.number, o.number, oms_json_quote(s.tracking), then_do));
	oms_shipment_set_status(s.shipment_id, "returned_to_sender", reason);

	n = read_shipment_lines(s.shipment_id, &lines);
	lock_line_levels(n, lines, &ls);
	oms_levels_flush(&ls);		/* expired cart holds found on the way */
	/* the lines first, so a reship line is waiting when the stock lands */
	line_arrays(n, lines, args);
	oms_plan_exec(reship ? &plan_lines_rts_reship : &plan_lines_rts_cancel,
				  args, NULL, false, 0, SPI_OK_UPDATE);
	restock_returned_parcel(&s, n, lines, reason);
	if (!reship)
	{
		/* a bundle whose components are all cancelled is cancelled too */
		oms_plan_exec(&plan_bundles_cancelled, args, NULL, false, 0, SPI_OK_UPDATE);
		oms_order_recompute_subtotal(o.order_id);
	}
	fstatus = oms_fulfillment_refresh(o.order_id);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(fstatus));
}
