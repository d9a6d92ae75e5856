import { defineConfig } from "drizzle-kit";

// Generates the SQL migrations of one database role, which wrangler applies
// (`wrangler d1 migrations apply <binding>`) locally, in tests and in
// production: HOOKLINE_DB_ROLE=catalog for the catalog database (tenants, keys,
// placement), shard (the default) for every history shard.
const role = process.env.HOOKLINE_DB_ROLE === "catalog" ? "catalog" : "shard";

export default defineConfig({
	dialect: "sqlite",
	schema: role === "catalog" ? "./src/db/catalog.ts" : "./src/db/schema.ts",
	out: `./migrations/${role}`,
});
