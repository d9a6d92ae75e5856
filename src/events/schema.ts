import { z } from "@hono/zod-openapi";

export const EventType = z
	.string()
	.max(200)
	.regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated words, such as "loan.created"')
	.openapi({ example: "loan.created" });

export const EventInput = z
	.object({
		type: EventType,
		data: z
			.record(z.string(), z.unknown())
			.openapi({ description: "A JSON object", example: { loanId: "L-1001", amount: 2500 } }),
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
