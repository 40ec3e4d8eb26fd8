/*
 * priority_registry.cpp: see priority_registry.hpp.
 *
 * What this backend remembers: classes it saw committed in the list
 * (`known`, read once per backend, then grown by its own commits), and
 * classes its open transaction added (`pending`), which become known at
 * commit and are dropped at any abort, a subtransaction's included:
 * remembering a class whose row rolled back would leave it out of the list
 * for good.  Another backend's new class is not learned: this one adds it
 * again only if it writes that class itself, and the statement skips
 * classes already listed.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "utils/array.h"
}

#include "runstore/queue/priority_registry.hpp"
#include "runstore/pg/spi_run.hpp"
#include "runstore/pg/statements.hpp"

namespace runstore::pg {

namespace {

constexpr int kRemembered = 256;

struct ClassSet {
	int count;
	int32 values[kRemembered];
};

Oid bound_relid = InvalidOid;
ClassSet known = {0, {}};
ClassSet pending = {0, {}};
bool callbacks_registered = false;
/* Whether `known` holds what the list held when this backend first looked. */
bool loaded = false;

bool
Contains(const ClassSet &set, int32 value)
{
	for (int i = 0; i < set.count; ++i)
		if (set.values[i] == value)
			return true;
	return false;
}

void
Add(ClassSet &set, int32 value)
{
	if (set.count < kRemembered && !Contains(set, value))
		set.values[set.count++] = value;
}

void
OnTransactionEnd(XactEvent event, void *)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		for (int i = 0; i < pending.count; ++i)
			Add(known, pending.values[i]);
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_ABORT ||
	    event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PREPARE)
		pending.count = 0;
}

void
OnSubtransactionEnd(SubXactEvent event, SubTransactionId, SubTransactionId, void *)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		pending.count = 0;
}

void
Bind(Oid relid)
{
	if (!callbacks_registered) {
		RegisterXactCallback(OnTransactionEnd, nullptr);
		RegisterSubXactCallback(OnSubtransactionEnd, nullptr);
		callbacks_registered = true;
	}
	if (bound_relid != relid) {
		bound_relid = relid;
		loaded = false;
		known.count = 0;
		pending.count = 0;
	}
}

} // namespace

bool
PrioritiesListed(Oid relid, const int32 *classes, int count)
{
	Bind(relid);
	if (!loaded)
		return false;
	for (int i = 0; i < count; ++i)
		if (!Contains(known, classes[i]) && !Contains(pending, classes[i]))
			return false;
	return true;
}

void
RegisterPriorities(Oid relid, const int32 *classes, int count)
{
	Bind(relid);
	if (!loaded) {
		/* Rows this transaction added itself (pending) may still roll back: not known. */
		RunKeptPlan(&statements::listed_priorities, nullptr, SPI_OK_SELECT);
		for (uint64 i = 0; i < SPI_processed; ++i) {
			bool isnull = false;
			const int32 value = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			if (!Contains(pending, value))
				Add(known, value);
		}
		loaded = true;
	}
	Datum *missing = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
	int n_missing = 0;
	/* Repeats are harmless: the statement takes DISTINCT values, Add() skips known ones. */
	for (int i = 0; i < count; ++i)
		if (!Contains(known, classes[i]) && !Contains(pending, classes[i]))
			missing[n_missing++] = Int32GetDatum(classes[i]);
	if (n_missing == 0)
		return;
	ParamListInfo params = makeParamList(1);
	params->params[0] =
	    ParamExternData{PointerGetDatum(construct_array(missing, n_missing, INT4OID, 4, true, TYPALIGN_INT)), false,
	                    PARAM_FLAG_CONST, INT4ARRAYOID};
	RunKeptPlan(&statements::register_priorities, params, SPI_OK_INSERT);
	for (int i = 0; i < n_missing; ++i)
		Add(pending, DatumGetInt32(missing[i]));
}

} // namespace runstore::pg
