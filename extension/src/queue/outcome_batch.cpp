/*
 * outcome_batch.cpp: see outcome_batch.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
}

#include <cstring>

#include "runstore/batch/id_batch_query.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/cluster_map.hpp"
#include "runstore/queue/outcome_batch.hpp"

namespace runstore::pg {

namespace {

/* How each kind's statement takes its parameters (queue_statements.cpp). */
struct OutcomeShape {
	const char *name;
	KeptPlan *statement;
	ShardStatementKind shard_statement;
	int nparams;
	int attempts;   /* the attempts parameter */
	int aligned[6]; /* the parameters that are arrays aligned with the ids; -1 ends */
	int workspace_ids;
	const char *remote_columns; /* what the statement returns, as runstore._outcomes_on_node's column list */
};

/* In OutcomeKind order. */
const OutcomeShape kShapes[] = {
    {"complete", &statements::complete_many, kShardCompleteMany, 5, 2, {1, 2, 3, 4, -1, -1}, 4, "id pg_catalog.uuid"},
    {"fail",
     &statements::fail_many,
     kShardFailMany,
     10,
     2,
     {1, 2, 3, 4, 6, 9},
     9,
     "id pg_catalog.uuid, status runstore.execution_status"},
    {"release", &statements::release_many, kShardReleaseMany, 4, 2, {1, 2, 3, -1, -1, -1}, 3, "id pg_catalog.uuid"},
    {"heartbeat",
     &statements::heartbeat_attempts,
     kShardHeartbeat,
     5,
     3,
     {1, 3, 4, -1, -1, -1},
     4,
     "id pg_catalog.uuid"},
};
constexpr int kKinds = sizeof(kShapes) / sizeof(kShapes[0]);

const OutcomeShape &
ShapeOf(OutcomeKind kind)
{
	return kShapes[static_cast<int>(kind)];
}

