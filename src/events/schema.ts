import { z } from "@hono/zod-openapi";

export const EventType = z
	.string()
	.max(200)
	.regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated words, such as "loan.created"')
	.openapi({ example: "loan.created" });

/**
 * How deeply event data may nest, the data object itself being level 1. JSON.parse
 * takes any depth, but what comes after it (template lookups, JSON.stringify when a
 * request is shaped or a page shows it) recurses, and must never run out of stack.
 */
export const MAX_DATA_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `bound`: counted with a stack of its own, never by recursion. */
const nestsDeeperThan = (value: unknown, bound: number) => {
	const stack: [unknown, number][] = [[value, 1]];
	for (let next = stack.pop(); next; next = stack.pop()) {
		const [v, depth] = next;
		if (v === null || typeof v !== "object") continue;
		if (depth > bound) return true;
		for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
	}
	return false;
};

/** An event's `data`: a JSON object, nested at most MAX_DATA_DEPTH levels. */
export const EventData = z
	.record(z.string(), z.unknown())
	.refine((data) => !nestsDeeperThan(data, MAX_DATA_DEPTH), `must not nest deeper than ${MAX_DATA_DEPTH} levels`);

export const EventInput = z
	.object({
		type: EventType,
		data: EventData.openapi({
			description: `A JSON object, nested at most ${MAX_DATA_DEPTH} levels deep`,
			example: { loanId: "L-1001", amount: 2500 },
		}),
		id: z
			.string()
			.regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be 1-128 letters, digits or _ . : -")
			.optional()
			.openapi({ description: "Your id for the event; a repeat with the same id creates nothing." }),
		occurredAt: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-11-28T12:00:00Z" }),
	})
	.strict()
	.openapi("EventInput");
export type EventInput = z.infer<typeof EventInput>;

export const IngestResult = z
	.object({ id: z.string(), type: z.string(), notifications: z.number().int() })
	.openapi("IngestResult");
export type IngestResult = z.infer<typeof IngestResult>;

export const IdempotencyKey = z
	.string()
	.regex(/^[\x21-\x7e]{1,255}$/, "must be 1-255 visible ASCII characters")
	.optional()
	.openapi({
		param: { name: "idempotency-key", in: "header" },
		description: "A repeat with the same key answers 200 with the first answer and creates nothing.",
	});
