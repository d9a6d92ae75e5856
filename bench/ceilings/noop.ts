// Ceiling for ingest: a worker that accepts every POST and answers 202, on
// the same runtime and path as Hookline.
export default {
	fetch: async (request) => {
		await request.arrayBuffer();
		return Response.json({ accepted: true }, { status: 202 });
	},
} satisfies ExportedHandler;
