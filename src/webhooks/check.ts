// Checks a webhook's templates when it is created, changed or previewed: each
// must parse, and together they must shape a valid request for an event.
import { type ShapeError, type StoredRequest, shapeRequest } from "../attempt/request";
import { validationProblem } from "../http/problem";
import type { TargetPolicy } from "../security/target";
import { parseTemplate, type TemplateView, unescapedTags } from "../templates";
import type { WebhookFields } from "./schema";

export type SampleEvent = { id?: string; type?: string; occurredAt?: string; data?: Record<string, unknown> };

export const sampleView = (
	webhook: { id: string; name: string; eventTypes: string[] },
	event: SampleEvent = {},
	notificationId = "ntf_sample",
): TemplateView => ({
	event: {
		id: event.id ?? "evt_sample",
		type: event.type ?? webhook.eventTypes.find((t) => !t.includes("*")) ?? "sample.event",
		occurredAt: new Date(event.occurredAt ?? 0).toISOString(),
	},
	data: event.data ?? {},
	webhook: { id: webhook.id, name: webhook.name },
	notification: { id: notificationId },
});

/** The request these templates shape for `view`, or a 400 problem naming each field at fault. */
export const shapeOrProblem = (
	webhook: WebhookFields,
	view: TemplateView,
	{ policy, forWhat = "" }: { policy: TargetPolicy; forWhat?: string },
): StoredRequest => {
	const templates: [string, string | null][] = [
		["url", webhook.url],
		["payloadTemplate", webhook.payloadTemplate],
		...Object.entries(webhook.headers).map(([name, value]): [string, string] => [`headers.${name}`, value]),
	];
	const errors = templates.flatMap(([path, template]) => {
		if (template === null) return [];
		try {
			parseTemplate(template);
			return [];
		} catch (err) {
			return [{ path, message: `template does not parse: ${(err as Error).message}` }];
		}
	});
	if (errors.length === 0) {
		// Unescaped values in a URL would let event data choose the host or path.
		for (const tag of unescapedTags(webhook.url)) {
			errors.push({ path: "url", message: `"${tag.name}" at ${tag.at} is unescaped; URL values must use {{name}}` });
		}
	}
	const names = Object.keys(webhook.headers).map((h) => h.toLowerCase());
	for (const [i, name] of names.entries()) {
		if (names.indexOf(name) !== i)
			errors.push({ path: `headers.${name}`, message: "is given twice (header names ignore case)" });
	}
	if (webhook.auth && names.includes("authorization")) {
		errors.push({ path: "headers.authorization", message: "conflicts with auth; set one or the other" });
	}
	if (errors.length > 0) throw validationProblem(errors);
	try {
		return shapeRequest(webhook, view, { policy });
	} catch (err) {
		const shapeError = err as ShapeError;
		if (shapeError.name !== "ShapeError") throw err;
		throw validationProblem([{ path: shapeError.field, message: `${shapeError.message}${forWhat}` }]);
	}
};

/** At create and patch: the templates must shape a request for a sample event with empty data. */
export const checkTemplates = (webhook: WebhookFields & { id: string }, { policy }: { policy: TargetPolicy }) =>
	shapeOrProblem(webhook, sampleView(webhook), { policy, forWhat: " (for a sample event with empty data)" });
