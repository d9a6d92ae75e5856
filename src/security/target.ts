// The target policy: which URLs Hookline (and its egress proxy) may send to.
// A webhook sender is a classic SSRF vector, so outside local development a
// target must be https:, carry no credentials, and name neither a local host
// name nor an address outside the public unicast space. Addresses are judged
// by ipaddr.js; URLs are parsed by the WHATWG URL parser, which already turns
// decimal, octal, hex and short IPv4 spellings into dotted quads.
//
// Shared by the worker and by the egress proxy (Node: egress-proxy/handler.ts
// checks the URL, egress-proxy/dns-lookup.ts the addresses), so it imports
// nothing but ipaddr.js.
import ipaddr from "ipaddr.js";

export type TargetPolicy = {
	/** Local development only: http: and private, loopback and local hosts are allowed. */
	allowPrivate: boolean;
	/** http: allowed (still only to public addresses). */
	allowHttp: boolean;
};

export const STRICT_POLICY: TargetPolicy = { allowPrivate: false, allowHttp: false };

export type TargetVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** Ranges refused on top of everything ipaddr.js does not call "unicast". */
const EXTRA_BLOCKED_V4 = [
	"0.0.0.0/8", // "this network"
	"100.64.0.0/10", // carrier-grade NAT
	"192.0.0.0/24", // IETF protocol assignments
	"198.18.0.0/15", // benchmarking
	"192.88.99.0/24", // 6to4 relay anycast
	"240.0.0.0/4", // reserved
].map((cidr) => ipaddr.IPv4.parseCIDR(cidr));

/** Public IPv6 lives in 2000::/3; everything else (ULA, link-local, ::/96, ...) is refused. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

const RANGE_NAMES: Record<string, string> = {
	unspecified: "an unspecified address",
	broadcast: "the broadcast address",
	multicast: "a multicast address",
	linkLocal: "a link-local address (this includes the cloud metadata address)",
	loopback: "a loopback address",
	carrierGradeNat: "a carrier-grade NAT address",
	private: "a private address",
	reserved: "a reserved address",
	benchmarking: "a benchmarking address",
	uniqueLocal: "a unique-local IPv6 address",
	ipv4Mapped: "an IPv4-mapped IPv6 address",
	rfc6145: "an IPv4-translated IPv6 address",
	rfc6052: "a NAT64 IPv6 address embedding IPv4",
	"6to4": "a 6to4 IPv6 address embedding IPv4",
	teredo: "a Teredo IPv6 address embedding IPv4",
};

/** Why an IP address may not be a target, or undefined if it is public unicast. */
export const blockedAddressReason = (address: string): string | undefined => {
	const bare = address.replace(/^\[|\]$/g, "");
	if (!ipaddr.isValid(bare)) return `${address} is not an IP address`;
	const ip = ipaddr.parse(bare);
	const range = ip.range();
	if (range !== "unicast") return `${bare} is ${RANGE_NAMES[range] ?? `in the ${range} range`}`;
	if (ip.kind() === "ipv4") {
		const v4 = ip as ipaddr.IPv4;
		if (EXTRA_BLOCKED_V4.some((cidr) => v4.match(cidr))) return `${bare} is in a special-purpose IPv4 range`;
		return undefined;
	}
	const v6 = ip as ipaddr.IPv6;
	if (!v6.match(GLOBAL_UNICAST_V6)) return `${bare} is outside the global unicast IPv6 range`;
	return undefined;
};

/** Host names that always mean "this machine or its private network". */
const LOCAL_NAME = /(^|\.)(localhost|localdomain|local|internal|intranet|lan|home\.arpa)$/i;

/** Why a host name (not an IP literal) may not be a target, or undefined. */
const blockedHostNameReason = (hostname: string): string | undefined => {
	const name = hostname.replace(/\.$/, "").toLowerCase();
	if (name === "") return "the URL has no host";
	if (LOCAL_NAME.test(name)) return `${hostname} is a local host name`;
	if (!name.includes(".")) return `${hostname} is not a fully qualified public host name`;
	return undefined;
};

const isIpLiteral = (hostname: string) => hostname.startsWith("[") || ipaddr.IPv4.isValidFourPartDecimal(hostname);

/**
 * Judges a URL (a webhook's URL, or a rendered one just before it is sent).
 * Host names are judged by name here; their addresses are judged where DNS is
 * resolved, in the egress proxy (egress-proxy/dns-lookup.ts).
 */
export const checkTarget = (raw: string, policy: TargetPolicy): TargetVerdict => {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return { ok: false, reason: "not an absolute URL" };
	}
	if (url.protocol !== "https:" && url.protocol !== "http:")
		return { ok: false, reason: `the ${url.protocol} scheme is not allowed; use https:` };
	if (url.protocol === "http:" && !policy.allowHttp && !policy.allowPrivate)
		return { ok: false, reason: "http: is not allowed; use https:" };
	if (url.username !== "" || url.password !== "")
		return { ok: false, reason: "the URL carries credentials; use the webhook's auth instead" };
	if (policy.allowPrivate) return { ok: true, url };
	const reason = isIpLiteral(url.hostname) ? blockedAddressReason(url.hostname) : blockedHostNameReason(url.hostname);
	return reason ? { ok: false, reason } : { ok: true, url };
};
