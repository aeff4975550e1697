/*-------------------------------------------------------------------------
 *
 * payment_ledger.c
 *	  The payment ledger: one door that records a payment,
 *	  oms_payment_record() (api/payments.c and api/returns.c call it), the
 *	  derived payment_status of an order, the refundable balance, the
 *	  shipping gate on payment_status, and the triggers that keep the ledger
 *	  append-only and payment_status in the engine's hands.
 *
 * Every payment call claims its idempotency key first, then locks the order
 * row (SELECT ... FOR UPDATE), and only then reads the ledger sums: two
 * calls on one order serialize on the row and the second sees what the
 * first wrote.  Every call also rewrites the order's payment_status, even
 * when it stays the same, so that a REPEATABLE READ transaction whose
 * snapshot predates another payment of the order fails with 40001 instead
 * of deciding on sums it cannot see.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/events.h"
#include "engine/idempotency.h"
#include "engine/order.h"
#include "engine/payment_ledger.h"

/* The ledger sums of one order, indexed by PaymentKind. */
typedef enum PaymentKind
{
	PK_AUTHORIZATION,
	PK_CAPTURE,
	PK_REFUND,
	PK_VOID,
	PK_COUNT
} PaymentKind;

static const char *const kind_names[PK_COUNT] = {"authorization", "capture", "refund", "void"};
static const char *const kind_topics[PK_COUNT] = {
	"payment.authorized", "payment.captured", "refund.issued", "payment.voided"
};

static PaymentKind parse_kind(const char *kind);
static Numeric checked_amount(Numeric amount);
static void check_currency(const char *currency);
static int	ncmp(Numeric a, Numeric b);
static Numeric nadd(Numeric a, Numeric b);
static Numeric nsub(Numeric a, Numeric b);
static char *ntext(Numeric n);
static void read_sums(int64 order_id, Numeric *sums);
static int64 insert_payment(int64 order_id, PaymentKind kind, Numeric amount,
							const char *currency, const char *provider,
							const char *provider_ref, int64 parent_id,
							const char *reason, const char *idem_key);
static void emit_payment_event(int64 order_id, const char *order_number, int64 payment_id,
							   PaymentKind kind, const char *amount, const char *currency,
							   const char *provider, const char *provider_ref,
							   const char *reason, const char *status);

static OmsPlan plan_sums = {
	"SELECT COALESCE(sum(amount) FILTER (WHERE kind = 'authorization'), 0),"
	" COALESCE(sum(amount) FILTER (WHERE kind = 'capture'), 0),"
	" COALESCE(sum(amount) FILTER (WHERE kind = 'refund'), 0),"
	" COALESCE(sum(amount) FILTER (WHERE kind = 'void'), 0)"
	" FROM oms.payment WHERE order_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_insert = {
	"INSERT INTO oms.payment (order_id, kind, amount, currency, provider, provider_ref,"
	" parent_payment_id, reason, idempotency_key)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING payment_id",
	9, {INT8OID, TEXTOID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID, TEXTOID}
};
static OmsPlan plan_set_status = {
	"UPDATE oms.sales_order SET payment_status = $2 WHERE order_id = $1",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_refundable = {
	"SELECT pg_catalog.round(COALESCE(sum(p.amount) FILTER (WHERE p.kind = 'capture'), 0)"
	" - COALESCE(sum(p.amount) FILTER (WHERE p.kind = 'refund'), 0), 2)"
	" FROM oms.sales_order o LEFT JOIN oms.payment p ON p.order_id = o.order_id"
	" WHERE o.order_id = $1 GROUP BY o.order_id",
	1, {INT8OID}
};

/* ----------------------------------------------------------------
 * Helpers
 * ----------------------------------------------------------------
 */
static PaymentKind
parse_kind(const char *kind)
{
	int			k;

	for (k = 0; k < PK_COUNT; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			return (PaymentKind) k;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("payment kind must be one of authorization, capture, refund, void, got \"%s\"", kind)));
	return PK_COUNT;			/* keep compiler quiet */
}

