/*-------------------------------------------------------------------------
 *
 * events.c
 *	  The events outbox: oms_emit_event_json() for engine and API files and the
 *	  SQL function oms.emit_event() for admins.  The consumer side (claim,
 *	  acknowledge, purge) is SQL in src/sql/30_events.sql.
 *
 * An event is written in the transaction of the business step that made
 * it, so it exists exactly when that step committed.  The row is inserted
 * as the owner of the extension's tables: callers need no privilege on the
 * outbox and cannot forge events by writing it directly.  LISTEN
 * oms_events consumers are woken after commit and never for a rollback;
 * notifier.c decides how (oms.notify_events).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "base/oms.h"
#include "engine/events.h"
#include "engine/notifier.h"

static void check_topic(const char *topic);
static Jsonb *parse_payload(const char *json);
static int64 emit_event(const char *topic, const char *entity,
						int64 entity_id, bool has_entity_id, Jsonb *payload);

static OmsPlan plan_insert_event = {
	"INSERT INTO oms.event (topic, entity, entity_id, payload)"
	" VALUES ($1, $2, $3, $4) RETURNING event_id",
	4, {TEXTOID, TEXTOID, INT8OID, JSONBOID}
};

/*
 * A topic is two or more words of [a-z][a-z0-9_]* joined by dots, the same
 * rule as the CHECK on oms.event.topic, checked here to answer with 22023
 * naming the topic.
 */
static void
check_topic(const char *topic)
{
	const char *p = topic;
	int			words = 0;
	bool		ok = true;

	for (;;)
	{
		if (*p < 'a' || *p > 'z')
		{
			ok = false;
			break;
		}
		p++;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		words++;
		if (*p == '\0')
			break;
		if (*p != '.')
		{
			ok = false;
			break;
		}
		p++;
	}
	if (!ok || words < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid event topic \"%s\"", topic),
				 errdetail("A topic is two or more lowercase words joined by dots, such as \"order.confirmed\".")));
}

static Jsonb *
parse_payload(const char *json)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

static int64
emit_event(const char *topic, const char *entity, int64 entity_id,
		   bool has_entity_id, Jsonb *payload)
{
	Datum		v[4];
	char		n[4] = {' ', ' ', ' ', ' '};
	OmsSavedUser saved;
	int64		event_id;
	bool		isnull;

	if (topic == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topic must not be null")));
	check_topic(topic);
	if (payload == NULL)
		payload = parse_payload("{}");
	else if (!JB_ROOT_IS_OBJECT(payload))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payload of event \"%s\" must be a JSON object", topic),
				 errdetail("Got %s.", JsonbToCString(NULL, &payload->root, VARSIZE(payload)))));

	v[0] = CStringGetTextDatum(topic);
	v[1] = entity ? CStringGetTextDatum(entity) : (Datum) 0;
	n[1] = entity ? ' ' : 'n';
	v[2] = Int64GetDatum(entity_id);
	n[2] = has_entity_id ? ' ' : 'n';
	v[3] = JsonbPGetDatum(payload);

	oms_spi_connect();
	oms_become_owner(oms_relation_owner(oms_relid("event")), &saved);
	oms_plan_exec(&plan_insert_event, v, n, false, 0, SPI_OK_INSERT_RETURNING);
	oms_restore_user(&saved);
	event_id = oms_spi_int64(0, 1, &isnull);
	oms_spi_finish();

	oms_announce_event(event_id);

	return event_id;
}

int64
oms_emit_event_json(const char *topic, const char *entity, int64 entity_id,
					const char *payload_json)
{
	return emit_event(topic, entity, entity_id, entity_id != OMS_NO_ENTITY_ID,
					  payload_json ? parse_payload(payload_json) : NULL);
}

PG_FUNCTION_INFO_V1(oms_emit_event_sql);

/*
 * oms.emit_event(topic, entity, entity_id, payload): not STRICT; a NULL
 * topic is refused with 22023, NULL entity and entity_id are stored as
 * NULL, a NULL payload is stored as {}.
 */
Datum
oms_emit_event_sql(PG_FUNCTION_ARGS)
{
	char	   *topic;
	char	   *entity = NULL;
	int64		entity_id = 0;
	Jsonb	   *payload = NULL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topic must not be null")));
	topic = oms_check_text_length(text_to_cstring(PG_GETARG_TEXT_PP(0)), "topic");
	if (!PG_ARGISNULL(1))
		entity = oms_check_text_length(text_to_cstring(PG_GETARG_TEXT_PP(1)), "entity");
	if (!PG_ARGISNULL(2))
		entity_id = PG_GETARG_INT64(2);
	if (!PG_ARGISNULL(3))
		payload = PG_GETARG_JSONB_P(3);

	PG_RETURN_INT64(emit_event(topic, entity, entity_id, !PG_ARGISNULL(2), payload));
}
