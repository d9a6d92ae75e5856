// Times as the console's forms take them: a datetime-local input is read as
// UTC, whatever the browser's time zone, as every time on the pages is shown.

/** A datetime-local value, read as UTC, or a full ISO time; anything else is undefined. */
export const utcTimeOf = (value: string | undefined) => {
	if (!value) return undefined;
	const ms = Date.parse(/Z|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
	return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** An ISO time as a datetime-local input's value (UTC, to the minute). */
export const localInput = (iso: string | undefined) => (iso ? iso.slice(0, 16) : "");
