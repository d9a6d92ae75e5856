// Assured delivery end to end: wrangler dev, its local queue and a real
// receiver that fails, times out and recovers, with short retry delays; and a
// kill and restart of the service in the middle of a run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, holdsFor, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

let hookline: LocalHookline;
let receiver: Receiver;
let api: HooklineApi;

beforeAll(async () => {
	receiver = await startReceiver();
	// Sweep every second with a 2 s grace, so lost queue messages come back fast.
	hookline = await startHookline({ env: { HOOKLINE_SWEEP_INTERVAL_MS: "1000", SWEEP_GRACE_SECONDS: "2" } });
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
	await receiver?.close();
});

type Detail = {
	id: string;
	status: string;
	attemptCount: number;
	series: number;
	attempts: { series: number; number: number; trigger: string; succeeded: boolean; errorKind: string | null }[];
};

let counter = 0;
/** A webhook for one scenario and one event for it; returns the notification id. */
const scenario = async (path: string, fields: Record<string, unknown> = {}) => {
	const type = `assured${++counter}.happened`;
	const created = await api.call("POST", "/v1/webhooks", {
		name: `scenario ${counter}`,
		eventTypes: [type],
		url: `${receiver.url}${path}`,
		retryPolicy: { delaysSeconds: [1, 1, 1, 1] },
		...fields,
	});
	expect(created.status).toBe(201);
	const ingested = await api.call(
		"POST",
		"/v1/events",
		{ type, data: { n: counter } },
		{ token: hookline.ingestToken },
	);
	expect(ingested.status).toBe(202);
	const list = await api.call("GET", `/v1/notifications?eventId=${ingested.body.id}`);
	return ((list.body.data as { id: string }[])[0] as { id: string }).id;
};

const settled = (id: string, status = "delivered") =>
	api.poll(
		`${id} ${status}`,
		async () => {
			const d = (await api.call("GET", `/v1/notifications/${id}`)).body as unknown as Detail;
			return d.status === status ? d : undefined;
		},
		45_000,
	);

const arrivals = (tag: string) => receiver.received.filter((r) => r.tag === tag);

describe("assured delivery over wrangler dev", () => {
	it("retries 500s and delivers on the third attempt with the same key and body", async () => {
		const id = await scenario("/flaky/2/e2e-flaky");
		const n = await settled(id);
		expect(n.attempts.map((a) => [a.number, a.succeeded])).toEqual([
			[1, false],
			[2, false],
			[3, true],
		]);
		const got = arrivals("e2e-flaky");
		expect(got).toHaveLength(3);
		expect(new Set(got.map((r) => r.headers["x-notifications-idempotency-key"]))).toEqual(new Set([id]));
		expect(new Set(got.map((r) => r.body)).size).toBe(1);
	});

	it("makes exactly five attempts against a receiver that always fails, then stops", async () => {
		const id = await scenario("/status/500/e2e-always");
		const n = await settled(id, "failed");
		expect(n.attempts.map((a) => a.number)).toEqual([1, 2, 3, 4, 5]);
		// A sixth request would come from a retry that should not exist (delays are 1 s).
		await holdsFor("five requests in all", () => arrivals("e2e-always").length === 5, 3000);
		expect(((await api.call("GET", `/v1/notifications/${id}`)).body as unknown as Detail).attempts).toHaveLength(5);
	});

	it("records a timeout and delivers on the next attempt", async () => {
		const id = await scenario("/slow-first/3000/e2e-timeout", { timeoutMs: 1000 });
		const n = await settled(id);
		expect(n.attempts.map((a) => [a.succeeded, a.errorKind])).toEqual([
			[false, "timeout"],
			[true, null],
		]);
	});

	it("re-sends a failed notification manually and in bulk with byte-identical bodies", async () => {
		const id = await scenario("/flaky/5/e2e-resend");
		await settled(id, "failed");
		const manual = await api.call("POST", `/v1/notifications/${id}/resend`);
		expect(manual.status).toBe(202);
		const delivered = await settled(id);
		expect(delivered.attempts.at(-1)).toMatchObject({ series: 1, number: 1, trigger: "manual", succeeded: true });

		const bulkId = await scenario("/flaky/5/e2e-bulk");
		const failed = await settled(bulkId, "failed");
		const webhookId = ((await api.call("GET", `/v1/notifications/${failed.id}`)).body as { webhookId: string })
			.webhookId;
		const bulk = await api.call("POST", "/v1/notifications/resend", { webhookId, status: "failed" });
		expect(bulk.body).toEqual({ count: 1 });
		await settled(bulkId);
		for (const tag of ["e2e-resend", "e2e-bulk"]) {
			const got = arrivals(tag);
			expect(got).toHaveLength(6);
			expect(new Set(got.map((r) => r.body)).size).toBe(1);
			expect(got.filter((r) => r.status === 200)).toHaveLength(1);
		}
	});

	it("loses nothing when the service is killed and restarted mid-run", async () => {
		const type = "restart.happened";
		const created = await api.call("POST", "/v1/webhooks", {
			name: "restart",
			eventTypes: [type],
			url: `${receiver.url}/flaky/10/e2e-restart`,
			retryPolicy: { delaysSeconds: [2, 2, 2, 2] },
		});
		expect(created.status).toBe(201);
		const ids: string[] = [];
		for (let i = 0; i < 20; i++) {
			const res = await api.call("POST", "/v1/events", { type, data: { i } }, { token: hookline.ingestToken });
			ids.push(res.body.id as string);
		}
		// Let the first attempts fail and their retries wait in the queue, then crash.
		await api.poll("first failures", async () => (arrivals("e2e-restart").length >= 10 ? true : undefined), 45_000);
		const restartedAt = Date.now();
		await hookline.restart();

		const finished = await api.poll(
			"all settled after restart",
			async () => {
				const list = await api.call("GET", `/v1/notifications?webhookId=${created.body.id}&limit=50`);
				const data = list.body.data as { status: string; id: string }[];
				return data.length === 20 && data.every((n) => n.status === "delivered" || n.status === "failed")
					? data
					: undefined;
			},
			90_000,
		);
		expect(finished.filter((n) => n.status === "delivered")).toHaveLength(20);
		const ok = arrivals("e2e-restart").filter((r) => r.status === 200);
		const keys = ok.map((r) => r.headers["x-notifications-idempotency-key"]);
		expect(new Set(keys).size).toBe(20);
		// The one duplicate no sender can rule out: the receiver answered 2xx before the kill and
		// the killed process never recorded it (the recorded success started after the restart).
		// It carries the same idempotency key, so the receiver can drop it. Anything else sent
		// twice is a bug.
		const twice = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
		for (const key of twice) {
			const first = ok.find((r) => r.headers["x-notifications-idempotency-key"] === key);
			expect(first?.at ?? 0, `${key}: first 2xx after the restart`).toBeLessThanOrEqual(restartedAt);
			const detail = (await api.call("GET", `/v1/notifications/${key}`)).body as unknown as {
				attempts: { succeeded: boolean; startedAt: string }[];
			};
			const success = detail.attempts.find((a) => a.succeeded);
			expect(Date.parse(success?.startedAt ?? ""), `${key} was answered 2xx twice`).toBeGreaterThanOrEqual(restartedAt);
		}
	}, 180_000);
});
