// /v1/webhooks/:id/rotate-secret: a new signing secret, with a window in which the old one signs too.
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { DEFAULT_ROTATION_WINDOW_SECONDS, readConfig } from "../../config";
import { database } from "../../db";
import { webhooks } from "../../db/schema";
import { json, newRouter, problems } from "../../http/router";
import { iso } from "../../iso";
import { newSigningSecret, seal, unseal } from "../../secrets";
import { resealRow, resealUpdate } from "../sealing";
import { findWebhook } from "../service";
import { manageSecurity, Params, tags } from "./openapi";

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
		security: manageSecurity,
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
		const current = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		const { previousSecretTtlSeconds } = RotateInput.parse(c.req.valid("json") ?? {});
		const key = readConfig(c.var.access.shard).encryptionKey;
		const secret = newSigningSecret();
		const now = Date.now();
		// The old secret moves to its own column, so it is sealed for that column. One that no longer
		// opens (its key was dropped) gets no window: rotating is how such a webhook is mended.
		const previous =
			previousSecretTtlSeconds > 0
				? await unseal(current.secretSealed, key, { webhookId: current.id, column: "secret" }).catch(() => undefined)
				: undefined;
		const expiresAt = previous === undefined ? null : now + previousSecretTtlSeconds * 1000;
		await database(c.var.access.shard)
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
		if (authPasswordSealed) await resealUpdate(c.var.access.shard, current, { authPasswordSealed });
		return c.json({ secret, previousSecretExpiresAt: expiresAt ? iso(expiresAt) : null }, 200);
	},
);
