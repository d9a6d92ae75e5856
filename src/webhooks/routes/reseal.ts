// POST /v1/webhooks/reseal: every webhook's secrets, of every tenant, sealed
// afresh for rotating ENCRYPTION_KEY. The operator's alone, so it is mounted
// unprefixed only.
import { createRoute, z } from "@hono/zod-openapi";
import { desc, lt } from "drizzle-orm";
import { authorizeOperator } from "../../access/authorize";
import { readConfig } from "../../config";
import { database } from "../../db";
import { webhooks } from "../../db/schema";
import { DEFAULT_SHARD, shardEnv, shardNames } from "../../db/shards";
import { cursorText, encodeCursor, PageQuery, page } from "../../http/pagination";
import { validationProblem } from "../../http/problem";
import { json, newRouter, problems } from "../../http/router";
import { resealRow, resealUpdate } from "../sealing";
import { tags } from "./openapi";

export const resealRoutes = newRouter();
resealRoutes.use("*", authorizeOperator("manage"));

// The cursor walks the shards in order, each by webhook id: a cursor of "<shard>/<last id seen>".
const encodeShardCursor = (shard: string, id: string) => encodeCursor(`${shard}/${id}`);

const decodeShardCursor = (env: Env, cursor: string | undefined) => {
	const names = shardNames(env);
	if (!cursor) return { shard: names[0] ?? DEFAULT_SHARD, after: undefined };
	const [shard = "", id = ""] = cursorText(cursor).split("/");
	if (!names.includes(shard) || (id !== "" && !/^wh_[0-9A-Z]{26}$/.test(id))) {
		throw validationProblem([{ path: "cursor", message: "must be a nextCursor from an earlier call" }]);
	}
	return { shard, after: id || undefined };
};

const ResealInput = z
	.object({
		cursor: PageQuery.shape.cursor.openapi({ description: "nextCursor of the previous call" }),
		limit: z.number().int().min(1).max(500).default(100).openapi({ description: "Webhooks per call" }),
	})
	.strict()
	.openapi("Reseal");

export const Resealed = z.object({
	checked: z.number().int().openapi({ description: "Webhooks looked at in this call, deleted ones included" }),
	resealed: z.number().int().openapi({ description: "Webhooks with a value sealed afresh" }),
	unreadable: z
		.array(z.object({ webhookId: z.string(), column: z.enum(["secret", "previous_secret", "auth_password"]) }))
		.openapi({ description: "Values that open under no key of ENCRYPTION_KEY; left as they are" }),
	nextCursor: z.string().nullable().openapi({ description: "Call again with it; null: every webhook was checked" }),
});

resealRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		security: [{ bearer: ["manage"] }],
		summary: "Seal every webhook's secrets afresh under the first key of ENCRYPTION_KEY",
		description:
			"For rotating ENCRYPTION_KEY: with the new key first and the old one still listed, call until nextCursor is null; then every signing secret, previous secret and Basic-auth password (of deleted webhooks too) is sealed under the new key, bound to its webhook, and the old key can be dropped. Values already in that form are left alone, so a repeat does no harm.",
		request: { body: { required: false, content: { "application/json": { schema: ResealInput } } } },
		responses: { 200: json(Resealed, "What this call checked and sealed"), ...problems(400, 401, 403, 415, 503) },
	}),
	async (c) => {
		const { cursor, limit } = ResealInput.parse(c.req.valid("json") ?? {});
		const { shard, after } = decodeShardCursor(c.env, cursor);
		const key = readConfig(c.env).encryptionKey;
		const history = shardEnv(c.env, shard);
		const db = database(history);
		const rows = await db
			.select()
			.from(webhooks)
			.where(after ? lt(webhooks.id, after) : undefined)
			.orderBy(desc(webhooks.id))
			.limit(limit + 1);
		const { data } = page(rows, limit);
		const last = data.at(-1);
		const following = shardNames(c.env)[shardNames(c.env).indexOf(shard) + 1];
		const nextCursor =
			rows.length > limit && last
				? encodeShardCursor(shard, last.id)
				: following
					? encodeShardCursor(following, "")
					: null;
		const results = await Promise.all(data.map(async (row) => ({ row, ...(await resealRow(row, key)) })));
		const updates = results
			.filter(({ columns }) => Object.keys(columns).length > 0)
			.map(({ row, columns }) => resealUpdate(history, row, columns));
		const [first, ...rest] = updates;
		if (first) await db.batch([first, ...rest]);
		return c.json(
			{
				checked: data.length,
				resealed: updates.length,
				unreadable: results.flatMap(({ row, unreadable }) =>
					unreadable.map((column) => ({ webhookId: row.id, column })),
				),
				nextCursor,
			},
			200,
		);
	},
);
