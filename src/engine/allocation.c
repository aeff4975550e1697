/*-------------------------------------------------------------------------
 *
 * allocation.c
 *	  The reservation engine: locks an operation's stock levels in the one
 *	  global order (item, then location), releases expired cart holds found
 *	  there, allocates demand across locations by a routing strategy, and
 *	  writes and releases reservations.  Skus and bundles are catalog.c's,
 *	  backorder filling backorder.c's, the cart-hold API api/holds.c's.
 *
 * The level rows of every item an operation touches are locked with one
 * SELECT ... ORDER BY item_id, location_id FOR UPDATE: the lock step sits
 * above the sort, so rows are locked in key order and two operations on
 * overlapping items can only wait for each other, never deadlock.  Under
 * REPEATABLE READ or SERIALIZABLE a level changed by a concurrent commit
 * raises 40001, which the client retries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/ledger.h"

/* Settings (defined by module init, oms.c). */
int			oms_allocation_strategy = OMS_STRATEGY_PRIORITY;
bool		oms_allow_split = true;

const struct config_enum_entry oms_strategy_options[] = {
	{"priority", OMS_STRATEGY_PRIORITY, false},
	{"fewest_shipments", OMS_STRATEGY_FEWEST_SHIPMENTS, false},
	{"nearest", OMS_STRATEGY_NEAREST, false},
	{NULL, 0, false}
};

static int	level_cmp_rank(const void *a, const void *b);
static void fill_greedy(OmsLevel **ranked, int nranked, OmsDemand *d, bool allow_split,
						OmsAlloc *out, int *nout);
static void rank_locations(OmsLevel **ranked, int n, OmsStrategy strategy, const OmsShipTo *to);

/*
 * The last column says whether the level holds an expired cart-hold
 * reservation (the partial index reservation_expiring_idx answers it), so
 * the release below runs only when there is something to release.
 */
