/*
 * ordered_receiver.cpp: see ordered_receiver.hpp.
 *
 * Callbacks run inside the executor, so they follow the PostgreSQL zone's
 * rule: no C++ object with a destructor lives across a call that may ERROR.
 */
extern "C" {
#include "postgres.h"

#include "access/tupconvert.h"
#include "executor/tuptable.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <cstring>

#include "runstore/batch/ordered_receiver.hpp"
#include "runstore/pg/result_rows.hpp"

namespace runstore::pg {

namespace {

struct OrderedReceiver {
	DestReceiver pub; /* must be first: the executor sees a DestReceiver */
	const core::IdPosition *table;
	std::size_t table_size;
	std::size_t slot_count;
	MinimalTuple *rows; /* slot_count entries, indexed by request position */
	MemoryContext cxt;
	TupleDesc desc; /* the statement's row type, copied into cxt */
	int id_attno;   /* 1-based */
};

void
Startup(DestReceiver *self, int /*operation*/, TupleDesc typeinfo)
{
	auto *r = reinterpret_cast<OrderedReceiver *>(self);
	MemoryContext old = MemoryContextSwitchTo(r->cxt);
	r->desc = CreateTupleDescCopy(typeinfo);
	MemoryContextSwitchTo(old);
	r->id_attno = 0;
	for (int i = 0; i < typeinfo->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(typeinfo, i);
		if (!att->attisdropped && std::strcmp(NameStr(att->attname), "id") == 0 && att->atttypid == UUIDOID) {
			r->id_attno = i + 1;
			break;
		}
	}
	if (r->id_attno == 0)
		elog(ERROR, "runstore: batch statement returns no uuid column \"id\"");
}

bool
Receive(TupleTableSlot *slot, DestReceiver *self)
{
	auto *r = reinterpret_cast<OrderedReceiver *>(self);
	bool isnull = false;
	const Datum d = slot_getattr(slot, r->id_attno, &isnull);
	if (isnull)
		elog(ERROR, "runstore: batch statement returned a NULL id");
	core::Uuid id;
	std::memcpy(id.bytes, DatumGetUUIDP(d)->data, UUID_LEN);
	const std::int64_t pos = core::FindIdPosition(r->table, r->table_size, id);
	if (pos < 0 || static_cast<std::size_t>(pos) >= r->slot_count)
		elog(ERROR, "runstore: batch statement returned an id that was not requested");
	if (r->rows[pos] != nullptr)
		return true; /* id is the primary key: cannot happen, but never emit a row twice */
	MemoryContext old = MemoryContextSwitchTo(r->cxt);
	r->rows[pos] = ExecCopySlotMinimalTuple(slot);
	MemoryContextSwitchTo(old);
	return true;
}

void
Shutdown(DestReceiver * /*self*/)
{
}

void
Destroy(DestReceiver *self)
{
	pfree(self);
}

} // namespace

DestReceiver *
CreateOrderedReceiver(const core::IdPosition *table, std::size_t n, std::size_t slots, MemoryContext cxt)
{
	auto *r = static_cast<OrderedReceiver *>(MemoryContextAllocZero(cxt, sizeof(OrderedReceiver)));
	r->pub.receiveSlot = Receive;
	r->pub.rStartup = Startup;
	r->pub.rShutdown = Shutdown;
	r->pub.rDestroy = Destroy;
	/* Not DestNone: SPI reports a SELECT into DestNone as SPI_OK_UTILITY. */
	r->pub.mydest = DestTuplestore;
	r->table = table;
	r->table_size = n;
	r->slot_count = slots;
	r->rows = static_cast<MinimalTuple *>(MemoryContextAllocZero(cxt, sizeof(MinimalTuple) * slots));
	r->cxt = cxt;
	return &r->pub;
}

void
EmitInRequestOrder(DestReceiver *receiver, ReturnSetInfo *rsinfo)
{
	auto *r = reinterpret_cast<OrderedReceiver *>(receiver);
	if (r->desc == nullptr)
		return; /* the statement never started */
	ResultRows rows = BeginResultRows(rsinfo, r->desc);
	TupleTableSlot *in = MakeSingleTupleTableSlot(r->desc, &TTSOpsMinimalTuple);
	for (std::size_t pos = 0; pos < r->slot_count; ++pos) {
		if (r->rows[pos] == nullptr)
			continue;
		ExecStoreMinimalTuple(r->rows[pos], in, false);
		PutResultRow(&rows, in);
	}
	ExecDropSingleTupleTableSlot(in);
	EndResultRows(&rows);
}

} // namespace runstore::pg
