// The streaming API's shapes: subscriptions, the stream's settings and its
// NDJSON batch line, the commit.
import { z } from "@hono/zod-openapi";
import type { SubscriptionRow } from "../db/schema";
import { iso, isoOrNull } from "../iso";
import { EventTypePattern } from "../webhooks/schema";
import { streamCursor } from "./cursor";

/** `waiting` is counted up to this many: a longer backlog shows as this number. */
export const WAITING_CAP = 100_000;

export const SubscriptionCreate = z
	.object({
		name: z.string().trim().min(1).max(200).openapi({ example: "ledger sync" }),
		eventTypes: z
			.array(EventTypePattern)
			.min(1)
			.max(100)
			.openapi({ example: ["loan.*"] }),
		startFrom: z.enum(["begin", "end"]).default("end").openapi({
			description:
				"`begin`: the oldest event still retained; `end` (the default): only events stored after the subscription",
		}),
	})
	.strict()
	.openapi("SubscriptionCreate");

export const Subscription = z
	.object({
		id: z.string().openapi({ example: "sub_01JD0Z4N6V7W8X9Y0Z1A2B3C4D" }),
		name: z.string(),
		eventTypes: z.array(z.string()),
		startFrom: z.enum(["begin", "end"]),
		committedCursor: z.string().nullable().openapi({ description: "The last cursor committed; null before the first" }),
		committedAt: z.string().datetime().nullable(),
		live: z.boolean().openapi({ description: "Whether a stream is open on it now (a second one is refused)" }),
		createdAt: z.string().datetime(),
		updatedAt: z.string().datetime(),
	})
	.openapi("Subscription");

export const SubscriptionDetail = Subscription.extend({
	waiting: z
		.number()
		.int()
		.openapi({
			description: `Matching events stored after the committed cursor (counted up to ${WAITING_CAP})`,
		}),
}).openapi("SubscriptionDetail");

export const toSubscription = (row: SubscriptionRow, now = Date.now()): z.infer<typeof Subscription> => ({
	id: row.id,
	name: row.name,
	eventTypes: row.eventTypes,
	startFrom: row.startFrom,
	committedCursor: row.committedSeq === null ? null : streamCursor(row.id, row.committedSeq),
	committedAt: isoOrNull(row.committedAt),
	live: row.leaseUntil !== null && row.leaseUntil > now,
	createdAt: iso(row.createdAt),
	updatedAt: iso(row.updatedAt),
});

const int = (min: number, max: number, fallback: number, description: string) =>
	z.coerce.number().int().min(min).max(max).default(fallback).openapi({ description, example: fallback });

export const StreamQuery = z.object({
	batchLimit: int(1, 1000, 100, "Events per batch at most (a batch of large events may hold fewer, about 1 MB)"),
	batchTimeoutMs: int(100, 60_000, 1000, "A batch goes out after this long even when short; empty, it is a keep-alive"),
	streamTimeoutMs: int(1000, 300_000, 30_000, "The stream ends after this long"),
	commitTimeoutSeconds: int(
		1,
		600,
		60,
		"The stream ends when its oldest uncommitted batch (with events) has waited this long for a commit",
	),
});
export type StreamSettings = z.infer<typeof StreamQuery>;

export const StreamEvent = z
	.object({
		id: z.string(),
		type: z.string(),
		occurredAt: z.string().datetime(),
		data: z.record(z.string(), z.unknown()),
	})
	.openapi("StreamEvent");

export const StreamBatch = z
	.object({
		cursor: z.string().openapi({ description: "Commit it (POST …/cursors) once the batch is processed" }),
		events: z.array(StreamEvent),
		purged: z.number().int().optional().openapi({
			description:
				"Present when the stream passed events that retention had removed before they were streamed (how many, of any type): the cursor was older than the oldest retained event, and the stream resumed at the oldest",
		}),
	})
	.openapi("StreamBatch", { description: "One line of the NDJSON stream" });

export const CursorCommit = z
	.object({ cursor: z.string().min(1).max(200).openapi({ description: "A batch's cursor" }) })
	.strict()
	.openapi("CursorCommit");
