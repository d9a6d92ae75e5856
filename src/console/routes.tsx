// The admin console at /console: server-rendered pages (hono/jsx) over the
// same API the operators script against. Every change goes through the API
// (called in-process with the admin token), so the console gets the API's
// validation and shows its errors next to the fields. Sign-in exchanges the
// admin token for a session cookie (./session.ts); every form carries a CSRF
// token, hono/csrf refuses cross-origin posts, and a strict
// Content-Security-Policy allows no script at all.
import { and, count, desc, eq, gte, inArray, isNull, lt } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import type { Child } from "hono/jsx";
import { secureHeaders } from "hono/secure-headers";
import { readConfig } from "../config";
import { database } from "../db";
import { notifications, webhooks } from "../db/schema";
import type { GateHealth } from "../gate";
import { isAdminToken } from "../http/auth";
import { endSession, readSession, type Session, startSession } from "./session";
import { Badge, Chart, Choice, Csrf, Field, FieldError, Layout, PREVIEW_SCRIPT, pretty, STYLE, When } from "./ui";

type ConsoleEnv = { Bindings: Env; Variables: { session: Session } };

/** The API, called in-process; app.ts sets it (the console is mounted on the same app). */
export const consoleApi: {
	fetch?: (request: Request, env: Env, ctx: Context["executionCtx"]) => Response | Promise<Response>;
} = {};

export const consoleRoutes = new Hono<ConsoleEnv>();

consoleRoutes.use(
	"*",
	secureHeaders({
		contentSecurityPolicy: {
			defaultSrc: ["'none'"],
			// One script, /console/assets/preview.js: no inline script, no eval.
			scriptSrc: ["'self'"],
			connectSrc: ["'self'"],
			styleSrc: ["'self'"],
			imgSrc: ["'self'", "data:"],
			formAction: ["'self'"],
			frameAncestors: ["'none'"],
			baseUri: ["'none'"],
		},
		referrerPolicy: "same-origin",
	}),
);
consoleRoutes.use("*", csrf());

consoleRoutes.get("/assets/preview.js", (c) =>
	c.body(PREVIEW_SCRIPT, 200, {
		"content-type": "text/javascript; charset=utf-8",
		"cache-control": "public, max-age=300",
	}),
);

consoleRoutes.get("/assets/style.css", (c) =>
	c.body(STYLE, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }),
);

type Problem = { title?: string; detail?: string; errors?: { path: string; message: string }[] };

const LoginPage = ({ error }: { error?: string }) => (
	<Layout title="Sign in">
		<h1>Sign in</h1>
		<form method="post" action="/console/login" class="card">
			{error && <div class="alert bad">{error}</div>}
			<label for="token">Admin token</label>
			<input id="token" name="token" type="password" autocomplete="current-password" required />
			<div class="actions">
				<button type="submit">Sign in</button>
			</div>
			<p class="muted">The token is exchanged for a session cookie that lasts 8 hours.</p>
		</form>
	</Layout>
);

consoleRoutes.get("/login", (c) => c.html(<LoginPage />));

consoleRoutes.post("/login", async (c) => {
	const config = readConfig(c.env);
	const form = await c.req.parseBody();
	const token = typeof form.token === "string" ? form.token.trim() : "";
	if (!config.encryptionKey || config.adminTokens.length === 0)
		return c.html(<LoginPage error="Hookline is not configured: ADMIN_TOKEN and ENCRYPTION_KEY are required." />, 503);
	if (!token || !(await isAdminToken(config, token)))
		return c.html(<LoginPage error="That is not an admin token." />, 401);
	await startSession(c, config, token);
	return c.redirect("/console/webhooks", 303);
});

// Everything below needs a session; a form post also needs its CSRF token.
consoleRoutes.use("*", async (c, next) => {
	const session = await readSession(c, readConfig(c.env));
	if (!session) return c.redirect("/console/login", 303);
	if (c.req.method === "POST") {
		const form = await c.req.parseBody();
		if (form._csrf !== session.csrf) return c.text("The form's CSRF token is missing or wrong; reload the page.", 403);
	}
	c.set("session", session);
	await next();
});

consoleRoutes.post("/logout", (c) => {
	endSession(c);
	return c.redirect("/console/login", 303);
});

consoleRoutes.get("/", (c) => c.redirect("/console/webhooks", 303));

// biome-ignore lint/suspicious/noExplicitAny: every console route's context, whatever its path
type Ctx = Context<ConsoleEnv, any>;

