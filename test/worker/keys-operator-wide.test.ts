// GET /v1/keys?operatorWide=true: the operator-wide keys alone, which the
// console's Keys page lists beside the picked tenant's.
import { describe, expect, it } from "vitest";
import { api, uniqueTag } from "./helpers";

type KeyList = { data: { name: string; tenantId: string | null }[] };

describe("GET /v1/keys?operatorWide=true", () => {
	it("lists only operator-wide keys, not with tenantId, and only for an operator", async () => {
		const [tenantKey, wideKey] = [uniqueTag("tenant-key"), uniqueTag("wide-key")];
		const created = await api("/v1/keys", {
			method: "POST",
			body: { name: tenantKey, tenantId: "default", scopes: ["read"] },
		});
		const { secret } = (await created.json()) as { secret: string };
		await api("/v1/keys", { method: "POST", body: { name: wideKey, scopes: ["read"] } });

		const names = async (query: string) =>
			((await (await api(`/v1/keys?limit=200${query}`)).json()) as KeyList).data.map((k) => k.name);
		expect(await names("")).toEqual(expect.arrayContaining([tenantKey, wideKey]));
		const wide = await names("&operatorWide=true");
		expect(wide).toContain(wideKey);
		expect(wide).not.toContain(tenantKey);
		expect(await names("&operatorWide=false")).toEqual(expect.arrayContaining([tenantKey, wideKey]));

		expect((await api("/v1/keys?operatorWide=true&tenantId=default")).status).toBe(400);
		// A tenant's key never sees operator-wide keys.
		expect((await api("/v1/keys?operatorWide=true", { token: `Bearer ${secret}` })).status).toBe(403);
		expect((await api("/v1/keys", { token: `Bearer ${secret}` })).status).toBe(200);
	});
});
