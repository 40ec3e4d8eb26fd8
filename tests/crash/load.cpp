// load.cpp: the clients of the crash test.
//
// Inserters: multi-row INSERT, COPY FROM STDIN, explicit transactions that
// insert and delete_many together, rolled-back transactions, delete_many and
// delete_by_tag of their own earlier rows, cancel.  Workers: dequeue with a
// 2 s lease, heartbeat, complete (alone or several in one transaction), fail
// (retryable or final), abandon (the lease runs out), and late completes of
// abandoned claims (fencing).  A checkpointer issues CHECKPOINT now and then,
// so crashes land before, during and after checkpoints.
//
// Journal lines (see check.cpp for what each promises):
//   I id ws wf user prio max_attempts token     insert acknowledged
//   R id                                        never committed (rolled back / failed / COMMIT never sent)
//   T new_ids del_ids                           transaction of unknown outcome (comma lists, '-' if none)
//   X id                                        delete acknowledged (returned by delete_many/delete_by_tag)
//   K id / UK id                                cancel acknowledged / of unknown outcome
//   M id wf user / UM id wf user                moved to another workflow/user: acknowledged / unknown
//   D id attempt worker t0_us lease_ms t1_us    claim acknowledged (sent at t0, answer at t1)
//   H id attempt worker t0_us lease_ms          heartbeat acknowledged (sent at t0)
//   C id attempt worker r / C0 id attempt worker      complete acknowledged true / false
//   F id attempt worker status err / F0 id attempt worker   fail acknowledged / refused (NULL)
//   UC id attempt worker r / UF id attempt worker err       complete / fail of unknown outcome
#include "load.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace crash {

namespace {

constexpr int kLeaseMs = 2000;
const char* kLease = "2 s";

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  if (v.empty()) return "-";
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string s = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ",";
    s += ids[i];
  }
  return s + "}";
}

struct Row {
  std::string id, user, token, tag;
  int ws = 1, wf = -1, prio = 0, max_attempts = 3;
};

Row make_row(Rng& rng, const std::string& tag) {
  Row r;
  r.id = rng.uuid();
  r.ws = rng.range(1, 3);
  r.wf = rng.chance(0.15) ? -1 : rng.range(1, 6);
  r.user = rng.chance(0.3) ? "" : "u" + std::to_string(rng.range(1, 3));
  r.prio = rng.chance(0.8) ? 0 : rng.range(1, 2);
  r.max_attempts = rng.range(1, 4);
  r.token = rng.hex(12);
  r.tag = tag;
  return r;
}

std::string journal_insert(const Row& r) {
  std::ostringstream o;
  o << "I " << r.id << ' ' << r.ws << ' ' << (r.wf < 0 ? "-" : std::to_string(r.wf)) << ' '
    << (r.user.empty() ? "-" : r.user) << ' ' << r.prio << ' ' << r.max_attempts << ' ' << r.token;
  return o.str();
}

const char* kColumns = "(id, workspace_id, workflow_id, user_id, priority, max_attempts, tags, payload)";

// The error of a statement that failed with the connection intact: a
// deadlock or serialization failure is expected, anything else is a bug.
void on_failed(Conn& c, const std::string& where) {
  if (is_transient_error(c.last_sqlstate()))
    g_stats.aborted++;
  else
    report_unexpected(where, c.last_sqlstate() + " " + c.last_error());
}

class Inserter {
 public:
  Inserter(const Options& opt, int index)
      : opt_(opt),
        rng_(opt.seed * 1000003 + index * 7919 + 11),
        journal_(opt.journal_dir + "/" + opt.tag + "-inserter" + std::to_string(index) + ".log"),
        index_(index),
        conn_(conninfo_from_env()) {}

  void run() {
    if (!conn_.ok()) {
      report_unexpected("inserter connect", conn_.last_error());
      return;
    }
    while (!opt_.stop->load()) {
      int p = rng_.range(1, 100);
      bool alive;
      if (p <= 30)
        alive = insert(rng_.range(1, 20));
      else if (p <= 50)
        alive = copy(rng_.range(5, 60));
      else if (p <= 62)
        alive = transaction(false);
      else if (p <= 67)
        alive = transaction(true);
      else if (p <= 80)
        alive = delete_many();
      else if (p <= 87)
        alive = move();
      else if (p <= 92)
        alive = cancel();
      else
        alive = delete_by_tag();
      if (!alive) return;  // the connection broke: this client is done
      sleep_ms(rng_.range(5, 30));
    }
  }

