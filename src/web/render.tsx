// What every page handler shares, in the console and in the tenant portal: the
// context it runs in (the session, the client of the tenant the page acts for
// and where that tenant's pages live, set by the app shell and the tenant
// scope; whether the page may offer changes), the page frame, the not-found
// page, and the redirect that reports an action's outcome.
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Problem } from "../http/problem";
import type { ApiClient } from "./api-client";
import { Layout } from "./components/layout";
import type { Picker } from "./components/tenant-picker";
import { problemText } from "./forms/problem";
import type { OperatorClient } from "./operator-client";

/** Which app a page is shown in: the operator's console, or one tenant's portal session. */
export type Shell =
	| { kind: "console" }
	| {
			kind: "portal";
			tenantName: string;
			/** The region the tenant sends from (null: the deployment names none). */
			tenantRegion: string | null;
			readOnly: boolean;
			endsAt: number;
	  };

export type WebEnv = {
	Bindings: Env;
	Variables: {
		/** The signed-in session, as the pages need it: the CSRF token every form posts back. */
		session: { csrf: string };
		shell: Shell;
		/** The API, as the tenant the page acts for. */
		api: ApiClient;
		/** Where that tenant's pages live: `/console` (the default tenant), `/console/tenants/{id}` or `/portal/tenants/{id}`. */
		base: string;
		/** The operator's own calls (tenants, keys): the console's alone. */
		operator: OperatorClient;
		/** The console's tenant picker, in the page frame; absent where no tenant can be picked. */
		picker: Picker | undefined;
		/** The portal's: origins allowed to frame the answer besides 'self' (the tenant's portalOrigins). */
		frameAncestors: string[] | undefined;
	};
};

/** A page handler's context, whatever its path. */
export type WebContext = Context<WebEnv>;

/**
 * Whether the page offers changes: always in the console, and in a portal
 * session unless its link was read-only (where the portal's gate and the API
 * refuse them as well; hiding the buttons is only for the reader).
 */
export const canChange = (c: WebContext) => {
	const shell = c.get("shell");
	return shell.kind === "console" || !shell.readOnly;
};

/** A whole page in the signed-in frame (navigation, tenant picker or portal banner, sign-out). */
export const page = (c: WebContext, title: string, children: Child, status: 200 | 400 | 403 | 404 = 200) => {
	const shell = c.get("shell");
	return c.html(
		<Layout
			title={title}
			csrf={c.get("session").csrf}
			base={c.get("base") ?? "/console"}
			picker={c.get("picker")}
			portal={shell.kind === "portal" ? shell : undefined}
		>
			{children}
		</Layout>,
		status,
	);
};

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
