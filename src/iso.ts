// Timestamps as the API shows them: milliseconds since the epoch in, ISO 8601 (UTC) out.
export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
