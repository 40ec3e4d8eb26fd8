/*
 * slot_dead_versions.hpp: marking a slot's dead row versions in the slot
 * table's indexes as they are met (PostgreSQL zone).
 *
 * Why: every write moves a slot row to a new key (the value is in the key),
 * so each write leaves one index entry per index behind, for an old version
 * no scan ever visits again: the probe reads a slot newest first and stops at
 * its live row, and the readers' index meets a group's old values only below
 * its newest.  B-tree removes such entries without VACUUM only once they are
 * marked dead (LP_DEAD): then a full leaf is cleaned instead of split.
 * Unmarked, a hot group's slot indexes grew by one entry per insert between
 * vacuums, and the page splits that growth costs were ~12% of the WAL of
 * 8-client inserts into one group (pg_waldump).
 *
 * The probe of a slot (WriteRunToSlot) goes on past the live row, over the
 * versions the slot's earlier writes left, and lets PostgreSQL's own
 * index-scan machinery mark each one that is dead to every transaction
 * (kill_prior_tuple); it then looks up each such version's entries in the
 * table's other indexes by their exact key, which marks those too.  A
 * version some snapshot may still see is left alone, and the walk stops
 * there: under a held xmin horizon it costs one step.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

#include "runstore/recent/slot_table_writer.hpp"

namespace runstore::pg {

/* Most dead versions one write marks: one per write keeps pace, a few catch up. */
constexpr int kMaxDeadVersionsPerWrite = 3;
/* Most entries one write steps over (versions already pruned from the heap are marked, not counted above). */
constexpr int kMaxDeadVersionSteps = 8;

/* The values of dead versions met by a probe; the group and slot are the write's own. */
struct DeadVersions {
	int count;
	TimestampTz at[kMaxDeadVersionsPerWrite];
	pg_uuid_t id[kMaxDeadVersionsPerWrite];
};

/*
 * Continues `scan`, a backward scan of the slot's primary-key entries that
 * has just returned the slot's live row, over the versions below it: marks
 * each one dead to all and records its value, until a version that is not,
 * kMaxDeadVersionsPerWrite, kMaxDeadVersionSteps, or the slot's end.  (An
 * MVCC scan does not keep its leaf pinned: index_endscan then sets the marks
 * only if no writer changed the leaf since it was read, microseconds
 * before; a mark lost is left to a later write.)
 */
void MarkDeadVersionsInPrimaryKey(const SlotTableWriter &writer, IndexScanDesc scan, DeadVersions *dead);

/*
 * Marks the entries of the recorded dead versions of the slot `group`
 * (values in table order; the value columns are ignored) in every other
 * index of the slot table.
 */
void MarkDeadVersionsInOtherIndexes(const SlotTableWriter &writer, const Datum *group, const DeadVersions &dead);

} // namespace runstore::pg
