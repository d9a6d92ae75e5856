// The guards of the status transitions: a late or duplicate message never
// takes back what is recorded.

import { describe, expect, it } from "vitest";
import { asStatement } from "../../src/db";
import { fail, skip } from "../../src/history/transitions";
import { createWebhook, defaultShard as env, seedNotification } from "./helpers";

const statusOf = async (id: string) =>
	(await env.DB.prepare("select status s from notifications where id = ?").bind(id).first<{ s: string }>())?.s;

describe("status transitions", () => {
	it("skip and fail leave a delivered notification delivered (a duplicate message after the delivery)", async () => {
		const hook = await createWebhook();
		const { id } = await seedNotification(hook.id, { status: "delivered", nextAttemptAt: null });
		await asStatement(env, skip(env, { id, series: 0 }, "webhook disabled")).run();
		await asStatement(env, fail(env, { id, series: 0 }, "webhook deleted")).run();
		expect(await statusOf(id)).toBe("delivered");
	});

	it("skip and fail apply to a notification still on its way, in its series only", async () => {
		const hook = await createWebhook();
		const { id } = await seedNotification(hook.id, { status: "retrying" });
		await asStatement(env, skip(env, { id, series: 1 }, "webhook disabled")).run();
		expect(await statusOf(id)).toBe("retrying");
		await asStatement(env, skip(env, { id, series: 0 }, "webhook disabled")).run();
		expect(await statusOf(id)).toBe("skipped");
		const other = (await seedNotification(hook.id, { status: "paused" })).id;
		await asStatement(env, fail(env, { id: other, series: 0 }, "webhook deleted")).run();
		expect(await statusOf(other)).toBe("failed");
	});
});
