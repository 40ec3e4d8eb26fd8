// pgboss.mjs: pg-boss 12 (the exact version is pinned in package.json) as a
// contender in the queue peer comparison (bench/peers.sh), the counterpart of
// bench/src/peer_runstore.cpp and graphile.mjs: the same workloads, the same
// output line.  Run from the folder peers.sh installs the packages into
// (build/peers), not from here.
//
// Settings profiles (--profile), every other option at its default; the pool
// is sized for the workers in every profile: max = max(10, C + 2) (default 10,
// "Maximum number of connections that will be shared by all operations in
// this instance").  Concurrency C is realised as pg-boss 12 documents it:
// work()'s localConcurrency ("Number of workers to spawn for this queue within
// the current Node.js process"; pg-boss 12 has no teamSize).
//
//   docs  work(queue, { localConcurrency: C }, handler), everything else at its
//         default: batchSize 1, pollingIntervalSeconds 2, no LISTEN/NOTIFY.
//         "The default options for work() is 1 job every 2 seconds" per
//         worker: C/2 jobs/s at most, so peers.sh runs this profile for the
//         enqueue workloads only (a 20,000-job drain would take hours, and the
//         pickup workload's 25 jobs/s would outrun it).
//   poll  Batches and the shortest poll: batchSize 100, pollingIntervalSeconds
//         0.5 (the documented minimum: "must be >=0.5 (500ms)"),
//         localConcurrency C.  A worker still waits out the interval after
//         each batch (dist/worker.js), so at most 200 jobs/s per worker.
//   perf  poll, plus what pg-boss 12 documents for exactly these two cases:
//           burstWhenBatchFull: true ("While each fetch returns a full
//             batchSize batch there is clearly more work, so the worker keeps
//             fetching continuously with no delay");
//           useListenNotify: true on the instance and notify: true on the
//             queue ("workers on notify-enabled queues are woken the moment a
//             job is created, instead of waiting out their polling interval").
//         The best configuration its docs describe for a backlog and for
//         pickup latency; peers.sh's headline peer profile.
// Sources: https://timgit.github.io/pg-boss/api/workers (work() options,
// defaults, the 0.5 s minimum), https://timgit.github.io/pg-boss/api/constructor
// (max, useListenNotify), and the option docs in the package's
// dist/types.d.ts (JobPollingOptions, WorkConcurrencyOptions,
// ConstructorOptions, Queue.notify).
//
// Jobs are added with insert(queue, jobs) (bulk, one statement) and
// send(queue, data) (one at a time) on the same instance, which keeps its
// default maintenance and supervision.  Completed jobs stay in pgboss.job, so
// a run verifies: each job id handled once in the process (a duplicate is an
// error), at retryCount 0, and in SQL exactly N jobs of the queue, all
// completed with retry_count 0 (a job claimed again has its retry_count
// raised).
//
// Usage: node pgboss.mjs --conninfo URL --workload setup|drain|pickup|enqueue-bulk|enqueue-single
//                        --concurrency C --jobs N --profile docs|poll|perf
// Prints one line, e.g.
//   RESULT system=pgboss profile=perf workload=drain concurrency=4 jobs=20000 seconds=... jobs_per_s=...

import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { PgBoss } from "pg-boss";

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
if (!["docs", "poll", "perf"].includes(profile)) throw new Error("--profile: docs, poll or perf");
if (!(concurrency >= 1)) throw new Error("--concurrency: at least 1");
if (workload !== "setup" && !(jobs >= 1)) throw new Error("--jobs: at least 1");

const DEADLINE_MS = 900_000; // a run taking longer is declared stuck
// One queue per profile: notify is a property of the queue.
const QUEUES = { docs: "peers_docs", poll: "peers_poll", perf: "peers_perf" };
const queue = QUEUES[profile];

function constructorOptions() {
  const options = { connectionString: conninfo, max: Math.max(10, concurrency + 2) };
  if (profile === "perf") options.useListenNotify = true;
  return options;
}

function workOptions() {
  if (profile === "docs") return { localConcurrency: concurrency };
  const options = { localConcurrency: concurrency, batchSize: 100, pollingIntervalSeconds: 0.5 };
  if (profile === "perf") options.burstWhenBatchFull = true;
  return options;
}

async function startBoss() {
  const boss = new PgBoss(constructorOptions());
  boss.on("error", (e) => console.error(`pg-boss error: ${e.message ?? e}`));
  await boss.start();
  return boss;
}

