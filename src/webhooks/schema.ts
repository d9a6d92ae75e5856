// The webhook as the API reads and writes it, and its mapping from the row.
import { z } from "@hono/zod-openapi";
import {
	DEFAULT_DISABLE_AFTER_HOURS,
	DEFAULT_FAILURE_THRESHOLD,
	DEFAULT_MAX_CONCURRENCY,
	DEFAULT_RETRY_DELAYS_SECONDS,
	DEFAULT_TIMEOUT_MS,
	MAX_QUEUE_DELAY_SECONDS,
	MAX_TIMEOUT_MS,
} from "../config";
import type { WebhookRow } from "../db/schema";
import { iso } from "../iso";
import { HealthSummary } from "./health-schema";

const MAX_TEMPLATE_CHARS = 64 * 1024;

/** Headers Hookline sets itself; a webhook may not template them. */
export const RESERVED_HEADERS = [
	"host",
	"content-length",
	"content-type",
	"transfer-encoding",
	"connection",
	"user-agent",
	"x-notifications-idempotency-key",
	"webhook-id",
	"webhook-timestamp",
	"webhook-signature",
];

export const EventTypePattern = z
	.string()
	.regex(
		/^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/,
		'must be "*", an event type such as "loan.created", or a prefix such as "loan.*"',
	)
	.max(200);

const HeaderName = z
	.string()
	.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid HTTP header name")
	.max(256)
	.refine((name) => !RESERVED_HEADERS.includes(name.toLowerCase()), {
		message: `is set by Hookline and may not be templated (${RESERVED_HEADERS.join(", ")})`,
	});

const HeaderTemplate = z
	.string()
	.max(4096)
	.refine((v) => !/[\r\n]/.test(v), { message: "must not contain CR or LF" });

export const BasicAuthInput = z
	.object({
		type: z.literal("basic"),
		username: z
			.string()
			.min(1)
			.max(256)
			.refine((u) => !u.includes(":"), { message: "must not contain ':'" }),
		password: z.string().max(1024),
	})
	.strict();

export const RetryPolicy = z
	.object({
		delaysSeconds: z.array(z.number().int().min(0).max(MAX_QUEUE_DELAY_SECONDS)).max(10).openapi({
			description: "Waits between attempts; attempts in all = entries + 1.",
			example: DEFAULT_RETRY_DELAYS_SECONDS,
		}),
	})
	.strict()
	.openapi("RetryPolicy");

/** Every writable field, without defaults: PATCH takes any subset. */
const fields = {
	name: z.string().trim().min(1).max(200).openapi({ example: "Loan events to ACME" }),
	enabled: z.boolean(),
	eventTypes: z
		.array(EventTypePattern)
		.min(1)
		.max(100)
		.openapi({
			description:
				'Types to get: "*" for all but Hookline\'s own, a type, or a prefix such as "loan.*". Hookline\'s operational events come only to a webhook that names them or "hookline.*", never the ones about itself.',
			example: ["loan.*"],
		}),
	method: z.enum(["POST", "PUT", "PATCH"]),
	url: z.string().min(1).max(2048).openapi({
		description: "Mustache template; every value percent-encoded.",
		example: "https://example.com/hooks/{{event.type}}",
	}),
	contentType: z.enum(["application/json", "application/xml", "text/plain"]),
	headers: z
		.record(HeaderName, HeaderTemplate)
		.refine((h) => Object.keys(h).length <= 50, { message: "at most 50 headers" }),
	payloadTemplate: z
		.string()
		.max(MAX_TEMPLATE_CHARS)
		.nullable()
		.openapi({ description: "Mustache template; null sends the JSON envelope { id, type, occurredAt, data }." }),
	auth: BasicAuthInput.nullable(),
	retryPolicy: RetryPolicy,
	timeoutMs: z.number().int().min(1000).max(MAX_TIMEOUT_MS),
	maxConcurrency: z
		.number()
		.int()
		.min(1)
		.max(100)
		.openapi({ description: "Requests to this receiver in flight at once", example: DEFAULT_MAX_CONCURRENCY }),
	failureThreshold: z.number().int().min(1).max(1_000_000).openapi({
		description: "Consecutive failed attempts that open the circuit breaker (a very large value turns it off)",
		example: DEFAULT_FAILURE_THRESHOLD,
	}),
	rateLimitPerSecond: z.number().positive().max(1000).nullable().openapi({
		description: "Sends per second at most; the endpoint gate spaces them. null: no pacing.",
		example: null,
	}),
	disableAfterHours: z.number().int().min(1).max(8760).openapi({
		description: "Hours the circuit may stay open before the webhook is disabled",
		example: DEFAULT_DISABLE_AFTER_HOURS,
	}),
	region: z.string().max(63).nullable().openapi({
		description: "The region it sends from, one of the configured ones; null: its tenant's (it follows a change of it)",
		example: null,
	}),
};

export const WebhookCreate = z
	.object({
		...fields,
		enabled: fields.enabled.optional(),
		method: fields.method.optional(),
		contentType: fields.contentType.optional(),
		headers: fields.headers.optional(),
		payloadTemplate: fields.payloadTemplate.optional(),
		auth: fields.auth.optional(),
		retryPolicy: fields.retryPolicy.optional(),
		timeoutMs: fields.timeoutMs.optional(),
		maxConcurrency: fields.maxConcurrency.optional(),
		failureThreshold: fields.failureThreshold.optional(),
		rateLimitPerSecond: fields.rateLimitPerSecond.optional(),
		disableAfterHours: fields.disableAfterHours.optional(),
		region: fields.region.optional(),
	})
	.strict()
	.openapi("WebhookCreate");
