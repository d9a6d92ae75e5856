// Every request first checks the deployment's settings. A worker has no
// start-up to fail, so the first request (of any route, /healthz included)
// answers 503 naming each bad setting, and nothing runs on a guessed value.
import type { MiddlewareHandler } from "hono";
import { settingsProblem } from "../config";

export const requireSettings: MiddlewareHandler<{ Bindings: Env }> = async function requireSettings(c, next) {
	const problem = settingsProblem(c.env);
	if (problem) throw problem;
	await next();
};
