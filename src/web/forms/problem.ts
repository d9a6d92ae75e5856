// The API's problems (RFC 9457) as the console shows them: one line for an
// alert, or each `errors[].path` under the form field it belongs to.
import type { Problem } from "../../http/problem";

/** The problem's detail, then one "path: message" per field error. */
export const problemText = (p: Problem) => [
	p.detail ?? p.title,
	...(p.errors ?? []).map((e) => `${e.path}: ${e.message}`),
];

/** Form fields named differently from the API's top-level path. */
const FIELD_OF_PATH: Record<string, string> = {
	retryPolicy: "retryDelays",
	auth: "authUsername",
	webhook: "url",
};

/** API errors by form field: "retryPolicy.delaysSeconds.0" shows at retryDelays, with its path. */
export const errorsByField = (p: Problem) => {
	const out: Record<string, string[]> = {};
	for (const e of p.errors ?? []) {
		// The preview's errors are under `webhook.`; the form's fields are the same.
		const path = e.path.replace(/^webhook\./, "");
		const head = path.split(".")[0] ?? path;
		const field = FIELD_OF_PATH[head] ?? head;
		const message = head === path ? e.message : `${path}: ${e.message}`;
		out[field] = [...(out[field] ?? []), message];
	}
	return out;
};
