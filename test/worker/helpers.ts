// Shared helpers for the worker tests: calls into the worker, fixtures and
// reading back what the real receiver got.
import { exports, env as worker } from "cloudflare:workers";
import { catalog, database } from "../../src/db";
import { events, type NotificationStatus, notifications } from "../../src/db/schema";
import { DEFAULT_SHARD, everyShard, type ShardEnv, shardEnv } from "../../src/db/shards";
import { packText } from "../../src/db/stored-text";
import type { EndpointGate, GateAnswer, GateSend } from "../../src/gate";
import { newId } from "../../src/ids";

/** The worker's bindings aimed at the `default` tenant's history shard, where most tests work. */
export const defaultShard = shardEnv(worker, DEFAULT_SHARD) as ShardEnv & typeof worker;
const env = defaultShard;

/** The history shard a tenant lives on, as the catalog records it. */
export const historyOf = async (tenantId: string) => {
	const row = await catalog(worker).query.tenants.findFirst({ where: (t, { eq }) => eq(t.id, tenantId) });
	if (!row) throw new Error(`no tenant ${tenantId}`);
	return shardEnv(worker, row.shard) as ShardEnv & typeof worker;
};

/** Runs one read on every shard and joins the rows, for checks that must not care where a row lives. */
export const readEveryShard = async <T>(sql: string, ...binds: unknown[]) =>
	(
		await Promise.all(
			everyShard(worker).map(
				async (shard) =>
					(
						await shard.DB.prepare(sql)
							.bind(...binds)
							.all<T>()
					).results,
			),
		)
	).flat();

export const ADMIN = "Bearer test-admin-token";
export const INGEST = "Bearer test-ingest-token";

export const api = (
	path: string,
	{
		method = "GET",
		token = ADMIN,
		body,
		headers = {},
	}: { method?: string; token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) =>
	exports.default.fetch(`http://hookline.test${path}`, {
		method,
		headers: {
			...(token ? { authorization: token } : {}),
			...(body !== undefined ? { "content-type": "application/json" } : {}),
			...headers,
		},
		body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
	});

export const uniqueTag = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/** Creates a webhook (by default the admin's, in tenant `default`; `base` e.g. "/v1/tenants/acme"). */
export const createWebhook = async (
	fields: Record<string, unknown> = {},
	{ token = ADMIN, base = "/v1" }: { token?: string; base?: string } = {},
) => {
	const res = await api(`${base}/webhooks`, {
		method: "POST",
		token,
		body: { name: "test hook", eventTypes: ["*"], url: `${env.RECEIVER_URL}/ok/${uniqueTag("hook")}`, ...fields },
	});
	if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${await res.text()}`);
	return (await res.json()) as { id: string; secret: string; url: string } & Record<string, unknown>;
};

export type TenantJson = {
	id: string;
	name: string;
	region: string | null;
	portalOrigins: string[];
	createdAt: string;
	updatedAt: string;
};

/** Creates a tenant as the operator, with a fresh id unless `fields` names one. */
export const createTenant = async (fields: Record<string, unknown> = {}) => {
	const res = await api("/v1/tenants", {
		method: "POST",
		body: { id: uniqueTag("t"), name: "Test tenant", ...fields },
	});
	if (res.status !== 201) throw new Error(`create tenant: ${res.status} ${await res.text()}`);
	return (await res.json()) as TenantJson;
};

export type KeyJson = {
	id: string;
	name: string;
	tenantId: string | null;
	scopes: string[];
	prefix: string;
	expiresAt: string | null;
	lastUsedAt: string | null;
	createdAt: string;
};

/** Creates an API key (by default as the admin, every scope); `token` is its secret as a bearer header. */
export const createKey = async (
	fields: { tenantId?: string | null; scopes?: string[]; name?: string; expiresAt?: string } = {},
	{ token = ADMIN }: { token?: string } = {},
) => {
	const res = await api("/v1/keys", {
		method: "POST",
		token,
		body: { name: "test key", scopes: ["ingest", "read", "manage"], ...fields },
	});
	if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
	const key = (await res.json()) as KeyJson & { secret: string };
	return { ...key, token: `Bearer ${key.secret}` };
};

export type Received = { tag: string; method: string; path: string; headers: Record<string, string>; body: string };

export const received = async (tag: string): Promise<Received[]> =>
	(await (await fetch(`${env.RECEIVER_URL}/__received?tag=${encodeURIComponent(tag)}`)).json()) as Received[];

/** Polls until `check` returns a value, for work the queue does in the background. */
export const eventually = async <T>(
	check: () => Promise<T | undefined>,
	{ timeoutMs = 10_000, intervalMs = 50 } = {},
) => {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > until) throw new Error("condition not met in time");
		await new Promise((r) => setTimeout(r, intervalMs));
	}
};

/** Writes an event and one notification for it (of `tenantId`) straight to D1, so no queue message races the test. */
export const seedNotification = async (
	webhookId: string,
	{
		status = "pending",
		at = Date.now(),
		nextAttemptAt = at,
		data = { amount: 10 },
		tenantId = "default",
		packed = false,
	}: {
		status?: NotificationStatus;
		at?: number;
		nextAttemptAt?: number | null;
		data?: Record<string, unknown>;
		tenantId?: string;
		/** Store the data as ingest does (packed when large), not as plain text. */
		packed?: boolean;
	} = {},
) => {
	const eventId = newId("evt", at);
	const id = newId("ntf", at);
	const db = database(await historyOf(tenantId));
	await db.batch([
		db.insert(events).values({
			tenantId,
			id: eventId,
			type: "loan.created",
			occurredAt: at,
			data: packed ? await packText(JSON.stringify(data)) : JSON.stringify(data),
			receivedAt: at,
			notificationCount: 1,
		}),
		db.insert(notifications).values({
			id,
			tenantId,
			eventId,
			webhookId,
			eventType: "loan.created",
			status,
			nextAttemptAt,
			createdAt: at,
			updatedAt: at,
		}),
	]);
	return { id, eventId };
};

/** A webhook's endpoint gate, by webhook id. */
export const gateOf = (webhookId: string) => env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(webhookId));

/** One send through a gate as the consumer makes it (sendMany of one); an internal error throws. */
export const gateSend = async (gate: DurableObjectStub<EndpointGate>, input: GateSend): Promise<GateAnswer> => {
	const [answer] = await gate.sendMany([input]);
	if (!answer || answer.kind === "error") throw new Error(`the gate gave no answer: ${answer?.error}`);
	return answer;
};

/** A send as the consumer would ask the gate for it: a POST of "{}" to `url`, first attempt. */
export const gateInput = (notificationId: string, url: string, extra: Partial<GateSend> = {}): GateSend => ({
	notificationId,
	series: 0,
	number: 1,
	attemptId: newId("att"),
	request: { method: "POST", url, headers: { "content-type": "application/json" }, body: "{}" },
	requestStored: false,
	signingSecrets: ["whsec_dGVzdC1zZWNyZXQtZm9yLWdhdGUtdGVzdHM="],
	timeoutMs: 5000,
	maxConcurrency: 10,
	// The tests' first region, which sends directly (vitest.config.ts).
	region: "eu",
	webhookId: "wh_gate_test",
	shard: "SHARD_A",
	failureThreshold: 10,
	rateLimitPerSecond: null,
	disableAfterHours: 120,
	...extra,
});
