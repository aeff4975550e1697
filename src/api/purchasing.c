/*-------------------------------------------------------------------------
 *
 * purchasing.c
 *	  The purchasing API: receive_purchase_order(), which moves delivered
 *	  units from incoming to on_hand through the ledger.  The triggers that
 *	  keep incoming right and guard purchase orders are
 *	  engine/purchase_orders.c.
 *
 * Locks: the purchase order row first, then its levels in item order (one
 * location per order), so the global level order (item, then location) of
 * the reservation engine holds and nothing deadlocks with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "api/purchasing.h"
#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/events.h"
#include "engine/ledger.h"
#include "engine/purchase_orders.h"
#include "engine/reorder.h"

/* oms.over_receipt_tolerance: percent of a line that may be received on top */
double		oms_over_receipt_tolerance = 0.0;

static void write_receipts(int n, int64 *items, int64 *lines, int64 *qty, int64 *incoming,
						   int64 location_id, const char *reference);

static OmsPlan plan_read_levels = {
	"SELECT item_id, on_hand, reserved, available, incoming"
	" FROM oms.inventory_level WHERE location_id = $2 AND item_id = ANY($1)"
	" ORDER BY item_id",
	2, {INT8ARRAYOID, INT8OID}
};
static OmsPlan plan_po_lock = {
	"SELECT po_number, status, location_id FROM oms.purchase_order WHERE po_id = $1 FOR UPDATE",
	1, {INT8OID}
};
static OmsPlan plan_po_lines = {
	"SELECT l.po_line_id, l.item_id, i.sku, l.qty_ordered, l.qty_received"
	" FROM oms.purchase_order_line l JOIN oms.item i ON i.item_id = l.item_id"
	" WHERE l.po_id = $1 ORDER BY l.item_id",
	1, {INT8OID}
};
static OmsPlan plan_lines_received = {
	"UPDATE oms.purchase_order_line l SET qty_received = l.qty_received + d.qty"
	" FROM unnest($1::bigint[], $2::bigint[]) AS d(po_line_id, qty)"
	" WHERE l.po_line_id = d.po_line_id",
	2, {INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_po_set_status = {
	"UPDATE oms.purchase_order SET status = $2 WHERE po_id = $1",
	2, {INT8OID, TEXTOID}
};
/*
 * Book n received lines (items in item order, their levels locked): one
 * receipt per item through the ledger (whose trigger fills backorders), then
 * incoming down by what was still expected and the lines' qty_received up.
 */
static void
write_receipts(int n, int64 *items, int64 *lines, int64 *qty, int64 *incoming,
			   int64 location_id, const char *reference)
{
	Datum		v[3];
	int			i;

	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		(void) oms_insert_movement(items[i], location_id, "receipt", qty[i], 0,
								   NULL, reference, 0, NULL);
	}
	oms_po_incoming_add(n, items, location_id, incoming);
	v[0] = oms_int8_array(n, lines);
	v[1] = oms_int8_array(n, qty);
	oms_plan_exec(&plan_lines_received, v, NULL, false, 0, SPI_OK_UPDATE);
}

PG_FUNCTION_INFO_V1(oms_receive_purchase_order);

/*
 * receive_purchase_order(po_id, lines, reference): not STRICT; lines NULL
 * receives everything outstanding.
 */
Datum
oms_receive_purchase_order(PG_FUNCTION_ARGS)
{
	int64		po_id;
	Jsonb	   *lines_arg = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	char	   *reference = oms_text_arg(fcinfo, 2, "reference", false);
	Datum		v[3];
	bool		isnull;
	char	   *po_number;
	char	   *status;
	int64		location_id;
	int			n;
	int			i;
	int64	   *line_ids;
	int64	   *items;
	char	  **skus;
	int64	   *ordered;
	int64	   *received;
	int64	   *recv;
	int64	   *rop;
	bool	   *has_rop;
	int64	   *pre;
	int64		total = 0;
	int			nrecv;
	int64	   *r_items;
	int64	   *r_lines;
	int64	   *r_qty;
	int64	   *r_incoming;
	bool		all_received = true;
	const char *new_status;
	StringInfoData payload;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("po_id must not be null")));
	po_id = PG_GETARG_INT64(0);

	oms_spi_connect();

	/* the order first */
	v[0] = Int64GetDatum(po_id);
	if (oms_plan_exec(&plan_po_lock, v, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown purchase order " INT64_FORMAT, po_id)));
	po_number = oms_spi_text(0, 1);
	status = oms_spi_text(0, 2);
	location_id = oms_spi_int64(0, 3, &isnull);
	if (!oms_po_is_open(status))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("cannot receive purchase order %s in status \"%s\"", po_number, status),
				 errdetail("Only submitted or partially received purchase orders can be received.")));
	if (reference == NULL)
		reference = po_number;

	/* its lines, in item order */
	n = oms_plan_exec(&plan_po_lines, v, NULL, false, 0, SPI_OK_SELECT);
	line_ids = palloc(sizeof(int64) * Max(n, 1));
	items = palloc(sizeof(int64) * Max(n, 1));
	skus = palloc(sizeof(char *) * Max(n, 1));
	ordered = palloc(sizeof(int64) * Max(n, 1));
	received = palloc(sizeof(int64) * Max(n, 1));
	recv = palloc0(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		line_ids[i] = oms_spi_int64(i, 1, &isnull);
		items[i] = oms_spi_int64(i, 2, &isnull);
		skus[i] = oms_spi_text(i, 3);
		ordered[i] = oms_spi_int64(i, 4, &isnull);
		received[i] = oms_spi_int64(i, 5, &isnull);
	}

	/* what arrived */
	if (lines_arg == NULL)
	{
		for (i = 0; i < n; i++)
			recv[i] = Max(ordered[i] - received[i], 0);
	}
	else
	{
		OmsLineInput *in;
		int			nin = oms_parse_lines(lines_arg, "lines", false, &in);
		int			j;

		for (j = 0; j < nin; j++)
		{
			CHECK_FOR_INTERRUPTS();
			for (i = 0; i < n; i++)
				if (strcmp(skus[i], in[j].sku) == 0)
					break;
			if (i == n)
				ereport(ERROR,
						(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
						 errmsg("sku \"%s\" is not on purchase order %s", in[j].sku, po_number)));
			recv[i] = oms_add_qty(recv[i], in[j].qty, "received quantity");
		}
	}

	/* over-receipt: at most the tolerance above what was ordered */
	for (i = 0; i < n; i++)
	{
		int64		allowed;
		int64		after;

		if (recv[i] == 0)
			continue;
		allowed = oms_add_qty(ordered[i],
							  (int64) floor((double) ordered[i] * oms_over_receipt_tolerance / 100.0),
							  "allowed quantity");
		after = oms_add_qty(received[i], recv[i], "received quantity");
		if (after > allowed)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
					 errmsg("cannot receive " INT64_FORMAT " units of sku \"%s\" on purchase order %s: only " INT64_FORMAT " more allowed",
							recv[i], skus[i], po_number, Max(allowed - received[i], 0)),
					 errdetail("Ordered " INT64_FORMAT ", received so far " INT64_FORMAT ", over-receipt tolerance %g%%.",
							   ordered[i], received[i], oms_over_receipt_tolerance),
					 errhint("Raise oms.over_receipt_tolerance to accept over-deliveries.")));
		total = oms_add_qty(total, recv[i], "received quantity");
	}
	if (total == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nothing to receive on purchase order %s", po_number),
				 errdetail("Every line is received in full.")));

	/* the levels of the received items, locked in item order */
	r_items = palloc(sizeof(int64) * n);
	r_lines = palloc(sizeof(int64) * n);
	r_qty = palloc(sizeof(int64) * n);
	r_incoming = palloc(sizeof(int64) * n);
	nrecv = 0;
	for (i = 0; i < n; i++)
	{
		if (recv[i] == 0)
			continue;
		r_items[nrecv] = items[i];
		r_lines[nrecv] = line_ids[i];
		r_qty[nrecv] = recv[i];
		/* only what was still outstanding was counted as incoming */
		r_incoming[nrecv] = -Min(recv[i], Max(ordered[i] - received[i], 0));
		nrecv++;
	}
	if (oms_po_levels_lock(nrecv, r_items, location_id, true) != nrecv)
		elog(ERROR, "levels of purchase order %s vanished", po_number);
	rop = palloc(sizeof(int64) * nrecv);
	has_rop = palloc(sizeof(bool) * nrecv);
	pre = palloc(sizeof(int64) * nrecv);
	for (i = 0; i < nrecv; i++)
	{
		pre[i] = oms_add_qty(oms_spi_int64(i, 4, &isnull), oms_spi_int64(i, 5, &isnull), "position");
		rop[i] = oms_spi_int64(i, 6, &isnull);
		has_rop[i] = !isnull;
	}

	/*
	 * Receipts through the ledger (its trigger fills backorders), then
	 * incoming down and the lines up.  The units only change bucket, so the
	 * crossing trigger waits and the position is compared once, below.
	 */
	oms_reorder_defer_crossing();
	PG_TRY();
	{
		write_receipts(nrecv, r_items, r_lines, r_qty, r_incoming, location_id, reference);
	}
	PG_FINALLY();
	{
		oms_reorder_resume_crossing();
	}
	PG_END_TRY();

	/* a real crossing: backorders filled from the delivery took the units */
	v[0] = oms_int8_array(nrecv, r_items);
	v[1] = Int64GetDatum(location_id);
	if (oms_plan_exec(&plan_read_levels, v, NULL, false, 0, SPI_OK_SELECT) != nrecv)
		elog(ERROR, "levels of purchase order %s vanished", po_number);
	{
		int64	   *post_on_hand = palloc(sizeof(int64) * nrecv);
		int64	   *post_reserved = palloc(sizeof(int64) * nrecv);
		int64	   *post_available = palloc(sizeof(int64) * nrecv);
		int64	   *post_incoming = palloc(sizeof(int64) * nrecv);

		for (i = 0; i < nrecv; i++)
		{
			post_on_hand[i] = oms_spi_int64(i, 2, &isnull);
			post_reserved[i] = oms_spi_int64(i, 3, &isnull);
			post_available[i] = oms_spi_int64(i, 4, &isnull);
			post_incoming[i] = oms_spi_int64(i, 5, &isnull);
		}
		for (i = 0; i < nrecv; i++)
		{
			int64		post = oms_add_qty(post_available[i], post_incoming[i], "position");

			if (has_rop[i] && pre[i] > rop[i] && post <= rop[i])
				oms_reorder_emit_crossing(r_items[i], location_id, post_on_hand[i],
										  post_reserved[i], post_available[i],
										  post_incoming[i], rop[i]);
		}
	}

	/* the derived status */
	for (i = 0; i < n; i++)
		if (received[i] + recv[i] < ordered[i])
			all_received = false;
	new_status = all_received ? "received" : "partially_received";

	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"po_number\": \"%s\", \"location\": %s, \"reference\": %s, \"units\": " INT64_FORMAT ", \"lines\": [",
					 po_number, oms_json_quote(oms_location_code(location_id)),
					 oms_json_quote(reference), total);
	for (i = 0; i < nrecv; i++)
	{
		int			k;

		for (k = 0; k < n; k++)
			if (items[k] == r_items[i])
				break;
		appendStringInfo(&payload, "%s{\"sku\": %s, \"qty\": " INT64_FORMAT "}",
						 i > 0 ? ", " : "", oms_json_quote(skus[k]), r_qty[i]);
	}
	appendStringInfoString(&payload, "]}");
	oms_emit_event_json("purchase_order.receipt", "purchase_order", po_id, payload.data);

	if (strcmp(status, new_status) != 0)
	{
		v[0] = Int64GetDatum(po_id);
		v[1] = CStringGetTextDatum(new_status);
		oms_plan_exec(&plan_po_set_status, v, NULL, false, 0, SPI_OK_UPDATE);
	}

	oms_spi_finish();
	PG_RETURN_INT64(total);
}
