// A webhook's credentials at send time: never stored with the request, unsealed
// once per batch and webhook rather than once per message.
import { toBase64 } from "../base64";
import type { WebhookRow } from "../db/schema";
import { unseal } from "../secrets";

export type Credentials = { signingSecrets: string[]; authorization?: string };

/**
 * The signing secrets in force (the current one, and the previous one during a
 * rotation window) and the Basic-auth header, cached for one batch.
 */
export const credentialsCache = (key: string, now: number) => {
	const cache = new Map<string, Promise<Credentials>>();
	const unsealAll = async (webhook: WebhookRow): Promise<Credentials> => ({
		signingSecrets: [
			await unseal(webhook.secretSealed, key, { webhookId: webhook.id, column: "secret" }),
			...(webhook.previousSecretSealed && (webhook.previousSecretExpiresAt ?? 0) > now
				? [await unseal(webhook.previousSecretSealed, key, { webhookId: webhook.id, column: "previous_secret" })]
				: []),
		],
		authorization:
			webhook.authUsername !== null && webhook.authPasswordSealed !== null
				? `Basic ${toBase64(new TextEncoder().encode(`${webhook.authUsername}:${await unseal(webhook.authPasswordSealed, key, { webhookId: webhook.id, column: "auth_password" })}`))}`
				: undefined,
	});
	return (webhook: WebhookRow) => {
		let credentials = cache.get(webhook.id);
		if (!credentials) {
			credentials = unsealAll(webhook);
			// A failed unseal is not kept: the next message of the batch tries again.
			credentials.catch(() => cache.delete(webhook.id));
			cache.set(webhook.id, credentials);
		}
		return credentials;
	};
};
