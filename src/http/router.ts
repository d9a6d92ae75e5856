// One OpenAPIHono per resource, all sharing the validation hook that turns
// zod issues into a 400 problem naming each field.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Access } from "../access/principal";
import { issuesToErrors, Problem, validationProblem } from "./problem";

export type AppEnv = { Bindings: Env; Variables: { access: Access } };

export const newRouter = () =>
	new OpenAPIHono<AppEnv>({
		defaultHook: (result) => {
			if (!result.success) {
				const prefix = result.target === "json" ? "" : result.target;
				throw validationProblem(issuesToErrors(result.error.issues, prefix));
			}
		},
	});

const problemContent = { "application/problem+json": { schema: Problem } };
const descriptions: Record<number, string> = {
	400: "Invalid input; `errors[]` names each field",
	401: "Missing, unknown, revoked or expired bearer secret",
	403: "The secret lacks the scope, or belongs to another tenant",
	404: "Not found",
	409: "Conflicts with the resource's state",
	413: "Body over the size limit",
	415: "Body is not application/json",
	503: "A required secret is missing, or a setting is bad",
};

/** Problem responses for a route's OpenAPI entry. */
export const problems = (...statuses: (keyof typeof descriptions)[]) =>
	Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s] as string, content: problemContent }]));

export const IdParam = (name: string, example: string) =>
	z.object({
		id: z
			.string()
			.min(1)
			.max(200)
			.openapi({ param: { name: "id", in: "path" }, example, description: name }),
	});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
	description,
	content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
	required: true,
	content: { "application/json": { schema } },
});
