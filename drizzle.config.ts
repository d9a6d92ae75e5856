import { defineConfig } from "drizzle-kit";

// Generates SQL migrations into migrations/, which wrangler applies
// (`wrangler d1 migrations apply`) locally, in tests and in production.
export default defineConfig({
	dialect: "sqlite",
	schema: ["./src/db/schema.ts", "./src/db/catalog.ts"],
	out: "./migrations",
});