 private:
  std::string tag() {
    if (++batches_ % 8 == 0) ++group_;
    return opt_.tag + "_i" + std::to_string(index_) + "_g" + std::to_string(group_);
  }
  std::vector<Row> rows(int n) {
    std::string t = tag();
    std::vector<Row> v;
    for (int i = 0; i < n; ++i) v.push_back(make_row(rng_, t));
    return v;
  }
  void acked_insert(const std::vector<Row>& v) {
    for (const Row& r : v) {
      journal_.line(journal_insert(r));
      live_.push_back(r.id);
      by_tag_[r.tag].push_back(r.id);
      g_stats.rows_inserted++;
    }
    g_stats.acked++;
  }
  void never_committed(const std::vector<Row>& v) {
    for (const Row& r : v) journal_.line("R " + r.id);
  }
  std::vector<std::string> ids_of(const std::vector<Row>& v) {
    std::vector<std::string> ids;
    for (const Row& r : v) ids.push_back(r.id);
    return ids;
  }
  void forget(const std::string& id) {
    live_.erase(std::remove(live_.begin(), live_.end(), id), live_.end());
    for (auto& [t, ids] : by_tag_) ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  }
  std::vector<std::string> pick_live(int n) {
    std::vector<std::string> v = live_;
    std::shuffle(v.begin(), v.end(), rng_.gen);
    if (static_cast<int>(v.size()) > n) v.resize(n);
    return v;
  }

