// The paused backlog's rules as pure functions: what an alarm round does for
// each circuit, and when the alarm looks again; and the paused table, whose
// reads follow what is released rather than the size of the backlog.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EndpointGate } from "../../src/gate";
import { type Circuit, newCircuit } from "../../src/gate/circuit";
import {
	alarmRound,
	lostReleaseCutoff,
	MAX_RELEASES,
	nextAlarmAt,
	nextReleaseAt,
	RELEASE_PER_SECOND,
	RELEASE_STALE_MS,
} from "../../src/gate/paused";
import { PausedTable } from "../../src/gate/tables/paused";
import { gateOf, uniqueTag } from "./helpers";

const NOW = 1_700_000_000_000;
const coolDown = { base: 30_000, max: 1_800_000 };

const closed = (fields: Partial<Circuit> = {}): Circuit => ({
	...newCircuit(NOW - 60_000, coolDown, { webhookId: "wh_1", shard: "SHARD_A", disableAfterMs: 120 * 3_600_000 }),
	...fields,
});
const open = (fields: Partial<Circuit> = {}) =>
	closed({ state: "open", consecutive_failures: 3, opened_at: NOW - 10_000, next_probe_at: NOW + 20_000, ...fields });

const noSummary = () => {
	throw new Error("the backlog was read while the circuit is open");
};

describe("alarm round", () => {
	it("does nothing for a disabled gate, or one never bound to a webhook", () => {
		expect(alarmRound(closed({ disabled_at: NOW - 1 }), NOW)).toEqual({ kind: "idle" });
		expect(alarmRound(closed({ webhook_id: null }), NOW)).toEqual({ kind: "idle" });
	});

	it("disables the webhook once the circuit stayed open for disableAfterHours, with the reason", () => {
		const expired = open({ opened_at: NOW - 120 * 3_600_000, last_error: "timeout" });
		expect(alarmRound(expired, NOW)).toEqual({
			kind: "disable",
			webhookId: "wh_1",
			shard: "SHARD_A",
			reason: "circuit open for 120 h (last error: timeout)",
		});
	});

	it("while open, releases the oldest as the probe once the cool-down is over, and none before", () => {
		expect(alarmRound(open(), NOW)).toEqual({ kind: "release", limit: 0, probe: true });
		expect(alarmRound(open({ next_probe_at: NOW }), NOW)).toEqual({ kind: "release", limit: 1, probe: true });
	});

	it("releases no second probe while one is out", () => {
		const halfOpen = open({
			state: "half_open",
			next_probe_at: NOW - 1,
			probe_id: "ntf_p",
			probe_lease_until: NOW + 1,
		});
		expect(alarmRound(halfOpen, NOW)).toEqual({ kind: "release", limit: 0, probe: true });
	});

	it("after recovery releases at most RELEASE_PER_SECOND per round", () => {
		expect(alarmRound(closed(), NOW)).toEqual({ kind: "release", limit: RELEASE_PER_SECOND, probe: false });
	});
});

describe("next alarm", () => {
	it("counts a release as lost once it is RELEASE_STALE_MS old", () => {
		expect(lostReleaseCutoff(NOW)).toBe(NOW - RELEASE_STALE_MS);
	});

	it("releases the unreleased next second, re-releases lost ones when their release goes stale, else rests", () => {
		expect(nextReleaseAt({ unreleased: 3, oldestRelease: NOW - 1000 }, NOW)).toBe(NOW + 1000);
		expect(nextReleaseAt({ unreleased: 0, oldestRelease: NOW - 1000 }, NOW)).toBe(NOW - 1000 + RELEASE_STALE_MS);
		expect(nextReleaseAt({ unreleased: 0, oldestRelease: NOW - RELEASE_STALE_MS }, NOW)).toBe(NOW + 1000);
		expect(nextReleaseAt({ unreleased: 0, oldestRelease: null }, NOW)).toBeUndefined();
	});

	it("while open, looks at the probe time without reading the backlog", () => {
		expect(nextAlarmAt(open(), noSummary, NOW)).toBe(NOW + 20_000);
	});

	it("once closed, follows the backlog; a disabled gate sets none", () => {
		expect(nextAlarmAt(closed(), () => ({ unreleased: 1, oldestRelease: null }), NOW)).toBe(NOW + 1000);
		expect(
			nextAlarmAt(closed({ disabled_at: NOW }), () => ({ unreleased: 1, oldestRelease: null }), NOW),
		).toBeUndefined();
	});
});

