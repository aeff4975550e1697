/*-------------------------------------------------------------------------
 *
 * kpi_capture.c
 *	  The KPI capture of new order lines (issue 14), in C: the statement
 *	  trigger oms.kpi_lines_insert_capture() on oms.order_line writes the
 *	  KPI delta rows of the lines a statement inserted (and, with an
 *	  order's first line, the order's own) into oms.kpi_sales_delta in one
 *	  batched INSERT.
 *
 * place_order inserts its lines in one statement (two with bundles), so
 * this runs once per order on the order path.  It used to be a PL/pgSQL
 * trigger, and callgrind showed about a million instructions per order in
 * it (23% of place_order's), nearly all executor start-up of its two
 * statements: a loop query over the transition table and an INSERT ...
 * SELECT ... UNION ALL computing 23 columns.  Here the measures are
 * computed in C from the transition table and the order row (one saved
 * index lookup per order), and the rows go into the delta table in one
 * multi-row heap insert, as COPY writes them (the table is append-only,
 * with no index or trigger: when a DBA adds one, the rows take one saved
 * INSERT of an array of the table's row type instead, which honours it).
 * Every writer of order lines (the API's place_order and edit_order, a
 * superuser's direct write) goes through here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "base/oms.h"

/* The columns of oms.kpi_sales_delta, in the order of kpi_cols below. */
enum
{
	K_ORDER_ID, K_ITEM_ID, K_IS_COMPONENT, K_PLACED_AT, K_CHANNEL_ID, K_CURRENCY,
	K_COUNTRY, K_REGION, K_ORDERS, K_ORDERS_CANCELLED, K_SUBTOTAL, K_TAX, K_SHIPPING,
	K_TOTAL, K_LINES, K_UNITS_ORDERED, K_UNITS_CANCELLED, K_UNITS_SHIPPED,
	K_UNITS_RETURNED, K_LINE_REVENUE, K_STOCK_UNITS, K_UNITS_FILLED,
	K_UNITS_BACKORDERED, K_NCOLS
};

static const char *const kpi_cols[K_NCOLS] = {
	"order_id", "item_id", "is_component", "placed_at", "channel_id", "currency",
	"country", "region", "orders", "orders_cancelled", "subtotal", "tax", "shipping",
	"total", "lines", "units_ordered", "units_cancelled", "units_shipped",
	"units_returned", "line_revenue", "stock_units", "units_filled",
	"units_backordered"
};

/* What a delta row needs of its order. */
typedef struct KpiOrder
{
	int64		order_id;
	bool		found;
	Datum		placed_at;
	Datum		channel_id;
	bool		channel_null;
	Datum		currency;
	Datum		country;
	bool		country_null;
	Datum		region;
	bool		region_null;
	bool		cancelled;
	Datum		subtotal;
	Datum		tax;
	Datum		shipping;
	Datum		total;
	bool		first_line;		/* the statement inserted its line 1 */
} KpiOrder;

static OmsPlan plan_order = {
	"SELECT placed_at, channel_id, currency::text, ship_to ->> 'country', ship_to ->> 'region',"
	" status = 'cancelled', subtotal, tax, shipping, total"
	" FROM oms.sales_order WHERE order_id = $1",
	1, {INT8OID}
};

/* The batched insert: prepared for the array type of the delta table's row type. */
static SPIPlanPtr plan_insert = NULL;
static Oid	plan_insert_type = InvalidOid;

/*
 * Column numbers of the order line and delta row types, kept until either
 * row type changes (the type cache's tuple descriptor identifier moves
 * with every change of a row type).
 */
static uint64 lcol_ident = 0;
static uint64 kcol_ident = 0;
static int	lcol[11];
static int	kcol[K_NCOLS];

static void load_order(KpiOrder *o);
static bool plain_table(Relation rel, int n, HeapTuple *rows);
static void insert_rows(Relation rel, int n, HeapTuple *rows);

PG_FUNCTION_INFO_V1(oms_kpi_lines_capture);

static void
load_order(KpiOrder *o)
{
	Datum		arg = Int64GetDatum(o->order_id);
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;

	o->found = oms_plan_exec(&plan_order, &arg, NULL, true, 1, SPI_OK_SELECT) == 1;
	if (!o->found)
		return;
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	/* copied out of the statement's context: SPI_copytuple keeps them alive */
	t = SPI_copytuple(t);
	o->placed_at = heap_getattr(t, 1, d, &isnull);
	o->channel_id = heap_getattr(t, 2, d, &o->channel_null);
	o->currency = heap_getattr(t, 3, d, &isnull);
	o->country = heap_getattr(t, 4, d, &o->country_null);
	o->region = heap_getattr(t, 5, d, &o->region_null);
	o->cancelled = DatumGetBool(heap_getattr(t, 6, d, &isnull));
	o->subtotal = heap_getattr(t, 7, d, &isnull);
	o->tax = heap_getattr(t, 8, d, &isnull);
	o->shipping = heap_getattr(t, 9, d, &isnull);
	o->total = heap_getattr(t, 10, d, &isnull);
}

