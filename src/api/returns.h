/*-------------------------------------------------------------------------
 *
 * returns.h
 *	  Returns, exchanges and their refunds (returns.c): the settings it
 *	  owns (module init, oms.c, defines them).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_RETURNS_H
#define OMS_RETURNS_H

#include "postgres.h"

#include "utils/guc.h"

/* oms.return_window_days: days after delivery a return may be asked for (0: no limit) */
extern int	oms_return_window_days;

/* oms.refund_shipping: none or proportional */
extern int	oms_refund_shipping;

extern const struct config_enum_entry oms_refund_shipping_options[];

#endif							/* OMS_RETURNS_H */