/* One uniform draw from [0, 1) per execution, as runstore._retry_delay draws. */
ArrayType *
DrawFractions(int count)
{
	auto *values = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
	for (int i = 0; i < count; ++i)
		values[i] = Float8GetDatum(pg_prng_double(&pg_global_prng_state));
	return construct_array(values, count, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

ParamExternData
ArrayParam(ArrayType *array, Oid type)
{
	return ParamExternData{PointerGetDatum(array), array == nullptr, PARAM_FLAG_CONST, type};
}

/* An array parameter taken apart, to be cut into the parts each shard or node gets. */
struct SplitArray {
	bool present;
	Oid element_type;
	int16 typlen;
	bool typbyval;
	char typalign;
	Datum *elements;
	bool *nulls;
	int count;
};

SplitArray
Split(const ParamExternData &param)
{
	SplitArray split{};
	split.present = !param.isnull;
	if (!split.present)
		return split;
	ArrayType *array = DatumGetArrayTypeP(param.value);
	split.element_type = ARR_ELEMTYPE(array);
	get_typlenbyvalalign(split.element_type, &split.typlen, &split.typbyval, &split.typalign);
	deconstruct_array(array, split.element_type, split.typlen, split.typbyval, split.typalign, &split.elements,
	                  &split.nulls, &split.count);
	return split;
}

/* The elements at `picked` (positions in the id array; the array may be shorter and reads as NULLs there). */
ArrayType *
Pick(const SplitArray &split, const int *picked, int count)
{
	auto *elements = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
	auto *nulls = static_cast<bool *>(palloc(sizeof(bool) * (count + 1)));
	for (int i = 0; i < count; ++i) {
		const int at = picked[i];
		nulls[i] = at >= split.count || split.nulls[at];
		elements[i] = nulls[i] ? (Datum)0 : split.elements[at];
	}
	int dims[1] = {count};
	int lbs[1] = {1};
	return construct_md_array(elements, nulls, 1, dims, lbs, split.element_type, split.typlen, split.typbyval,
	                          split.typalign);
}

/* The batch's parameters with every aligned array cut down to `picked`. */
ParamListInfo
PickParams(const OutcomeShape &shape, ParamListInfo params, const SplitArray *splits, const int *picked, int count)
{
	ParamListInfo part = makeParamList(shape.nparams);
	for (int p = 0; p < shape.nparams; ++p)
		part->params[p] = params->params[p];
	for (int a = 0; a < 6 && shape.aligned[a] >= 0; ++a) {
		const int p = shape.aligned[a];
		if (splits[a].present)
			part->params[p].value = PointerGetDatum(Pick(splits[a], picked, count));
	}
	return part;
}

/* Runs the batch's statement against one local shard, rows into `dest`. */
void
RunOnShard(ClusterShard &shard, const OutcomeShape &shape, ParamListInfo params, DestReceiver *dest)
{
	KeptPlan *plan = &shard.statements[shape.shard_statement];
	PrepareGenericPlan(plan);
	SPIExecuteOptions options = {};
	options.params = params;
	options.read_only = false;
	options.dest = dest;
	const int rc = SPI_execute_plan_extended(GetKeptPlan(plan), &options);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "runstore: %s on shard " INT64_FORMAT " returned %s", shape.name, shard.shard_id,
		     SPI_result_code_string(rc));
}

/* `array` as an SQL literal of its type, or NULL of it. */
void
AppendArrayLiteral(StringInfo sql, const ParamExternData &param, const char *type)
{
	if (param.isnull) {
		appendStringInfo(sql, "NULL::%s", type);
		return;
	}
	Oid output = InvalidOid;
	bool varlena = false;
	getTypeOutputInfo(param.ptype, &output, &varlena);
	appendStringInfo(sql, "%s::%s", quote_literal_cstr(OidOutputFunctionCall(output, param.value)), type);
}

/*
 * Runs the batch's part on another node: runstore._outcomes_on_node, with
 * constant arguments so that Citus delegates it (as dequeue's claim is).
 */
void
RunOnNode(const ClusterNodeEntry &node, const OutcomeShape &shape, OutcomeKind kind, ParamListInfo params,
          DestReceiver *dest)
{
	const ParamExternData none{(Datum)0, true, 0, InvalidOid};
	const bool has_values = kind == OutcomeKind::kComplete || kind == OutcomeKind::kFail;
	const ParamExternData &values = has_values ? params->params[3] : none;
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT o.* FROM runstore._outcomes_on_node(" INT64_FORMAT "::pg_catalog.int8, '%s', %s, ",
	                 node.anchor, shape.name, quote_literal_cstr(TextDatumGetCString(params->params[0].value)));
	AppendArrayLiteral(&sql, params->params[1], "pg_catalog.uuid[]");
	appendStringInfoString(&sql, ", ");
	AppendArrayLiteral(&sql, params->params[shape.attempts], "pg_catalog.int4[]");
	appendStringInfoString(&sql, ", ");
	AppendArrayLiteral(&sql, kind == OutcomeKind::kComplete ? values : none, "pg_catalog.jsonb[]");
	appendStringInfoString(&sql, ", ");
	AppendArrayLiteral(&sql, kind == OutcomeKind::kFail ? values : none, "pg_catalog.text[]");
	appendStringInfoString(&sql, ", ");
	AppendArrayLiteral(&sql, kind == OutcomeKind::kFail ? params->params[4] : none, "pg_catalog.bool[]");
	appendStringInfoString(&sql, ", ");
	AppendArrayLiteral(&sql, params->params[shape.workspace_ids], "pg_catalog.int8[]");
	if (kind == OutcomeKind::kHeartbeat) {
		Oid output = InvalidOid;
		bool varlena = false;
		getTypeOutputInfo(INTERVALOID, &output, &varlena);
		appendStringInfo(&sql, ", %s::pg_catalog.interval",
		                 quote_literal_cstr(OidOutputFunctionCall(output, params->params[2].value)));
	}
	appendStringInfo(&sql, ") AS o(%s)", shape.remote_columns);
	SPIExecuteOptions options = {};
	options.read_only = false;
	options.dest = dest;
	const int rc = SPI_execute_extended(sql.data, &options);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: %s on node group %d returned %s", shape.name, node.group, SPI_result_code_string(rc));
	pfree(sql.data);
}

/*
 * The cluster path: each execution to the shard of its workspace when every
 * one is given, else the whole batch to every shard; this node's shards
 * directly, the others' nodes (unless this_node_only) by delegation.
 */
void
RunOnCluster(FunctionCallInfo fcinfo, const OutcomeBatch &batch, bool this_node_only)
{
	DestReceiver *dest = BeginOrderedRows(batch.ids);
	if (dest == nullptr)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	ClusterMap &map = CurrentClusterMap();
	const OutcomeShape &shape = ShapeOf(batch.kind);
	const int n = batch.ids.count;

	const SplitArray ws = Split(batch.params->params[shape.workspace_ids]);
	bool routed = ws.present && ws.count >= n;
	for (int i = 0; routed && i < n; ++i)
		routed = !ws.nulls[i];

	/* picked[target][k]: the positions each local shard (target < shard_count) or node gets. */
	const int targets = map.shard_count + map.node_count;
	auto *counts = static_cast<int *>(palloc0(sizeof(int) * (targets + 1)));
	auto *picked = static_cast<int **>(palloc0(sizeof(int *) * (targets + 1)));
	auto pick = [&](int target, int position) {
		if (picked[target] == nullptr)
			picked[target] = static_cast<int *>(palloc(sizeof(int) * n));
		picked[target][counts[target]++] = position;
	};
	for (int i = 0; i < n; ++i) {
		if (batch.ids.nulls != nullptr && batch.ids.nulls[i])
			continue;
		if (routed) {
			const int s = ShardOfWorkspace(map, DatumGetInt64(ws.elements[i]));
			if (s < 0)
				continue;
			if (map.shards[s].local)
				pick(s, i);
			else if (!this_node_only && !map.shards[s].placed_here)
				pick(map.shard_count + NodeOfGroup(map, map.shards[s].group), i);
			continue;
		}
		for (int k = 0; k < map.local_count; ++k)
			pick(map.local_shards[k], i);
		for (int k = 0; k < map.node_count && !this_node_only; ++k)
			if (!map.nodes[k].local)
				pick(map.shard_count + k, i);
	}

	SplitArray splits[6];
	for (int a = 0; a < 6; ++a)
		splits[a] = shape.aligned[a] >= 0 ? Split(batch.params->params[shape.aligned[a]]) : SplitArray{};
	int written_node = -1;
	for (int t = 0; t < targets; ++t) {
		if (counts[t] == 0)
			continue;
		ParamListInfo part = PickParams(shape, batch.params, splits, picked[t], counts[t]);
		if (t < map.shard_count) {
			RunOnShard(map.shards[t], shape, part, dest);
			written_node = NodeOfGroup(map, map.shards[t].group);
		} else {
			RunOnNode(map.nodes[t - map.shard_count], shape, batch.kind, part, dest);
			written_node = t - map.shard_count;
		}
	}
	/* Where this transaction wrote: its dequeue starts there (cluster_claim.hpp). */
	if (written_node >= 0)
		NoteNodeWritten(map, written_node);
	SPI_finish();
	EndOrderedRows(fcinfo, dest);
}

} // namespace

