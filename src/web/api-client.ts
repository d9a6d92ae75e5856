// The console's typed client of the HTTP API. Every read and change goes to the
// API app in-process (a Request, no network), so the pages get the API's
// validation, rules and problems, and what comes back is typed by the API's own
// zod schemas. The caller injects the API's fetch, who the calls are made as
// (the console: a bearer token; the portal: its session's tenant, as an
// in-process principal that no outside request can claim) and the tenant the
// client acts for; nothing here is module state. The operator's own calls
// (tenants, keys) are in operator-client.ts.
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requestAs } from "../access/in-process";
import type { Principal } from "../access/principal";
import type { IngestResult } from "../events/schema";
import type { ResendCount } from "../history/routes";
import type { BulkResend, Notification, NotificationDetail, NotificationFilter } from "../history/schema";
import type { pageOf } from "../http/pagination";
import type { Problem } from "../http/problem";
import type { SenderIps } from "../meta/routes";
import type { WebhookHealth } from "../webhooks/health-schema";
import type { EnabledWebhook } from "../webhooks/routes/health";
import type { RotatedSecret } from "../webhooks/routes/secret";
import type { WebhookPreview } from "../webhooks/routes/trial";
import type { Webhook, WebhookCreate, WebhookListed, WebhookPatch, WebhookWithSecret } from "../webhooks/schema";
import { queryOf } from "./query";

/** The API app's fetch, as src/app.ts hands it to the console. */
export type ApiFetch = (request: Request, env: Env, ctx?: Context["executionCtx"]) => Response | Promise<Response>;

/** An API answer: its body typed by the route's schema, or the problem it answered. */
export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: Problem };

/**
 * A body as a form drafts it: a number or a choice may still be the text the
 * operator typed, so the API's validation, not the console, names what is wrong.
 */
export type Draft<T> = T extends number
	? number | string
	: T extends string
		? string
		: T extends readonly (infer U)[]
			? Draft<U>[]
			: T extends object
				? { [K in keyof T]: Draft<T[K]> }
				: T;

export type Page<T extends z.ZodType> = z.infer<ReturnType<typeof pageOf<T>>>;

/** The history filter the list and the bulk re-send share (src/history/filter.ts builds it once). */
export type HistoryFilter = z.input<typeof NotificationFilter>;
export type ResendFilter = Omit<z.input<typeof BulkResend>, "dryRun">;

// The host is never resolved: the request goes straight to the API app.
const ORIGIN = "http://hookline.internal";

/** The answer's problem; one that is not problem+json (none should be) still reads as one, with its status. */
const problemOf = (res: Response, text: string): Problem =>
	res.headers.get("content-type")?.includes("json") && text
		? (JSON.parse(text) as Problem)
		: { type: "about:blank", title: res.statusText || `HTTP ${res.status}`, status: res.status };

/**
 * How a page reaches the API: its fetch, the bindings and context it runs with,
 * and who calls: a bearer token (the console's admin token) or a principal
 * established in-process (a portal session's tenant).
 */
export type ApiConnection = { fetch: ApiFetch; env: Env; ctx?: Context["executionCtx"] } & (
	| { token: string }
	| { principal: Principal }
);

