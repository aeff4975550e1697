/*-------------------------------------------------------------------------
 *
 * purchase_orders.c
 *	  Purchase orders in the engine: the triggers that keep the incoming
 *	  bucket equal to what open purchase orders still expect and guard
 *	  their lines and derived statuses, and the level locks and incoming
 *	  writes that receiving (api/purchasing.c) shares with them.
 *
 * A purchase order is open while submitted or partially received.  Moving
 * into an open state adds each line's outstanding units (ordered minus
 * received, never below zero) to incoming at the order's location; moving
 * out of one (received, closed, cancelled) removes them.  Because triggers
 * do this, a status moved by any client keeps the buckets right.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "base/oms.h"
#include "engine/purchase_orders.h"

static void apply_incoming(int64 po_id, int64 location_id, int sign);

static OmsPlan plan_outstanding = {
	"SELECT item_id, qty_ordered - qty_received FROM oms.purchase_order_line"
	" WHERE po_id = $1 AND qty_ordered > qty_received ORDER BY item_id",
	1, {INT8OID}
};
static OmsPlan plan_create_levels = {
	"INSERT INTO oms.inventory_level (item_id, location_id)"
	" SELECT i, $2 FROM unnest($1::bigint[]) AS i ORDER BY i"
	" ON CONFLICT (item_id, location_id) DO NOTHING",
	2, {INT8ARRAYOID, INT8OID}
};
static OmsPlan plan_lock_levels = {
	"SELECT item_id, on_hand, reserved, available, incoming, reorder_point"
	" FROM oms.inventory_level WHERE location_id = $2 AND item_id = ANY($1)"
	" ORDER BY item_id FOR UPDATE",
	2, {INT8ARRAYOID, INT8OID}
};
static OmsPlan plan_add_incoming = {
	"UPDATE oms.inventory_level v SET incoming = v.incoming + d.delta, updated_at = pg_catalog.now()"
	" FROM unnest($1::bigint[], $3::bigint[]) AS d(item_id, delta)"
	" WHERE v.item_id = d.item_id AND v.location_id = $2",
	3, {INT8ARRAYOID, INT8OID, INT8ARRAYOID}
};
static OmsPlan plan_po_status = {
	"SELECT status, po_number FROM oms.purchase_order WHERE po_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_is_bundle = {
	"SELECT is_bundle, sku FROM oms.item WHERE item_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_submit_check = {
	"SELECT EXISTS (SELECT 1 FROM oms.purchase_order_line WHERE po_id = $1),"
	" (SELECT CURRENT_DATE + lead_time_days FROM oms.supplier WHERE supplier_id = $2)",
	2, {INT8OID, INT8OID}
};


/* Whether a purchase order in this status is open (submitted or partially received). */
bool
oms_po_is_open(const char *status)
{
	return status != NULL &&
		(strcmp(status, "submitted") == 0 || strcmp(status, "partially_received") == 0);
}

/*
 * Add (sign +1) or remove (sign -1) the outstanding units of a purchase
 * order to or from incoming at its location, its levels locked in item
 * order.  Written as the owner of the tables (a DBA moving a status by hand
 * has no right to write the buckets) under the engine guard.  Caller is
 * connected to SPI.
 */
static void
apply_incoming(int64 po_id, int64 location_id, int sign)
{
	Datum		v[3];
	int			n;
	int			i;
	int64	   *items;
	int64	   *deltas;
	bool		isnull;
	OmsSavedUser saved;

	v[0] = Int64GetDatum(po_id);
	n = oms_plan_exec(&plan_outstanding, v, NULL, false, 0, SPI_OK_SELECT);
	if (n == 0)
		return;
	items = palloc(sizeof(int64) * n);
	deltas = palloc(sizeof(int64) * n);
	for (i = 0; i < n; i++)
	{
		items[i] = oms_spi_int64(i, 1, &isnull);
		deltas[i] = oms_mul_qty(oms_spi_int64(i, 2, &isnull), sign, "incoming");
	}

	oms_become_owner(oms_relation_owner(oms_relid("inventory_level")), &saved);
	(void) oms_po_levels_lock(n, items, location_id, sign > 0);
	oms_po_incoming_add(n, items, location_id, deltas);
	oms_restore_user(&saved);
}

/*
 * Lock the levels of n items (in item order) at location_id, creating the
 * missing ones first when create.  Returns the rows locked; SPI_tuptable
 * holds item_id, on_hand, reserved, available, incoming, reorder_point.
 * Caller is connected to SPI.
 */