/*
 * Whether the rows can go straight into the table: a plain table with no
 * index, trigger, row security, CHECK constraint or generated column, and
 * no NULL in a NOT NULL column; what the delta table is.  Anything else (a
 * DBA's index, say) takes the SQL path, which honours it.
 */
static bool
plain_table(Relation rel, int n, HeapTuple *rows)
{
	TupleDesc	d = RelationGetDescr(rel);
	int			a;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relhasindex ||
		rel->trigdesc != NULL || rel->rd_rel->relrowsecurity ||
		(d->constr != NULL && (d->constr->num_check > 0 || d->constr->has_generated_stored)))
		return false;
	for (a = 0; a < d->natts; a++)
	{
		if (!TupleDescAttr(d, a)->attnotnull)
			continue;
		for (i = 0; i < n; i++)
			if (heap_attisnull(rows[i], a + 1, d))
				return false;
	}
	return true;
}

/*
 * The delta rows, in one batch: straight into the table as one multi-row
 * heap insert (one WAL record; COPY's path) when it is plain, else through
 * one saved INSERT of an array of its row type.
 */
static void
insert_rows(Relation rel, int n, HeapTuple *rows)
{
	Oid			rowtype = rel->rd_rel->reltype;
	Oid			arraytype;
	Datum	   *values;
	Datum		arg;
	volatile int rc = 0;
	int			i;

	if (pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", RelationGetRelationName(rel))));
	if (plain_table(rel, n, rows))
	{
		TupleTableSlot **slots = palloc(sizeof(TupleTableSlot *) * n);

		for (i = 0; i < n; i++)
		{
			slots[i] = table_slot_create(rel, NULL);
			ExecForceStoreHeapTuple(rows[i], slots[i], false);
		}
		table_multi_insert(rel, slots, n, GetCurrentCommandId(true), 0, NULL);
		for (i = 0; i < n; i++)
			ExecDropSingleTupleTableSlot(slots[i]);
		return;
	}

	arraytype = get_array_type(rowtype);
	if (plan_insert == NULL || plan_insert_type != arraytype)
	{
		SPIPlanPtr	p;

		if (plan_insert != NULL)
			SPI_freeplan(plan_insert);
		plan_insert = NULL;
		p = SPI_prepare("INSERT INTO oms.kpi_sales_delta SELECT * FROM unnest($1)", 1, &arraytype);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for the KPI capture: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed for the KPI capture");
		plan_insert = p;
		plan_insert_type = arraytype;
	}
	values = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		values[i] = HeapTupleGetDatum(rows[i]);
	arg = PointerGetDatum(construct_array(values, n, rowtype, -1, false, TYPALIGN_DOUBLE));
	oms_engine_enter();
	PG_TRY();
	{
		rc = SPI_execute_plan(plan_insert, &arg, NULL, false, 0);
	}
	PG_FINALLY();
	{
		oms_engine_leave();
	}
	PG_END_TRY();
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan returned %s for the KPI capture", SPI_result_code_string(rc));
}

/* The delta rows of one statement, and the orders they belong to. */
typedef struct KpiBatch
{
	TupleDesc	kd;				/* oms.kpi_sales_delta's */
	KpiOrder   *orders;
	int			norders;
	int			orders_cap;
	HeapTuple  *rows;
	int			nrows;
	int			rows_cap;
} KpiBatch;

static const char *const line_cols[11] = {
	"order_id", "line_no", "item_id", "kind", "qty_ordered", "qty_cancelled",
	"qty_shipped", "qty_returned", "unit_price", "qty_reserved", "qty_backordered"
};

/* Column numbers of the order line's row type, looked up again when it changes. */
static void
map_line_columns(Relation lrel)
{
	TypeCacheEntry *ltc = lookup_type_cache(lrel->rd_rel->reltype, TYPECACHE_TUPDESC);
	int			i;

	if (ltc->tupDesc_identifier == lcol_ident)
		return;
	for (i = 0; i < 11; i++)
	{
		lcol[i] = SPI_fnumber(RelationGetDescr(lrel), line_cols[i]);
		if (lcol[i] <= 0)
			elog(ERROR, "oms.order_line has no column \"%s\"", line_cols[i]);
	}
	lcol_ident = ltc->tupDesc_identifier;
}

/* Column numbers of the delta row type, looked up again when it changes. */
static void
map_delta_columns(Relation krel)
{
	TypeCacheEntry *ktc = lookup_type_cache(krel->rd_rel->reltype, TYPECACHE_TUPDESC);
	TupleDesc	kd = RelationGetDescr(krel);
	int			i;

	if (kd->natts != K_NCOLS)
		elog(ERROR, "oms.kpi_sales_delta does not have the %d columns of its definition", K_NCOLS);
	if (ktc->tupDesc_identifier == kcol_ident)
		return;
	for (i = 0; i < K_NCOLS; i++)
	{
		kcol[i] = SPI_fnumber(kd, kpi_cols[i]);
		if (kcol[i] <= 0)
			elog(ERROR, "oms.kpi_sales_delta has no column \"%s\"", kpi_cols[i]);
	}
	kcol_ident = ktc->tupDesc_identifier;
}

/* The order of a line, read once per statement. */
static KpiOrder *
order_of(KpiBatch *b, int64 order_id)
{
	KpiOrder   *o;
	int			i;

	for (i = 0; i < b->norders; i++)
		if (b->orders[i].order_id == order_id)
			return &b->orders[i];
	if (b->norders == b->orders_cap)
	{
		b->orders_cap *= 2;
		b->orders = repalloc(b->orders, sizeof(KpiOrder) * b->orders_cap);
	}
	o = &b->orders[b->norders++];
	memset(o, 0, sizeof(KpiOrder));
	o->order_id = order_id;
	load_order(o);
	return o;
}

/* The columns every delta row takes from its order: when, where and in what currency. */
static void
set_order_columns(const KpiOrder *o, Datum *v, bool *nul)
{
	memset(nul, false, sizeof(bool) * K_NCOLS);
	v[K_ORDER_ID] = Int64GetDatum(o->order_id);
	v[K_PLACED_AT] = o->placed_at;
	v[K_CHANNEL_ID] = o->channel_id;
	nul[K_CHANNEL_ID] = o->channel_null;
	v[K_CURRENCY] = o->currency;
	v[K_COUNTRY] = o->country;
	nul[K_COUNTRY] = o->country_null;
	v[K_REGION] = o->region;
	nul[K_REGION] = o->region_null;
}

/* Form a delta row from values in kpi_cols order and add it to the batch. */
static void
add_row(KpiBatch *b, const Datum *v, const bool *nul)
{
	Datum		cv[K_NCOLS];
	bool		cn[K_NCOLS];
	int			c;

	if (b->nrows == b->rows_cap)
	{
		b->rows_cap *= 2;
		b->rows = repalloc(b->rows, sizeof(HeapTuple) * b->rows_cap);
	}
	for (c = 0; c < K_NCOLS; c++)
	{
		cv[kcol[c] - 1] = v[c];
		cn[kcol[c] - 1] = nul[c];
	}
	b->rows[b->nrows++] = heap_form_tuple(b->kd, cv, cn);
}

/*
 * One new line's delta row: its units and revenue, and the fill at
 * placement (what it reserved or shipped, and backordered, when written).
 */
static void
add_line_row(KpiBatch *b, TupleTableSlot *slot)
{
	Datum		v[K_NCOLS];
	bool		nul[K_NCOLS];
	bool		isnull;
	int64		order_id = DatumGetInt64(slot_getattr(slot, lcol[0], &isnull));
	int32		line_no = DatumGetInt32(slot_getattr(slot, lcol[1], &isnull));
	char	   *kind = TextDatumGetCString(slot_getattr(slot, lcol[3], &isnull));
	bool		component = strcmp(kind, "component") == 0;
	bool		bundle = strcmp(kind, "bundle") == 0;
	int64		ordered = DatumGetInt64(slot_getattr(slot, lcol[4], &isnull));
	int64		cancelled = DatumGetInt64(slot_getattr(slot, lcol[5], &isnull));
	Datum		price = slot_getattr(slot, lcol[8], &isnull);
	int64		reserved = DatumGetInt64(slot_getattr(slot, lcol[9], &isnull));
	int64		shipped = DatumGetInt64(slot_getattr(slot, lcol[6], &isnull));
	int64		open;
	int64		filled;
	KpiOrder   *o = order_of(b, order_id);

	if (!o->found)
		return;
	if (line_no == 1)
		o->first_line = true;
	open = oms_sub_qty(ordered, cancelled, "open units of an order line");
	filled = oms_add_qty(reserved, shipped, "filled units of an order line");

	set_order_columns(o, v, nul);
	v[K_ITEM_ID] = slot_getattr(slot, lcol[2], &isnull);
	v[K_IS_COMPONENT] = BoolGetDatum(component);
	v[K_ORDERS] = Int32GetDatum(0);
	v[K_ORDERS_CANCELLED] = Int32GetDatum(0);
	v[K_SUBTOTAL] = v[K_TAX] = v[K_SHIPPING] = v[K_TOTAL] = NumericGetDatum(int64_to_numeric(0));
	v[K_LINES] = Int32GetDatum(1);
	v[K_UNITS_ORDERED] = Int64GetDatum(ordered);
	v[K_UNITS_CANCELLED] = Int64GetDatum(cancelled);
	v[K_UNITS_SHIPPED] = Int64GetDatum(shipped);
	v[K_UNITS_RETURNED] = slot_getattr(slot, lcol[7], &isnull);
	v[K_LINE_REVENUE] = component ? NumericGetDatum(int64_to_numeric(0))
		: NumericGetDatum(numeric_mul_opt_error(DatumGetNumeric(price), int64_to_numeric(open), NULL));
	v[K_STOCK_UNITS] = Int64GetDatum(bundle ? 0 : ordered);
	v[K_UNITS_FILLED] = Int64GetDatum(bundle ? 0 : filled);
	v[K_UNITS_BACKORDERED] = bundle ? Int64GetDatum(0) : slot_getattr(slot, lcol[10], &isnull);
	add_row(b, v, nul);
}

/* An order's own delta row, with its first line: its count and money (none when cancelled). */
static void
add_order_row(KpiBatch *b, const KpiOrder *o)
{
	Datum		v[K_NCOLS];
	bool		nul[K_NCOLS];
	Datum		zero = NumericGetDatum(int64_to_numeric(0));

	set_order_columns(o, v, nul);
	v[K_ITEM_ID] = (Datum) 0;
	nul[K_ITEM_ID] = true;
	v[K_IS_COMPONENT] = BoolGetDatum(false);
	v[K_ORDERS] = Int32GetDatum(1);
	v[K_ORDERS_CANCELLED] = Int32GetDatum(o->cancelled ? 1 : 0);
	v[K_SUBTOTAL] = o->cancelled ? zero : o->subtotal;
	v[K_TAX] = o->cancelled ? zero : o->tax;
	v[K_SHIPPING] = o->cancelled ? zero : o->shipping;
	v[K_TOTAL] = o->cancelled ? zero : o->total;
	v[K_LINES] = Int32GetDatum(0);
	v[K_UNITS_ORDERED] = v[K_UNITS_CANCELLED] = v[K_UNITS_SHIPPED] = v[K_UNITS_RETURNED] = Int64GetDatum(0);
	v[K_LINE_REVENUE] = zero;
	v[K_STOCK_UNITS] = v[K_UNITS_FILLED] = v[K_UNITS_BACKORDERED] = Int64GetDatum(0);
	add_row(b, v, nul);
}

/*
 * AFTER INSERT ON oms.order_line FOR EACH STATEMENT, REFERENCING NEW TABLE:
 * one delta row per new line and one per order whose line 1 is among them.
 * Lines of an order that no longer exists are skipped (nothing to bucket
 * them under).
 */
Datum
oms_kpi_lines_capture(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Tuplestorestate *ts;
	TupleTableSlot *slot;
	Relation	krel;
	KpiBatch	b;
	int			i;
	int			ptr;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_kpi_lines_capture: not called by trigger manager");
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event) || td->tg_newtable == NULL)
		elog(ERROR, "oms_kpi_lines_capture: must be fired AFTER INSERT FOR EACH STATEMENT REFERENCING NEW TABLE");

	map_line_columns(td->tg_relation);
	oms_spi_connect();
	krel = table_open(oms_relid("kpi_sales_delta"), RowExclusiveLock);
	map_delta_columns(krel);

	memset(&b, 0, sizeof(b));
	b.kd = RelationGetDescr(krel);
	b.orders_cap = 4;
	b.orders = palloc(sizeof(KpiOrder) * b.orders_cap);
	b.rows_cap = 16;
	b.rows = palloc(sizeof(HeapTuple) * b.rows_cap);

	/* the lines, through a read pointer of our own on the transition table */
	ts = td->tg_newtable;
	slot = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		CHECK_FOR_INTERRUPTS();
		add_line_row(&b, slot);
	}
	ExecDropSingleTupleTableSlot(slot);

	for (i = 0; i < b.norders; i++)
		if (b.orders[i].found && b.orders[i].first_line)
			add_order_row(&b, &b.orders[i]);

	if (b.nrows > 0)
		insert_rows(krel, b.nrows, b.rows);
	table_close(krel, NoLock);
	oms_spi_finish();
	return PointerGetDatum(NULL);
}