static OmsPlan plan_lock = {
	"SELECT v.item_id, v.location_id, v.on_hand, v.reserved, v.safety_stock,"
	" l.priority, l.active, l.region, l.latitude, l.longitude,"
	" EXISTS (SELECT FROM oms.reservation r WHERE r.item_id = v.item_id"
	"  AND r.location_id = v.location_id AND r.state = 'active'"
	"  AND r.expires_at <= pg_catalog.now())"
	" FROM oms.inventory_level v JOIN oms.location l ON l.location_id = v.location_id"
	" WHERE v.item_id = ANY($1) ORDER BY v.item_id, v.location_id FOR UPDATE OF v",
	1, {INT8ARRAYOID}
};
static OmsPlan plan_expire_lazy = {
	"WITH x AS (UPDATE oms.reservation r SET state = 'expired', closed_at = pg_catalog.now()"
	" WHERE r.item_id = ANY($1) AND r.state = 'active' AND r.expires_at <= pg_catalog.now()"
	" RETURNING r.item_id, r.location_id, r.qty)"
	" SELECT item_id, location_id, sum(qty)::bigint FROM x GROUP BY 1, 2",
	1, {INT8ARRAYOID}
};
static OmsPlan plan_flush = {
	"UPDATE oms.inventory_level v SET reserved = v.reserved + d.delta, updated_at = pg_catalog.now()"
	" FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS d(item_id, location_id, delta)"
	" WHERE v.item_id = d.item_id AND v.location_id = d.location_id",
	3, {INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
};
static OmsPlan plan_insert_res = {
	"INSERT INTO oms.reservation (line_id, hold_id, item_id, location_id, qty, expires_at)"
	" SELECT NULLIF(d.line_id, 0), $2, d.item_id, d.location_id, d.qty, $6"
	" FROM unnest($1::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])"
	" AS d(line_id, item_id, location_id, qty)",
	6, {INT8ARRAYOID, INT8OID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TIMESTAMPTZOID}
};
static OmsPlan plan_line_res = {
	"SELECT reservation_id, item_id, location_id, qty FROM oms.reservation"
	" WHERE line_id = $1 AND state = 'active' ORDER BY reservation_id DESC",
	1, {INT8OID}
};
static OmsPlan plan_line_res_at = {
	"SELECT reservation_id, item_id, location_id, qty FROM oms.reservation"
	" WHERE line_id = $1 AND location_id = $2 AND state = 'active' ORDER BY reservation_id DESC",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_hold_res = {
	"SELECT reservation_id, item_id, location_id, qty FROM oms.reservation"
	" WHERE hold_id = $1 AND line_id IS NULL AND state = 'active' ORDER BY reservation_id",
	1, {INT8OID}
};
static OmsPlan plan_res_close = {
	"UPDATE oms.reservation SET state = $2, closed_at = pg_catalog.now() WHERE reservation_id = $1",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_res_reduce = {
	"UPDATE oms.reservation SET qty = qty - $2 WHERE reservation_id = $1",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_hold_items = {
	"SELECT DISTINCT item_id FROM oms.reservation WHERE hold_id = $1 AND state = 'active'",
	1, {INT8OID}
};
static OmsPlan plan_lazy_expired_holds = {
	"UPDATE oms.cart_hold h SET state = 'expired' WHERE h.hold_id IN (SELECT c.hold_id FROM oms.cart_hold c"
	" WHERE c.state = 'active' AND c.expires_at <= pg_catalog.now() AND c.hold_id IN (SELECT r.hold_id"
	" FROM oms.reservation r WHERE r.item_id = ANY($1) AND r.state = 'expired') AND NOT EXISTS (SELECT"
	" FROM oms.reservation a WHERE a.hold_id = c.hold_id AND a.state = 'active') FOR UPDATE SKIP LOCKED)",
	1, {INT8ARRAYOID}
};

/* ----------------------------------------------------------------
 * Routing strategies by name
 * ----------------------------------------------------------------
 */
OmsStrategy
oms_parse_strategy(const char *name)
{
	const struct config_enum_entry *e;

	for (e = oms_strategy_options; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return (OmsStrategy) e->val;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown allocation strategy \"%s\"", name),
			 errhint("Use priority, fewest_shipments or nearest.")));
	return OMS_STRATEGY_PRIORITY;	/* keep compiler quiet */
}

const char *
oms_strategy_name(OmsStrategy s)
{
	return oms_strategy_options[s].name;
}

/* ----------------------------------------------------------------
 * Levels
 * ----------------------------------------------------------------
 */
/*
 * Lock every level row of the given items (any order, duplicates allowed)
 * and release the expired cart holds found on them.  Caller is connected to
 * SPI; the levels are allocated in the caller's (upper) context.
 */
void
oms_levels_lock(int nitems, int64 *item_ids, OmsLevels *out)
{
	Datum		arg[1];
	int			n;
	int			i;
	bool		isnull;
	bool		any_expired = false;

	arg[0] = oms_int8_array(nitems, item_ids);
	n = oms_plan_exec(&plan_lock, arg, NULL, false, 0, SPI_OK_SELECT);

	out->n = n;
	out->expired = 0;
	out->v = SPI_palloc(sizeof(OmsLevel) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		OmsLevel   *l = &out->v[i];
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		Datum		d;

		l->item_id = oms_spi_int64(i, 1, &isnull);
		l->location_id = oms_spi_int64(i, 2, &isnull);
		l->on_hand = oms_spi_int64(i, 3, &isnull);
		l->reserved = oms_spi_int64(i, 4, &isnull);
		l->safety_stock = oms_spi_int64(i, 5, &isnull);
		l->priority = (int32) oms_spi_int64(i, 6, &isnull);
		d = SPI_getbinval(t, td, 7, &isnull);
		l->active = DatumGetBool(d);
		l->region = oms_spi_text(i, 8);
		d = SPI_getbinval(t, td, 9, &isnull);
		l->has_coords = !isnull;
		l->lat = isnull ? 0 : DatumGetFloat8(d);
		d = SPI_getbinval(t, td, 10, &isnull);
		l->lon = isnull ? 0 : DatumGetFloat8(d);
		l->reserved_delta = 0;
		l->rank = 0;
		any_expired |= DatumGetBool(SPI_getbinval(t, td, 11, &isnull));
	}

	/* Expired cart holds stop counting the moment they expire. */
	if (!any_expired)
		return;
	n = oms_plan_exec(&plan_expire_lazy, arg, NULL, false, 0, SPI_OK_SELECT);
	for (i = 0; i < n; i++)
	{
		OmsLevel   *l = oms_level_find(out, oms_spi_int64(i, 1, &isnull),
									   oms_spi_int64(i, 2, &isnull));
		int64		qty = oms_spi_int64(i, 3, &isnull);

		if (l == NULL)
			elog(ERROR, "expired reservation on a level that was not locked");
		l->reserved = oms_sub_qty(l->reserved, qty, "reserved");
		l->reserved_delta = oms_sub_qty(l->reserved_delta, qty, "reserved");
		out->expired = oms_add_qty(out->expired, qty, "expired");
	}
	if (n > 0)
		oms_plan_exec(&plan_lazy_expired_holds, arg, NULL, false, 0, SPI_OK_UPDATE);
}

OmsLevel *
oms_level_find(OmsLevels *ls, int64 item_id, int64 location_id)
{
	int			lo = 0;
	int			hi = ls->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		OmsLevel   *l = &ls->v[mid];

		if (l->item_id == item_id && l->location_id == location_id)
			return l;
		if (l->item_id < item_id || (l->item_id == item_id && l->location_id < location_id))
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int64
oms_level_free(const OmsLevel *l)
{
	int64		f;

	if (!l->active)
		return 0;
	f = l->on_hand - l->reserved - l->safety_stock;
	return f > 0 ? f : 0;
}

int64
oms_item_free(OmsLevels *ls, int64 item_id)
{
	int64		total = 0;
	int			i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i].item_id == item_id)
			total = oms_add_qty(total, oms_level_free(&ls->v[i]), "available");
	return total;
}

/* Write every level whose reserved changed, in one statement. */
void
oms_levels_flush(OmsLevels *ls)
{
	int64	   *items = palloc(sizeof(int64) * Max(ls->n, 1));
	int64	   *locs = palloc(sizeof(int64) * Max(ls->n, 1));
	int64	   *deltas = palloc(sizeof(int64) * Max(ls->n, 1));
	int			n = 0;
	int			i;
	Datum		args[3];

	for (i = 0; i < ls->n; i++)
	{
		if (ls->v[i].reserved_delta == 0)
			continue;
		items[n] = ls->v[i].item_id;
		locs[n] = ls->v[i].location_id;
		deltas[n] = ls->v[i].reserved_delta;
		n++;
		ls->v[i].reserved_delta = 0;
	}
	if (n == 0)
		return;
	args[0] = oms_int8_array(n, items);
	args[1] = oms_int8_array(n, locs);
	args[2] = oms_int8_array(n, deltas);
	oms_plan_exec(&plan_flush, args, NULL, false, 0, SPI_OK_UPDATE);
}

/* ----------------------------------------------------------------
 * Allocation
 * ----------------------------------------------------------------
 */
static int
level_cmp_rank(const void *a, const void *b)
{
	const OmsLevel *x = *(OmsLevel *const *) a;
	const OmsLevel *y = *(OmsLevel *const *) b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if (x->location_id != y->location_id)
		return x->location_id < y->location_id ? -1 : 1;
	return 0;
}

/* Great-circle distance in km. */
static double
distance_km(double lat1, double lon1, double lat2, double lon2)
{
	double		p = M_PI / 180.0;
	double		a = 0.5 - cos((lat2 - lat1) * p) / 2 +
		cos(lat1 * p) * cos(lat2 * p) * (1 - cos((lon2 - lon1) * p)) / 2;

	return 12742.0 * asin(sqrt(a));
}

/*
 * Order candidate levels: by priority (rank 0 for all), or nearest first:
 * by distance when both sides have coordinates, else same region first.
 */
static void
rank_locations(OmsLevel **ranked, int n, OmsStrategy strategy, const OmsShipTo *to)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		OmsLevel   *l = ranked[i];

		l->rank = 0;
		if (strategy == OMS_STRATEGY_NEAREST && to != NULL)
		{
			if (to->has_coords && l->has_coords)
				l->rank = distance_km(to->lat, to->lon, l->lat, l->lon);
			else if (to->region && l->region && strcmp(to->region, l->region) == 0)
				l->rank = 0;
			else
				l->rank = 1e9;
		}
	}
	qsort(ranked, n, sizeof(OmsLevel *), level_cmp_rank);
}

