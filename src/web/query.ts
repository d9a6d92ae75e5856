// Query strings for the API's addresses and the console's own links (a
// history filter travels in the address, so it can be bookmarked).

/** `a=1&b=2` of the defined values, in the order given. */
export const queryOf = (params: Record<string, string | undefined>) =>
	Object.entries(params)
		.filter(([, v]) => v !== undefined)
		.map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`)
		.join("&");
