// Stored request bodies made readable: JSON indented, XML re-indented. Only
// for showing; the stored bytes, which every attempt sends, stay as they are.
import type { z } from "@hono/zod-openapi";
import type { StoredRequestSchema } from "../../history/schema";

/** Indents XML for reading. */
export const indentXml = (xml: string) => {
	let depth = 0;
	return xml
		.replace(/>\s*</g, ">\n<")
		.split("\n")
		.map((line) => {
			if (/^<\//.test(line)) depth = Math.max(0, depth - 1);
			const out = `${"  ".repeat(depth)}${line}`;
			if (/^<[^!?/][^>]*[^/]>$/.test(line) && !/<\/[^>]+>$/.test(line)) depth++;
			return out;
		})
		.join("\n");
};

/** A body pretty-printed for reading, by its content type. */
export const pretty = (body: string, contentType: string | undefined) => {
	if (contentType?.includes("json")) {
		try {
			return JSON.stringify(JSON.parse(body), null, 2);
		} catch {
			return body;
		}
	}
	if (contentType?.includes("xml")) return indentXml(body);
	return body;
};

/** A request as an HTTP message: request line, headers, blank line, body. */
export const requestText = (request: z.infer<typeof StoredRequestSchema>, body = request.body) =>
	`${request.method} ${request.url}\n${Object.entries(request.headers)
		.map(([k, v]) => `${k}: ${v}`)
		.join("\n")}\n\n${body}`;
