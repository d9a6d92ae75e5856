// A new webhook, and the preview of any webhook form (new or a webhook's
// settings): the form, its creation through POST …/webhooks with the API's
// errors under the fields, and the request a sample event would produce,
// whole-page (no script) or as the fragment the live preview swaps in.
import { Hono } from "hono";
import { PreviewBlock, WebhookForm } from "../components/webhook-form";
import { type FormBody, fieldOf } from "../forms/posted";
import { errorsByField, problemText } from "../forms/problem";
import { fromForm, NEW_WEBHOOK } from "../forms/webhook";
import { page, type WebContext, type WebEnv } from "../render";
import { secretPage } from "./webhook-secret";

const DEFAULT_SAMPLE = '{"type": "sample.event", "data": {}}';

/** The preview of a posted form: the request its sample event produces, or the errors. */
const previewOf = async (c: WebContext) => {
	const form: FormBody = await c.req.parseBody();
	const values = fromForm(form);
	const id = fieldOf(form)("id") || undefined;
	const sampleText = typeof form.sample === "string" ? form.sample : DEFAULT_SAMPLE;
	let event: unknown;
	const previewErrors: string[] = [];
	try {
		event = JSON.parse(sampleText);
	} catch (err) {
		previewErrors.push(`The sample event is not JSON: ${(err as Error).message}`);
	}
	const { auth, ...withoutAuth } = values;
	const webhook = { ...withoutAuth, auth: auth ? { ...auth, password: auth.password || "preview" } : auth };
	const result = previewErrors.length === 0 ? await c.get("api").previewWebhook({ webhook, event }) : undefined;
	if (result && !result.ok) previewErrors.push(...problemText(result.problem));
	return { values, id, sampleText, result, previewErrors };
};

export const webhookFormPage = new Hono<WebEnv>()
	.get("/webhooks/new", (c) =>
		page(
			c,
			"New webhook",
			<>
				<h1>New webhook</h1>
				<WebhookForm
					action={`${c.get("base")}/webhooks`}
					base={c.get("base")}
					values={NEW_WEBHOOK}
					errors={{}}
					csrf={c.get("session").csrf}
					sample={DEFAULT_SAMPLE}
				/>
			</>,
		),
	)
	.post("/webhooks", async (c) => {
		const form: FormBody = await c.req.parseBody();
		const values = fromForm(form);
		const created = await c.get("api").createWebhook(values);
		if (created.ok) return secretPage(c, created.body, created.body.secret, "Webhook created");
		return page(
			c,
			"New webhook",
			<>
				<h1>New webhook</h1>
				<div class="alert bad" role="alert">
					{created.problem.detail ?? "The webhook was not created."}
				</div>
				<WebhookForm
					action={`${c.get("base")}/webhooks`}
					base={c.get("base")}
					values={values}
					errors={errorsByField(created.problem)}
					csrf={c.get("session").csrf}
					sample={typeof form.sample === "string" ? form.sample : DEFAULT_SAMPLE}
				/>
			</>,
			400,
		);
	})
	// The live preview: the form, posted as it changes (with its CSRF token), gets the block back.
	.post("/webhooks/preview-fragment", async (c) => {
		const { result, previewErrors } = await previewOf(c);
		return c.html(<PreviewBlock preview={result?.ok ? result.body : undefined} errors={previewErrors} />);
	})
	.post("/webhooks/preview", async (c) => {
		const { values, id, sampleText, result, previewErrors } = await previewOf(c);
		const title = id ? "Edit webhook" : "New webhook";
		return page(
			c,
			title,
			<>
				<h1>{title}</h1>
				<WebhookForm
					action={`${c.get("base")}/webhooks${id ? `/${id}` : ""}`}
					base={c.get("base")}
					values={values}
					errors={result && !result.ok ? errorsByField(result.problem) : {}}
					csrf={c.get("session").csrf}
					id={id}
					sample={sampleText}
					preview={result?.ok ? result.body : undefined}
					previewErrors={previewErrors}
				/>
			</>,
		);
	});
