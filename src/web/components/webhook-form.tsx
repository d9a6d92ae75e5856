// The webhook form, for a new webhook and for a webhook's settings: every field
// of the API, each with the API's errors under it, a sample event, and the
// preview of the request that event produces. The preview follows the form as
// it changes (assets.ts PREVIEW_SCRIPT); without script, "Preview request"
// posts the form and the page comes back with it. Read-only (a read-only
// portal session), the fields show disabled, with no button and no script.
import type { z } from "@hono/zod-openapi";
import type { FC } from "hono/jsx";
import type { WebhookPreview } from "../../webhooks/routes/trial";
import { WebhookCreate } from "../../webhooks/schema";
import type { WebhookDraft } from "../forms/webhook";
import { requestText } from "./body";
import { Choice, Field, FieldError, type FieldErrors } from "./fields";
import { Csrf } from "./layout";

export type Preview = z.infer<typeof WebhookPreview>;

/** The choices the API accepts, from its schema. */
const METHODS = WebhookCreate.shape.method.unwrap().options;
const CONTENT_TYPES = WebhookCreate.shape.contentType.unwrap().options;

type Part = { values: WebhookDraft; errors: FieldErrors; isNew: boolean };

/** Who receives what: name, event types, URL, method, content type (and, when new, enabled). */
const TargetFields: FC<Part> = ({ values, errors, isNew }) => (
	<div class="grid">
		<Field name="name" label="Name" value={values.name} required errors={errors} />
		<Field
			name="eventTypes"
			label="Event types"
			hint="comma-separated: loan.created, loan.*, *"
			value={values.eventTypes.join(", ")}
			errors={errors}
		/>
		<Field
			name="url"
			label="URL template"
			hint={`e.g. https://example.com/hooks/{{event.type}}`}
			value={values.url}
			required
			errors={errors}
		/>
		<Choice name="method" label="Method" options={METHODS} value={values.method} errors={errors} />
		<Choice
			name="contentType"
			label="Content type"
			options={CONTENT_TYPES}
			value={values.contentType}
			errors={errors}
		/>
		{isNew && (
			<div>
				<input type="hidden" name="_hasEnabled" value="1" />
				<label for="enabled">
					<input id="enabled" type="checkbox" name="enabled" checked={values.enabled !== false} /> Enabled
				</label>
			</div>
		)}
	</div>
);

/** How the request looks: the payload template and the header templates. */
const ShapeFields: FC<Part> = ({ values, errors }) => (
	<>
		<label for="payloadTemplate">
			Payload template <small>empty: the JSON envelope {"{ id, type, occurredAt, data }"}</small>
		</label>
		<textarea id="payloadTemplate" name="payloadTemplate">
			{values.payloadTemplate ?? ""}
		</textarea>
		<FieldError errors={errors} name="payloadTemplate" />
		<label for="headers">
			Headers <small>one "Name: value template" per line</small>
		</label>
		<textarea id="headers" name="headers">
			{Object.entries(values.headers)
				.map(([k, v]) => `${k}: ${v}`)
				.join("\n")}
		</textarea>
		<FieldError errors={errors} name="headers" />
	</>
);

