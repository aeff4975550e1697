/*-------------------------------------------------------------------------
 *
 * purchase_orders.h
 *	  Purchase orders in the engine (purchase_orders.c) as seen by the
 *	  receiving API: open statuses, the level locks and incoming writes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_PURCHASE_ORDERS_H
#define OMS_PURCHASE_ORDERS_H

#include "postgres.h"

/* Whether a purchase order in this status is open (submitted or partially received). */
extern bool oms_po_is_open(const char *status);

/*
 * Lock the levels of n items (in item order) at location_id, creating the
 * missing ones first when create.  Returns the rows locked; SPI_tuptable
 * holds item_id, on_hand, reserved, available, incoming, reorder_point.
 */
extern int	oms_po_levels_lock(int n, const int64 *items, int64 location_id, bool create);

/* Add deltas[i] to incoming of items[i] at location_id (levels locked). */
extern void oms_po_incoming_add(int n, const int64 *items, int64 location_id,
								const int64 *deltas);

#endif							/* OMS_PURCHASE_ORDERS_H */
