// The endpoint gate: one Durable Object per webhook that every send to its
// receiver goes through. Its ledger (SQLite) remembers, per notification and
// series, the last attempt sent and whether it succeeded, so a queue
// redelivery or two racing consumers never produce a second attempt with the
// same number or a send after success; it also bounds the requests in flight
// to one receiver. It owns the receiver's health as well (./health.ts): the
// circuit breaker, pacing, the paused backlog it releases after recovery, the
// delivery statistics behind GET /v1/webhooks/:id/health, and auto-disable.
import { DurableObject } from "cloudflare:workers";
import { DEFAULT_DISABLE_AFTER_HOURS, readConfig } from "../config";
import type { StoredRequest } from "../delivery/request";
import { type AttemptOutcome, routeOf, sendAttempt } from "../delivery/send";
import { signatureHeaders } from "../delivery/sign";
import { disableWebhook } from "../webhooks/service";
import {
	bucketOf,
	type CircuitRow,
	type CircuitState,
	countsAgainstReceiver,
	LATENCY_BUCKETS_MS,
	percentileOf,
} from "./health";

export type GateSend = {
	notificationId: string;
	series: number;
	number: number;
	attemptId: string;
	request: StoredRequest;
	/** whsec_ secrets to sign with (two during a rotation window). */
	signingSecrets: string[];
	/** The Basic-auth header value, when the webhook has credentials. */
	authorization?: string;
	timeoutMs: number;
	maxConcurrency: number;
	webhookId: string;
	/** Consecutive failed attempts that open the circuit. */
	failureThreshold: number;
	/** Sends per second at most; null: no pacing. */
	rateLimitPerSecond: number | null;
	/** Hours the circuit may stay open before the webhook is disabled. */
	disableAfterHours: number;
};

/** An attempt as the gate recorded it; replayed when the database missed it. */
export type GateRecord = {
	attemptId: string;
	number: number;
	startedAt: number;
	outcome: AttemptOutcome;
	/** The request as first sent for this notification: every later attempt sends these bytes. */
	request: StoredRequest;
};

export type GateAnswer =
	/** This consumer sent the attempt. */
	| ({ kind: "sent" } & GateRecord)
	/** The attempt already ran (or the series already succeeded): record this instead of sending. */
	| ({ kind: "replay" } & GateRecord)
	/** Another send is in flight for this notification, or the receiver is at its concurrency bound. */
	| { kind: "busy"; retryInSeconds: number }
	/** The caller's view is behind the gate's (a newer series exists): re-read and try later. */
	| { kind: "stale" }
	/** The circuit is open: the gate keeps the notification and releases it after recovery. */
	| { kind: "paused"; reason: string; until: number };

/** One answer of sendMany: the gate's answer, or the internal error that kept it from one. */
export type GateResult = GateAnswer | { kind: "error"; error: string };

/** What GET /v1/webhooks/:id/health shows of the gate. */
export type GateHealth = {
	circuit: {
		state: CircuitState;
		consecutiveFailures: number;
		openedAt: number | null;
		nextProbeAt: number | null;
		coolDownSeconds: number;
	};
	lastSuccessAt: number | null;
	lastFailureAt: number | null;
	lastError: string | null;
	paused: number;
	lastHour: WindowStats;
	lastDay: WindowStats;
	/** Attempts per hour over the last 24 hours, oldest first (the console's chart). */
	hourly: { attempts: number; succeeded: number }[];
};

export type WindowStats = {
	attempts: number;
	succeeded: number;
	successRate: number | null;
	latencyMs: { p50: number | null; p95: number | null };
};

type LedgerRow = {
	series: number;
	last_number: number;
	state: "inflight" | "attempted" | "delivered";
	lease_until: number | null;
	last_attempt: string | null;
	request: string | null;
};

