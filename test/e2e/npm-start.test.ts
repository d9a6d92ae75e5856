// `npm start` and the DevTools inspector: off by default (it traces every
// subrequest into wrangler's Node process, docs/performance-log.md), on with
// HOOKLINE_INSPECTOR=1 at HOOKLINE_INSPECTOR_PORT. Either way Hookline serves.
import { describe, expect, it } from "vitest";
import { freePort, startHookline } from "../support/local-hookline.ts";

/** What the inspector lists at `port`, or the error that says nothing listens there. */
const inspectorTargets = async (port: number) => {
	try {
		const res = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(5000) });
		return (await res.json()) as { webSocketDebuggerUrl?: string }[];
	} catch (err) {
		return err as Error;
	}
};

const ingests = async (url: string, token: string) =>
	(
		await fetch(`${url}/v1/events`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ type: "inspector.check", data: {} }),
		})
	).status;

describe("npm start and the DevTools inspector", () => {
	it("starts without the inspector by default", async () => {
		const port = await freePort();
		const hookline = await startHookline({ env: { HOOKLINE_INSPECTOR_PORT: String(port) } });
		try {
			expect(await ingests(hookline.url, hookline.ingestToken)).toBe(202);
			expect(await inspectorTargets(port)).toBeInstanceOf(Error);
			expect(hookline.output()).toMatch(/DevTools inspector off/);
		} finally {
			await hookline.stop();
		}
	});

	it("starts with it on HOOKLINE_INSPECTOR_PORT when HOOKLINE_INSPECTOR=1", async () => {
		const port = await freePort();
		const hookline = await startHookline({ env: { HOOKLINE_INSPECTOR: "1", HOOKLINE_INSPECTOR_PORT: String(port) } });
		try {
			expect(await ingests(hookline.url, hookline.ingestToken)).toBe(202);
			const targets = await inspectorTargets(port);
			expect(targets).not.toBeInstanceOf(Error);
			expect((targets as { webSocketDebuggerUrl?: string }[])[0]?.webSocketDebuggerUrl).toContain(`:${port}/`);
		} finally {
			await hookline.stop();
		}
	});
});
