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
#include "engine/serials.h"
#include "engine/idempotency.h"

/* oms.over_receipt_tolerance: percent of a line that may be received on top */
double		oms_over_receipt_tolerance = 0.0;

static void write_receipts(int n, int64 *items, int64 *lines, int64 *qty, int64 *incoming,
						   Datum *serials, int64 location_id, const char *reference);

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
	"SELECT l.po_line_id, l.item_id, i.sku, l.qty_ordered, l.qty_received, i.serialized"
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
/* the lines without their "serials" keys, for the common line parser */
static OmsPlan plan_lines_unserialed = {
	"SELECT pg_catalog.jsonb_agg(CASE WHEN pg_catalog.jsonb_typeof(x.e) = 'object'"
	" THEN x.e OPERATOR(pg_catalog.-) 'serials'::text ELSE x.e END ORDER BY x.n)"
	" FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS x(e, n)",
	1, {JSONBOID}
};
/*
 * Book n received lines (items in item order, their levels locked): one
 * receipt per item through the ledger (whose trigger fills backorders and
 * moves the serials of a serialized item, serials[i]; 0 for none), then
 * incoming down by what was still expected and the lines' qty_received up.
 */
static void
write_receipts(int n, int64 *items, int64 *lines, int64 *qty, int64 *incoming,
			   Datum *serials, int64 location_id, const char *reference)
{
	Datum		v[3];
	int			i;

	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		(void) oms_insert_movement_serials(items[i], location_id, "receipt", qty[i], 0,
										   NULL, reference, 0, NULL, serials[i]);
	}
	oms_po_incoming_add(n, items, location_id, incoming);
	v[0] = oms_int8_array(n, lines);
	v[1] = oms_int8_array(n, qty);
	oms_plan_exec(&plan_lines_received, v, NULL, false, 0, SPI_OK_UPDATE);
}

/* ----------------------------------------------------------------
 * receive_purchase_order, as named steps over one Receipt
 * ----------------------------------------------------------------
 */

/*
 * One receiving call: the purchase order and its lines as read under lock
 * (fixed once read), and what arrives and what it did (filled step by step).
 */
typedef struct Receipt
{
	/* the purchase order, locked */
	int64		po_id;
	char	   *po_number;
	char	   *status;
	int64		location_id;
	const char *reference;
	/* its lines, in item order */
	int			n;
	int64	   *line_ids;
	int64	   *items;
	char	  **skus;
	int64	   *ordered;
	int64	   *received;
	bool	   *serialized;
	/* units arriving now, per line, their serials (NULL: none named), and in all */
	int64	   *recv;
	OmsSerials **serials;
	int64		total;
	/* the lines that receive units, in item order, with their levels' state before */
	int			nrecv;
	int64	   *r_items;
	int64	   *r_lines;
	int64	   *r_qty;
	int64	   *r_incoming;
	Datum	   *r_serials;
	int64	   *rop;
	bool	   *has_rop;
	int64	   *pre;			/* position (available + incoming) before */
} Receipt;

/* Step: lock the purchase order (it must be open) and read its lines. */
static void
lock_purchase_order(int64 po_id, const char *reference, Receipt *rc)
{
	Datum		v[1] = {Int64GetDatum(po_id)};
	bool		isnull;
	int			i;

	if (oms_plan_exec(&plan_po_lock, v, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown purchase order " INT64_FORMAT, po_id)));
	rc->po_id = po_id;
	rc->po_number = oms_spi_text(0, 1);
	rc->status = oms_spi_text(0, 2);
	rc->location_id = oms_spi_int64(0, 3, &isnull);
	if (!oms_po_is_open(rc->status))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("cannot receive purchase order %s in status \"%s\"", rc->po_number, rc->status),
				 errdetail("Only submitted or partially received purchase orders can be received.")));
	rc->reference = reference ? reference : rc->po_number;

	rc->n = oms_plan_exec(&plan_po_lines, v, NULL, false, 0, SPI_OK_SELECT);
	rc->line_ids = palloc(sizeof(int64) * Max(rc->n, 1));
	rc->items = palloc(sizeof(int64) * Max(rc->n, 1));
	rc->skus = palloc(sizeof(char *) * Max(rc->n, 1));
	rc->ordered = palloc(sizeof(int64) * Max(rc->n, 1));
	rc->received = palloc(sizeof(int64) * Max(rc->n, 1));
	rc->serialized = palloc(sizeof(bool) * Max(rc->n, 1));
	rc->recv = palloc0(sizeof(int64) * Max(rc->n, 1));
	rc->serials = palloc0(sizeof(OmsSerials *) * Max(rc->n, 1));
	for (i = 0; i < rc->n; i++)
	{
		rc->line_ids[i] = oms_spi_int64(i, 1, &isnull);
		rc->items[i] = oms_spi_int64(i, 2, &isnull);
		rc->skus[i] = oms_spi_text(i, 3);
		rc->ordered[i] = oms_spi_int64(i, 4, &isnull);
		rc->received[i] = oms_spi_int64(i, 5, &isnull);
		rc->serialized[i] = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 6, &isnull));
	}
}

