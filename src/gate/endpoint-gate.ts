// The endpoint gate: one Durable Object per webhook that every send to its
// receiver goes through. A shell of RPC methods and an alarm over pure
// decisions: the ledger (./ledger.ts) so a queue redelivery or two racing
// consumers never produce a second attempt with the same number or a send
// after success; the circuit breaker (./circuit.ts); pacing and the
// concurrency bound (./pacing.ts); the paused backlog (./paused.ts); the
// statistics behind GET /v1/webhooks/:id/health (./stats.ts, ./health.ts);
// the bound on its own storage (./storage.ts). Its SQLite tables are in
// ./tables/, their schema versioned by ./tables/migrations.ts.
import { DurableObject } from "cloudflare:workers";
import type { StoredRequest } from "../attempt/request";
import { type AttemptOutcome, routeOf, sendAttempt } from "../attempt/send";
import { signatureHeaders } from "../attempt/sign";
import { type Config, DEFAULT_DISABLE_AFTER_HOURS, readConfig } from "../config";
import { sendMessages } from "../queue/messages";
import { disableWebhook } from "../webhooks/disabling";
import { admit, afterAttempt, type CoolDown, claimProbe, reopened, settingsOf } from "./circuit";
import type { GateAnswer, GateRecord, GateResult, GateSend } from "./contract";
import { type GateHealth, healthView } from "./health";
import {
	ALARM_SWEEP_ROUNDS,
	decideLedger,
	LEDGER_KEEP_MS,
	LEDGER_SWEEP_ROWS,
	leaseUntil,
	nextSweepAt,
	settledOf,
	sweepDue,
	sweptAtAfter,
} from "./ledger";
import { concurrencyBusy, type Pace, Pacing } from "./pacing";
import { type AlarmRound, alarmRound, nextAlarmAt } from "./paused";
import { storageRefusal } from "./storage";
import { CircuitTable } from "./tables/circuit";
import { LedgerTable } from "./tables/ledger";
import { migrate } from "./tables/migrations";
import { PausedTable } from "./tables/paused";
import { StatsTable } from "./tables/stats";

