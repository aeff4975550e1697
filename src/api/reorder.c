/*-------------------------------------------------------------------------
 *
 * reorder.c
 *	  run_reorder(): every active rule at or below its reorder point becomes
 *	  draft purchase orders.  The crossing trigger is engine/reorder.c.
 *
 * run_reorder() is set-based: one statement reads every active rule with
 * its level, what draft purchase orders already hold, computes the quantity
 * and creates or tops up one draft per supplier and location.  Concurrent
 * runs serialize on a transaction advisory lock; a unique index allows one
 * reorder draft per supplier and location whatever happens.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

#include "base/oms.h"

/*
 * The key of the advisory lock a run holds, (0x6f6d73 "oms", 1), as SQL
 * text: the statement below is built from it, and README.md names it.
 */
#define OMS_REORDER_LOCK_KEYS "7302515, 1"

static OmsPlan plan_lock = {
	"SELECT pg_catalog.pg_advisory_xact_lock(" OMS_REORDER_LOCK_KEYS ")",
	0, {InvalidOid}
};
static OmsPlan plan_lock_drafts = {
	"SELECT po_id FROM oms.purchase_order WHERE status = 'draft' AND origin = 'reorder'"
	" ORDER BY po_id FOR UPDATE",
	0, {InvalidOid}
};
/*
 * The reorder run.  rule: every active, unsnoozed rule at or below its
 * point.  drafts: units of each item already on draft purchase orders at
 * each location.  calc: what the rule asks for (max level: up to it;
 * fixed quantity: the fewest multiples of it that lift the position above
 * the point), less what other drafts hold, then at least the minimum and
 * rounded up to the multiple.  Only lines that grow are written.
 */
static OmsPlan plan_run = {
	"WITH rule AS ("
	"  SELECT r.item_id, r.location_id, r.supplier_id, r.reorder_point, r.reorder_qty,"
	"         r.max_level, r.order_multiple, r.min_order_qty,"
	"         COALESCE(r.lead_time_days, s.lead_time_days) AS lead_time_days,"
	"         COALESCE(v.available, 0) AS available, COALESCE(v.incoming, 0) AS incoming,"
	"         COALESCE(v.available, 0)::numeric + COALESCE(v.incoming, 0) AS position"
	"  FROM oms.reorder_rule r"
	"  JOIN oms.supplier s ON s.supplier_id = r.supplier_id"
	"  LEFT JOIN oms.inventory_level v ON v.item_id = r.item_id AND v.location_id = r.location_id"
	"  WHERE r.active AND (r.snooze_until IS NULL OR r.snooze_until <= CURRENT_DATE)"
	"    AND COALESCE(v.available, 0)::numeric + COALESCE(v.incoming, 0) <= r.reorder_point"
	"), drafts AS ("
	"  SELECT l.item_id, p.location_id, sum(l.qty_ordered) AS qty"
	"  FROM oms.purchase_order p JOIN oms.purchase_order_line l ON l.po_id = p.po_id"
	"  WHERE p.status = 'draft' GROUP BY l.item_id, p.location_id"
	"), calc AS ("
	"  SELECT r.*, d.po_id, d.po_number, COALESCE(cur.qty_ordered, 0) AS qty_before,"
	"         CASE WHEN r.max_level IS NOT NULL"
	"              THEN r.max_level - r.position"
	"              ELSE r.reorder_qty * (pg_catalog.div(r.reorder_point - r.position, r.reorder_qty) + 1)"
	"         END - (COALESCE(dr.qty, 0) - COALESCE(cur.qty_ordered, 0)) AS want"
	"  FROM rule r"
	"  LEFT JOIN oms.purchase_order d ON d.supplier_id = r.supplier_id AND d.location_id = r.location_id"
	"       AND d.status = 'draft' AND d.origin = 'reorder'"
	"  LEFT JOIN oms.purchase_order_line cur ON cur.po_id = d.po_id AND cur.item_id = r.item_id"
	"  LEFT JOIN drafts dr ON dr.item_id = r.item_id AND dr.location_id = r.location_id"
	"), todo AS ("
	"  SELECT c.*, pg_catalog.div(GREATEST(c.want, c.min_order_qty) + c.order_multiple - 1, c.order_multiple)"
	"              * c.order_multiple AS qty"
	"  FROM calc c WHERE c.want > 0"
	"), grow AS ("
	"  SELECT * FROM todo WHERE qty > qty_before"
	"), new_po AS ("
	"  INSERT INTO oms.purchase_order (supplier_id, location_id, origin, expected_on)"
	"  SELECT supplier_id, location_id, 'reorder', CURRENT_DATE + lead_time_days FROM ("
	"    SELECT supplier_id, location_id, max(lead_time_days) AS lead_time_days"
	"    FROM grow WHERE po_id IS NULL GROUP BY supplier_id, location_id OFFSET 0) g"
	"  ORDER BY supplier_id, location_id"
	"  ON CONFLICT (supplier_id, location_id) WHERE status = 'draft' AND origin = 'reorder' DO NOTHING"
	"  RETURNING po_id, po_number, supplier_id, location_id"
	"), up AS ("
	"  INSERT INTO oms.purchase_order_line AS l (po_id, item_id, qty_ordered)"
	"  SELECT COALESCE(g.po_id, n.po_id), g.item_id, g.qty::bigint"
	"  FROM grow g LEFT JOIN new_po n ON n.supplier_id = g.supplier_id AND n.location_id = g.location_id"
	"  ORDER BY 1, 2"
	"  ON CONFLICT (po_id, item_id) DO UPDATE SET qty_ordered = EXCLUDED.qty_ordered"
	"     WHERE l.qty_ordered < EXCLUDED.qty_ordered"
	"  RETURNING l.po_id, l.item_id, l.qty_ordered"
	")"
	" SELECT up.po_id, COALESCE(g.po_number, n.po_number), s.code, c.code, i.sku,"
	"        CASE WHEN g.po_id IS NULL THEN 'created' WHEN g.qty_before = 0 THEN 'added'"
	"             ELSE 'topped_up' END,"
	"        g.qty_before, up.qty_ordered, g.available, g.incoming, g.reorder_point"
	" FROM grow g"
	" LEFT JOIN new_po n ON n.supplier_id = g.supplier_id AND n.location_id = g.location_id"
	" JOIN up ON up.po_id = COALESCE(g.po_id, n.po_id) AND up.item_id = g.item_id"
	" JOIN oms.supplier s ON s.supplier_id = g.supplier_id"
	" JOIN oms.location c ON c.location_id = g.location_id"
	" JOIN oms.item i ON i.item_id = g.item_id"
	" ORDER BY 2, 5",
	0, {InvalidOid}
};

PG_FUNCTION_INFO_V1(oms_run_reorder);

Datum
oms_run_reorder(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	volatile int n = 0;
	int			i;

	InitMaterializedSRF(fcinfo, 0);

	oms_spi_connect();
	/* one run at a time; then every statement below sees the last run's drafts */
	oms_plan_exec(&plan_lock, NULL, NULL, false, 1, SPI_OK_SELECT);
	/* our drafts cannot be submitted under us */
	oms_plan_exec(&plan_lock_drafts, NULL, NULL, false, 0, SPI_OK_SELECT);

	n = oms_plan_exec(&plan_run, NULL, NULL, false, 0, SPI_OK_SELECT);

	for (i = 0; i < n; i++)
	{
		Datum		values[11];
		bool		nulls[11];
		int			c;

		CHECK_FOR_INTERRUPTS();
		for (c = 0; c < 11; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	oms_spi_finish();
	return (Datum) 0;
}
