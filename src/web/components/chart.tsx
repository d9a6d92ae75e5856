// The 24-hour delivery chart of a webhook: one bar per hour, current hour last,
// succeeded attempts in green under the failed ones in red. An SVG, so it needs
// no script and no image request.
import type { FC } from "hono/jsx";

const WIDTH = 120;
const HEIGHT = 28;

export const Chart: FC<{ hourly: { attempts: number; succeeded: number }[] }> = ({ hourly }) => {
	const max = Math.max(1, ...hourly.map((h) => h.attempts));
	const width = WIDTH / Math.max(1, hourly.length);
	const total = hourly.reduce((a, h) => a + h.attempts, 0);
	const ok = hourly.reduce((a, h) => a + h.succeeded, 0);
	return (
		<svg
			class="chart"
			viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
			role="img"
			aria-label={`${ok} of ${total} attempts succeeded in 24 h`}
		>
			<title>{`${ok} of ${total} attempts succeeded in the last 24 h`}</title>
			{hourly.map((h, i) => {
				const okHeight = (h.succeeded / max) * HEIGHT;
				const badHeight = ((h.attempts - h.succeeded) / max) * HEIGHT;
				return (
					<g>
						<rect class="ok" x={i * width} y={HEIGHT - okHeight} width={width - 1} height={okHeight} />
						<rect class="bad" x={i * width} y={HEIGHT - okHeight - badHeight} width={width - 1} height={badHeight} />
					</g>
				);
			})}
		</svg>
	);
};