/** The gate's own SQL, counting the rows each statement read. */
const counting = (sql: SqlStorage) => {
	const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
	const exec = ((query: string, ...bindings: SqlStorageValue[]) => {
		const cursor = sql.exec(query, ...bindings);
		cursors.push(cursor);
		return cursor;
	}) as SqlStorage["exec"];
	return {
		sql: { exec } as SqlStorage,
		rowsRead: () => {
			const n = cursors.reduce((sum, c) => sum + c.rowsRead, 0);
			cursors.length = 0;
			return n;
		},
	};
};

describe("paused table", () => {
	const BACKLOG = 5000;

	it("reads in proportion to what a send or a release round touches, not to the backlog", async () => {
		const gate = gateOf(`wh_${uniqueTag("paused-scan")}`);
		await runInDurableObject(gate, (_i: EndpointGate, state) => {
			const sql = state.storage.sql;
			for (let i = 0; i < BACKLOG; i++)
				sql.exec(
					"INSERT INTO paused (notification_id, paused_at, released_at, releases) VALUES (?, ?, ?, ?)",
					`ntf_${String(i).padStart(5, "0")}`,
					NOW,
					// The first 100 were released a minute ago and never came back (their messages were lost).
					i < 100 ? NOW - RELEASE_STALE_MS - 1 : null,
					i < 100 ? 1 : 0,
				);
			const { sql: counted, rowsRead } = counting(sql);
			const table = new PausedTable(counted);
			// A send of a notification the gate holds takes it off the backlog.
			table.remove("ntf_04999");
			expect(rowsRead()).toBeLessThan(10);
			expect(table.count()).toBe(BACKLOG - 1);
			expect(table.summary()).toEqual({ unreleased: BACKLOG - 101, oldestRelease: NOW - RELEASE_STALE_MS - 1 });
			expect(rowsRead()).toBeLessThan(10);
			// A release round: the oldest never released first, then the lost releases.
			const first = table.releasable(NOW, RELEASE_PER_SECOND);
			expect(first).toEqual(
				Array.from({ length: RELEASE_PER_SECOND }, (_, i) => `ntf_${String(100 + i).padStart(5, "0")}`),
			);
			expect(rowsRead()).toBeLessThan(RELEASE_PER_SECOND * 3);
			table.released(first, NOW);
			expect(rowsRead()).toBeLessThan(RELEASE_PER_SECOND * 3);
			expect(table.summary().unreleased).toBe(BACKLOG - 101 - RELEASE_PER_SECOND);
		});
	});

	it("releases lost releases once nothing unreleased is left, oldest release first", async () => {
		const gate = gateOf(`wh_${uniqueTag("paused-lost")}`);
		await runInDurableObject(gate, (_i: EndpointGate, state) => {
			const table = new PausedTable(state.storage.sql);
			for (const id of ["ntf_a", "ntf_b", "ntf_c"]) table.pause(id, NOW - 120_000);
			table.released(["ntf_b"], NOW - 90_000);
			table.released(["ntf_a"], NOW - 70_000);
			table.released(["ntf_c"], NOW - 10_000);
			expect(table.releasable(NOW, 5)).toEqual(["ntf_b", "ntf_a"]);
			expect(table.count()).toBe(3);
			// Released MAX_RELEASES times without a send: dropped when its turn comes, not released again.
			for (let i = 1; i < MAX_RELEASES; i++) table.released(["ntf_b"], NOW - 90_000);
			expect(table.releasable(NOW, 5)).toEqual(["ntf_a"]);
			expect(table.count()).toBe(2);
			table.pause("ntf_b", NOW);
			table.pause("ntf_c", NOW);
			expect(table.summary()).toEqual({ unreleased: 2, oldestRelease: NOW - 70_000 });
			table.clear();
			expect([table.count(), table.summary()]).toEqual([0, { unreleased: 0, oldestRelease: null }]);
		});
	});
});
