// client.cpp: runstore::Client over one libpq connection.
#include "runstore/client.hpp"

#include <array>
#include <string>

#include "binary_reader.hpp"
#include "execution_decoder.hpp"
#include "pg_handles.hpp"
#include "uuid_array_param.hpp"

namespace runstore {

namespace {

constexpr unsigned kInt8Oid = 20;

// One SQL statement the client sends, with its parameter types.  The types
// are fixed so the server never has to infer them from the first call.
struct Statement {
  const char* name;
  const char* sql;
};

constexpr Statement kGetByIds{
    "runstore_get_executions_by_ids_v1",
    "SELECT * FROM runstore.get_executions_by_ids($1, $2)"};
constexpr Statement kDeleteMany{
    "runstore_delete_many_v1",
    "SELECT d FROM runstore.delete_many($1, $2) AS d"};
constexpr std::array<const Statement*, 2> kStatements{&kGetByIds, &kDeleteMany};
constexpr std::array<Oid, 2> kIdsAndWorkspaceTypes{detail::kUuidArrayOid, kInt8Oid};

std::string int8_binary(std::int64_t v) {
  std::string out;
  detail::append_int4(out, static_cast<std::int32_t>(static_cast<std::uint64_t>(v) >> 32));
  detail::append_int4(out, static_cast<std::int32_t>(static_cast<std::uint64_t>(v) & 0xFFFFFFFFU));
  return out;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  detail::ConnPtr conn;
  std::array<bool, kStatements.size()> prepared{};

  explicit Impl(ClientOptions o) : options(std::move(o)) { connect(); }

  void connect() {
    conn.reset(PQconnectdb(options.conninfo.c_str()));
    prepared.fill(false);
    if (!conn) throw ConnectionError("out of memory allocating a connection", "08001");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn.get());
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      throw ConnectionError(msg, "08001");
    }
  }

  // A connection the server dropped since the last call is replaced before
  // the next one; what was prepared on it is gone with it.
  void ensure_connected() {
    if (PQstatus(conn.get()) == CONNECTION_OK) return;
    connect();
  }

  static std::size_t index_of(const Statement& s) {
    for (std::size_t i = 0; i < kStatements.size(); ++i) {
      if (kStatements[i] == &s) return i;
    }
    return 0;
  }

  // Runs `s` with binary parameters and binary results.
  detail::ResultPtr run(const Statement& s, const std::array<const std::string*, 2>& params) {
    ensure_connected();
    std::array<const char*, 2> values{};
    std::array<int, 2> lengths{};
    std::array<int, 2> formats{1, 1};
    for (std::size_t i = 0; i < params.size(); ++i) {
      values[i] = params[i] != nullptr ? params[i]->data() : nullptr;
      lengths[i] = params[i] != nullptr ? static_cast<int>(params[i]->size()) : 0;
    }
    detail::ResultPtr r;
    if (options.statement_mode == StatementMode::unnamed) {
      r.reset(PQexecParams(conn.get(), s.sql, 2, kIdsAndWorkspaceTypes.data(), values.data(),
                           lengths.data(), formats.data(), 1));
    } else {
      const std::size_t i = index_of(s);
      if (!prepared[i]) {
        detail::ResultPtr p(PQprepare(conn.get(), s.name, s.sql, 2, kIdsAndWorkspaceTypes.data()));
        detail::check_result(p.get(), conn.get(), PGRES_COMMAND_OK);
        prepared[i] = true;
      }
      r.reset(PQexecPrepared(conn.get(), s.name, 2, values.data(), lengths.data(), formats.data(), 1));
    }
    detail::check_result(r.get(), conn.get(), PGRES_TUPLES_OK);
    return r;
  }
};

Client::Client(const std::string& conninfo) : Client(ClientOptions{conninfo, StatementMode::prepared}) {}
Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

std::vector<Execution> Client::get_executions_by_ids(const std::vector<Uuid>& ids,
                                                     std::optional<std::int64_t> workspace_id) {
  const std::string id_param = detail::encode_uuid_array(ids);
  const std::string ws_param = workspace_id ? int8_binary(*workspace_id) : std::string();
  auto r = impl_->run(kGetByIds, {&id_param, workspace_id ? &ws_param : nullptr});
  return detail::decode_executions(r.get());
}

std::vector<Uuid> Client::delete_many(const std::vector<Uuid>& ids,
                                      std::optional<std::int64_t> workspace_id) {
  const std::string id_param = detail::encode_uuid_array(ids);
  const std::string ws_param = workspace_id ? int8_binary(*workspace_id) : std::string();
  auto r = impl_->run(kDeleteMany, {&id_param, workspace_id ? &ws_param : nullptr});
  std::vector<Uuid> out;
  const int rows = PQntuples(r.get());
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    out.push_back(detail::decode_uuid(
        {PQgetvalue(r.get(), i, 0), static_cast<std::size_t>(PQgetlength(r.get(), i, 0))}));
  }
  return out;
}

int Client::server_version() const { return PQserverVersion(impl_->conn.get()); }

}  // namespace runstore
