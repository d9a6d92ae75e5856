// Sender IPs: the addresses receivers allow-list, as the public
// GET /v1/sender-ips lists them by region. The console shows every region and
// marks the one the picked tenant sends from; the portal shows its tenant's
// region alone.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { page, type WebContext, type WebEnv } from "../render";

type RegionIps = { name: string; ips: string[] };

/** The region the page's tenant sends from: the portal's session tenant, or the console's picked one. */
const tenantRegionOf = (c: WebContext) => {
	const shell = c.get("shell");
	return shell.kind === "portal" ? shell.tenantRegion : (c.get("picker")?.picked?.region ?? null);
};

const RegionBlock: FC<{ region: RegionIps; tenants: boolean }> = ({ region, tenants }) => (
	<section class="card" data-region={region.name}>
		<h2>
			Region <code>{region.name}</code>
			{tenants && <span class="muted"> (this tenant's)</span>}
		</h2>
		{region.ips.length === 0 ? (
			<p class="muted">No sender IPs listed for this region.</p>
		) : (
			<ul class="sender-ips">
				{region.ips.map((ip) => (
					<li>
						<code>{ip}</code>
					</li>
				))}
			</ul>
		)}
	</section>
);

export const senderIpsPage = new Hono<WebEnv>().get("/sender-ips", async (c) => {
	const answer = await c.get("api").senderIps();
	if (!answer.ok) throw new Error(`GET /v1/sender-ips answered ${answer.status}`);
	const mine = tenantRegionOf(c);
	const portal = c.get("shell").kind === "portal";
	// The portal shows its tenant's region alone; the console every region.
	const shown = portal ? answer.body.regions.filter((r) => r.name === mine) : answer.body.regions;
	return page(
		c,
		"Sender IPs",
		<>
			<h1>Sender IP addresses</h1>
			<p>
				The addresses receivers can allow-list. Each delivery leaves from its webhook's region (the tenant's, unless the
				webhook names another), through that region's egress proxy.
			</p>
			{shown.length === 0 ? (
				<p class="muted">
					No regions configured (REGIONS). Deliveries go directly from Cloudflare's network, from no fixed address.
				</p>
			) : (
				<div id="sender-ips">
					{shown.map((region) => (
						<RegionBlock region={region} tenants={region.name === mine && !portal} />
					))}
				</div>
			)}
			<p class="muted">
				The same list is public at <code>GET /v1/sender-ips</code>
				{portal ? "" : ", by region"}.
			</p>
		</>,
	);
});