export class EndpointGate extends DurableObject<Env> {
	readonly #config: Config;
	readonly #coolDown: CoolDown;
	readonly #ledger: LedgerTable;
	readonly #circuit: CircuitTable;
	readonly #paused: PausedTable;
	readonly #stats: StatsTable;
	readonly #pacing = new Pacing();
	/** Sends in flight right now; a fresh instance starts at 0 because a restart ended them. */
	#inFlight = 0;
	#ledgerSweptAt = 0;
	/** Whether an alarm is pending that this instance set or saw: every alarm sweeps the ledger and sets the next. */
	#alarmSet = false;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		// Before the first call reaches it: the schema brought up to date, once per version.
		ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
		this.#config = readConfig(env);
		this.#coolDown = {
			base: this.#config.circuitCoolDownSeconds * 1000,
			max: this.#config.circuitMaxCoolDownSeconds * 1000,
		};
		const sql = ctx.storage.sql;
		this.#ledger = new LedgerTable(sql);
		this.#circuit = new CircuitTable(sql, this.#coolDown, DEFAULT_DISABLE_AFTER_HOURS * 3_600_000);
		this.#paused = new PausedTable(sql);
		this.#stats = new StatsTable(sql);
	}

	/**
	 * Several attempts for this receiver in one call, side by side, one answer
	 * each in order, so a consumer batch costs a call per six messages of a
	 * webhook rather than one per message. (The caller keeps a call to six
	 * sends: the outgoing connections one request may hold open at once.)
	 */
	async sendMany(inputs: GateSend[]): Promise<GateResult[]> {
		const settled = await Promise.allSettled(inputs.map((input) => this.#send(input)));
		return settled.map((s) => (s.status === "fulfilled" ? s.value : { kind: "error", error: String(s.reason) }));
	}

	/** Called when the webhook is enabled again: a fresh, closed circuit. */
	async reset() {
		const now = Date.now();
		this.#circuit.read();
		this.#circuit.write(reopened(this.#coolDown));
		await this.#scheduleAlarm(now);
	}

	/** Called when the webhook is disabled: what waited here is skipped in D1 by the caller. */
	async disabled(at = Date.now()) {
		this.#circuit.read();
		this.#circuit.write({ disabled_at: at });
		this.#paused.clear();
		// No probe or release any more; the ledger's sweep still has its alarm.
		await this.ctx.storage.deleteAlarm();
		this.#alarmSet = false;
		await this.#scheduleAlarm(at);
	}

	/** The receiver's health as this gate knows it. */
	async health(): Promise<GateHealth> {
		const now = Date.now();
		return healthView(this.#circuit.read(), {
			paused: this.#paused.count(),
			lastHour: this.#stats.window(60, now),
			lastDay: this.#stats.window(1440, now),
			hourly: this.#stats.hourly(now),
		});
	}

	/**
	 * The alarm: drops expired ledger rows, disables the webhook when its
	 * circuit stayed open too long, enqueues the oldest paused notification as
	 * the probe when the cool-down is over, and after recovery releases the
	 * paused backlog at RELEASE_PER_SECOND.
	 */
	override async alarm() {
		const now = Date.now();
		this.#alarmSet = false;
		const more = this.#sweepLedger(now, ALARM_SWEEP_ROUNDS);
		const round = alarmRound(this.#circuit.read(), now);
		if (round.kind === "disable") {
			await disableWebhook(this.env, round.webhookId, { reason: round.reason, at: now });
			this.#circuit.write({ disabled_at: now });
			this.#paused.clear();
		}
		if (round.kind === "release") await this.#release(round, now);
		await this.#scheduleAlarm(now, { more });
	}

	/** Sends one attempt unless the ledger, the circuit, the bound or pacing say it must not; see GateAnswer. */
	async #send(input: GateSend): Promise<GateAnswer> {
		const now = Date.now();
		const ledger = decideLedger(this.#ledger.read(input.notificationId), input, now);
		if (ledger.kind !== "send") return ledger;
		// Near the storage bound nothing new is written: the caller waits while the sweeps free space.
		const full = storageRefusal(this.ctx.storage.sql.databaseSize, this.#config.gateStorageLimitBytes);
		if (full) {
			this.#sweepLedger(now);
			return full;
		}
		// While the circuit is open, notifications wait here without spending an attempt.
		const admission = admit(this.#circuit.read(settingsOf(input), now), input.notificationId, now);
		if (admission.kind === "paused") {
			this.#paused.pause(input.notificationId, now);
			return admission;
		}
		const pace = concurrencyBusy(this.#inFlight, input.maxConcurrency) ?? this.#pace(input, now);
		if (pace.kind === "busy") return pace;
		if (admission.probe) this.#circuit.write(claimProbe(input.notificationId, now, input.timeoutMs));
		this.#paused.remove(input.notificationId);
		const { request } = ledger;
		const lease = leaseUntil(now, pace.waitMs, input.timeoutMs);
		// The request is kept here only while D1 may not hold it: a redelivery then replays these bytes.
		this.#ledger.hold(
			input.notificationId,
			{
				series: input.series,
				number: input.number,
				leaseUntil: lease,
				request: input.requestStored ? null : request,
			},
			now,
		);
		const outcome = await this.#attempt(input, request, pace.waitMs);
		const startedAt = now + pace.waitMs;
		const record: GateRecord = { attemptId: input.attemptId, number: input.number, startedAt, outcome, request };
		this.#ledger.settle(input.notificationId, input.series, settledOf(record), Date.now());
		this.#sweepLedger(now);
		if (!this.#alarmSet) await this.#scheduleAlarm(now);
		this.#stats.record(outcome.succeeded, outcome.durationMs, startedAt);
		await this.#afterAttempt(input, outcome, admission.probe, Date.now());
		return { kind: "sent", ...record };
	}

	/** Pacing: a slot within the next second is waited for here; a later one is a requeue. */
	#pace(input: GateSend, now: number): Pace {
		if (!input.rateLimitPerSecond) return { kind: "go", waitMs: 0 };
		return this.#pacing.take(input.notificationId, input.rateLimitPerSecond, now);
	}

	/** The HTTP attempt itself, counted in flight from before its pacing wait until it answers. */
	async #attempt(input: GateSend, request: StoredRequest, waitMs: number): Promise<AttemptOutcome> {
		this.#inFlight++;
		try {
			if (waitMs > 0) await scheduler.wait(waitMs);
			// Signed here, over the bytes actually sent, fresh on every attempt.
			const secretHeaders: Record<string, string> = await signatureHeaders(
				input.signingSecrets,
				input.notificationId,
				request.body,
			);
			if (input.authorization) secretHeaders.authorization = input.authorization;
			return await sendAttempt(request, secretHeaders, input.timeoutMs, routeOf(this.#config));
		} finally {
			this.#inFlight--;
		}
	}

	/**
	 * Expired ledger rows go in rounds: on sends once a minute, or at once after
	 * a full round; from the alarm up to `rounds` in a row. Answers whether the
	 * last round was full (more are waiting).
	 */
	#sweepLedger(now: number, rounds = 1) {
		if (rounds === 1 && !sweepDue(this.#ledgerSweptAt, now)) return false;
		let dropped = 0;
		for (let round = 0; round < rounds; round++) {
			dropped = this.#ledger.sweep(now - LEDGER_KEEP_MS, LEDGER_SWEEP_ROWS);
			if (dropped < LEDGER_SWEEP_ROWS) break;
		}
		this.#ledgerSweptAt = sweptAtAfter(dropped, now);
		return dropped >= LEDGER_SWEEP_ROWS;
	}

	/** Moves the circuit after an attempt; on recovery the backlog's release starts now. */
	async #afterAttempt(input: GateSend, outcome: AttemptOutcome, probe: boolean, now: number) {
		const circuit = this.#circuit.read(settingsOf(input), now);
		const step = afterAttempt(
			circuit,
			outcome,
			{ probe, failureThreshold: input.failureThreshold, coolDown: this.#coolDown },
			now,
		);
		if (step.change) this.#circuit.write(step.change);
		if (step.next === "release" && this.#paused.count() > 0) await this.#alarmBy(now);
		if (step.next === "schedule") await this.#scheduleAlarm(now);
	}

	/** Enqueues up to the round's limit of paused notifications, oldest first, and notes their release. */
	async #release({ limit, probe }: Extract<AlarmRound, { kind: "release" }>, now: number) {
		if (limit === 0) return;
		const ids = this.#paused.releasable(now, limit);
		const [first] = ids;
		if (first === undefined) return;
		// Through the one sender of queue messages, so the release is counted like every other send.
		const released = probe ? [first] : ids;
		await sendMessages(
			this.env.DELIVERIES,
			released.map((notificationId) => ({ body: { notificationId } })),
		);
		this.#paused.released(ids, now);
	}

	/** Sets the alarm for its next work: a probe, the auto-disable deadline, a release round, or the ledger's sweep. */
	async #scheduleAlarm(now: number, sweep = { more: false }) {
		const times = [
			nextAlarmAt(this.#circuit.read(), () => this.#paused.summary(), now),
			nextSweepAt(this.#ledger.oldestWrite(), sweep, now),
		].filter((at) => at !== undefined);
		if (times.length > 0) await this.#alarmBy(Math.min(...times));
	}

	/** An alarm at `at` or sooner: one already set earlier stays (an early alarm only looks and sets the next). */
	async #alarmBy(at: number) {
		const current = await this.ctx.storage.getAlarm();
		if (current === null || current > at) await this.ctx.storage.setAlarm(at);
		this.#alarmSet = true;
	}
}
