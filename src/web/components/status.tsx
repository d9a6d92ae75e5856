// How a state and a time read on every page: a coloured badge for a status,
// a circuit or enabled/disabled, and a UTC timestamp ("—" when there is none).
import type { FC } from "hono/jsx";

export const Badge: FC<{ value: string }> = ({ value }) => (
	<span class={`badge ${value}`}>{value.replace("_", "-")}</span>
);

export const When: FC<{ at: string | number | null | undefined }> = ({ at }) =>
	at === null || at === undefined ? (
		<span class="muted">—</span>
	) : (
		<time datetime={new Date(at).toISOString()}>
			{new Date(at)
				.toISOString()
				.replace("T", " ")
				.replace(/\.\d+Z$/, " UTC")}
		</time>
	);

/** A success rate as a whole percentage; "—" without attempts. */
export const percent = (rate: number | null | undefined) =>
	rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)} %`;
