// Regions: where deliveries leave from. A deployment names its regions
// (REGIONS), each with the egress proxy it sends through and the sender IPs
// that proxy sends from; the first version's single EGRESS_PROXY_URL and
// SENDER_IPS read as one region named `default`. The rules live here: which
// settings make a region, which region a tenant and a webhook send from (the
// webhook's own, else its tenant's, else the deployment's first), which names
// a tenant or a webhook may take, and the public list of sender IPs.
// docs/configuration.md#regions documents the settings.
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { validationProblem } from "./http/problem";

export type Region = {
	name: string;
	/** The egress proxy's relay URL; "": the region sends directly from the worker. */
	egressProxyUrl: string;
	/** The addresses receivers allow-list for this region. */
	senderIps: string[];
	/** The relay secret: the region's own (EGRESS_PROXY_SECRET_<NAME>), else EGRESS_PROXY_SECRET. */
	secret: string;
	/** The setting of the region's own secret, to name it when none is set. */
	secretSetting: string;
};

/** The name the first version's EGRESS_PROXY_URL and SENDER_IPS go by as a region. */
export const LEGACY_REGION = "default";

const REGION_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** EGRESS_PROXY_SECRET_EU for `eu`, EGRESS_PROXY_SECRET_US_EAST for `us-east`. */
export const secretSettingOf = (name: string) => `EGRESS_PROXY_SECRET_${name.toUpperCase().replaceAll("-", "_")}`;

/** Why an entry of a sender-IP list is not an address or a CIDR range, if it is not. */
export const addressProblem = (entry: string) => {
	const [address = "", bits] = entry.split("/");
	const valid =
		(ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address)) &&
		(bits === undefined || ipaddr.isValidCIDR(entry));
	return valid ? undefined : `${JSON.stringify(entry)} is not an IP address or range`;
};

/** A loopback or private address, or localhost: where a development proxy may listen over http:. */
const isLocalHost = (hostname: string) => {
	const bare = hostname.replace(/^\[|\]$/g, "");
	if (bare.toLowerCase() === "localhost") return true;
	if (!ipaddr.isValid(bare)) return false;
	return ["loopback", "private", "uniqueLocal"].includes(ipaddr.parse(bare).range());
};

/**
 * Relay requests carry the attempt's signatures and credentials, so a proxy is
 * reached over https:; http: only to this machine or its private network, for
 * local development (ALLOW_PRIVATE_TARGETS=true).
 */
export const egressProxyUrlProblem = (value: string, allowPrivate: boolean) => {
	if (value === "") return undefined;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return "must be an absolute URL, such as https://egress.example.com/relay";
	}
	if (url.protocol === "https:") return undefined;
	if (url.protocol !== "http:") return `must be an https: URL (it is ${url.protocol})`;
	if (allowPrivate && isLocalHost(url.hostname)) return undefined;
	return "must be https: (relay requests carry signatures and credentials); http: only to a loopback or private address with ALLOW_PRIVATE_TARGETS=true";
};

const RegionEntry = z.strictObject({
	name: z
		.string()
		.regex(REGION_NAME, "must be lowercase letters, digits and -, starting with a letter, at most 32 characters"),
	egressProxyUrl: z.string().trim().default(""),
	senderIps: z
		.array(z.string().trim())
		.default([])
		.superRefine((entries, ctx) => {
			entries.forEach((entry, i) => {
				const problem = addressProblem(entry);
				if (problem) ctx.addIssue({ code: "custom", path: [i], message: problem });
			});
		}),
});

/**
 * REGIONS: a JSON list of `{ name, egressProxyUrl, senderIps }`, as a string
 * (a `--var` or a secret) or as the array a `[vars]` entry in wrangler.toml
 * gives. Unset or empty: none.
 */
export const regionsSetting = z
	.unknown()
	.transform((value, ctx) => {
		if (value === undefined || value === null) return [];
		if (typeof value !== "string") return value;
		if (value.trim() === "") return [];
		try {
			return JSON.parse(value) as unknown;
		} catch {
			ctx.addIssue({
				code: "custom",
				message: 'must be JSON: a list such as [{"name":"eu","egressProxyUrl":"https://…/relay","senderIps":["…"]}]',
			});
			return z.NEVER;
		}
	})
	.pipe(
		z
			.array(RegionEntry, { error: "must be a list of regions, each { name, egressProxyUrl, senderIps }" })
			.superRefine((regions, ctx) => {
				regions.forEach((region, i) => {
					if (regions.findIndex((r) => r.name === region.name) !== i)
						ctx.addIssue({ code: "custom", path: [i, "name"], message: `names ${region.name} a second time` });
				});
			}),
	);
export type RegionEntry = z.output<typeof RegionEntry>;

/**
 * The regions the settings name: REGIONS, or else the first version's
 * EGRESS_PROXY_URL and SENDER_IPS as one region `default` (none when both are
 * empty). Each takes its own secret when set, else EGRESS_PROXY_SECRET.
 */
export const regionsOf = (
	s: { REGIONS: RegionEntry[]; EGRESS_PROXY_URL: string; SENDER_IPS: string[]; EGRESS_PROXY_SECRET: string },
	env: Record<string, unknown>,
): Region[] => {
	const entries: RegionEntry[] =
		s.REGIONS.length > 0
			? s.REGIONS
			: s.EGRESS_PROXY_URL !== "" || s.SENDER_IPS.length > 0
				? [{ name: LEGACY_REGION, egressProxyUrl: s.EGRESS_PROXY_URL, senderIps: s.SENDER_IPS }]
				: [];
	return entries.map((entry) => {
		const secretSetting = secretSettingOf(entry.name);
		const own = env[secretSetting];
		return {
			...entry,
			secret: (typeof own === "string" ? own.trim() : "") || s.EGRESS_PROXY_SECRET,
			secretSetting,
		};
	});
};

/** The region a tenant sends from: its own, else (a tenant from before regions) the deployment's first; null without regions. */
export const tenantRegion = (regions: Region[], stored: string | null) => stored ?? regions[0]?.name ?? null;

/** The region a webhook sends from: its own, else its tenant's. */
export const webhookRegion = (regions: Region[], own: string | null, tenantStored: string | null) =>
	own ?? tenantRegion(regions, tenantStored);

/** A region name a tenant or a webhook may take: one of the configured ones (null only while there are none). */
export const knownRegion = (regions: Region[], name: string | null) => {
	if (name === null ? regions.length === 0 : regions.some((r) => r.name === name)) return name;
	throw validationProblem([
		{
			path: "region",
			message:
				regions.length === 0
					? "must be null: this deployment names no regions"
					: `must be one of the configured regions: ${regions.map((r) => r.name).join(", ")}`,
		},
	]);
};

/** What GET /v1/sender-ips answers: every address once, and each region's. */
export const senderIpsOf = (regions: Region[]) => ({
	ips: [...new Set(regions.flatMap((r) => r.senderIps))],
	regions: regions.map((r) => ({ name: r.name, ips: r.senderIps })),
});
