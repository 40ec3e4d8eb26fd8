/*
 * slot_columns.hpp: the columns of the recent-workflows slot tables as the
 * extension creates them (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "postgres.h"
}

namespace runstore::pg {

/* Which summary: runstore.workspace_recent_workflow_slot or runstore.user_recent_workflow_slot. */
enum class SlotScope { kWorkspace, kUser };

struct SlotColumn {
	const char *name;
	Oid type;
};

/* Columns in table and primary-key order: the group, slot, last_used_at, last_execution_id. */
struct SlotColumns {
	int count;
	const SlotColumn *column;
};

constexpr int kMaxSlotColumns = 6;

SlotColumns SlotColumnsOf(SlotScope scope);

/* The btree equality function of a slot-table column's type, or InvalidOid for a type the tables never have. */
RegProcedure SlotColumnEquality(Oid type);

} // namespace runstore::pg