int
oms_po_levels_lock(int n, const int64 *items, int64 location_id, bool create)
{
	Datum		v[2];

	v[0] = oms_int8_array(n, items);
	v[1] = Int64GetDatum(location_id);
	if (create)
		oms_plan_exec(&plan_create_levels, v, NULL, false, 0, SPI_OK_INSERT);
	return oms_plan_exec(&plan_lock_levels, v, NULL, false, 0, SPI_OK_SELECT);
}

/*
 * Add deltas[i] to incoming of items[i] at location_id (levels locked).
 * Caller is connected to SPI.
 */
void
oms_po_incoming_add(int n, const int64 *items, int64 location_id, const int64 *deltas)
{
	Datum		v[3];

	v[0] = oms_int8_array(n, items);
	v[1] = Int64GetDatum(location_id);
	v[2] = oms_int8_array(n, deltas);
	oms_plan_exec(&plan_add_incoming, v, NULL, false, 0, SPI_OK_UPDATE);
}

/* ----------------------------------------------------------------
 * Triggers
 * ----------------------------------------------------------------
 */
/* Only drafts may be deleted. */
static void
refuse_po_delete(const char *po_number, const char *status)
{
	if (status == NULL || strcmp(status, "draft") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("purchase order %s is %s and cannot be deleted", po_number,
						status ? status : "null"),
				 errdetail("Only drafts may be deleted; the rest are part of the purchasing history."),
				 errhint("Cancel it with oms.cancel_purchase_order() instead.")));
}

/* partially_received and received follow the receipts, never a hand. */
static void
refuse_received_by_hand(const char *po_number, const char *old_status, const char *new_status)
{
	if (new_status != NULL && (old_status == NULL || strcmp(old_status, new_status) != 0) &&
		(strcmp(new_status, "partially_received") == 0 || strcmp(new_status, "received") == 0) &&
		!oms_engine_active())
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("purchase order %s cannot be moved to \"%s\" by hand", po_number, new_status),
				 errdetail("partially_received and received follow the quantities received."),
				 errhint("Receive the delivery with oms.receive_purchase_order().")));
}

/*
 * Submitting, by oms.submit_purchase_order() or by a plain UPDATE: an order
 * needs lines, and it is expected after the supplier's lead time unless a
 * date was given.  Returns the new tuple, with expected_on filled in.
 */
static HeapTuple
check_submission(TriggerData *trigdata, HeapTuple newtup, const char *po_number)
{
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		isnull;
	Datum		v[2] = {Int64GetDatum(oms_tuple_int64(newtup, desc, "po_id", &isnull)),
	Int64GetDatum(oms_tuple_int64(newtup, desc, "supplier_id", &isnull))};
	OmsSavedUser saved;
	bool		has_lines;
	bool		dnull;
	Datum		expected;
	int			col = SPI_fnumber(desc, "expected_on");

	oms_spi_connect();
	oms_become_owner(oms_relation_owner(RelationGetRelid(trigdata->tg_relation)), &saved);
	oms_plan_exec(&plan_submit_check, v, NULL, true, 1, SPI_OK_SELECT);
	oms_restore_user(&saved);
	has_lines = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &dnull));
	expected = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &dnull);
	oms_spi_finish();
	if (!has_lines)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchase order %s has no lines", po_number),
				 errhint("Add lines to the draft before submitting it.")));
	if (col > 0 && !dnull)
	{
		bool		cur_null;

		(void) SPI_getbinval(newtup, desc, col, &cur_null);
		if (cur_null)
		{
			bool		nulls[1] = {false};

			newtup = heap_modify_tuple_by_cols(newtup, desc, 1, &col, &expected, nulls);
		}
	}
	return newtup;
}

/* Supplier and location may change only while the order is a draft. */
static void
refuse_header_change(TupleDesc desc, HeapTuple oldtup, HeapTuple newtup,
					 const char *po_number, const char *old_status)
{
	bool		isnull;

	if (old_status != NULL && strcmp(old_status, "draft") != 0 &&
		(oms_tuple_int64(oldtup, desc, "supplier_id", &isnull) != oms_tuple_int64(newtup, desc, "supplier_id", &isnull) ||
		 oms_tuple_int64(oldtup, desc, "location_id", &isnull) != oms_tuple_int64(newtup, desc, "location_id", &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("purchase order %s is %s: its supplier and location can no longer change",
						po_number, old_status),
				 errdetail("Supplier and location may change only while the order is a draft.")));
}

PG_FUNCTION_INFO_V1(oms_purchase_order_guard);

/*
 * BEFORE UPDATE OR DELETE FOR EACH ROW on oms.purchase_order.
 */
Datum
oms_purchase_order_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	oldtup;
	HeapTuple	newtup;
	char	   *old_status;
	char	   *new_status;
	char	   *po_number;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_purchase_order_guard: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "oms_purchase_order_guard: must be fired BEFORE UPDATE OR DELETE FOR EACH ROW");

	desc = trigdata->tg_relation->rd_att;
	oldtup = trigdata->tg_trigtuple;
	old_status = oms_tuple_text(oldtup, desc, "status");
	po_number = oms_tuple_text(oldtup, desc, "po_number");

	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		refuse_po_delete(po_number, old_status);
		return PointerGetDatum(oldtup);
	}

	newtup = trigdata->tg_newtuple;
	new_status = oms_tuple_text(newtup, desc, "status");
	refuse_received_by_hand(po_number, old_status, new_status);
	if (new_status != NULL && strcmp(new_status, "submitted") == 0 &&
		old_status != NULL && strcmp(old_status, "draft") == 0)
		newtup = check_submission(trigdata, newtup, po_number);
	refuse_header_change(desc, oldtup, newtup, po_number, old_status);
	return PointerGetDatum(newtup);
}

