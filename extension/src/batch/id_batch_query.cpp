/*
 * id_batch_query.cpp: one statement per batch call, rows in the caller's
 * order.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "utils/array.h"
}

#include "runstore/core/id_positions.hpp"
#include "runstore/batch/id_array.hpp"
#include "runstore/batch/id_batch_query.hpp"
#include "runstore/batch/ordered_receiver.hpp"
#include "runstore/pg/citus_shards.hpp"

namespace runstore::pg {

Datum
RunIdBatchWrite(FunctionCallInfo fcinfo, KeptPlan *unscoped, KeptPlan *scoped)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	IdBatch batch;
	if (ReadIdBatch(fcinfo, 0, "ids", &batch)) /* NULL or empty array: no rows */
		RunIdBatchStatement(fcinfo, batch, unscoped, scoped, false);
	return (Datum)0;
}

void
RunIdBatchStatement(FunctionCallInfo fcinfo, const IdBatch &batch, KeptPlan *unscoped, KeptPlan *scoped, bool read_only)
{
	/*
	 * The statement gets the caller's array as it is: = ANY ignores NULL
	 * elements and the btree scan sorts and dedupes its keys itself.
	 */
	const bool in_workspace = PG_NARGS() > 1 && !PG_ARGISNULL(1);
	ParamListInfo params = makeParamList(in_workspace ? 2 : 1);
	params->params[0] = ParamExternData{PointerGetDatum(batch.array), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	if (in_workspace)
		params->params[1] = ParamExternData{PG_GETARG_DATUM(1), false, PARAM_FLAG_CONST, INT8OID};
	RunIdStatement(fcinfo, batch, in_workspace ? scoped : unscoped, params, read_only);
}

DestReceiver *
BeginOrderedRows(const IdBatch &batch)
{
	auto *table = static_cast<core::IdPosition *>(palloc(sizeof(core::IdPosition) * batch.count));
	const std::size_t distinct =
	    core::DistinctIdPositions(batch.ids, batch.nulls, static_cast<std::size_t>(batch.count), table);
	if (distinct == 0)
		return nullptr; /* only NULLs */
	/*
	 * Rows go from the executor into the receiver, not into an SPI_tuptable;
	 * it copies them into this call's memory, which SPI_finish leaves alone.
	 */
	return CreateOrderedReceiver(table, distinct, static_cast<std::size_t>(batch.count), CurrentMemoryContext);
}

void
EndOrderedRows(FunctionCallInfo fcinfo, DestReceiver *dest)
{
	EmitInRequestOrder(dest, reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo));
	dest->rDestroy(dest);
}

void
RunIdStatement(FunctionCallInfo fcinfo, const IdBatch &batch, KeptPlan *plan, ParamListInfo params, bool read_only)
{
	DestReceiver *dest = BeginOrderedRows(batch);
	if (dest == nullptr)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");

	PrepareGenericPlan(plan);
	SPIExecuteOptions options = {};
	options.params = params;
	options.read_only = read_only;
	options.dest = dest;
	const int nest_level = OneConnectionPerNode();
	const int rc = SPI_execute_plan_extended(GetKeptPlan(plan), &options);
	RestoreConnectionsPerNode(nest_level);
	if (rc != SPI_OK_SELECT && rc != SPI_OK_DELETE_RETURNING && rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "runstore: batch statement returned %s", SPI_result_code_string(rc));

	SPI_finish();
	EndOrderedRows(fcinfo, dest);
}

} // namespace runstore::pg
