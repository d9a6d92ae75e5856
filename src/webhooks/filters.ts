// A webhook's event filter as rows of webhook_filters: written with the
// webhook in the same batch, and read by ingest to find the webhooks an event
// matches by index, however many other webhooks the tenant has.
import { eq } from "drizzle-orm";
import { chunk } from "../chunk";
import { database } from "../db";
import { webhookFilters } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { isOperational, OPERATIONAL_PREFIX } from "../ops-events/types";

/**
 * The filter entries that match `type`: "*" (except for Hookline's own types),
 * the type itself, and "prefix.*" for each prefix that ends at a dot
 * ("loan.created.late" → "loan.*", "loan.created.*").
 */
export const patternsMatching = (type: string): string[] => {
	// Hookline's own types (src/ops-events): a webhook names them, or "hookline.*", to get them.
	const patterns = isOperational(type) ? [type] : ["*", type];
	for (let dot = type.indexOf("."); dot > 0; dot = type.indexOf(".", dot + 1)) patterns.push(`${type.slice(0, dot)}.*`);
	return patterns;
};

/**
 * The rule of patternsMatching in SQL, for reads that pick a tenant's events by
 * type (the pull stream, replay): whether the type `typeSql` matches any
 * pattern of the JSON array `patternsSql` (a bound parameter, or a column).
 * Qualify a column in `typeSql` (`events.type`): json_each has a `type` of its own.
 * test/worker/filters.test.ts holds the two forms to the same answers.
 */
export const typeMatchesSql = (typeSql: string, patternsSql: string) =>
	`EXISTS (SELECT 1 FROM json_each(${patternsSql}) p WHERE p.value = ${typeSql}
 OR (p.value = '*' AND substr(${typeSql}, 1, ${OPERATIONAL_PREFIX.length}) <> '${OPERATIONAL_PREFIX}')
 OR (substr(p.value, -2) = '.*' AND substr(${typeSql}, 1, length(p.value) - 1) = substr(p.value, 1, length(p.value) - 1)))`;

/** The statements that make a webhook's filter rows say `eventTypes` (for the caller's batch). */
export const filterStatements = (env: ShardEnv, webhook: { id: string; tenantId: string; eventTypes: string[] }) => {
	const db = database(env);
	const rows = [...new Set(webhook.eventTypes)].map((pattern) => ({
		tenantId: webhook.tenantId,
		pattern,
		webhookId: webhook.id,
	}));
	return [
		db.delete(webhookFilters).where(eq(webhookFilters.webhookId, webhook.id)),
		// Three bound parameters a row, under D1's 100 a statement.
		...chunk(rows, 30).map((part) => db.insert(webhookFilters).values(part)),
	];
};

/** A deleted webhook matches nothing any more. */
export const dropFilters = (env: ShardEnv, webhookId: string) =>
	database(env).delete(webhookFilters).where(eq(webhookFilters.webhookId, webhookId));

/** A deleted tenant's webhooks match nothing any more. */
export const dropTenantFilters = (env: ShardEnv, tenantId: string) =>
	database(env).delete(webhookFilters).where(eq(webhookFilters.tenantId, tenantId));
