/*-------------------------------------------------------------------------
 *
 * backorder.c
 *	  Backorder filling: the AFTER INSERT trigger on the inventory ledger
 *	  that reserves stock arriving at a location for the backordered lines
 *	  of its item, oldest order first.  The ledger does not call it; the
 *	  trigger does, after the movement has locked the level.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/ledger.h"

static OmsPlan plan_fill_level = {
	"SELECT on_hand, reserved, safety_stock FROM oms.inventory_level"
	" WHERE item_id = $1 AND location_id = $2 FOR UPDATE",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_fill_lines = {
	"SELECT l.line_id, l.qty_backordered, o.order_id, o.order_number FROM oms.order_line l"
	" JOIN oms.sales_order o ON o.order_id = l.order_id"
	" WHERE l.item_id = $1 AND l.qty_backordered > 0"
	" AND o.status IN ('pending', 'confirmed', 'processing', 'on_hold')"
	" ORDER BY o.placed_at, o.order_id, l.line_no FOR UPDATE OF l",
	1, {INT8OID}
};
static OmsPlan plan_fill_line_update = {
	"UPDATE oms.order_line SET qty_backordered = qty_backordered - $2,"
	" qty_reserved = qty_reserved + $2 WHERE line_id = $1",
	2, {INT8OID, INT8OID}
};

/* One backordered line of the item, oldest order first. */
typedef struct BackorderedLine
{
	int64		line_id;
	int64		wanted;
	int64		order_id;
	char	   *order_number;
} BackorderedLine;

/*
 * Lock the level the movement moved and read it; false if it has no level
 * row.
 */
static bool
lock_fill_level(int64 item_id, int64 location_id, OmsLevel *level)
{
	Datum		args[2] = {Int64GetDatum(item_id), Int64GetDatum(location_id)};
	bool		isnull;

	if (oms_plan_exec(&plan_fill_level, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		return false;
	memset(level, 0, sizeof(*level));
	level->item_id = item_id;
	level->location_id = location_id;
	level->on_hand = oms_spi_int64(0, 1, &isnull);
	level->reserved = oms_spi_int64(0, 2, &isnull);
	level->safety_stock = oms_spi_int64(0, 3, &isnull);
	level->active = true;
	return true;
}

/* The item's backordered lines of open orders, locked, oldest first. */
static int
backordered_lines(int64 item_id, BackorderedLine **out)
{
	Datum		args[1] = {Int64GetDatum(item_id)};
	BackorderedLine *lines;
	bool		isnull;
	int			n;
	int			i;

	n = oms_plan_exec(&plan_fill_lines, args, NULL, false, 0, SPI_OK_SELECT);
	lines = palloc(sizeof(BackorderedLine) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		lines[i].line_id = oms_spi_int64(i, 1, &isnull);
		lines[i].wanted = oms_spi_int64(i, 2, &isnull);
		lines[i].order_id = oms_spi_int64(i, 3, &isnull);
		lines[i].order_number = oms_spi_text(i, 4);
	}
	*out = lines;
	return n;
}

/* Reserve qty of the level for one backordered line, and say so. */
static void
fill_line(OmsLevel *level, const BackorderedLine *line, int64 qty)
{
	OmsAlloc	a;
	Datum		uargs[2];
	char	   *payload;

	a.item_id = level->item_id;
	a.location_id = level->location_id;
	a.qty = qty;
	oms_reservations_insert(1, &line->line_id, 0, &a, 0);
	level->reserved = oms_add_qty(level->reserved, qty, "reserved");
	level->reserved_delta = oms_add_qty(level->reserved_delta, qty, "reserved");
	uargs[0] = Int64GetDatum(line->line_id);
	uargs[1] = Int64GetDatum(qty);
	oms_plan_exec(&plan_fill_line_update, uargs, NULL, false, 0, SPI_OK_UPDATE);

	payload = psprintf("{\"order_number\": \"%s\", \"line_id\": " INT64_FORMAT
					   ", \"sku\": %s, \"location\": \"%s\", \"qty\": " INT64_FORMAT
					   ", \"still_backordered\": " INT64_FORMAT "}",
					   line->order_number, line->line_id,
					   oms_json_quote(oms_item_sku(level->item_id)),
					   oms_location_code(level->location_id), qty, line->wanted - qty);
	oms_emit_event_json("order.backorder_filled", "order", line->order_id, payload);
}

/*
 * Fill the item's backorders from the free units of one level, oldest order
 * first, and write the level back.
 */
static void
fill_backorders_at(int64 item_id, int64 location_id)
{
	OmsLevels	ls;
	OmsLevel	level;
	BackorderedLine *lines;
	int64		free_units;
	int			n;
	int			i;

	if (!lock_fill_level(item_id, location_id, &level))
		return;
	free_units = oms_level_free(&level);
	if (free_units <= 0)
		return;

	n = backordered_lines(item_id, &lines);
	for (i = 0; i < n && free_units > 0; i++)
	{
		int64		qty = Min(free_units, lines[i].wanted);

		CHECK_FOR_INTERRUPTS();
		fill_line(&level, &lines[i], qty);
		free_units -= qty;
	}
	ls.n = 1;
	ls.v = &level;
	oms_levels_flush(&ls);
}

/* ----------------------------------------------------------------
 * Backorder filling (AFTER INSERT trigger on the ledger)
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_backorder_fill);

/*
 * Stock arrived at one location (receipt, transfer in, return restock):
 * reserve it for backordered lines of the item, oldest order first.  Only
 * the level the movement already locked is used, so the global lock order
 * holds.
 */
Datum
oms_backorder_fill(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	bool		isnull;
	int64		item_id;
	int64		location_id;
	OmsSavedUser saved;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_backorder_fill: not called by trigger manager");
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "oms_backorder_fill: must be fired AFTER ... FOR EACH ROW");

	desc = trigdata->tg_relation->rd_att;
	tuple = trigdata->tg_trigtuple;
	item_id = DatumGetInt64(SPI_getbinval(tuple, desc, SPI_fnumber(desc, "item_id"), &isnull));
	location_id = DatumGetInt64(SPI_getbinval(tuple, desc, SPI_fnumber(desc, "location_id"), &isnull));

	oms_spi_connect();

	/*
	 * Reservations, order lines and the level are written as the owner of
	 * the tables: a movement inserted by oms_admin (README Roles) fills
	 * backorders it has no right to write itself.
	 */
	oms_become_owner(oms_relation_owner(oms_relid("reservation")), &saved);
	fill_backorders_at(item_id, location_id);
	oms_restore_user(&saved);
	oms_spi_finish();
	return PointerGetDatum(NULL);
}
