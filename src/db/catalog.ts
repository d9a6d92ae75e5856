// The catalog database: tenants, where each one's data lives (its shard), and
// API keys. Everything a tenant owns is on its shard (./schema.ts).
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const epochMs = (name: string) => integer(name, { mode: "number" });

export const tenants = sqliteTable(
	"tenants",
	{
		/** Client-chosen (`^[a-z0-9][a-z0-9_-]{0,62}$`) or a generated `tnt_…`; `default` always exists. */
		id: text("id").primaryKey(),
		name: text("name").notNull(),
		/** The history shard (a SHARD_* binding) that holds everything the tenant owns; set at creation. */
		shard: text("shard").notNull(),
		/** The region its deliveries leave from; null: the deployment names no regions. */
		region: text("region"),
		/** Origins allowed to embed the tenant portal. */
		portalOrigins: text("portal_origins", { mode: "json" }).$type<string[]>().notNull(),
		createdAt: epochMs("created_at").notNull(),
		updatedAt: epochMs("updated_at").notNull(),
		/** Deleted tenants keep their id (never reused) while their history ages out. */
		deletedAt: epochMs("deleted_at"),
	},
	(t) => [index("tenants_shard_idx").on(t.shard, t.deletedAt)],
);

export const scopes = ["ingest", "read", "manage"] as const;
export type Scope = (typeof scopes)[number];

export const apiKeys = sqliteTable(
	"api_keys",
	{
		id: text("id").primaryKey(),
		name: text("name").notNull(),
		/** null: operator-wide. */
		tenantId: text("tenant_id"),
		scopes: text("scopes", { mode: "json" }).$type<Scope[]>().notNull(),
		/** Hex SHA-256 of the secret; the secret itself is shown once and never stored. */
		secretHash: text("secret_hash").notNull(),
		/** The secret's first characters, to tell keys apart in a list. */
		prefix: text("prefix").notNull(),
		expiresAt: epochMs("expires_at"),
		lastUsedAt: epochMs("last_used_at"),
		createdAt: epochMs("created_at").notNull(),
		revokedAt: epochMs("revoked_at"),
	},
	(t) => [uniqueIndex("api_keys_hash_idx").on(t.secretHash), index("api_keys_tenant_idx").on(t.tenantId, t.id)],
);

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
