/*-------------------------------------------------------------------------
 *
 * fulfillment.h
 *	  Shipments (fulfillment.c) as seen by the order and return code.
 *
 * A unit of an order line that sits in an open shipment (pending, picking
 * or packed) is "committed": it stays reserved at the shipment's location
 * until the shipment ships or is cancelled, and cancel or edit may not take
 * it.  Callers hold the order row and the levels of the line's item
 * (reserve.h protocol) and are connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_FULFILLMENT_H
#define OMS_FULFILLMENT_H

#include "postgres.h"

#include "engine/allocation.h"

/* Units of the line in open shipments. */
extern int64 oms_line_committed(int64 line_id);

/*
 * Release up to qty reserved units of the line that no open shipment holds,
 * closing reservations with state.  Returns the units released.
 */
extern int64 oms_release_uncommitted(OmsLevels *ls, int64 line_id, int64 qty,
									 const char *state);

/* Cancel every open shipment of the order; returns how many. */
extern int	oms_cancel_open_shipments(int64 order_id);

/*
 * Derive the order's fulfillment_status from its line quantities
 * (unfulfilled, partially_shipped, shipped, partially_delivered, delivered,
 * partially_returned, returned) and
 * complete (or cancel) the order when nothing is left to deliver.  Returns
 * the fulfillment status (palloc'd).
 */
extern char *oms_fulfillment_refresh(int64 order_id);

#endif							/* OMS_FULFILLMENT_H */
