// Reads an NDJSON body (the pull stream's) one line at a time, as the lines
// come; for the worker and the end-to-end tests alike (no Node or workerd API).

/** `next()` answers the next line parsed, or null once the body has ended. */
export const ndjsonLines = <T>(body: ReadableStream<Uint8Array>) => {
	const reader = body.getReader();
	const decoder = new TextDecoder();
	let buffer = "";
	const next = async (): Promise<T | null> => {
		for (;;) {
			const at = buffer.indexOf("\n");
			if (at >= 0) {
				const line = buffer.slice(0, at);
				buffer = buffer.slice(at + 1);
				return JSON.parse(line) as T;
			}
			const { done, value } = await reader.read();
			if (done) return null;
			buffer += decoder.decode(value, { stream: true });
		}
	};
	return { next, cancel: () => reader.cancel() };
};
