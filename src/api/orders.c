/*-------------------------------------------------------------------------
 *
 * orders.c
 *	  The order API: place_order (its engine is engine/placement.c),
 *	  confirm, hold and release, cancel (whole or lines) and edit.
 *
 * Lock order, the same in every function: the idempotency key and the
 * order row first, then every stock level of the items involved (item,
 * then location: engine/allocation.c), and only then order lines and reservations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/idempotency.h"
#include "engine/ledger.h"
#include "engine/order.h"
#include "engine/placement.h"
#include "engine/transitions.h"

/* One order line as read back under lock. */
typedef struct LineRow
{
	int64		line_id;
	int32		line_no;
	int64		item_id;
	char		kind;			/* 'i'tem, 'b'undle, 'c'omponent */
	int64		parent_line_id;
	int64		ordered;
	int64		reserved;
	int64		backordered;
	int64		shipped;
	int64		cancelled;
	char	   *sku;
	char		policy;
} LineRow;

/* The order row as read under lock. */
typedef struct OrderRow
{
	int64		order_id;
	char	   *number;
	char	   *status;
	OmsStrategy strategy;
	OmsShipTo	ship_to;
} OrderRow;

static void lock_order(int64 order_id, OrderRow *o);
static int	read_lines(int64 order_id, bool lock, LineRow **out);
static void lock_order_levels(int nlines, LineRow *lines, int nextra, int64 *extra, OmsLevels *ls);
static int64 open_units(const LineRow *l);
static int64 cancel_line_units(OmsLevels *ls, LineRow *l, int64 qty);
static void write_line(const LineRow *l);


static OmsPlan plan_lines_read = {
	"SELECT l.line_id, l.line_no, l.item_id, l.kind, l.parent_line_id, l.qty_ordered, l.qty_reserved,"
	" l.qty_backordered, l.qty_shipped, l.qty_cancelled, i.sku, i.backorder_policy"
	" FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" WHERE l.order_id = $1 ORDER BY l.line_no",
	1, {INT8OID}
};
static OmsPlan plan_lines_read_lock = {
	"SELECT l.line_id, l.line_no, l.item_id, l.kind, l.parent_line_id, l.qty_ordered, l.qty_reserved,"
	" l.qty_backordered, l.qty_shipped, l.qty_cancelled, i.sku, i.backorder_policy"
	" FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" WHERE l.order_id = $1 ORDER BY l.line_no FOR UPDATE OF l",
	1, {INT8OID}
};
static OmsPlan plan_line_write = {
	"UPDATE oms.order_line SET qty_ordered = $2, qty_reserved = $3, qty_backordered = $4,"
	" qty_cancelled = $5 WHERE line_id = $1",
	5, {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID}
};
static OmsPlan plan_line_price = {
	"UPDATE oms.order_line SET unit_price = $2 WHERE line_id = $1",
	2, {INT8OID, NUMERICOID}
};
static OmsPlan plan_held_from = {
	"SELECT from_status FROM oms.status_history WHERE machine = 'order' AND entity_id = $1"
	" AND to_status = 'on_hold' ORDER BY history_id DESC LIMIT 1",
	1, {INT8OID}
};

/* ----------------------------------------------------------------
 * place_order
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_place_order);

/*
 * place_order(customer, channel, lines, options): one call, one round trip
 * (engine/placement.c).
 */
Datum
oms_place_order(PG_FUNCTION_ARGS)
{
	char	   *customer = oms_text_arg(fcinfo, 0, "customer", true);
	char	   *channel = oms_text_arg(fcinfo, 1, "channel", true);

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be null")));
	PG_RETURN_INT64(oms_place_order_internal(customer, channel, PG_GETARG_JSONB_P(2),
											 PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3)));
}

/* ----------------------------------------------------------------
 * Reading an order back under lock
 * ----------------------------------------------------------------
 */
