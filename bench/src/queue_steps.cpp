// queue_steps.cpp: see queue_steps.hpp.
#include "queue_steps.hpp"

#include <cstring>
#include <stdexcept>

namespace bench {

// Text-format parameters: the queue calls carry few, small values.
bench::Result run(PGconn* c, const char* name, std::initializer_list<const char*> params) {
  std::vector<const char*> values(params);
  bench::Result r(PQexecPrepared(c, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
                  &PQclear);
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string(name) + ": " + PQresultErrorMessage(r.get()));
  }
  return r;
}

void prepare_all(PGconn* c) {
  bench::prepare(c, "enqueue",
                 "INSERT INTO runstore.executions (workspace_id, workflow_id, payload)"
                 " SELECT 1 + g % 50, g % 200, pg_catalog.jsonb_build_object('n', $2::bigint + g)"
                 " FROM generate_series(1, $1::int) g",
                 0, nullptr);
  bench::prepare(c, "rs_dequeue", "SELECT id, attempt FROM runstore.dequeue($1, $2::int)", 0, nullptr);
  bench::prepare(c, "rs_complete", "SELECT runstore.complete($1::uuid, $2, '{\"ok\":true}', $3::int)", 0, nullptr);
  bench::prepare(c, "naive_select",
                 "SELECT id FROM runstore.executions WHERE status = 'queued' AND run_after <= now()"
                 " ORDER BY priority DESC, run_after, id LIMIT $1::int FOR UPDATE SKIP LOCKED",
                 0, nullptr);
  bench::prepare(c, "naive_claim",
                 "UPDATE runstore.executions SET status = 'running', attempt = attempt + 1, lease_owner = $1,"
                 " lease_expires_at = now() + interval '60 s', run_after = now() + interval '60 s',"
                 " started_at = now(), updated_at = now() WHERE id = ANY ($2::uuid[]) RETURNING id, attempt",
                 0, nullptr);
  bench::prepare(c, "naive_complete",
                 "UPDATE runstore.executions SET status = 'succeeded', result = '{\"ok\":true}',"
                 " lease_expires_at = NULL, finished_at = now(), updated_at = now()"
                 " WHERE id = $1::uuid AND status = 'running' AND lease_owner = $2 AND attempt = $3::int",
                 0, nullptr);
  bench::prepare(c, "delete_many", "SELECT count(*) FROM runstore.delete_many($1::uuid[])", 0, nullptr);
}

// The runstore worker's step: report the outcomes of the batch it holds and
// claim the next batch in one pipeline, one round trip and one transaction
// (every queue call is a single statement, so a worker may group them; a
// client-side queue cannot, as its claim needs a round trip between SELECT
// and UPDATE).  Returns the executions claimed.
std::vector<Claimed> report_and_claim(PGconn* c, const std::string& worker, const std::vector<Claimed>& held,
                                      int batch) {
  if (PQenterPipelineMode(c) != 1) throw std::runtime_error("cannot enter pipeline mode");
  for (const auto& job : held) {
    const char* values[] = {job.id.c_str(), worker.c_str(), job.attempt.c_str()};
    if (PQsendQueryPrepared(c, "rs_complete", 3, values, nullptr, nullptr, 0) != 1)
      throw std::runtime_error(PQerrorMessage(c));
  }
  const std::string n = std::to_string(batch);
  const char* dequeue_values[] = {worker.c_str(), n.c_str()};
  if (PQsendQueryPrepared(c, "rs_dequeue", 2, dequeue_values, nullptr, nullptr, 0) != 1)
    throw std::runtime_error(PQerrorMessage(c));
  if (PQpipelineSync(c) != 1) throw std::runtime_error(PQerrorMessage(c));
  std::string failure;
  std::vector<Claimed> claimed;
  for (std::size_t i = 0; i <= held.size(); ++i) {
    bench::Result r(PQgetResult(c), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      failure = PQresultErrorMessage(r.get());
    } else if (i < held.size()) {
      if (std::strcmp(PQgetvalue(r.get(), 0, 0), "t") != 0) failure = "complete refused: " + held[i].id;
    } else {
      for (int k = 0; k < PQntuples(r.get()); ++k)
        claimed.push_back({PQgetvalue(r.get(), k, 0), PQgetvalue(r.get(), k, 1)});
    }
    bench::Result end(PQgetResult(c), &PQclear);  // NULL after each query's results
  }
  bench::Result sync(PQgetResult(c), &PQclear);
  if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) failure = "pipeline: no sync";
  PQexitPipelineMode(c);
  if (!failure.empty()) throw std::runtime_error(failure);
  return claimed;
}

}  // namespace bench