/** Calls the API in-process with an admin token. */
const api = async <T = Record<string, unknown>>(c: Ctx, method: string, path: string, body?: unknown) => {
	const fetcher = consoleApi.fetch;
	if (!fetcher) throw new Error("the console is not mounted on the API");
	const token = readConfig(c.env).adminTokens[0] ?? "";
	const res = await fetcher(
		new Request(`http://hookline.internal${path}`, {
			method,
			headers: {
				authorization: `Bearer ${token}`,
				...(body === undefined ? {} : { "content-type": "application/json" }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		}),
		c.env,
		c.executionCtx,
	);
	const text = await res.text();
	const json = text ? (JSON.parse(text) as unknown) : {};
	return { ok: res.ok, status: res.status, body: json as T, problem: (res.ok ? {} : json) as Problem };
};

const page = (c: Ctx, title: string, children: Child, status: 200 | 400 | 404 | 409 = 200) =>
	c.html(
		<Layout title={title} csrf={c.get("session").csrf}>
			{children}
		</Layout>,
		status,
	);

const problemText = (p: Problem) => [p.detail ?? p.title, ...(p.errors ?? []).map((e) => `${e.path}: ${e.message}`)];

// ── Webhooks ─────────────────────────────────────────────────────────────────

type Webhook = {
	id: string;
	name: string;
	enabled: boolean;
	eventTypes: string[];
	method: string;
	url: string;
	contentType: string;
	headers: Record<string, string>;
	payloadTemplate: string | null;
	auth: { type: "basic"; username: string } | null;
	retryPolicy: { delaysSeconds: number[] };
	timeoutMs: number;
	maxConcurrency: number;
	failureThreshold: number;
	rateLimitPerSecond: number | null;
	disableAfterHours: number;
	disabledReason: string | null;
	disabledAt: string | null;
	health?: { circuit: string; successRateLastHour: number | null; consecutiveFailures: number };
};

const gateOf = (env: Env, id: string) => env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(id));

const percent = (rate: number | null | undefined) =>
	rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)} %`;

consoleRoutes.get("/webhooks", async (c) => {
	const cursor = c.req.query("cursor");
	const list = await api<{ data: Webhook[]; nextCursor: string | null }>(
		c,
		"GET",
		`/v1/webhooks?limit=50&health=false${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
	);
	// One gate call per webhook, for its summary and its chart; a gate that cannot answer shows "—".
	const healths = await Promise.all(
		list.body.data.map((w) => (gateOf(c.env, w.id).health() as Promise<GateHealth>).catch(() => undefined)),
	);
	return page(
		c,
		"Webhooks",
		<>
			<div class="actions">
				<h1>Webhooks</h1>
				<a href="/console/webhooks/new">New webhook</a>
			</div>
			<div class="scroll">
				<table>
					<thead>
						<tr>
							<th>Name</th>
							<th class="optional">URL</th>
							<th class="optional">Event types</th>
							<th>State</th>
							<th>Circuit</th>
							<th>Success (1 h)</th>
							<th class="optional">Last 24 h</th>
						</tr>
					</thead>
					<tbody>
						{list.body.data.map((w, i) => (
							<tr>
								<td>
									<a href={`/console/webhooks/${w.id}`}>{w.name}</a>
								</td>
								<td class="optional">
									<code>{w.url}</code>
								</td>
								<td class="optional">{w.eventTypes.join(", ")}</td>
								<td>
									<Badge value={w.enabled ? "enabled" : "disabled"} />
								</td>
								<td>{healths[i] ? <Badge value={healths[i].circuit.state} /> : "—"}</td>
								<td>{percent(healths[i]?.lastHour.successRate)}</td>
								<td class="optional">
									<Chart hourly={healths[i]?.hourly ?? []} />
								</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
			{list.body.data.length === 0 && <p class="muted">No webhooks yet.</p>}
			{list.body.nextCursor && (
				<p>
					<a href={`/console/webhooks?cursor=${encodeURIComponent(list.body.nextCursor)}`}>Next page</a>
				</p>
			)}
		</>,
	);
});

/** The form's fields as the API takes them; numbers that do not parse go as text, so the API names them. */
const fromForm = (form: Record<string, string | File | (string | File)[]>) => {
	const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
	const num = (name: string) => {
		const raw = text(name).trim();
		const n = Number(raw);
		return raw === "" ? undefined : Number.isFinite(n) ? n : raw;
	};
	const headers: Record<string, string> = {};
	for (const line of text("headers").split(/\r?\n/)) {
		const at = line.indexOf(":");
		if (line.trim() === "") continue;
		if (at <= 0) headers[line.trim()] = "";
		else headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
	}
	const username = text("authUsername").trim();
	const delays = text("retryDelays").trim();
	const rate = text("rateLimitPerSecond").trim();
	return {
		name: text("name"),
		// Only the create form has the checkbox; the webhook page enables and disables with its own buttons.
		enabled: form._hasEnabled === "1" ? form.enabled === "on" : undefined,
		eventTypes: text("eventTypes")
			.split(/[\s,]+/)
			.filter(Boolean),
		method: text("method") || "POST",
		url: text("url"),
		contentType: text("contentType") || "application/json",
		headers,
		payloadTemplate: text("payloadTemplate").trim() === "" ? null : text("payloadTemplate"),
		auth: username ? { type: "basic" as const, username, password: text("authPassword") } : null,
		retryPolicy: {
			delaysSeconds:
				delays === ""
					? []
					: delays.split(/[\s,]+/).map((d) => (Number.isFinite(Number(d)) ? Number(d) : (d as unknown as number))),
		},
		timeoutMs: num("timeoutMs"),
		maxConcurrency: num("maxConcurrency"),
		failureThreshold: num("failureThreshold"),
		rateLimitPerSecond: rate === "" ? null : num("rateLimitPerSecond"),
		disableAfterHours: num("disableAfterHours"),
	};
};

type FormValues = ReturnType<typeof fromForm>;

const valuesOf = (w: Webhook): FormValues => ({
	name: w.name,
	enabled: w.enabled,
	eventTypes: w.eventTypes,
	method: w.method,
	url: w.url,
	contentType: w.contentType,
	headers: w.headers,
	payloadTemplate: w.payloadTemplate,
	auth: w.auth ? { type: "basic", username: w.auth.username, password: "" } : null,
	retryPolicy: w.retryPolicy,
	timeoutMs: w.timeoutMs,
	maxConcurrency: w.maxConcurrency,
	failureThreshold: w.failureThreshold,
	rateLimitPerSecond: w.rateLimitPerSecond,
	disableAfterHours: w.disableAfterHours,
});

const NEW_WEBHOOK: FormValues = {
	name: "",
	enabled: true,
	eventTypes: [],
	method: "POST",
	url: "",
	contentType: "application/json",
	headers: {},
	payloadTemplate: null,
	auth: null,
	retryPolicy: { delaysSeconds: [5, 300, 1800, 7200] },
	timeoutMs: 15000,
	maxConcurrency: 10,
	failureThreshold: 10,
	rateLimitPerSecond: null,
	disableAfterHours: 120,
};

/** API errors by form field: "retryPolicy.delaysSeconds.0" shows at retryDelays. */
const errorsByField = (p: Problem) => {
	const fieldOf: Record<string, string> = {
		retryPolicy: "retryDelays",
		auth: "authUsername",
		webhook: "url",
	};
	const out: Record<string, string[]> = {};
	for (const e of p.errors ?? []) {
		const path = e.path.replace(/^webhook\./, "");
		const head = path.split(".")[0] ?? path;
		const field = fieldOf[head] ?? head;
		const message = head === path ? e.message : `${path}: ${e.message}`;
		out[field] = [...(out[field] ?? []), message];
	}
	return out;
};

type Preview = {
	request: { method: string; url: string; headers: Record<string, string>; body: string };
	addedAtSend: string[];
};

const WebhookForm = ({
	action,
	values,
	errors,
	csrf,
	id,
	sample,
	preview,
	previewErrors,
}: {
	action: string;
	values: FormValues;
	errors: Record<string, string[]>;
	csrf: string;
	id?: string;
	sample: string;
	preview?: Preview;
	previewErrors?: string[];
}) => (
	<form method="post" action={action} class="card" data-preview="/console/webhooks/preview-fragment">
		<Csrf token={csrf} />
		{id && <input type="hidden" name="id" value={id} />}
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
			<Choice name="method" label="Method" options={["POST", "PUT", "PATCH"]} value={values.method} errors={errors} />
			<Choice
				name="contentType"
				label="Content type"
				options={["application/json", "application/xml", "text/plain"]}
				value={values.contentType}
				errors={errors}
			/>
			{!id && (
				<div>
					<input type="hidden" name="_hasEnabled" value="1" />
					<label for="enabled">
						<input id="enabled" type="checkbox" name="enabled" checked={values.enabled !== false} /> Enabled
					</label>
				</div>
			)}
		</div>
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
				hint={id ? "empty: keep the stored one" : ""}
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
			<Field
				name="maxConcurrency"
				label="Max concurrency"
				value={String(values.maxConcurrency ?? "")}
				errors={errors}
			/>
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
		</div>
		<label for="sample">
			Sample event for the preview <small>{'JSON: {"type": "...", "data": {...}}'}</small>
		</label>
		<textarea id="sample" name="sample">
			{sample}
		</textarea>
		<div class="actions">
			<button type="submit">{id ? "Save" : "Create"}</button>
			<button type="submit" class="secondary" formaction="/console/webhooks/preview">
				Preview request
			</button>
		</div>
		<div id="preview-live" aria-live="polite">
			<PreviewBlock preview={preview} errors={previewErrors} />
		</div>
		<script src="/console/assets/preview.js" defer />
	</form>
);

/** The preview, or why there is none; the page renders it, and the live preview swaps it in. */
const PreviewBlock = ({ preview, errors }: { preview?: Preview; errors?: string[] }) => (
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
				<pre>
					{`${preview.request.method} ${preview.request.url}\n${Object.entries(preview.request.headers)
						.map(([k, v]) => `${k}: ${v}`)
						.join("\n")}\n\n${preview.request.body}`}
				</pre>
				<p class="muted">Added at send time: {preview.addedAtSend.join(", ")}.</p>
			</section>
		)}
	</>
);

