// The new-key form: name, scopes (one box each), an optional expiry in UTC, and
// whom the key is for (the picked tenant, or operator-wide), each with the
// API's errors under it.
import type { FC } from "hono/jsx";
import { type KeyDraft, SCOPES } from "../forms/key";
import { Field, FieldError, type FieldErrors } from "./fields";
import { Csrf } from "./layout";

/** What each scope allows, as DESIGN's table of scopes says. */
const SCOPE_HINTS: Record<(typeof SCOPES)[number], string> = {
	ingest: "post events",
	read: "read webhooks, history, health and keys",
	manage: "change everything else",
};

type KeyFormProps = { action: string; tenantId: string; values: KeyDraft; errors: FieldErrors; csrf: string };

export const KeyForm: FC<KeyFormProps> = ({ action, tenantId, values, errors, csrf }) => (
	<form method="post" action={action} class="card" id="new-key">
		<Csrf token={csrf} />
		<div class="grid">
			<Field name="name" label="Name" value={values.name} required errors={errors} />
			<Field
				name="expiresAt"
				label="Expires (UTC)"
				hint="empty: never"
				type="datetime-local"
				value={values.expiresAt}
				errors={errors}
			/>
		</div>
		<fieldset>
			<legend>Scopes</legend>
			{SCOPES.map((scope) => (
				<label>
					<input type="checkbox" name="scopes" value={scope} checked={values.scopes.includes(scope)} /> {scope}{" "}
					<small>{SCOPE_HINTS[scope]}</small>
				</label>
			))}
			<FieldError errors={errors} name="scopes" />
		</fieldset>
		<fieldset>
			<legend>For</legend>
			<label>
				<input type="radio" name="owner" value="tenant" checked={values.owner === "tenant"} /> the tenant{" "}
				<code>{tenantId}</code> only
			</label>
			<label>
				<input type="radio" name="owner" value="operator" checked={values.owner === "operator"} /> every tenant
				(operator-wide)
			</label>
			<FieldError errors={errors} name="tenantId" />
		</fieldset>
		<div class="actions">
			<button type="submit">Create key</button>
		</div>
	</form>
);