PG_FUNCTION_INFO_V1(oms_purchase_order_incoming);

/*
 * AFTER UPDATE OF status FOR EACH ROW on oms.purchase_order.
 */
Datum
oms_purchase_order_incoming(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	bool		was_open;
	bool		is_open;
	bool		isnull;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_purchase_order_incoming: not called by trigger manager");
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "oms_purchase_order_incoming: must be fired AFTER UPDATE FOR EACH ROW");

	desc = trigdata->tg_relation->rd_att;
	was_open = oms_po_is_open(oms_tuple_text(trigdata->tg_trigtuple, desc, "status"));
	is_open = oms_po_is_open(oms_tuple_text(trigdata->tg_newtuple, desc, "status"));
	if (was_open == is_open)
		return PointerGetDatum(NULL);

	oms_spi_connect();
	apply_incoming(oms_tuple_int64(trigdata->tg_newtuple, desc, "po_id", &isnull),
				   oms_tuple_int64(trigdata->tg_newtuple, desc, "location_id", &isnull),
				   is_open ? 1 : -1);
	oms_spi_finish();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(oms_purchase_order_line_guard);

/*
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW on oms.purchase_order_line.
 * The engine (receiving, run_reorder) passes; everyone else may change the
 * lines of drafts only, and never qty_received.
 */
Datum
oms_purchase_order_line_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	result;
	bool		isnull;
	int64		po_ids[2];
	int			npo = 0;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_purchase_order_line_guard: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "oms_purchase_order_line_guard: must be fired BEFORE ... FOR EACH ROW");

	result = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	if (oms_engine_active())
		return PointerGetDatum(result);

	desc = trigdata->tg_relation->rd_att;
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) &&
		oms_tuple_int64(trigdata->tg_trigtuple, desc, "qty_received", &isnull) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
				 errmsg("qty_received of a new purchase-order line must be 0"),
				 errhint("Receive goods with oms.receive_purchase_order().")));
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) &&
		oms_tuple_int64(trigdata->tg_trigtuple, desc, "qty_received", &isnull) !=
		oms_tuple_int64(trigdata->tg_newtuple, desc, "qty_received", &isnull))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
				 errmsg("direct write of qty_received in oms.purchase_order_line is not allowed"),
				 errdetail("Received quantities change only with the receipts in the inventory ledger."),
				 errhint("Receive goods with oms.receive_purchase_order().")));

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		po_ids[npo++] = oms_tuple_int64(trigdata->tg_trigtuple, desc, "po_id", &isnull);
	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		po_ids[npo++] = oms_tuple_int64(result, desc, "po_id", &isnull);

	oms_spi_connect();
	for (i = 0; i < npo; i++)
	{
		Datum		v[1] = {Int64GetDatum(po_ids[i])};
		char	   *status;

		/* a missing order: an insert fails on its foreign key, a cascade passes */
		if (oms_plan_exec(&plan_po_status, v, NULL, true, 1, SPI_OK_SELECT) == 0)
			continue;
		status = oms_spi_text(0, 1);
		if (strcmp(status, "draft") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_NOT_EDITABLE),
					 errmsg("purchase order %s is %s: its lines can no longer change",
							oms_spi_text(0, 2), status),
					 errdetail("Lines may be added, changed or removed only while the order is a draft.")));
	}
	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		Datum		v[1] = {Int64GetDatum(oms_tuple_int64(result, desc, "item_id", &isnull))};

		if (!isnull && oms_plan_exec(&plan_is_bundle, v, NULL, true, 1, SPI_OK_SELECT) == 1 &&
			DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sku \"%s\" is a bundle and cannot be purchased", oms_spi_text(0, 2)),
					 errhint("Order its components instead.")));
	}
	oms_spi_finish();
	return PointerGetDatum(result);
}
