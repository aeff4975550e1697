/*-------------------------------------------------------------------------
 *
 * order.c
 *	  The order model shared by the order, fulfillment and returns APIs: the
 *	  status setters of orders and shipments, the subtotal and its range
 *	  check, the units of a line committed to open shipments, releasing a
 *	  line's uncommitted reservations, cancelling open shipments, and the
 *	  derived fulfillment status (which completes or cancels the order).
 *	  Callers hold the order row lock and are connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/order.h"
#include "engine/transitions.h"

static OmsPlan plan_subtotal_new = {
	"SELECT COALESCE((SELECT sum(unit_price * (qty_ordered - qty_cancelled))"
	" FROM oms.order_line WHERE order_id = $1 AND kind <> 'component'), 0), tax, shipping, order_number"
	" FROM oms.sales_order WHERE order_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_subtotal = {
	"UPDATE oms.sales_order SET subtotal = COALESCE((SELECT sum(unit_price * (qty_ordered - qty_cancelled))"
	" FROM oms.order_line WHERE order_id = $1 AND kind <> 'component'), 0) WHERE order_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_order_lock = {
	"SELECT order_number, status, currency, total, service_level,"
	" payment_required, payment_status, allocation_strategy, ship_to"
	" FROM oms.sales_order WHERE order_id = $1 FOR UPDATE",
	1, {INT8OID}
};
static OmsPlan plan_lines_insert = {
	"INSERT INTO oms.order_line (order_id, line_no, item_id, kind, parent_line_id, qty_ordered,"
	" qty_reserved, qty_backordered, unit_price)"
	" SELECT $1, d.line_no, d.item_id, d.kind, p.line_id, d.qty, d.res, d.back, d.price"
	" FROM unnest($2::int8[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::numeric[])"
	" AS d(line_no, item_id, kind, parent_no, qty, res, back, price)"
	" LEFT JOIN oms.order_line p ON p.order_id = $1 AND p.line_no = d.parent_no"
	" ORDER BY d.line_no RETURNING line_id, line_no",
	9, {INT8OID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID}
};
static OmsPlan plan_order_status = {
	"UPDATE oms.sales_order SET status = $2 WHERE order_id = $1",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_shipment_status = {
	"UPDATE oms.shipment SET status = $2 WHERE shipment_id = $1",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_committed = {
	"SELECT COALESCE(sum(sl.qty), 0)::bigint FROM oms.shipment_line sl"
	" JOIN oms.shipment s ON s.shipment_id = sl.shipment_id"
	" WHERE sl.line_id = $1 AND s.status IN ('pending', 'picking', 'packed')",
	1, {INT8OID}
};
/* Per location: reserved units of the line that no open shipment holds. */
static OmsPlan plan_uncommitted = {
	"SELECT r.location_id, sum(r.qty)::bigint - COALESCE((SELECT sum(sl.qty)"
	" FROM oms.shipment_line sl JOIN oms.shipment s ON s.shipment_id = sl.shipment_id"
	" WHERE sl.line_id = $1 AND s.location_id = r.location_id"
	" AND s.status IN ('pending', 'picking', 'packed')), 0)::bigint"
	" FROM oms.reservation r WHERE r.line_id = $1 AND r.state = 'active'"
	" GROUP BY r.location_id ORDER BY max(r.reservation_id) DESC",
	1, {INT8OID}
};
static OmsPlan plan_open_shipments = {
	"SELECT shipment_id FROM oms.shipment WHERE order_id = $1"
	" AND status IN ('pending', 'picking', 'packed') ORDER BY shipment_id FOR UPDATE",
	1, {INT8OID}
};
/*
 * The derived fields of an order from its stocked lines.  returned means
 * every open unit (ordered - cancelled) came back, not only every shipped
 * one: a line still to ship keeps the order partially_returned.  order_type
 * becomes backorder (preorder when a waiting unit is a pre-order item) once
 * any unit waits for stock, also when an edit or a return to sender
 * backorders it after placement; it never goes back to normal.
 */