static int
ncmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
nadd(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
nsub(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(a), NumericGetDatum(b)));
}

/* An amount as text with two decimals, as the ledger stores it. */
static char *
ntext(Numeric n)
{
	Datum		m = DirectFunctionCall2(numeric_round, NumericGetDatum(n), Int32GetDatum(2));

	return DatumGetCString(DirectFunctionCall1(numeric_out, m));
}

/*
 * A money amount: not NULL, a finite number > 0 with at most two decimal
 * places that fits numeric(14,2).  Returned with scale 2, so 10 and 10.00
 * are the same argument.
 */
static Numeric
checked_amount(Numeric amount)
{
	Datum		rounded;
	char	   *text;

	if (amount == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must not be null")));
	text = oms_short_text(DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(amount))));
	if (numeric_is_nan(amount) || ncmp(amount, int64_to_numeric(0)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be greater than zero, got %s", text)));
	if (numeric_is_inf(amount) || ncmp(amount, int64_to_numeric(INT64CONST(1000000000000))) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("amount %s is out of range", text),
				 errdetail("Amounts are numeric(14,2): at most 999999999999.99.")));
	rounded = DirectFunctionCall2(numeric_round, NumericGetDatum(amount), Int32GetDatum(2));
	if (ncmp(amount, DatumGetNumeric(rounded)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must have at most two decimal places, got %s", text)));
	return DatumGetNumeric(rounded);
}

static void
check_currency(const char *currency)
{
	if (strlen(currency) != 3 ||
		currency[0] < 'A' || currency[0] > 'Z' ||
		currency[1] < 'A' || currency[1] > 'Z' ||
		currency[2] < 'A' || currency[2] > 'Z')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("currency must be an ISO 4217 code such as \"USD\", got \"%s\"", currency)));
}

/*
 * The ledger sums of an order in the current command's snapshot.  Caller is
 * connected to SPI; the values live in the SPI procedure context.
 */
static void
read_sums(int64 order_id, Numeric *sums)
{
	Datum		args[1] = {Int64GetDatum(order_id)};
	bool		isnull;
	int			k;

	if (oms_plan_exec(&plan_sums, args, NULL, false, 1, SPI_OK_SELECT) != 1)
		elog(ERROR, "payment sums of order " INT64_FORMAT " returned no row", order_id);
	for (k = 0; k < PK_COUNT; k++)
		sums[k] = DatumGetNumeric(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
												k + 1, &isnull));
}

/* One ledger row, written by the engine. */
static int64
insert_payment(int64 order_id, PaymentKind kind, Numeric amount, const char *currency,
			   const char *provider, const char *provider_ref, int64 parent_id,
			   const char *reason, const char *idem_key)
{
	Datum		v[9];
	char		n[9];
	bool		isnull;
	int64		payment_id;

	memset(n, ' ', sizeof(n));
	v[0] = Int64GetDatum(order_id);
	v[1] = CStringGetTextDatum(kind_names[kind]);
	v[2] = NumericGetDatum(amount);
	v[3] = CStringGetTextDatum(currency);
	v[4] = provider ? CStringGetTextDatum(provider) : (Datum) 0;
	n[4] = provider ? ' ' : 'n';
	v[5] = provider_ref ? CStringGetTextDatum(provider_ref) : (Datum) 0;
	n[5] = provider_ref ? ' ' : 'n';
	v[6] = Int64GetDatum(parent_id);
	n[6] = parent_id > 0 ? ' ' : 'n';
	v[7] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	n[7] = reason ? ' ' : 'n';
	v[8] = idem_key ? CStringGetTextDatum(idem_key) : (Datum) 0;
	n[8] = idem_key ? ' ' : 'n';

	oms_plan_exec(&plan_insert, v, n, false, 0, SPI_OK_INSERT_RETURNING);
	payment_id = oms_spi_int64(0, 1, &isnull);
	return payment_id;
}

