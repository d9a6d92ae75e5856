// What the tenant and API key routes take and answer.
import { z } from "@hono/zod-openapi";
import type { ApiKeyRow, TenantRow } from "../db/catalog";
import { scopes } from "../db/catalog";
import { iso, isoOrNull } from "../iso";
import { type Region, tenantRegion } from "../regions";

export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const TenantId = z
	.string()
	.regex(TENANT_ID, "must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit")
	.openapi({ example: "acme-bank" });

/** An origin a browser sends: scheme, host and port, nothing more. */
const Origin = z
	.string()
	.max(300)
	.refine((value) => {
		try {
			const url = new URL(value);
			return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
		} catch {
			return false;
		}
	}, "must be an origin such as https://app.example.com (scheme, host and port; no path or trailing slash)");

const TenantFields = {
	name: z.string().trim().min(1).max(200).openapi({ example: "Acme Bank" }),
	region: z
		.string()
		.max(63)
		.nullable()
		.openapi({ description: "A configured region; default the deployment's first (null when it names none)" }),
	portalOrigins: z
		.array(Origin)
		.max(20)
		.openapi({ description: "Origins allowed to embed the tenant portal in an iframe", example: [] }),
};

export const TenantCreate = z
	.object({
		id: TenantId.optional().openapi({ description: "Your id for the tenant; generated (`tnt_…`) when omitted" }),
		name: TenantFields.name,
		region: TenantFields.region.optional(),
		portalOrigins: TenantFields.portalOrigins.default([]),
	})
	.strict()
	.openapi("TenantCreate");
export type TenantCreate = z.infer<typeof TenantCreate>;

export const TenantPatch = z
	.object({
		name: TenantFields.name.optional(),
		region: TenantFields.region.optional(),
		portalOrigins: TenantFields.portalOrigins.optional(),
	})
	.strict()
	.openapi("TenantPatch");

export const Tenant = z
	.object({
		id: z.string(),
		name: z.string(),
		region: z.string().nullable().openapi({
			description: "The region its webhooks send from unless they name another; null: the deployment names none",
		}),
		portalOrigins: z.array(z.string()),
		createdAt: z.string(),
		updatedAt: z.string(),
	})
	.openapi("Tenant");
export type Tenant = z.infer<typeof Tenant>;

/** A tenant as the API shows it: a tenant from before regions shows the region it sends from (the deployment's first). */
export const toTenant = (row: TenantRow, regions: Region[]): Tenant => ({
	id: row.id,
	name: row.name,
	region: tenantRegion(regions, row.region),
	portalOrigins: row.portalOrigins,
	createdAt: iso(row.createdAt),
	updatedAt: iso(row.updatedAt),
});

export const Scope = z.enum(scopes).openapi("Scope");

export const ApiKeyCreate = z
	.object({
		name: z.string().trim().min(1).max(200).openapi({ example: "billing service" }),
		tenantId: TenantId.nullable()
			.optional()
			.openapi({ description: "The tenant the key is for; null or omitted by an operator: operator-wide" }),
		scopes: z
			.array(Scope)
			.min(1)
			.refine((list) => new Set(list).size === list.length, "must not repeat a scope")
			.openapi({ example: ["ingest"] }),
		expiresAt: z.iso
			.datetime({ offset: true })
			.optional()
			.refine((value) => value === undefined || Date.parse(value) > Date.now(), "must be in the future")
			.openapi({ example: "2027-12-31T00:00:00Z" }),
	})
	.strict()
	.openapi("ApiKeyCreate");
export type ApiKeyCreate = z.infer<typeof ApiKeyCreate>;

export const ApiKey = z
	.object({
		id: z.string(),
		name: z.string(),
		tenantId: z.string().nullable(),
		scopes: z.array(Scope),
		prefix: z.string().openapi({ description: "The secret's first characters, to tell keys apart" }),
		expiresAt: z.string().nullable(),
		lastUsedAt: z.string().nullable().openapi({ description: "Accurate to about a minute" }),
		createdAt: z.string(),
	})
	.openapi("ApiKey");

export const ApiKeyWithSecret = ApiKey.extend({
	secret: z.string().openapi({ description: "Shown only in this answer; only its hash is stored" }),
}).openapi("ApiKeyWithSecret");

export const toApiKey = (row: ApiKeyRow): z.infer<typeof ApiKey> => ({
	id: row.id,
	name: row.name,
	tenantId: row.tenantId,
	scopes: row.scopes,
	prefix: row.prefix,
	expiresAt: isoOrNull(row.expiresAt),
	lastUsedAt: isoOrNull(row.lastUsedAt),
	createdAt: iso(row.createdAt),
});
