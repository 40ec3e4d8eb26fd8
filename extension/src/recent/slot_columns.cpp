/*
 * slot_columns.cpp: see slot_columns.hpp.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/fmgroids.h"
}

#include "runstore/recent/slot_columns.hpp"

namespace runstore::pg {

namespace {

constexpr SlotColumn kWorkspaceSlotColumns[] = {{"workspace_id", INT8OID},
                                                {"workflow_id", INT8OID},
                                                {"slot", INT2OID},
                                                {"last_used_at", TIMESTAMPTZOID},
                                                {"last_execution_id", UUIDOID}};
constexpr SlotColumn kUserSlotColumns[] = {{"workspace_id", INT8OID},        {"user_id", TEXTOID},
                                           {"workflow_id", INT8OID},         {"slot", INT2OID},
                                           {"last_used_at", TIMESTAMPTZOID}, {"last_execution_id", UUIDOID}};

} // namespace

SlotColumns
SlotColumnsOf(SlotScope scope)
{
	if (scope == SlotScope::kUser)
		return SlotColumns{6, kUserSlotColumns};
	return SlotColumns{5, kWorkspaceSlotColumns};
}

RegProcedure
SlotColumnEquality(Oid type)
{
	switch (type) {
	case INT8OID:
		return F_INT8EQ;
	case INT2OID:
		return F_INT2EQ;
	case TEXTOID:
		return F_TEXTEQ;
	case TIMESTAMPTZOID:
		return F_TIMESTAMPTZ_EQ;
	case UUIDOID:
		return F_UUID_EQ;
	default:
		return InvalidOid;
	}
}

} // namespace runstore::pg