  // INSERT ... VALUES (...), (...) with bound parameters.
  Outcome send_insert(const std::vector<Row>& v) {
    std::string sql = std::string("INSERT INTO runstore.executions ") + kColumns + " VALUES ";
    std::vector<std::string> store;
    store.reserve(v.size() * 8);
    std::vector<const char*> params;
    int n = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const Row& r = v[i];
      sql += i ? ", (" : "(";
      for (int k = 0; k < 8; ++k) sql += (k ? ", $" : "$") + std::to_string(++n);
      sql += ")";
      store.push_back(r.id);
      store.push_back(std::to_string(r.ws));
      store.push_back(r.wf < 0 ? "" : std::to_string(r.wf));
      store.push_back(r.user);
      store.push_back(std::to_string(r.prio));
      store.push_back(std::to_string(r.max_attempts));
      store.push_back("{crash," + r.tag + "}");
      store.push_back("{\"t\": \"" + r.token + "\"}");
    }
    for (size_t i = 0; i < store.size(); ++i) {
      int col = static_cast<int>(i % 8);
      bool is_null = (col == 2 || col == 3) && store[i].empty();
      params.push_back(is_null ? nullptr : store[i].c_str());
    }
    return conn_.exec(sql, params, nullptr);
  }

  bool insert(int n) {
    auto v = rows(n);
    Outcome o = send_insert(v);
    if (o == Outcome::ok) {
      acked_insert(v);
      return true;
    }
    if (o == Outcome::failed) {  // an autocommit statement that failed committed nothing
      on_failed(conn_, "insert");
      never_committed(v);
      return true;
    }
    journal_.line("T " + join(ids_of(v)) + " -");
    g_stats.unknown++;
    return false;
  }

  bool copy(int n) {
    auto v = rows(n);
    std::string data;
    for (const Row& r : v) {
      data += r.id + "\t" + std::to_string(r.ws) + "\t" + (r.wf < 0 ? "\\N" : std::to_string(r.wf)) + "\t" +
              (r.user.empty() ? "\\N" : r.user) + "\t" + std::to_string(r.prio) + "\t" +
              std::to_string(r.max_attempts) + "\t{crash," + r.tag + "}\t{\"t\": \"" + r.token + "\"}\n";
    }
    Outcome o = conn_.copy_in(std::string("COPY runstore.executions ") + kColumns + " FROM STDIN", data);
    if (o == Outcome::ok) {
      acked_insert(v);
      g_stats.copies++;
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "copy");
      never_committed(v);
      return true;
    }
    journal_.line("T " + join(ids_of(v)) + " -");
    g_stats.unknown++;
    return false;
  }

  // BEGIN; INSERT; SELECT delete_many(earlier rows); COMMIT (or ROLLBACK).
  bool transaction(bool rollback) {
    auto v = rows(rng_.range(1, 15));
    auto dels = pick_live(rng_.range(0, 5));
    auto abort_with = [&](Outcome o, const char* where) {
      // COMMIT was never sent: nothing of this transaction can be committed.
      never_committed(v);
      if (o == Outcome::failed) {
        on_failed(conn_, where);
        conn_.exec("ROLLBACK");
        return true;
      }
      return false;
    };
    Outcome o = conn_.exec("BEGIN");
    if (o != Outcome::ok) return abort_with(o, "begin");
    o = send_insert(v);
    if (o != Outcome::ok) return abort_with(o, "txn insert");
    std::vector<std::string> deleted;
    if (!dels.empty()) {
      std::string arr = uuid_array(dels);
      Result r;
      o = conn_.exec("SELECT x FROM runstore.delete_many($1::uuid[]) x", {arr.c_str()}, &r.r);
      if (o != Outcome::ok) return abort_with(o, "txn delete_many");
      for (int i = 0; i < r.rows(); ++i) deleted.push_back(r.get(i, 0));
    }
    if (rollback) {
      conn_.exec("ROLLBACK");  // whatever its outcome: never committed
      never_committed(v);
      g_stats.rollbacks++;
      g_stats.acked++;
      return conn_.ok();
    }
    o = conn_.exec("COMMIT");
    if (o == Outcome::ok) {
      acked_insert(v);
      for (const auto& id : deleted) {
        journal_.line("X " + id);
        forget(id);
        g_stats.rows_deleted++;
      }
      check_all_deleted(dels, deleted, "txn delete_many");
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "commit");
      never_committed(v);
      return true;
    }
    journal_.line("T " + join(ids_of(v)) + " " + join(deleted));
    g_stats.unknown++;
    return false;
  }

  // Every id passed was inserted by this client (acknowledged) and never
  // deleted: each must be deleted.
  void check_all_deleted(const std::vector<std::string>& asked, const std::vector<std::string>& got,
                         const char* where) {
    if (asked.size() != got.size())
      report_unexpected(where, "asked to delete " + std::to_string(asked.size()) + " live rows, deleted " +
                                   std::to_string(got.size()));
  }

  bool delete_many() {
    auto dels = pick_live(rng_.range(1, 10));
    if (dels.empty()) return insert(rng_.range(1, 10));
    std::string arr = uuid_array(dels);
    Result r;
    Outcome o = conn_.exec("SELECT x FROM runstore.delete_many($1::uuid[]) x", {arr.c_str()}, &r.r);
    if (o == Outcome::ok) {
      std::vector<std::string> got;
      for (int i = 0; i < r.rows(); ++i) {
        got.push_back(r.get(i, 0));
        journal_.line("X " + got.back());
        g_stats.rows_deleted++;
      }
      for (const auto& id : dels) forget(id);
      check_all_deleted(dels, got, "delete_many");
      g_stats.acked++;
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "delete_many");
      return true;
    }
    journal_.line("T - " + join(dels));
    g_stats.unknown++;
    return false;
  }

  bool delete_by_tag() {
    // An older group of this client's rows (not the one being filled).
    std::vector<std::string> tags;
    for (auto& [t, ids] : by_tag_)
      if (!ids.empty() && t != opt_.tag + "_i" + std::to_string(index_) + "_g" + std::to_string(group_))
        tags.push_back(t);
    if (tags.empty()) return insert(rng_.range(1, 10));
    std::string t = tags[rng_.range(0, static_cast<int>(tags.size()) - 1)];
    std::vector<std::string> expected = by_tag_[t];
    Result r;
    Outcome o = conn_.exec("SELECT x FROM runstore.delete_by_tag($1, 1000) x", {t.c_str()}, &r.r);
    if (o == Outcome::ok) {
      std::vector<std::string> got;
      for (int i = 0; i < r.rows(); ++i) {
        got.push_back(r.get(i, 0));
        journal_.line("X " + got.back());
        g_stats.rows_deleted++;
      }
      // Rows of this tag from inserts of unknown outcome cannot exist here
      // (a client stops at its first unknown outcome), so exactly these.
      auto a = expected, b = got;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (a != b) report_unexpected("delete_by_tag", "deleted a different set than the live rows of tag " + t);
      for (const auto& id : expected) forget(id);
      by_tag_.erase(t);
      g_stats.acked++;
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "delete_by_tag");
      return true;
    }
    journal_.line("T - " + join(expected));
    g_stats.unknown++;
    return false;
  }

  // Moves some of its rows to other workflows and users in one UPDATE (the
  // summaries' update path: a row leaves one group and joins another).
  bool move() {
    auto ids = pick_live(rng_.range(1, 5));
    if (ids.empty()) return insert(rng_.range(1, 10));
    std::string wfs = "{", users = "{";
    std::vector<std::string> lines;
    for (size_t i = 0; i < ids.size(); ++i) {
      int wf = rng_.chance(0.15) ? -1 : rng_.range(1, 6);
      std::string user = rng_.chance(0.3) ? "" : "u" + std::to_string(rng_.range(1, 3));
      wfs += (i ? "," : "") + (wf < 0 ? std::string("NULL") : std::to_string(wf));
      users += (i ? "," : "") + (user.empty() ? std::string("NULL") : user);
      lines.push_back(ids[i] + " " + (wf < 0 ? "-" : std::to_string(wf)) + " " + (user.empty() ? "-" : user));
    }
    wfs += "}";
    users += "}";
    std::string arr = uuid_array(ids);
    Result r;
    Outcome o = conn_.exec(
        "UPDATE runstore.executions e SET workflow_id = m.wf, user_id = m.u"
        " FROM ROWS FROM (unnest($1::uuid[]), unnest($2::bigint[]), unnest($3::text[])) AS m(id, wf, u)"
        " WHERE e.id = m.id",
        {arr.c_str(), wfs.c_str(), users.c_str()}, &r.r);
    if (o == Outcome::ok) {
      for (const auto& l : lines) journal_.line("M " + l);
      g_stats.acked++;
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "move");
      return true;
    }
    for (const auto& l : lines) journal_.line("UM " + l);
    g_stats.unknown++;
    return false;
  }

  bool cancel() {
    auto ids = pick_live(rng_.range(1, 4));
    if (ids.empty()) return insert(rng_.range(1, 10));
    std::string arr = uuid_array(ids);
    Result r;
    Outcome o = conn_.exec("SELECT x FROM runstore.cancel($1::uuid[]) x", {arr.c_str()}, &r.r);
    if (o == Outcome::ok) {
      for (int i = 0; i < r.rows(); ++i) journal_.line(std::string("K ") + r.get(i, 0));
      g_stats.cancels += r.rows();
      g_stats.acked++;
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "cancel");
      return true;
    }
    for (const auto& id : ids) journal_.line("UK " + id);
    g_stats.unknown++;
    return false;
  }

  const Options& opt_;
  Rng rng_;
  Journal journal_;
  int index_;
  Conn conn_;
  long batches_ = 0, group_ = 0;
  std::vector<std::string> live_;
  std::map<std::string, std::vector<std::string>> by_tag_;
};

