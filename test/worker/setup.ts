import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardNames } from "../../src/db/shards";

await applyD1Migrations(env.CATALOG, env.TEST_MIGRATIONS.catalog);
for (const shard of shardNames(env)) {
	await applyD1Migrations(env[shard as "SHARD_A"], env.TEST_MIGRATIONS.shard);
}
