// Deleting a tenant: a confirmation page with a box to tick, then
// DELETE /v1/tenants/:id. Its keys stop working and its deliveries stop; its
// history ages out under retention; its id is never reused. `default` cannot
// be deleted: the API's problem shows on the Tenants page.
import { Hono } from "hono";
import { Csrf } from "../components/layout";
import { fieldOf } from "../forms/posted";
import { notFound, page, redirectWithOutcome, type WebEnv } from "../render";
import { showPicker } from "../tenant-scope";
import { tenantsPath } from "./tenant-list";

export const tenantDeletePage = new Hono<WebEnv>()
	.get("/tenants/:id/delete", async (c) => {
		const picked = (await showPicker(c, c.req.query("tenant"))).picked?.id;
		const found = await c.get("operator").tenant(c.req.param("id"));
		if (!found.ok) return notFound(c, "This tenant");
		const tenant = found.body;
		return page(
			c,
			"Delete tenant",
			<>
				<h1>
					Delete the tenant “{tenant.name}” (<code>{tenant.id}</code>)?
				</h1>
				<form method="post" action={`/console/tenants/${encodeURIComponent(tenant.id)}/delete`} class="card">
					<Csrf token={c.get("session").csrf} />
					{picked && <input type="hidden" name="tenant" value={picked} />}
					<p>
						Its API keys stop working and its webhooks are deleted, so its deliveries stop (what is still open ends
						failed), within 10 seconds. Its history stays until retention removes it. The id is never used again.
					</p>
					<label>
						<input type="checkbox" name="confirm" required /> Yes, delete this tenant
					</label>
					<div class="actions">
						<button type="submit" class="danger">
							Delete
						</button>
						<a href={tenantsPath(picked)}>Cancel</a>
					</div>
				</form>
			</>,
		);
	})
	.post("/tenants/:id/delete", async (c) => {
		const field = fieldOf(await c.req.parseBody());
		const id = c.req.param("id");
		// The picked tenant stays picked, unless it is the one deleted.
		const picked = field("tenant") && field("tenant") !== id ? field("tenant") : undefined;
		// The box is required in the page; a post without it (no browser check) asks again.
		if (field("confirm") !== "on")
			return c.redirect(
				`/console/tenants/${encodeURIComponent(id)}/delete${picked ? `?tenant=${encodeURIComponent(picked)}` : ""}`,
				303,
			);
		const deleted = await c.get("operator").deleteTenant(id);
		return redirectWithOutcome(c, tenantsPath(picked), deleted, "tenant-deleted");
	});
