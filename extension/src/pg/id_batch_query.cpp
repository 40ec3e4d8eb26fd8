/*
 * id_batch_query.cpp: one statement per batch call, rows straight into the
 * result in the caller's order.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "executor/tstoreReceiver.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/uuid.h"
}

#include "runstore/core/first_appearance.hpp"
#include "runstore/pg/id_array.hpp"
#include "runstore/pg/id_batch_query.hpp"

namespace runstore::pg {

namespace {

/* The distinct non-NULL ids of the batch, in first-appearance order, as a uuid[]. */
ArrayType *
DistinctIdsInOrder(const IdBatch &batch)
{
	auto *index = static_cast<std::uint32_t *>(palloc(sizeof(std::uint32_t) * batch.count));

	/* Pure C++: may throw std::bad_alloc, which the entry point re-raises. */
	const std::size_t n = core::FirstAppearances(batch.ids, batch.nulls, batch.count, index);
	if (n == 0)
		return nullptr;

	auto *elems = static_cast<Datum *>(palloc(sizeof(Datum) * n));
	for (std::size_t k = 0; k < n; ++k)
		elems[k] = PointerGetDatum(&batch.ids[index[k]]);
	return construct_array(elems, static_cast<int>(n), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
}

} // namespace

void
RunIdBatchQuery(FunctionCallInfo fcinfo, KeptPlan *unscoped, KeptPlan *scoped, bool read_only)
{
	IdBatch batch;
	if (!ReadIdBatch(fcinfo, 0, "ids", &batch))
		return; /* NULL or empty array: no rows */
	ArrayType *ids = DistinctIdsInOrder(batch);
	if (ids == nullptr)
		return; /* only NULLs */

	const bool in_workspace = PG_NARGS() > 1 && !PG_ARGISNULL(1);
	ParamListInfo params = makeParamList(in_workspace ? 2 : 1);
	params->params[0] = ParamExternData{PointerGetDatum(ids), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	if (in_workspace)
		params->params[1] = ParamExternData{PG_GETARG_DATUM(1), false, PARAM_FLAG_CONST, INT8OID};

	/*
	 * Rows go from the executor straight into the function's result, the way
	 * PL/pgSQL's RETURN QUERY does: no intermediate SPI_tuptable copy.  The
	 * receiver maps the statement's columns to the result's row type by
	 * position (the declared row type keeps dropped columns).
	 */
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	DestReceiver *dest = CreateDestReceiver(DestTuplestore);
	SetTuplestoreDestReceiverParams(dest, rsinfo->setResult, rsinfo->econtext->ecxt_per_query_memory, false,
	                                rsinfo->setDesc, "runstore: statement result does not match the row type");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");

	SPIExecuteOptions options = {};
	options.params = params;
	options.read_only = read_only;
	options.dest = dest;
	const int rc = SPI_execute_plan_extended(GetKeptPlan(in_workspace ? scoped : unscoped), &options);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: batch statement returned %s", SPI_result_code_string(rc));

	SPI_finish();
	dest->rDestroy(dest);
}

} // namespace runstore::pg
