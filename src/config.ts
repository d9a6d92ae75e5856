// Deployment settings read from the worker's bindings, with their defaults.
// docs/configuration.md documents each of them. A worker has no start-up, so a
// setting is checked when it is first read: a bad one is refused (503, naming
// it and why) rather than replaced by a guess, and an explicit value, 0
// included where 0 means something, is used as given.
import { z } from "zod";
import { ProblemError } from "./http/problem";
import { addressProblem, egressProxyUrlProblem, type Region, regionsOf, regionsSetting } from "./regions";
import { masterKeysOf } from "./secrets/keyring";
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

/** How long a queue batch waits while a setting is bad: its messages come back once it is fixed. */
export const BAD_SETTINGS_RETRY_SECONDS = 300;

const splitList = (value: string) =>
	value
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);

/** A setting as the bindings give it: unset and empty are the same. */
const text = z
	.string()
	.optional()
	.transform((value) => (value ?? "").trim());

const list = text.transform(splitList);

/** `true` or `false` in any case; unset is false. "yes" or "1" is refused, not read as false. */
const flag = text.transform((value, ctx) => {
	const lower = value.toLowerCase();
	if (lower === "" || lower === "false") return false;
	if (lower === "true") return true;
	ctx.addIssue({ code: "custom", message: `must be true or false (it is ${JSON.stringify(value)})` });
	return z.NEVER;
});

/**
 * A number in plain decimal (no unit, sign or exponent: "30s" is refused, not
 * read as 30); unset takes `fallback`.
 */
const amount = ({
	fallback,
	unit,
	whole = false,
	min,
	above,
}: {
	fallback: number;
	unit: string;
	whole?: boolean;
	min?: number;
	above?: number;
}) =>
	text.transform((value, ctx) => {
		if (value === "") return fallback;
		const number = (whole ? /^\d+$/ : /^\d+(\.\d+)?$/).test(value) ? Number(value) : Number.NaN;
		if (!Number.isNaN(number) && (min === undefined || number >= min) && (above === undefined || number > above))
			return number;
		const bound = min !== undefined ? `, at least ${min}` : above !== undefined ? `, more than ${above}` : "";
		ctx.addIssue({
			code: "custom",
			message: `must be ${whole ? "a whole number" : "a number"} of ${unit}${bound} (it is ${JSON.stringify(value)})`,
		});
		return z.NEVER;
	});

/** Sender IPs are published for receivers to allow-list: each must be an address or a CIDR range. */
const addressList = list.superRefine((entries, ctx) => {
	for (const entry of entries) {
		const problem = addressProblem(entry);
		if (problem) ctx.addIssue({ code: "custom", message: problem });
	}
});

/**
 * ENCRYPTION_KEY: one key or a comma-separated list (rotation), each the base64
 * of 32 bytes. Unset is a missing secret (missingSecrets), not a bad setting.
 */
const encryptionKey = text.superRefine((value, ctx) => {
	if (value === "") return;
	const parsed = masterKeysOf(value);
	// Never echo a secret: the message says which entry is wrong, not what it is.
	if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
});

const Settings = z
	.object({
		ADMIN_TOKEN: list,
		INGEST_TOKEN: list,
		ENCRYPTION_KEY: encryptionKey,
		REGIONS: regionsSetting,
		SENDER_IPS: addressList,
		ALLOW_PRIVATE_TARGETS: flag,
		ALLOW_HTTP: flag,
		EGRESS_PROXY_URL: text,
		EGRESS_PROXY_SECRET: text,
		RETENTION_DAYS: amount({ fallback: 30, unit: "days", whole: true, min: 1 }),
		SWEEP_GRACE_SECONDS: amount({ fallback: 120, unit: "seconds", whole: true, min: 0 }),
		CIRCUIT_COOLDOWN_SECONDS: amount({ fallback: 30, unit: "seconds", above: 0 }),
		CIRCUIT_MAX_COOLDOWN_SECONDS: amount({ fallback: 1800, unit: "seconds", above: 0 }),
		GATE_STORAGE_LIMIT_MB: amount({ fallback: DEFAULT_GATE_STORAGE_LIMIT_MB, unit: "megabytes", above: 0 }),
		SHARDS_CLOSED: list.refine(
			(names) => names.every((name) => /^SHARD_[A-Z0-9_]+$/.test(name)),
			"must list shard binding names such as SHARD_A, comma-separated",
		),
	})
	.superRefine((s, ctx) => {
		const proxyProblem = egressProxyUrlProblem(s.EGRESS_PROXY_URL, s.ALLOW_PRIVATE_TARGETS);
		if (proxyProblem) ctx.addIssue({ code: "custom", path: ["EGRESS_PROXY_URL"], message: proxyProblem });
		s.REGIONS.forEach((region, i) => {
			const problem = egressProxyUrlProblem(region.egressProxyUrl, s.ALLOW_PRIVATE_TARGETS);
			if (problem) ctx.addIssue({ code: "custom", path: ["REGIONS", i, "egressProxyUrl"], message: problem });
		});
		// Two ways to say where deliveries go would leave one of them ignored.
		if (s.REGIONS.length > 0 && (s.EGRESS_PROXY_URL !== "" || s.SENDER_IPS.length > 0))
			ctx.addIssue({
				code: "custom",
				path: ["REGIONS"],
				message:
					"is set, so EGRESS_PROXY_URL and SENDER_IPS must be empty (they are the first version's single region: move them into REGIONS)",
			});
		if (s.CIRCUIT_MAX_COOLDOWN_SECONDS < s.CIRCUIT_COOLDOWN_SECONDS)
			ctx.addIssue({
				code: "custom",
				path: ["CIRCUIT_MAX_COOLDOWN_SECONDS"],
				message: `must be at least CIRCUIT_COOLDOWN_SECONDS (${s.CIRCUIT_COOLDOWN_SECONDS})`,
			});
	});

