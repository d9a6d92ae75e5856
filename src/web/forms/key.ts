// The new-key form: what the operator typed, turned into the body of
// POST /v1/keys. The key is for the picked tenant or operator-wide; the expiry
// is read as UTC (as every time the console shows), and one that does not
// parse goes to the API as typed, so its validation names the field.
import { type ApiKeyCreate, Scope } from "../../access/schema";
import type { Draft } from "../api-client";
import { allOf, type FormBody, fieldOf } from "./posted";
import { utcTimeOf } from "./utc-time";

/** The scopes a key can have, from the API's schema. */
export const SCOPES = Scope.options;

/** Whom a new key is for. */
export type KeyOwnerChoice = "tenant" | "operator";

/** The form's values, as typed: shown again when the API refuses them. */
export type KeyDraft = { name: string; scopes: string[]; expiresAt: string; owner: KeyOwnerChoice };

export const NEW_KEY: KeyDraft = { name: "", scopes: [], expiresAt: "", owner: "tenant" };

export const keyDraftOf = (form: FormBody): KeyDraft => {
	const field = fieldOf(form);
	return {
		name: field("name"),
		scopes: allOf(form, "scopes"),
		expiresAt: field("expiresAt").trim(),
		owner: field("owner") === "operator" ? "operator" : "tenant",
	};
};

/** The API's body for the draft: for `tenantId`, or operator-wide (`tenantId: null`). */
export const keyCreateOf = (draft: KeyDraft, tenantId: string): Draft<ApiKeyCreate> => ({
	name: draft.name,
	tenantId: draft.owner === "operator" ? null : tenantId,
	scopes: draft.scopes,
	expiresAt: draft.expiresAt === "" ? undefined : (utcTimeOf(draft.expiresAt) ?? draft.expiresAt),
});