struct Job {
  std::string id;
  int attempt;
  int64_t lease_end_us;  // a lower bound: t0 of the call that set it + lease
};

struct Zombie {
  Job job;
  int64_t abandoned_us;
};

class Worker {
 public:
  Worker(const Options& opt, int index, bool fast)
      : opt_(opt),
        rng_(opt.seed * 7777 + index * 104729 + (fast ? 5 : 3)),
        journal_(opt.journal_dir + "/" + opt.tag + (fast ? "-resume" : "-worker") + std::to_string(index) + ".log"),
        name_("w" + std::to_string(index)),
        fast_(fast),
        conn_(conninfo_from_env()) {}

  void run() {
    if (!conn_.ok()) {
      report_unexpected("worker connect", conn_.last_error());
      return;
    }
    while (true) {
      bool stopping = opt_.stop->load();
      if (stopping && (!fast_ || jobs_.empty())) return;  // load: leave claims behind, as a dying worker does
      if (jobs_.empty()) {
        if (!dequeue(fast_ ? 50 : rng_.range(1, 8))) return;
        if (jobs_.empty()) {
          if (!fast_ && !zombies_.empty() && !late_completes()) return;
          sleep_ms(fast_ ? 20 : rng_.range(20, 60));
        }
        continue;
      }
      if (fast_) {
        if (!finish_all_in_transaction()) return;
        continue;
      }
      sleep_ms(rng_.range(10, 150));  // the work
      bool near = false;
      for (const Job& j : jobs_) near |= j.lease_end_us - now_us() < 600000;
      if ((near || rng_.chance(0.3)) && !heartbeat()) return;
      if (jobs_.empty()) continue;
      if (!finish_some()) return;
      if (!zombies_.empty() && !late_completes()) return;
    }
  }

