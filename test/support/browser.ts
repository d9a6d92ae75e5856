// A Chromium for the browser tests that needs no apt and no browser download:
// CHROMIUM_PATH when set, Debian's /usr/bin/chromium when it is installed,
// otherwise the Chromium that the npm package @sparticuz/chromium ships inside
// itself (unpacked to the temp folder on first use).
import { accessSync, constants } from "node:fs";
import sparticuz from "@sparticuz/chromium";
import { type Browser, chromium } from "playwright-core";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

const isExecutable = (path: string) => {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
};

/** Where the browser comes from, in the order above. */
export const chromiumExecutable = async (): Promise<string> => {
	const chosen = process.env.CHROMIUM_PATH;
	if (chosen) {
		if (!isExecutable(chosen)) throw new Error(`CHROMIUM_PATH=${chosen} is not an executable file`);
		return chosen;
	}
	if (isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
	return sparticuz.executablePath();
};

/**
 * Headless Chromium with the flags this closed network needs: without the
 * background-networking ones it keeps trying to reach Google's hosts.
 */
export const launchChromium = async (): Promise<Browser> =>
	chromium.launch({
		executablePath: await chromiumExecutable(),
		args: [
			"--no-sandbox",
			"--no-zygote",
			"--disable-gpu",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			"--no-first-run",
		],
	});