static void
lock_order(int64 order_id, OrderRow *o)
{
	OmsOrder	row;

	oms_order_lock(order_id, &row);
	o->order_id = order_id;
	o->number = row.number;
	o->status = row.status;
	o->strategy = row.allocation_strategy ? oms_parse_strategy(row.allocation_strategy) :
		(OmsStrategy) oms_allocation_strategy;
	memset(&o->ship_to, 0, sizeof(OmsShipTo));
	if (row.ship_to != NULL)
	{
		o->ship_to.region = oms_object_text(row.ship_to, "region");
		o->ship_to.has_coords = oms_object_double(row.ship_to, "latitude", &o->ship_to.lat) &&
			oms_object_double(row.ship_to, "longitude", &o->ship_to.lon);
	}
}

static int
read_lines(int64 order_id, bool lock, LineRow **out)
{
	Datum		args[1] = {Int64GetDatum(order_id)};
	int			n;
	int			i;
	bool		isnull;
	LineRow    *l;

	n = oms_plan_exec(lock ? &plan_lines_read_lock : &plan_lines_read, args, NULL, false, 0, SPI_OK_SELECT);
	l = SPI_palloc(sizeof(LineRow) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		l[i].line_id = oms_spi_int64(i, 1, &isnull);
		l[i].line_no = (int32) oms_spi_int64(i, 2, &isnull);
		l[i].item_id = oms_spi_int64(i, 3, &isnull);
		l[i].kind = oms_spi_text(i, 4)[0];
		l[i].parent_line_id = oms_spi_int64(i, 5, &isnull);
		l[i].ordered = oms_spi_int64(i, 6, &isnull);
		l[i].reserved = oms_spi_int64(i, 7, &isnull);
		l[i].backordered = oms_spi_int64(i, 8, &isnull);
		l[i].shipped = oms_spi_int64(i, 9, &isnull);
		l[i].cancelled = oms_spi_int64(i, 10, &isnull);
		l[i].sku = oms_spi_text(i, 11);
		l[i].policy = oms_spi_text(i, 12)[0];
	}
	*out = l;
	return n;
}

/* Lock the levels of every stocked line's item (and extra items). */
static void
lock_order_levels(int nlines, LineRow *lines, int nextra, int64 *extra, OmsLevels *ls)
{
	int64	   *items = palloc(sizeof(int64) * Max(nlines + nextra, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < nlines; i++)
		if (lines[i].kind != 'b')
			items[n++] = lines[i].item_id;
	for (i = 0; i < nextra; i++)
		items[n++] = extra[i];
	oms_levels_lock(n, items, ls);
}

static void
write_line(const LineRow *l)
{
	Datum		args[5];

	args[0] = Int64GetDatum(l->line_id);
	args[1] = Int64GetDatum(l->ordered);
	args[2] = Int64GetDatum(l->reserved);
	args[3] = Int64GetDatum(l->backordered);
	args[4] = Int64GetDatum(l->cancelled);
	oms_plan_exec(&plan_line_write, args, NULL, false, 0, SPI_OK_UPDATE);
}

/*
 * Cancel qty open units of a stocked line: backordered units first, then
 * reserved ones (their reservations are released).  The caller checked that
 * qty <= open.  Returns the units released from reservations.
 */
/* Units of a line that cancel or edit may take: not shipped, not in a shipment. */
static int64
open_units(const LineRow *l)
{
	int64		open = l->reserved + l->backordered;

	if (l->reserved > 0)
		open -= oms_line_committed(l->line_id);
	return open;
}

static int64
cancel_line_units(OmsLevels *ls, LineRow *l, int64 qty)
{
	int64		from_back = Min(qty, l->backordered);
	int64		from_res = qty - from_back;
	int64		released = 0;

	Assert(from_res <= l->reserved);
	l->backordered -= from_back;
	if (from_res > 0)
	{
		released = oms_release_uncommitted(ls, l->line_id, from_res, "released");
		if (released != from_res)
			elog(ERROR, "line " INT64_FORMAT " holds " INT64_FORMAT " reserved units but its reservations hold " INT64_FORMAT,
				 l->line_id, from_res, released);
		l->reserved -= released;
	}
	l->cancelled = oms_add_qty(l->cancelled, qty, "qty_cancelled");
	write_line(l);
	return released;
}

/* ----------------------------------------------------------------
 * Status moves
 * ----------------------------------------------------------------
 */
static Datum
move_order(FunctionCallInfo fcinfo, const char *to)
{
	int64		order_id;
	char	   *reason = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	OrderRow	o;
	char	   *target = (char *) to;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("order_id must not be null")));
	order_id = PG_GETARG_INT64(0);
	oms_spi_connect();
	lock_order(order_id, &o);
	if (target == NULL)
	{
		/* release: back to where the hold came from */
		Datum		args[1] = {Int64GetDatum(order_id)};

		if (strcmp(o.status, "on_hold") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_INVALID_TRANSITION),
					 errmsg("order %s is not on hold (status %s)", o.number, o.status)));
		if (oms_plan_exec(&plan_held_from, args, NULL, true, 1, SPI_OK_SELECT) == 0 ||
			(target = oms_spi_text(0, 1)) == NULL)
			target = "pending";
	}
	oms_order_set_status(order_id, target, reason);
	/* released after its last delivery: it completes now */
	if (strcmp(target, "processing") == 0)
		(void) oms_fulfillment_refresh(order_id);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(target));
}

