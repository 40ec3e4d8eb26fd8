// check.cpp: compares runstore.executions after crash recovery with every
// journal written so far (all cycles).  Run with no client connected.
//
// Acknowledged operations are checked strictly:
//   I  the row exists (unless an acknowledged or possibly-committed delete
//      removed it) with the inserted workspace, workflow, user, priority,
//      max_attempts and payload;
//   R  the row does not exist (its transaction never committed);
//   X  the row does not exist;
//   K  the row is cancelled;
//   D, H, C, F  the row's attempt (the fencing token) is at least the
//      acknowledged one: a claim is never lost, so no later claim can reuse
//      a token; no two acknowledged claims share one (id, attempt);
//   C  succeeded on that attempt with that result;
//   F  failed on that attempt with that error, or, if it was re-queued and
//      not claimed again since (same attempt), queued with that error;
//   D/H at the row's current attempt with nothing acknowledged after: the
//      row is running under that worker with a lease ending no earlier than
//      the acknowledged claim/heartbeat set it, unless an operation of
//      unknown outcome (or lease expiry on the last attempt) explains the
//      state it is in.
// Operations of unknown outcome (the acknowledgement never arrived) are
// checked for atomicity: a transaction T either committed entirely (its new
// rows all exist, its deleted rows all gone) or not at all.
// Every row in the table must come from some journaled insert.
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "load.hpp"

namespace crash {

namespace {

struct Ev {
  std::string kind;  // D H C F UC UF
  int attempt = 0;
  std::string worker, value, status;
  int64_t lease_end_us = 0;  // D, H: the lease ends no earlier than this
  int64_t acked_us = 0;      // D: the claim was made before this
};

struct Expect {
  bool inserted = false, never = false, deleted = false, maybe_deleted = false, cancelled = false,
       maybe_cancelled = false, in_unknown_insert = false;
  std::string ws, wf, user, prio, max_attempts, token;
  std::string maybe_wf, maybe_user;  // set by a move of unknown outcome
  bool maybe_moved = false;
  std::vector<Ev> evs;
};

struct DbRow {
  std::string ws, wf, user, prio, max_attempts, token, status, result, error, owner;
  int attempt = 0;
  int64_t lease_end_us = 0;  // 0: NULL
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  if (s == "-") return v;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, sep))
    if (!x.empty()) v.push_back(x);
  return v;
}

struct Checker {
  std::unordered_map<std::string, Expect> ids;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> unknown_txns;
  std::map<std::string, long> counts;  // strict checks by journal record kind
  long unknown_checked = 0, leases_checked = 0;
  std::vector<std::string> violations;

  void violation(const std::string& s) { violations.push_back(s); }

