// Cursor pagination over time-sortable ids, newest first.
import { z } from "@hono/zod-openapi";
import { fromBase64Url, toBase64Url } from "../base64";
import { validationProblem } from "./problem";

export const PageQuery = z.object({
	limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
	cursor: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,200}$/, "must be a nextCursor from an earlier page")
		.optional(),
});

/** A cursor is the base64url of a text (the last id seen); opaque to clients. */
export const encodeCursor = (text: string) => toBase64Url(new TextEncoder().encode(text));

/** The text a cursor holds; "" for one that is not base64url. */
export const cursorText = (cursor: string) => {
	try {
		return new TextDecoder().decode(fromBase64Url(cursor));
	} catch {
		return "";
	}
};

/** A prefixed ULID: what every generated id looks like. */
const GENERATED_ID = /^[a-z]+_[0-9A-Z]{26}$/;

export const decodeCursor = (cursor: string | undefined, shape = GENERATED_ID): string | undefined => {
	if (!cursor) return undefined;
	const id = cursorText(cursor);
	if (!shape.test(id)) {
		throw validationProblem([{ path: "cursor", message: "must be a nextCursor from an earlier page" }]);
	}
	return id;
};

/** Given `limit + 1` rows, the page and the cursor of the next one. */
export const page = <T extends { id: string }>(rows: T[], limit: number) => {
	const data = rows.slice(0, limit);
	const last = data.at(-1);
	return { data, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
};

export const pageOf = <T extends z.ZodType>(item: T) =>
	z.object({ data: z.array(item), nextCursor: z.string().nullable() });