PG_FUNCTION_INFO_V1(oms_confirm_order);

Datum
oms_confirm_order(PG_FUNCTION_ARGS)
{
	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "confirm_order", 2, 0, oms_confirm_order);

	return move_order(fcinfo, "confirmed");
}

PG_FUNCTION_INFO_V1(oms_hold_order);

Datum
oms_hold_order(PG_FUNCTION_ARGS)
{
	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "hold_order", 2, 0, oms_hold_order);

	return move_order(fcinfo, "on_hold");
}

PG_FUNCTION_INFO_V1(oms_release_order);

Datum
oms_release_order(PG_FUNCTION_ARGS)
{
	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "release_order", 2, 0, oms_release_order);

	return move_order(fcinfo, NULL);
}

/* ----------------------------------------------------------------
 * cancel_order
 * ----------------------------------------------------------------
 */
/* Step of a whole cancel: every open unit of every stocked line. */
static int64
cancel_all_units(LineRow *lines, int nlines, OmsLevels *ls)
{
	int64		cancelled = 0;
	int			i;

	for (i = 0; i < nlines; i++)
	{
		int64		open;

		CHECK_FOR_INTERRUPTS();
		if (lines[i].kind == 'b')
			continue;
		open = lines[i].reserved + lines[i].backordered;
		if (open > 0)
		{
			cancel_line_units(ls, &lines[i], open);
			cancelled = oms_add_qty(cancelled, open, "cancelled");
		}
	}
	return cancelled;
}

/* A bundle cancels its components in proportion. */
static void
cancel_bundle_units(const OrderRow *o, LineRow *lines, int nlines, LineRow *bundle,
					const OmsLineInput *want, OmsLevels *ls)
{
	int64		bundle_open = bundle->ordered - bundle->cancelled;
	int			k;

	if (want->qty > bundle_open)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("cannot cancel " INT64_FORMAT " of bundle \"%s\" on order %s: only " INT64_FORMAT " open",
						want->qty, want->sku, o->number, bundle_open)));
	for (k = 0; k < nlines; k++)
	{
		int64		per = bundle->ordered > 0 ? lines[k].ordered / bundle->ordered : 0;
		int64		q;

		if (lines[k].kind != 'c' || lines[k].parent_line_id != bundle->line_id)
			continue;
		q = oms_mul_qty(per, want->qty, "cancel quantity");
		if (q > open_units(&lines[k]))
			ereport(ERROR,
					(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
					 errmsg("cannot cancel " INT64_FORMAT " of bundle \"%s\" on order %s: its component \"%s\" has shipped or is in a shipment",
							want->qty, want->sku, o->number, lines[k].sku)));
		cancel_line_units(ls, &lines[k], q);
	}
	bundle->cancelled += want->qty;
	write_line(bundle);
}

