/*-------------------------------------------------------------------------
 *
 * notifier.c
 *	  Announcing committed events without serializing commits.
 *
 * A transaction that issues NOTIFY takes a database-wide heavyweight lock
 * in PreCommit_Notify and holds it through its commit record's flush, so
 * notifying transactions commit one at a time and never group-commit.  The
 * outbox row is what consumers read; the NOTIFY only wakes them.  So when
 * oms is in shared_preload_libraries, a transaction that wrote events does
 * not NOTIFY: after its commit, its transaction callback bumps a counter in
 * shared memory and sets the latch of its database's notifier, a background
 * worker that wakes, and sends one NOTIFY oms_events (payload: the newest
 * committed event id) for however many commits arrived meanwhile.
 *
 * Each database gets its own notifier, started on demand by the first
 * transaction there that writes an event (that transaction, and any until
 * the worker runs, notifies the old way).  A notifier that has had nothing
 * to announce for oms.notifier_idle_timeout (2 s) exits, within the 5 s that
 * DROP DATABASE waits for other sessions to leave, so that it does not keep
 * a database from being dropped; the next event starts it again.
 *
 * Without the preload (shared memory cannot be had later), every
 * transaction announces its events itself, as before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "base/oms.h"
#include "engine/notifier.h"

/* One notifier per database; more databases than this notify the old way. */
#define NOTIFIER_SLOTS 16
/* A notifier asked for but not running after this long is asked for again. */
#define NOTIFIER_START_TIMEOUT_MS 10000

typedef enum NotifierState
{
	NOTIFIER_FREE = 0,
	NOTIFIER_STARTING,
	NOTIFIER_RUNNING
} NotifierState;

typedef struct NotifierSlot
{
	Oid			dboid;
	NotifierState state;
	TimestampTz requested_at;	/* when it became STARTING */
	pid_t		pid;
	Latch	   *latch;			/* the running notifier's */
	pg_atomic_uint64 commits;	/* commits that wrote events, counted after commit */
} NotifierSlot;

typedef struct NotifierShared
{
	slock_t		mutex;			/* protects every slot's dboid, state, pid, latch */
	NotifierSlot slots[NOTIFIER_SLOTS];
} NotifierShared;

/* Settings (defined by module init, oms.c). */
int			oms_notify_mode = OMS_NOTIFY_ON;
int			oms_notifier_idle_timeout_s = 2;

const struct config_enum_entry oms_notify_mode_options[] = {
	{"on", OMS_NOTIFY_ON, false},
	{"commit", OMS_NOTIFY_COMMIT, false},
	{"off", OMS_NOTIFY_OFF, false},
	{"true", OMS_NOTIFY_ON, true},
	{"false", OMS_NOTIFY_OFF, true},
	{"yes", OMS_NOTIFY_ON, true},
	{"no", OMS_NOTIFY_OFF, true},
	{"1", OMS_NOTIFY_ON, true},
	{"0", OMS_NOTIFY_OFF, true},
	{NULL, 0, false}
};

static NotifierShared *shared = NULL;	/* NULL unless preloaded */
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* This backend: the slot of its database, and whether this transaction wrote events. */
static int	my_slot = -1;
static bool xact_has_events = false;

static void notifier_shmem_request(void);
static void notifier_shmem_startup(void);
static int	find_slot(Oid dboid, bool *running);
static bool notifier_serves_my_database(void);
static void request_notifier(void);
static void notifier_detach(int code, Datum arg);
static void announce(void);

/* Called from _PG_init: shared memory only exists when preloaded. */
void
oms_notifier_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = notifier_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = notifier_shmem_startup;
}

static void
notifier_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(NotifierShared)));
}

static void
notifier_shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("oms notifier", sizeof(NotifierShared), &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		for (i = 0; i < NOTIFIER_SLOTS; i++)
		{
			shared->slots[i].dboid = InvalidOid;
			shared->slots[i].state = NOTIFIER_FREE;
			shared->slots[i].pid = 0;
			shared->slots[i].latch = NULL;
			pg_atomic_init_u64(&shared->slots[i].commits, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* The slot of dboid, or -1; caller holds the mutex. */
static int
find_slot(Oid dboid, bool *running)
{
	int			i;

	for (i = 0; i < NOTIFIER_SLOTS; i++)
	{
		if (shared->slots[i].state != NOTIFIER_FREE && shared->slots[i].dboid == dboid)
		{
			*running = shared->slots[i].state == NOTIFIER_RUNNING;
			return i;
		}
	}
	*running = false;
	return -1;
}

/*
 * Whether a running notifier will announce this transaction's events.  If
 * none runs for this database, ask for one (this transaction notifies the
 * old way meanwhile).
 */
static bool
notifier_serves_my_database(void)
{
	bool		running;
	bool		stale = false;
	int			slot;

	if (shared == NULL)
		return false;

	SpinLockAcquire(&shared->mutex);
	slot = find_slot(MyDatabaseId, &running);
	if (slot >= 0 && !running &&
		TimestampDifferenceExceeds(shared->slots[slot].requested_at, GetCurrentTimestamp(),
								   NOTIFIER_START_TIMEOUT_MS))
	{
		shared->slots[slot].state = NOTIFIER_FREE;	/* it never came: ask again */
		stale = true;
	}
	SpinLockRelease(&shared->mutex);

	if (running)
	{
		my_slot = slot;
		return true;
	}
	if (slot < 0 || stale)
		request_notifier();
	return false;
}

/* Claim a slot for this database and register its notifier. */
static void
request_notifier(void)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	bool		running;
	int			slot = -1;
	int			i;

	SpinLockAcquire(&shared->mutex);
	if (find_slot(MyDatabaseId, &running) < 0)
	{
		for (i = 0; i < NOTIFIER_SLOTS; i++)
		{
			if (shared->slots[i].state == NOTIFIER_FREE)
			{
				slot = i;
				shared->slots[i].state = NOTIFIER_STARTING;
				shared->slots[i].dboid = MyDatabaseId;
				shared->slots[i].requested_at = GetCurrentTimestamp();
				shared->slots[i].latch = NULL;
				shared->slots[i].pid = 0;
				break;
			}
		}
	}
	SpinLockRelease(&shared->mutex);
	if (slot < 0)
		return;					/* another backend asked, or no slot is free */

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "oms");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "oms_notifier_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "oms notifier for database %u", MyDatabaseId);
	snprintf(worker.bgw_type, BGW_MAXLEN, "oms notifier");
	worker.bgw_main_arg = Int32GetDatum(slot);
	worker.bgw_notify_pid = 0;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		SpinLockAcquire(&shared->mutex);
		shared->slots[slot].state = NOTIFIER_FREE;
		SpinLockRelease(&shared->mutex);
		ereport(LOG,
				(errmsg("oms: could not start the event notifier for database %u; events are announced by each transaction",
						MyDatabaseId),
				 errhint("Raise max_worker_processes.")));
	}
}