const DEFAULT_SAMPLE = '{"type": "sample.event", "data": {}}';

consoleRoutes.get("/webhooks/new", (c) =>
	page(
		c,
		"New webhook",
		<>
			<h1>New webhook</h1>
			<WebhookForm
				action="/console/webhooks"
				values={NEW_WEBHOOK}
				errors={{}}
				csrf={c.get("session").csrf}
				sample={DEFAULT_SAMPLE}
			/>
		</>,
	),
);

consoleRoutes.post("/webhooks", async (c) => {
	const form = await c.req.parseBody();
	const values = fromForm(form);
	const created = await api<Webhook & { secret: string }>(c, "POST", "/v1/webhooks", values);
	if (!created.ok)
		return page(
			c,
			"New webhook",
			<>
				<h1>New webhook</h1>
				<div class="alert bad" role="alert">
					{created.problem.detail ?? "The webhook was not created."}
				</div>
				<WebhookForm
					action="/console/webhooks"
					values={values}
					errors={errorsByField(created.problem)}
					csrf={c.get("session").csrf}
					sample={typeof form.sample === "string" ? form.sample : DEFAULT_SAMPLE}
				/>
			</>,
			400,
		);
	return secretPage(c, created.body, created.body.secret, "Webhook created");
});

const secretPage = (c: Ctx, webhook: { id: string; name: string }, secret: string, title: string) =>
	page(
		c,
		title,
		<>
			<h1>{title}</h1>
			<div class="alert good">The signing secret of “{webhook.name}” is shown this once. Store it now.</div>
			<p class="secret" id="secret">
				{secret}
			</p>
			<p>
				<a href={`/console/webhooks/${webhook.id}`}>Continue to the webhook</a>
			</p>
		</>,
	);

