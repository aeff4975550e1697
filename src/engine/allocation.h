/*-------------------------------------------------------------------------
 *
 * allocation.h
 *	  The reservation engine (allocation.c): locking an order's stock levels in
 *	  the global order, allocating demand across locations, writing and
 *	  releasing reservations.
 *
 * Protocol for every caller:
 *	 1. oms_levels_lock() the items involved (it locks every level row of
 *		those items, ordered by item then location, and releases expired
 *		cart holds found there);
 *	 2. read or write order lines and reservations of those items only now;
 *	 3. oms_allocate() / oms_release_*() change reserved in memory;
 *	 4. oms_levels_flush() writes the changed levels.
 * A reservation row or a line's reserved quantity is written only while its
 * level is locked, so nothing deadlocks and nothing is released twice.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_ALLOCATION_H
#define OMS_ALLOCATION_H

#include "postgres.h"

#include "utils/guc.h"
#include "utils/timestamp.h"

#include "engine/catalog.h"

typedef enum OmsStrategy
{
	OMS_STRATEGY_PRIORITY,
	OMS_STRATEGY_FEWEST_SHIPMENTS,
	OMS_STRATEGY_NEAREST
} OmsStrategy;

typedef struct OmsLevel
{
	int64		item_id;
	int64		location_id;
	int64		on_hand;
	int64		reserved;
	int64		safety_stock;
	int64		reserved_delta; /* not yet written */
	int32		priority;
	bool		active;
	bool		has_coords;
	double		lat;
	double		lon;
	char	   *region;
	double		rank;			/* scratch: routing rank */
} OmsLevel;

typedef struct OmsLevels
{
	int			n;
	OmsLevel   *v;				/* sorted by item_id, location_id */
	int64		expired;		/* units of expired cart holds released on lock */
} OmsLevels;

typedef struct OmsShipTo
{
	char	   *region;
	bool		has_coords;
	double		lat;
	double		lon;
} OmsShipTo;

typedef struct OmsAlloc
{
	int64		item_id;
	int64		location_id;
	int64		qty;
} OmsAlloc;

extern int	oms_allocation_strategy;
extern bool oms_allow_split;
/* The names of the routing strategies (oms.allocation_strategy). */
extern const struct config_enum_entry oms_strategy_options[];
extern OmsStrategy oms_parse_strategy(const char *name);
extern const char *oms_strategy_name(OmsStrategy s);


extern void oms_levels_lock(int nitems, int64 *item_ids, OmsLevels *out);
extern OmsLevel *oms_level_find(OmsLevels *ls, int64 item_id, int64 location_id);
extern int64 oms_level_free(const OmsLevel *l);
extern int64 oms_item_free(OmsLevels *ls, int64 item_id);
extern int	oms_allocate(OmsLevels *ls, int nd, OmsDemand *d, OmsStrategy strategy,
						 bool allow_split, const OmsShipTo *to, OmsAlloc **out);
extern void oms_levels_flush(OmsLevels *ls);
extern void oms_reservations_insert(int n, const int64 *line_ids, int64 hold_id,
									const OmsAlloc *a, TimestampTz expires_at);
extern int64 oms_release_line_at(OmsLevels *ls, int64 line_id, int64 location_id,
								 int64 qty, const char *state);
extern int	oms_hold_items(int64 hold_id, int64 **items);
extern int64 oms_release_hold_rows(OmsLevels *ls, int64 hold_id, const char *state,
								   OmsAlloc **rows, int *nrows);

#endif							/* OMS_ALLOCATION_H */
