// The endpoint gate: one Durable Object per webhook that every send to its
// receiver goes through. Its ledger (SQLite) remembers, per notification and
// series, the last attempt sent and whether it succeeded, so a queue
// redelivery or two racing consumers never produce a second attempt with the
// same number or a send after success; it also bounds the requests in flight
// to one receiver.
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../config";
import type { StoredRequest } from "../delivery/request";
import { type AttemptOutcome, routeOf, sendAttempt } from "../delivery/send";
import { signatureHeaders } from "../delivery/sign";

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
	| { kind: "stale" };

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

export class EndpointGate extends DurableObject<Env> {
	/** Sends in flight right now; a fresh instance starts at 0 because a restart ended them. */
	private inFlight = 0;

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
		if (this.inFlight >= input.maxConcurrency) {
			return { kind: "busy", retryInSeconds: 1 + Math.floor(Math.random() * 3) };
		}

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
			now + input.timeoutMs + 15_000,
			JSON.stringify(request),
			now,
		);
		this.inFlight++;
		let outcome: AttemptOutcome;
		try {
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
		const record: GateRecord = { attemptId: input.attemptId, number: input.number, startedAt: now, outcome, request };
		sql.exec(
			"UPDATE ledger SET state = ?, lease_until = NULL, last_attempt = ?, updated_at = ? WHERE notification_id = ? AND series = ?",
			outcome.succeeded ? "delivered" : "attempted",
			JSON.stringify(record),
			Date.now(),
			input.notificationId,
			input.series,
		);
		sql.exec(
			"DELETE FROM ledger WHERE notification_id IN (SELECT notification_id FROM ledger WHERE updated_at < ? LIMIT 50)",
			now - LEDGER_KEEP_MS,
		);
		return { kind: "sent", ...record };
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