/* Take units for one demand from ranked levels. */
static void
fill_greedy(OmsLevel **ranked, int nranked, OmsDemand *d, bool allow_split,
			OmsAlloc *out, int *nout)
{
	int			i;
	int64		need = d->qty - d->allocated;

	if (need <= 0)
		return;
	if (!allow_split)
	{
		OmsLevel   *best = NULL;

		/* the first location that can fill the whole line, else the fullest */
		for (i = 0; i < nranked; i++)
			if (oms_level_free(ranked[i]) >= need)
			{
				best = ranked[i];
				break;
			}
		if (best == NULL)
			for (i = 0; i < nranked; i++)
				if (oms_level_free(ranked[i]) > 0 &&
					(best == NULL || oms_level_free(ranked[i]) > oms_level_free(best)))
					best = ranked[i];
		if (best == NULL)
			return;
		ranked = &best;
		nranked = 1;
	}
	for (i = 0; i < nranked && need > 0; i++)
	{
		int64		take = Min(need, oms_level_free(ranked[i]));

		if (take <= 0)
			continue;
		ranked[i]->reserved = oms_add_qty(ranked[i]->reserved, take, "reserved");
		ranked[i]->reserved_delta = oms_add_qty(ranked[i]->reserved_delta, take, "reserved");
		d->allocated += take;
		need -= take;
		out[*nout].item_id = d->item_id;
		out[*nout].location_id = ranked[i]->location_id;
		out[*nout].qty = take;
		(*nout)++;
	}
}

