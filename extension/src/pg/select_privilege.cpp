/*
 * select_privilege.cpp: see select_privilege.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.
 */
extern "C" {
#include "postgres.h"

#include "access/sysattr.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"
}

#include "runstore/pg/select_privilege.hpp"

namespace runstore::pg {

namespace {

/* The range-table entry a query reading `rel` would carry, with no column selected yet. */
RangeTblEntry *
ReadingEntry(Relation rel)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = AccessShareLock;
	rte->requiredPerms = ACL_SELECT;
	rte->checkAsUser = InvalidOid;
	return rte;
}

void
Select(RangeTblEntry *rte, AttrNumber column)
{
	rte->selectedCols = bms_add_member(rte->selectedCols, column - FirstLowInvalidHeapAttributeNumber);
}

} // namespace

bool
MaySelectColumns(Relation rel, const AttrNumber *columns, int ncolumns, bool ereport_on_violation)
{
	RangeTblEntry *rte = ReadingEntry(rel);
	for (int i = 0; i < ncolumns; ++i)
		Select(rte, columns[i]);
	return ExecCheckRTPerms(list_make1(rte), ereport_on_violation);
}

bool
MaySelectRow(Relation rel, bool ereport_on_violation)
{
	RangeTblEntry *rte = ReadingEntry(rel);
	const TupleDesc desc = RelationGetDescr(rel);
	for (int i = 0; i < desc->natts; ++i) {
		if (!TupleDescAttr(desc, i)->attisdropped)
			Select(rte, static_cast<AttrNumber>(i + 1));
	}
	return ExecCheckRTPerms(list_make1(rte), ereport_on_violation);
}

} // namespace runstore::pg
