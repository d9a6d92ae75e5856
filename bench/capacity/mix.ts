// The workload of `npm run bench:capacity`: tenants spread over both shards by
// Hookline's own placement, two webhooks each, and events of three sizes. Every
// event goes to webhook `everything`, whose receiver always answers 200;
// invoices and statements also go to `billing`, with its own payload template
// and header, whose receiver fails a share of requests, so some notifications
// retry and a few end `failed`. Event data comes from a seeded generator, so
// every run stores the same bytes: varied like real data (ids, amounts, names,
// dates), not a repeated string that would flatter compression.

/** A small, fast, seeded PRNG (mulberry32): the same sequence on every run. */
export const seeded = (seed: number) => {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
};

type Random = () => number;

const pick = <T>(r: Random, items: readonly T[]) => items[Math.floor(r() * items.length)] as T;
const digits = (r: Random, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join("");
const cents = (r: Random, max: number) => Math.round(r() * max * 100) / 100;
const day = (r: Random) => new Date(Date.UTC(2026, Math.floor(r() * 12), 1 + Math.floor(r() * 28))).toISOString();

const WORDS = [
	"account",
	"fee",
	"monthly",
	"service",
	"transfer",
	"card",
	"payment",
	"interest",
	"loan",
	"instalment",
	"insurance",
	"premium",
	"refund",
	"adjustment",
	"standing",
	"order",
	"salary",
	"rent",
	"utilities",
	"subscription",
];
const NAMES = ["Acme GmbH", "Nordbank AG", "Jane Smith", "Müller & Söhne", "Café Lumière", "Orbit Ltd", "K. Tanaka"];
const words = (r: Random, n: number) => Array.from({ length: n }, () => pick(r, WORDS)).join(" ");

const order = (r: Random) => ({
	orderId: `ORD-${digits(r, 8)}`,
	customerId: `CUS-${digits(r, 6)}`,
	amount: cents(r, 900),
	currency: pick(r, ["EUR", "USD", "GBP"]),
	channel: pick(r, ["web", "branch", "mobile"]),
	placedAt: day(r),
	items: Array.from({ length: 2 }, () => ({ sku: `SKU-${digits(r, 5)}`, quantity: 1 + Math.floor(r() * 3) })),
});

const invoice = (r: Random) => ({
	invoiceId: `INV-${digits(r, 9)}`,
	accountId: `ACC-${digits(r, 8)}`,
	issuedAt: day(r),
	dueAt: day(r),
	currency: "EUR",
	total: cents(r, 5000),
	lines: Array.from({ length: 12 }, () => ({
		description: words(r, 3 + Math.floor(r() * 4)),
		quantity: 1 + Math.floor(r() * 5),
		unitPrice: cents(r, 300),
		taxRate: pick(r, [0, 0.07, 0.19]),
		amount: cents(r, 900),
	})),
});

const statement = (r: Random) => ({
	accountId: `ACC-${digits(r, 8)}`,
	iban: `DE${digits(r, 20)}`,
	period: { from: day(r), to: day(r) },
	openingBalance: cents(r, 20_000),
	closingBalance: cents(r, 20_000),
	transactions: Array.from({ length: 120 }, () => ({
		id: `TX-${digits(r, 10)}`,
		bookedAt: day(r),
		amount: cents(r, 2000) * (r() < 0.7 ? -1 : 1),
		counterparty: pick(r, NAMES),
		reference: words(r, 2 + Math.floor(r() * 4)),
		category: pick(r, ["card", "transfer", "fee", "salary", "direct-debit"]),
	})),
});

/** The three kinds of event, by share of the events sent. */
export const KINDS = [
	{ type: "order.created", share: 0.6, data: order },
	{ type: "invoice.issued", share: 0.3, data: invoice },
	{ type: "statement.ready", share: 0.1, data: statement },
] as const;

export type EventKind = (typeof KINDS)[number]["type"];

/** Event `i` of the run: its kind (by share, interleaved) and its data. */
export const eventOf = (i: number, r: Random) => {
	// A golden-ratio spread: the shares hold over any stretch of events, not only on average.
	const x = (i * 0.618033988749895) % 1;
	let at = 0;
	for (const kind of KINDS) {
		at += kind.share;
		if (x < at) return { type: kind.type as EventKind, data: kind.data(r) };
	}
	const last = KINDS[KINDS.length - 1] as (typeof KINDS)[number];
	return { type: last.type as EventKind, data: last.data(r) };
};

/** Share of the billing receiver's requests answered 500. */
export const BILLING_FAILURE_SHARE = 0.25;
/** Both webhooks retry after 1, 2 and 4 s (four attempts), so a run settles in seconds. */
const RETRY_DELAYS = [1, 2, 4];

/** How the receiver answers: `billing` fails a seeded share of requests, everything else is 200. */
export const receiverBehaviour = (r: Random) => (req: { url?: string }) =>
	req.url?.startsWith("/billing/") && r() < BILLING_FAILURE_SHARE ? { status: 500 } : { status: 200 };

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

export const tenantIdOf = (i: number) => `cap${i}`;

/** Creates the tenants (Hookline places them, alternating shards) and their two webhooks. */
export const createTenants = async (api: Api, receiverUrl: string, count: number) => {
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		const id = tenantIdOf(i);
		await api("POST", "/v1/tenants", { id, name: `Capacity tenant ${i}` });
		await api("POST", `/v1/tenants/${id}/webhooks`, {
			name: "everything",
			eventTypes: ["*"],
			url: `${receiverUrl}/everything/${id}`,
			retryPolicy: { delaysSeconds: RETRY_DELAYS },
		});
		await api("POST", `/v1/tenants/${id}/webhooks`, {
			name: "billing",
			eventTypes: ["invoice.*", "statement.*"],
			url: `${receiverUrl}/billing/${id}/{{event.type}}`,
			headers: { "x-account": "{{data.accountId}}" },
			payloadTemplate:
				'{"kind":"{{event.type}}","eventId":"{{event.id}}","at":"{{event.occurredAt}}","account":"{{data.accountId}}","body":{{#json}}data{{/json}}}',
			retryPolicy: { delaysSeconds: RETRY_DELAYS },
		});
		ids.push(id);
	}
	return ids;
};

/** Notifications per event of each kind: every event to `everything`, billing events to `billing` too. */
export const notificationsPerEvent = (type: EventKind) => (type === "order.created" ? 1 : 2);
