// Ceiling for delivery: each POST is forwarded with one fetch to the
// receiver, the least work a delivery can be.
export default {
	fetch: async (request, env) => {
		const body = await request.text();
		const res = await fetch(env.TARGET_URL, { method: "POST", headers: { "content-type": "application/json" }, body });
		await res.arrayBuffer();
		return new Response(null, { status: res.ok ? 202 : 502 });
	},
} satisfies ExportedHandler<{ TARGET_URL: string }>;
