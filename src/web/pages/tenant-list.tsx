// The Tenants page: every tenant by id, 50 a page (POST /v1/tenants creates
// one, from the form under the list). A tenant's id leads to its pages, which
// switches the picker; Delete… opens the confirmation (tenant-delete.tsx). The
// tenant picked before stays in the address (`?tenant=`).

import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { Tenant } from "../../access/schema";
import { Field, type FieldErrors } from "../components/fields";
import { Flash } from "../components/flash";
import { Csrf } from "../components/layout";
import { When } from "../components/status";
import { type FormBody, fieldOf } from "../forms/posted";
import { errorsByField, problemText } from "../forms/problem";
import { queryOf } from "../query";
import { page, type WebContext, type WebEnv } from "../render";
import { consoleBase, showPicker } from "../tenant-scope";

const PAGE_SIZE = 50;

/** The Tenants page's address, keeping the picked tenant. */
export const tenantsPath = (picked: string | undefined, extra: Record<string, string | undefined> = {}) => {
	const query = queryOf({ tenant: picked, ...extra });
	return `/console/tenants${query ? `?${query}` : ""}`;
};

const TenantTable: FC<{ tenants: Tenant[]; picked: string | undefined }> = ({ tenants, picked }) => (
	<div class="scroll">
		<table id="tenants">
			<thead>
				<tr>
					<th>Id</th>
					<th>Name</th>
					<th class="optional">Region</th>
					<th class="optional">Created</th>
					<th />
				</tr>
			</thead>
			<tbody>
				{tenants.map((t) => (
					<tr>
						<td>
							<a href={`${consoleBase(t.id)}/webhooks`} title="Pick this tenant">
								{t.id}
							</a>
							{t.id === picked && <span class="muted"> (picked)</span>}
						</td>
						<td>{t.name}</td>
						<td class="optional">{t.region ?? "—"}</td>
						<td class="optional">
							<When at={t.createdAt} />
						</td>
						<td>
							<a
								href={`/console/tenants/${encodeURIComponent(t.id)}/delete${picked ? `?${queryOf({ tenant: picked })}` : ""}`}
							>
								Delete…
							</a>
						</td>
					</tr>
				))}
			</tbody>
		</table>
	</div>
);

type NewTenant = { id: string; name: string };

const TenantForm: FC<{ values: NewTenant; errors: FieldErrors; csrf: string; picked: string | undefined }> = ({
	values,
	errors,
	csrf,
	picked,
}) => (
	<form method="post" action="/console/tenants" class="card" id="new-tenant">
		<Csrf token={csrf} />
		{picked && <input type="hidden" name="tenant" value={picked} />}
		<div class="grid">
			<Field
				name="id"
				label="Id"
				hint="optional: lowercase letters, digits, _ and -; generated (tnt_…) when empty; never reused"
				value={values.id}
				errors={errors}
			/>
			<Field name="name" label="Name" value={values.name} required errors={errors} />
		</div>
		<FieldErrorsElsewhere errors={errors} />
		<div class="actions">
			<button type="submit">Create tenant</button>
		</div>
	</form>
);

/** Errors the form has no field for (region: the deployment's first is used). */
const FieldErrorsElsewhere: FC<{ errors: FieldErrors }> = ({ errors }) => {
	const rest = Object.entries(errors).filter(([field]) => field !== "id" && field !== "name");
	return rest.length > 0 ? <div class="error">{rest.flatMap(([, list]) => list).join("; ")}</div> : null;
};

const tenantsPage = async (
	c: WebContext,
	form: { values: NewTenant; errors: FieldErrors; problem?: string } = { values: { id: "", name: "" }, errors: {} },
) => {
	const picker = await showPicker(c, c.req.query("tenant") ?? fieldOf(await formOf(c))("tenant"));
	const picked = picker.picked?.id;
	const list = await c.get("operator").listTenants({ limit: PAGE_SIZE, cursor: c.req.query("cursor") });
	if (!list.ok) throw new Error(`GET /v1/tenants answered ${list.status}`);
	const { data, nextCursor } = list.body;
	return page(
		c,
		"Tenants",
		<>
			<h1>Tenants</h1>
			<Flash ok={c.req.query("ok")} err={c.req.query("err")} />
			<p class="muted">Pick a tenant by its id: every other page then acts for it.</p>
			<TenantTable tenants={data} picked={picked} />
			{nextCursor && (
				<p>
					<a href={tenantsPath(picked, { cursor: nextCursor })}>Next page</a>
				</p>
			)}
			<h2>New tenant</h2>
			{form.problem && (
				<div class="alert bad" role="alert">
					{form.problem}
				</div>
			)}
			<TenantForm values={form.values} errors={form.errors} csrf={c.get("session").csrf} picked={picked} />
		</>,
		form.problem ? 400 : 200,
	);
};

/** The posted form on a POST, nothing on a GET. */
const formOf = async (c: WebContext): Promise<FormBody> => (c.req.method === "POST" ? await c.req.parseBody() : {});

export const tenantListPage = new Hono<WebEnv>()
	.get("/tenants", (c) => tenantsPage(c))
	.post("/tenants", async (c) => {
		const field = fieldOf(await formOf(c));
		const values = { id: field("id").trim(), name: field("name") };
		const created = await c.get("operator").createTenant({ id: values.id || undefined, name: values.name });
		if (created.ok) return c.redirect(tenantsPath(field("tenant") || undefined, { ok: "tenant-created" }), 303);
		return tenantsPage(c, {
			values,
			errors: errorsByField(created.problem),
			problem: problemText(created.problem)[0] ?? "The tenant was not created.",
		});
	});
