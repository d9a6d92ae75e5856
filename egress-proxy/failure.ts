// The proxy's own failures. Each carries the kind the worker records and the
// status it answers with, so a refusal is never mistaken for the receiver's
// answer (src/security/egress.ts lists the kinds).
import type { ServerResponse } from "node:http";
import { EGRESS, type EgressErrorKind } from "../src/security/egress.ts";

export class EgressFailure extends Error {
	readonly kind: EgressErrorKind;
	readonly status: number;
	// Plain fields, not parameter properties: Node runs this file by stripping types only.
	constructor(kind: EgressErrorKind, status: number, message: string) {
		super(message);
		this.kind = kind;
		this.status = status;
	}
}

/**
 * Answers with the failure as problem+json. The worker decides by the
 * `x-hookline-egress-error` header alone; `detail` is for people, quoted in
 * the attempt the worker records and in the proxy's log. The connection
 * closes after it, so a body nobody read is never drained to keep it open.
 */
export const sendFailure = (res: ServerResponse, failure: EgressFailure) => {
	res.writeHead(failure.status, {
		"content-type": "application/problem+json",
		connection: "close",
		[EGRESS.error]: failure.kind,
	});
	res.end(
		JSON.stringify({
			type: "about:blank",
			title: `egress ${failure.kind}`,
			status: failure.status,
			detail: failure.message,
		}),
	);
};