/* Every unit of a serialized item that arrives is named (OM013). */
static void
check_serials_named(const Receipt *rc)
{
	int			i;

	for (i = 0; i < rc->n; i++)
	{
		int			named = rc->serials[i] ? rc->serials[i]->n : 0;

		if (rc->serialized[i] && rc->recv[i] != named)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("sku \"%s\" is serialized: purchase order %s receives " INT64_FORMAT " units of it but names %d serials",
							rc->skus[i], rc->po_number, rc->recv[i], named),
					 errhint("Name each unit that arrives: lines [{\"sku\", \"qty\", \"serials\": [...]}].")));
	}
}

/*
 * The serials each line names, (*named)[j] (NULL when none; *named NULL
 * when no line names any), and the lines without them.
 */
static Jsonb *
take_serials(Jsonb *lines_arg, Jsonb ***named)
{
	JsonbValue	key;
	Datum		arg[1];
	bool		isnull;
	bool		any = false;
	Datum		d;
	int			n;
	int			j;

	*named = NULL;
	if (!JB_ROOT_IS_ARRAY(lines_arg) || JB_ROOT_IS_SCALAR(lines_arg) || JB_ROOT_COUNT(lines_arg) == 0)
		return lines_arg;		/* the line parser names the problem */
	n = (int) JB_ROOT_COUNT(lines_arg);
	oms_check_line_count(n, "lines");
	*named = palloc0(sizeof(Jsonb *) * n);
	key.type = jbvString;
	key.val.string.val = "serials";
	key.val.string.len = 7;
	for (j = 0; j < n; j++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(&lines_arg->root, j);
		JsonbValue *v;

		CHECK_FOR_INTERRUPTS();
		if (elem == NULL || elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			continue;
		v = findJsonbValueFromContainer(elem->val.binary.data, JB_FOBJECT, &key);
		if (v == NULL)
			continue;
		(*named)[j] = JsonbValueToJsonb(v);
		any = true;
	}
	if (!any)
	{
		*named = NULL;
		return lines_arg;
	}
	arg[0] = JsonbPGetDatum(lines_arg);
	oms_plan_exec(&plan_lines_unserialed, arg, NULL, true, 1, SPI_OK_SELECT);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "lines vanished");
	return DatumGetJsonbPCopy(d);
}

/*
 * Step: what arrived, per line (lines NULL: everything outstanding), and
 * the serials of each serialized item: one per unit (OM013 otherwise),
 * none twice (22023).
 */
static void
read_arrival(Jsonb *lines_arg, Receipt *rc)
{
	OmsLineInput *in;
	Jsonb	  **named;
	int			nin;
	int			i;
	int			j;

	if (lines_arg == NULL)
	{
		for (i = 0; i < rc->n; i++)
			rc->recv[i] = Max(rc->ordered[i] - rc->received[i], 0);
		check_serials_named(rc);
		return;
	}
	lines_arg = take_serials(lines_arg, &named);
	nin = oms_parse_lines(lines_arg, "lines", false, &in);
	for (j = 0; j < nin; j++)
	{
		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < rc->n; i++)
			if (strcmp(rc->skus[i], in[j].sku) == 0)
				break;
		if (i == rc->n)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
					 errmsg("sku \"%s\" is not on purchase order %s", in[j].sku, rc->po_number)));
		rc->recv[i] = oms_add_qty(rc->recv[i], in[j].qty, "received quantity");
		if (named != NULL && named[j] != NULL)
		{
			char	   *what = psprintf("lines[%d].serials", j);
			OmsSerials *s;

			if (!rc->serialized[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sku \"%s\" is not serialized: %s must not be given", in[j].sku, what)));
			s = oms_serials_from_jsonb(named[j], what);
			if (s->n != in[j].qty)
				ereport(ERROR,
						(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
						 errmsg("%s names %d serials for qty " INT64_FORMAT " of sku \"%s\"", what, s->n, in[j].qty, in[j].sku),
						 errdetail("Every unit of a serialized item that arrives is named by its serial.")));
			rc->serials[i] = rc->serials[i] ? oms_serials_merge(rc->serials[i], s, what) : s;
		}
	}
	check_serials_named(rc);
}

