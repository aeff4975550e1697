/*-------------------------------------------------------------------------
 *
 * orders.h
 *	  What the order API (orders.c) lends to the fulfillment and return code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_ORDERS_H
#define OMS_ORDERS_H

#include "postgres.h"

#include "utils/numeric.h"

/*
 * Set the order's subtotal from its lines again (unit price x units not
 * cancelled; a bundle line carries the price of its components).  Caller is
 * connected to SPI and holds the order row.
 */
extern void oms_order_recompute_subtotal(int64 order_id);

/* 22003 when subtotal + tax + shipping would not fit numeric(14,2). */
extern void oms_check_order_total(Numeric subtotal, Numeric tax, Numeric shipping,
								  const char *number);

#endif							/* OMS_ORDERS_H */
