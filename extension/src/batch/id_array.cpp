/*
 * id_array.cpp: validation and unpacking of uuid[] batch arguments.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/uuid.h"
}

#include "runstore/pg/guc.hpp"
#include "runstore/batch/id_array.hpp"

static_assert(sizeof(pg_uuid_t) == sizeof(runstore::core::Uuid), "pg_uuid_t and core::Uuid must agree");

namespace runstore::pg {

bool
ReadIdBatch(FunctionCallInfo fcinfo, int argno, const char *argname, IdBatch *out)
{
	if (PG_ARGISNULL(argno))
		return false;

	ArrayType *array = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s must be a one-dimensional array, not %d-dimensional", argname, ARR_NDIM(array)),
		                errhint("Flatten it first, for example with ARRAY(SELECT unnest(%s)).", argname)));

	const int count = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	if (count > max_batch_size)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("%s has %d elements, more than the limit of %d", argname, count, max_batch_size),
		                errdetail("The limit is set by runstore.max_batch_size."),
		                errhint("Split the batch, or have an administrator raise runstore.max_batch_size.")));
	if (count == 0)
		return false;

	Datum *elems;
	bool *elem_nulls;
	int n;
	/* uuid: fixed length 16, passed by reference, char alignment. */
	deconstruct_array(array, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elems, &elem_nulls, &n);

	out->count = n;
	out->array = array;
	out->ids = static_cast<core::Uuid *>(palloc(sizeof(core::Uuid) * n));
	out->nulls = nullptr;
	for (int i = 0; i < n; ++i) {
		if (elem_nulls[i]) {
			out->nulls = elem_nulls;
			continue;
		}
		memcpy(out->ids[i].bytes, DatumGetUUIDP(elems[i])->data, UUID_LEN);
	}
	pfree(elems);
	if (out->nulls == nullptr)
		pfree(elem_nulls);
	return true;
}

} // namespace runstore::pg
