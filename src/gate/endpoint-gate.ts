// The endpoint gate: one Durable Object per webhook that every send to its
// receiver goes through. A shell of RPC methods and an alarm over pure
// decisions: the ledger (./ledger.ts) so a queue redelivery or two racing
// consumers never produce a second attempt with the same number or a send
// after success; the circuit breaker (./circuit.ts); pacing (./pacing.ts); the
// concurrency bound (./slots.ts) and the notifications parked at it
// (./parked.ts, released by ./releases.ts); the paused backlog (./paused.ts);
// the statistics behind GET /v1/webhooks/:id/health (./stats.ts, ./health.ts);
// the bound on its own storage (./storage.ts). Its SQLite tables are in ./tables/, their schema
// versioned by ./tables/migrations.ts.
import { DurableObject } from "cloudflare:workers";
import type { StoredRequest } from "../attempt/request";
import { type AttemptOutcome, routeOf } from "../attempt/send";
import { type Config, DEFAULT_DISABLE_AFTER_HOURS, readConfig } from "../config";
import { DEFAULT_SHARD, shardEnv } from "../db/shards";
import { disableWebhook } from "../webhooks/disabling";
import { admit, afterAttempt, type CoolDown, claimProbe, reopened, settingsOf } from "./circuit";
import type { GateAnswer, GateRecord, GateResult, GateSend } from "./contract";
import { type GateHealth, healthView } from "./health";
import { ALARM_SWEEP_ROUNDS, decideLedger, leaseUntil, nextSweepAt, settledOf } from "./ledger";
import { Outbox } from "./outbox";
import { enqueuePaused, signedAttempt } from "./outgoing";
import { Pacing } from "./pacing";
import { nextParkedLookAt, PARKED_LOOK_MS, parkedRound, waitsForSlot } from "./parked";
import { type AlarmRound, alarmRound, nextAlarmAt } from "./paused";
import { ParkedReleases } from "./releases";
import { Slots } from "./slots";
import { storageRefusal } from "./storage";
import { CircuitTable } from "./tables/circuit";
import { LedgerTable } from "./tables/ledger";
import { migrate } from "./tables/migrations";
import { ParkedTable } from "./tables/parked";
import { PausedTable } from "./tables/paused";
import { StatsTable } from "./tables/stats";

export class EndpointGate extends DurableObject<Env> {
	readonly #config: Config;
	readonly #coolDown: CoolDown;
	readonly #ledger: LedgerTable;
	readonly #circuit: CircuitTable;
	readonly #paused: PausedTable;
	readonly #parked: ParkedTable;
	readonly #stats: StatsTable;
	/** The circuit's operational events until they are written to D1. */
	readonly #outbox: Outbox;
	readonly #pacing = new Pacing();
	/** Sends in flight, slots held for released parked notifications, sends waiting for a slot. */
	readonly #slots = new Slots();
	/** The webhook's maxConcurrency as the last send said; unknown to a fresh instance until one comes. */
	#maxConcurrency: number | undefined;
	/** Parked notifications released, until they are enqueued. */
	readonly #releases: ParkedReleases;
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
		this.#parked = new ParkedTable(sql);
		this.#releases = new ParkedReleases(this.#parked, this.#slots, () => this.#maxConcurrency !== undefined);
		this.#stats = new StatsTable(sql);
		this.#outbox = new Outbox(sql);
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

