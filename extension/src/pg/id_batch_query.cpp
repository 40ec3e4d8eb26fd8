/*
 * id_batch_query.cpp: one statement per batch call, rows back in the caller's order.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
}

#include "runstore/core/first_appearance.hpp"
#include "runstore/pg/id_array.hpp"
#include "runstore/pg/id_batch_query.hpp"
#include "runstore/pg/srf_output.hpp"

namespace runstore::pg {

void
RunIdBatchQuery(FunctionCallInfo fcinfo, KeptPlan *unscoped, KeptPlan *scoped, bool read_only,
                int expected_spi_result)
{
	IdBatch batch;
	if (!ReadIdBatch(fcinfo, 0, "ids", &batch))
		return; /* NULL or empty array: no rows */

	const bool in_workspace = PG_NARGS() > 1 && !PG_ARGISNULL(1);
	Datum values[2] = {PointerGetDatum(batch.array), in_workspace ? PG_GETARG_DATUM(1) : (Datum) 0};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");

	SPIPlanPtr plan = GetKeptPlan(in_workspace ? scoped : unscoped);
	const int rc = SPI_execute_plan(plan, values, nullptr, read_only, 0);
	if (rc != expected_spi_result)
		elog(ERROR, "runstore: batch statement returned %s", SPI_result_code_string(rc));

	const std::size_t n_found = SPI_processed;
	if (n_found > 0) {
		const int id_attnum = SPI_fnumber(SPI_tuptable->tupdesc, "id");
		if (id_attnum <= 0)
			elog(ERROR, "runstore: batch statement returned no id column");
		core::Uuid *found = CollectIds(id_attnum);
		auto *order = static_cast<std::uint32_t *>(palloc(sizeof(std::uint32_t) * n_found));

		/* Pure C++: may throw std::bad_alloc, which the entry point re-raises. */
		const std::size_t n_out =
		    core::OrderByFirstAppearance(batch.ids, batch.nulls, batch.count, found, n_found, order);

		EmitRowsInOrder(fcinfo, order, n_out);
	}

	SPI_finish();
}

} // namespace runstore::pg
