/*-------------------------------------------------------------------------
 *
 * order.h
 *	  The order model (order.c) shared by the order, fulfillment and
 *	  returns APIs.
 *
 * A unit of an order line that sits in an open shipment (pending, picking
 * or packed) is "committed": it stays reserved at the shipment's location
 * until the shipment ships or is cancelled, and cancel or edit may not take
 * it.  Callers hold the order row and the levels of the line's item
 * (allocation.h protocol) and are connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_ORDER_H
#define OMS_ORDER_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "engine/allocation.h"

/* The order row as read under lock: one read for every API and the payment ledger. */
typedef struct OmsOrder
{
	int64		order_id;
	char	   *number;
	char	   *status;
	char	   *currency;
	Numeric		total;			/* the generated total: subtotal - discount + tax + shipping */
	char	   *service_level;
	char	   *payment_required;
	char	   *payment_status;
	char	   *allocation_strategy;	/* NULL: the setting's */
	Jsonb	   *ship_to;		/* NULL for none */
} OmsOrder;

/*
 * Lock the order row (FOR UPDATE) and read it; OM003 names an unknown
 * order.  Every operation on an order takes this lock first (after its
 * idempotency key), so operations on one order serialize here.  The values
 * live in the memory context that was current before SPI_connect.
 */
extern void oms_order_lock(int64 order_id, OmsOrder *o);

/* Move an order or a shipment to status, recorded with reason (oms.reason). */
extern void oms_order_set_status(int64 order_id, const char *status, const char *reason);
extern void oms_shipment_set_status(int64 shipment_id, const char *status, const char *reason);

/*
 * Set the order's subtotal from its lines again (unit price x units not
 * cancelled; a bundle line carries the price of its components).
 */
extern void oms_order_recompute_subtotal(int64 order_id);

/*
 * 22003 when subtotal + tax + shipping would not fit numeric(14,2); number
 * names the order (NULL while it is being placed).
 */
extern void oms_check_order_total(Numeric subtotal, Numeric tax, Numeric shipping,
								  const char *number);

/*
 * Insert n order lines in one statement (kinds and prices as text and
 * numeric datums, parent line numbers 0 for none).  Returns the rows
 * inserted; SPI_tuptable holds each one's line_id and line_no.
 */
extern int	oms_order_lines_insert(int64 order_id, int n, const int64 *no, const int64 *item,
								   Datum *kind, const int64 *parent_no, const int64 *qty,
								   const int64 *reserved, const int64 *backordered,
								   Datum *price);

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
 * partially_returned, returned) and complete (or cancel) the order when
 * nothing is left to deliver.  Returns the fulfillment status (palloc'd).
 */
extern char *oms_fulfillment_refresh(int64 order_id);

#endif							/* OMS_ORDER_H */