 private:
  bool lost(const char* where) {
    if (fast_) report_unexpected(where, "connection lost: " + conn_.last_error());
    g_stats.unknown++;
    return false;
  }

  bool dequeue(int max_jobs) {
    std::string n = std::to_string(max_jobs);
    int64_t t0 = now_us();
    Result r;
    Outcome o =
        conn_.exec("SELECT id, attempt FROM runstore.dequeue($1, $2, $3)", {name_.c_str(), n.c_str(), kLease}, &r.r);
    if (o == Outcome::failed) {
      on_failed(conn_, "dequeue");
      return true;
    }
    if (o == Outcome::lost) return lost("dequeue");
    int64_t t1 = now_us();  // the claims were made before this
    for (int i = 0; i < r.rows(); ++i) {
      Job j{r.get(i, 0), std::atoi(r.get(i, 1)), t0 + kLeaseMs * 1000LL};
      journal_.line("D " + j.id + " " + std::to_string(j.attempt) + " " + name_ + " " + std::to_string(t0) + " " +
                    std::to_string(kLeaseMs) + " " + std::to_string(t1));
      jobs_.push_back(j);
    }
    g_stats.claims += r.rows();
    g_stats.acked++;
    return true;
  }

  bool heartbeat() {
    std::vector<std::string> ids;
    std::string attempts = "{";
    for (size_t i = 0; i < jobs_.size(); ++i) {
      ids.push_back(jobs_[i].id);
      attempts += (i ? "," : "") + std::to_string(jobs_[i].attempt);
    }
    attempts += "}";
    std::string arr = uuid_array(ids);
    int64_t t0 = now_us();
    Result r;
    Outcome o = conn_.exec("SELECT x FROM runstore.heartbeat($1, $2::uuid[], $3, $4::int[]) x",
                           {name_.c_str(), arr.c_str(), kLease, attempts.c_str()}, &r.r);
    if (o == Outcome::failed) {
      on_failed(conn_, "heartbeat");
      return true;
    }
    if (o == Outcome::lost) return lost("heartbeat");
    std::vector<Job> kept;
    for (int i = 0; i < r.rows(); ++i) {
      std::string id = r.get(i, 0);
      for (Job& j : jobs_)
        if (j.id == id) {
          j.lease_end_us = t0 + kLeaseMs * 1000LL;
          journal_.line("H " + id + " " + std::to_string(j.attempt) + " " + name_ + " " + std::to_string(t0) + " " +
                        std::to_string(kLeaseMs));
          kept.push_back(j);
        }
    }
    // The others were cancelled, deleted, or (lease ended) claimed again: drop them.
    g_stats.refused += static_cast<long>(jobs_.size() - kept.size());
    jobs_ = kept;
    g_stats.heartbeats++;
    g_stats.acked++;
    return true;
  }

  // One finishing call, run alone (autocommit) or inside a transaction.
  struct Finish {
    Job job;
    bool complete = true;
    bool retryable = true;
    std::string value;  // result r, or error token
    bool accepted = false;
    std::string status;
  };

  Outcome send(Finish& f) {
    std::string att = std::to_string(f.job.attempt);
    Result r;
    Outcome o;
    if (f.complete) {
      std::string result = "{\"r\": " + f.value + "}";
      o = conn_.exec("SELECT runstore.complete($1, $2, $3::jsonb, $4)",
                     {f.job.id.c_str(), name_.c_str(), result.c_str(), att.c_str()}, &r.r);
      if (o == Outcome::ok) f.accepted = std::string(r.get(0, 0)) == "t";
    } else {
      o = conn_.exec("SELECT runstore.fail($1, $2, $3, $4, $5)",
                     {f.job.id.c_str(), name_.c_str(), f.value.c_str(), f.retryable ? "true" : "false", att.c_str()},
                     &r.r);
      if (o == Outcome::ok) {
        f.accepted = !r.null(0, 0);
        f.status = f.accepted ? r.get(0, 0) : "";
      }
    }
    return o;
  }

