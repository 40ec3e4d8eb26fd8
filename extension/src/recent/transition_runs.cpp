/*
 * transition_runs.cpp: see transition_runs.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.
 */
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
}

#include <cstring>

#include "runstore/recent/transition_runs.hpp"

namespace runstore::pg {

bool
ReadRun(TupleTableSlot *slot, const RunColumns &columns, Run *run)
{
	bool workspace_null, workflow_null, user_null, created_null, id_null;
	const Datum workspace_id = slot_getattr(slot, columns.workspace_id, &workspace_null);
	const Datum workflow_id = slot_getattr(slot, columns.workflow_id, &workflow_null);
	const Datum user_id = slot_getattr(slot, columns.user_id, &user_null);
	const Datum created_at = slot_getattr(slot, columns.created_at, &created_null);
	const Datum id = slot_getattr(slot, columns.id, &id_null);
	if (workspace_null || created_null || id_null)
		return false;
	run->workspace_id = DatumGetInt64(workspace_id);
	run->has_workflow = !workflow_null;
	run->workflow_id = workflow_null ? 0 : DatumGetInt64(workflow_id);
	/* Detoasted (short header kept): it is hashed, compared and written into another table. */
	run->user_id =
	    user_null ? nullptr : pg_detoast_datum_packed(reinterpret_cast<struct varlena *>(DatumGetPointer(user_id)));
	run->created_at = DatumGetTimestampTz(created_at);
	std::memcpy(&run->id, DatumGetUUIDP(id), sizeof(pg_uuid_t));
	return true;
}

bool
SameUser(const struct varlena *a, const struct varlena *b)
{
	if (a == nullptr || b == nullptr)
		return a == b;
	const Size len = VARSIZE_ANY_EXHDR(a);
	return len == VARSIZE_ANY_EXHDR(b) && std::memcmp(VARDATA_ANY(a), VARDATA_ANY(b), len) == 0;
}

} // namespace runstore::pg