/* Step: over-receipt, at most the tolerance above what was ordered; the total. */
static void
check_over_receipt(Receipt *rc)
{
	int			i;

	rc->total = 0;
	for (i = 0; i < rc->n; i++)
	{
		int64		allowed;
		int64		after;

		if (rc->recv[i] == 0)
			continue;
		allowed = oms_add_qty(rc->ordered[i],
							  (int64) floor((double) rc->ordered[i] * oms_over_receipt_tolerance / 100.0),
							  "allowed quantity");
		after = oms_add_qty(rc->received[i], rc->recv[i], "received quantity");
		if (after > allowed)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
					 errmsg("cannot receive " INT64_FORMAT " units of sku \"%s\" on purchase order %s: only " INT64_FORMAT " more allowed",
							rc->recv[i], rc->skus[i], rc->po_number, Max(allowed - rc->received[i], 0)),
					 errdetail("Ordered " INT64_FORMAT ", received so far " INT64_FORMAT ", over-receipt tolerance %g%%.",
							   rc->ordered[i], rc->received[i], oms_over_receipt_tolerance),
					 errhint("Raise oms.over_receipt_tolerance to accept over-deliveries.")));
		rc->total = oms_add_qty(rc->total, rc->recv[i], "received quantity");
	}
	if (rc->total == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nothing to receive on purchase order %s", rc->po_number),
				 errdetail("Every line is received in full.")));
}

/* Step: the levels of the received items, locked in item order, and their position before. */
static void
lock_received_levels(Receipt *rc)
{
	bool		isnull;
	int			i;

	rc->r_items = palloc(sizeof(int64) * rc->n);
	rc->r_lines = palloc(sizeof(int64) * rc->n);
	rc->r_qty = palloc(sizeof(int64) * rc->n);
	rc->r_incoming = palloc(sizeof(int64) * rc->n);
	rc->r_serials = palloc(sizeof(Datum) * rc->n);
	rc->nrecv = 0;
	for (i = 0; i < rc->n; i++)
	{
		if (rc->recv[i] == 0)
			continue;
		rc->r_items[rc->nrecv] = rc->items[i];
		rc->r_lines[rc->nrecv] = rc->line_ids[i];
		rc->r_qty[rc->nrecv] = rc->recv[i];
		rc->r_serials[rc->nrecv] = rc->serials[i] ?
			oms_serials_datum(rc->serials[i], 0, rc->serials[i]->n) : (Datum) 0;
		/* only what was still outstanding was counted as incoming */
		rc->r_incoming[rc->nrecv] = -Min(rc->recv[i], Max(rc->ordered[i] - rc->received[i], 0));
		rc->nrecv++;
	}
	if (oms_po_levels_lock(rc->nrecv, rc->r_items, rc->location_id, true) != rc->nrecv)
		elog(ERROR, "levels of purchase order %s vanished", rc->po_number);
	rc->rop = palloc(sizeof(int64) * rc->nrecv);
	rc->has_rop = palloc(sizeof(bool) * rc->nrecv);
	rc->pre = palloc(sizeof(int64) * rc->nrecv);
	for (i = 0; i < rc->nrecv; i++)
	{
		rc->pre[i] = oms_add_qty(oms_spi_int64(i, 4, &isnull), oms_spi_int64(i, 5, &isnull), "position");
		rc->rop[i] = oms_spi_int64(i, 6, &isnull);
		rc->has_rop[i] = !isnull;
	}
}

/*
 * Step: receipts through the ledger (its trigger fills backorders), then
 * incoming down and the lines up.  The units only change bucket, so the
 * crossing trigger waits and the position is compared once, after.
 */
static void
book_receipts(const Receipt *rc)
{
	oms_reorder_defer_crossing();
	PG_TRY();
	{
		write_receipts(rc->nrecv, rc->r_items, rc->r_lines, rc->r_qty, rc->r_incoming,
					   rc->r_serials, rc->location_id, rc->reference);
	}
	PG_FINALLY();
	{
		oms_reorder_resume_crossing();
	}
	PG_END_TRY();
}

