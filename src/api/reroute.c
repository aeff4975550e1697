/*-------------------------------------------------------------------------
 *
 * reroute.c
 *	  Re-routing an order line's open reservation (issue 16, item 5):
 *	  reroute_line moves reserved units that are in no shipment from one
 *	  location to another (a warehouse found the unit damaged, or cannot
 *	  pick it); reallocate_line gives them back and allocates them again
 *	  with the order's strategy, as placing the order would today.
 *
 * Lock order, the same as every order operation (api/orders.c): the
 * idempotency key, the order row, every stock level of the line's item
 * (item, then location: engine/allocation.c), and only then the line and
 * its reservations.  A reroute racing a placement for the last unit at the
 * target waits on that level's row lock and then sees what is left, so
 * neither oversells.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/idempotency.h"
#include "engine/order.h"

/* The line as read under lock, with what the call needs of its order. */
typedef struct RerouteLine
{
	int64		line_id;
	int64		order_id;
	int32		line_no;
	int64		item_id;
	char	   *kind;
	char	   *sku;
	char		policy;			/* d(eny), a(llow), p(reorder) */
	int64		reserved;
	int64		backordered;
	OmsOrder	o;
} RerouteLine;

static OmsPlan plan_line_order = {
	"SELECT order_id, item_id FROM oms.order_line WHERE line_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_line_lock = {
	"SELECT l.line_no, l.item_id, l.kind, i.sku, i.backorder_policy, l.qty_reserved, l.qty_backordered"
	" FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" WHERE l.line_id = $1 FOR UPDATE OF l",
	1, {INT8OID}
};
static OmsPlan plan_location = {
	"SELECT location_id, active FROM oms.location WHERE code = $1",
	1, {TEXTOID}
};
static OmsPlan plan_location_code = {
	"SELECT code FROM oms.location WHERE location_id = $1",
	1, {INT8OID}
};
/* Reserved units of the line at a location that no open shipment holds. */
static OmsPlan plan_open_at = {
	"SELECT (COALESCE((SELECT sum(r.qty) FROM oms.reservation r"
	"   WHERE r.line_id = $1 AND r.location_id = $2 AND r.state = 'active'), 0)"
	" - COALESCE((SELECT sum(sl.qty) FROM oms.shipment_line sl"
	"   JOIN oms.shipment s ON s.shipment_id = sl.shipment_id"
	"   WHERE sl.line_id = $1 AND s.location_id = $2"
	"   AND s.status IN ('pending', 'picking', 'packed')), 0))::bigint",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_line_quantities = {
	"UPDATE oms.order_line SET qty_reserved = $2, qty_backordered = $3 WHERE line_id = $1",
	3, {INT8OID, INT8OID, INT8OID}
};

/*
 * Lock the line's order, then its item's levels, then the line; check that
 * the order may still change and that the line holds stock.
 */
static void
lock_line(int64 line_id, RerouteLine *l, OmsLevels *ls)
{
	Datum		arg[1] = {Int64GetDatum(line_id)};
	bool		isnull;
	const char *st;

	if (oms_plan_exec(&plan_line_order, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown order line " INT64_FORMAT, line_id)));
	l->line_id = line_id;
	l->order_id = oms_spi_int64(0, 1, &isnull);
	l->item_id = oms_spi_int64(0, 2, &isnull);
	oms_order_lock(l->order_id, &l->o);
	st = l->o.status;
	if (strcmp(st, "pending") != 0 && strcmp(st, "confirmed") != 0 &&
		strcmp(st, "on_hold") != 0 && strcmp(st, "processing") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("order %s is %s: its reservations can no longer move", l->o.number, st)));
	/* a line's item never changes: lock its levels, then the line */
	oms_levels_lock(1, &l->item_id, ls);
	if (oms_plan_exec(&plan_line_lock, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		elog(ERROR, "order line " INT64_FORMAT " vanished", line_id);
	l->line_no = (int32) oms_spi_int64(0, 1, &isnull);
	l->kind = oms_spi_text(0, 3);
	l->sku = oms_spi_text(0, 4);
	l->policy = oms_spi_text(0, 5)[0];
	l->reserved = oms_spi_int64(0, 6, &isnull);
	l->backordered = oms_spi_int64(0, 7, &isnull);
	if (strcmp(l->kind, "bundle") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d of order %s is a bundle line: it holds no stock", l->line_no, l->o.number),
				 errhint("Re-route its component lines.")));
}

static int64
location_id_of(const char *code, const char *argname, bool *active)
{
	Datum		arg[1] = {CStringGetTextDatum(code)};
	bool		isnull;
	int64		id;

	if (oms_plan_exec(&plan_location, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown %s \"%s\"", argname, code)));
	id = oms_spi_int64(0, 1, &isnull);
	*active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	return id;
}

static char *
location_code(int64 location_id)
{
	Datum		arg[1] = {Int64GetDatum(location_id)};

	if (oms_plan_exec(&plan_location_code, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		elog(ERROR, "location " INT64_FORMAT " vanished", location_id);
	return oms_spi_text(0, 1);
}

static int64
open_units_at(int64 line_id, int64 location_id)
{
	Datum		args[2] = {Int64GetDatum(line_id), Int64GetDatum(location_id)};
	bool		isnull;

	oms_plan_exec(&plan_open_at, args, NULL, false, 1, SPI_OK_SELECT);
	return oms_spi_int64(0, 1, &isnull);
}

/* ----------------------------------------------------------------
 * reroute_line
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_reroute_line);

/* reroute_line(line_id, from_location, to_location, qty, idempotency_key) */
Datum
oms_reroute_line(PG_FUNCTION_ARGS)
{
	char	   *from = oms_text_arg(fcinfo, 1, "from_location", true);
	char	   *to = oms_text_arg(fcinfo, 2, "to_location", true);
	RerouteLine l;
	OmsLevels	ls;
	OmsLevel   *target;
	OmsAlloc	alloc;
	int64		from_id;
	int64		to_id;
	int64		open;
	int64		qty;
	int64		released;
	bool		active;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "reroute_line", 4, 0, oms_reroute_line);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("line_id must not be null")));
	if (!PG_ARGISNULL(3))
		oms_require_positive(PG_GETARG_INT64(3), "qty");
	if (strcmp(from, to) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_location and to_location are both \"%s\"", from)));

	oms_spi_connect();
	from_id = location_id_of(from, "location", &active);
	to_id = location_id_of(to, "location", &active);
	lock_line(PG_GETARG_INT64(0), &l, &ls);

	open = open_units_at(l.line_id, from_id);
	qty = PG_ARGISNULL(3) ? open : PG_GETARG_INT64(3);
	if (open == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("line %d (sku \"%s\") of order %s has no reserved units at \"%s\" outside its open shipments",
						l.line_no, l.sku, l.o.number, from),
				 errdetail("Units in an open shipment move only after it is cancelled.")));
	if (qty > open)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("line %d (sku \"%s\") of order %s has " INT64_FORMAT " reserved units at \"%s\" in no shipment, not " INT64_FORMAT,
						l.line_no, l.sku, l.o.number, open, from, qty),
				 errdetail("Units in an open shipment move only after it is cancelled.")));
	target = oms_level_find(&ls, l.item_id, to_id);
	if (target == NULL || oms_level_free(target) < qty)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
				 errmsg("insufficient stock of sku \"%s\" at \"%s\": wanted " INT64_FORMAT ", available " INT64_FORMAT,
						l.sku, to, qty, target ? oms_level_free(target) : 0),
				 !active ? errdetail("Location \"%s\" is not active.", to) : 0,
				 errhint("Order %s was not changed.", l.o.number)));

	released = oms_release_line_at(&ls, l.line_id, from_id, qty, "released");
	if (released != qty)
		elog(ERROR, "line " INT64_FORMAT " released " INT64_FORMAT " units at location " INT64_FORMAT ", expected " INT64_FORMAT,
			 l.line_id, released, from_id, qty);
	target->reserved = oms_add_qty(target->reserved, qty, "reserved");
	target->reserved_delta = oms_add_qty(target->reserved_delta, qty, "reserved");
	alloc.item_id = l.item_id;
	alloc.location_id = to_id;
	alloc.qty = qty;
	oms_reservations_insert(1, &l.line_id, 0, &alloc, 0);
	oms_levels_flush(&ls);

	oms_emit_event_json("order.line_rerouted", "order", l.order_id,
						psprintf("{\"order_number\": \"%s\", \"line_no\": %d, \"sku\": %s,"
								 " \"from_location\": %s, \"to_location\": %s, \"qty\": " INT64_FORMAT "}",
								 l.o.number, l.line_no, oms_json_quote(l.sku), oms_json_quote(from),
								 oms_json_quote(to), qty));
	oms_spi_finish();
	PG_RETURN_INT64(qty);
}

