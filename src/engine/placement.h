/*-------------------------------------------------------------------------
 *
 * placement.h
 *	  Placing an order (placement.c): the C entry point behind
 *	  oms.place_order(), for the order API and for exchanges.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_PLACEMENT_H
#define OMS_PLACEMENT_H

#include "postgres.h"

#include "utils/jsonb.h"

/*
 * What oms.place_order(customer, channel, lines, options) does, with the
 * same checks and errors: customer and channel not NULL, options NULL for
 * none.  Connects to SPI itself (with or without an open connection).
 * Sets oms.reason for its own status moves and clears it before it returns;
 * a caller that runs it inside another API call keeps its own with a GUC
 * nest level, as the SQL function's SET clause does.  Returns the order id.
 */
extern int64 oms_place_order_internal(const char *customer, const char *channel,
									  Jsonb *lines, Jsonb *options);

#endif							/* OMS_PLACEMENT_H */
