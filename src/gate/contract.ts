// What callers hand the endpoint gate and what it answers: the types of its RPC
// surface (src/delivery/consumer.ts sends through it; src/webhooks reads health).
import type { StoredRequest } from "../attempt/request";
import type { AttemptOutcome } from "../attempt/send";

export type GateSend = {
	notificationId: string;
	series: number;
	number: number;
	attemptId: string;
	request: StoredRequest;
	/** Whether D1 already holds the notification's request (stored with an earlier attempt): then the ledger keeps no copy. */
	requestStored: boolean;
	/** whsec_ secrets to sign with (two during a rotation window). */
	signingSecrets: string[];
	/** The Basic-auth header value, when the webhook has credentials. */
	authorization?: string;
	timeoutMs: number;
	maxConcurrency: number;
	webhookId: string;
	/** The region the attempt leaves from (its egress proxy); null while the deployment names no regions. */
	region: string | null;
	/** The history shard the webhook's tenant is on: where the alarm's disable and the releases' messages point. */
	shard: string;
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
	/** Another send of this notification is in flight (or waits here), or its pacing slot is more than a second away. */
	| { kind: "busy"; retryInSeconds: number }
	/**
	 * The receiver is at its concurrency bound and no slot freed within a moment: the gate keeps
	 * the notification and enqueues it again (with `released`) when a slot frees, oldest first.
	 */
	| { kind: "parked" }
	/** The caller's view is behind the gate's (a newer series exists): re-read and try later. */
	| { kind: "stale" }
	/** The circuit is open: the gate keeps the notification and releases it after recovery. */
	| { kind: "paused"; reason: string; until: number }
	/** The gate's storage is near its bound: nothing was sent; come back after `retryInSeconds` (its sweeps free space). */
	| { kind: "full"; reason: string; retryInSeconds: number };

/** One answer of sendMany: the gate's answer, or the internal error that kept it from one. */
export type GateResult = GateAnswer | { kind: "error"; error: string };