/*
 * Step of a partial cancel: want->qty units of one sku, from its (first)
 * item or bundle line.  Returns the units cancelled.
 */
static int64
cancel_sku_units(const OrderRow *o, LineRow *lines, int nlines, const OmsLineInput *want,
				 OmsLevels *ls)
{
	int			i;

	for (i = 0; i < nlines; i++)
	{
		int64		open;

		if (lines[i].kind == 'c' || strcmp(lines[i].sku, want->sku) != 0)
			continue;
		if (lines[i].kind == 'b')
		{
			cancel_bundle_units(o, lines, nlines, &lines[i], want, ls);
			return want->qty;
		}
		open = open_units(&lines[i]);
		if (want->qty > open)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
					 errmsg("cannot cancel " INT64_FORMAT " units of sku \"%s\" on order %s: only " INT64_FORMAT " open",
							want->qty, want->sku, o->number, open),
					 errdetail("Ordered " INT64_FORMAT ", shipped " INT64_FORMAT ", cancelled " INT64_FORMAT ", in open shipments " INT64_FORMAT ".",
							   lines[i].ordered, lines[i].shipped, lines[i].cancelled,
							   lines[i].reserved + lines[i].backordered - open)));
		cancel_line_units(ls, &lines[i], want->qty);
		return want->qty;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
			 errmsg("order %s has no line of sku \"%s\"", o->number, want->sku)));
	return 0;					/* keep compiler quiet */
}

/*
 * Step: the subtotal, and the order's status: cancelled when nothing is
 * open and nothing shipped, else an event for the units and a fulfillment
 * refresh (what is left may all be delivered now: the order completes).
 */
static void
finish_cancel(const OrderRow *o, const LineRow *lines, int nlines, int64 cancelled,
			  const char *reason)
{
	int64		open_after = 0;
	int64		shipped = 0;
	int			i;

	for (i = 0; i < nlines; i++)
	{
		if (lines[i].kind == 'b')
			continue;
		open_after += lines[i].reserved + lines[i].backordered;
		shipped += lines[i].shipped;
	}
	oms_order_recompute_subtotal(o->order_id);
	if (open_after == 0 && shipped == 0)
		oms_order_set_status(o->order_id, "cancelled", reason ? reason : "cancelled");
	else
	{
		if (cancelled > 0)
			oms_emit_event_json("order.lines_cancelled", "order", o->order_id,
								psprintf("{\"order_number\": \"%s\", \"units\": " INT64_FORMAT ", \"reason\": %s}",
										 o->number, cancelled,
										 oms_json_quote(reason)));
		(void) oms_fulfillment_refresh(o->order_id);
	}
}

PG_FUNCTION_INFO_V1(oms_cancel_order);

/*
 * cancel_order(order_id, lines, reason): lines NULL cancels the whole order
 * (its open shipments too).  Returns the units cancelled.
 */
Datum
oms_cancel_order(PG_FUNCTION_ARGS)
{
	int64		order_id;
	Jsonb	   *which = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	char	   *reason = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	OmsLineInput *in = NULL;
	int			nin = 0;
	OrderRow	o;
	LineRow    *lines;
	int			nlines;
	OmsLevels	ls;
	int64		cancelled = 0;
	int			j;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "cancel_order", 3, 0, oms_cancel_order);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("order_id must not be null")));
	order_id = PG_GETARG_INT64(0);
	if (which != NULL)
	{
		nin = oms_parse_lines(which, "lines", false, &in);
		oms_merge_duplicate_lines(&nin, in);
	}

	oms_spi_connect();
	lock_order(order_id, &o);
	if (strcmp(o.status, "cancelled") == 0 || strcmp(o.status, "completed") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("order %s is %s: nothing is left to cancel", o.number, o.status)));

	/* a whole order takes back what its open shipments hold */
	if (which == NULL)
		(void) oms_cancel_open_shipments(order_id);
	nlines = read_lines(order_id, false, &lines);
	lock_order_levels(nlines, lines, 0, NULL, &ls);
	nlines = read_lines(order_id, true, &lines);

	if (which == NULL)
		cancelled = cancel_all_units(lines, nlines, &ls);
	else
		for (j = 0; j < nin; j++)
			cancelled = oms_add_qty(cancelled, cancel_sku_units(&o, lines, nlines, &in[j], &ls),
									"cancelled");
	oms_levels_flush(&ls);
	finish_cancel(&o, lines, nlines, cancelled, reason);
	oms_set_reason(NULL);
	oms_spi_finish();
	PG_RETURN_INT64(cancelled);
}

