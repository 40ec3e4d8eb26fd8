/*
 * id_array.hpp: reads a uuid[] argument of a batch function (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "fmgr.h"
#include "utils/array.h"
}

#include "runstore/core/uuid.hpp"

namespace runstore::pg {

/* A batch argument, unpacked into palloc'd memory of the current context. */
struct IdBatch {
	int count;        /* elements, NULLs and duplicates included */
	core::Uuid *ids;  /* count entries; undefined where nulls[i] */
	bool *nulls;      /* count entries, or nullptr if no NULLs */
	ArrayType *array; /* the detoasted argument, for SPI parameters */
};

/*
 * Unpacks argument `argno` (uuid[]) of the current call.  Returns false when
 * the argument is NULL or has no elements (the call returns no rows).
 * ERRORs: 22023 for a multidimensional array; 54000 for more elements than
 * runstore.max_batch_size.
 */
bool ReadIdBatch(FunctionCallInfo fcinfo, int argno, const char *argname, IdBatch *out);

} // namespace runstore::pg