static void
emit_payment_event(int64 order_id, const char *order_number, int64 payment_id,
				   PaymentKind kind, const char *amount, const char *currency,
				   const char *provider, const char *provider_ref,
				   const char *reason, const char *status)
{
	oms_emit_event_json(kind_topics[kind], "order", order_id,
						psprintf("{\"payment_id\": " INT64_FORMAT ", \"order_number\": %s,"
								 " \"kind\": \"%s\", \"amount\": \"%s\", \"currency\": \"%s\","
								 " \"provider\": %s, \"provider_ref\": %s, \"reason\": %s,"
								 " \"payment_status\": \"%s\"}",
								 payment_id, oms_json_quote(order_number),
								 kind_names[kind], amount, currency,
								 oms_json_quote(provider), oms_json_quote(provider_ref),
								 oms_json_quote(reason), status));
}

/* ----------------------------------------------------------------
 * The derived status and the shipping gate
 * ----------------------------------------------------------------
 */
const char *
oms_payment_status_for(Numeric total, Numeric authorized, Numeric captured,
					   Numeric refunded, Numeric voided)
{
	Numeric		zero = int64_to_numeric(0);

	if (ncmp(captured, zero) <= 0)
	{
		if (ncmp(authorized, zero) <= 0)
			return "unpaid";
		if (ncmp(voided, authorized) >= 0)
			return "voided";
		return "authorized";
	}
	if (ncmp(refunded, captured) >= 0)
		return "refunded";
	if (ncmp(refunded, zero) > 0)
		return "partially_refunded";
	if (ncmp(captured, total) >= 0)
		return "paid";
	return "partially_paid";
}

bool
oms_payment_satisfies(const char *payment_required, const char *payment_status)
{
	static const char *const after_authorized[] = {
		"authorized", "partially_paid", "paid", "partially_refunded", NULL
	};
	static const char *const after_captured[] = {"paid", "partially_refunded", NULL};
	const char *const *ok;

	if (payment_required == NULL)
		return false;
	if (strcmp(payment_required, "none") == 0)
		return true;
	if (payment_status == NULL)
		return false;
	if (strcmp(payment_required, "authorized") == 0)
		ok = after_authorized;
	else if (strcmp(payment_required, "captured") == 0)
		ok = after_captured;
	else
		return false;
	for (; *ok; ok++)
		if (strcmp(*ok, payment_status) == 0)
			return true;
	return false;
}

/* ----------------------------------------------------------------
 * Recording a payment, as named steps over one PaymentCall
 * ----------------------------------------------------------------
 */

/*
 * One oms_payment_record() call: its arguments, checked; the order and its
 * ledger sums, read under the order lock; what it writes.
 */
typedef struct PaymentCall
{
	/* the call */
	int64		order_id;
	PaymentKind kind;
	Numeric		amount;
	char	   *amount_text;
	const char *currency;		/* the order's, once it is locked */
	const char *provider;
	const char *provider_ref;
	const char *reason;
	const char *idem_key;
	/* the order and its ledger, under the lock */
	char	   *order_number;
	Numeric		total;
	Numeric		sums[PK_COUNT];
	/* what is written */
	bool		direct_sale;	/* a capture without any authorization */
	int64		auth_id;		/* the authorization of a direct sale */
	int64		payment_id;
	const char *status;
} PaymentCall;

