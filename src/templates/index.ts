// Mustache rendering of URL, header and payload templates, escaped for where
// the value lands (never HTML-escaped), and the checks run when a webhook is
// created or changed.
import Mustache from "mustache";

export type ContentType = "application/json" | "application/xml" | "text/plain";

export type TemplateView = {
	event: { id: string; type: string; occurredAt: string };
	data: Record<string, unknown>;
	webhook: { id: string; name: string };
	notification: { id: string };
};

/** Parsed templates are cached, bounded so operator input cannot grow memory without end. */
const MAX_CACHED_TEMPLATES = 500;
const cache = new Map<string, unknown>();
Mustache.templateCache = {
	set: (key: string, value: unknown) => {
		if (cache.size >= MAX_CACHED_TEMPLATES) cache.clear();
		cache.set(key, value);
	},
	get: (key: string) => cache.get(key),
	clear: () => cache.clear(),
} as unknown as typeof Mustache.templateCache;

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
 * missing), unescaped.
 */
const withHelpers = (view: TemplateView) => ({
	...view,
	json: () => (text: string) => JSON.stringify(lookup(view, text.trim()) ?? null),
});

const render = (template: string, view: TemplateView, escapeValue: (value: unknown) => string) =>
	Mustache.render(template, withHelpers(view), {}, { escape: escapeValue });

export const renderUrl = (template: string, view: TemplateView) =>
	render(template, view, (v) => encodeURIComponent(asText(v)));

export const renderHeader = (template: string, view: TemplateView) => render(template, view, asText);

export const renderPayload = (template: string, view: TemplateView, contentType: ContentType) =>
	render(template, view, payloadEscapes[contentType]);

/** Throws mustache's own message ("Unclosed tag at 12") for a template that does not parse. */
export const parseTemplate = (template: string) => {
	Mustache.parse(template);
};

type Token = [string, string, number, number, Token[]?];

/** Tags that insert a value without escaping ({{{x}}} and {{& x}}), with their positions. */
export const unescapedTags = (template: string): { name: string; at: number }[] => {
	const walk = (tokens: Token[]): { name: string; at: number }[] =>
		tokens.flatMap((t) => [...(t[0] === "&" ? [{ name: t[1], at: t[2] }] : []), ...(t[4] ? walk(t[4]) : [])]);
	return walk(Mustache.parse(template) as unknown as Token[]);
};
