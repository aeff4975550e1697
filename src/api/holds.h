/*-------------------------------------------------------------------------
 *
 * holds.h
 *	  Cart holds (holds.c): the setting it owns (module init, oms.c,
 *	  defines it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_HOLDS_H
#define OMS_HOLDS_H

#include "postgres.h"

/* oms.hold_ttl: default time to live of a cart hold, in seconds */
extern int	oms_hold_ttl;

/* The longest a cart hold lasts: the bound of oms.hold_ttl and of hold_stock's ttl. */
#define OMS_HOLD_TTL_MAX_DAYS 7

#endif							/* OMS_HOLDS_H */
