'use strict';
// Watches points land in InfluxDB and records each change of the count with the time it was
// seen (the midpoint of the poll's request and answer: the count is the state at some instant
// in between). Polls never overlap.
//
// Two ways to count:
// - 'stats' (while the run is going): `SHOW STATS FOR 'shard'` → the database's shards'
//   `writePointsOk`, minus its value at start(). A point counted there is in the WAL and the
//   cache, i.e. queryable. It costs InfluxDB ~3 ms, where `SELECT COUNT(…)` over 100,000
//   points costs ~45 ms: polled 20×/s, COUNT would take most of a core from the pipeline
//   under test on a 2-core machine.
// - 'exact': `SELECT COUNT(<field>) FROM <measurement>`, the figure that is reported. Used to
//   confirm the end of a run and for the final count. When stats say "all there" but COUNT
//   does not agree (a write retried by a peer counts twice in the stats, a warm-up straggler
//   once), the counter switches to exact polls for the rest of the run.

const { sleep } = require('../../test/support/wait');

class LandingCounter {
  /**
   * @param {string} influxUrl `http://127.0.0.1:<port>`
   * @param {{ db: string, measurement: string, field: string, intervalMs?: number }} opts
   */
  constructor(influxUrl, { db, measurement, field, intervalMs = 50 }) {
    this.db = db;
    this.exactUrl = `${influxUrl}/query?${new URLSearchParams({ db, q: `SELECT COUNT("${field}") FROM "${measurement}"` })}`;
    this.statsUrl = `${influxUrl}/query?${new URLSearchParams({ q: "SHOW STATS FOR 'shard'" })}`;
    this.intervalMs = intervalMs;
    this.mode = 'stats';
    this.baseline = 0;
    this.count = 0;
    this.changes = []; // { t, count }
    this.lastChangeAt = undefined;
    this.polls = 0;
    this.errors = 0;
    this.queryMs = 0;
    this.running = false;
    this.loop = undefined;
  }

  async query(url) {
    const t0 = Date.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = await res.json();
    const t1 = Date.now();
    this.polls++;
    this.queryMs += t1 - t0;
    return { t: (t0 + t1) / 2, results: body.results || [] };
  }

  /** `{ t, count }`: points written to this database's shards so far (all measurements). */
  async statsCount() {
    const { t, results } = await this.query(this.statsUrl);
    let total = 0;
    for (const s of (results[0] && results[0].series) || []) {
      if (!s.tags || s.tags.database !== this.db) continue;
      const i = s.columns.indexOf('writePointsOk');
      if (i >= 0) total += s.values[0][i] || 0;
    }
    return { t, count: total };
  }

  /** `{ t, count }`: SELECT COUNT(field), 0 when nothing is there yet. */
  async exactCount() {
    const { t, results } = await this.query(this.exactUrl);
    const series = results[0] && results[0].series;
    return { t, count: series ? series[0].values[0][1] : 0 };
  }

  /** One observation in the current mode, tagged with that mode. */
  async poll() {
    const mode = this.mode;
    if (mode === 'exact') return { ...(await this.exactCount()), mode };
    const { t, count } = await this.statsCount();
    return { t, count: count - this.baseline, mode };
  }

  record({ t, count }) {
    if (count !== this.count) {
      this.count = count;
      this.changes.push({ t, count });
      this.lastChangeAt = t;
    }
  }

  /** Takes the baseline (points already written, e.g. by the warm-up) and starts polling. */
  async start() {
    this.baseline = (await this.statsCount()).count;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        try {
          const seen = await this.poll();
          // A stats poll that was under way when the counter switched to exact is stale.
          if (seen.mode === this.mode) this.record(seen);
        } catch {
          this.errors++;
        }
        await sleep(Math.max(0, this.intervalMs - (Date.now() - started)));
      }
    })();
  }

  async stop() {
    this.running = false;
    if (this.loop) await this.loop;
  }

  /**
   * Resolves when `expected` points are there (confirmed by COUNT), or nothing has changed for
   * `quietMs` after `quietFrom()` (e.g. the publisher finished), or at `deadline` (epoch ms).
   * Returns how it ended: 'complete' | 'quiet' | 'deadline'.
   */
  async waitForEnd({ expected, quietMs, quietFrom, deadline }) {
    for (;;) {
      if (this.count >= expected) {
        // Confirmed by a COUNT made now, whatever the mode.
        const exact = await this.exactCount().catch(() => ({ count: -1 }));
        if (exact.count >= expected) return 'complete';
        if (exact.count >= 0) {
          this.mode = 'exact';
          this.count = exact.count;
        }
      }
      const from = quietFrom();
      if (from !== undefined) {
        const since = Math.max(from, this.lastChangeAt || 0);
        if (Date.now() - since >= quietMs) return 'quiet';
      }
      if (Date.now() >= deadline) return 'deadline';
      await sleep(this.intervalMs);
    }
  }

  /** When the last point seen so far became queryable (epoch ms). */
  get lastLandedAt() {
    return this.lastChangeAt;
  }
}

module.exports = { LandingCounter };