/** The preview of a posted form: the request its sample event produces, or the errors. */
const previewOf = async (c: Ctx) => {
	const form = await c.req.parseBody();
	const values = fromForm(form);
	const id = typeof form.id === "string" && form.id ? form.id : undefined;
	const sampleText = typeof form.sample === "string" ? form.sample : DEFAULT_SAMPLE;
	let event: unknown;
	const previewErrors: string[] = [];
	try {
		event = JSON.parse(sampleText);
	} catch (err) {
		previewErrors.push(`The sample event is not JSON: ${(err as Error).message}`);
	}
	const { auth, ...withoutAuth } = values;
	const webhook = {
		...withoutAuth,
		...(auth ? { auth: { ...auth, password: auth.password || "preview" } } : { auth }),
	};
	const result =
		previewErrors.length === 0 ? await api<Preview>(c, "POST", "/v1/webhooks/preview", { webhook, event }) : undefined;
	if (result && !result.ok) previewErrors.push(...problemText(result.problem).filter((x): x is string => Boolean(x)));
	return { values, id, sampleText, result, previewErrors };
};

// The live preview: the form, posted as it changes (with its CSRF token), gets the block back.
consoleRoutes.post("/webhooks/preview-fragment", async (c) => {
	const { result, previewErrors } = await previewOf(c);
	return c.html(<PreviewBlock preview={result?.ok ? result.body : undefined} errors={previewErrors} />);
});

