// graphile.mjs: Graphile Worker 0.18.0 as a contender in the queue peer
// comparison (bench/peers.sh), the counterpart of bench/src/peer_runstore.cpp
// and pgboss.mjs: the same workloads, the same output line.  Run from the
// folder peers.sh installs the packages into (build/peers), not from here.
//
// Settings profiles (--profile), every other option at its default:
//
//   docs  The documented defaults, with the concurrency asked for:
//           concurrentJobs: C
//           maxPoolSize: max(10, C + 2)  ("If in doubt, we recommend setting it
//                                         to 10 or concurrentJobs + 2, whichever
//                                         is larger"; default 10)
//           pollInterval: 2000 (default), localQueue.size: -1 (default: off),
//           completeJobBatchDelay: -1, failJobBatchDelay: -1 (defaults: off)
//         Source: the option docs (TSDoc) in graphile-worker 0.18.0's
//         dist/index.d.ts, GraphileConfig.WorkerOptions.
//   perf  The configuration of its published performance figures, at
//         concurrency C:
//           concurrentJobs: C, maxPoolSize: C + 1 (the perf test's
//           CONCURRENT_JOBS + 1; at least 2, the documented floor)
//           localQueue: { size: 500 }
//           completeJobBatchDelay: 0, failJobBatchDelay: 0
//         Source: https://worker.graphile.org/docs/performance ("The above
//         stats were achieved with this configuration": concurrentJobs 24,
//         maxPoolSize 25, localQueue { size: 500 }, completeJobBatchDelay 0,
//         failJobBatchDelay 0) and perfTest/graphile.config.js in the
//         graphile/worker repository (same; its refetchDelay { durationMs: 10 }
//         is left out, as on the docs page).
//
// Both profiles: run() with a taskList and noHandleSignals: true, success
// logging off (NO_LOG_SUCCESS=1, as graphile-worker's perfTest/run.js sets it)
// and a logger that prints warnings and errors only; no crontab.  Jobs are
// added with makeWorkerUtils()'s addJobs (bulk) and addJob (one at a time)
// through a pool of their own.  Graphile Worker deletes a job when it
// succeeds, so a run verifies: each job id handled once in the process (a
// duplicate is an error), at attempt 1, and the jobs table empty afterwards.
//
// Usage: node graphile.mjs --conninfo URL --workload setup|drain|pickup|enqueue-bulk|enqueue-single
//                          --concurrency C --jobs N --profile docs|perf
// Prints one line, e.g.
//   RESULT system=graphile profile=perf workload=drain concurrency=4 jobs=20000 seconds=... jobs_per_s=...

import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";

process.env.NO_LOG_SUCCESS = "1"; // read when graphile-worker loads: import it after this
const { run, makeWorkerUtils, Logger } = await import("graphile-worker");
const { default: pg } = await import("pg");

const { values: args } = parseArgs({
  options: {
    conninfo: { type: "string" },
    workload: { type: "string" },
    concurrency: { type: "string", default: "1" },
    jobs: { type: "string", default: "0" },
    profile: { type: "string", default: "docs" },
  },
});
const conninfo = args.conninfo;
const workload = args.workload;
const concurrency = Number(args.concurrency);
const jobs = Number(args.jobs);
const profile = args.profile;
if (!conninfo) throw new Error("--conninfo URL is required");
if (!["docs", "perf"].includes(profile)) throw new Error("--profile: docs or perf");
if (!(concurrency >= 1)) throw new Error("--concurrency: at least 1");
if (workload !== "setup" && !(jobs >= 1)) throw new Error("--jobs: at least 1");

const DEADLINE_MS = 900_000; // a run taking longer is declared stuck
const TASK = "noop";
const JOBS_TABLE = "graphile_worker._private_jobs";

const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});

function preset() {
  if (profile === "docs") {
    return { worker: { concurrentJobs: concurrency, maxPoolSize: Math.max(10, concurrency + 2) } };
  }
  return {
    worker: {
      concurrentJobs: concurrency,
      maxPoolSize: Math.max(2, concurrency + 1),
      localQueue: { size: 500 },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  };
}

async function sql(text) {
  const client = new pg.Client({ connectionString: conninfo });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

// An empty queue, vacuumed: every run starts the same way.
async function reset() {
  await sql(`DELETE FROM ${JOBS_TABLE}`);
  await sql("DELETE FROM graphile_worker._private_job_queues");
  await sql("VACUUM ANALYZE");
}

// What the timed part starts from: statistics and visibility map current,
// no checkpoint owed.
async function settle() {
  await sql("VACUUM ANALYZE");
  await sql("CHECKPOINT");
}

async function remaining() {
  return Number((await sql(`SELECT count(*)::int AS n FROM ${JOBS_TABLE}`))[0].n);
}

function specs(count) {
  return Array.from({ length: count }, (_, i) => ({ identifier: TASK, payload: { n: i + 1 } }));
}

// Counts handled jobs; a job handled twice, or at another attempt than the
// first, is an error.
function ledger(target) {
  const seen = new Set();
  let problem = null;
  let doneAt;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  return {
    record(job) {
      if (seen.has(job.id)) problem ??= `job ${job.id} handled twice`;
      if (job.attempts !== 1) problem ??= `job ${job.id} handled at attempt ${job.attempts}`;
      seen.add(job.id);
      if (seen.size >= target && doneAt === undefined) {
        doneAt = performance.now();
        resolveAll();
      }
    },
    all,
    doneAt: () => doneAt,
    check() {
      if (problem) throw new Error(problem);
      if (seen.size !== target) throw new Error(`handled ${seen.size} jobs of ${target}`);
    },
  };
}

function deadline(promise, what) {
  let timer;
  const stuck = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stuck: ${what} after ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
  });
  return Promise.race([promise, stuck]).finally(() => clearTimeout(timer));
}

