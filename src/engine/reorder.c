/*-------------------------------------------------------------------------
 *
 * reorder.c
 *	  Reorder points: the trigger that writes inventory.below_reorder_point
 *	  when a level crosses its rule's reorder point.  run_reorder(), which
 *	  turns every rule at or below its point into draft purchase orders, is
 *	  api/reorder.c.
 *
 * The rule's reorder point is kept on oms.inventory_level (reorder_point,
 * NULL without an active rule) by a statement trigger on oms.reorder_rule,
 * so the crossing trigger's WHEN clause compares OLD and NEW of the level
 * row itself and the trigger fires only on a crossing: nothing runs for the
 * updates that do not cross, which are all but a few.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/events.h"
#include "engine/ledger.h"
#include "engine/reorder.h"

static int	crossing_deferred = 0;



/* ----------------------------------------------------------------
 * The crossing
 * ----------------------------------------------------------------
 */
void
oms_reorder_defer_crossing(void)
{
	crossing_deferred++;
}

void
oms_reorder_resume_crossing(void)
{
	if (crossing_deferred > 0)
		crossing_deferred--;
}

void
oms_reorder_emit_crossing(int64 item_id, int64 location_id, int64 on_hand,
						  int64 reserved, int64 available, int64 incoming,
						  int64 reorder_point)
{
	char	   *payload;

	payload = psprintf("{\"sku\": %s, \"location\": %s, \"on_hand\": " INT64_FORMAT
					   ", \"reserved\": " INT64_FORMAT ", \"available\": " INT64_FORMAT
					   ", \"incoming\": " INT64_FORMAT ", \"reorder_point\": " INT64_FORMAT "}",
					   oms_json_quote(oms_item_sku(item_id)),
					   oms_json_quote(oms_location_code(location_id)),
					   on_hand, reserved, available, incoming, reorder_point);
	oms_emit_event_json("inventory.below_reorder_point", "item", item_id, payload);
}

PG_FUNCTION_INFO_V1(oms_inventory_level_crossing);

/*
 * AFTER UPDATE FOR EACH ROW on oms.inventory_level, with a WHEN clause that
 * passes only the updates taking available + incoming from above the
 * reorder point to at or below it.
 */
Datum
oms_inventory_level_crossing(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	t;
	bool		isnull;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_inventory_level_crossing: not called by trigger manager");
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "oms_inventory_level_crossing: must be fired AFTER UPDATE FOR EACH ROW");
	if (crossing_deferred > 0)
		return PointerGetDatum(NULL);

	desc = trigdata->tg_relation->rd_att;
	t = trigdata->tg_newtuple;
	oms_spi_connect();
	oms_reorder_emit_crossing(oms_tuple_int64(t, desc, "item_id", &isnull),
							  oms_tuple_int64(t, desc, "location_id", &isnull),
							  oms_tuple_int64(t, desc, "on_hand", &isnull),
							  oms_tuple_int64(t, desc, "reserved", &isnull),
							  oms_tuple_int64(t, desc, "available", &isnull),
							  oms_tuple_int64(t, desc, "incoming", &isnull),
							  oms_tuple_int64(t, desc, "reorder_point", &isnull));
	oms_spi_finish();
	return PointerGetDatum(NULL);
}
