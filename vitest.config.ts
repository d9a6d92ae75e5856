import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Settings the worker tests run with (the deployed defaults come from wrangler.toml). */
export const TEST_SETTINGS = {
	ADMIN_TOKEN: "test-admin-token,test-admin-token-next",
	INGEST_TOKEN: "test-ingest-token",
	ENCRYPTION_KEY: "aG9va2xpbmUtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=",
	ALLOW_PRIVATE_TARGETS: "true",
	// Two regions: `eu` (the first, so every tenant's default) sends directly, as the tests'
	// receiver expects; `us` goes through an egress proxy that is not there (regions.test.ts:
	// its deliveries fail as `proxy` and retry, never going direct).
	REGIONS: JSON.stringify([
		{ name: "eu", senderIps: ["203.0.113.7", "198.51.100.9"] },
		{ name: "us", egressProxyUrl: "https://127.0.0.1:9/relay", senderIps: ["192.0.2.44", "198.51.100.9"] },
	]),
	EGRESS_PROXY_SECRET_US: "test-relay-secret-us",
	// Low enough that a test can fill a gate past it (gate-storage.test.ts); no other test comes near.
	GATE_STORAGE_LIMIT_MB: "16",
};

// wrangler checks the required secrets of wrangler.toml in the process
// environment; the bindings below are what the tests actually run with.
for (const name of ["ADMIN_TOKEN", "INGEST_TOKEN", "ENCRYPTION_KEY"] as const)
	process.env[name] ??= TEST_SETTINGS[name];

export default defineConfig(async () => {
	const [catalogMigrations, shardMigrations] = await Promise.all([
		readD1Migrations("migrations/catalog"),
		readD1Migrations("migrations/shard"),
	]);
	return {
		test: {
			// Logs of passing tests are noise; a failing test shows its own.
			silent: "passed-only" as const,
			projects: [
				{
					plugins: [
						cloudflareTest(({ inject }) => ({
							wrangler: { configPath: "./wrangler.toml" },
							miniflare: {
								bindings: {
									...TEST_SETTINGS,
									TEST_MIGRATIONS: { catalog: catalogMigrations, shard: shardMigrations },
									RECEIVER_URL: inject("receiverUrl"),
								},
							},
						})),
					],
					test: {
						name: "worker",
						include: ["test/worker/**/*.test.ts"],
						setupFiles: ["test/worker/setup.ts"],
						globalSetup: ["test/support/global-receiver.ts"],
					},
				},
				{
					test: {
						name: "e2e",
						include: ["test/e2e/**/*.test.ts"],
						environment: "node",
						// Each file starts wrangler dev; one at a time on a 2-core machine.
						fileParallelism: false,
						testTimeout: 120_000,
						hookTimeout: 120_000,
					},
				},
			],
		},
	};
});
