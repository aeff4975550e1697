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
	Datum		args[2];
	int64		free_units;
	OmsLevels	ls;
	OmsLevel	level;
	int			n;
	int			i;
	int64	   *line_ids;
	int64	   *wanted;
	int64	   *order_ids;
	char	  **order_numbers;
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
	args[0] = Int64GetDatum(item_id);
	args[1] = Int64GetDatum(location_id);
	if (oms_plan_exec(&plan_fill_level, args, NULL, false, 1, SPI_OK_SELECT) == 0)
	{
		oms_restore_user(&saved);
		oms_spi_finish();
		return PointerGetDatum(NULL);
	}
	memset(&level, 0, sizeof(level));
	level.item_id = item_id;
	level.location_id = location_id;
	level.on_hand = oms_spi_int64(0, 1, &isnull);
	level.reserved = oms_spi_int64(0, 2, &isnull);
	level.safety_stock = oms_spi_int64(0, 3, &isnull);
	level.active = true;
	ls.n = 1;
	ls.v = &level;

	free_units = oms_level_free(&level);
	if (free_units <= 0)
	{
		oms_restore_user(&saved);
		oms_spi_finish();
		return PointerGetDatum(NULL);
	}

	n = oms_plan_exec(&plan_fill_lines, args, NULL, false, 0, SPI_OK_SELECT);
	line_ids = palloc(sizeof(int64) * Max(n, 1));
	wanted = palloc(sizeof(int64) * Max(n, 1));
	order_ids = palloc(sizeof(int64) * Max(n, 1));
	order_numbers = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		line_ids[i] = oms_spi_int64(i, 1, &isnull);
		wanted[i] = oms_spi_int64(i, 2, &isnull);
		order_ids[i] = oms_spi_int64(i, 3, &isnull);
		order_numbers[i] = oms_spi_text(i, 4);
	}

	for (i = 0; i < n && free_units > 0; i++)
	{
		OmsAlloc	a;
		Datum		uargs[2];
		char	   *payload;

		CHECK_FOR_INTERRUPTS();
		a.item_id = item_id;
		a.location_id = location_id;
		a.qty = Min(free_units, wanted[i]);
		oms_reservations_insert(1, &line_ids[i], 0, &a, 0);
		level.reserved = oms_add_qty(level.reserved, a.qty, "reserved");
		level.reserved_delta = oms_add_qty(level.reserved_delta, a.qty, "reserved");
		uargs[0] = Int64GetDatum(line_ids[i]);
		uargs[1] = Int64GetDatum(a.qty);
		oms_plan_exec(&plan_fill_line_update, uargs, NULL, false, 0, SPI_OK_UPDATE);
		free_units -= a.qty;

		payload = psprintf("{\"order_number\": \"%s\", \"line_id\": " INT64_FORMAT
						   ", \"sku\": %s, \"location\": \"%s\", \"qty\": " INT64_FORMAT
						   ", \"still_backordered\": " INT64_FORMAT "}",
						   order_numbers[i], line_ids[i], oms_json_quote(oms_item_sku(item_id)),
						   oms_location_code(location_id), a.qty, wanted[i] - a.qty);
		oms_emit_event_json("order.backorder_filled", "order", order_ids[i], payload);
	}
	oms_levels_flush(&ls);
	oms_restore_user(&saved);
	oms_spi_finish();
	return PointerGetDatum(NULL);
}
