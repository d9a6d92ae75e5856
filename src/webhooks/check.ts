// Checks a webhook's templates when it is created or changed: each must parse,
// and together they must shape a valid request for a sample event.
import { type ShapeError, shapeRequest } from "../delivery/request";
import { validationProblem } from "../http/problem";
import { parseTemplate, type TemplateView } from "../templates";
import type { WebhookFields } from "./schema";

export const sampleView = (webhook: { id: string; name: string; eventTypes: string[] }): TemplateView => {
	const concrete = webhook.eventTypes.find((t) => !t.includes("*"));
	return {
		event: { id: "evt_sample", type: concrete ?? "sample.event", occurredAt: new Date(0).toISOString() },
		data: {},
		webhook: { id: webhook.id, name: webhook.name },
		notification: { id: "ntf_sample" },
	};
};

export const checkTemplates = (webhook: WebhookFields & { id: string }, { allowHttp }: { allowHttp: boolean }) => {
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
	if (errors.length > 0) throw validationProblem(errors);
	try {
		shapeRequest(webhook, sampleView(webhook), { allowHttp });
	} catch (err) {
		const shapeError = err as ShapeError;
		if (shapeError.name !== "ShapeError") throw err;
		throw validationProblem([{ path: shapeError.field, message: `${shapeError.message} (for a sample event)` }]);
	}
};
