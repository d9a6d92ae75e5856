// Group commit for concurrent ingests in one isolate. Each ingest is one small
// D1 batch (its notifications and its event); under load, the ingests that
// arrive while a D1 call is in flight are written together in the next call,
// so D1 sees one batch per round instead of one per event. Alone, an ingest
// goes out at once: there is no timer to wait for.
//
// D1 runs a batch as one transaction. If a group's batch fails (a repeated
// event id or idempotency key rolls back the whole group), every member's own
// batch is run on its own, so each ingest gets exactly the answer it would have
// had alone.
//
// Workers forbid settling a promise that belongs to another request (the
// runtime refuses it and the waiting request hangs), so no request awaits
// another's promise: the ingest that starts a round awaits it in its own
// context, the rounds after it run under that ingest's waitUntil, and an ingest
// that joined a round watches its own plain result object on a 1 ms timer.

import { count } from "../metrics";
import { isUniqueViolation } from ".";

/** Ingests per group, well under D1's statements-per-batch limit. */
const MAX_GROUP = 50;

type Member = {
	statements: D1PreparedStatement[];
	settled?: { results: D1Result[] } | { error: unknown };
};

/** How long a member waits for its round before giving up (D1 calls time out well before). */
const MEMBER_WAIT_MS = 30_000;
/** How long one ingest leads rounds before handing over. */
const LEAD_MS = 5_000;

const outcome = (m: Member) => {
	const settled = m.settled;
	if (!settled) throw new Error("group commit: round ended without settling a member");
	if ("error" in settled) throw settled.error;
	return settled.results;
};

export class GroupCommit {
	private waiting: Member[] = [];
	private running = false;

	/** `isDuplicate(err)`: the group's failure may be one member's repeat, so each runs alone. */
	constructor(private readonly isDuplicate: (err: unknown) => boolean = () => false) {}

	/** Runs `statements` as one D1 batch, possibly in a larger batch with other ingests'. */
	async batch(
		db: D1Database,
		statements: D1PreparedStatement[],
		waitUntil: (promise: Promise<unknown>) => void,
	): Promise<D1Result[]> {
		const member: Member = { statements };
		this.waiting.push(member);
		const deadline = Date.now() + MEMBER_WAIT_MS;
		while (!member.settled && Date.now() < deadline) {
			if (!this.running) {
				// No round is running (none yet, or the last leader handed over): lead one.
				this.running = true;
				const first = this.round(db, this.waiting.splice(0, MAX_GROUP));
				waitUntil(first.then(() => this.drain(db)));
				await first;
				continue;
			}
			await new Promise((r) => setTimeout(r, 1));
		}
		if (!member.settled) {
			// Gave up: make sure no later round writes what this ingest answered as failed.
			const at = this.waiting.indexOf(member);
			if (at >= 0) this.waiting.splice(at, 1);
		}
		return outcome(member);
	}

	/**
	 * The rounds after the first, under the leader's waitUntil, for at most
	 * LEAD_MS: then the leader hands over, and the next waiting ingest leads, so
	 * no request's waitUntil runs into the platform's limits under steady load.
	 */
	private async drain(db: D1Database) {
		const started = Date.now();
		try {
			while (this.waiting.length > 0 && Date.now() - started < LEAD_MS)
				await this.round(db, this.waiting.splice(0, MAX_GROUP));
		} finally {
			this.running = false;
		}
	}

	private async round(db: D1Database, group: Member[]) {
		count("d1Batches");
		count("d1IngestRounds");
		count("d1GroupedIngests", group.length);
		const alone = async (m: Member) => {
			try {
				m.settled = { results: await db.batch(m.statements) };
			} catch (error) {
				m.settled = { error };
			}
		};
		if (group.length === 1) return alone(group[0] as Member);
		let results: D1Result[];
		try {
			results = await db.batch(group.flatMap((m) => m.statements));
		} catch (error) {
			// A repeat rolled the whole group back: give every member the answer of its own batch.
			// Any other failure may have committed (a lost reply): re-running could write twice.
			if (this.isDuplicate(error)) for (const m of group) await alone(m);
			else for (const m of group) m.settled = { error };
			return;
		}
		let at = 0;
		for (const m of group) {
			m.settled = { results: results.slice(at, at + m.statements.length) };
			at += m.statements.length;
		}
	}
}

/**
 * The isolate's group commit for ingests into one database: one per shard, so
 * a round never carries one shard's ingest into another's batch.
 */
const commitsByDatabase = new WeakMap<D1Database, GroupCommit>();
export const ingestCommitsOf = (db: D1Database) => {
	let commits = commitsByDatabase.get(db);
	if (!commits) {
		commits = new GroupCommit(isUniqueViolation);
		commitsByDatabase.set(db, commits);
	}
	return commits;
};