/* Step: validate every argument before touching any table. */
static void
check_payment_call(PaymentCall *pc, int64 order_id, const char *kind_name, Numeric amount,
				   const char *currency, const char *provider,
				   const char *provider_ref, const char *reason,
				   const char *idem_key)
{
	memset(pc, 0, sizeof(PaymentCall));
	if (kind_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kind must not be null")));
	pc->kind = parse_kind(kind_name);
	pc->amount = checked_amount(amount);
	pc->amount_text = ntext(pc->amount);
	if (currency != NULL)
		check_currency(currency);
	if (idem_key != NULL && idem_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("idempotency_key must not be empty"),
				 errhint("Pass NULL for a call without a key.")));
	pc->order_id = order_id;
	pc->currency = currency;
	pc->provider = provider;
	pc->provider_ref = provider_ref;
	pc->reason = reason;
	pc->idem_key = idem_key;
}

/*
 * Step 1: the idempotency key: claim it, or answer with the first result
 * (returns true and sets *first).
 */
static bool
claim_payment_key(const PaymentCall *pc, int64 *first)
{
	OmsIdemOutcome claim;
	char	   *request;

	if (pc->idem_key == NULL)
		return false;
	request = psprintf("{\"order_id\": " INT64_FORMAT ", \"kind\": \"%s\", \"amount\": \"%s\","
					   " \"currency\": %s, \"provider\": %s, \"provider_ref\": %s, \"reason\": %s}",
					   pc->order_id, kind_names[pc->kind], pc->amount_text, oms_json_quote(pc->currency),
					   oms_json_quote(pc->provider), oms_json_quote(pc->provider_ref),
					   oms_json_quote(pc->reason));
	claim = oms_idem_claim("payment", pc->idem_key, request, "payment_id", first);
	if (claim == OMS_IDEM_CONFLICT)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_IDEMPOTENCY_CONFLICT),
				 errmsg("idempotency key \"%s\" was already used with different arguments", pc->idem_key),
				 errdetail("The first call recorded payment " INT64_FORMAT ".", *first),
				 errhint("Use a new key for a new payment.")));
	return claim == OMS_IDEM_REPLAY;
}

/* Step 2: the order row, locked: payments of one order serialize here. */
static void
lock_payment_order(PaymentCall *pc)
{
	OmsOrder	order;

	oms_order_lock(pc->order_id, &order);
	pc->order_number = order.number;
	pc->total = order.total;
	if (pc->currency != NULL && strcmp(pc->currency, order.currency) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_CURRENCY_MISMATCH),
				 errmsg("%s of %s %s on order %s is not in the order's currency %s",
						kind_names[pc->kind], pc->amount_text, pc->currency, pc->order_number,
						order.currency),
				 errdetail("Payments of an order are recorded in its currency (%s).", order.currency)));
	pc->currency = order.currency;
}

/* Step 3: what the ledger allows, read after the lock. */
static void
check_ledger_allows(PaymentCall *pc)
{
	Numeric    *sums = pc->sums;
	Numeric		open_auth;

	read_sums(pc->order_id, sums);
	open_auth = nsub(nsub(sums[PK_AUTHORIZATION], sums[PK_CAPTURE]), sums[PK_VOID]);
	switch (pc->kind)
	{
		case PK_AUTHORIZATION:
			break;
		case PK_CAPTURE:
			if (ncmp(sums[PK_AUTHORIZATION], int64_to_numeric(0)) == 0)
			{
				/* no authorization at all: a direct sale */
				pc->direct_sale = true;
				break;
			}
			/* FALLTHROUGH */
		case PK_VOID:
			if (ncmp(pc->amount, open_auth) > 0)
				ereport(ERROR,
						(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
						 errmsg("cannot %s %s %s on order %s: only %s %s of its authorizations is open",
								pc->kind == PK_CAPTURE ? "capture" : "void", pc->amount_text, pc->currency,
								pc->order_number, ntext(open_auth), pc->currency),
						 errdetail("Authorized %s, captured %s, voided %s: at most %s can be %s.",
								   ntext(sums[PK_AUTHORIZATION]), ntext(sums[PK_CAPTURE]),
								   ntext(sums[PK_VOID]), ntext(open_auth),
								   pc->kind == PK_CAPTURE ? "captured" : "voided"),
						 pc->kind == PK_VOID && ncmp(sums[PK_CAPTURE], int64_to_numeric(0)) > 0 ?
						 errhint("A void releases only what was never captured; give captured money back with oms.refund().") :
						 pc->kind == PK_CAPTURE ?
						 errhint("Record a new authorization first.") : 0));
			break;
		case PK_REFUND:
			{
				Numeric		left = nsub(sums[PK_CAPTURE], sums[PK_REFUND]);

				if (ncmp(pc->amount, left) > 0)
					ereport(ERROR,
							(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
							 errmsg("cannot refund %s %s on order %s: only %s %s of its captures is left to refund",
									pc->amount_text, pc->currency, pc->order_number, ntext(left), pc->currency),
							 errdetail("Captured %s, refunded %s: at most %s can be refunded.",
									   ntext(sums[PK_CAPTURE]), ntext(sums[PK_REFUND]), ntext(left))));
				break;
			}
		case PK_COUNT:
			elog(ERROR, "invalid payment kind %d", (int) pc->kind);
	}
}