	/**
	 * Called when the webhook is disabled: what was paused here is skipped in D1
	 * by the caller; what was parked is skipped when the sweeper brings it back.
	 */
	async disabled(at = Date.now()) {
		this.#circuit.read();
		this.#circuit.write({ disabled_at: at });
		this.#paused.clear();
		this.#parked.clear();
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
	 * the probe when the cool-down is over, after recovery releases the paused
	 * backlog at RELEASE_PER_SECOND, and releases parked notifications into free
	 * slots (the safety net for a lost release, a lapsed hold or a restart).
	 */
	override async alarm() {
		const now = Date.now();
		this.#alarmSet = false;
		await this.#outbox.write(() => this.#outboxTarget(), now);
		const more = this.#ledger.sweepExpired(now, ALARM_SWEEP_ROUNDS);
		const round = alarmRound(this.#circuit.read(), now);
		if (round.kind === "disable") {
			await disableWebhook(shardEnv(this.env, round.shard), round.webhookId, {
				cause: "circuit_open",
				reason: round.reason,
				at: now,
			});
			this.#circuit.write({ disabled_at: now });
			this.#paused.clear();
			this.#parked.clear();
		}
		if (round.kind === "release") await this.#release(round, now);
		const free = this.#maxConcurrency === undefined ? undefined : this.#slots.free(this.#maxConcurrency, now);
		this.#releases.release(parkedRound(free), now);
		await this.#releases.enqueue(this.env.DELIVERIES, () => this.#shard());
		await this.#scheduleAlarm(now, { more });
	}

	/** Sends one attempt unless the ledger, the circuit, the bound or pacing say it must not; see GateAnswer. */
	async #send(input: GateSend): Promise<GateAnswer> {
		const now = Date.now();
		const id = input.notificationId;
		const ledger = decideLedger(this.#ledger.read(id), input, now);
		if (ledger.kind !== "send") return ledger;
		// Another send of it waits here for a slot: as with one in flight, this one comes back later.
		if (this.#slots.waiting(id)) return { kind: "busy", retryInSeconds: 1 };
		// Near the storage bound nothing new is written: the caller waits while the sweeps free space.
		const full = storageRefusal(this.ctx.storage.sql.databaseSize, this.#config.gateStorageLimitBytes);
		if (full) {
			this.#ledger.sweepExpired(now);
			return full;
		}
		// While the circuit is open, notifications wait here without spending an attempt.
		const admission = admit(this.#circuit.read(settingsOf(input), now), id, now);
		if (admission.kind === "paused") {
			this.#parked.remove(id);
			this.#paused.pause(id, now);
			return admission;
		}
		// At the bound: a moment's wait in the gate for a slot, or parked until one frees.
		this.#maxConcurrency = input.maxConcurrency;
		const slot =
			this.#slots.take(id, input.maxConcurrency, now) ||
			(waitsForSlot({ probe: admission.probe, parkedAhead: this.#parked.anyUnreleased() }) &&
				(await this.#slots.wait(id)));
		if (!slot) return this.#park(input, now);
		try {
			return await this.#sendNow(input, ledger.request, admission.probe);
		} finally {
			this.#endSlot();
			await this.#releases.enqueue(this.env.DELIVERIES, () => this.#shard());
			if (this.#outbox.added) await this.#outbox.write(() => this.#outboxTarget());
		}
	}

	/** Holding a slot: pacing, then the attempt and its record. */
	async #sendNow(input: GateSend, request: StoredRequest, probe: boolean): Promise<GateAnswer> {
		const now = Date.now();
		const pace = this.#pace(input, now);
		if (pace.kind === "busy") return pace;
		if (probe) this.#circuit.write(claimProbe(input.notificationId, now, input.timeoutMs));
		this.#paused.remove(input.notificationId);
		this.#parked.remove(input.notificationId);
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
		if (pace.waitMs > 0) await scheduler.wait(pace.waitMs);
		const outcome = await signedAttempt(input, request, routeOf(this.#config, input.region));
		const startedAt = now + pace.waitMs;
		const record: GateRecord = { attemptId: input.attemptId, number: input.number, startedAt, outcome, request };
		this.#ledger.settle(input.notificationId, input.series, settledOf(record), Date.now());
		this.#ledger.sweepExpired(now);
		if (!this.#alarmSet) await this.#scheduleAlarm(now);
		this.#stats.record(outcome.succeeded, outcome.durationMs, startedAt);
		await this.#afterAttempt(input, outcome, probe, Date.now());
		return { kind: "sent", ...record };
	}

	/** No slot: the notification waits here, and goes out again through the queue when one frees. */
	async #park(input: GateSend, now: number): Promise<GateAnswer> {
		this.#paused.remove(input.notificationId);
		this.#parked.park(input.notificationId, input, now);
		// The safety net for a release that is lost, or a slot that frees with nothing left to end.
		await this.#alarmBy(now + PARKED_LOOK_MS);
		return { kind: "parked" };
	}

	/** A send ended: its slot goes to a send waiting here, or is held for the oldest parked notification. */
	#endSlot() {
		if (this.#slots.end()) this.#releases.release(1, Date.now());
	}

	/** The webhook's history shard, as its sends named it (a gate from before shards: the default's). */
	#shard(circuit = this.#circuit.read()) {
		return circuit.shard ?? DEFAULT_SHARD;
	}

	/** Pacing: a slot within the next second is waited for here; a later one is a requeue. */
	#pace(input: GateSend, now: number) {
		if (!input.rateLimitPerSecond) return { kind: "go", waitMs: 0 } as const;
		return this.#pacing.take(input.notificationId, input.rateLimitPerSecond, now);
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
		const turn = this.#outbox.addTurn(
			circuit,
			step.change,
			{ lastStatusCode: outcome.statusCode, paused: () => this.#paused.count() },
			now,
		);
		if (step.next === "release" && this.#paused.count() > 0) await this.#alarmBy(now);
		// A turn's event has the alarm as its safety net, should this send's write of it fail.
		if (step.next === "schedule" || turn) await this.#scheduleAlarm(now);
	}

	/** Where the gate's operational events go: the webhook's history shard. */
	#outboxTarget() {
		const circuit = this.#circuit.read();
		return { env: shardEnv(this.env, this.#shard(circuit)), webhookId: circuit.webhook_id };
	}

	/** Enqueues up to the round's limit of paused notifications, oldest first, and notes their release. */
	async #release({ limit, probe }: Extract<AlarmRound, { kind: "release" }>, now: number) {
		if (limit === 0) return;
		const ids = this.#paused.releasable(now, limit);
		const [first] = ids;
		if (first === undefined) return;
		await enqueuePaused(this.env.DELIVERIES, this.#shard(), probe ? [first] : ids);
		this.#paused.released(ids, now);
	}

	/**
	 * Sets the alarm for its next work: a probe, the auto-disable deadline, a
	 * release round, a look at what is parked, or the ledger's sweep.
	 */
	async #scheduleAlarm(now: number, sweep = { more: false }) {
		const times = [
			nextAlarmAt(this.#circuit.read(), () => this.#paused.summary(), now),
			nextParkedLookAt(this.#parked.any(), now),
			nextSweepAt(this.#ledger.oldestWrite(), sweep, now),
			this.#outbox.nextTryAt(),
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
