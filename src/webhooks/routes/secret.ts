// /v1/webhooks/:id/rotate-secret: a new signing secret, with a window in which the old one signs too.
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { DEFAULT_ROTATION_WINDOW_SECONDS, readConfig } from "../../config";
import { database } from "../../db";
import { webhooks } from "../../db/schema";
import { json, newRouter, problems } from "../../http/router";
import { iso } from "../../iso";
import { newSigningSecret, seal } from "../../secrets";
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
		const secret = newSigningSecret();
		const now = Date.now();
		const expiresAt = previousSecretTtlSeconds > 0 ? now + previousSecretTtlSeconds * 1000 : null;
		await database(c.env)
			.update(webhooks)
			.set({
				secretSealed: await seal(secret, readConfig(c.env).encryptionKey),
				previousSecretSealed: expiresAt ? current.secretSealed : null,
				previousSecretExpiresAt: expiresAt,
				updatedAt: now,
			})
			.where(eq(webhooks.id, current.id));
		return c.json({ secret, previousSecretExpiresAt: expiresAt ? iso(expiresAt) : null }, 200);
	},
);
