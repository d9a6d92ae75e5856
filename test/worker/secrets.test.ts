// Secrets at rest: sealed values bound to their webhook and column, values
// sealed the first way (v1) still opening and sealed afresh on the next write,
// keys derived per purpose with HKDF, and ENCRYPTION_KEY rotated through a
// list and POST /v1/webhooks/reseal.

import { generateSignedCookie } from "hono/cookie";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { fromBase64, toBase64 } from "../../src/base64";
import { deliver } from "../../src/delivery/consumer";
import { type SealBinding, unseal } from "../../src/secrets";
import { keyring } from "../../src/secrets/keyring";
import { resealRow, resealUpdate } from "../../src/webhooks/sealing";
import { findWebhook } from "../../src/webhooks/service";
import { ADMIN, api, createWebhook, defaultShard as env, received, seedNotification, uniqueTag } from "./helpers";

const KEY = env.ENCRYPTION_KEY;
const NEW_KEY = toBase64(new TextEncoder().encode("hookline-next-test-key-32-bytes!"));

type Row = { secret_sealed: string; previous_secret_sealed: string | null; auth_password_sealed: string | null };
const rowOf = async (id: string) =>
	(await env.DB.prepare("select * from webhooks where id = ?").bind(id).first<Row>()) as Row;
const setColumns = (id: string, columns: Partial<Row>) =>
	env.DB.prepare(
		`update webhooks set ${Object.keys(columns)
			.map((c) => `${c} = ?`)
			.join(", ")} where id = ?`,
	)
		.bind(...Object.values(columns), id)
		.run();