/* ----------------------------------------------------------------
 * edit_order
 * ----------------------------------------------------------------
 */
/* Step: resolve the skus of the changes; a bundle is not edited in place. */
static OmsResolved *
resolve_edit_skus(int nin, OmsLineInput *in)
{
	OmsResolved *res = oms_resolve_lines(nin, in);
	int			i;

	for (i = 0; i < nin; i++)
		if (res[i].is_bundle)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bundle \"%s\" cannot be edited in place", in[i].sku),
					 errhint("Cancel the bundle line and place its change as a new line.")));
	return res;
}

/*
 * A new item line for a sku the order does not have yet, inserted empty (the
 * increase that follows orders and reserves it); appended to *lines.
 */
static LineRow *
add_edit_line(int64 order_id, LineRow **lines, int *nlines, int *max_no,
			  const OmsLineInput *want, const OmsResolved *res)
{
	Datum		price_d;
	int64		no;
	int64		zero = 0;
	Datum		kind = CStringGetTextDatum("item");
	Numeric		price = want->unit_price ? want->unit_price : int64_to_numeric(0);
	bool		isnull;
	LineRow    *l;

	no = ++(*max_no);
	price_d = NumericGetDatum(price);
	(void) oms_order_lines_insert(order_id, 1, &no, &res->item_id, &kind,
								  &zero, &zero, &zero, &zero, &price_d);
	*lines = repalloc(*lines, sizeof(LineRow) * (*nlines + 1));
	l = &(*lines)[(*nlines)++];
	memset(l, 0, sizeof(LineRow));
	l->line_id = oms_spi_int64(0, 1, &isnull);
	l->line_no = (int32) no;
	l->item_id = res->item_id;
	l->kind = 'i';
	l->sku = want->sku;
	l->policy = res->policy;
	return l;
}

/* Reduce a line by drop units, only from what has not shipped and is in no shipment. */
static void
reduce_edit_line(const OrderRow *o, OmsLevels *ls, LineRow *l, int64 want, int64 drop)
{
	if (drop > open_units(l))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("cannot reduce sku \"%s\" on order %s to " INT64_FORMAT ": " INT64_FORMAT " already shipped or in a shipment",
						l->sku, o->number, want,
						l->shipped + l->reserved + l->backordered - open_units(l))));
	cancel_line_units(ls, l, drop);
}

/* Grow a line by add units: allocate them, backorder the rest if the sku allows. */
static void
grow_edit_line(const OrderRow *o, OmsLevels *ls, LineRow *l, int64 add)
{
	OmsDemand	dm;
	OmsAlloc   *allocs;
	int			nallocs;
	int			i;

	dm.item_id = l->item_id;
	dm.qty = add;
	dm.allocated = 0;
	nallocs = oms_allocate(ls, 1, &dm, o->strategy, oms_allow_split, &o->ship_to, &allocs);
	if (dm.allocated < add && l->policy == 'd')
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
				 errmsg("insufficient stock of sku \"%s\": wanted " INT64_FORMAT " more, available " INT64_FORMAT,
						l->sku, add, dm.allocated + oms_item_free(ls, l->item_id)),
				 errdetail("Order %s was not changed.", o->number)));
	for (i = 0; i < nallocs; i++)
	{
		int64		lid = l->line_id;

		oms_reservations_insert(1, &lid, 0, &allocs[i], 0);
	}
	l->ordered = oms_add_qty(l->ordered, add, "qty_ordered");
	l->reserved = oms_add_qty(l->reserved, dm.allocated, "qty_reserved");
	l->backordered = oms_add_qty(l->backordered, add - dm.allocated, "qty_backordered");
	write_line(l);
}

