// Shapes the HTTP request of a notification from its webhook's templates.
// Computed once at the first send-out and stored; secrets (Basic auth,
// signatures) are not part of it and are added at send time.
import { XMLValidator } from "fast-xml-parser";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import pkg from "../../package.json";
import { MAX_EVENT_BYTES } from "../config";
import { checkTarget, type TargetPolicy } from "../security/target";
import { type ContentType, renderHeader, renderPayload, renderUrl, type TemplateView } from "../templates";

const USER_AGENT = `Hookline/${pkg.version}`;
const IDEMPOTENCY_HEADER = "x-notifications-idempotency-key";

export type StoredRequest = {
	method: string;
	url: string;
	headers: Record<string, string>;
	body: string;
};

export type RequestTemplates = {
	method: "POST" | "PUT" | "PATCH";
	url: string;
	contentType: ContentType;
	headers: Record<string, string>;
	payloadTemplate: string | null;
};

/** A request that cannot be shaped; `field` names the webhook field at fault. */
export class ShapeError extends Error {
	/** True when the target policy refused the URL (an SSRF guard), not a template fault. */
	readonly blocked: boolean;
	constructor(
		readonly field: string,
		message: string,
		{ blocked = false }: { blocked?: boolean } = {},
	) {
		super(message);
		this.name = "ShapeError";
		this.blocked = blocked;
	}
}

const attempt = <T>(field: string, fn: () => T): T => {
	try {
		return fn();
	} catch (err) {
		if (err instanceof ShapeError) throw err;
		throw new ShapeError(field, (err as Error).message);
	}
};

export const shapeUrl = (template: string, view: TemplateView, policy: TargetPolicy) => {
	const rendered = attempt("url", () => renderUrl(template, view));
	if (!URL.canParse(rendered))
		throw new ShapeError("url", `renders to "${rendered.slice(0, 200)}", which is not an absolute URL`);
	const verdict = checkTarget(rendered, policy);
	if (!verdict.ok) {
		throw new ShapeError("url", `renders to "${rendered.slice(0, 200)}", which is refused: ${verdict.reason}`, {
			blocked: true,
		});
	}
	return verdict.url.toString();
};

/** Where rendered JSON breaks, as "ValueExpected at position 11 (line 1, column 12)". */
const describeJsonError = (text: string, err: Error) => {
	const errors: ParseError[] = [];
	parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false });
	const first = errors[0];
	if (!first) return err.message;
	const before = text.slice(0, first.offset).split("\n");
	const column = (before.at(-1)?.length ?? 0) + 1;
	return `${printParseErrorCode(first.error)} at position ${first.offset} (line ${before.length}, column ${column}) in ${JSON.stringify(text.slice(Math.max(0, first.offset - 20), first.offset + 20))}`;
};

const shapeBody = (templates: RequestTemplates, view: TemplateView) => {
	if (templates.payloadTemplate === null && templates.contentType !== "application/json") {
		throw new ShapeError("payloadTemplate", `is required for ${templates.contentType} (the default body is JSON)`);
	}
	const body =
		templates.payloadTemplate === null
			? JSON.stringify({
					id: view.event.id,
					type: view.event.type,
					occurredAt: view.event.occurredAt,
					data: view.data,
				})
			: attempt("payloadTemplate", () =>
					renderPayload(templates.payloadTemplate as string, view, templates.contentType),
				);
	if (templates.contentType === "application/json") {
		try {
			JSON.parse(body);
		} catch (err) {
			throw new ShapeError("payloadTemplate", `renders invalid JSON: ${describeJsonError(body, err as Error)}`);
		}
	}
	if (templates.contentType === "application/xml") {
		const valid = XMLValidator.validate(body);
		if (valid !== true) {
			const { msg, line, col } = valid.err;
			throw new ShapeError(
				"payloadTemplate",
				`renders XML that is not well formed: ${msg} (line ${line}, column ${col})`,
			);
		}
	}
	if (new TextEncoder().encode(body).byteLength > MAX_EVENT_BYTES) {
		throw new ShapeError("payloadTemplate", `renders a body over ${MAX_EVENT_BYTES} bytes`);
	}
	return body;
};

/** Header values Hookline sends: tab, space, visible ASCII and printable Latin-1 (no control characters). */
const HEADER_VALUE = /^[\t\x20-\x7e\xa0-\xff]*$/;

export const shapeRequest = (
	templates: RequestTemplates,
	view: TemplateView,
	{ policy }: { policy: TargetPolicy },
): StoredRequest => {
	const headers: Record<string, string> = {
		"content-type": templates.contentType === "text/plain" ? "text/plain; charset=utf-8" : templates.contentType,
		"user-agent": USER_AGENT,
		[IDEMPOTENCY_HEADER]: view.notification.id,
	};
	for (const [name, template] of Object.entries(templates.headers)) {
		// fetch trims surrounding whitespace; trim here so the stored value is the one sent.
		const value = attempt(`headers.${name}`, () => renderHeader(template, view)).replace(/^[\t ]+|[\t ]+$/g, "");
		if (/[\r\n]/.test(value)) throw new ShapeError(`headers.${name}`, "renders a value with CR or LF");
		if (!HEADER_VALUE.test(value)) {
			throw new ShapeError(`headers.${name}`, "renders a value with control characters or characters beyond Latin-1");
		}
		headers[name.toLowerCase()] = value;
	}
	return {
		method: templates.method,
		url: shapeUrl(templates.url, view, policy),
		headers,
		body: shapeBody(templates, view),
	};
};
