/*-------------------------------------------------------------------------
 *
 * notifier.h
 *	  Announcing committed events to LISTEN oms_events consumers without a
 *	  NOTIFY in the business transaction (notifier.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_NOTIFIER_H
#define OMS_NOTIFIER_H

#include "postgres.h"

#include "access/xact.h"
#include "utils/guc.h"

/* The channel LISTEN consumers wait on. */
#define OMS_EVENTS_CHANNEL "oms_events"

/* oms.notify_events */
typedef enum OmsNotifyMode
{
	OMS_NOTIFY_OFF = 0,
	OMS_NOTIFY_ON,				/* the notifier when preloaded, else COMMIT */
	OMS_NOTIFY_COMMIT			/* a NOTIFY in each transaction, per event */
} OmsNotifyMode;

extern int	oms_notify_mode;
extern const struct config_enum_entry oms_notify_mode_options[];

/* oms.notifier_idle_timeout, in seconds */
extern int	oms_notifier_idle_timeout_s;

extern void oms_notifier_init(void);

/* An event was written in this transaction: see that LISTENers hear of it. */
extern void oms_announce_event(int64 event_id);

/* From the transaction callback: wake the notifier after a commit. */
extern void oms_notifier_xact_end(XactEvent event);

#endif							/* OMS_NOTIFIER_H */