  std::string head(const Finish& f) const { return f.job.id + " " + std::to_string(f.job.attempt) + " " + name_; }

  void acknowledged(const Finish& f) {
    if (f.complete && f.accepted) {
      journal_.line("C " + head(f) + " " + f.value);
      g_stats.completes++;
    } else if (f.complete) {
      journal_.line("C0 " + head(f));
      g_stats.refused++;
    } else if (f.accepted) {
      journal_.line("F " + head(f) + " " + f.status + " " + f.value);
      g_stats.fails++;
    } else {
      journal_.line("F0 " + head(f));
      g_stats.refused++;
    }
    g_stats.acked++;
  }

  void unknown(const Finish& f) {
    if (f.complete)
      journal_.line("UC " + head(f) + " " + f.value);
    else
      journal_.line("UF " + head(f) + " " + f.value);
    g_stats.unknown++;
  }

  Finish plan(const Job& j, bool complete, bool retryable) {
    Finish f;
    f.job = j;
    f.complete = complete;
    f.retryable = retryable;
    f.value = complete ? std::to_string(rng_.range(1, 1000000)) : "boom-" + rng_.hex(8);
    return f;
  }

  // Autocommit calls, or several in one transaction (acknowledged at COMMIT).
  bool run_finishes(std::vector<Finish>& fs, bool in_txn) {
    if (fs.empty()) return true;
    if (!in_txn) {
      for (Finish& f : fs) {
        Outcome o = send(f);
        if (o == Outcome::ok) {
          acknowledged(f);
        } else if (o == Outcome::failed) {
          on_failed(conn_, f.complete ? "complete" : "fail");
        } else {
          unknown(f);
          return lost("finish");
        }
      }
      return true;
    }
    Outcome o = conn_.exec("BEGIN");
    for (size_t i = 0; o == Outcome::ok && i < fs.size(); ++i) o = send(fs[i]);
    if (o == Outcome::failed) {
      on_failed(conn_, "finish in transaction");
      conn_.exec("ROLLBACK");
      return true;
    }
    if (o == Outcome::lost) return lost("finish in transaction");  // COMMIT never sent: nothing changed
    o = conn_.exec("COMMIT");
    if (o == Outcome::ok) {
      for (Finish& f : fs) acknowledged(f);
      return true;
    }
    if (o == Outcome::failed) {
      on_failed(conn_, "commit finishes");
      return true;
    }
    for (Finish& f : fs)
      if (f.accepted) unknown(f);
    return lost("commit finishes");
  }

  bool finish_some() {
    int n = rng_.range(1, static_cast<int>(jobs_.size()));
    std::vector<Finish> fs;
    std::vector<Job> keep;
    for (size_t i = 0; i < jobs_.size(); ++i) {
      const Job& j = jobs_[i];
      if (static_cast<int>(i) >= n) {
        keep.push_back(j);
        continue;
      }
      int p = rng_.range(1, 100);
      if (p <= 65)
        fs.push_back(plan(j, true, false));
      else if (p <= 85)
        fs.push_back(plan(j, false, true));
      else if (p <= 90)
        fs.push_back(plan(j, false, false));
      else if (p <= 95)
        zombies_.push_back({j, now_us()});  // abandon: its lease runs out
      else
        keep.push_back(j);  // a longer job: heartbeats keep it
    }
    jobs_ = keep;
    return run_finishes(fs, fs.size() > 1 && rng_.chance(0.35));
  }

  // A worker that abandoned a claim comes back after its lease ended and
  // tries to complete it with its old fencing token: refused if it was
  // claimed again meanwhile, accepted if nobody claimed it.
  bool late_completes() {
    std::vector<Finish> fs;
    std::vector<Zombie> rest;
    for (const Zombie& z : zombies_) {
      if (now_us() - z.abandoned_us > (kLeaseMs + 500) * 1000LL)
        fs.push_back(plan(z.job, true, false));
      else
        rest.push_back(z);
    }
    zombies_ = rest;
    return run_finishes(fs, false);
  }

