// The Keys page of the picked tenant: its API keys and the operator-wide ones
// (GET /v1/keys, each list 50 a page), the form for a new key (POST /v1/keys)
// whose secret shows once on the answer page, and Revoke (DELETE /v1/keys/:id).
import type { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { ApiKeyWithSecret } from "../../access/schema";
import type { FieldErrors } from "../components/fields";
import { Flash } from "../components/flash";
import { KeyForm } from "../components/key-form";
import { KeyTable } from "../components/key-table";
import { type KeyDraft, keyCreateOf, keyDraftOf, NEW_KEY } from "../forms/key";
import { errorsByField, problemText } from "../forms/problem";
import type { KeyOwner } from "../operator-client";
import { queryOf } from "../query";
import { page, redirectWithOutcome, type WebContext, type WebEnv } from "../render";

const PAGE_SIZE = 50;

/** One list of keys with its own "More" link; `param` is the cursor's name in the page's address. */
const keySection = async (c: WebContext, owner: KeyOwner, param: "cursor" | "operatorCursor", tableId: string) => {
	const list = await c.get("operator").listKeys(owner, { limit: PAGE_SIZE, cursor: c.req.query(param) });
	if (!list.ok) return <div class="alert bad">{problemText(list.problem).join("; ")}</div>;
	const { data, nextCursor } = list.body;
	const base = c.get("base");
	return (
		<>
			<KeyTable id={tableId} keys={data} base={base} csrf={c.get("session").csrf} />
			{data.length === 0 && <p class="muted">None.</p>}
			{nextCursor && (
				<p>
					<a href={`${base}/keys?${queryOf({ [param]: nextCursor })}`}>More</a>
				</p>
			)}
		</>
	);
};

const keysPage = async (c: WebContext, form: { values: KeyDraft; errors: FieldErrors; notice?: Child }) => {
	const tenantId = c.get("api").tenantId;
	const [tenantKeys, operatorKeys] = await Promise.all([
		keySection(c, { tenantId }, "cursor", "tenant-keys"),
		keySection(c, { operatorWide: true }, "operatorCursor", "operator-keys"),
	]);
	return page(
		c,
		"API keys",
		<>
			<h1>API keys</h1>
			<Flash ok={c.req.query("ok")} err={c.req.query("err")} />
			<h2>
				Keys of the tenant <code>{tenantId}</code>
			</h2>
			{tenantKeys}
			<h2>Operator-wide keys</h2>
			<p class="muted">They reach every tenant.</p>
			{operatorKeys}
			<h2>New key</h2>
			{form.notice}
			<KeyForm
				action={`${c.get("base")}/keys`}
				tenantId={tenantId}
				values={form.values}
				errors={form.errors}
				csrf={c.get("session").csrf}
			/>
		</>,
		form.notice ? 400 : 200,
	);
};

/** The one page that shows a key's secret: the answer to its creation. */
const keySecretPage = (c: WebContext, key: z.infer<typeof ApiKeyWithSecret>) =>
	page(
		c,
		"API key created",
		<>
			<h1>API key created</h1>
			<div class="alert good">
				The secret of “{key.name}” is shown this once; Hookline keeps only its hash. Store it now.
			</div>
			<p class="secret" id="secret">
				{key.secret}
			</p>
			<p class="muted">
				Send it as <code>Authorization: Bearer &lt;secret&gt;</code>. Scopes: {key.scopes.join(", ")}; for{" "}
				{key.tenantId === null ? "every tenant (operator-wide)" : `the tenant ${key.tenantId}`}.
			</p>
			<p>
				<a href={`${c.get("base")}/keys`}>Continue to the keys</a>
			</p>
		</>,
	);

export const keyListPage = new Hono<WebEnv>()
	.get("/keys", (c) => keysPage(c, { values: NEW_KEY, errors: {} }))
	.post("/keys", async (c) => {
		const values = keyDraftOf(await c.req.parseBody({ all: true }));
		const created = await c.get("operator").createKey(keyCreateOf(values, c.get("api").tenantId));
		if (created.ok) return keySecretPage(c, created.body);
		return keysPage(c, {
			values,
			errors: errorsByField(created.problem),
			notice: (
				<div class="alert bad" role="alert">
					{created.problem.detail ?? "The key was not created."}
				</div>
			),
		});
	})
	.post("/keys/:id/revoke", async (c) => {
		const revoked = await c.get("operator").revokeKey(c.req.param("id"));
		return redirectWithOutcome(c, `${c.get("base")}/keys`, revoked, "revoked");
	});
