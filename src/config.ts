// Deployment settings read from the worker's bindings, with their defaults.
// README.md "Configuration" documents each of them.

export const DEFAULT_RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200];
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_CONCURRENCY = 10;
export const MAX_TIMEOUT_MS = 30_000;
/** Cloudflare Queues' longest `delaySeconds`. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
export const MAX_EVENT_BYTES = 256 * 1024;
/** After a secret rotation, requests are signed with both secrets for this long by default. */
export const DEFAULT_ROTATION_WINDOW_SECONDS = 86_400;

export const splitList = (value: string | undefined) =>
	(value ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === "true";

export type Config = {
	adminTokens: string[];
	ingestTokens: string[];
	encryptionKey: string;
	senderIps: string[];
	/** Local development only: http: and private receivers are allowed. */
	allowPrivateTargets: boolean;
	retentionDays: number;
	sweepGraceSeconds: number;
};

export const readConfig = (env: Env): Config => ({
	adminTokens: splitList(env.ADMIN_TOKEN),
	ingestTokens: splitList(env.INGEST_TOKEN),
	encryptionKey: env.ENCRYPTION_KEY ?? "",
	senderIps: splitList(env.SENDER_IPS),
	allowPrivateTargets: isTrue(env.ALLOW_PRIVATE_TARGETS),
	retentionDays: Number.parseInt(env.RETENTION_DAYS ?? "", 10) || 30,
	sweepGraceSeconds: Number.parseInt(env.SWEEP_GRACE_SECONDS ?? "", 10) || 120,
});

/** Names of required secrets that are missing: a worker without them must not run open. */
export const missingSecrets = (config: Config) =>
	[
		config.adminTokens.length === 0 && "ADMIN_TOKEN",
		config.ingestTokens.length === 0 && "INGEST_TOKEN",
		config.encryptionKey === "" && "ENCRYPTION_KEY",
	].filter((name): name is string => Boolean(name));
