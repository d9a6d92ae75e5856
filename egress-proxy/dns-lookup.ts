// DNS for outgoing connections. The worker can judge a host only by its name;
// here the proxy resolves the name itself, refuses it if any address is in a
// blocked range (the ranges live in src/security/target.ts, shared with the
// worker), and hands the connection only the addresses it checked, so a
// DNS-rebinding answer cannot slip in between the check and the connection.
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { blockedAddressReason, type TargetPolicy } from "../src/security/target.ts";
import { EgressFailure } from "./failure.ts";

export type ResolvedAddress = { address: string; family: number };

/** All addresses of a name. */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver, in its own order (verbatim), as a connection would use it. */
export const systemResolve: Resolve = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Why the name's addresses may not be used, if they may not. One blocked
 * address refuses the name: the connection may try any of them.
 */
const refusal = (hostname: string, all: ResolvedAddress[], policy: TargetPolicy) => {
	if (all.length === 0) return new EgressFailure("dns", 502, `${hostname} has no address`);
	if (policy.allowPrivate) return undefined;
	for (const { address } of all) {
		const reason = blockedAddressReason(address);
		if (reason) return new EgressFailure("blocked", 403, `${hostname} resolves to ${reason}`);
	}
	return undefined;
};

/**
 * A `lookup` for http(s).request: resolves through `resolve`, applies the
 * policy, and fails the connection with an EgressFailure the relay passes on.
 */
export const createCheckedLookup = ({ resolve, policy }: { resolve: Resolve; policy: TargetPolicy }): LookupFunction =>
	function checkedLookup(hostname, options, callback) {
		resolve(hostname).then(
			(all) => {
				const failure = refusal(hostname, all, policy);
				if (failure) return callback(failure, "", 4);
				// Node asks for all addresses when it tries them in turn (autoSelectFamily).
				if (options.all) callback(null, all);
				else callback(null, all[0]?.address ?? "", all[0]?.family ?? 4);
			},
			(err: NodeJS.ErrnoException) =>
				callback(new EgressFailure("dns", 502, `${hostname} did not resolve (${err.code ?? err.message})`), "", 4),
		);
	};