export type WebhookCreate = z.infer<typeof WebhookCreate>;

export const WebhookPatch = z.object(fields).partial().strict().openapi("WebhookPatch");
export type WebhookPatch = z.infer<typeof WebhookPatch>;

/** The full, defaulted set of fields a webhook is stored with. */
export type WebhookFields = z.infer<z.ZodObject<typeof fields>>;

/** The fields that were given (JSON has no undefined, but optional zod fields do). */
export const definedOnly = <T extends object>(fields: T): Partial<T> =>
	Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;

export const withDefaults = (input: WebhookCreate): WebhookFields => ({
	enabled: true,
	method: "POST",
	contentType: "application/json",
	headers: {},
	payloadTemplate: null,
	auth: null,
	retryPolicy: { delaysSeconds: DEFAULT_RETRY_DELAYS_SECONDS },
	timeoutMs: DEFAULT_TIMEOUT_MS,
	maxConcurrency: DEFAULT_MAX_CONCURRENCY,
	failureThreshold: DEFAULT_FAILURE_THRESHOLD,
	rateLimitPerSecond: null,
	disableAfterHours: DEFAULT_DISABLE_AFTER_HOURS,
	region: null,
	...definedOnly(input),
	name: input.name,
	eventTypes: input.eventTypes,
	url: input.url,
});

export const Webhook = z
	.object({
		id: z.string().openapi({ example: "wh_01JD0Z4N6V7W8X9Y0Z1A2B3C4D" }),
		name: z.string(),
		enabled: z.boolean(),
		eventTypes: z.array(z.string()),
		method: fields.method,
		url: z.string(),
		contentType: fields.contentType,
		headers: z.record(z.string(), z.string()),
		payloadTemplate: z.string().nullable(),
		auth: z
			.object({ type: z.literal("basic"), username: z.string() })
			.nullable()
			.openapi({ description: "The password is never returned." }),
		retryPolicy: RetryPolicy,
		timeoutMs: z.number().int(),
		maxConcurrency: z.number().int(),
		failureThreshold: z.number().int(),
		rateLimitPerSecond: z.number().nullable(),
		disableAfterHours: z.number().int(),
		region: z.string().nullable().openapi({
			description:
				"The region it sends from: its own, or its tenant's when regionInherited; null: the deployment names no regions",
		}),
		regionInherited: z
			.boolean()
			.openapi({ description: "true: it sends from its tenant's region (no region of its own)" }),
		disabledReason: z
			.string()
			.nullable()
			.openapi({ description: "Why the webhook was disabled (410 Gone, circuit open too long, an operator)" }),
		disabledAt: z.string().datetime().nullable(),
		createdAt: z.string().datetime(),
		updatedAt: z.string().datetime(),
	})
	.openapi("Webhook");
export type Webhook = z.infer<typeof Webhook>;

export const WebhookListed = Webhook.extend({
	health: HealthSummary.nullable()
		.optional()
		.openapi({ description: "From the endpoint gate; null if it could not answer, absent with ?health=false" }),
}).openapi("WebhookListed");

export const WebhookWithSecret = Webhook.extend({
	secret: z.string().openapi({ description: "The whsec_ signing secret; shown only on create and rotate." }),
}).openapi("WebhookWithSecret");

/** A webhook as the API shows it; `tenantRegion` is the region its tenant sends from (src/webhooks/region.ts). */
export const toWebhook = (row: WebhookRow, tenantRegion: string | null): Webhook => ({
	id: row.id,
	name: row.name,
	enabled: row.enabled,
	eventTypes: row.eventTypes,
	method: row.method,
	url: row.url,
	contentType: row.contentType,
	headers: row.headers,
	payloadTemplate: row.payloadTemplate,
	auth: row.authUsername === null ? null : { type: "basic", username: row.authUsername },
	retryPolicy: { delaysSeconds: row.retryDelaysSeconds },
	timeoutMs: row.timeoutMs,
	maxConcurrency: row.maxConcurrency,
	failureThreshold: row.failureThreshold,
	rateLimitPerSecond: row.rateLimitPerSecond,
	disableAfterHours: row.disableAfterHours,
	region: row.region ?? tenantRegion,
	regionInherited: row.region === null,
	disabledReason: row.disabledReason,
	disabledAt: row.disabledAt === null ? null : iso(row.disabledAt),
	createdAt: iso(row.createdAt),
	updatedAt: iso(row.updatedAt),
});

/**
 * A stored webhook's fields with `patch` over them. The stored password stays
 * sealed: it reads as "", which toColumns takes as "keep the stored one".
 */
export const patchedFields = (row: WebhookRow, patch: WebhookPatch = {}): WebhookFields => {
	const {
		id: _id,
		createdAt: _c,
		updatedAt: _u,
		disabledReason: _r,
		disabledAt: _a,
		regionInherited: _i,
		auth,
		...stored
	} = toWebhook(row, null);
	// toWebhook with no tenant region shows the webhook's own region (null: it follows its tenant's).
	return { ...stored, auth: auth ? { ...auth, password: "" } : null, ...definedOnly(patch) };
};