consoleRoutes.post("/webhooks/preview", async (c) => {
	const { values, id, sampleText, result, previewErrors } = await previewOf(c);
	return page(
		c,
		id ? "Edit webhook" : "New webhook",
		<>
			<h1>{id ? "Edit webhook" : "New webhook"}</h1>
			<WebhookForm
				action={id ? `/console/webhooks/${id}` : "/console/webhooks"}
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

/** The outcome of the last action, passed in the redirect: ?ok= (an action's own words) or ?err=. */
const FLASH: Record<string, string> = {
	saved: "Saved.",
	test: "Test event sent; see the history.",
	enabled:
		"Enabled. Notifications skipped while it was disabled: filter the history by status skipped to re-send them.",
	disabled: "Disabled.",
	resent: "Re-sent: a new series of attempts started.",
};

const Flash = ({ c }: { c: Ctx }) => {
	const ok = FLASH[c.req.query("ok") ?? ""];
	const err = c.req.query("err");
	if (ok) return <div class="alert good">{ok}</div>;
	if (err) return <div class="alert bad">Failed: {err}</div>;
	return null;
};

const findWebhook = async (c: Ctx) => {
	const found = await api<Webhook>(c, "GET", `/v1/webhooks/${encodeURIComponent(c.req.param("id") ?? "")}`);
	return found.ok ? found.body : undefined;
};

const notFound = (c: Ctx, what: string) => page(c, "Not found", <p>{what} does not exist (or was deleted).</p>, 404);

const WebhookPage = ({
	c,
	webhook,
	health,
	values,
	errors = {},
	notice,
}: {
	c: Ctx;
	webhook: Webhook;
	health: GateHealth | undefined;
	values?: FormValues;
	errors?: Record<string, string[]>;
	notice?: Child;
}) => {
	const csrf = c.get("session").csrf;
	return (
		<>
			<h1>{webhook.name}</h1>
			{notice}
			<div class="card">
				<p>
					<Badge value={webhook.enabled ? "enabled" : "disabled"} /> {health && <Badge value={health.circuit.state} />}{" "}
					<code>{webhook.id}</code>
				</p>
				{webhook.disabledReason && (
					<p>
						Disabled: {webhook.disabledReason} (<When at={webhook.disabledAt} />)
					</p>
				)}
				{health && (
					<p class="muted">
						Last hour: {health.lastHour.attempts} attempts, {percent(health.lastHour.successRate)} succeeded, p50{" "}
						{health.lastHour.latencyMs.p50 ?? "—"} ms. Last success <When at={health.lastSuccessAt} />, last failure{" "}
						<When at={health.lastFailureAt} />
						{health.lastError ? ` (${health.lastError})` : ""}. Paused: {health.paused}.
					</p>
				)}
				<div class="actions">
					<a href={`/console/notifications?webhookId=${webhook.id}`}>History</a>
					<form method="post" action={`/console/webhooks/${webhook.id}/test`}>
						<Csrf token={csrf} />
						<button type="submit" class="secondary">
							Send test event
						</button>
					</form>
					<form method="post" action={`/console/webhooks/${webhook.id}/${webhook.enabled ? "disable" : "enable"}`}>
						<Csrf token={csrf} />
						<button type="submit" class="secondary">
							{webhook.enabled ? "Disable" : "Enable"}
						</button>
					</form>
					<form method="post" action={`/console/webhooks/${webhook.id}/rotate`}>
						<Csrf token={csrf} />
						<button type="submit" class="secondary">
							Rotate secret
						</button>
					</form>
					<a href={`/console/webhooks/${webhook.id}/delete`}>Delete…</a>
				</div>
			</div>
			<h2>Settings</h2>
			<WebhookForm
				action={`/console/webhooks/${webhook.id}`}
				values={values ?? valuesOf(webhook)}
				errors={errors}
				csrf={csrf}
				id={webhook.id}
				sample={JSON.stringify({ type: webhook.eventTypes.find((t) => !t.includes("*")) ?? "sample.event", data: {} })}
			/>
		</>
	);
};

const healthOf = (c: Ctx, id: string) => (gateOf(c.env, id).health() as Promise<GateHealth>).catch(() => undefined);

consoleRoutes.get("/webhooks/:id", async (c) => {
	const webhook = await findWebhook(c);
	if (!webhook) return notFound(c, "This webhook");
	return page(
		c,
		webhook.name,
		<WebhookPage c={c} webhook={webhook} health={await healthOf(c, webhook.id)} notice={<Flash c={c} />} />,
	);
});

consoleRoutes.post("/webhooks/:id", async (c) => {
	const webhook = await findWebhook(c);
	if (!webhook) return notFound(c, "This webhook");
	const values = fromForm(await c.req.parseBody());
	const saved = await api<Webhook>(c, "PATCH", `/v1/webhooks/${webhook.id}`, values);
	if (!saved.ok)
		return page(
			c,
			webhook.name,
			<WebhookPage
				c={c}
				webhook={webhook}
				health={await healthOf(c, webhook.id)}
				values={values}
				errors={errorsByField(saved.problem)}
				notice={<div class="alert bad">{saved.problem.detail ?? "Not saved."}</div>}
			/>,
			400,
		);
	return c.redirect(`/console/webhooks/${webhook.id}?ok=saved`, 303);
});

const action = (path: string, call: (c: Ctx, id: string) => Promise<{ ok: boolean; problem: Problem }>, done: string) =>
	consoleRoutes.post(path, async (c) => {
		const id = c.req.param("id") ?? "";
		const result = await call(c, id);
		const outcome = result.ok ? `ok=${done}` : `err=${encodeURIComponent(problemText(result.problem).join("; "))}`;
		return c.redirect(`/console/webhooks/${encodeURIComponent(id)}?${outcome}`, 303);
	});

action("/webhooks/:id/test", (c, id) => api(c, "POST", `/v1/webhooks/${id}/test`), "test");
action(
	"/webhooks/:id/enable",
	(c, id) => api(c, "POST", `/v1/webhooks/${id}/enable`, { resendSkipped: false }),
	"enabled",
);
action("/webhooks/:id/disable", (c, id) => api(c, "PATCH", `/v1/webhooks/${id}`, { enabled: false }), "disabled");

consoleRoutes.post("/webhooks/:id/rotate", async (c) => {
	const webhook = await findWebhook(c);
	if (!webhook) return notFound(c, "This webhook");
	const rotated = await api<{ secret: string }>(c, "POST", `/v1/webhooks/${webhook.id}/rotate-secret`, {});
	if (!rotated.ok)
		return c.redirect(
			`/console/webhooks/${webhook.id}?err=${encodeURIComponent(problemText(rotated.problem).join("; "))}`,
			303,
		);
	return secretPage(c, webhook, rotated.body.secret, "Secret rotated");
});

consoleRoutes.get("/webhooks/:id/delete", async (c) => {
	const webhook = await findWebhook(c);
	if (!webhook) return notFound(c, "This webhook");
	return page(
		c,
		"Delete webhook",
		<>
			<h1>Delete “{webhook.name}”?</h1>
			<form method="post" action={`/console/webhooks/${webhook.id}/delete`} class="card">
				<Csrf token={c.get("session").csrf} />
				<p>Its pending deliveries stop (they end failed); its history stays readable.</p>
				<label>
					<input type="checkbox" name="confirm" required /> Yes, delete this webhook
				</label>
				<div class="actions">
					<button type="submit" class="danger">
						Delete
					</button>
					<a href={`/console/webhooks/${webhook.id}`}>Cancel</a>
				</div>
			</form>
		</>,
	);
});

consoleRoutes.post("/webhooks/:id/delete", async (c) => {
	const form = await c.req.parseBody();
	const id = c.req.param("id");
	if (form.confirm !== "on") return c.redirect(`/console/webhooks/${id}/delete`, 303);
	const result = await api(c, "DELETE", `/v1/webhooks/${encodeURIComponent(id)}`);
	if (!result.ok)
		return c.redirect(
			`/console/webhooks/${encodeURIComponent(id)}?err=${encodeURIComponent(problemText(result.problem).join("; "))}`,
			303,
		);
	return c.redirect("/console/webhooks", 303);
});

// ── Communication history ────────────────────────────────────────────────────

type Notification = {
	id: string;
	eventId: string;
	webhookId: string;
	eventType: string;
	status: string;
	attemptCount: number;
	series: number;
	trigger: string;
	lastError: string | null;
	nextAttemptAt: string | null;
	deliveredAt: string | null;
	createdAt: string;
	updatedAt: string;
	request?: { method: string; url: string; headers: Record<string, string>; body: string } | null;
	attempts?: {
		id: string;
		series: number;
		number: number;
		trigger: string;
		startedAt: string;
		durationMs: number;
		succeeded: boolean;
		statusCode: number | null;
		errorKind: string | null;
		error: string | null;
		responseExcerpt: string | null;
	}[];
};

const STATUSES = ["pending", "retrying", "delivered", "failed", "paused", "skipped"];

/** The history filter from the query string: webhookId, status, eventType, since, until (datetime-local, UTC). */
const filterOf = (c: Ctx) => {
	const q = (name: string) => {
		const v = c.req.query(name)?.trim();
		return v ? v : undefined;
	};
	const time = (name: string) => {
		const v = q(name);
		if (!v) return undefined;
		const ms = Date.parse(/Z|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
		return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
	};
	return {
		webhookId: q("webhookId"),
		status: STATUSES.includes(q("status") ?? "") ? q("status") : undefined,
		eventType: q("eventType"),
		since: time("since"),
		until: time("until"),
	};
};

const queryOf = (filter: Record<string, string | undefined>) =>
	Object.entries(filter)
		.filter(([, v]) => v !== undefined)
		.map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`)
		.join("&");

const localInput = (iso: string | undefined) => (iso ? iso.slice(0, 16) : "");

consoleRoutes.get("/notifications", async (c) => {
	const filter = filterOf(c);
	const cursor = c.req.query("cursor");
	const query = queryOf({ ...filter, cursor, limit: "50" });
	const list = await api<{ data: Notification[]; nextCursor: string | null }>(c, "GET", `/v1/notifications?${query}`);
	// Names for the menu and the rows, straight from D1: no gate is asked.
	const live = await database(c.env)
		.select({ id: webhooks.id, name: webhooks.name })
		.from(webhooks)
		.where(isNull(webhooks.deletedAt))
		.orderBy(desc(webhooks.id))
		.limit(200);
	const names = new Map(live.map((w) => [w.id, w.name]));
	return page(
		c,
		"History",
		<>
			<h1>Communication history</h1>
			<form method="get" action="/console/notifications" class="filters card">
				<div>
					<label for="webhookId">Webhook</label>
					<select id="webhookId" name="webhookId">
						<option value="">All</option>
						{filter.webhookId && !names.has(filter.webhookId) && (
							<option value={filter.webhookId} selected>
								{filter.webhookId}
							</option>
						)}
						{live.map((w) => (
							<option value={w.id} selected={filter.webhookId === w.id}>
								{w.name}
							</option>
						))}
					</select>
				</div>
				<div>
					<label for="status">Status</label>
					<select id="status" name="status">
						<option value="">All</option>
						{STATUSES.map((s) => (
							<option value={s} selected={filter.status === s}>
								{s}
							</option>
						))}
					</select>
				</div>
				<div>
					<label for="eventType">Event type</label>
					<input id="eventType" name="eventType" value={filter.eventType ?? ""} />
				</div>
				<div>
					<label for="since">From (UTC)</label>
					<input id="since" name="since" type="datetime-local" value={localInput(filter.since)} />
				</div>
				<div>
					<label for="until">To (UTC)</label>
					<input id="until" name="until" type="datetime-local" value={localInput(filter.until)} />
				</div>
				<div>
					<button type="submit">Filter</button>
				</div>
			</form>
			{!list.ok && <div class="alert bad">{problemText(list.problem).join("; ")}</div>}
			<div class="actions">
				<a href={`/console/notifications/resend?${queryOf({ ...filter, status: "failed" })}`}>
					Re-send the failed ones of this filter…
				</a>
				{filter.status === "skipped" && (
					<a href={`/console/notifications/resend?${queryOf(filter)}`}>Re-send the skipped ones of this filter…</a>
				)}
			</div>
			<div class="scroll">
				<table>
					<thead>
						<tr>
							<th>Created</th>
							<th>Status</th>
							<th>Event type</th>
							<th class="optional">Webhook</th>
							<th>Attempts</th>
							<th class="optional">Last error</th>
						</tr>
					</thead>
					<tbody>
						{(list.body.data ?? []).map((n) => (
							<tr>
								<td>
									<a href={`/console/notifications/${n.id}`}>
										<When at={n.createdAt} />
									</a>
								</td>
								<td>
									<Badge value={n.status} />
								</td>
								<td>{n.eventType}</td>
								<td class="optional">{names.get(n.webhookId) ?? n.webhookId}</td>
								<td>{n.attemptCount}</td>
								<td class="optional">{n.lastError ?? ""}</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
			{list.ok && list.body.data.length === 0 && <p class="muted">Nothing matches.</p>}
			{list.body.nextCursor && (
				<p>
					<a href={`/console/notifications?${queryOf({ ...filter, cursor: list.body.nextCursor })}`}>Older</a>
				</p>
			)}
		</>,
	);
});

/** How many notifications a bulk re-send with this filter would move (the API's own conditions). */
const countMatching = async (env: Env, filter: ReturnType<typeof filterOf>) => {
	const [row] = await database(env)
		.select({ n: count() })
		.from(notifications)
		.where(
			and(
				eq(notifications.status, (filter.status ?? "failed") as "failed"),
				// The API re-sends only notifications whose webhook exists and is enabled.
				inArray(
					notifications.webhookId,
					database(env)
						.select({ id: webhooks.id })
						.from(webhooks)
						.where(and(isNull(webhooks.deletedAt), eq(webhooks.enabled, true))),
				),
				filter.webhookId ? eq(notifications.webhookId, filter.webhookId) : undefined,
				filter.eventType ? eq(notifications.eventType, filter.eventType) : undefined,
				filter.since ? gte(notifications.createdAt, Date.parse(filter.since)) : undefined,
				filter.until ? lt(notifications.createdAt, Date.parse(filter.until)) : undefined,
			),
		);
	return row?.n ?? 0;
};

const BULK_STATUSES = ["failed", "skipped"];

consoleRoutes.get("/notifications/resend", async (c) => {
	const asked = filterOf(c);
	const filter = { ...asked, status: BULK_STATUSES.includes(asked.status ?? "") ? asked.status : "failed" };
	const n = await countMatching(c.env, filter);
	return page(
		c,
		"Re-send",
		<>
			<h1>Re-send {filter.status} notifications</h1>
			<form method="post" action="/console/notifications/resend" class="card">
				<Csrf token={c.get("session").csrf} />
				{Object.entries(filter).map(([k, v]) => (v ? <input type="hidden" name={k} value={v} /> : null))}
				<p id="resend-count">
					{n === 0
						? `No ${filter.status} notification of an enabled webhook matches this filter.`
						: `Re-send ${n} ${filter.status} notification${n === 1 ? "" : "s"}${n > 10000 ? " (10,000 per run; run it again for the rest)" : ""}? Each gets a fresh series of attempts with the stored request and the same idempotency key.`}
				</p>
				<div class="actions">
					{n > 0 && <button type="submit">Re-send {n}</button>}
					<a href={`/console/notifications?${queryOf(filter)}`}>Back</a>
				</div>
			</form>
		</>,
	);
});

consoleRoutes.post("/notifications/resend", async (c) => {
	const form = await c.req.parseBody();
	const field = (name: string) => (typeof form[name] === "string" && form[name] ? (form[name] as string) : undefined);
	const result = await api<{ count: number }>(c, "POST", "/v1/notifications/resend", {
		status: BULK_STATUSES.includes(field("status") ?? "") ? field("status") : "failed",
		webhookId: field("webhookId"),
		eventType: field("eventType"),
		since: field("since"),
		until: field("until"),
	});
	const message = result.ok ? `${result.body.count} re-sent.` : `Failed: ${problemText(result.problem).join("; ")}`;
	return page(
		c,
		"Re-send",
		<>
			<h1>Re-send</h1>
			<div class={`alert ${result.ok ? "good" : "bad"}`}>{message}</div>
			<a href="/console/notifications">Back to the history</a>
		</>,
	);
});

consoleRoutes.get("/notifications/:id", async (c) => {
	const found = await api<Notification>(c, "GET", `/v1/notifications/${encodeURIComponent(c.req.param("id"))}`);
	if (!found.ok) return notFound(c, "This notification");
	const n = found.body;
	const request = n.request;
	return page(
		c,
		`Notification ${n.id}`,
		<>
			<h1>
				Notification <code>{n.id}</code>
			</h1>
			<Flash c={c} />
			<div class="card">
				<p>
					<Badge value={n.status} /> {n.eventType} · event <code>{n.eventId}</code> · webhook{" "}
					<a href={`/console/webhooks/${n.webhookId}`}>{n.webhookId}</a>
				</p>
				<p class="muted">
					Created <When at={n.createdAt} />; series {n.series} ({n.trigger}); {n.attemptCount} attempt
					{n.attemptCount === 1 ? "" : "s"} in this series
					{n.nextAttemptAt ? (
						<>
							; next <When at={n.nextAttemptAt} />
						</>
					) : null}
					{n.lastError ? `; last error: ${n.lastError}` : ""}
				</p>
				<form method="post" action={`/console/notifications/${n.id}/resend`} class="actions">
					<Csrf token={c.get("session").csrf} />
					<button type="submit">Re-send</button>
				</form>
			</div>
			<h2>Request, as stored at send-out</h2>
			{request ? (
				<pre id="request">
					{`${request.method} ${request.url}\n${Object.entries(request.headers)
						.map(([k, v]) => `${k}: ${v}`)
						.join("\n")}\n\n${pretty(request.body, request.headers["content-type"])}`}
				</pre>
			) : (
				<p class="muted">Not sent yet: the request is computed and stored at the first send-out.</p>
			)}
			<h2>Attempts</h2>
			<ol class="timeline" id="attempts">
				{(n.attempts ?? []).map((a) => (
					<li class={a.succeeded ? "ok" : "bad"}>
						<strong>
							#{a.number} (series {a.series}, {a.trigger})
						</strong>{" "}
						<When at={a.startedAt} /> · {a.durationMs} ms ·{" "}
						{a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.errorKind ?? "")}
						{a.error && a.error !== `HTTP ${a.statusCode}` ? ` · ${a.error}` : ""}
						{a.responseExcerpt ? <pre>{a.responseExcerpt}</pre> : null}
					</li>
				))}
			</ol>
			{(n.attempts ?? []).length === 0 && <p class="muted">No attempts yet.</p>}
		</>,
	);
});

consoleRoutes.post("/notifications/:id/resend", async (c) => {
	const id = c.req.param("id");
	const result = await api(c, "POST", `/v1/notifications/${encodeURIComponent(id)}/resend`);
	const outcome = result.ok ? "ok=resent" : `err=${encodeURIComponent(problemText(result.problem).join("; "))}`;
	return c.redirect(`/console/notifications/${encodeURIComponent(id)}?${outcome}`, 303);
});

// ── Sender IPs ───────────────────────────────────────────────────────────────

consoleRoutes.get("/sender-ips", async (c) => {
	const ips = readConfig(c.env).senderIps;
	return page(
		c,
		"Sender IPs",
		<>
			<h1>Sender IP addresses</h1>
			<p>
				The addresses receivers can allow-list (SENDER_IPS). With the egress proxy configured, every delivery comes from
				one of them.
			</p>
			{ips.length === 0 ? (
				<p class="muted">
					None configured (SENDER_IPS). Without an egress proxy, deliveries come from Cloudflare's network.
				</p>
			) : (
				<ul id="sender-ips">
					{ips.map((ip) => (
						<li>
							<code>{ip}</code>
						</li>
					))}
				</ul>
			)}
			<p class="muted">
				The same list is public at <code>GET /v1/sender-ips</code>.
			</p>
		</>,
	);
});

consoleRoutes.onError((err, c) => {
	// hono/csrf refuses a cross-origin post with a 403 of its own.
	if (err instanceof HTTPException) return err.getResponse();
	console.error(JSON.stringify({ msg: "console error", path: c.req.path, error: String(err) }));
	return c.html(
		<Layout title="Error">
			<h1>Something went wrong</h1>
			<p>The console could not show this page. The error is in the worker's log.</p>
		</Layout>,
		500,
	);
});