/* ----------------------------------------------------------------
 * reallocate_line
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_reallocate_line);

/*
 * reallocate_line(line_id, idempotency_key): release the line's reserved
 * units that are in no shipment and allocate them again with the order's
 * strategy (ship-to, oms.allow_split).  What finds no stock now is
 * backordered when the sku allows it, else OM001 and nothing changes.
 * Returns where the units are reserved now, [{"location", "qty"}].
 */
Datum
oms_reallocate_line(PG_FUNCTION_ARGS)
{
	RerouteLine l;
	OmsLevels	ls;
	OmsStrategy strategy;
	OmsShipTo	ship_to;
	OmsDemand	dm;
	OmsAlloc   *allocs;
	int			nallocs;
	int64		open;
	int64		released;
	int64		shortfall;
	int			i;
	StringInfoData out;
	Datum		args[3];
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext spi;

	if (OMS_IDEM_KEYED(fcinfo, 1))
		return oms_idem_call(fcinfo, "reallocate_line", 1, 0, oms_reallocate_line);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("line_id must not be null")));

	oms_spi_connect();
	lock_line(PG_GETARG_INT64(0), &l, &ls);
	strategy = l.o.allocation_strategy ? oms_parse_strategy(l.o.allocation_strategy) :
		(OmsStrategy) oms_allocation_strategy;
	memset(&ship_to, 0, sizeof(OmsShipTo));
	if (l.o.ship_to != NULL)
	{
		ship_to.region = oms_object_text(l.o.ship_to, "region");
		ship_to.has_coords = oms_object_double(l.o.ship_to, "latitude", &ship_to.lat) &&
			oms_object_double(l.o.ship_to, "longitude", &ship_to.lon);
	}

	open = l.reserved > 0 ? l.reserved - oms_line_committed(l.line_id) : 0;
	released = open > 0 ? oms_release_uncommitted(&ls, l.line_id, open, "released") : 0;
	if (released != open)
		elog(ERROR, "line " INT64_FORMAT " released " INT64_FORMAT " units, expected " INT64_FORMAT,
			 l.line_id, released, open);
	dm.item_id = l.item_id;
	dm.qty = released;
	dm.allocated = 0;
	nallocs = released > 0 ? oms_allocate(&ls, 1, &dm, strategy, oms_allow_split, &ship_to, &allocs) : 0;
	shortfall = released - dm.allocated;
	if (shortfall > 0 && l.policy == 'd')
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
				 errmsg("insufficient stock of sku \"%s\" to allocate line %d of order %s again: wanted " INT64_FORMAT ", found " INT64_FORMAT,
						l.sku, l.line_no, l.o.number, released, dm.allocated),
				 errhint("Order %s was not changed; re-route the units with oms.reroute_line() instead.",
						 l.o.number)));
	for (i = 0; i < nallocs; i++)
		oms_reservations_insert(1, &l.line_id, 0, &allocs[i], 0);
	oms_levels_flush(&ls);
	if (shortfall > 0)
	{
		args[0] = Int64GetDatum(l.line_id);
		args[1] = Int64GetDatum(oms_sub_qty(l.reserved, shortfall, "qty_reserved"));
		args[2] = Int64GetDatum(oms_add_qty(l.backordered, shortfall, "qty_backordered"));
		oms_plan_exec(&plan_line_quantities, args, NULL, false, 0, SPI_OK_UPDATE);
	}

	/* the result outlives SPI_finish */
	spi = MemoryContextSwitchTo(caller);
	initStringInfo(&out);
	MemoryContextSwitchTo(spi);
	appendStringInfoChar(&out, '[');
	for (i = 0; i < nallocs; i++)
		appendStringInfo(&out, "%s{\"location\": %s, \"qty\": " INT64_FORMAT "}", i > 0 ? ", " : "",
						 oms_json_quote(location_code(allocs[i].location_id)), allocs[i].qty);
	appendStringInfoChar(&out, ']');
	oms_emit_event_json("order.line_reallocated", "order", l.order_id,
						psprintf("{\"order_number\": \"%s\", \"line_no\": %d, \"sku\": %s,"
								 " \"released\": " INT64_FORMAT ", \"reserved\": %s, \"backordered\": " INT64_FORMAT "}",
								 l.o.number, l.line_no, oms_json_quote(l.sku), released, out.data, shortfall));
	oms_spi_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
