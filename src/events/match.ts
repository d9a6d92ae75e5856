// Event filters: "*" matches every type, "loan.*" every type under "loan.",
// anything else exactly one type.
export const matchesEventType = (patterns: readonly string[], type: string) =>
	patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