/*
 * Step 3b: every sum of the ledger stays within numeric(14,2), the type of
 * its amounts, so that no sum a reader casts back breaks: refuse the
 * payment that would take one to 1e12 or more.
 */
static void
check_sums_in_range(const PaymentCall *pc)
{
	Numeric		limit = int64_to_numeric(OMS_MONEY_LIMIT);
	Numeric		after = nadd(pc->sums[pc->kind], pc->amount);
	PaymentKind which = pc->kind;

	if (pc->direct_sale && ncmp(nadd(pc->sums[PK_AUTHORIZATION], pc->amount), limit) >= 0)
	{
		after = nadd(pc->sums[PK_AUTHORIZATION], pc->amount);
		which = PK_AUTHORIZATION;
	}
	if (ncmp(after, limit) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s of %s %s on order %s would take its %s sum to %s, out of range",
						kind_names[pc->kind], pc->amount_text, pc->currency, pc->order_number,
						kind_names[which], ntext(after)),
				 errdetail("The sums of an order's payments are numeric(14,2): at most 999999999999.99.")));
}

/* Step 4: the ledger rows, and the status they give. */
static void
write_payment(PaymentCall *pc)
{
	Numeric    *sums = pc->sums;
	Datum		v[2];

	if (pc->direct_sale)
	{
		pc->auth_id = insert_payment(pc->order_id, PK_AUTHORIZATION, pc->amount, pc->currency,
									 pc->provider, pc->provider_ref, 0, pc->reason, pc->idem_key);
		sums[PK_AUTHORIZATION] = nadd(sums[PK_AUTHORIZATION], pc->amount);
	}
	pc->payment_id = insert_payment(pc->order_id, pc->kind, pc->amount, pc->currency, pc->provider,
									pc->provider_ref, pc->auth_id, pc->reason, pc->idem_key);
	sums[pc->kind] = nadd(sums[pc->kind], pc->amount);
	pc->status = oms_payment_status_for(pc->total, sums[PK_AUTHORIZATION], sums[PK_CAPTURE],
										sums[PK_REFUND], sums[PK_VOID]);

	/*
	 * Written even when unchanged: a new row version is what makes a
	 * REPEATABLE READ payment that started before this one fail with 40001.
	 */
	v[0] = Int64GetDatum(pc->order_id);
	v[1] = CStringGetTextDatum(pc->status);
	oms_plan_exec(&plan_set_status, v, NULL, false, 0, SPI_OK_UPDATE);
}

