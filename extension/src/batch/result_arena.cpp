/*
 * result_arena.cpp: see result_arena.hpp.
 *
 * PostgreSQL zone: plain structs in PostgreSQL memory.  The release callback
 * may run during a transaction's abort: it allocates nothing and cannot fail.
 */
extern "C" {
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
}

#include "runstore/batch/result_arena.hpp"

namespace runstore::pg {

namespace {

struct Arena {
	MemoryContext context;
	Arena *next; /* in the pool */
};

/* Arenas no query holds; each keeps its first block. */
Arena *pool = nullptr;

/* A call site's arena, until the query's memory is released. */
struct Binding {
	Arena *arena;
	MemoryContextCallback release;
};

Arena *
TakeArena()
{
	if (pool != nullptr) {
		Arena *arena = pool;
		pool = arena->next;
		return arena;
	}
	auto *arena = static_cast<Arena *>(MemoryContextAllocZero(TopMemoryContext, sizeof(Arena)));
	arena->context = AllocSetContextCreate(TopMemoryContext, "runstore result arena", kResultArenaKeep,
	                                       kResultArenaKeep, ALLOCSET_DEFAULT_MAXSIZE);
	return arena;
}

/* The query is over: whatever the arena holds is unreachable.  The reset keeps the first block. */
void
ReleaseArena(void *arg)
{
	auto *binding = static_cast<Binding *>(arg);
	MemoryContextReset(binding->arena->context);
	binding->arena->next = pool;
	pool = binding->arena;
}

MemoryContext
ArenaFor(FunctionCallInfo fcinfo, MemoryContext per_query)
{
	/*
	 * fn_extra lives in fn_mcxt; the result is read until the query's memory
	 * goes.  Only when they are one context is "fn_extra still set" the same
	 * as "the arena's results may still be read".
	 */
	if (fcinfo->flinfo == nullptr || fcinfo->flinfo->fn_mcxt != per_query)
		return per_query;
	auto *binding = static_cast<Binding *>(fcinfo->flinfo->fn_extra);
	if (binding == nullptr) {
		binding = static_cast<Binding *>(MemoryContextAllocZero(per_query, sizeof(Binding)));
		binding->arena = TakeArena();
		binding->release.func = ReleaseArena;
		binding->release.arg = binding;
		MemoryContextRegisterResetCallback(per_query, &binding->release);
		fcinfo->flinfo->fn_extra = binding;
	}
	return binding->arena->context;
}

} // namespace

void
InitMaterializedSRFInArena(FunctionCallInfo fcinfo, bits32 flags)
{
	InitMaterializedSRF(fcinfo, flags);
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	const MemoryContext arena = ArenaFor(fcinfo, rsinfo->econtext->ecxt_per_query_memory);
	if (arena == rsinfo->econtext->ecxt_per_query_memory)
		return;
	/* The same tuplestore InitMaterializedSRF made, in the arena. */
	const bool random_access = (rsinfo->allowedModes & SFRM_Materialize_Random) != 0;
	const MemoryContext caller = MemoryContextSwitchTo(arena);
	Tuplestorestate *store = tuplestore_begin_heap(random_access, false, work_mem);
	MemoryContextSwitchTo(caller);
	tuplestore_end(rsinfo->setResult);
	rsinfo->setResult = store;
}

} // namespace runstore::pg