function startRunner(taskList) {
  return run({
    connectionString: conninfo,
    noHandleSignals: true,
    taskList,
    parsedCronItems: [],
    logger,
    preset: preset(),
  });
}

// drain adds when the last job was handled, before the worker stopped.
function printRate(seconds, handledSeconds) {
  const extra = handledSeconds === undefined ? "" : ` handled_s=${handledSeconds.toFixed(3)}`;
  console.log(
    `RESULT system=graphile profile=${profile} workload=${workload} concurrency=${concurrency} jobs=${jobs}` +
      ` seconds=${seconds.toFixed(3)} jobs_per_s=${(jobs / seconds).toFixed(1)}${extra}`,
  );
}

async function setup() {
  const utils = await makeWorkerUtils({ connectionString: conninfo, logger });
  try {
    await utils.migrate(); // graphile-worker installs its own schema
  } finally {
    await utils.release();
  }
  console.log("graphile-worker: schema installed");
}

async function drain() {
  await reset();
  const utils = await makeWorkerUtils({ connectionString: conninfo, logger });
  try {
    await utils.addJobs(specs(jobs));
  } finally {
    await utils.release();
  }
  await settle();

  const l = ledger(jobs);
  const t0 = performance.now();
  const runner = await startRunner({
    [TASK]: async (_payload, helpers) => {
      l.record(helpers.job);
    },
  });
  try {
    await deadline(l.all, "drain");
  } finally {
    await runner.stop(); // graceful: running jobs finish, batched completions are written
  }
  const seconds = (performance.now() - t0) / 1000;

  l.check();
  const left = await remaining();
  if (left !== 0) throw new Error(`verify: ${left} jobs left in ${JOBS_TABLE}`);
  printRate(seconds, (l.doneAt() - t0) / 1000);
}

// mulberry32, as in peer_runstore.cpp: the same gaps for every system.
function gaps(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = (t ^ (t >>> 14)) >>> 0;
    return 20 + Math.floor((r * 41) / 4294967296);
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Nearest rank, as in peer_runstore.cpp.
function percentile(sorted, p) {
  return sorted[Math.max(Math.ceil(p * sorted.length), 1) - 1];
}

async function pickup() {
  await reset();
  await settle();

  const l = ledger(jobs);
  const latencies = [];
  const runner = await startRunner({
    [TASK]: async (payload, helpers) => {
      latencies.push(performance.now() - payload.t);
      l.record(helpers.job);
    },
  });
  const utils = await makeWorkerUtils({ connectionString: conninfo, logger });
  try {
    await utils.withPgClient((client) => client.query("SELECT 1")); // connected before the first send
    await sleep(1000); // the worker is up and idle
    const gap = gaps(42);
    for (let n = 1; n <= jobs; n++) {
      await sleep(gap());
      await utils.addJob(TASK, { n, t: performance.now() });
    }
    await deadline(l.all, "pickup");
  } finally {
    await runner.stop();
    await utils.release();
  }

  l.check();
  const left = await remaining();
  if (left !== 0) throw new Error(`verify: ${left} jobs left in ${JOBS_TABLE}`);
  latencies.sort((a, b) => a - b);
  console.log(
    `RESULT system=graphile profile=${profile} workload=pickup concurrency=${concurrency} jobs=${jobs}` +
      ` p50_ms=${percentile(latencies, 0.5).toFixed(3)} p95_ms=${percentile(latencies, 0.95).toFixed(3)}` +
      ` max_ms=${latencies[latencies.length - 1].toFixed(3)}`,
  );
}

async function enqueue(bulk) {
  await reset();
  await settle();

  const utils = await makeWorkerUtils({ connectionString: conninfo, logger });
  let seconds;
  try {
    await utils.withPgClient((client) => client.query("SELECT 1")); // connected before the clock starts
    const batch = specs(jobs);
    const t0 = performance.now();
    if (bulk) {
      await utils.addJobs(batch);
    } else {
      for (const spec of batch) await utils.addJob(spec.identifier, spec.payload);
    }
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await utils.release();
  }

  const queued = await remaining();
  if (queued !== jobs) throw new Error(`verify: ${queued} jobs queued; expected ${jobs}`);
  printRate(seconds);
}

switch (workload) {
  case "setup":
    await setup();
    break;
  case "drain":
    await drain();
    break;
  case "pickup":
    await pickup();
    break;
  case "enqueue-bulk":
    await enqueue(true);
    break;
  case "enqueue-single":
    await enqueue(false);
    break;
  default:
    throw new Error("--workload: setup, drain, pickup, enqueue-bulk or enqueue-single");
}