static OmsPlan plan_refresh = {
	"WITH t AS (SELECT COALESCE(sum(l.qty_ordered - l.qty_cancelled), 0) AS open,"
	" COALESCE(sum(l.qty_shipped), 0) AS shipped, COALESCE(sum(l.qty_delivered), 0) AS delivered,"
	" COALESCE(sum(l.qty_returned), 0) AS returned,"
	" bool_or(l.qty_backordered > 0 AND i.backorder_policy = 'preorder') AS preorder,"
	" bool_or(l.qty_backordered > 0) AS backorder"
	" FROM oms.order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" WHERE l.order_id = $1 AND l.kind <> 'bundle')"
	" UPDATE oms.sales_order o SET order_type = CASE"
	" WHEN o.order_type <> 'normal' THEN o.order_type"
	" WHEN t.preorder THEN 'preorder' WHEN t.backorder THEN 'backorder' ELSE 'normal' END,"
	" fulfillment_status = CASE"
	" WHEN t.returned > 0 AND t.returned >= t.open THEN 'returned'"
	" WHEN t.returned > 0 THEN 'partially_returned'"
	" WHEN t.open > 0 AND t.delivered >= t.open THEN 'delivered'"
	" WHEN t.delivered > 0 THEN 'partially_delivered'"
	" WHEN t.open > 0 AND t.shipped >= t.open THEN 'shipped'"
	" WHEN t.shipped > 0 THEN 'partially_shipped'"
	" ELSE 'unfulfilled' END"
	" FROM t WHERE o.order_id = $1"
	" RETURNING o.fulfillment_status, o.status, t.open::bigint, t.shipped::bigint, t.delivered::bigint",
	1, {INT8OID}
};

void
oms_order_lock(int64 order_id, OmsOrder *o)
{
	Datum		arg[1] = {Int64GetDatum(order_id)};
	Datum		d;
	bool		isnull;

	if (oms_plan_exec(&plan_order_lock, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown order " INT64_FORMAT, order_id)));
	o->order_id = order_id;
	o->number = oms_spi_text(0, 1);
	o->status = oms_spi_text(0, 2);
	o->currency = oms_spi_text(0, 3);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);
	o->total = isnull ? NULL : DatumGetNumeric(SPI_datumTransfer(d, false, -1));
	o->service_level = oms_spi_text(0, 5);
	o->payment_required = oms_spi_text(0, 6);
	o->payment_status = oms_spi_text(0, 7);
	o->allocation_strategy = oms_spi_text(0, 8);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 9, &isnull);
	o->ship_to = isnull ? NULL : DatumGetJsonbP(SPI_datumTransfer(d, false, -1));
}

/* Move an order to status, recorded with reason (the status guard checks the move). */
void
oms_order_set_status(int64 order_id, const char *status, const char *reason)
{
	Datum		args[2] = {Int64GetDatum(order_id), CStringGetTextDatum(status)};

	oms_set_reason(reason);
	oms_plan_exec(&plan_order_status, args, NULL, false, 0, SPI_OK_UPDATE);
}

/* Move a shipment to status, recorded with reason. */
void
oms_shipment_set_status(int64 shipment_id, const char *status, const char *reason)
{
	Datum		args[2] = {Int64GetDatum(shipment_id), CStringGetTextDatum(status)};

	oms_set_reason(reason);
	oms_plan_exec(&plan_shipment_status, args, NULL, false, 0, SPI_OK_UPDATE);
}

/*
 * An order's subtotal, tax, shipping and total are numeric(14,2): refuse a
 * call that would take any of them to 1e12 or more (22003 naming the total)
 * instead of failing on the column with a raw overflow.  number names the
 * order (NULL while it is being placed).
 */
void
oms_check_order_total(Numeric subtotal, Numeric tax, Numeric shipping, const char *number)
{
	Numeric		total = subtotal;
	Numeric		limit = int64_to_numeric(OMS_MONEY_LIMIT);

	if (tax)
		total = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(total),
													NumericGetDatum(tax)));
	if (shipping)
		total = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(total),
													NumericGetDatum(shipping)));
	if (DatumGetBool(DirectFunctionCall2(numeric_ge, NumericGetDatum(total), NumericGetDatum(limit))))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 number ?
				 errmsg("order total %s of order %s is out of range",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(total))), number) :
				 errmsg("order total %s is out of range",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(total)))),
				 errdetail("Subtotal %s, tax %s, shipping %s: an order's amounts are numeric(14,2), at most 999999999999.99.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(subtotal))),
						   tax ? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(tax))) : "0.00",
						   shipping ? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(shipping))) : "0.00")));
}

void
oms_order_recompute_subtotal(int64 order_id)
{
	Datum		args[1] = {Int64GetDatum(order_id)};
	bool		isnull;

	if (oms_plan_exec(&plan_subtotal_new, args, NULL, false, 1, SPI_OK_SELECT) == 1)
	{
		Datum		sub = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		Datum		tax = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		Datum		shipping = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);

		oms_check_order_total(DatumGetNumeric(sub), DatumGetNumeric(tax), DatumGetNumeric(shipping),
							  oms_spi_text(0, 4));
	}
	oms_plan_exec(&plan_subtotal, args, NULL, false, 0, SPI_OK_UPDATE);
}

