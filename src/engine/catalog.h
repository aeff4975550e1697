/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Skus and bundles (catalog.c): an order's lines resolved to items, and
 *	  the demand per stocked item that allocation (allocation.h) fills.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_CATALOG_H
#define OMS_CATALOG_H

#include "postgres.h"

#include "base/jsonb_input.h"

/* Demand for one item, and what allocation gave it. */
typedef struct OmsDemand
{
	int64		item_id;
	int64		qty;
	int64		allocated;
} OmsDemand;

/* A line's sku resolved; a bundle carries its components. */
typedef struct OmsResolved
{
	int64		item_id;
	char		policy;			/* 'd'eny, 'a'llow, 'p'reorder */
	bool		is_bundle;
	int			ncomp;
	int64	   *comp_item;
	int64	   *comp_qty;
	char	   *comp_policy;
} OmsResolved;

/*
 * Resolve each line's sku (OM003 when unknown) and, for bundles, their
 * components.  Caller is connected to SPI; results live in the upper
 * context.
 */
extern OmsResolved *oms_resolve_lines(int n, OmsLineInput *in);
/* Sum the demand per stocked item, bundles expanded; returns the count. */
extern int	oms_demand_of(int n, const OmsLineInput *in, const OmsResolved *r, OmsDemand **out);
/* The backorder policy that governs item_id among the resolved lines. */
extern char oms_demand_policy(const OmsResolved *r, int n, int64 item_id);

#endif							/* OMS_CATALOG_H */