  bool finish_all_in_transaction() {
    std::vector<Finish> fs;
    for (const Job& j : jobs_) fs.push_back(plan(j, !rng_.chance(0.1), true));
    jobs_.clear();
    return run_finishes(fs, true);
  }

  const Options& opt_;
  Rng rng_;
  Journal journal_;
  std::string name_;
  bool fast_;
  Conn conn_;
  std::vector<Job> jobs_;
  std::vector<Zombie> zombies_;
};

void checkpointer(const Options& opt) {
  Rng rng(opt.seed * 31 + 17);
  Conn c(conninfo_from_env());
  if (!c.ok()) {
    report_unexpected("checkpointer connect", c.last_error());
    return;
  }
  while (!opt.stop->load()) {
    sleep_ms(rng.range(300, 1500));
    Outcome o = c.exec("CHECKPOINT");
    if (o == Outcome::lost) return;
    if (o == Outcome::failed) on_failed(c, "checkpoint");
    g_stats.checkpoints++;
  }
}

void print_stats(const char* phase) {
  std::cout << phase << ": " << g_stats.acked << " acknowledged operations (" << g_stats.rows_inserted
            << " rows inserted, " << g_stats.copies << " COPYs, " << g_stats.rows_deleted << " rows deleted, "
            << g_stats.cancels << " cancelled, " << g_stats.rollbacks << " rollbacks, " << g_stats.claims << " claims, "
            << g_stats.heartbeats << " heartbeats, " << g_stats.completes << " completes, " << g_stats.fails
            << " fails, " << g_stats.refused << " refused), " << g_stats.unknown << " of unknown outcome, "
            << g_stats.aborted << " deadlocks/serialization failures, " << g_stats.checkpoints << " checkpoints"
            << std::endl;
}

}  // namespace

int run_load(const Options& opt) {
  std::vector<std::thread> threads;
  std::atomic<int> running{0};
  auto spawn = [&](auto fn) {
    running++;
    threads.emplace_back([fn, &running] {
      fn();
      running--;
    });
  };
  for (int i = 1; i <= opt.inserters; ++i) spawn([&opt, i] { Inserter(opt, i).run(); });
  for (int i = 1; i <= opt.workers; ++i) spawn([&opt, i] { Worker(opt, i, false).run(); });
  spawn([&opt] { checkpointer(opt); });
  // Every client stops at its first lost connection; the harness kills the
  // server long before the time limit.
  int64_t deadline = now_us() + opt.seconds * 1000000LL;
  while (running.load() > 0 && now_us() < deadline) sleep_ms(20);
  opt.stop->store(true);
  for (auto& t : threads) t.join();
  print_stats("load");
  return g_stats.unexpected ? 3 : 0;
}

namespace {

// Executions running when the resume phase starts: (id, attempt).
// `last_lease_end_us`: when the latest of their leases ends.
std::vector<std::pair<std::string, std::string>> running_now(Conn& c, int64_t& last_lease_end_us) {
  std::vector<std::pair<std::string, std::string>> v;
  Result r;
  if (c.exec("SELECT id, attempt, (extract(epoch FROM lease_expires_at) * 1000000)::bigint"
             " FROM runstore.executions WHERE status = 'running'",
             {}, &r.r) != Outcome::ok) {
    report_unexpected("resume", "cannot list running executions: " + c.last_error());
    return v;
  }
  last_lease_end_us = 0;
  for (int i = 0; i < r.rows(); ++i) {
    v.emplace_back(r.get(i, 0), r.get(i, 1));
    last_lease_end_us = std::max<int64_t>(last_lease_end_us, std::atoll(r.get(i, 2)));
  }
  return v;
}

long still_held(Conn& c, const std::vector<std::pair<std::string, std::string>>& held) {
  if (held.empty()) return 0;
  std::string ids = "{", atts = "{";
  for (size_t i = 0; i < held.size(); ++i) {
    ids += (i ? "," : "") + held[i].first;
    atts += (i ? "," : "") + held[i].second;
  }
  ids += "}";
  atts += "}";
  Result r;
  Outcome o = c.exec(
      "SELECT count(*) FROM runstore.executions e"
      " JOIN ROWS FROM (unnest($1::uuid[]), unnest($2::int[])) AS s(id, attempt)"
      " ON e.id = s.id AND e.attempt = s.attempt WHERE e.status = 'running'",
      {ids.c_str(), atts.c_str()}, &r.r);
  if (o != Outcome::ok) {
    report_unexpected("resume", "cannot count held executions: " + c.last_error());
    return -1;
  }
  return std::atol(r.get(0, 0));
}

}  // namespace

