// Mustache rendering of URL, header and payload templates, escaped for where
// the value lands (never HTML-escaped), and the checks run when a webhook is
// created or changed.
import Mustache from "mustache";
import { MAX_EVENT_BYTES } from "../config";

export type ContentType = "application/json" | "application/xml" | "text/plain";

export type TemplateView = {
	event: { id: string; type: string; occurredAt: string };
	data: Record<string, unknown>;
	webhook: { id: string; name: string };
	notification: { id: string };
};

/** A render stops as soon as its output would pass this many characters (a body's bytes are at least its characters). */
export const MAX_RENDERED_CHARS = MAX_EVENT_BYTES;

/** A template whose output outgrew MAX_RENDERED_CHARS while it was being rendered. */
export class RenderTooLarge extends Error {
	constructor() {
		// More characters than this are more bytes than this too.
		super(`renders over ${MAX_RENDERED_CHARS} bytes (stopped while rendering)`);
		this.name = "RenderTooLarge";
	}
}

/** Parsed templates are cached, bounded so operator input cannot grow memory without end. */
const MAX_CACHED_TEMPLATES = 500;

/** Where mustache 4 produces output: template text, values, and (for lambdas like json) in renderSection. */
type Leaves = {
	rawValue(token: unknown): string | undefined;
	escapedValue(token: unknown, context: unknown, config: unknown): string | undefined;
	unescapedValue(token: unknown, context: unknown): string | undefined;
};

/**
 * A mustache writer that counts every piece of output as it is produced and
 * throws once the total passes the budget, so a section over large event data
 * fails at the bound instead of building a body of any size first.
 */
class BoundedWriter extends Mustache.Writer {
	private remaining = Number.POSITIVE_INFINITY;

	constructor() {
		super();
		const cache = new Map<string, unknown>();
		(this as unknown as { templateCache: unknown }).templateCache = {
			set: (key: string, value: unknown) => {
				if (cache.size >= MAX_CACHED_TEMPLATES) cache.clear();
				cache.set(key, value);
			},
			get: (key: string) => cache.get(key),
			clear: () => cache.clear(),
		};
		const leaves = Mustache.Writer.prototype as unknown as Leaves;
		const self = this as unknown as Leaves;
		self.rawValue = (token) => this.spend(leaves.rawValue.call(this, token));
		self.escapedValue = (token, context, config) => this.spend(leaves.escapedValue.call(this, token, context, config));
		self.unescapedValue = (token, context) => {
			const value = leaves.unescapedValue.call(this, token, context);
			return value === undefined ? undefined : this.spend(String(value));
		};
	}

	/** Counts `text` against the budget of the render in progress. */
	spend(text: string | undefined) {
		if (text === undefined) return undefined;
		this.remaining -= text.length;
		if (this.remaining < 0) throw new RenderTooLarge();
		return text;
	}

	renderBounded(template: string, view: unknown, escapeValue: (value: unknown) => string) {
		this.remaining = MAX_RENDERED_CHARS;
		try {
			return this.render(template, view, {}, { escape: escapeValue });
		} finally {
			this.remaining = Number.POSITIVE_INFINITY;
		}
	}
}

/** One writer: a render is synchronous, so renders never overlap and one budget at a time is enough. */
const writer = new BoundedWriter();

const asText = (value: unknown) =>
	value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);

const jsonStringEscape = (value: unknown) => JSON.stringify(asText(value)).slice(1, -1);

/** XML 1.0's Char production: anything else cannot appear in a document, escaped or not. */
const isXmlChar = (cp: number) =>
	cp === 0x9 ||
	cp === 0xa ||
	cp === 0xd ||
	(cp >= 0x20 && cp <= 0xd7ff) ||
	(cp >= 0xe000 && cp <= 0xfffd) ||
	cp >= 0x10000;

/** Replaces what XML cannot carry (control characters, lone surrogates) so data cannot break the document. */
const xmlChars = (text: string) => {
	let out = "";
	for (const ch of text) out += isXmlChar(ch.codePointAt(0) as number) ? ch : "\uFFFD";
	return out;
};

const xmlEscape = (value: unknown) =>
	xmlChars(asText(value))
		// CR, LF and tab as character references: XML parsers normalise them away otherwise.
		.replace(
			/[&<>"'\r\n\t]/g,
			(ch) =>
				({
					"&": "&amp;",
					"<": "&lt;",
					">": "&gt;",
					'"': "&quot;",
					"'": "&apos;",
					"\r": "&#13;",
					"\n": "&#10;",
					"\t": "&#9;",
				})[ch] as string,
		);

const payloadEscapes: Record<ContentType, (value: unknown) => string> = {
	"application/json": jsonStringEscape,
	"application/xml": xmlEscape,
	"text/plain": asText,
};

/** Looks a dotted name up in the view the way mustache does, for `{{#json}}`. */
const lookup = (view: unknown, name: string): unknown =>
	name === "."
		? view
		: name.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown> | null)?.[key], view);

/**
 * The view every template renders against. `{{#json}}data.items{{/json}}`
 * places a whole value as JSON (object, array, number, boolean; `null` when
 * missing), unescaped but passed through `encodeJson` (percent-encoding in a
 * URL, so a value can never add a path segment or a query there), and counted
 * against the render's budget like every other piece of output.
 */
const withHelpers = (view: TemplateView, encodeJson: (json: string) => string) => ({
	...view,
	json: () => (text: string) => writer.spend(encodeJson(JSON.stringify(lookup(view, text.trim()) ?? null))),
});

const render = (
	template: string,
	view: TemplateView,
	escapeValue: (value: unknown) => string,
	encodeJson: (json: string) => string = (json) => json,
) => writer.renderBounded(template, withHelpers(view, encodeJson), escapeValue);

const percentEncoded = (value: unknown) => encodeURIComponent(asText(value));

export const renderUrl = (template: string, view: TemplateView) =>
	render(template, view, percentEncoded, percentEncoded);

export const renderHeader = (template: string, view: TemplateView) => render(template, view, asText);

export const renderPayload = (template: string, view: TemplateView, contentType: ContentType) =>
	render(template, view, payloadEscapes[contentType]);

/** Throws mustache's own message ("Unclosed tag at 12") for a template that does not parse. */
export const parseTemplate = (template: string) => {
	writer.parse(template);
};

type Token = [string, string, number, number, Token[]?];

/** Tags that insert a value without escaping ({{{x}}} and {{& x}}), with their positions. */
export const unescapedTags = (template: string): { name: string; at: number }[] => {
	const walk = (tokens: Token[]): { name: string; at: number }[] =>
		tokens.flatMap((t) => [...(t[0] === "&" ? [{ name: t[1], at: t[2] }] : []), ...(t[4] ? walk(t[4]) : [])]);
	return walk(writer.parse(template) as Token[]);
};

/**
 * Whether a URL template renders the same for every event: only text and the
 * webhook's own fields, nothing the event or the notification chooses.
 */
export const isFixedUrl = (template: string) => {
	const fixed = (tokens: Token[]): boolean =>
		tokens.every((t) => t[0] === "text" || ((t[0] === "name" || t[0] === "&") && t[1].startsWith("webhook.")));
	try {
		return fixed(writer.parse(template) as Token[]);
	} catch {
		return false;
	}
};