/* Step 5: events, and the key's result. */
static void
announce_payment(const PaymentCall *pc)
{
	if (pc->direct_sale)
		emit_payment_event(pc->order_id, pc->order_number, pc->auth_id, PK_AUTHORIZATION,
						   pc->amount_text, pc->currency, pc->provider, pc->provider_ref,
						   pc->reason, pc->status);
	emit_payment_event(pc->order_id, pc->order_number, pc->payment_id, pc->kind, pc->amount_text,
					   pc->currency, pc->provider, pc->provider_ref, pc->reason, pc->status);
	if (pc->idem_key != NULL)
		oms_idem_store("payment", pc->idem_key, "payment_id", pc->payment_id);
}

/* Record one payment (payment_ledger.h says what it checks and writes). */
int64
oms_payment_record(int64 order_id, const char *kind_name, Numeric amount,
				   const char *currency, const char *provider,
				   const char *provider_ref, const char *reason,
				   const char *idem_key)
{
	PaymentCall pc;
	OmsSavedUser saved;
	int64		first;

	check_payment_call(&pc, order_id, kind_name, amount, currency, provider,
					   provider_ref, reason, idem_key);
	oms_spi_connect();
	oms_become_owner(oms_relation_owner(oms_relid("payment")), &saved);
	if (claim_payment_key(&pc, &first))
	{
		oms_restore_user(&saved);
		oms_spi_finish();
		return first;
	}
	lock_payment_order(&pc);
	check_ledger_allows(&pc);
	check_sums_in_range(&pc);
	write_payment(&pc);
	announce_payment(&pc);
	oms_restore_user(&saved);
	oms_spi_finish();
	return pc.payment_id;
}

Numeric
oms_payment_refundable(int64 order_id)
{
	Datum		args[1] = {Int64GetDatum(order_id)};
	Datum		d;
	bool		isnull;
	Numeric		result;

	oms_spi_connect();
	if (oms_plan_exec(&plan_refundable, args, NULL, true, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown order " INT64_FORMAT, order_id)));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	result = DatumGetNumeric(SPI_datumTransfer(d, false, -1));
	oms_spi_finish();
	return result;
}

/* ----------------------------------------------------------------
 * Triggers
 * ----------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(oms_payment_guard);

/*
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE, on
 * oms.payment: rows are inserted only by the payment engine and never
 * changed or removed.
 */
Datum
oms_payment_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_payment_guard: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		elog(ERROR, "oms_payment_guard: must be fired BEFORE");

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
			elog(ERROR, "oms_payment_guard: must be fired FOR EACH ROW on INSERT");
		if (!oms_engine_active())
			ereport(ERROR,
					(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
					 errmsg("payments are recorded only by the oms API: direct INSERT into oms.payment is not allowed"),
					 errdetail("The API checks each payment against the order's ledger and derives its payment_status."),
					 errhint("Use oms.record_payment() or oms.refund().")));
		return PointerGetDatum(trigdata->tg_trigtuple);
	}

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else
		what = "TRUNCATE";
	ereport(ERROR,
			(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
			 errmsg("the payment ledger is append-only: %s of oms.payment is not allowed", what),
			 errhint("Correct a payment with a new one: a void of an authorization, a refund of a capture.")));
	PG_RETURN_NULL();			/* not reached */
}

/* payment_status changes only in the engine. */
static void
refuse_direct_status_write(const char *old_status, const char *new_status)
{
	if ((old_status == NULL || new_status == NULL || strcmp(old_status, new_status) != 0) &&
		!oms_engine_active())
		ereport(ERROR,
				(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
				 errmsg("direct write of payment_status in oms.sales_order is not allowed (\"%s\" to \"%s\")",
						old_status ? old_status : "null", new_status ? new_status : "null"),
				 errdetail("payment_status is derived from the payment ledger."),
				 errhint("Use oms.record_payment() or oms.refund().")));
}

/*
 * The order's total in a BEFORE trigger, where the generated total is not
 * computed yet: from its parts as the column does,
 * GREATEST(subtotal - discount, 0) + tax + shipping.  false if a part is
 * NULL (left to the NOT NULL constraints).
 */