/*
 * Allocate every demand (sorted or not) over the locked levels.  Updates
 * reserved in memory and d[].allocated; returns the allocations in *out.
 * Whatever is not allocated is the caller's shortfall.
 */
int
oms_allocate(OmsLevels *ls, int nd, OmsDemand *d, OmsStrategy strategy,
			 bool allow_split, const OmsShipTo *to, OmsAlloc **out)
{
	/* at most one allocation per level */
	OmsAlloc   *allocs = palloc(sizeof(OmsAlloc) * Max(ls->n, 1));
	OmsLevel  **ranked = palloc(sizeof(OmsLevel *) * Max(ls->n, 1));
	int			nallocs = 0;
	int			i;
	int			j;

	if (strategy == OMS_STRATEGY_FEWEST_SHIPMENTS && nd > 0)
	{
		/* One location that can ship everything, best priority first. */
		int64		best_loc = -1;
		int32		best_prio = PG_INT32_MAX;

		for (i = 0; i < ls->n; i++)
		{
			OmsLevel   *cand = &ls->v[i];
			bool		fits = true;

			CHECK_FOR_INTERRUPTS();
			if (!cand->active || cand->priority > best_prio ||
				(cand->priority == best_prio && cand->location_id >= best_loc && best_loc >= 0))
				continue;
			for (j = 0; j < nd && fits; j++)
			{
				OmsLevel   *l = oms_level_find(ls, d[j].item_id, cand->location_id);

				fits = (l != NULL && oms_level_free(l) >= d[j].qty - d[j].allocated);
			}
			if (fits)
			{
				best_loc = cand->location_id;
				best_prio = cand->priority;
			}
		}
		if (best_loc >= 0)
		{
			for (j = 0; j < nd; j++)
			{
				OmsLevel   *l = oms_level_find(ls, d[j].item_id, best_loc);

				ranked[0] = l;
				fill_greedy(ranked, 1, &d[j], true, allocs, &nallocs);
			}
			*out = allocs;
			return nallocs;
		}
	}

	for (j = 0; j < nd; j++)
	{
		int			nr = 0;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < ls->n; i++)
			if (ls->v[i].item_id == d[j].item_id && ls->v[i].active)
				ranked[nr++] = &ls->v[i];
		rank_locations(ranked, nr, strategy, to);
		fill_greedy(ranked, nr, &d[j], allow_split, allocs, &nallocs);
	}
	*out = allocs;
	return nallocs;
}

/* ----------------------------------------------------------------
 * Writing and releasing reservations
 * ----------------------------------------------------------------
 */

/*
 * Insert n reservations: line_ids[i] (or 0 with hold_id), a[i]'s item,
 * location and qty; expires_at 0 for none.  Levels are flushed separately.
 */
void
oms_reservations_insert(int n, const int64 *line_ids, int64 hold_id,
						const OmsAlloc *a, TimestampTz expires_at)
{
	int64	   *lines = palloc0(sizeof(int64) * Max(n, 1));
	int64	   *items = palloc(sizeof(int64) * Max(n, 1));
	int64	   *locs = palloc(sizeof(int64) * Max(n, 1));
	int64	   *qtys = palloc(sizeof(int64) * Max(n, 1));
	Datum		args[6];
	char		nulls[7] = "      ";
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		lines[i] = line_ids ? line_ids[i] : 0;
		items[i] = a[i].item_id;
		locs[i] = a[i].location_id;
		qtys[i] = a[i].qty;
	}
	args[0] = oms_int8_array(n, lines);
	args[1] = Int64GetDatum(hold_id);
	nulls[1] = hold_id > 0 ? ' ' : 'n';
	args[2] = oms_int8_array(n, items);
	args[3] = oms_int8_array(n, locs);
	args[4] = oms_int8_array(n, qtys);
	args[5] = TimestampTzGetDatum(expires_at);
	nulls[5] = expires_at != 0 ? ' ' : 'n';
	oms_plan_exec(&plan_insert_res, args, nulls, false, 0, SPI_OK_INSERT);
}

