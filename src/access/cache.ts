// A per-isolate cache for what the catalog says, read at most once per
// FRESH_MS per entry. Between FRESH_MS and STALE_MS an entry is still served
// while one refresh runs after the answer (in that request's waitUntil), so a
// busy isolate never stalls on the catalog and never sends a burst of the same
// read; past STALE_MS the request waits for a fresh read. No request ever
// awaits a promise another request started (Workers forbid it).

/** How long an entry is used as it is. */
export const FRESH_MS = 5_000;
/** How long it may be served while it is refreshed; a change in the catalog is seen everywhere within this. */
export const STALE_MS = 9_000;
/** Past this many entries a cache starts over, so unknown secrets or ids cannot grow it without bound. */
const MAX_ENTRIES = 10_000;

type Cached<T> = { value: T; readAt: number };

export type WaitUntil = (promise: Promise<unknown>) => void;

export const refreshingCache = <T>() => {
	const entries = new Map<string, Cached<T>>();
	const refreshing = new Set<string>();
	const store = (key: string, value: T, readAt: number) => {
		if (entries.size >= MAX_ENTRIES && !entries.has(key)) entries.clear();
		entries.set(key, { value, readAt });
	};
	return {
		async get(key: string, load: () => Promise<T>, waitUntil?: WaitUntil): Promise<T> {
			const now = Date.now();
			const hit = entries.get(key);
			if (hit && now - hit.readAt < FRESH_MS) return hit.value;
			if (hit && now - hit.readAt < STALE_MS && waitUntil) {
				if (!refreshing.has(key)) {
					refreshing.add(key);
					waitUntil(
						load()
							.then(
								(value) => store(key, value, Date.now()),
								(err) => console.error(JSON.stringify({ msg: "catalog refresh failed", error: String(err) })),
							)
							.finally(() => refreshing.delete(key)),
					);
				}
				return hit.value;
			}
			const value = await load();
			store(key, value, now);
			return value;
		},
		/** Sets an entry this isolate knows better than the catalog read it holds (it just changed it). */
		set(key: string, value: T) {
			store(key, value, Date.now());
		},
		forget(key: string) {
			entries.delete(key);
		},
		clear() {
			entries.clear();
		},
	};
};
