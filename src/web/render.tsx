// What every console page handler shares: the context it runs in (the signed-in
// session, the client of the tenant the page acts for and where that tenant's
// pages live, set by the app shell and the tenant scope), the page frame, the
// not-found page, and the redirect that reports an action's outcome.
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Problem } from "../http/problem";
import type { ApiClient } from "./api-client";
import { Layout } from "./components/layout";
import type { Picker } from "./components/tenant-picker";
import { problemText } from "./forms/problem";
import type { OperatorClient } from "./operator-client";
import type { Session } from "./session";

export type WebEnv = {
	Bindings: Env;
	Variables: {
		session: Session;
		/** The API, as the tenant the page acts for. */
		api: ApiClient;
		/** Where that tenant's pages live: `/console` (the default tenant) or `/console/tenants/{id}`. */
		base: string;
		/** The operator's own calls (tenants, keys): the console's alone. */
		operator: OperatorClient;
		/** The console's tenant picker, in the page frame; absent where no tenant can be picked. */
		picker: Picker | undefined;
	};
};

/** A page handler's context, whatever its path. */
export type WebContext = Context<WebEnv>;

/** A whole page in the signed-in frame (navigation, tenant picker, sign-out). */
export const page = (c: WebContext, title: string, children: Child, status: 200 | 400 | 404 = 200) =>
	c.html(
		<Layout title={title} csrf={c.get("session").csrf} base={c.get("base") ?? "/console"} picker={c.get("picker")}>
			{children}
		</Layout>,
		status,
	);

export const notFound = (c: WebContext, what: string) =>
	page(c, "Not found", <p>{what} does not exist (or was deleted).</p>, 404);

/** Back to `path` with the outcome for its Flash: `?ok=<action>` or `?err=<the problem>`. */
export const redirectWithOutcome = (
	c: WebContext,
	path: string,
	result: { ok: true } | { ok: false; problem: Problem },
	action: string,
) =>
	c.redirect(
		`${path}${path.includes("?") ? "&" : "?"}${result.ok ? `ok=${action}` : `err=${encodeURIComponent(problemText(result.problem).join("; "))}`}`,
		303,
	);
