/*-------------------------------------------------------------------------
 *
 * events.h
 *	  The events outbox (events.c): what API and engine files call to write
 *	  a business event in the current transaction.
 *
 * An event is a row of oms.event, written as the owner of the extension's
 * tables (callers need no privilege on the outbox); unless
 * oms.notify_events is off, LISTEN oms_events consumers are woken once it
 * commits (notifier.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_EVENTS_H
#define OMS_EVENTS_H

#include "postgres.h"

#include "utils/jsonb.h"

/* entity_id of an event about no particular row (stored as NULL) */
#define OMS_NO_ENTITY_ID PG_INT64_MIN

/*
 * Write one event and return its id.  topic is lowercase dotted words
 * ("order.confirmed"); entity may be NULL and entity_id OMS_NO_ENTITY_ID
 * for none; payload is the text of a JSON object, NULL for {}.  Connects to
 * SPI itself, so it may be called with or without an open SPI connection.
 */
extern int64 oms_emit_event_json(const char *topic, const char *entity,
								 int64 entity_id, const char *payload_json);

#endif							/* OMS_EVENTS_H */