/** Ledger rows untouched this long are dropped; history lives in D1. */
const LEDGER_KEEP_MS = 14 * 86_400_000;
/** How often a busy gate drops ledger rows older than LEDGER_KEEP_MS, and how many per round. */
const LEDGER_SWEEP_EVERY_MS = 60_000;
const LEDGER_SWEEP_ROWS = 500;
/** Per-minute statistics kept: a day and an hour. */
const STATS_KEEP_MINUTES = 1500;
/** How often a busy gate writes its statistics. */
const STATS_FLUSH_MS = 2000;
/** Paused notifications released per second after the circuit closes. */
export const RELEASE_PER_SECOND = 20;
/** A released notification not sent after this long is released again (its message was lost). */
const RELEASE_STALE_MS = 60_000;
/** Releases of one notification without a send before the gate lets go of it. */
const MAX_RELEASES = 5;

export class EndpointGate extends DurableObject<Env> {
	/** Sends in flight right now; a fresh instance starts at 0 because a restart ended them. */
	private inFlight = 0;
	/**
	 * Pacing: the next free send slot, and the slot each waiting notification holds.
	 * In memory only: a fresh instance starts with no backlog to pace.
	 */
	private nextSendAt = 0;
	private slots = new Map<string, number>();
	private ledgerSweptAt = 0;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS ledger (
			notification_id TEXT PRIMARY KEY,
			series INTEGER NOT NULL,
			last_number INTEGER NOT NULL,
			state TEXT NOT NULL,
			lease_until INTEGER,
			last_attempt TEXT,
			request TEXT,
			updated_at INTEGER NOT NULL
		)`);
		ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS ledger_updated ON ledger (updated_at)");
		ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS circuit (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			state TEXT NOT NULL,
			consecutive_failures INTEGER NOT NULL,
			opened_at INTEGER,
			cool_down_ms INTEGER NOT NULL,
			next_probe_at INTEGER,
			probe_id TEXT,
			probe_lease_until INTEGER,
			last_success_at INTEGER,
			last_failure_at INTEGER,
			last_error TEXT,
			next_send_at INTEGER NOT NULL,
			webhook_id TEXT,
			disable_after_ms INTEGER NOT NULL,
			disabled_at INTEGER
		)`);
		ctx.storage.sql.exec(
			"CREATE TABLE IF NOT EXISTS paused (notification_id TEXT PRIMARY KEY, paused_at INTEGER NOT NULL)",
		);
		// A released notification stays until it is sent, so a lost release message is released again.
		for (const column of ["released_at INTEGER", "releases INTEGER NOT NULL DEFAULT 0"]) {
			try {
				ctx.storage.sql.exec(`ALTER TABLE paused ADD COLUMN ${column}`);
			} catch {
				// Already there.
			}
		}
		ctx.storage.sql.exec(
			"CREATE TABLE IF NOT EXISTS stats (minute INTEGER PRIMARY KEY, attempts INTEGER NOT NULL, succeeded INTEGER NOT NULL, histogram TEXT NOT NULL)",
		);
	}

	/**
	 * Several attempts for this receiver in one call, side by side, one answer
	 * each in order, so a consumer batch costs a call per six messages of a
	 * webhook rather than one per message. (The caller keeps a call to six
	 * sends: the outgoing connections one request may hold open at once.)
	 */
	async sendMany(inputs: GateSend[]): Promise<GateResult[]> {
		const settled = await Promise.allSettled(inputs.map((input) => this.send(input)));
		return settled.map((s) => (s.status === "fulfilled" ? s.value : { kind: "error", error: String(s.reason) }));
	}

	/** Sends one attempt unless the ledger says it must not; see GateAnswer. */
	async send(input: GateSend): Promise<GateAnswer> {
		const sql = this.ctx.storage.sql;
		const now = Date.now();
		const row = sql
			.exec<LedgerRow>(
				"SELECT series, last_number, state, lease_until, last_attempt, request FROM ledger WHERE notification_id = ?",
				input.notificationId,
			)
			.toArray()[0];
		if (row && row.series > input.series) return { kind: "stale" };
		// One send per notification at a time, whatever the series (a re-send waits for the send in flight).
		if (row && row.state === "inflight" && (row.lease_until ?? 0) > now) {
			return { kind: "busy", retryInSeconds: Math.max(1, Math.ceil(((row.lease_until ?? now) - now) / 1000)) };
		}
		if (row && row.series === input.series) {
			const last = row.last_attempt ? (JSON.parse(row.last_attempt) as GateRecord) : undefined;
			if (row.state === "delivered" && last) return { kind: "replay", ...last };
			// The caller is behind: hand it the newest recorded attempt so its record catches up.
			if (row.last_number > input.number) return last ? { kind: "replay", ...last } : { kind: "stale" };
			if (row.state === "attempted" && last && last.number === input.number) return { kind: "replay", ...last };
			// An in-flight row of this number whose lease ran out: that send died with its instance; try again.
		}
		// The circuit: while it is open, notifications wait here without spending an attempt.
		const circuit = this.circuit(input, now);
		let probe = false;
		if (circuit.state !== "closed") {
			const probeDue = (circuit.next_probe_at ?? 0) <= now;
			const probeBusy =
				circuit.state === "half_open" &&
				circuit.probe_id !== input.notificationId &&
				(circuit.probe_lease_until ?? 0) > now;
			if (!probeDue || probeBusy) return this.pause(input.notificationId, circuit, now);
			probe = true;
		}
		if (this.inFlight >= input.maxConcurrency) {
			return { kind: "busy", retryInSeconds: 1 + Math.floor(Math.random() * 3) };
		}
		// Pacing: a slot within the next second is waited for here; a later one is a requeue.
		// Each notification keeps the slot it was given, so a backlog drains at the rate
		// with one requeue per notification, not one per second.
		let wait = 0;
		if (input.rateLimitPerSecond) {
			let slot = this.slots.get(input.notificationId);
			if (slot === undefined) {
				slot = Math.max(now, this.nextSendAt);
				this.nextSendAt = slot + Math.ceil(1000 / input.rateLimitPerSecond);
				this.slots.set(input.notificationId, slot);
				if (this.slots.size > 100_000) {
					for (const [id, at] of this.slots) if (at < now - 60_000) this.slots.delete(id);
				}
			}
			wait = Math.max(0, slot - now);
			if (wait > 1000) return { kind: "busy", retryInSeconds: Math.max(1, Math.floor(wait / 1000)) };
			this.slots.delete(input.notificationId);
		}
		if (probe) {
			sql.exec(
				"UPDATE circuit SET state = 'half_open', probe_id = ?, probe_lease_until = ? WHERE id = 1",
				input.notificationId,
				now + input.timeoutMs + 15_000,
			);
		}
		if (this.mayHavePaused()) sql.exec("DELETE FROM paused WHERE notification_id = ?", input.notificationId);

		// The first request sent for a notification is the one every later attempt sends.
		const request = row?.request ? (JSON.parse(row.request) as StoredRequest) : input.request;
		sql.exec(
			`INSERT INTO ledger (notification_id, series, last_number, state, lease_until, last_attempt, request, updated_at)
			 VALUES (?, ?, ?, 'inflight', ?, NULL, ?, ?)
			 ON CONFLICT (notification_id) DO UPDATE SET series = excluded.series, last_number = excluded.last_number,
			   state = 'inflight', lease_until = excluded.lease_until, request = excluded.request, updated_at = excluded.updated_at`,
			input.notificationId,
			input.series,
			input.number,
			now + wait + input.timeoutMs + 15_000,
			JSON.stringify(request),
			now,
		);
		this.inFlight++;
		let outcome: AttemptOutcome;
		try {
			if (wait > 0) await scheduler.wait(wait);
			// Signed here, over the bytes actually sent, fresh on every attempt.
			const secretHeaders: Record<string, string> = await signatureHeaders(
				input.signingSecrets,
				input.notificationId,
				request.body,
			);
			if (input.authorization) secretHeaders.authorization = input.authorization;
			outcome = await sendAttempt(request, secretHeaders, input.timeoutMs, routeOf(readConfig(this.env)));
		} finally {
			this.inFlight--;
		}
		const startedAt = now + wait;
		const record: GateRecord = { attemptId: input.attemptId, number: input.number, startedAt, outcome, request };
		sql.exec(
			"UPDATE ledger SET state = ?, lease_until = NULL, last_attempt = ?, updated_at = ? WHERE notification_id = ? AND series = ?",
			outcome.succeeded ? "delivered" : "attempted",
			JSON.stringify(record),
			Date.now(),
			input.notificationId,
			input.series,
		);
		// Old ledger rows go in rounds of LEDGER_SWEEP_ROWS, once a minute; a full round means
		// more are waiting, so the next send sweeps again and the sweep keeps up with any rate.
		if (now - this.ledgerSweptAt >= LEDGER_SWEEP_EVERY_MS) {
			const swept = sql.exec(
				"DELETE FROM ledger WHERE notification_id IN (SELECT notification_id FROM ledger WHERE updated_at < ? LIMIT ?)",
				now - LEDGER_KEEP_MS,
				LEDGER_SWEEP_ROWS,
			).rowsWritten;
			this.ledgerSweptAt = swept >= LEDGER_SWEEP_ROWS ? 0 : now;
		}
		this.recordStats(outcome, startedAt);
		await this.afterAttempt(input, outcome, probe, Date.now());
		return { kind: "sent", ...record };
	}

	// ── Health ────────────────────────────────────────────────────────────────

	/** The circuit row, created closed on first use; the webhook's settings are refreshed from the caller. */
	private circuit(input?: Pick<GateSend, "webhookId" | "disableAfterHours">, now = Date.now()): CircuitRow {
		const sql = this.ctx.storage.sql;
		const disableAfterMs = (input?.disableAfterHours ?? DEFAULT_DISABLE_AFTER_HOURS) * 3_600_000;
		const row = sql.exec<CircuitRow>("SELECT * FROM circuit WHERE id = 1").toArray()[0];
		if (!row) {
			sql.exec(
				`INSERT INTO circuit (id, state, consecutive_failures, cool_down_ms, next_send_at, webhook_id, disable_after_ms)
				 VALUES (1, 'closed', 0, ?, ?, ?, ?)`,
				this.coolDown().base,
				now,
				input?.webhookId ?? null,
				disableAfterMs,
			);
			return sql.exec<CircuitRow>("SELECT * FROM circuit WHERE id = 1").one();
		}
		// The webhook's settings, refreshed only when they changed.
		if (input && (row.webhook_id !== input.webhookId || row.disable_after_ms !== disableAfterMs)) {
			sql.exec("UPDATE circuit SET webhook_id = ?, disable_after_ms = ? WHERE id = 1", input.webhookId, disableAfterMs);
			return { ...row, webhook_id: input.webhookId, disable_after_ms: disableAfterMs };
		}
		return row;
	}

	private coolDown() {
		const config = readConfig(this.env);
		return { base: config.circuitCoolDownSeconds * 1000, max: config.circuitMaxCoolDownSeconds * 1000 };
	}

	/** Whether the paused table may have rows: known empty after a look, until something is paused. */
	private pausedEmpty = false;
	private mayHavePaused() {
		if (this.pausedEmpty) return false;
		this.pausedEmpty = this.pausedCount() === 0;
		return !this.pausedEmpty;
	}

	private pause(notificationId: string, circuit: CircuitRow, now: number): GateAnswer {
		this.pausedEmpty = false;
		this.ctx.storage.sql.exec(
			`INSERT INTO paused (notification_id, paused_at) VALUES (?, ?)
			 ON CONFLICT (notification_id) DO UPDATE SET released_at = NULL`,
			notificationId,
			now,
		);
		const until = Math.max(now, circuit.next_probe_at ?? now);
		return {
			kind: "paused",
			reason: `circuit open after ${circuit.consecutive_failures} consecutive failed attempts (last: ${circuit.last_error ?? "unknown"}); next probe at ${new Date(until).toISOString()}`,
			until,
		};
	}

	/** Moves the circuit after an attempt. */
	private async afterAttempt(input: GateSend, outcome: AttemptOutcome, probe: boolean, now: number) {
		const sql = this.ctx.storage.sql;
		const circuit = this.circuit(input, now);
		if (outcome.succeeded) {
			// The usual case, a success on a closed circuit: note the time, at most once a second.
			if (circuit.state === "closed" && circuit.consecutive_failures === 0) {
				if (now - (circuit.last_success_at ?? 0) >= 1000)
					sql.exec("UPDATE circuit SET last_success_at = ? WHERE id = 1", now);
				return;
			}
			sql.exec(
				`UPDATE circuit SET consecutive_failures = 0, last_success_at = ?, state = 'closed', opened_at = NULL,
				 cool_down_ms = ?, next_probe_at = NULL, probe_id = NULL, probe_lease_until = NULL WHERE id = 1`,
				now,
				this.coolDown().base,
			);
			// Recovered: release what waited, oldest first.
			if (circuit.state !== "closed" && this.pausedCount() > 0) await this.ctx.storage.setAlarm(now);
			return;
		}
		if (!countsAgainstReceiver(outcome)) return;
		const failures = circuit.consecutive_failures + 1;
		sql.exec(
			"UPDATE circuit SET consecutive_failures = ?, last_failure_at = ?, last_error = ? WHERE id = 1",
			failures,
			now,
			outcome.error,
		);
		const opens = probe || (circuit.state === "closed" && failures >= input.failureThreshold);
		if (!opens) return;
		const { base, max } = this.coolDown();
		const coolDown = probe ? Math.min(max, circuit.cool_down_ms * 2) : base;
		sql.exec(
			`UPDATE circuit SET state = 'open', opened_at = COALESCE(opened_at, ?), cool_down_ms = ?, next_probe_at = ?,
			 probe_id = NULL, probe_lease_until = NULL WHERE id = 1`,
			now,
			coolDown,
			now + coolDown,
		);
		await this.scheduleAlarm(now);
	}

	private pausedCount() {
		return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM paused").one().n;
	}

	/** The next time the alarm has work: a probe, the auto-disable deadline, or a release round. */
	private async scheduleAlarm(now: number) {
		const c = this.circuit();
		if (c.disabled_at !== null) return;
		let at: number | undefined;
		if (c.state !== "closed") {
			const disableAt = (c.opened_at ?? now) + c.disable_after_ms;
			at = Math.min(c.next_probe_at ?? now, disableAt);
			// A probe that never came back (its message lost): look again after a cool-down.
			if (at <= now) at = now + Math.max(c.cool_down_ms, 1000);
		} else {
			// Unreleased ones next second; released ones that were never sent, once their release is stale.
			const next = this.ctx.storage.sql
				.exec<{ unreleased: number; oldest: number | null }>(
					"SELECT count(*) FILTER (WHERE released_at IS NULL) AS unreleased, min(released_at) AS oldest FROM paused",
				)
				.one();
			if (next.unreleased > 0) at = now + 1000;
			else if (next.oldest !== null) at = Math.max(now + 1000, next.oldest + RELEASE_STALE_MS);
		}
		if (at !== undefined) await this.ctx.storage.setAlarm(at);
	}

	/**
	 * The alarm: disables the webhook when its circuit stayed open too long,
	 * enqueues the oldest paused notification as the probe when the cool-down is
	 * over, and after recovery releases the paused backlog at RELEASE_PER_SECOND.
	 */
	override async alarm() {
		const now = Date.now();
		const sql = this.ctx.storage.sql;
		const c = this.circuit();
		if (c.disabled_at !== null || !c.webhook_id) return;
		if (c.state !== "closed") {
			if (now - (c.opened_at ?? now) >= c.disable_after_ms) {
				const hours = Math.round(c.disable_after_ms / 3_600_000);
				await disableWebhook(this.env, c.webhook_id, {
					reason: `circuit open for ${hours} h (last error: ${c.last_error ?? "unknown"})`,
					at: now,
				});
				sql.exec("UPDATE circuit SET disabled_at = ? WHERE id = 1", now);
				sql.exec("DELETE FROM paused");
				return;
			}
			const probeDue = (c.next_probe_at ?? 0) <= now;
			const probeBusy = c.state === "half_open" && (c.probe_lease_until ?? 0) > now;
			if (probeDue && !probeBusy) {
				// The oldest that was not released lately: a finished one (acked without a send) does
				// not hold up the next probe.
				const [oldest] = this.releasable(now, 1);
				if (oldest) {
					await this.env.DELIVERIES.send({ notificationId: oldest }, { contentType: "json" });
					this.released([oldest], now);
				}
			}
			await this.scheduleAlarm(now);
			return;
		}
		const release = this.releasable(now, RELEASE_PER_SECOND);
		if (release.length > 0) {
			await this.env.DELIVERIES.sendBatch(
				release.map((notificationId) => ({ body: { notificationId }, contentType: "json" as const })),
			);
			this.released(release, now);
		}
		await this.scheduleAlarm(now);
	}

	/**
	 * Paused notifications to release, oldest first: never released, or released
	 * RELEASE_STALE_MS ago and still not sent (the message was lost). One released
	 * MAX_RELEASES times without a send is dropped here; the sweeper's safety net
	 * still has it in D1.
	 */
	private releasable(now: number, limit: number) {
		const sql = this.ctx.storage.sql;
		sql.exec("DELETE FROM paused WHERE releases >= ? AND released_at < ?", MAX_RELEASES, now - RELEASE_STALE_MS);
		return sql
			.exec<{ notification_id: string }>(
				`SELECT notification_id FROM paused WHERE released_at IS NULL OR released_at < ?
				 ORDER BY released_at IS NOT NULL, notification_id LIMIT ?`,
				now - RELEASE_STALE_MS,
				limit,
			)
			.toArray()
			.map((r) => r.notification_id);
	}

	private released(ids: string[], now: number) {
		for (const id of ids)
			this.ctx.storage.sql.exec(
				"UPDATE paused SET released_at = ?, releases = releases + 1 WHERE notification_id = ?",
				now,
				id,
			);
	}

	/** Called when the webhook is enabled again: a fresh, closed circuit. */
	async reset() {
		const now = Date.now();
		this.circuit();
		this.ctx.storage.sql.exec(
			`UPDATE circuit SET state = 'closed', consecutive_failures = 0, opened_at = NULL, cool_down_ms = ?,
			 next_probe_at = NULL, probe_id = NULL, probe_lease_until = NULL, disabled_at = NULL WHERE id = 1`,
			this.coolDown().base,
		);
		await this.scheduleAlarm(now);
	}

	/** Called when the webhook is disabled: what waited here is skipped in D1 by the caller. */
	async disabled(at = Date.now()) {
		this.circuit();
		this.ctx.storage.sql.exec("UPDATE circuit SET disabled_at = ? WHERE id = 1", at);
		this.ctx.storage.sql.exec("DELETE FROM paused");
		await this.ctx.storage.deleteAlarm();
	}

	/**
	 * Attempts not yet written to the stats table, by minute. They are written at
	 * most every STATS_FLUSH_MS and before every read, so a send costs no stats
	 * write; what an evicted instance had not written is lost (statistics only).
	 */
	private unflushed = new Map<number, { attempts: number; succeeded: number; histogram: number[] }>();
	private lastFlush = 0;

	private recordStats(outcome: AttemptOutcome, startedAt: number) {
		const minute = Math.floor(startedAt / 60_000);
		let entry = this.unflushed.get(minute);
		if (!entry) {
			entry = { attempts: 0, succeeded: 0, histogram: new Array<number>(LATENCY_BUCKETS_MS.length).fill(0) };
			this.unflushed.set(minute, entry);
		}
		entry.attempts++;
		if (outcome.succeeded) entry.succeeded++;
		const bucket = bucketOf(outcome.durationMs);
		entry.histogram[bucket] = (entry.histogram[bucket] ?? 0) + 1;
		if (Date.now() - this.lastFlush >= STATS_FLUSH_MS) this.flushStats();
	}

	private flushStats() {
		const sql = this.ctx.storage.sql;
		this.lastFlush = Date.now();
		if (this.unflushed.size === 0) return;
		for (const [minute, entry] of this.unflushed) {
			const row = sql.exec<{ histogram: string }>("SELECT histogram FROM stats WHERE minute = ?", minute).toArray()[0];
			const histogram = row ? (JSON.parse(row.histogram) as number[]) : [];
			const merged = entry.histogram.map((n, i) => n + (histogram[i] ?? 0));
			sql.exec(
				`INSERT INTO stats (minute, attempts, succeeded, histogram) VALUES (?, ?, ?, ?)
				 ON CONFLICT (minute) DO UPDATE SET attempts = attempts + excluded.attempts,
				   succeeded = succeeded + excluded.succeeded, histogram = excluded.histogram`,
				minute,
				entry.attempts,
				entry.succeeded,
				JSON.stringify(merged),
			);
		}
		const newest = Math.max(...this.unflushed.keys());
		this.unflushed.clear();
		sql.exec("DELETE FROM stats WHERE minute < ?", newest - STATS_KEEP_MINUTES);
	}

	private window(minutes: number, now: number): WindowStats {
		this.flushStats();
		const rows = this.ctx.storage.sql
			.exec<{ attempts: number; succeeded: number; histogram: string }>(
				"SELECT attempts, succeeded, histogram FROM stats WHERE minute > ?",
				Math.floor(now / 60_000) - minutes,
			)
			.toArray();
		const histogram = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0);
		let attempts = 0;
		let succeeded = 0;
		for (const r of rows) {
			attempts += r.attempts;
			succeeded += r.succeeded;
			for (const [i, n] of (JSON.parse(r.histogram) as number[]).entries()) histogram[i] = (histogram[i] ?? 0) + n;
		}
		return {
			attempts,
			succeeded,
			successRate: attempts === 0 ? null : succeeded / attempts,
			latencyMs: { p50: percentileOf(histogram, 50), p95: percentileOf(histogram, 95) },
		};
	}

	private hourly(now: number) {
		this.flushStats();
		const hour = Math.floor(now / 3_600_000);
		const out = Array.from({ length: 24 }, () => ({ attempts: 0, succeeded: 0 }));
		const rows = this.ctx.storage.sql
			.exec<{ h: number; attempts: number; succeeded: number }>(
				"SELECT minute / 60 AS h, sum(attempts) AS attempts, sum(succeeded) AS succeeded FROM stats WHERE minute >= ? GROUP BY h",
				(hour - 23) * 60,
			)
			.toArray();
		for (const r of rows) {
			const slot = out[23 - (hour - r.h)];
			if (slot) {
				slot.attempts = r.attempts;
				slot.succeeded = r.succeeded;
			}
		}
		return out;
	}

	/** The receiver's health as this gate knows it. */
	async health(): Promise<GateHealth> {
		const now = Date.now();
		const c = this.circuit();
		return {
			circuit: {
				state: c.state,
				consecutiveFailures: c.consecutive_failures,
				openedAt: c.opened_at,
				nextProbeAt: c.state === "closed" ? null : c.next_probe_at,
				coolDownSeconds: Math.round(c.cool_down_ms / 1000),
			},
			lastSuccessAt: c.last_success_at,
			lastFailureAt: c.last_failure_at,
			lastError: c.last_error,
			paused: this.pausedCount(),
			lastHour: this.window(60, now),
			lastDay: this.window(1440, now),
			hourly: this.hourly(now),
		};
	}

	/** The ledger entry of a notification, for tests and diagnosis. */
	async entry(notificationId: string) {
		return this.ctx.storage.sql
			.exec<LedgerRow>(
				"SELECT series, last_number, state, lease_until, last_attempt, request FROM ledger WHERE notification_id = ?",
				notificationId,
			)
			.toArray()[0];
	}
}