// After a restart: the claims of the workers that died are reclaimed once
// their leases end, workers claim and complete again, and when they stop no
// execution is left running past its lease.
int run_resume(const Options& opt) {
  Conn c(conninfo_from_env());
  if (!c.ok()) {
    std::cerr << "resume: cannot connect: " << c.last_error() << std::endl;
    return 1;
  }
  int64_t last_lease_end = 0;
  auto held = running_now(c, last_lease_end);
  int64_t began = now_us();
  int violations = 0;
  // New work, so the workers have something to claim even if nothing was due.
  {
    Rng rng(opt.seed * 13 + 1);
    Journal j(opt.journal_dir + "/" + opt.tag + "-resume-enqueue.log");
    std::vector<Row> v;
    for (int i = 0; i < 20; ++i) v.push_back(make_row(rng, opt.tag + "_resume"));
    std::string data;
    for (const Row& r : v)
      data += r.id + "\t" + std::to_string(r.ws) + "\t" + (r.wf < 0 ? "\\N" : std::to_string(r.wf)) + "\t" +
              (r.user.empty() ? "\\N" : r.user) + "\t" + std::to_string(r.prio) + "\t" +
              std::to_string(r.max_attempts) + "\t{crash," + r.tag + "}\t{\"t\": \"" + r.token + "\"}\n";
    if (c.copy_in(std::string("COPY runstore.executions ") + kColumns + " FROM STDIN", data) != Outcome::ok) {
      std::cerr << "VIOLATION resume: enqueue after restart failed: " << c.last_error() << std::endl;
      return 1;
    }
    for (const Row& r : v) j.line(journal_insert(r));
  }
  int64_t start = now_us();
  std::vector<std::thread> threads;
  for (int i = 1; i <= opt.workers; ++i) threads.emplace_back([&opt, i] { Worker(opt, i, true).run(); });
  long left = -1;
  while (true) {
    left = still_held(c, held);
    double secs = (now_us() - start) / 1e6;
    if (left == 0 && g_stats.claims > 0 && g_stats.completes > 0 && secs >= 0.5) break;
    if (secs > opt.seconds || left < 0) break;
    sleep_ms(100);
  }
  double took = (now_us() - start) / 1e6;
  opt.stop->store(true);
  for (auto& t : threads) t.join();
  if (left != 0) {
    std::cerr << "VIOLATION resume: " << left << " of the " << held.size()
              << " executions running at restart still held by their dead workers after " << took << " s" << std::endl;
    violations++;
  }
  if (g_stats.claims == 0 || g_stats.completes == 0) {
    std::cerr << "VIOLATION resume: workers did not resume (" << g_stats.claims << " claims, " << g_stats.completes
              << " completes)" << std::endl;
    violations++;
  }
  Result r;
  if (c.exec("SELECT count(*) FILTER (WHERE lease_expires_at < statement_timestamp()), count(*)"
             " FROM runstore.executions WHERE status = 'running'",
             {}, &r.r) != Outcome::ok) {
    std::cerr << "VIOLATION resume: " << c.last_error() << std::endl;
    return 1;
  }
  long expired = std::atol(r.get(0, 0)), running = std::atol(r.get(0, 1));
  if (expired != 0 || running != 0) {
    std::cerr << "VIOLATION resume: after the workers stopped, " << running << " executions are running, " << expired
              << " of them past their lease" << std::endl;
    violations++;
  }
  std::cout.precision(2);
  std::cout << std::fixed << "resume: " << held.size() << " claims of dead workers released in " << took
            << " s; workers made " << g_stats.claims << " claims and " << g_stats.completes << " completes; " << running
            << " executions left running";
  if (!held.empty()) {
    double d = (last_lease_end - began) / 1e6;
    if (d > 0)
      std::cout << " (the last dead lease still had " << d << " s to run when the phase began)";
    else
      std::cout << " (every dead lease had ended when the phase began)";
  }
  std::cout << std::endl;
  print_stats("resume");
  if (g_stats.unexpected) violations++;
  return violations ? 1 : 0;
}

}  // namespace crash