/** A value sealed as the first version did: AES-GCM under the master key itself, bound to nothing. */
const sealV1 = async (plaintext: string, key = KEY) => {
	const aes = await crypto.subtle.importKey("raw", fromBase64(key), "AES-GCM", false, ["encrypt"]);
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, new TextEncoder().encode(plaintext));
	return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(data))}`;
};

const hookWithAuth = async (password: string) => {
	const tag = uniqueTag("sealed");
	const hook = await createWebhook({
		url: `${env.RECEIVER_URL}/ok/${tag}`,
		auth: { type: "basic", username: "acme", password },
	});
	return { ...hook, tag };
};

/** Delivers one notification for `hook` with `settings` and answers what the receiver got. */
const deliverOnce = async (hook: { id: string; tag: string }, settings: Partial<Env> = {}) => {
	const { id } = await seedNotification(hook.id);
	await deliver({ ...env, ...settings }, id);
	const got = (await received(hook.tag)).at(-1);
	if (!got) throw new Error("nothing received");
	return got;
};

const withKeys = (ENCRYPTION_KEY: string) => ({ ...env, ENCRYPTION_KEY });

/** POST /v1/webhooks/reseal page by page until done, summed. */
const resealAll = async (encryptionKey: string) => {
	let cursor: string | undefined;
	const total = { checked: 0, resealed: 0, unreadable: [] as { webhookId: string; column: string }[] };
	do {
		const res = await app.request(
			"/v1/webhooks/reseal",
			{
				method: "POST",
				headers: { authorization: ADMIN, "content-type": "application/json" },
				body: JSON.stringify({ limit: 2, ...(cursor ? { cursor } : {}) }),
			},
			withKeys(encryptionKey),
		);
		expect(res.status).toBe(200);
		const page = (await res.json()) as typeof total & { nextCursor: string | null };
		total.checked += page.checked;
		total.resealed += page.resealed;
		total.unreadable.push(...page.unreadable);
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return total;
};

const signInCookie = async (settings: Env) => {
	const res = await app.request(
		"/console/login",
		{
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" },
			body: new URLSearchParams({ token: "test-admin-token" }).toString(),
		},
		settings,
	);
	return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
};
const consoleStatus = async (cookie: string, settings: Env) =>
	(await app.request("/console/sender-ips", { headers: { cookie } }, settings)).status;

describe("sealed secrets", () => {
	it("binds each sealed value to its webhook and column: a copy elsewhere does not open", async () => {
		const a = await hookWithAuth("password-of-a");
		const b = await hookWithAuth("password-of-b");
		const rowA = await rowOf(a.id);
		expect(rowA.secret_sealed).toMatch(/^v2\.[0-9a-f]{16}\./);
		const at = (webhookId: string, column: SealBinding["column"]) => ({ webhookId, column });
		expect(await unseal(rowA.secret_sealed, KEY, at(a.id, "secret"))).toBe(a.secret);
		expect(await unseal(rowA.auth_password_sealed as string, KEY, at(a.id, "auth_password"))).toBe("password-of-a");
		await expect(unseal(rowA.secret_sealed, KEY, at(b.id, "secret"))).rejects.toThrow(/does not open/);
		await expect(unseal(rowA.secret_sealed, KEY, at(a.id, "previous_secret"))).rejects.toThrow(/does not open/);
		await expect(unseal(rowA.secret_sealed, KEY, at(a.id, "auth_password"))).rejects.toThrow(/does not open/);

		// A's sealed secret and password copied into B's row: B's delivery cannot use them.
		await setColumns(b.id, { secret_sealed: rowA.secret_sealed, auth_password_sealed: rowA.auth_password_sealed });
		const { id } = await seedNotification(b.id);
		await expect(deliver(env, id)).rejects.toThrow(/does not open/);
		expect(await received(b.tag)).toEqual([]);
	});

	it("still opens values sealed the first way (v1), and seals them bound on the next write", async () => {
		const hook = await hookWithAuth("unused");
		await setColumns(hook.id, {
			secret_sealed: await sealV1(hook.secret),
			auth_password_sealed: await sealV1("old-password"),
		});
		const before = await deliverOnce(hook);
		expect(before.headers.authorization).toBe(`Basic ${btoa("acme:old-password")}`);
		expect(new Webhook(hook.secret).verify(before.body, before.headers)).toBeTruthy();

		// A change of something else seals both afresh, bound; the password kept is the same.
		expect((await api(`/v1/webhooks/${hook.id}`, { method: "PATCH", body: { name: "renamed" } })).status).toBe(200);
		const row = await rowOf(hook.id);
		expect(row.secret_sealed).toMatch(/^v2\./);
		expect(row.auth_password_sealed).toMatch(/^v2\./);
		const after = await deliverOnce(hook);
		expect(after.headers.authorization).toBe(`Basic ${btoa("acme:old-password")}`);
		expect(new Webhook(hook.secret).verify(after.body, after.headers)).toBeTruthy();

		// On rotation the old secret moves to its own column, sealed for it, and still signs.
		await setColumns(hook.id, { secret_sealed: await sealV1(hook.secret) });
		const rotated = await api(`/v1/webhooks/${hook.id}/rotate-secret`, { method: "POST", body: {} });
		const { secret } = (await rotated.json()) as { secret: string };
		const previous = (await rowOf(hook.id)).previous_secret_sealed as string;
		expect(previous).toMatch(/^v2\./);
		expect(await unseal(previous, KEY, { webhookId: hook.id, column: "previous_secret" })).toBe(hook.secret);
		const both = await deliverOnce(hook);
		expect(new Webhook(secret).verify(both.body, both.headers)).toBeTruthy();
		expect(new Webhook(hook.secret).verify(both.body, both.headers)).toBeTruthy();
	});

	it("never writes a value sealed afresh over one written since it was read", async () => {
		const hook = await hookWithAuth("pw");
		await setColumns(hook.id, { secret_sealed: await sealV1(hook.secret) });
		const read = await findWebhook(env, "default", hook.id);
		const { columns } = await resealRow(read, KEY);
		expect(columns.secretSealed).toMatch(/^v2\./);
		// A rotation lands between the read and the write: its new secret stays.
		const rotated = await api(`/v1/webhooks/${hook.id}/rotate-secret`, { method: "POST", body: {} });
		const { secret } = (await rotated.json()) as { secret: string };
		await resealUpdate(env, read, columns);
		const stored = (await rowOf(hook.id)).secret_sealed;
		expect(await unseal(stored, KEY, { webhookId: hook.id, column: "secret" })).toBe(secret);
	});

	it("rotates a secret that no longer opens, without a window for it", async () => {
		const hook = await hookWithAuth("pw");
		await setColumns(hook.id, { secret_sealed: await sealV1("whsec_x", NEW_KEY) });
		const res = await api(`/v1/webhooks/${hook.id}/rotate-secret`, { method: "POST", body: {} });
		expect(res.status).toBe(200);
		expect(((await res.json()) as { previousSecretExpiresAt: unknown }).previousSecretExpiresAt).toBeNull();
		expect((await rowOf(hook.id)).previous_secret_sealed).toBeNull();
	});
});

describe("keys derived from ENCRYPTION_KEY", () => {
	it("seals under a key derived for sealing, not the master key", async () => {
		const hook = await hookWithAuth("pw");
		const [, , iv = "", data = ""] = (await rowOf(hook.id)).secret_sealed.split(".");
		const master = await crypto.subtle.importKey("raw", fromBase64(KEY), "AES-GCM", false, ["decrypt"]);
		const additionalData = new TextEncoder().encode(`webhook:${hook.id}:secret`);
		await expect(
			crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv), additionalData }, master, fromBase64(data)),
		).rejects.toThrow();
	});

	it("signs console sessions with a key derived for sessions: neither the master key nor the sealing key", async () => {
		const tag = [
			...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("console:test-admin-token"))),
		]
			.map((b) => b.toString(16).padStart(2, "0"))
			.join("")
			.slice(0, 16);
		const value = `${Date.now() + 3_600_000}.${crypto.randomUUID()}.${tag}`;
		const forged = async (secret: string | Uint8Array) =>
			(await generateSignedCookie("hookline_session", value, secret, { path: "/console" })).split(";")[0] ?? "";
		const [derived] = await keyring(KEY);
		// The session key itself signs a cookie the console takes (so the forgeries below are well made).
		expect(await consoleStatus(await forged(derived?.session as Uint8Array), env)).toBe(200);
		for (const secret of [fromBase64(KEY), `hookline-console-session:${KEY}`])
			expect(await consoleStatus(await forged(secret), env)).toBe(303);
	});
});

describe("rotating ENCRYPTION_KEY", () => {
	it("seals and signs with the first key, opens and verifies with every one, and /reseal moves all to the first", async () => {
		const rotating = `${NEW_KEY}, ${KEY}`;
		const [newKey] = await keyring(NEW_KEY);
		const hook = await hookWithAuth("rotate-me");
		const oldSession = await signInCookie(env);

		// New first, old still listed: what the old key sealed and signed still works.
		expect(await consoleStatus(oldSession, withKeys(rotating))).toBe(200);
		const during = await deliverOnce(hook, { ENCRYPTION_KEY: rotating });
		expect(during.headers.authorization).toBe(`Basic ${btoa("acme:rotate-me")}`);
		// A new session is signed with the new key: the old key alone does not verify it.
		const newSession = await signInCookie(withKeys(rotating));
		expect(await consoleStatus(newSession, withKeys(rotating))).toBe(200);
		expect(await consoleStatus(newSession, env)).toBe(303);

		const first = await resealAll(rotating);
		expect(first.resealed).toBeGreaterThanOrEqual(1);
		// (Only the row the first test filled with another webhook's values stays unreadable.)
		expect(first.unreadable.map((u) => u.webhookId)).not.toContain(hook.id);
		expect((await rowOf(hook.id)).secret_sealed.startsWith(`v2.${newKey?.id}.`)).toBe(true);
		expect((await resealAll(rotating)).resealed).toBe(0);

		// The old key dropped: everything still opens; sessions it signed end.
		const after = await deliverOnce(hook, { ENCRYPTION_KEY: NEW_KEY });
		expect(after.headers.authorization).toBe(`Basic ${btoa("acme:rotate-me")}`);
		expect(new Webhook(hook.secret).verify(after.body, after.headers)).toBeTruthy();
		expect(await consoleStatus(oldSession, withKeys(NEW_KEY))).toBe(303);
		expect(await consoleStatus(newSession, withKeys(NEW_KEY))).toBe(200);

		// A value under a key no longer listed is reported, and left as it is.
		const stranded = await hookWithAuth("stranded");
		const report = await resealAll(NEW_KEY);
		expect(report.unreadable).toEqual(
			expect.arrayContaining([
				{ webhookId: stranded.id, column: "secret" },
				{ webhookId: stranded.id, column: "auth_password" },
			]),
		);
		// Back to the test key for whatever runs next in this file.
		const back = await resealAll(`${KEY},${NEW_KEY}`);
		expect(back.unreadable.map((u) => u.webhookId)).not.toContain(stranded.id);
		expect((await rowOf(hook.id)).secret_sealed.startsWith(`v2.${(await keyring(KEY))[0]?.id}.`)).toBe(true);
	});
});
