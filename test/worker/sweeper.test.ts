// The sweeper's bounds: lost work before a long outage's paused backlog, purges
// in rounds until nothing expired is left, and a purge that runs even when the
// re-enqueue fails.

import { describe, expect, it } from "vitest";
import { sweep } from "../../src/history/sweeper";
import { api, createWebhook, defaultShard as env, seedNotification } from "./helpers";

const dueAt = async (id: string) =>
	(await env.DB.prepare("select next_attempt_at t from notifications where id = ?").bind(id).first<{ t: number }>())?.t;

const limits = { reenqueue: 2, purgeRound: 3, purgeBudgetMs: 60_000 };

describe("sweeper", () => {
	it("re-enqueues lost pending and retrying work before paused notifications, whatever their due times", async () => {
		const hook = await createWebhook({ enabled: false });
		const now = Date.now();
		// The paused ones have waited longest: ordered by due time alone, they would fill the bound.
		const paused = await Promise.all(
			[3, 4, 5].map((days) => seedNotification(hook.id, { status: "paused", nextAttemptAt: now - days * 86_400_000 })),
		);
		const lost = [
			await seedNotification(hook.id, { status: "pending", nextAttemptAt: now - 3_600_000 }),
			await seedNotification(hook.id, { status: "retrying", nextAttemptAt: now - 3_600_000 }),
		];
		const result = await sweep(env, now, limits);
		expect(result.reenqueued).toBe(2);
		for (const { id } of lost) expect(await dueAt(id)).toBe(now);
		for (const { id } of paused) expect(await dueAt(id)).toBeLessThan(now - 86_400_000);
		// With no lost work left, the paused ones get the bound.
		const next = await sweep(env, now + 1, limits);
		expect(next.reenqueued).toBe(2);
	});

	it("purges in rounds until nothing past retention is left", async () => {
		const hook = await createWebhook();
		const old = Date.now() - 40 * 86_400_000;
		const ids = [];
		for (let i = 0; i < 8; i++) ids.push((await seedNotification(hook.id, { status: "failed", at: old + i })).id);
		const result = await sweep(env, Date.now(), limits);
		expect(result.purged.notifications).toBe(8);
		expect(result.purged.events).toBe(8);
		expect(result.purged.rounds).toBeGreaterThanOrEqual(3);
		for (const id of ids) expect((await api(`/v1/notifications/${id}`)).status).toBe(404);
	});

	it("purges even when the re-enqueue fails, then reports the failure", async () => {
		const hook = await createWebhook();
		await seedNotification(hook.id, { status: "pending", nextAttemptAt: Date.now() - 3_600_000 });
		const expired = await seedNotification(hook.id, { status: "delivered", at: Date.now() - 40 * 86_400_000 });
		// The one part that cannot be made to fail for real here: a queue that refuses messages.
		const refusing = {
			send: () => Promise.reject(new Error("queue unavailable")),
			sendBatch: () => Promise.reject(new Error("queue unavailable")),
		} as unknown as Queue;
		await expect(sweep({ ...env, DELIVERIES: refusing }, Date.now(), limits)).rejects.toThrow("queue unavailable");
		expect((await api(`/v1/notifications/${expired.id}`)).status).toBe(404);
	});
});