/*
 * Step: apply one change: find the sku's item line (or add it), set its
 * price if given, then reduce or grow it to the wanted quantity.
 */
static void
apply_edit(const OrderRow *o, OmsLevels *ls, LineRow **lines, int *nlines, int *max_no,
		   const OmsLineInput *want, const OmsResolved *res)
{
	LineRow    *l = NULL;
	int64		current;
	int			i;

	for (i = 0; i < *nlines; i++)
		if ((*lines)[i].kind == 'i' && strcmp((*lines)[i].sku, want->sku) == 0)
			l = &(*lines)[i];
	if (l == NULL)
	{
		if (want->qty == 0)
			return;
		l = add_edit_line(o->order_id, lines, nlines, max_no, want, res);
	}
	else if (want->unit_price != NULL)
	{
		Datum		args[2] = {Int64GetDatum(l->line_id), NumericGetDatum(want->unit_price)};

		oms_plan_exec(&plan_line_price, args, NULL, false, 0, SPI_OK_UPDATE);
	}
	current = l->ordered - l->cancelled;
	if (want->qty < current)
		reduce_edit_line(o, ls, l, want->qty, current - want->qty);
	else if (want->qty > current)
		grow_edit_line(o, ls, l, want->qty - current);
}

PG_FUNCTION_INFO_V1(oms_edit_order);

/*
 * edit_order(order_id, changes, reason): changes is [{"sku", "qty",
 * "unit_price"}] where qty is the line's new quantity (0 removes it).
 */
Datum
oms_edit_order(PG_FUNCTION_ARGS)
{
	int64		order_id;
	Jsonb	   *changes;
	char	   *reason = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	OrderRow	o;
	LineRow    *lines;
	int			nlines;
	OmsLineInput *in;
	int			nin;
	OmsResolved *res;
	OmsLevels	ls;
	int64	   *extra;
	int			i;
	int			max_no = 0;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "edit_order", 3, 0, oms_edit_order);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("order_id must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("changes must not be null")));
	order_id = PG_GETARG_INT64(0);
	changes = PG_GETARG_JSONB_P(1);
	nin = oms_parse_changes(changes, &in);

	oms_spi_connect();
	lock_order(order_id, &o);
	if (strcmp(o.status, "pending") != 0 && strcmp(o.status, "confirmed") != 0 &&
		strcmp(o.status, "on_hold") != 0 && strcmp(o.status, "processing") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("order %s is %s and can no longer be edited", o.number, o.status)));
	res = resolve_edit_skus(nin, in);

	/* the levels of the order's items and of the new ones, then the lines under them */
	nlines = read_lines(order_id, false, &lines);
	extra = palloc(sizeof(int64) * Max(nin, 1));
	for (i = 0; i < nin; i++)
		extra[i] = res[i].item_id;
	lock_order_levels(nlines, lines, nin, extra, &ls);
	nlines = read_lines(order_id, true, &lines);
	for (i = 0; i < nlines; i++)
		max_no = Max(max_no, lines[i].line_no);

	for (i = 0; i < nin; i++)
	{
		CHECK_FOR_INTERRUPTS();
		apply_edit(&o, &ls, &lines, &nlines, &max_no, &in[i], &res[i]);
	}
	oms_levels_flush(&ls);
	oms_order_recompute_subtotal(order_id);
	(void) oms_fulfillment_refresh(order_id);
	oms_emit_event_json("order.edited", "order", order_id,
						psprintf("{\"order_number\": \"%s\", \"changes\": %s, \"reason\": %s}",
								 o.number,
								 DatumGetCString(DirectFunctionCall1(jsonb_out, JsonbPGetDatum(changes))),
								 oms_json_quote(reason)));
	oms_spi_finish();
	PG_RETURN_INT64(order_id);
}
