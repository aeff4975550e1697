/*-------------------------------------------------------------------------
 *
 * reorder.h
 *	  The reorder-point crossing (reorder.c) as seen by purchasing.c.
 *
 * The trigger inventory_level_below_reorder_point writes the event
 * inventory.below_reorder_point when one level update takes available +
 * incoming from above the level's reorder point to at or below it.  An
 * operation that moves units between buckets in several statements (a
 * purchase-order receipt: on_hand up through the ledger, then incoming down)
 * defers the trigger, compares the position before and after itself and
 * reports a real crossing with oms_reorder_emit_crossing().
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_REORDER_H
#define OMS_REORDER_H

#include "postgres.h"

/* Suspend / resume the crossing trigger in this backend (nestable). */
extern void oms_reorder_defer_crossing(void);
extern void oms_reorder_resume_crossing(void);

/*
 * Write the event inventory.below_reorder_point for a level.  Caller is
 * connected to SPI.
 */
extern void oms_reorder_emit_crossing(int64 item_id, int64 location_id,
									  int64 on_hand, int64 reserved,
									  int64 available, int64 incoming,
									  int64 reorder_point);

#endif							/* OMS_REORDER_H */