/** How it is delivered: Basic auth, retries, timeout and the endpoint-health settings. */
const DeliveryFields: FC<Part> = ({ values, errors, isNew }) => (
	<div class="grid">
		<Field
			name="authUsername"
			label="Basic auth user"
			hint="empty: none"
			value={values.auth?.username ?? ""}
			autocomplete="off"
			errors={errors}
		/>
		<Field
			name="authPassword"
			label="Basic auth password"
			hint={isNew ? "" : "empty: keep the stored one"}
			type="password"
			autocomplete="new-password"
			errors={{}}
		/>
		<Field
			name="retryDelays"
			label="Retry delays, seconds"
			hint="attempts = delays + 1"
			value={values.retryPolicy.delaysSeconds.join(", ")}
			errors={errors}
		/>
		<Field
			name="timeoutMs"
			label="Timeout, ms"
			value={String(values.timeoutMs ?? "")}
			inputmode="numeric"
			errors={errors}
		/>
		<Field name="maxConcurrency" label="Max concurrency" value={String(values.maxConcurrency ?? "")} errors={errors} />
		<Field
			name="failureThreshold"
			label="Circuit opens after failures"
			value={String(values.failureThreshold ?? "")}
			errors={errors}
		/>
		<Field
			name="rateLimitPerSecond"
			label="Rate limit per second"
			hint="empty: none"
			value={String(values.rateLimitPerSecond ?? "")}
			errors={errors}
		/>
		<Field
			name="disableAfterHours"
			label="Disable after circuit open, hours"
			value={String(values.disableAfterHours ?? "")}
			errors={errors}
		/>
		<Field
			name="region"
			label="Region"
			hint="empty: the tenant's (see Sender IPs)"
			value={values.region ?? ""}
			errors={errors}
		/>
	</div>
);

/** The preview, or why there is none; the page renders it, and the live preview swaps it in. */
export const PreviewBlock: FC<{ preview?: Preview; errors?: string[] }> = ({ preview, errors }) => (
	<>
		{errors && errors.length > 0 && (
			<div class="alert bad" role="alert">
				{errors.map((e) => (
					<div>{e}</div>
				))}
			</div>
		)}
		{preview && (
			<section id="preview">
				<h2>The request this sample event produces</h2>
				<pre>{requestText(preview.request)}</pre>
				<p class="muted">Added at send time: {preview.addedAtSend.join(", ")}.</p>
			</section>
		)}
	</>
);

type WebhookFormProps = {
	action: string;
	/** Where the tenant's pages live: the previews post there. */
	base: string;
	values: WebhookDraft;
	errors: FieldErrors;
	csrf: string;
	/** Shows the settings without a way to change them. */
	readOnly?: boolean;
	/** The webhook being edited; absent for a new one. */
	id?: string;
	sample: string;
	preview?: Preview;
	previewErrors?: string[];
};

/** The settings as they are, every field disabled: no form to post, no preview. */
const ReadOnlySettings: FC<{ values: WebhookDraft; id?: string }> = ({ values, id }) => (
	<div class="card">
		<fieldset class="read-only" disabled>
			<TargetFields values={values} errors={{}} isNew={!id} />
			<ShapeFields values={values} errors={{}} isNew={!id} />
			<DeliveryFields values={values} errors={{}} isNew={!id} />
		</fieldset>
	</div>
);

const EditableForm: FC<Omit<WebhookFormProps, "readOnly">> = ({
	action,
	base,
	values,
	errors,
	csrf,
	id,
	sample,
	...shown
}) => (
	<form method="post" action={action} class="card" data-preview={`${base}/webhooks/preview-fragment`}>
		<Csrf token={csrf} />
		{id && <input type="hidden" name="id" value={id} />}
		<TargetFields values={values} errors={errors} isNew={!id} />
		<ShapeFields values={values} errors={errors} isNew={!id} />
		<DeliveryFields values={values} errors={errors} isNew={!id} />
		<label for="sample">
			Sample event for the preview <small>{'JSON: {"type": "...", "data": {...}}'}</small>
		</label>
		<textarea id="sample" name="sample">
			{sample}
		</textarea>
		<div class="actions">
			<button type="submit">{id ? "Save" : "Create"}</button>
			<button type="submit" class="secondary" formaction={`${base}/webhooks/preview`}>
				Preview request
			</button>
		</div>
		<div id="preview-live" aria-live="polite">
			<PreviewBlock preview={shown.preview} errors={shown.previewErrors} />
		</div>
		<script src="/console/assets/preview.js" defer />
	</form>
);

export const WebhookForm: FC<WebhookFormProps> = ({ readOnly, ...props }) =>
	readOnly ? <ReadOnlySettings values={props.values} id={props.id} /> : <EditableForm {...props} />;
