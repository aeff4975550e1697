/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The catalog of sellable things: resolving an order's skus to items,
 *	  expanding bundles into their components, and summing the demand per
 *	  stocked item that allocation works from.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/catalog.h"

static int	demand_cmp(const void *a, const void *b);

/*
 * One index probe per key, whatever the size of the table: the plans are
 * generic (base/spi_plan.c), and a generic plan of "sku = ANY($1)" scans a small
 * item table whole for every order.  A LATERAL subquery with LIMIT is not
 * flattened into a join, so it stays a probe.
 */
static OmsPlan plan_resolve = {
	"SELECT i.sku, i.item_id, i.backorder_policy, i.is_bundle, i.active"
	" FROM pg_catalog.unnest($1::text[]) AS k(sku),"
	" LATERAL (SELECT * FROM oms.item WHERE item.sku = k.sku LIMIT 1) AS i",
	1, {TEXTARRAYOID}
};
static OmsPlan plan_components = {
	"SELECT c.bundle_id, c.component_id, c.qty, c.backorder_policy"
	" FROM pg_catalog.unnest($1::bigint[]) AS k(bundle_id),"
	" LATERAL (SELECT b.bundle_id, b.component_id, b.qty, i.backorder_policy"
	"  FROM oms.bundle_component b JOIN oms.item i ON i.item_id = b.component_id"
	"  WHERE b.bundle_id = k.bundle_id ORDER BY b.component_id LIMIT 10000) AS c"
	" ORDER BY c.bundle_id, c.component_id",
	1, {INT8ARRAYOID}
};

/* ----------------------------------------------------------------
 * Resolving skus and expanding bundles into demand
 * ----------------------------------------------------------------
 */

/*
 * Resolve each line's sku (OM003 when unknown) and, for bundles, their
 * components.  Caller is connected to SPI; results live in the upper
 * context.
 */
OmsResolved *
oms_resolve_lines(int n, OmsLineInput *in)
{
	OmsResolved *r = SPI_palloc(sizeof(OmsResolved) * n);
	Datum	   *skus = palloc(sizeof(Datum) * n);
	Datum		arg[1];
	int			found;
	int			i;
	int			j;
	int			nbundles = 0;
	int64	   *bundles = palloc(sizeof(int64) * n);
	bool		isnull;

	for (i = 0; i < n; i++)
		skus[i] = CStringGetTextDatum(in[i].sku);
	arg[0] = PointerGetDatum(construct_array(skus, n, TEXTOID, -1, false, TYPALIGN_INT));
	found = oms_plan_exec(&plan_resolve, arg, NULL, true, 0, SPI_OK_SELECT);

	for (i = 0; i < n; i++)
	{
		bool		hit = false;

		memset(&r[i], 0, sizeof(OmsResolved));
		for (j = 0; j < found && !hit; j++)
		{
			char	   *sku = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1);

			if (strcmp(sku, in[i].sku) != 0)
				continue;
			hit = true;
			r[i].item_id = oms_spi_int64(j, 2, &isnull);
			r[i].policy = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 3)[0];
			r[i].is_bundle = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 4, &isnull));
			if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 5, &isnull)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sku \"%s\" is not active", in[i].sku)));
		}
		if (!hit)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
					 errmsg("unknown sku \"%s\"", in[i].sku)));
		if (r[i].is_bundle && !oms_int64_in(bundles, nbundles, r[i].item_id))
			bundles[nbundles++] = r[i].item_id;
	}

	if (nbundles > 0)
	{
		arg[0] = oms_int8_array(nbundles, bundles);
		found = oms_plan_exec(&plan_components, arg, NULL, true, 0, SPI_OK_SELECT);
		for (i = 0; i < n; i++)
		{
			int			k = 0;

			if (!r[i].is_bundle)
				continue;
			r[i].comp_item = SPI_palloc(sizeof(int64) * Max(found, 1));
			r[i].comp_qty = SPI_palloc(sizeof(int64) * Max(found, 1));
			r[i].comp_policy = SPI_palloc(Max(found, 1));
			for (j = 0; j < found; j++)
			{
				if (oms_spi_int64(j, 1, &isnull) != r[i].item_id)
					continue;
				r[i].comp_item[k] = oms_spi_int64(j, 2, &isnull);
				r[i].comp_qty[k] = oms_spi_int64(j, 3, &isnull);
				r[i].comp_policy[k] = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 4)[0];
				k++;
			}
			r[i].ncomp = k;
			if (k == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("bundle \"%s\" has no components", in[i].sku)));
		}
	}
	return r;
}

static int
demand_cmp(const void *a, const void *b)
{
	const OmsDemand *x = a;
	const OmsDemand *y = b;

	return x->item_id < y->item_id ? -1 : (x->item_id > y->item_id ? 1 : 0);
}

/*
 * Sum the demand per stocked item (bundles expanded, quantities checked
 * for overflow), sorted by item_id.  Returns the number of items.
 */
int
oms_demand_of(int n, const OmsLineInput *in, const OmsResolved *r, OmsDemand **out)
{
	int			cap = 0;
	int			nd = 0;
	int			i;
	int			j;
	int			k;
	OmsDemand  *d;

	for (i = 0; i < n; i++)
		cap += r[i].is_bundle ? r[i].ncomp : 1;
	d = palloc0(sizeof(OmsDemand) * Max(cap, 1));
	for (i = 0; i < n; i++)
	{
		int			parts = r[i].is_bundle ? r[i].ncomp : 1;

		for (j = 0; j < parts; j++)
		{
			int64		item = r[i].is_bundle ? r[i].comp_item[j] : r[i].item_id;
			int64		qty = r[i].is_bundle ?
				oms_mul_qty(r[i].comp_qty[j], in[i].qty, "bundle quantity") : in[i].qty;

			for (k = 0; k < nd && d[k].item_id != item; k++)
				;
			if (k == nd)
			{
				d[nd].item_id = item;
				nd++;
			}
			d[k].qty = oms_add_qty(d[k].qty, qty, "demand");
		}
	}
	qsort(d, nd, sizeof(OmsDemand), demand_cmp);
	*out = d;
	return nd;
}

/* The backorder policy ('d'eny, 'a'llow, 'p'reorder) of a resolved item. */
char
oms_demand_policy(const OmsResolved *r, int n, int64 item_id)
{
	int			i;
	int			j;

	for (i = 0; i < n; i++)
	{
		if (!r[i].is_bundle && r[i].item_id == item_id)
			return r[i].policy;
		for (j = 0; r[i].is_bundle && j < r[i].ncomp; j++)
			if (r[i].comp_item[j] == item_id)
				return r[i].comp_policy[j];
	}
	return 'd';
}
