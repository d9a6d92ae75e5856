// Applies the D1 migrations to every database wrangler.toml binds (the catalog
// and each history shard, each from its own migrations_dir) in local state.
// `npm start` and the benchmarks use it; deploying runs the same per binding
// with --remote (docs/deploy.md).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The D1 bindings of a wrangler.toml, in the order it lists them. */
export const d1Bindings = (root: string, config = "wrangler.toml") => {
	const text = readFileSync(join(root, config), "utf8");
	return [...text.matchAll(/\[\[d1_databases\]\][^[]*?binding\s*=\s*"([A-Z0-9_]+)"/g)].map((m) => m[1] as string);
};

/** Applies each binding's migrations locally; the answer names the first binding that failed, if any. */
export const migrateLocal = (
	root: string,
	{ persist, quiet = false }: { persist?: string; quiet?: boolean } = {},
): string | undefined => {
	const wrangler = join(root, "node_modules", ".bin", "wrangler");
	for (const binding of d1Bindings(root)) {
		const result = spawnSync(
			wrangler,
			["d1", "migrations", "apply", binding, "--local", ...(persist ? ["--persist-to", persist] : [])],
			{
				cwd: root,
				stdio: ["ignore", quiet ? "ignore" : "inherit", quiet ? "ignore" : "inherit"],
				env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
			},
		);
		if (result.status !== 0) return binding;
	}
	return undefined;
};
