// The target policy, table-driven: every blocked range and spelling, and the
// public URLs that must still pass. Runs inside workerd, whose URL parser is
// the one that normalises the spellings in production.
import { describe, expect, it } from "vitest";
import { blockedAddressReason, checkTarget, STRICT_POLICY } from "../../src/security/target";

const blocked: [url: string, why: RegExp][] = [
	// IPv4 loopback, in every spelling the URL parser understands
	["https://127.0.0.1/hook", /loopback/],
	["https://127.1.2.3/hook", /loopback/],
	["https://127.1/hook", /loopback/],
	["https://2130706433/hook", /loopback/], // decimal
	["https://0x7f000001/hook", /loopback/], // hex
	["https://0x7f.0.0.1/hook", /loopback/], // hex octet
	["https://017700000001/hook", /loopback/], // octal
	["https://0177.0.0.01/hook", /loopback/], // octal octets
	// private
	["https://10.0.0.1/", /private/],
	["https://10.255.255.255/", /private/],
	["https://172.16.0.1/", /private/],
	["https://172.31.255.254/", /private/],
	["https://192.168.1.1/", /private/],
	["https://3232235777/", /private/], // 192.168.1.1 as a decimal
	// link-local and the cloud metadata address
	["https://169.254.169.254/latest/meta-data/", /link-local/],
	["https://169.254.0.1/", /link-local/],
	["https://0xa9fea9fe/", /link-local/], // 169.254.169.254 as hex
	// carrier-grade NAT, benchmarking, unspecified, "this network", reserved, multicast, broadcast
	["https://100.64.0.1/", /carrier-grade NAT|special-purpose/],
	["https://100.127.255.254/", /carrier-grade NAT|special-purpose/],
	["https://198.18.0.1/", /benchmarking|special-purpose|reserved/],
	["https://198.19.255.1/", /benchmarking|special-purpose|reserved/],
	["https://0.0.0.0/", /unspecified/],
	["https://0/", /unspecified/],
	["https://0.1.2.3/", /unspecified|special-purpose/],
	["https://192.0.0.8/", /reserved|special-purpose/],
	["https://192.0.2.10/", /reserved/], // documentation
	["https://240.0.0.1/", /reserved|special-purpose/],
	["https://224.0.0.1/", /multicast/],
	["https://239.255.255.250/", /multicast/],
	["https://255.255.255.255/", /broadcast/],
	// IPv6 loopback, unspecified, unique-local, link-local, multicast, site-local
	["https://[::1]/", /loopback/],
	["https://[0:0:0:0:0:0:0:1]/", /loopback/],
	["https://[::]/", /unspecified/],
	["https://[fc00::1]/", /unique-local/],
	["https://[fd12:3456:789a::1]/", /unique-local/],
	["https://[fe80::1]/", /link-local/],
	["https://[ff02::1]/", /multicast/],
	["https://[fec0::1]/", /outside the global unicast|deprecated|reserved/],
	// IPv6 forms that embed IPv4
	["https://[::ffff:127.0.0.1]/", /IPv4-mapped/],
	["https://[::ffff:7f00:1]/", /IPv4-mapped/],
	["https://[::ffff:169.254.169.254]/", /IPv4-mapped/],
	["https://[::ffff:8.8.8.8]/", /IPv4-mapped/],
	["https://[::127.0.0.1]/", /outside the global unicast|reserved|IPv4/], // IPv4-compatible (deprecated)
	["https://[64:ff9b::7f00:1]/", /NAT64/],
	["https://[2002:7f00:1::]/", /6to4/],
	["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", /Teredo/],
	["https://[::ffff:0:7f00:1]/", /translated|outside|reserved/],
	// local host names
	["https://localhost/", /local host name/],
	["https://LOCALHOST./", /local host name/],
	["https://api.localhost/", /local host name/],
	["https://printer.local/", /local host name/],
	["https://metadata.google.internal/computeMetadata/v1/", /local host name/],
	["https://router.home.arpa/", /local host name/],
	["https://printserver/", /fully qualified/],
	// schemes, credentials
	["http://example.com/hook", /http: is not allowed/],
	["ftp://example.com/hook", /scheme is not allowed/],
	["file:///etc/passwd", /scheme is not allowed/],
	["gopher://example.com/", /scheme is not allowed/],
	["https://user:pass@example.com/hook", /credentials/],
	["https://user@example.com/hook", /credentials/],
	["not a url", /not an absolute URL/],
];

const allowed = [
	"https://example.com/hook",
	"https://hooks.example.com:8443/a/b?c=d",
	"https://8.8.8.8/hook",
	"https://1.1.1.1/",
	"https://203.0.114.1/", // just past a documentation range
	"https://172.32.0.1/", // just past 172.16.0.0/12
	"https://100.128.0.1/", // just past carrier-grade NAT
	"https://[2606:4700:4700::1111]/",
	"https://xn--bcher-kva.example/", // IDN
	"https://localhost.example.com/", // "localhost" only as a whole label at the end
];

describe("target policy (strict: production)", () => {
	it("has at least 40 hostile cases", () => {
		expect(blocked.length).toBeGreaterThanOrEqual(40);
	});

	it.each(blocked)("refuses %s", (url, why) => {
		const verdict = checkTarget(url, STRICT_POLICY);
		expect(verdict.ok).toBe(false);
		if (!verdict.ok) expect(verdict.reason).toMatch(why);
	});

	it.each(allowed)("allows %s", (url) => {
		expect(checkTarget(url, STRICT_POLICY)).toMatchObject({ ok: true });
	});

	it("allows http: to public hosts only when ALLOW_HTTP says so", () => {
		const policy = { allowPrivate: false, allowHttp: true };
		expect(checkTarget("http://example.com/hook", policy).ok).toBe(true);
		expect(checkTarget("http://127.0.0.1/hook", policy).ok).toBe(false);
		expect(checkTarget("http://[::ffff:10.0.0.1]/hook", policy).ok).toBe(false);
	});

	it("allows private and http: targets in local development, but never credentials or other schemes", () => {
		const dev = { allowPrivate: true, allowHttp: false };
		expect(checkTarget("http://127.0.0.1:8080/hook", dev).ok).toBe(true);
		expect(checkTarget("http://localhost/hook", dev).ok).toBe(true);
		expect(checkTarget("https://user:pw@127.0.0.1/", dev).ok).toBe(false);
		expect(checkTarget("file:///etc/passwd", dev).ok).toBe(false);
	});

	it("judges resolved addresses the same way (the egress proxy's DNS check)", () => {
		expect(blockedAddressReason("10.1.2.3")).toMatch(/private/);
		expect(blockedAddressReason("::ffff:192.168.0.1")).toMatch(/IPv4-mapped/);
		expect(blockedAddressReason("fd00::5")).toMatch(/unique-local/);
		expect(blockedAddressReason("93.184.216.34")).toBeUndefined();
		expect(blockedAddressReason("2606:2800:220:1::1")).toBeUndefined();
	});
});