OutcomeBatch
MakeOutcomeBatch(OutcomeKind kind, const IdBatch &ids, Datum worker, ArrayType *attempts, ArrayType *values,
                 ArrayType *retryable, ArrayType *workspace_ids, Datum lease)
{
	const OutcomeShape &shape = ShapeOf(kind);
	ParamListInfo params = makeParamList(shape.nparams);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ArrayParam(ids.array, UUIDARRAYOID);
	params->params[shape.attempts] = ArrayParam(attempts, INT4ARRAYOID);
	if (kind == OutcomeKind::kHeartbeat)
		params->params[2] = ParamExternData{lease, false, PARAM_FLAG_CONST, INTERVALOID};
	params->params[shape.workspace_ids] = ArrayParam(workspace_ids, INT8ARRAYOID);
	if (kind == OutcomeKind::kComplete)
		params->params[3] = ArrayParam(values, JSONBARRAYOID);
	if (kind == OutcomeKind::kFail) {
		params->params[3] = ArrayParam(values, TEXTARRAYOID);
		params->params[4] = ArrayParam(retryable, BOOLARRAYOID);
		/* What statement_timestamp() returns, and the backoff settings (FAIL_SET, queue_statements.cpp). */
		params->params[5] = ParamExternData{TimestampTzGetDatum(GetCurrentStatementStartTimestamp()), false,
		                                    PARAM_FLAG_CONST, TIMESTAMPTZOID};
		params->params[6] = ArrayParam(DrawFractions(ids.count), FLOAT8ARRAYOID);
		params->params[7] = ParamExternData{Float8GetDatum(retry_backoff_base_ms), false, PARAM_FLAG_CONST, FLOAT8OID};
		params->params[8] = ParamExternData{Float8GetDatum(retry_backoff_cap_ms), false, PARAM_FLAG_CONST, FLOAT8OID};
	}
	return OutcomeBatch{kind, ids, params};
}

void
RunOutcomes(FunctionCallInfo fcinfo, const OutcomeBatch &batch)
{
	const Oid relid = RunstoreRelation("executions");
	if (OidIsValid(relid) && DistributedByCitus(relid))
		RunOnCluster(fcinfo, batch, false);
	else
		RunIdStatement(fcinfo, batch.ids, ShapeOf(batch.kind).statement, batch.params, false);
}

void
RunOutcomesOnThisNode(FunctionCallInfo fcinfo, const OutcomeBatch &batch)
{
	RunOnCluster(fcinfo, batch, true);
}

OutcomeKind
OutcomeKindNamed(const char *name)
{
	for (int k = 0; k < kKinds; ++k)
		if (std::strcmp(kShapes[k].name, name) == 0)
			return static_cast<OutcomeKind>(k);
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("kind must be complete, fail, release or heartbeat, not \"%s\"", name)));
	return OutcomeKind::kComplete; /* not reached */
}

} // namespace runstore::pg