/* Step: a real crossing of a reorder point (backorders filled from the delivery took the units). */
static void
emit_crossings(const Receipt *rc)
{
	Datum		v[2];
	bool		isnull;
	int64	   *post_on_hand = palloc(sizeof(int64) * rc->nrecv);
	int64	   *post_reserved = palloc(sizeof(int64) * rc->nrecv);
	int64	   *post_available = palloc(sizeof(int64) * rc->nrecv);
	int64	   *post_incoming = palloc(sizeof(int64) * rc->nrecv);
	int			i;

	v[0] = oms_int8_array(rc->nrecv, rc->r_items);
	v[1] = Int64GetDatum(rc->location_id);
	if (oms_plan_exec(&plan_read_levels, v, NULL, false, 0, SPI_OK_SELECT) != rc->nrecv)
		elog(ERROR, "levels of purchase order %s vanished", rc->po_number);
	for (i = 0; i < rc->nrecv; i++)
	{
		post_on_hand[i] = oms_spi_int64(i, 2, &isnull);
		post_reserved[i] = oms_spi_int64(i, 3, &isnull);
		post_available[i] = oms_spi_int64(i, 4, &isnull);
		post_incoming[i] = oms_spi_int64(i, 5, &isnull);
	}
	for (i = 0; i < rc->nrecv; i++)
	{
		int64		post = oms_add_qty(post_available[i], post_incoming[i], "position");

		if (rc->has_rop[i] && rc->pre[i] > rc->rop[i] && post <= rc->rop[i])
			oms_reorder_emit_crossing(rc->r_items[i], rc->location_id, post_on_hand[i],
									  post_reserved[i], post_available[i],
									  post_incoming[i], rc->rop[i]);
	}
}

/* Step: the receipt event, and the derived status (received when every line is). */
static void
finish_receipt(const Receipt *rc)
{
	bool		all_received = true;
	const char *new_status;
	StringInfoData payload;
	int			i;

	for (i = 0; i < rc->n; i++)
		if (rc->received[i] + rc->recv[i] < rc->ordered[i])
			all_received = false;
	new_status = all_received ? "received" : "partially_received";

	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"po_number\": \"%s\", \"location\": %s, \"reference\": %s, \"units\": " INT64_FORMAT ", \"lines\": [",
					 rc->po_number, oms_json_quote(oms_location_code(rc->location_id)),
					 oms_json_quote(rc->reference), rc->total);
	for (i = 0; i < rc->nrecv; i++)
	{
		int			k;

		for (k = 0; k < rc->n; k++)
			if (rc->items[k] == rc->r_items[i])
				break;
		appendStringInfo(&payload, "%s{\"sku\": %s, \"qty\": " INT64_FORMAT "}",
						 i > 0 ? ", " : "", oms_json_quote(rc->skus[k]), rc->r_qty[i]);
	}
	appendStringInfoString(&payload, "]}");
	oms_emit_event_json("purchase_order.receipt", "purchase_order", rc->po_id, payload.data);

	if (strcmp(rc->status, new_status) != 0)
	{
		Datum		v[2];

		v[0] = Int64GetDatum(rc->po_id);
		v[1] = CStringGetTextDatum(new_status);
		oms_plan_exec(&plan_po_set_status, v, NULL, false, 0, SPI_OK_UPDATE);
	}
}

PG_FUNCTION_INFO_V1(oms_receive_purchase_order);

/*
 * receive_purchase_order(po_id, lines, reference): not STRICT; lines NULL
 * receives everything outstanding.  Locks: the purchase order row, then its
 * levels in item order.
 */
Datum
oms_receive_purchase_order(PG_FUNCTION_ARGS)
{
	Jsonb	   *lines_arg = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	char	   *reference = oms_text_arg(fcinfo, 2, "reference", false);
	Receipt		rc;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "receive_purchase_order", 3, 0, oms_receive_purchase_order);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("po_id must not be null")));
	memset(&rc, 0, sizeof(Receipt));
	oms_spi_connect();
	lock_purchase_order(PG_GETARG_INT64(0), reference, &rc);
	read_arrival(lines_arg, &rc);
	check_over_receipt(&rc);
	lock_received_levels(&rc);
	book_receipts(&rc);
	emit_crossings(&rc);
	finish_receipt(&rc);
	oms_spi_finish();
	PG_RETURN_INT64(rc.total);
}
