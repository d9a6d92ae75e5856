// Which tenant a console page acts for. The tenant is in the address, as in the
// API: /console/webhooks… is the `default` tenant, /console/tenants/{id}/webhooks…
// that tenant. So a page, a bookmark or a form always names its tenant, and two
// tabs can work on two tenants. The scope checks the tenant exists (a clear 404
// page when not), hands the page an API client bound to it, and fills the picker.
import type { MiddlewareHandler } from "hono";
import { DEFAULT_TENANT } from "../access/principal";
import { type ApiConnection, apiClient } from "./api-client";
import type { Picker } from "./components/tenant-picker";
import type { OperatorClient } from "./operator-client";
import { page, type WebContext, type WebEnv } from "./render";

/** The parts of the console that act for one tenant; the picker keeps the section when it switches. */
export const SECTIONS = ["webhooks", "notifications", "keys", "sender-ips"] as const;

/** The picker's menu lists this many tenants, by id (the API's largest page). */
const MENU_SIZE = 200;

/** Where a tenant's pages live. */
export const consoleBase = (tenantId: string) =>
	tenantId === DEFAULT_TENANT ? "/console" : `/console/tenants/${encodeURIComponent(tenantId)}`;

/** The picker for `tenantId`: the menu, and the tenant itself when it exists (also beyond the menu). */
export const pickerOf = async (operator: OperatorClient, tenantId: string, section: string): Promise<Picker> => {
	const menu = await operator.listTenants({ limit: MENU_SIZE });
	if (!menu.ok) throw new Error(`GET /v1/tenants answered ${menu.status}`);
	const tenants = menu.body.data;
	let picked = tenants.find((t) => t.id === tenantId);
	if (!picked) {
		const found = await operator.tenant(tenantId);
		// A malformed id is a 400 from the API: for the page, it names no tenant either.
		if (found.ok) picked = found.body;
		else if (found.status !== 404 && found.status !== 400)
			throw new Error(`GET /v1/tenants/… answered ${found.status}`);
	}
	return { picked, tenants, section };
};

const unknownTenant = (c: WebContext, tenantId: string) =>
	page(
		c,
		"No such tenant",
		<>
			<h1>No tenant “{tenantId}”</h1>
			<p>
				This tenant does not exist, or it was deleted. Pick another tenant above, or see the{" "}
				<a href="/console/tenants">tenants</a>.
			</p>
		</>,
		404,
	);

/**
 * For the pages of one section: sets the page's tenant from the address
 * (`:tenantId`, else `default`), its API client, its pages' base and the
 * picker. An unknown or deleted tenant gets a page saying so.
 */
export const tenantScope = ({
	connect,
	section,
}: {
	connect: (c: WebContext) => ApiConnection;
	section: (typeof SECTIONS)[number];
}): MiddlewareHandler<WebEnv> =>
	async function tenantScope(c, next) {
		const tenantId = c.req.param("tenantId") ?? DEFAULT_TENANT;
		const picker = await pickerOf(c.get("operator"), tenantId, section);
		c.set("picker", picker);
		// The page about an unknown tenant leads back to `default`'s pages.
		c.set("base", consoleBase(picker.picked ? tenantId : DEFAULT_TENANT));
		if (!picker.picked) return unknownTenant(c, tenantId);
		c.set("api", apiClient({ ...connect(c), tenantId }));
		await next();
	};

/**
 * For the pages about every tenant (the Tenants page): the picker shows the
 * tenant the address names (`?tenant=`), else `default`, and the navigation
 * leads to its pages.
 */
export const showPicker = async (c: WebContext, tenantId: string | undefined) => {
	const picker = await pickerOf(c.get("operator"), tenantId || DEFAULT_TENANT, "webhooks");
	c.set("picker", picker);
	c.set("base", consoleBase(picker.picked?.id ?? DEFAULT_TENANT));
	return picker;
};

/** The picker's target: the same section of the chosen tenant's pages. */
export const pickTarget = (tenant: string | undefined, section: string | undefined) =>
	`${consoleBase(tenant?.trim() || DEFAULT_TENANT)}/${SECTIONS.find((s) => s === section) ?? "webhooks"}`;
