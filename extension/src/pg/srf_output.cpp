/*
 * srf_output.cpp: SPI rows into a materialized SRF result.
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupconvert.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include "runstore/pg/srf_output.hpp"

namespace runstore::pg {

core::Uuid *
CollectIds(int attnum)
{
	const uint64 n = SPI_processed;
	auto *ids = static_cast<core::Uuid *>(palloc(sizeof(core::Uuid) * Max(n, (uint64) 1)));
	for (uint64 i = 0; i < n; ++i) {
		bool isnull;
		Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, attnum, &isnull);
		if (isnull)
			elog(ERROR, "runstore: fetched row has a NULL id");
		memcpy(ids[i].bytes, DatumGetUUIDP(d)->data, UUID_LEN);
	}
	return ids;
}

void
EmitRowsInOrder(FunctionCallInfo fcinfo, const std::uint32_t *order, std::size_t n)
{
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	TupleConversionMap *map =
	    convert_tuples_by_position(SPI_tuptable->tupdesc, rsinfo->setDesc,
	                               "runstore: fetched row does not match the function's row type");
	for (std::size_t k = 0; k < n; ++k) {
		HeapTuple tuple = SPI_tuptable->vals[order[k]];
		if (map != nullptr)
			tuple = execute_attr_map_tuple(tuple, map);
		tuplestore_puttuple(rsinfo->setResult, tuple);
	}
}

} // namespace runstore::pg