/** The API request, with the caller's bearer token or carrying its in-process principal. */
const requestOf = (connection: ApiConnection, method: string, path: string, body: unknown) => {
	const request = new Request(`${ORIGIN}${path}`, {
		method,
		headers: {
			...("token" in connection ? { authorization: `Bearer ${connection.token}` } : {}),
			...(body === undefined ? {} : { "content-type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return "principal" in connection ? requestAs(request, connection.principal) : request;
};

/** One typed API call: method, path (with its query) and an optional JSON body. */
export const apiCaller =
	(connection: ApiConnection) =>
	async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
		// Ids are percent-encoded into one segment each (below), so `/`, `?` and `#` stay in it; but
		// the URL parser resolves a `.` or `..` segment (even spelled %2e) away, so such an id goes nowhere.
		if (new URL(`${ORIGIN}${path}`).pathname !== path.split("?")[0])
			return { ok: false, status: 404, problem: { type: "about:blank", title: "Not Found", status: 404 } };
		const res = await connection.fetch(requestOf(connection, method, path, body), connection.env, connection.ctx);
		const text = await res.text();
		if (!res.ok) return { ok: false, status: res.status, problem: problemOf(res, text) };
		return { ok: true, status: res.status, body: (text ? JSON.parse(text) : null) as T };
	};

/** `/x` of the path, percent-encoded into one segment. */
export const segment = (id: string) => `/${encodeURIComponent(id)}`;

/**
 * The client of one tenant's resources: every webhook and history call goes
 * under /v1/tenants/{tenantId}, so a page acts for the tenant its client was
 * made for (the console's picked tenant; the portal's own).
 */
export const apiClient = ({ tenantId, ...connection }: ApiConnection & { tenantId: string }) => {
	const call = apiCaller(connection);
	const tenant = `/v1/tenants${segment(tenantId)}`;
	const webhook = (id: string) => `${tenant}/webhooks${segment(id)}`;
	const notification = (id: string) => `${tenant}/notifications${segment(id)}`;

	return {
		tenantId,
		listWebhooks: ({ limit, health, cursor }: { limit: number; health: boolean; cursor?: string }) =>
			call<Page<typeof WebhookListed>>(
				"GET",
				`${tenant}/webhooks?${queryOf({ limit: String(limit), health: String(health), cursor })}`,
			),
		webhook: (id: string) => call<Webhook>("GET", webhook(id)),
		webhookHealth: (id: string) => call<WebhookHealth>("GET", `${webhook(id)}/health`),
		createWebhook: (body: Draft<WebhookCreate>) =>
			call<z.infer<typeof WebhookWithSecret>>("POST", `${tenant}/webhooks`, body),
		changeWebhook: (id: string, patch: Draft<WebhookPatch>) => call<Webhook>("PATCH", webhook(id), patch),
		deleteWebhook: (id: string) => call<null>("DELETE", webhook(id)),
		enableWebhook: (id: string, body: { resendSkipped: boolean }) =>
			call<z.infer<typeof EnabledWebhook>>("POST", `${webhook(id)}/enable`, body),
		sendTestEvent: (id: string) => call<IngestResult>("POST", `${webhook(id)}/test`),
		rotateSecret: (id: string) => call<z.infer<typeof RotatedSecret>>("POST", `${webhook(id)}/rotate-secret`, {}),
		previewWebhook: (body: { webhook: Draft<WebhookPatch>; event: unknown }) =>
			call<z.infer<typeof WebhookPreview>>("POST", `${tenant}/webhooks/preview`, body),

		listNotifications: (query: HistoryFilter & { limit: number; cursor?: string }) =>
			call<Page<typeof Notification>>(
				"GET",
				`${tenant}/notifications?${queryOf({ ...query, limit: String(query.limit) })}`,
			),
		notification: (id: string) => call<z.infer<typeof NotificationDetail>>("GET", notification(id)),
		resendNotification: (id: string) => call<z.infer<typeof Notification>>("POST", `${notification(id)}/resend`),
		resendMatching: (filter: ResendFilter) =>
			call<z.infer<typeof ResendCount>>("POST", `${tenant}/notifications/resend`, filter),
		/** How many `resendMatching` would move now: the API's dry run, with the same filter builder. */
		countResendable: (filter: ResendFilter) =>
			call<z.infer<typeof ResendCount>>("POST", `${tenant}/notifications/resend`, { ...filter, dryRun: true }),

		senderIps: () => call<z.infer<typeof SenderIps>>("GET", "/v1/sender-ips"),
	};
};

export type ApiClient = ReturnType<typeof apiClient>;
