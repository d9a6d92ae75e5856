// Sender IPs: the addresses receivers allow-list, as the public
// GET /v1/sender-ips lists them.
import { Hono } from "hono";
import { page, type WebEnv } from "../render";

export const senderIpsPage = new Hono<WebEnv>().get("/sender-ips", async (c) => {
	const answer = await c.get("api").senderIps();
	if (!answer.ok) throw new Error(`GET /v1/sender-ips answered ${answer.status}`);
	const { ips } = answer.body;
	return page(
		c,
		"Sender IPs",
		<>
			<h1>Sender IP addresses</h1>
			<p>
				The addresses receivers can allow-list (SENDER_IPS). With the egress proxy configured, every delivery comes from
				one of them.
			</p>
			{ips.length === 0 ? (
				<p class="muted">
					None configured (SENDER_IPS). Without an egress proxy, deliveries come from Cloudflare's network.
				</p>
			) : (
				<ul id="sender-ips">
					{ips.map((ip) => (
						<li>
							<code>{ip}</code>
						</li>
					))}
				</ul>
			)}
			<p class="muted">
				The same list is public at <code>GET /v1/sender-ips</code>.
			</p>
		</>,
	);
});
