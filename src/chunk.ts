// Splitting work under the platform's per-call bounds.

/** Splits `items` into runs of `size` (D1 allows 100 bound parameters per statement; queues 100 messages per call). */
export const chunk = <T>(items: T[], size: number): T[][] => {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
};
