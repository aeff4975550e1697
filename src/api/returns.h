/*-------------------------------------------------------------------------
 *
 * returns.h
 *	  Returns, exchanges and their refunds (returns.c): the settings it
 *	  defines at load time.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_RETURNS_H
#define OMS_RETURNS_H

#include "postgres.h"

/* oms.return_window_days: days after delivery a return may be asked for (0: no limit) */
extern int	oms_return_window_days;

/* oms.refund_shipping: none or proportional */
extern int	oms_refund_shipping;

extern void oms_returns_define_gucs(void);

#endif							/* OMS_RETURNS_H */
