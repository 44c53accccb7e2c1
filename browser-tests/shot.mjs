// Temporary: screenshots of pages of a running server (not part of the suite).
import { chromium } from "playwright-core";
const [base, password, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${base}/sign-in`);
await page.fill("input[name=email]", "admin@lodestar.demo");
await page.fill("input[name=password]", password);
await page.click("button[type=submit]");
await page.waitForLoadState();
for (const [i, p] of paths.entries()) {
  await page.goto(`${base}${p}`);
  await page.screenshot({ path: `/tmp/shots/${i}.png`, fullPage: true });
  console.log(i, p, page.url());
}
await browser.close();