/* Shrink or close one reservation row and give its units back to its level. */
static void
release_row(OmsLevels *ls, int64 reservation_id, int64 item_id, int64 location_id,
			int64 row_qty, int64 take, const char *state)
{
	OmsLevel   *l = oms_level_find(ls, item_id, location_id);
	Datum		args[2];

	if (l == NULL)
		elog(ERROR, "releasing a reservation on a level that was not locked");
	args[0] = Int64GetDatum(reservation_id);
	if (take >= row_qty)
	{
		args[1] = CStringGetTextDatum(state);
		oms_plan_exec(&plan_res_close, args, NULL, false, 0, SPI_OK_UPDATE);
	}
	else
	{
		args[1] = Int64GetDatum(take);
		oms_plan_exec(&plan_res_reduce, args, NULL, false, 0, SPI_OK_UPDATE);
	}
	l->reserved = oms_sub_qty(l->reserved, take, "reserved");
	l->reserved_delta = oms_sub_qty(l->reserved_delta, take, "reserved");
}

/*
 * Release up to qty units of a line's active reservations at location_id
 * (0: at any location), newest first, closing them with state (released or
 * consumed).  Returns the units released, never more than the line holds.
 * The caller updates the line.
 */
int64
oms_release_line_at(OmsLevels *ls, int64 line_id, int64 location_id, int64 qty,
					const char *state)
{
	Datum		arg[2] = {Int64GetDatum(line_id), Int64GetDatum(location_id)};
	int			n;
	int			i;
	int64		released = 0;
	int64	   *ids;
	int64	   *items;
	int64	   *locs;
	int64	   *qtys;
	bool		isnull;

	n = oms_plan_exec(location_id > 0 ? &plan_line_res_at : &plan_line_res,
					  arg, NULL, false, 0, SPI_OK_SELECT);
	ids = palloc(sizeof(int64) * Max(n, 1));
	items = palloc(sizeof(int64) * Max(n, 1));
	locs = palloc(sizeof(int64) * Max(n, 1));
	qtys = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		ids[i] = oms_spi_int64(i, 1, &isnull);
		items[i] = oms_spi_int64(i, 2, &isnull);
		locs[i] = oms_spi_int64(i, 3, &isnull);
		qtys[i] = oms_spi_int64(i, 4, &isnull);
	}
	for (i = 0; i < n && released < qty; i++)
	{
		int64		take = Min(qty - released, qtys[i]);

		CHECK_FOR_INTERRUPTS();
		release_row(ls, ids[i], items[i], locs[i], qtys[i], take, state);
		released += take;
	}
	return released;
}

/*
 * The distinct items a cart hold still reserves, to lock before its rows are
 * touched.  Returns how many; *items is palloc'd.  Caller is connected to SPI.
 */
int
oms_hold_items(int64 hold_id, int64 **items)
{
	Datum		arg[1] = {Int64GetDatum(hold_id)};
	int			n;
	int			i;
	bool		isnull;

	n = oms_plan_exec(&plan_hold_items, arg, NULL, false, 0, SPI_OK_SELECT);
	*items = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
		(*items)[i] = oms_spi_int64(i, 1, &isnull);
	return n;
}

/*
 * Release every active reservation of a cart hold whose levels the caller
 * locked.  Returns the units; when rows is not NULL, *rows gets what each
 * released reservation held (item, location, qty) and *nrows their count.
 */
int64
oms_release_hold_rows(OmsLevels *ls, int64 hold_id, const char *state,
					  OmsAlloc **rows, int *nrows)
{
	Datum		arg[1] = {Int64GetDatum(hold_id)};
	int			n;
	int			i;
	int64		released = 0;
	bool		isnull;
	int64	   *ids;
	OmsAlloc   *held;

	n = oms_plan_exec(&plan_hold_res, arg, NULL, false, 0, SPI_OK_SELECT);
	ids = palloc(sizeof(int64) * Max(n, 1));
	held = palloc(sizeof(OmsAlloc) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		ids[i] = oms_spi_int64(i, 1, &isnull);
		held[i].item_id = oms_spi_int64(i, 2, &isnull);
		held[i].location_id = oms_spi_int64(i, 3, &isnull);
		held[i].qty = oms_spi_int64(i, 4, &isnull);
	}
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		release_row(ls, ids[i], held[i].item_id, held[i].location_id,
					held[i].qty, held[i].qty, state);
		released = oms_add_qty(released, held[i].qty, "released");
	}
	if (rows != NULL)
	{
		*rows = held;
		*nrows = n;
	}
	return released;
}