async function sql(text, params) {
  const client = new pg.Client({ connectionString: conninfo });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

// An empty queue, vacuumed: every run starts the same way.
async function reset() {
  await sql("DELETE FROM pgboss.job");
  await sql("VACUUM ANALYZE");
}

// What the timed part starts from: statistics and visibility map current,
// no checkpoint owed.
async function settle() {
  await sql("VACUUM ANALYZE");
  await sql("CHECKPOINT");
}

async function count(where) {
  const rows = await sql(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 ${where}`, [queue]);
  return Number(rows[0].n);
}

async function verifyCompleted() {
  const total = await count("");
  const once = await count("AND state = 'completed' AND retry_count = 0");
  if (total !== jobs || once !== jobs) {
    throw new Error(`verify: ${once} completed at retry_count 0, ${total} jobs; expected ${jobs}`);
  }
}

function inserts(n) {
  return Array.from({ length: n }, (_, i) => ({ data: { n: i + 1 } }));
}

// Counts handled jobs; a job handled twice, or on a retry, is an error.
function ledger(target) {
  const seen = new Set();
  let problem = null;
  let doneAt;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  return {
    record(job) {
      if (seen.has(job.id)) problem ??= `job ${job.id} handled twice`;
      if (job.retryCount !== 0) problem ??= `job ${job.id} handled at retryCount ${job.retryCount}`;
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

// drain adds when the last job was handled, before the worker stopped.
function printRate(seconds, handledSeconds) {
  const extra = handledSeconds === undefined ? "" : ` handled_s=${handledSeconds.toFixed(3)}`;
  console.log(
    `RESULT system=pgboss profile=${profile} workload=${workload} concurrency=${concurrency} jobs=${jobs}` +
      ` seconds=${seconds.toFixed(3)} jobs_per_s=${(jobs / seconds).toFixed(1)}${extra}`,
  );
}

async function setup() {
  const boss = new PgBoss({ connectionString: conninfo }); // start() installs pg-boss's schema
  boss.on("error", (e) => console.error(`pg-boss error: ${e.message ?? e}`));
  await boss.start();
  try {
    await boss.createQueue(QUEUES.docs);
    await boss.createQueue(QUEUES.poll);
    await boss.createQueue(QUEUES.perf, { notify: true });
  } finally {
    await boss.stop({ graceful: true, close: true });
  }
  console.log("pg-boss: schema installed, queues created");
}

async function drain() {
  await reset();
  const boss = await startBoss();
  try {
    await boss.insert(queue, inserts(jobs));
    await settle();

    const l = ledger(jobs);
    const t0 = performance.now();
    await boss.work(queue, workOptions(), async (batch) => {
      for (const job of batch) l.record(job);
    });
    try {
      await deadline(l.all, "drain");
    } finally {
      await boss.offWork(queue, { wait: true }); // running batches finish and are completed
    }
    const seconds = (performance.now() - t0) / 1000;

    l.check();
    await verifyCompleted();
    printRate(seconds, (l.doneAt() - t0) / 1000);
  } finally {
    await boss.stop({ graceful: true, close: true });
  }
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

  const boss = await startBoss();
  try {
    const l = ledger(jobs);
    const latencies = [];
    await boss.work(queue, workOptions(), async (batch) => {
      const started = performance.now();
      for (const job of batch) {
        latencies.push(started - job.data.t);
        l.record(job);
      }
    });
    try {
      await sleep(1000); // the worker is up and idle
      const gap = gaps(42);
      for (let n = 1; n <= jobs; n++) {
        await sleep(gap());
        await boss.send(queue, { n, t: performance.now() });
      }
      await deadline(l.all, "pickup");
    } finally {
      await boss.offWork(queue, { wait: true });
    }

    l.check();
    await verifyCompleted();
    latencies.sort((a, b) => a - b);
    console.log(
      `RESULT system=pgboss profile=${profile} workload=pickup concurrency=${concurrency} jobs=${jobs}` +
        ` p50_ms=${percentile(latencies, 0.5).toFixed(3)} p95_ms=${percentile(latencies, 0.95).toFixed(3)}` +
        ` max_ms=${latencies[latencies.length - 1].toFixed(3)}`,
    );
  } finally {
    await boss.stop({ graceful: true, close: true });
  }
}

async function enqueue(bulk) {
  await reset();
  await settle();

  const boss = await startBoss();
  try {
    await boss.getQueue(queue); // connected before the clock starts
    const batch = inserts(jobs);
    const t0 = performance.now();
    if (bulk) {
      await boss.insert(queue, batch);
    } else {
      for (const job of batch) await boss.send(queue, job.data);
    }
    const seconds = (performance.now() - t0) / 1000;

    const queued = await count("AND state = 'created'");
    if (queued !== jobs) throw new Error(`verify: ${queued} jobs created; expected ${jobs}`);
    printRate(seconds);
  } finally {
    await boss.stop({ graceful: true, close: true });
  }
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