/* ----------------------------------------------------------------
 * Shipments of the order: committed units, the fulfillment status
 * ----------------------------------------------------------------
 */
int64
oms_line_committed(int64 line_id)
{
	Datum		arg[1] = {Int64GetDatum(line_id)};
	bool		isnull;

	oms_plan_exec(&plan_committed, arg, NULL, false, 1, SPI_OK_SELECT);
	return oms_spi_int64(0, 1, &isnull);
}

int64
oms_release_uncommitted(OmsLevels *ls, int64 line_id, int64 qty, const char *state)
{
	Datum		arg[1] = {Int64GetDatum(line_id)};
	int			n;
	int			i;
	int64	   *locs;
	int64	   *free_units;
	int64		released = 0;
	bool		isnull;

	n = oms_plan_exec(&plan_uncommitted, arg, NULL, false, 0, SPI_OK_SELECT);
	locs = palloc(sizeof(int64) * Max(n, 1));
	free_units = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		locs[i] = oms_spi_int64(i, 1, &isnull);
		free_units[i] = oms_spi_int64(i, 2, &isnull);
	}
	for (i = 0; i < n && released < qty; i++)
	{
		int64		take = Min(qty - released, free_units[i]);

		CHECK_FOR_INTERRUPTS();
		if (take > 0)
			released += oms_release_line_at(ls, line_id, locs[i], take, state);
	}
	return released;
}

int
oms_cancel_open_shipments(int64 order_id)
{
	Datum		arg[1] = {Int64GetDatum(order_id)};
	int			n;
	int			i;
	int64	   *ids;
	bool		isnull;

	n = oms_plan_exec(&plan_open_shipments, arg, NULL, false, 0, SPI_OK_SELECT);
	ids = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
		ids[i] = oms_spi_int64(i, 1, &isnull);
	for (i = 0; i < n; i++)
		oms_shipment_set_status(ids[i], "cancelled", oms_reason);
	return n;
}

char *
oms_fulfillment_refresh(int64 order_id)
{
	Datum		arg[1] = {Int64GetDatum(order_id)};
	char	   *fstatus;
	char	   *status;
	int64		open;
	int64		shipped;
	int64		delivered;
	bool		isnull;

	oms_plan_exec(&plan_refresh, arg, NULL, false, 0, SPI_OK_UPDATE_RETURNING);
	fstatus = oms_spi_text(0, 1);
	status = oms_spi_text(0, 2);
	open = oms_spi_int64(0, 3, &isnull);
	shipped = oms_spi_int64(0, 4, &isnull);
	delivered = oms_spi_int64(0, 5, &isnull);

	if (strcmp(status, "processing") == 0 && open > 0 && delivered >= open)
		oms_order_set_status(order_id, "completed", "every unit delivered or cancelled");
	else if (open == 0 && shipped == 0 &&
			 strcmp(status, "cancelled") != 0 && strcmp(status, "completed") != 0)
		oms_order_set_status(order_id, "cancelled", "every unit cancelled");
	return fstatus;
}

/*
 * Insert n order lines in one statement: line numbers, items, kinds (text
 * datums), parent line numbers (0 for none), quantities ordered, reserved
 * and backordered, unit prices (numeric datums).  Returns the rows
 * inserted; SPI_tuptable holds each one's line_id and line_no.
 */
int
oms_order_lines_insert(int64 order_id, int n, const int64 *no, const int64 *item,
					   Datum *kind, const int64 *parent_no, const int64 *qty,
					   const int64 *reserved, const int64 *backordered, Datum *price)
{
	Datum		args[9];

	args[0] = Int64GetDatum(order_id);
	args[1] = oms_int8_array(n, no);
	args[2] = oms_int8_array(n, item);
	args[3] = PointerGetDatum(construct_array(kind, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[4] = oms_int8_array(n, parent_no);
	args[5] = oms_int8_array(n, qty);
	args[6] = oms_int8_array(n, reserved);
	args[7] = oms_int8_array(n, backordered);
	args[8] = PointerGetDatum(construct_array(price, n, NUMERICOID, -1, false, TYPALIGN_INT));
	return oms_plan_exec(&plan_lines_insert, args, NULL, false, 0, SPI_OK_INSERT_RETURNING);
}