/*
 * Announce an event just written: remember it for the commit callback when
 * a notifier serves this database, else NOTIFY in this transaction.
 */
void
oms_announce_event(int64 event_id)
{
	if (oms_notify_mode == OMS_NOTIFY_OFF)
		return;
	if (oms_notify_mode == OMS_NOTIFY_ON && (xact_has_events || notifier_serves_my_database()))
	{
		xact_has_events = true;
		return;
	}
	Async_Notify(OMS_EVENTS_CHANNEL, psprintf(INT64_FORMAT, event_id));
}

/*
 * Transaction end (from oms.c's callback).  After a commit that wrote
 * events, count it and wake the notifier.  The latch pointer is read
 * without the lock: it points into PGPROC, which lives as long as shared
 * memory, so at worst a stale pointer wakes another process for nothing.
 */
void
oms_notifier_xact_end(XactEvent event)
{
	if (!xact_has_events)
		return;
	if (event == XACT_EVENT_COMMIT && shared != NULL && my_slot >= 0)
	{
		NotifierSlot *s = &shared->slots[my_slot];
		Latch	   *latch;

		pg_atomic_fetch_add_u64(&s->commits, 1);
		pg_memory_barrier();
		latch = s->latch;
		if (latch != NULL)
			SetLatch(latch);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		xact_has_events = false;
}

static void
notifier_detach(int code, Datum arg)
{
	int			slot = DatumGetInt32(arg);

	SpinLockAcquire(&shared->mutex);
	if (shared->slots[slot].pid == MyProcPid)
	{
		shared->slots[slot].state = NOTIFIER_FREE;
		shared->slots[slot].latch = NULL;
		shared->slots[slot].pid = 0;
	}
	SpinLockRelease(&shared->mutex);
}

/* One NOTIFY oms_events whose payload is the newest committed event id. */
static void
announce(void)
{
	char	   *payload = NULL;
	int			rc;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "announcing events");
	oms_spi_connect();
	rc = SPI_execute("SELECT pg_catalog.max(event_id) FROM oms.event", true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
		payload = oms_spi_text(0, 1);
	oms_spi_finish();
	PopActiveSnapshot();
	Async_Notify(OMS_EVENTS_CHANNEL, payload ? payload : "");
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

PGDLLEXPORT void oms_notifier_main(Datum main_arg);

void
oms_notifier_main(Datum main_arg)
{
	int			slot = DatumGetInt32(main_arg);
	NotifierSlot *s;
	Oid			dboid;
	uint64		seen;
	TimestampTz last_work;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	Assert(shared != NULL && slot >= 0 && slot < NOTIFIER_SLOTS);
	s = &shared->slots[slot];
	SpinLockAcquire(&shared->mutex);
	dboid = s->state == NOTIFIER_STARTING ? s->dboid : InvalidOid;
	SpinLockRelease(&shared->mutex);
	if (!OidIsValid(dboid))
		proc_exit(0);			/* the slot was given up meanwhile */

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("oms notifier");

	SpinLockAcquire(&shared->mutex);
	s->pid = MyProcPid;
	s->latch = MyLatch;
	s->state = NOTIFIER_RUNNING;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(notifier_detach, Int32GetDatum(slot));

	seen = pg_atomic_read_u64(&s->commits);
	last_work = GetCurrentTimestamp();
	for (;;)
	{
		uint64		now_commits;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		now_commits = pg_atomic_read_u64(&s->commits);
		if (now_commits != seen)
		{
			seen = now_commits;
			announce();
			last_work = GetCurrentTimestamp();
		}
		else if (TimestampDifferenceExceeds(last_work, GetCurrentTimestamp(),
											oms_notifier_idle_timeout_s * 1000))
			break;
	}

	/*
	 * Leave the slot, then announce once more for any commit that counted
	 * on this notifier before it left.
	 */
	notifier_detach(0, Int32GetDatum(slot));
	if (pg_atomic_read_u64(&s->commits) != seen)
		announce();
	proc_exit(0);
}