  bool read_dir(const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    if (!d) {
      std::perror(dir.c_str());
      return false;
    }
    std::vector<std::string> files;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.substr(n.size() - 4) == ".log") files.push_back(dir + "/" + n);
    }
    closedir(d);
    std::sort(files.begin(), files.end());
    for (const auto& f : files) read_file(f);
    return true;
  }

  void read_file(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string k, id;
      ls >> k;
      if (k == "T") {
        std::string a, b;
        ls >> a >> b;
        unknown_txns.emplace_back(split(a, ','), split(b, ','));
        for (const auto& n : unknown_txns.back().first) ids[n].in_unknown_insert = true;
        for (const auto& x : unknown_txns.back().second) ids[x].maybe_deleted = true;
        continue;
      }
      ls >> id;
      Expect& e = ids[id];
      if (k == "I") {
        e.inserted = true;
        ls >> e.ws >> e.wf >> e.user >> e.prio >> e.max_attempts >> e.token;
      } else if (k == "M") {
        // The row's owner journals its inserts and moves in order, in one file.
        ls >> e.wf >> e.user;
      } else if (k == "UM") {
        e.maybe_moved = true;
        ls >> e.maybe_wf >> e.maybe_user;
      } else if (k == "R") {
        e.never = true;
      } else if (k == "X") {
        e.deleted = true;
      } else if (k == "K") {
        e.cancelled = true;
      } else if (k == "UK") {
        e.maybe_cancelled = true;
      } else {
        Ev ev;
        ev.kind = k;
        ls >> ev.attempt >> ev.worker;
        if (k == "D" || k == "H") {
          int64_t t0;
          int lease_ms;
          ls >> t0 >> lease_ms;
          ev.lease_end_us = t0 + lease_ms * 1000LL;
          if (k == "D") ls >> ev.acked_us;
        } else if (k == "C" || k == "UC" || k == "UF") {
          ls >> ev.value;
        } else if (k == "F") {
          ls >> ev.status >> ev.value;
        }
        e.evs.push_back(ev);
      }
      counts[k]++;
    }
  }

  std::unordered_map<std::string, DbRow> rows;

  bool load_rows(Conn& c) {
    Result r;
    if (c.exec("SELECT id, workspace_id, coalesce(workflow_id::text, '-'), coalesce(user_id, '-'), priority,"
               " max_attempts, coalesce(payload->>'t', '-'), status, attempt, coalesce(result->>'r', '-'),"
               " coalesce(error, '-'), coalesce(lease_owner, '-'),"
               " coalesce((extract(epoch FROM lease_expires_at) * 1000000)::bigint, 0)"
               " FROM runstore.executions",
               {}, &r.r) != Outcome::ok) {
      std::cerr << "check: cannot read executions: " << c.last_error() << std::endl;
      return false;
    }
    for (int i = 0; i < r.rows(); ++i) {
      DbRow d{r.get(i, 1),
              r.get(i, 2),
              r.get(i, 3),
              r.get(i, 4),
              r.get(i, 5),
              r.get(i, 6),
              r.get(i, 7),
              r.get(i, 9),
              r.get(i, 10),
              r.get(i, 11),
              std::atoi(r.get(i, 8)),
              std::atoll(r.get(i, 12))};
      rows.emplace(r.get(i, 0), d);
    }
    return true;
  }

  static std::string describe(const DbRow& d) {
    return "status " + d.status + ", attempt " + std::to_string(d.attempt) + ", owner " + d.owner + ", result " +
           d.result + ", error '" + d.error + "'";
  }

  void check_id(const std::string& id, const Expect& e) {
    auto it = rows.find(id);
    const DbRow* d = it == rows.end() ? nullptr : &it->second;
    if (e.never && d) violation(id + ": its transaction never committed, yet the row exists");
    if (e.deleted) {
      if (d) violation(id + ": deletion was acknowledged, yet the row exists (" + describe(*d) + ")");
      return;
    }
    if (e.inserted && !e.maybe_deleted && !d) {
      violation(id + ": insert was acknowledged, the row is missing");
      return;
    }
    if (!d) return;
    if (e.inserted) {
      bool group =
          (d->wf == e.wf && d->user == e.user) || (e.maybe_moved && d->wf == e.maybe_wf && d->user == e.maybe_user);
      if (d->ws != e.ws || !group || d->prio != e.prio || d->max_attempts != e.max_attempts || d->token != e.token)
        violation(id + ": columns differ from the acknowledged insert and moves (workflow " + d->wf + ", user " +
                  d->user + "; expected " + e.wf + ", " + e.user + ")");
    }
    // The fencing token never goes back.
    int acked_max = 0;
    std::map<int, std::string> claimer;
    const Ev* terminal = nullptr;  // acknowledged complete, or fail
    int completes = 0;
    for (const Ev& ev : e.evs) {
      bool acked = ev.kind == "D" || ev.kind == "H" || ev.kind == "C" || ev.kind == "F";
      if (!acked) continue;
      acked_max = std::max(acked_max, ev.attempt);
      if (ev.kind == "D") {
        auto [pos, fresh] = claimer.emplace(ev.attempt, ev.worker);
        if (!fresh)
          violation(id + ": attempt " + std::to_string(ev.attempt) + " was claimed twice (" + pos->second + ", " +
                    ev.worker + ")");
      }
      if (ev.kind == "C") completes++;
      if (ev.kind == "C" || ev.kind == "F") {
        if (terminal && terminal->attempt == ev.attempt)
          violation(id + ": two acknowledged finishes of attempt " + std::to_string(ev.attempt));
        if (!terminal || ev.attempt > terminal->attempt) terminal = &ev;
      }
    }
    if (completes > 1) violation(id + ": completed " + std::to_string(completes) + " times");
    // No execution is held by two live leases: a claim of attempt a+1 comes
    // after the lease of attempt a ended, unless that claim was released
    // (fail, complete, cancel) first.
    for (const Ev& next : e.evs) {
      if (next.kind != "D") continue;
      int prev = next.attempt - 1;
      int64_t lease_end = 0;
      bool released = e.cancelled || e.maybe_cancelled;
      for (const Ev& ev : e.evs) {
        if (ev.attempt != prev) continue;
        if (ev.kind == "D" || ev.kind == "H") lease_end = std::max(lease_end, ev.lease_end_us);
        if (ev.kind == "F" || ev.kind == "UF" || ev.kind == "C" || ev.kind == "UC") released = true;
      }
      if (lease_end && !released && next.acked_us + 1000 < lease_end) {
        violation(id + ": attempt " + std::to_string(next.attempt) + " was claimed by " + next.worker + " " +
                  std::to_string((lease_end - next.acked_us) / 1000) + " ms before the lease of attempt " +
                  std::to_string(prev) + " ended");
      }
      if (lease_end && !released) leases_checked++;
    }
    if (d->attempt < acked_max) {
      violation(id + ": attempt went back from an acknowledged " + std::to_string(acked_max) + " to " +
                std::to_string(d->attempt) + " (" + describe(*d) + ")");
      return;
    }
    if (e.cancelled) {
      if (d->status != "cancelled") violation(id + ": cancel was acknowledged, row is " + describe(*d));
      if (completes) violation(id + ": both cancelled and completed");
      return;
    }
    auto unknown_at = [&](const char* kind, int attempt) -> const Ev* {
      for (const Ev& ev : e.evs)
        if (ev.kind == kind && ev.attempt == attempt) return &ev;
      return nullptr;
    };
    bool lease_expiry = d->status == "failed" && d->error.rfind("the lease of worker", 0) == 0;
    if (terminal && terminal->kind == "C") {
      if (d->status != "succeeded" || d->attempt != terminal->attempt || d->result != terminal->value)
        violation(id + ": complete of attempt " + std::to_string(terminal->attempt) + " with result " +
                  terminal->value + " was acknowledged, row is " + describe(*d));
      return;
    }
    if (terminal && terminal->kind == "F" && terminal->status == "failed") {
      if (d->status != "failed" || d->attempt != terminal->attempt || d->error != terminal->value)
        violation(id + ": final fail of attempt " + std::to_string(terminal->attempt) + " was acknowledged, row is " +
                  describe(*d));
      return;
    }
    if (d->attempt > acked_max) return;  // claimed again since (unacknowledged): any state is possible
    bool maybe_cancel = e.maybe_cancelled && d->status == "cancelled";
    if (terminal && terminal->attempt == acked_max) {  // re-queued by an acknowledged fail
      if (!((d->status == "queued" && d->error == terminal->value) || maybe_cancel))
        violation(id + ": fail (re-queue) of attempt " + std::to_string(acked_max) + " was acknowledged, row is " +
                  describe(*d));
      return;
    }
    if (acked_max == 0) {  // never claimed (acknowledged)
      if (d->attempt == 0 && d->status != "queued" && !maybe_cancel)
        violation(id + ": never claimed, row is " + describe(*d));
      return;
    }
    // Claimed (and perhaps heartbeated) at the current attempt, nothing acknowledged since.
    int64_t lease_end = 0;
    std::string owner;
    for (const Ev& ev : e.evs)
      if ((ev.kind == "D" || ev.kind == "H") && ev.attempt == acked_max) {
        lease_end = std::max(lease_end, ev.lease_end_us);
        if (ev.kind == "D") owner = ev.worker;
      }
    if (d->status == "running") {
      if (d->owner != owner)
        violation(id + ": claimed by " + owner + " (acknowledged), row is " + describe(*d));
      else if (d->lease_end_us + 1000 < lease_end)
        violation(id + ": lease ends " + std::to_string((lease_end - d->lease_end_us) / 1000) +
                  " ms before the acknowledged claim/heartbeat set it (" + describe(*d) + ")");
      return;
    }
    const Ev* uc = unknown_at("UC", acked_max);
    const Ev* uf = unknown_at("UF", acked_max);
    bool explained = maybe_cancel || lease_expiry || (uc && d->status == "succeeded" && d->result == uc->value) ||
                     (uf && (d->status == "queued" || d->status == "failed") && d->error == uf->value);
    if (!explained)
      violation(id + ": claimed on attempt " + std::to_string(acked_max) + " by " + owner +
                ", nothing else acknowledged, row is " + describe(*d));
  }

  void check_unknown_txns() {
    for (const auto& [news, dels] : unknown_txns) {
      size_t new_present = 0, del_present = 0;
      for (const auto& id : news) new_present += rows.count(id);
      for (const auto& id : dels) {
        // Rows this transaction deleted that someone deleted later anyway do not tell.
        if (ids[id].deleted) continue;
        del_present += rows.count(id);
      }
      size_t dels_known = 0;
      for (const auto& id : dels) dels_known += ids[id].deleted ? 0 : 1;
      bool none = new_present == 0 && del_present == dels_known;
      bool all = new_present == news.size() && del_present == 0;
      if (!none && !all)
        violation("a transaction of unknown outcome committed in part: " + std::to_string(new_present) + " of " +
                  std::to_string(news.size()) + " new rows exist, " + std::to_string(dels_known - del_present) +
                  " of " + std::to_string(dels_known) + " deleted rows gone (first new id " +
                  (news.empty() ? "-" : news[0]) + ", first deleted id " + (dels.empty() ? "-" : dels[0]) + ")");
      unknown_checked++;
    }
  }

  void check_all() {
    for (const auto& [id, e] : ids) check_id(id, e);
    check_unknown_txns();
    for (const auto& [id, d] : rows) {
      auto it = ids.find(id);
      if (it == ids.end() || (!it->second.inserted && !it->second.in_unknown_insert))
        violation(id + ": a row no journaled insert made (" + describe(d) + ")");
    }
  }
};

