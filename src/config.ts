// Deployment settings read from the worker's bindings, with their defaults.
// docs/configuration.md documents each of them.
import type { TargetPolicy } from "./security/target";

export const DEFAULT_RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200];
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_CONCURRENCY = 10;
/** Consecutive failed attempts that open a webhook's circuit, unless the webhook says otherwise. */
export const DEFAULT_FAILURE_THRESHOLD = 10;
/** Hours a circuit may stay open before its webhook is disabled, unless the webhook says otherwise. */
export const DEFAULT_DISABLE_AFTER_HOURS = 120;
export const MAX_TIMEOUT_MS = 30_000;
/** An endpoint gate's storage bound: half a Durable Object's 10 GB, far above what an hour of its ledger needs. */
export const DEFAULT_GATE_STORAGE_LIMIT_MB = 5120;
/** Cloudflare Queues' longest `delaySeconds`. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
export const MAX_EVENT_BYTES = 256 * 1024;
/** After a secret rotation, requests are signed with both secrets for this long by default. */
export const DEFAULT_ROTATION_WINDOW_SECONDS = 86_400;

const splitList = (value: string | undefined) =>
	(value ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === "true";

/** Settings that are optional secrets, so `wrangler types` does not declare them. */
type OptionalSecrets = { EGRESS_PROXY_SECRET?: string };

export type Config = {
	adminTokens: string[];
	ingestTokens: string[];
	encryptionKey: string;
	senderIps: string[];
	/** Which URLs may be targets: ALLOW_PRIVATE_TARGETS (local development only) and ALLOW_HTTP. */
	targetPolicy: TargetPolicy;
	/** Where deliveries go through the egress proxy, if anywhere (EGRESS_PROXY_URL). */
	egressProxyUrl: string;
	egressProxySecret: string;
	retentionDays: number;
	sweepGraceSeconds: number;
	/** The circuit's first cool-down before a probe, doubling after each failed probe up to the max. */
	circuitCoolDownSeconds: number;
	circuitMaxCoolDownSeconds: number;
	/** An endpoint gate whose storage reaches this many bytes takes no new sends until its sweeps free space. */
	gateStorageLimitBytes: number;
};

export const readConfig = (env: Env): Config => ({
	adminTokens: splitList(env.ADMIN_TOKEN),
	ingestTokens: splitList(env.INGEST_TOKEN),
	encryptionKey: env.ENCRYPTION_KEY ?? "",
	senderIps: splitList(env.SENDER_IPS),
	targetPolicy: { allowPrivate: isTrue(env.ALLOW_PRIVATE_TARGETS), allowHttp: isTrue(env.ALLOW_HTTP) },
	egressProxyUrl: (env.EGRESS_PROXY_URL ?? "").trim(),
	egressProxySecret: ((env as OptionalSecrets).EGRESS_PROXY_SECRET ?? "").trim(),
	retentionDays: Number.parseInt(env.RETENTION_DAYS ?? "", 10) || 30,
	sweepGraceSeconds: Number.parseInt(env.SWEEP_GRACE_SECONDS ?? "", 10) || 120,
	circuitCoolDownSeconds: Number.parseFloat(env.CIRCUIT_COOLDOWN_SECONDS ?? "") || 30,
	circuitMaxCoolDownSeconds: Number.parseFloat(env.CIRCUIT_MAX_COOLDOWN_SECONDS ?? "") || 1800,
	gateStorageLimitBytes:
		(Number.parseFloat(env.GATE_STORAGE_LIMIT_MB ?? "") || DEFAULT_GATE_STORAGE_LIMIT_MB) * 1024 ** 2,
});

/** Names of required secrets that are missing: a worker without them must not run open. */
export const missingSecrets = (config: Config) =>
	[
		config.adminTokens.length === 0 && "ADMIN_TOKEN",
		config.ingestTokens.length === 0 && "INGEST_TOKEN",
		config.encryptionKey === "" && "ENCRYPTION_KEY",
		config.egressProxyUrl !== "" && config.egressProxySecret === "" && "EGRESS_PROXY_SECRET",
	].filter((name): name is string => Boolean(name));