/** Settings that are optional secrets, so `wrangler types` does not declare them. */
type OptionalSecrets = { EGRESS_PROXY_SECRET?: string };

export type Config = {
	adminTokens: string[];
	ingestTokens: string[];
	/** ENCRYPTION_KEY as given: one key, or a list whose first seals and signs (src/secrets/keyring.ts). */
	encryptionKey: string;
	/** Every region's sender IPs, each once (GET /v1/sender-ips lists them by region too: src/regions.ts). */
	senderIps: string[];
	/** Shard bindings that take no new tenants (SHARDS_CLOSED). */
	shardsClosed: string[];
	/** Where deliveries leave from (REGIONS, or the first version's EGRESS_PROXY_URL and SENDER_IPS); none: direct. */
	regions: Region[];
	/** Which URLs may be targets: ALLOW_PRIVATE_TARGETS (local development only) and ALLOW_HTTP. */
	targetPolicy: TargetPolicy;
	retentionDays: number;
	sweepGraceSeconds: number;
	/** The circuit's first cool-down before a probe, doubling after each failed probe up to the max. */
	circuitCoolDownSeconds: number;
	circuitMaxCoolDownSeconds: number;
	/** An endpoint gate whose storage reaches this many bytes takes no new sends until its sweeps free space. */
	gateStorageLimitBytes: number;
};

/** Each bindings object is read once: the settings are configuration, not request state. */
const read = new WeakMap<object, Config | ProblemError>();

const parse = (env: Env): Config | ProblemError => {
	const parsed = Settings.safeParse({ ...env, EGRESS_PROXY_SECRET: (env as OptionalSecrets).EGRESS_PROXY_SECRET });
	if (!parsed.success) {
		const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
		return new ProblemError(
			503,
			`Hookline is not configured: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}.`,
			{ errors },
		);
	}
	const s = parsed.data;
	const regions = regionsOf(s, env as unknown as Record<string, unknown>);
	return {
		adminTokens: s.ADMIN_TOKEN,
		ingestTokens: s.INGEST_TOKEN,
		encryptionKey: s.ENCRYPTION_KEY,
		senderIps: [...new Set(regions.flatMap((r) => r.senderIps))],
		regions,
		shardsClosed: s.SHARDS_CLOSED,
		targetPolicy: { allowPrivate: s.ALLOW_PRIVATE_TARGETS, allowHttp: s.ALLOW_HTTP },
		retentionDays: s.RETENTION_DAYS,
		sweepGraceSeconds: s.SWEEP_GRACE_SECONDS,
		circuitCoolDownSeconds: s.CIRCUIT_COOLDOWN_SECONDS,
		circuitMaxCoolDownSeconds: s.CIRCUIT_MAX_COOLDOWN_SECONDS,
		gateStorageLimitBytes: s.GATE_STORAGE_LIMIT_MB * 1024 ** 2,
	};
};

/** The settings problem (503, naming each bad setting and why), if any. */
export const settingsProblem = (env: Env): ProblemError | undefined => {
	let config = read.get(env);
	if (!config) {
		config = parse(env);
		read.set(env, config);
	}
	return config instanceof ProblemError ? config : undefined;
};

/** The settings; throws the settings problem when one is bad, so nothing runs on a guess. */
export const readConfig = (env: Env): Config => {
	const problem = settingsProblem(env);
	if (problem) throw problem;
	return read.get(env) as Config;
};

/** Names of required secrets that are missing: a worker without them must not run open. */
export const missingSecrets = (config: Config) =>
	[
		config.adminTokens.length === 0 && "ADMIN_TOKEN",
		config.ingestTokens.length === 0 && "INGEST_TOKEN",
		config.encryptionKey === "" && "ENCRYPTION_KEY",
		...config.regions
			.filter((r) => r.egressProxyUrl !== "" && r.secret === "")
			.map((r) => `EGRESS_PROXY_SECRET (or ${r.secretSetting})`),
	].filter((name): name is string => Boolean(name));
