// The webhook form: what the operator typed, turned into the API's webhook
// body, and a stored webhook turned back into the form's values. The form
// sends what it got, numbers that do not parse included, so the API's
// validation names the field; a new webhook's values are the API's defaults.
import { type Webhook, type WebhookFields, withDefaults } from "../../webhooks/schema";
import type { Draft } from "../api-client";
import { type FormBody, fieldOf } from "./posted";

/** Fields the form may leave empty: the API then applies its default (create) or keeps the stored value (change). */
type Blankable = "enabled" | "timeoutMs" | "maxConcurrency" | "failureThreshold" | "disableAfterHours";

/** The form's values: the API's webhook fields, as drafted. */
export type WebhookDraft = Draft<Omit<WebhookFields, Blankable> & Partial<Pick<WebhookFields, Blankable>>>;

/** A new webhook's form starts from the API's own defaults. */
export const NEW_WEBHOOK: WebhookDraft = withDefaults({ name: "", eventTypes: [], url: "" });

/** A number as typed: parsed, or the text itself when it does not parse, so the API names the field. */
const numberOrText = (raw: string) => (Number.isFinite(Number(raw)) ? Number(raw) : raw);

/** Empty means "not given" (the API's default, or the stored value). */
const blankOr = (raw: string) => (raw.trim() === "" ? undefined : numberOrText(raw.trim()));

/** One "Name: value template" per line; a line without a name keeps its text as the name, for the API to refuse. */
const headersOf = (text: string) => {
	const headers: Record<string, string> = {};
	for (const line of text.split(/\r?\n/)) {
		const at = line.indexOf(":");
		if (line.trim() === "") continue;
		if (at <= 0) headers[line.trim()] = "";
		else headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
	}
	return headers;
};

const delaysOf = (text: string) =>
	text.trim() === ""
		? []
		: text
				.trim()
				.split(/[\s,]+/)
				.map(numberOrText);

/** The form's fields as the API takes them. */
export const fromForm = (form: FormBody): WebhookDraft => {
	const field = fieldOf(form);
	const username = field("authUsername").trim();
	const rate = field("rateLimitPerSecond").trim();
	return {
		name: field("name"),
		// Only the create form has the checkbox; the webhook page enables and disables with its own buttons.
		enabled: form._hasEnabled === "1" ? form.enabled === "on" : undefined,
		eventTypes: field("eventTypes")
			.split(/[\s,]+/)
			.filter(Boolean),
		method: field("method") || NEW_WEBHOOK.method,
		url: field("url"),
		contentType: field("contentType") || NEW_WEBHOOK.contentType,
		headers: headersOf(field("headers")),
		payloadTemplate: field("payloadTemplate").trim() === "" ? null : field("payloadTemplate"),
		auth: username ? { type: "basic", username, password: field("authPassword") } : null,
		retryPolicy: { delaysSeconds: delaysOf(field("retryDelays")) },
		timeoutMs: blankOr(field("timeoutMs")),
		maxConcurrency: blankOr(field("maxConcurrency")),
		failureThreshold: blankOr(field("failureThreshold")),
		rateLimitPerSecond: rate === "" ? null : numberOrText(rate),
		disableAfterHours: blankOr(field("disableAfterHours")),
		// Empty: the tenant's region, followed when it changes.
		region: field("region").trim() || null,
	};
};

/** A stored webhook as its settings form shows it; the password is never returned, so it reads empty. */
export const valuesOf = (webhook: Webhook): WebhookDraft => {
	const {
		id: _id,
		disabledReason: _r,
		disabledAt: _a,
		createdAt: _c,
		updatedAt: _u,
		auth,
		region,
		regionInherited,
		...fields
	} = webhook;
	// A region that follows the tenant's stays empty, so saving the form keeps it following.
	return { ...fields, region: regionInherited ? null : region, auth: auth ? { ...auth, password: "" } : null };
};
