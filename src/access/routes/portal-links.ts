// POST /v1/tenants/{tenantId}/portal-links (and /v1/portal-links for the
// caller's tenant): a link that opens the tenant portal for that tenant alone,
// read-only or not, until it expires. The link is signed, not stored
// (../portal-link.ts). Making one needs `manage`, and `read` too: the portal
// reads everything, and no caller hands out a scope it lacks.
import { createRoute, z } from "@hono/zod-openapi";
import { readConfig } from "../../config";
import { ProblemError } from "../../http/problem";
import { json, newRouter, problems } from "../../http/router";
import { iso } from "../../iso";
import { authorize } from "../authorize";
import { portalLinkPath, signPortalLink } from "../portal-link";
import { hasScope } from "../principal";

export const PORTAL_LINK_DEFAULT_SECONDS = 3600;
export const PORTAL_LINK_MIN_SECONDS = 60;
export const PORTAL_LINK_MAX_SECONDS = 86_400;

export const PortalLinkCreate = z
	.object({
		expiresInSeconds: z
			.number()
			.int()
			.min(PORTAL_LINK_MIN_SECONDS)
			.max(PORTAL_LINK_MAX_SECONDS)
			.default(PORTAL_LINK_DEFAULT_SECONDS)
			.openapi({ description: "How long the link, and the session it starts, lasts (60 s to 24 h)" }),
		readOnly: z
			.boolean()
			.default(false)
			.openapi({ description: "true: the portal shows everything and changes nothing (the server refuses)" }),
	})
	.strict()
	.openapi("PortalLinkCreate");

export const PortalLink = z
	.object({
		url: z.string().openapi({
			description:
				"Opens the portal; the secret is in its path. Anyone holding it acts for the tenant until it expires.",
			example: "https://hookline.example.com/portal/open/v1.acme-bank.w.1767225600.3q2-7w",
		}),
		expiresAt: z.string().openapi({ description: "When the link and every session it started end" }),
		readOnly: z.boolean(),
	})
	.openapi("PortalLink");

export const portalLinkRoutes = newRouter();
portalLinkRoutes.use("*", authorize("manage"));

portalLinkRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags: ["portal"],
		security: [{ bearer: ["manage", "read"] }],
		summary: "Make a tenant portal link",
		description:
			"A link for one of the platform's customers: it opens /portal for this tenant alone, without an account, and works without script. Opening it starts a session that ends when the link expires. The link is signed, not stored: it cannot be revoked on its own (it ends at its expiry, when the tenant is deleted, or when ENCRYPTION_KEY drops the key that signed it).",
		request: {
			body: { required: false, content: { "application/json": { schema: PortalLinkCreate } } },
		},
		responses: {
			201: json(PortalLink, "The link"),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const { principal, tenantId } = c.var.access;
		if (!hasScope(principal, "read"))
			throw new ProblemError(
				403,
				`${principal.label} lacks the read scope, which the portal uses throughout; it cannot make a portal link.`,
			);
		const { expiresInSeconds, readOnly } = PortalLinkCreate.parse(c.req.valid("json") ?? {});
		const expiresAt = (Math.floor(Date.now() / 1000) + expiresInSeconds) * 1000;
		const token = await signPortalLink(readConfig(c.env).encryptionKey, { tenantId, readOnly, expiresAt });
		const url = `${new URL(c.req.url).origin}${portalLinkPath(token)}`;
		return c.json({ url, expiresAt: iso(expiresAt), readOnly }, 201);
	},
);