// Sets one query's single value into `out`; false on error.
bool scalar(Conn& c, const std::string& sql, std::string& out) {
  Result r;
  if (c.exec(sql, {}, &r.r) != Outcome::ok || r.rows() != 1) {
    out = c.last_error();
    return false;
  }
  out = r.get(0, 0);
  return true;
}

}  // namespace

int run_check(const Options& opt) {
  Checker ch;
  if (!ch.read_dir(opt.journal_dir)) return 2;
  Conn c(conninfo_from_env());
  if (!c.ok()) {
    std::cerr << "check: cannot connect: " << c.last_error() << std::endl;
    return 2;
  }
  if (!ch.load_rows(c)) return 2;
  ch.check_all();

  std::string v;
  if (!scalar(c, "SELECT count(*) FROM runstore.verify_recent_workflows()", v))
    ch.violation("verify_recent_workflows() failed: " + v);
  else if (v != "0") {
    Result r;
    c.exec("SELECT v::text FROM runstore.verify_recent_workflows() v LIMIT 5", {}, &r.r);
    std::string detail;
    for (int i = 0; i < r.rows(); ++i) detail += std::string("\n    ") + r.get(i, 0);
    ch.violation("verify_recent_workflows() lists " + v + " inconsistent groups:" + detail);
  }
  // Indexes agree with the heap after redo (amcheck, if installed).
  std::string have;
  long indexes = 0;
  if (scalar(c, "SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'", have) && have == "1") {
    Result r;
    if (c.exec("SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
               " JOIN pg_am am ON am.oid = ic.relam JOIN pg_namespace n ON n.oid = ic.relnamespace"
               " WHERE n.nspname = 'runstore' AND am.amname = 'btree'",
               {}, &r.r) == Outcome::ok) {
      for (int i = 0; i < r.rows(); ++i) {
        std::string idx = r.get(i, 0);
        Result x;
        if (c.exec("SELECT bt_index_check($1::regclass, true)", {idx.c_str()}, &x.r) != Outcome::ok)
          ch.violation("index " + idx + " fails amcheck: " + c.last_error());
        indexes++;
      }
    }
  }
  std::string expired;
  scalar(c,
         "SELECT count(*) FILTER (WHERE lease_expires_at < statement_timestamp()) || ' of ' || count(*)"
         " FROM runstore.executions WHERE status = 'running'",
         expired);

  long strict = 0;
  for (const char* k : {"I", "R", "X", "K", "M", "D", "H", "C", "F"}) strict += ch.counts[k];
  long unknown = ch.counts["T"] + ch.counts["UK"] + ch.counts["UM"] + ch.counts["UC"] + ch.counts["UF"];
  for (size_t i = 0; i < ch.violations.size() && i < 40; ++i)
    std::cerr << "VIOLATION " << ch.violations[i] << std::endl;
  if (ch.violations.size() > 40) std::cerr << "... " << ch.violations.size() - 40 << " more" << std::endl;
  std::cout << "check: " << strict << " acknowledged operations verified (" << ch.counts["I"] << " inserted rows, "
            << ch.counts["R"] << " rolled-back rows, " << ch.counts["X"] << " deleted rows, " << ch.counts["K"]
            << " cancels, " << ch.counts["M"] << " moves, " << ch.counts["D"] << " claims, " << ch.counts["H"]
            << " heartbeats, " << ch.counts["C"] << " completes, " << ch.counts["F"] << " fails; " << ch.leases_checked
            << " claims checked against the previous lease), " << unknown << " of unknown outcome ("
            << ch.unknown_checked << " transactions checked all-or-nothing); " << ch.rows.size()
            << " rows; verify_recent_workflows() " << (v == "0" ? "empty" : v) << "; " << indexes
            << " indexes pass amcheck; running past lease: " << expired << "; " << ch.violations.size() << " violations"
            << std::endl;
  std::cout << "checked_ops=" << strict << " unknown_ops=" << unknown << std::endl;
  return ch.violations.empty() ? 0 : 1;
}

}  // namespace crash
