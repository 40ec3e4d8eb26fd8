/*
 * slot_table_writer.hpp: writing a run into a recent-workflows slot table by
 * direct index and heap access (PostgreSQL zone).
 *
 * The same write as the SPI statement's ADD_SLOT (recent_workflow_statements.cpp):
 * lock the slot's newest row and move it to the run if the run is newer, or
 * insert a row into an empty slot.  Semantics are READ COMMITTED's: each
 * write probes with the latest snapshot, and a row a writer sharing the slot
 * changed meanwhile is followed to its latest version (what EvalPlanQual
 * does), so a write never misses and never runs again.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"
}

#include "runstore/pg/direct_path_shapes.hpp"

namespace runstore::pg {

/*
 * A slot table opened for writing with RowExclusiveLock (kept to the end of
 * the transaction), its indexes, and the tuple slots the writes reuse.
 * Columns, in table and primary-key order: the group (workspace_id,
 * workflow_id; or workspace_id, user_id, workflow_id), slot, last_used_at,
 * last_execution_id.
 */
struct SlotTableWriter {
	int natts;
	int group_columns;
	Relation rel;
	Relation primary_key;
	int nindexes;
	Relation indexes[kMaxSlotTableIndexes];
	IndexInfo *index_infos[kMaxSlotTableIndexes];
	bool markable[kMaxSlotTableIndexes]; /* searchable by exact key (slot_dead_versions.hpp) */
	TupleTableSlot *found;               /* the probe's and the lock's row */
	TupleTableSlot *row;                 /* the row version written */
	TupleTableSlot *dead;                /* a dead version's heap fetch (slot_dead_versions.hpp) */
	TupleTableSlot *dead_key;            /* a dead version's values, to form its other index keys */
};

/*
 * Opens the scope's slot table.  False (with everything opened so far still
 * to be closed by CloseSlotTableWriter) when direct writes could differ from
 * the SPI statement's: a shape other than the extension's (SlotTableShape:
 * not a local heap table, other columns, triggers, another primary key, an
 * index with expressions, a predicate, an exclusion or a deferred uniqueness
 * check), row-level security that applies to the current role, or missing
 * SELECT/INSERT/UPDATE privileges.
 */
bool OpenSlotTableWriter(SlotScope scope, SlotTableWriter *writer);

/* Releases what OpenSlotTableWriter opened (any part of it); the lock stays until the transaction ends. */
void CloseSlotTableWriter(SlotTableWriter *writer);

/* Collation of the primary key's column `column` (0-based): the order writers lock groups in. */
Oid SlotKeyCollation(const SlotTableWriter &writer, int column);

/*
 * Writes the run `values` (a full row in table order) into its slot, keeping
 * the greater value.  Call under READ COMMITTED only.  May wait for a writer
 * sharing the slot, or for a removal deleting the slot's row.
 */
void WriteRunToSlot(SlotTableWriter *writer, const Datum *values);

} // namespace runstore::pg
