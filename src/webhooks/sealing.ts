// A webhook's sealed columns kept in the current form (src/secrets): every
// write of a webhook seals afresh what is still in an older one (v1, or under a
// key that is no longer the first of ENCRYPTION_KEY), and POST
// /v1/webhooks/reseal does so for every webhook, so an old key can be dropped.

import { and, eq } from "drizzle-orm";
import { database } from "../db";
import { type WebhookRow, webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { resealed, type SealedColumn } from "../secrets";

type SealedField = "secretSealed" | "previousSecretSealed" | "authPasswordSealed";

const SEALED: [SealedField, SealedColumn][] = [
	["secretSealed", "secret"],
	["previousSecretSealed", "previous_secret"],
	["authPasswordSealed", "auth_password"],
];

export type Resealing = {
	/** The sealed values that changed form, to write; the rest are current already. */
	columns: Partial<Pick<WebhookRow, SealedField>>;
	/** Values that open under no key of ENCRYPTION_KEY: left as they are. */
	unreadable: SealedColumn[];
};

export const resealRow = async (row: WebhookRow, encryptionKey: string): Promise<Resealing> => {
	const columns: Resealing["columns"] = {};
	const unreadable: SealedColumn[] = [];
	for (const [field, column] of SEALED) {
		const sealed = row[field];
		if (sealed === null) continue;
		try {
			const fresh = await resealed(sealed, encryptionKey, { webhookId: row.id, column });
			if (fresh !== sealed) columns[field] = fresh;
		} catch {
			unreadable.push(column);
		}
	}
	return { columns, unreadable };
};

/**
 * Writes re-sealed values only over the values they were read as: a write in
 * between (a rotation, a new password) sealed its own in the current form, and wins.
 */
export const resealUpdate = (env: ShardEnv, row: WebhookRow, columns: Resealing["columns"]) =>
	database(env)
		.update(webhooks)
		.set(columns)
		.where(
			and(
				eq(webhooks.id, row.id),
				...(Object.keys(columns) as SealedField[]).map((field) => eq(webhooks[field], row[field] as string)),
			),
		);
