// /v1/webhooks/:id/rotate-secret: a new signing secret, with a window in which the old one signs too;
// /v1/webhooks/reseal: every webhook's secrets sealed afresh, for rotating ENCRYPTION_KEY.
import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq, lt } from "drizzle-orm";
import { DEFAULT_ROTATION_WINDOW_SECONDS, readConfig } from "../../config";
import { database } from "../../db";
import { webhooks } from "../../db/schema";
import { decodeCursor, PageQuery, page } from "../../http/pagination";
import { json, newRouter, problems } from "../../http/router";
import { iso } from "../../iso";
import { newSigningSecret, seal, unseal } from "../../secrets";
import { resealRow, resealUpdate } from "../sealing";
import { findWebhook } from "../service";
import { Params, security, tags } from "./openapi";

export const secretRoutes = newRouter();

const RotateInput = z
	.object({
		previousSecretTtlSeconds: z
			.number()
			.int()
			.min(0)
			.max(7 * 86_400)
			.default(DEFAULT_ROTATION_WINDOW_SECONDS)
			.openapi({ description: "How long requests stay signed with the old secret too (0 ends it now)" }),
	})
	.strict()
	.openapi("RotateSecret");

export const RotatedSecret = z.object({
	secret: z.string(),
	previousSecretExpiresAt: z.string().datetime().nullable(),
});

secretRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/rotate-secret",
		tags,
		security,
		summary: "Rotate the signing secret",
		description:
			"Returns the new whsec_ secret once. Until the window closes, requests carry both signatures, space-separated, so receivers can switch without losing a request.",
		request: {
			params: Params,
			body: { required: false, content: { "application/json": { schema: RotateInput } } },
		},
		responses: {
			200: json(RotatedSecret, "The new whsec_ secret, shown only here"),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const current = await findWebhook(c.env, c.req.valid("param").id);
		const { previousSecretTtlSeconds } = RotateInput.parse(c.req.valid("json") ?? {});
		const key = readConfig(c.env).encryptionKey;
		const secret = newSigningSecret();
		const now = Date.now();
		// The old secret moves to its own column, so it is sealed for that column. One that no longer
		// opens (its key was dropped) gets no window: rotating is how such a webhook is mended.
		const previous =
			previousSecretTtlSeconds > 0
				? await unseal(current.secretSealed, key, { webhookId: current.id, column: "secret" }).catch(() => undefined)
				: undefined;
		const expiresAt = previous === undefined ? null : now + previousSecretTtlSeconds * 1000;
		await database(c.env)
			.update(webhooks)
			.set({
				secretSealed: await seal(secret, key, { webhookId: current.id, column: "secret" }),
				previousSecretSealed:
					previous === undefined
						? null
						: await seal(previous, key, { webhookId: current.id, column: "previous_secret" }),
				previousSecretExpiresAt: expiresAt,
				updatedAt: now,
			})
			.where(eq(webhooks.id, current.id));
		// A password still in an older form is sealed afresh too, unless a change replaced it meanwhile.
		const { authPasswordSealed } = (await resealRow(current, key)).columns;
		if (authPasswordSealed) await resealUpdate(c.env, current, { authPasswordSealed });
		return c.json({ secret, previousSecretExpiresAt: expiresAt ? iso(expiresAt) : null }, 200);
	},
);

const ResealInput = z
	.object({
		cursor: PageQuery.shape.cursor.openapi({ description: "nextCursor of the previous call" }),
		limit: z.number().int().min(1).max(500).default(100).openapi({ description: "Webhooks per call" }),
	})
	.strict()
	.openapi("Reseal");

export const Resealed = z.object({
	checked: z.number().int().openapi({ description: "Webhooks looked at in this call, deleted ones included" }),
	resealed: z.number().int().openapi({ description: "Webhooks with a value sealed afresh" }),
	unreadable: z
		.array(z.object({ webhookId: z.string(), column: z.enum(["secret", "previous_secret", "auth_password"]) }))
		.openapi({ description: "Values that open under no key of ENCRYPTION_KEY; left as they are" }),
	nextCursor: z.string().nullable().openapi({ description: "Call again with it; null: every webhook was checked" }),
});

secretRoutes.openapi(
	createRoute({
		method: "post",
		path: "/reseal",
		tags,
		security,
		summary: "Seal every webhook's secrets afresh under the first key of ENCRYPTION_KEY",
		description:
			"For rotating ENCRYPTION_KEY: with the new key first and the old one still listed, call until nextCursor is null; then every signing secret, previous secret and Basic-auth password (of deleted webhooks too) is sealed under the new key, bound to its webhook, and the old key can be dropped. Values already in that form are left alone, so a repeat does no harm.",
		request: { body: { required: false, content: { "application/json": { schema: ResealInput } } } },
		responses: { 200: json(Resealed, "What this call checked and sealed"), ...problems(400, 401, 403, 415, 503) },
	}),
	async (c) => {
		const { cursor, limit } = ResealInput.parse(c.req.valid("json") ?? {});
		const after = decodeCursor(cursor);
		const key = readConfig(c.env).encryptionKey;
		const db = database(c.env);
		const rows = await db
			.select()
			.from(webhooks)
			.where(after ? lt(webhooks.id, after) : undefined)
			.orderBy(desc(webhooks.id))
			.limit(limit + 1);
		const { data, nextCursor } = page(rows, limit);
		const results = await Promise.all(data.map(async (row) => ({ row, ...(await resealRow(row, key)) })));
		const updates = results
			.filter(({ columns }) => Object.keys(columns).length > 0)
			.map(({ row, columns }) => resealUpdate(c.env, row, columns));
		const [first, ...rest] = updates;
		if (first) await db.batch([first, ...rest]);
		return c.json(
			{
				checked: data.length,
				resealed: updates.length,
				unreadable: results.flatMap(({ row, unreadable }) =>
					unreadable.map((column) => ({ webhookId: row.id, column })),
				),
				nextCursor,
			},
			200,
		);
	},
);
