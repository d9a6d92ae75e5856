// RFC 9457 problem details: every failure the API answers is one of these.
import { z } from "@hono/zod-openapi";
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const FieldError = z.object({ path: z.string(), message: z.string() }).openapi("FieldError");

export const Problem = z
	.object({
		type: z.string(),
		title: z.string(),
		status: z.number().int(),
		detail: z.string().optional(),
		errors: z.array(FieldError).optional(),
	})
	.openapi("Problem");
export type Problem = z.infer<typeof Problem>;

const titles: Record<number, string> = {
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	409: "Conflict",
	413: "Content Too Large",
	415: "Unsupported Media Type",
	500: "Internal Server Error",
	503: "Service Unavailable",
};

/** A problem to throw from any handler; `app.onError` turns it into the response. */
export class ProblemError extends HTTPException {
	readonly problem: Problem;
	constructor(
		status: ContentfulStatusCode,
		detail: string,
		options: { errors?: { path: string; message: string }[]; cause?: unknown } = {},
	) {
		super(status, { message: detail, cause: options.cause });
		this.problem = {
			type: `https://hookline.dev/problems/${status}`,
			title: titles[status] ?? "Error",
			status,
			detail,
			...(options.errors ? { errors: options.errors } : {}),
		};
	}
}

export const validationProblem = (errors: { path: string; message: string }[]) =>
	new ProblemError(400, `The request is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, {
		errors,
	});

export const problemResponse = (c: Context, problem: Problem, headers?: Record<string, string>) =>
	c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
		"content-type": "application/problem+json",
		...headers,
	});

export const toProblem = (err: unknown): Problem => {
	if (err instanceof ProblemError) return err.problem;
	if (err instanceof HTTPException) {
		const status = err.status;
		return {
			type: `https://hookline.dev/problems/${status}`,
			title: titles[status] ?? "Error",
			status,
			detail: err.message || titles[status] || "Error",
		};
	}
	return {
		type: "https://hookline.dev/problems/500",
		title: titles[500] as string,
		status: 500,
		detail: "An internal error occurred; it has been logged.",
	};
};

/** The one place errors become responses; internals are logged, never answered. */
export const onError: ErrorHandler = (err, c) => {
	const problem = toProblem(err);
	if (problem.status >= 500) {
		console.error(
			JSON.stringify({ msg: "request failed", path: c.req.path, error: String(err), stack: (err as Error)?.stack }),
		);
	}
	return problemResponse(c, problem);
};

/** zod issues → `errors[]` with dotted paths naming the field. */
export const issuesToErrors = (issues: readonly z.core.$ZodIssue[], prefix = "") =>
	issues.map((i) => ({
		path: [prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(body)",
		message: i.message,
	}));