static bool
order_total_of(HeapTuple tup, TupleDesc desc, Numeric *total)
{
	static const char *const money[] = {"subtotal", "discount", "tax", "shipping"};
	Numeric		part[lengthof(money)];
	Numeric		zero = int64_to_numeric(0);
	int			i;

	for (i = 0; i < (int) lengthof(money); i++)
	{
		int			col = SPI_fnumber(desc, money[i]);
		bool		isnull;
		Datum		v;

		if (col <= 0)
			elog(ERROR, "oms_payment_status_guard: table has no column %s", money[i]);
		v = heap_getattr(tup, col, desc, &isnull);
		if (isnull)
			return false;
		part[i] = DatumGetNumeric(v);
	}
	*total = nsub(part[0], part[1]);
	if (ncmp(*total, zero) < 0)
		*total = zero;
	*total = nadd(nadd(*total, part[2]), part[3]);
	return true;
}

/* The payment_status the ledger gives an order of this total. */
static const char *
derive_status(int64 order_id, Numeric total)
{
	Numeric		sums[PK_COUNT];
	OmsSavedUser saved;
	const char *derived;

	oms_spi_connect();
	oms_become_owner(oms_relation_owner(oms_relid("payment")), &saved);
	read_sums(order_id, sums);
	oms_restore_user(&saved);
	derived = oms_payment_status_for(total, sums[PK_AUTHORIZATION], sums[PK_CAPTURE],
									 sums[PK_REFUND], sums[PK_VOID]);
	oms_spi_finish();
	return derived;
}

PG_FUNCTION_INFO_V1(oms_payment_status_guard);

/*
 * BEFORE INSERT OR UPDATE OF payment_status, subtotal, tax, shipping FOR
 * EACH ROW on oms.sales_order.  payment_status is written only by the
 * payment engine: a new order starts unpaid, and any other change of it is
 * refused.  When the order's total changes (an edit or a cancellation), its
 * payment_status is derived again from the ledger, so an order paid in full
 * becomes partially_paid when lines are added, and the other way round.
 */
Datum
oms_payment_status_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtup;
	int			status_col;
	bool		isnull;
	char	   *new_status;
	Numeric		old_total;
	Numeric		new_total;
	const char *derived;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_payment_status_guard: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		elog(ERROR, "oms_payment_status_guard: must be fired BEFORE INSERT OR UPDATE FOR EACH ROW");

	desc = trigdata->tg_relation->rd_att;
	status_col = SPI_fnumber(desc, "payment_status");
	if (status_col <= 0)
		elog(ERROR, "oms_payment_status_guard: table has no column payment_status");
	newtup = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	new_status = SPI_getvalue(newtup, desc, status_col);

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (new_status != NULL && strcmp(new_status, "unpaid") != 0 && !oms_engine_active())
			ereport(ERROR,
					(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
					 errmsg("a new order must start with payment_status unpaid, got \"%s\"", new_status),
					 errdetail("payment_status is derived from the payment ledger.")));
		return PointerGetDatum(newtup);
	}
	refuse_direct_status_write(SPI_getvalue(trigdata->tg_trigtuple, desc, status_col), new_status);

	/* A changed total derives the status again. */
	if (new_status == NULL ||
		!order_total_of(trigdata->tg_trigtuple, desc, &old_total) ||
		!order_total_of(newtup, desc, &new_total) ||
		ncmp(old_total, new_total) == 0)
		return PointerGetDatum(newtup);
	derived = derive_status(DatumGetInt64(heap_getattr(newtup, SPI_fnumber(desc, "order_id"), desc, &isnull)),
							new_total);
	if (strcmp(derived, new_status) != 0)
	{
		Datum		v[1] = {CStringGetTextDatum(derived)};
		bool		nulls[1] = {false};
		int			cols[1] = {status_col};

		newtup = heap_modify_tuple_by_cols(newtup, desc, 1, cols, v, nulls);
	}
	return PointerGetDatum(newtup);
}
