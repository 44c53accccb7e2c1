// The web UI in real headless Chromium: sign in, filter, open an account, edit it, sign out;
// a viewer sees no edit controls and a forced edit is refused; a leader creates an account and
// its contact, contract and expansion from the UI through the top bar's menus; the usage views
// and the milestone editor; passwords, deactivation and the audit log; the playbook library and
// an outreach email previewed and sent. Screenshots go to test-artifacts/ at the repository root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = process.env.LODESTAR_BIN ?? join(root, "target/debug/lodestar");
const artifacts = join(root, "test-artifacts");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const work = mkdtempSync(join(tmpdir(), "lodestar-ui-"));
const db = `sqlite://${join(work, "ui.db")}`;
const VIEWER = { email: "vera.viewer@example.com", password: "viewer-password-123" };
const LEADER = { email: "lee.leader@example.com", password: "leader-password-123" };
// The secret Jira signs its webhook bodies with (LODESTAR_JIRA_SECRET of the server).
const JIRA_SECRET = "jira-webhook-test-secret";

let server, base, admin, browser, smtp;
// The local SMTP server the reminder email goes to (Python's aiosmtpd, LODESTAR_TEST_PYTHON).
const smtpPython = process.env.LODESTAR_TEST_PYTHON ? resolve(root, process.env.LODESTAR_TEST_PYTHON) : null;
const maildir = join(work, "mail");

function lodestar(args, input) {
  return execFileSync(bin, ["--db", db, ...args], { input, encoding: "utf8" });
}

before(async () => {
  if (!existsSync(chromiumPath)) {
    if (process.env.CI === "true") throw new Error(`CI=true but ${chromiumPath} is missing`);
    console.error(`\n*** browser tests SKIPPED: ${chromiumPath} not found (apt-get install chromium) ***\n`);
    return;
  }
  mkdirSync(artifacts, { recursive: true });
  lodestar(["demo", "--accounts", "300", "--seed", "11"]);
  lodestar(["user", "add", "--email", VIEWER.email, "--name", "Vera Viewer", "--role", "viewer", "--password-stdin"], VIEWER.password + "\n");
  lodestar(["user", "add", "--email", LEADER.email, "--name", "Lee Leader", "--role", "leader", "--password-stdin"], LEADER.password + "\n");
  const mail = [];
  if (smtpPython) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    smtp = spawn(smtpPython, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", maildir],
      { stdio: "inherit" });
    mail.push("--smtp-url", `smtp://127.0.0.1:${port}`, "--mail-from", "Lodestar <cs@vendor.example>");
  } else if (process.env.CI === "true") {
    throw new Error("CI=true but LODESTAR_TEST_PYTHON (a python with aiosmtpd) is not set");
  } else {
    console.error("\n*** reminder email check SKIPPED: set LODESTAR_TEST_PYTHON to a python with aiosmtpd ***\n");
  }
  // Warnings and errors only: a line per request would drown the test output.
  server = spawn(bin, ["--db", db, "serve", "--demo", "--listen", "127.0.0.1:0", ...mail], {
    stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, LODESTAR_LOG: "warn", LODESTAR_JIRA_SECRET: JIRA_SECRET },
  });
  const lines = createInterface({ input: server.stdout });
  admin = { email: "admin@lodestar.demo" };
  for await (const line of lines) {
    const pw = line.match(/^Sign in as (\S+) with the password (\S+)$/);
    if (pw) admin.password = pw[2];
    const token = line.match(/^API token for \S+ \(admin\): (\S+)$/);
    if (token) admin.token = token[1];
    const at = line.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    if (at) {
      // localhost, not 127.0.0.1: browsers keep Secure cookies on http://localhost only.
      base = `http://localhost:${at[1]}`;
      break;
    }
  }
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  smtp?.kill("SIGTERM");
});

async function signIn(page, who) {
  await page.goto(`${base}/accounts`);
  assert.match(page.url(), /\/sign-in\?next=/, "signed-out visitors are sent to the sign-in page");
  await page.fill("input[name=email]", who.email);
  await page.fill("input[name=password]", who.password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/accounts`);
}

// Opens a menu of the top bar (`my-work`, `portfolio`, `reviews`, `admin`).
async function openMenu(page, key) {
  await page.click(`#menu-${key} summary`);
  await page.waitForSelector(`#menu-${key}[open] ul a`);
}

test("a CS leader signs in, filters, opens an account, edits it and signs out", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/sign-in`);
  await page.fill("input[name=email]", admin.email);
  await page.fill("input[name=password]", "not the password");
  await page.click("button[type=submit]");
  assert.match(await page.textContent(".alert"), /Email or password is wrong/);

  await signIn(page, admin);
  await page.screenshot({ path: join(artifacts, "accounts.png"), fullPage: true });
  assert.equal(await page.locator("#accounts tbody tr").count(), 50, "a full first page");

  await page.selectOption("select[name=tier]", "strategic");
  await page.selectOption("select[name=sort]", "-arr");
  await page.click("#filters button[type=submit]");
  await page.waitForURL(/tier=strategic/);
  const tiers = await page.locator("#accounts tbody tr td:nth-child(2)").allTextContents();
  assert.ok(tiers.length > 0 && tiers.every((t) => t.trim() === "Strategic"), `only strategic accounts: ${tiers}`);
  const arrs = (await page.locator("#accounts tbody td.num").allTextContents()).map((t) => Number(t.replace(/[$,]/g, "")));
  assert.deepEqual(arrs, [...arrs].sort((a, b) => b - a), "sorted by ARR, highest first");
  await page.screenshot({ path: join(artifacts, "accounts-filtered.png"), fullPage: true });

  const name = (await page.locator("a.account-link").first().textContent()).trim();
  await page.click("a.account-link >> nth=0");
  await page.waitForSelector("#account-name");
  assert.equal((await page.textContent("#account-name")).trim(), name);
  await page.waitForSelector("#arr-chart svg");
  await page.screenshot({ path: join(artifacts, "account.png"), fullPage: true });

  await page.click("#edit-account");
  await page.fill("#field-industry", "Aerospace");
  await page.fill("#field-launch_date", "2025-03-01");
  await page.fill("#field-first_value_date", "2025-01-01");
  await page.click("#save");
  assert.match(await page.textContent("#error-first_value_date"), /before the launch date/, "the message sits next to the field");
  await page.screenshot({ path: join(artifacts, "account-edit-error.png"), fullPage: true });
  await page.fill("#field-first_value_date", "2025-04-01");
  await page.click("#save");
  await page.waitForSelector("#account-name");
  await page.reload();
  const facts = await page.textContent("#profile-facts");
  assert.match(facts, /Aerospace/, "the edit is persisted");
  assert.match(facts, /2025-04-01/);
  const story = await page.textContent("ol.timeline");
  assert.match(story, /Industry: .+ → Aerospace/, "the edit is told on the timeline");
  assert.match(story, /First value: .+ → 2025-04-01/);

  await page.click("#sign-out");
  await page.waitForURL(/\/sign-in/);
  await page.goto(`${base}/accounts`);
  assert.match(page.url(), /\/sign-in/, "the session ended at sign-out");
  await page.close();
});

test("a viewer sees no edit controls and a forced edit is refused", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, VIEWER);
  await page.click("a.account-link >> nth=0");
  await page.waitForSelector("#account-name");
  assert.equal(await page.locator("#edit-account").count(), 0, "no edit button for a viewer");
  await page.screenshot({ path: join(artifacts, "account-viewer.png"), fullPage: true });
  const path = new URL(page.url()).pathname;
  const forced = await page.evaluate(async (p) => {
    const body = new URLSearchParams({ name: "Hijacked", domain: "", industry: "", employees: "", region: "", lifecycle_stage: "adopt",
      tier: "", growth_potential: "", engagement_preference: "", launch_date: "", first_value_date: "" });
    const res = await fetch(`${p}/edit`, { method: "POST", body });
    return res.status;
  }, path);
  assert.equal(forced, 403, "the server refuses the viewer's POST");
  const direct = await page.goto(`${base}${path}/edit`);
  assert.equal(direct.status(), 403);
  await page.goto(`${base}${path}`);
  assert.notEqual((await page.textContent("#account-name")).trim(), "Hijacked");
  await page.close();
});

test("a leader creates an account from the UI, adds a contact and a contract, records an expansion and sees it on the account page", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, LEADER);

  // The top bar: sections in menus, the current one marked; "/" and Ctrl-K find the search box
  // unless someone is typing in a field.
  assert.equal(await page.getAttribute("#menu-portfolio a[href='/accounts']", "aria-current"), "page");
  assert.match(await page.getAttribute("#menu-portfolio", "class"), /current/);
  await openMenu(page, "reviews");
  await page.screenshot({ path: join(artifacts, "nav-menu.png") });
  // At 1280 px the menus take two rows; an open menu covers the row below it, so the next one
  // opened is one its list does not cover.
  await openMenu(page, "revenue");
  assert.equal(await page.locator("details.menu[open]").count(), 1, "one menu open at a time");
  await openMenu(page, "admin");
  assert.equal(await page.locator("details.menu[open]").count(), 1, "one menu open at a time");
  assert.deepEqual(await page.locator("#menu-admin ul a").allTextContents(), ["Health scoring"], "a leader's admin entries");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("details.menu[open]").count(), 0, "Escape closes it");
  await openMenu(page, "my-work");
  await page.click("#menu-my-work >> text=Today");
  await page.waitForSelector("section#today");
  assert.match(await page.getAttribute("#menu-my-work", "class"), /current/);
  assert.equal(await page.getAttribute("#menu-my-work a[href='/today']", "aria-current"), "page");
  await page.screenshot({ path: join(artifacts, "nav-today.png") });
  await openMenu(page, "portfolio");
  await page.click("#menu-portfolio >> text=Accounts");
  await page.waitForSelector("#accounts");
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.id), "global-search");
  await page.focus("#filters input[name=q]");
  await page.keyboard.type("a/b");
  assert.equal(await page.inputValue("#filters input[name=q]"), "a/b", "a slash typed in a field stays in it");
  await page.keyboard.press("Control+k");
  assert.equal(await page.inputValue("#filters input[name=q]"), "a/b");
  await page.click("h1");
  await page.keyboard.press("Control+k");
  assert.equal(await page.evaluate(() => document.activeElement.id), "global-search");
  assert.equal(await page.getAttribute("#global-search", "name"), "q");
  assert.equal(await page.getAttribute("form.search", "action"), "/search");

  // A new account: the API's rules, the problem next to its field.
  await page.click("#new-account");
  await page.waitForSelector("#account-form");
  assert.match(await page.inputValue("#field-external_id"), /^acct-[a-z0-9]{8}$/, "an external id is offered");
  assert.equal(await page.inputValue("#field-lifecycle_stage"), "land");
  assert.equal(await page.locator("#field-owner_id option:checked").textContent(), "Lee Leader", "owned by its creator by default");
  await page.fill("#field-name", "Northwind Traders");
  await page.fill("#field-domain", "https://www.northwind.example/");
  await page.fill("#field-industry", "Logistics");
  await page.fill("#field-employees", "lots");
  await page.selectOption("#field-tier", "enterprise");
  await page.click("#save");
  assert.match(await page.textContent("#error-employees"), /"lots" is not a whole number/);
  assert.equal(await page.inputValue("#field-name"), "Northwind Traders", "what was typed is kept");
  await page.screenshot({ path: join(artifacts, "account-new-error.png"), fullPage: true });
  await page.fill("#field-employees", "1,200");
  await page.click("#save");
  await page.waitForSelector("#account-name");
  assert.equal((await page.textContent("#account-name")).trim(), "Northwind Traders");
  assert.match(await page.textContent("#contacts"), /No contacts yet/);
  assert.match(await page.textContent("#profile-facts"), /northwind\.example/);

  // A contact.
  await page.click("#add-contact");
  await page.waitForSelector("#contact-form");
  await page.click("#save");
  assert.match(await page.textContent("#error-last_name"), /needs a first name, a last name or an email/);
  await page.fill("#field-first_name", "Dana");
  await page.fill("#field-last_name", "Okafor");
  await page.fill("#field-email", "dana.okafor@northwind.example");
  await page.fill("#field-title", "VP Operations");
  await page.selectOption("#field-role", "champion");
  await page.selectOption("#field-influence", "high");
  await page.screenshot({ path: join(artifacts, "contact-new.png"), fullPage: true });
  await page.click("#save");
  await page.waitForSelector("#contacts-table");
  assert.match(await page.textContent("#contacts-table"), /Dana Okafor.*VP Operations.*Champion/s);

  // A contract, then an expansion; the domain refuses an "expansion" that lowers ARR.
  await page.click("#add-contract");
  await page.waitForSelector("#contract-form");
  await page.fill("#field-name", "Platform");
  await page.fill("#field-arr", "24,000");
  await page.screenshot({ path: join(artifacts, "contract-new.png"), fullPage: true });
  await page.click("#save");
  await page.waitForSelector("#contracts-table");
  assert.equal(await page.textContent("#account-arr"), "$24,000");
  await page.click("#contracts-table a.record-change");
  await page.waitForSelector("#change-form");
  assert.equal(await page.inputValue("#field-kind"), "expansion");
  await page.fill("#field-arr", "20,000");
  await page.click("#save");
  assert.match(await page.textContent("#error-arr"), /an expansion must raise ARR above 24000\.00/);
  await page.screenshot({ path: join(artifacts, "arr-change-error.png"), fullPage: true });
  await page.fill("#field-arr", "30,000");
  await page.click("#save");
  await page.waitForSelector("#contracts-table");
  assert.equal(await page.textContent("#account-arr"), "$30,000");
  assert.match(await page.textContent("#contracts-table"), /Platform.*\$30,000/s);
  assert.match(await page.textContent("#timeline"), /Platform — Expansion: ARR \$24,000 → \$30,000/);
  await page.waitForSelector("#arr-chart svg");
  await page.screenshot({ path: join(artifacts, "account-created.png"), fullPage: true });
  // On a phone the top bar wraps: the menus on one line, the search box on its own.
  await page.setViewportSize({ width: 420, height: 800 });
  await openMenu(page, "portfolio");
  await page.screenshot({ path: join(artifacts, "account-narrow.png") });
  await page.close();
});

test("usage: an account shows its activity, milestones and people; an admin defines a milestone", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, admin);
  await page.goto(`${base}/usage`);
  const falling = await page.locator("#drops tbody tr").count();
  assert.ok(falling > 0, "the demo's declining accounts are listed");
  await page.screenshot({ path: join(artifacts, "usage-falling.png"), fullPage: true });
  await page.click("#drops a.account-link >> nth=0");
  await page.waitForSelector("#usage-chart svg");
  assert.ok(await page.locator("#milestones li").count() >= 3, "the demo milestones are shown");
  assert.ok(await page.locator("#people tbody tr").count() > 0, "people seen in the product");
  assert.match(await page.textContent("#breadth"), /features used in the last 30 days/);
  await page.screenshot({ path: join(artifacts, "account-usage.png"), fullPage: true });

  await page.goto(`${base}/admin/usage`);
  const before = await page.locator("#milestones tbody tr").count();
  await page.fill("#new-milestone input[name=name]", "Created an alert");
  await page.fill("#new-milestone input[name=feature]", "Alert Created");
  await page.fill("#new-milestone input[name=threshold]", "none");
  await page.click("#new-milestone button[type=submit]");
  assert.match(await page.textContent("#new-milestone .alert"), /not a whole number/);
  await page.fill("#new-milestone input[name=name]", "Created an alert");
  await page.fill("#new-milestone input[name=feature]", "Alert Created");
  await page.fill("#new-milestone input[name=threshold]", "1");
  await page.click("#new-milestone button[type=submit]");
  await page.waitForURL(`${base}/admin/usage`);
  assert.equal(await page.locator("#milestones tbody tr").count(), before + 1);
  await page.screenshot({ path: join(artifacts, "admin-milestones.png"), fullPage: true });
  await page.close();
});

test("health: an account explains its score, a CSM records a pulse, an admin edits the scorecards", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, admin);
  await page.goto(`${base}/usage`);
  await page.click("#drops a.account-link >> nth=0");
  await page.waitForSelector("#health-score");
  const account = page.url();
  assert.equal(await page.locator("#health-measures tbody tr").count(), 13, "every measure of the default card");
  assert.match(await page.textContent("#health-measures"), /people-days active \d+ → \d+/);

  // A reason made of spaces is refused with the field named; nothing is recorded.
  await page.selectOption("#pulse-form select[name=level]", "1");
  await page.fill("#pulse-form input[name=reason]", "   ");
  await page.click("#pulse-form button[type=submit]");
  assert.match(await page.textContent("#health-error"), /reason: is required/);
  await page.selectOption("#pulse-form select[name=level]", "1");
  await page.fill("#pulse-form input[name=reason]", "Champion left for a competitor");
  await page.click("#pulse-form button[type=submit]");
  await page.waitForSelector("#health-score");
  assert.match(await page.textContent("#health-measures"), /Very negative on \d{4}-\d\d-\d\d: Champion left for a competitor/);
  assert.match(await page.textContent(".timeline"), /Pulse: Very negative — Champion left for a competitor/);
  await page.screenshot({ path: join(artifacts, "account-health.png"), fullPage: true });

  // The default card: bands that make nearly everything red, then a broken pair refused.
  await page.goto(`${base}/admin/health`);
  const cards = await page.locator("form.scorecard").count();
  const defaultCard = page.locator("form.scorecard >> nth=0");
  await defaultCard.locator("input[name=red_below]").fill("60");
  await defaultCard.locator("input[name=green_from]").fill("50");
  await defaultCard.locator("button[type=submit]").click();
  assert.match(await page.textContent("#health-error"), /green_from: 50 must be above red_below \(60\)/);
  await page.locator("form.scorecard >> nth=0").locator("input[name=red_below]").fill("99");
  await page.locator("form.scorecard >> nth=0").locator("input[name=green_from]").fill("100");
  await page.locator("form.scorecard >> nth=0").locator("button[type=submit]").click();
  await page.waitForURL(`${base}/admin/health`);
  assert.equal(await page.locator("form.scorecard >> nth=0").locator("input[name=red_below]").inputValue(), "99");

  // A card for renewing accounts that weighs only the pulse.
  const fresh = page.locator("#new-scorecard");
  await fresh.locator("input[name=name]").fill("Renewal watch");
  await fresh.locator("select[name=lifecycle_stage]").selectOption("renew");
  for (const box of await fresh.locator("input[type=checkbox]").all()) await box.uncheck();
  await fresh.locator("input[name=use_csm_pulse]").check();
  await fresh.locator("button[type=submit]").click();
  await page.waitForURL(`${base}/admin/health`);
  assert.equal(await page.locator("form.scorecard").count(), cards + 1, "the new card is listed (and a new empty form)");
  assert.match(await page.textContent("body"), /Renewal watch/);

  // Industry exposure is saved and shown.
  await page.locator("#exposures select >> nth=0").selectOption("high");
  await page.click("#exposures button[type=submit]");
  await page.waitForURL(`${base}/admin/health`);
  assert.equal(await page.locator("#exposures select >> nth=0").inputValue(), "high");
  await page.screenshot({ path: join(artifacts, "admin-health.png"), fullPage: true });

  await page.goto(account);
  const score = Number(await page.textContent("#health-score"));
  const card = await page.textContent(".health-head small");
  if (!card.includes("Renewal watch")) {
    const band = score < 99 ? "Red" : score >= 100 ? "Green" : "Yellow";
    assert.equal(await page.textContent("#health-band"), band, `score ${score} under the bands 99/100`);
  }
  await page.close();
});

test("risk, LxL and churn: a leader re-forecasts, runs the quarter's review, and a churn opens its retrospective", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, admin);

  // Portfolio risk: renewals by band and exposure, and the re-forecast with the leader's rates.
  await page.goto(`${base}/risk`);
  assert.equal(await page.locator("#renewals-by-band tbody tr").count(), 4, "30, 60, 90 and 180 days");
  assert.equal(await page.locator("#renewals-by-exposure tbody tr").count(), 4);
  assert.equal(await page.locator("#forecast-table tbody tr").count(), 4, "high, moderate, low, not set");
  const rates = page.locator("#loss-rates-form");
  for (const level of ["high", "moderate", "low", "not_set"]) await rates.locator(`input[name=${level}]`).fill("0");
  await rates.locator("button[type=submit]").click();
  await page.waitForSelector("#expected-loss");
  assert.equal(await page.textContent("#expected-loss"), "$0", "no loss at 0 %");
  assert.equal(await page.textContent("#forecast-arr"), (await page.textContent("#forecast-table tfoot th:nth-child(2)")).trim());
  // A rate over 100 % is refused by the server too (the browser's own check switched off).
  await page.locator("#loss-rates-form input[name=high]").fill("150");
  await page.evaluate(() => { document.getElementById("loss-rates-form").noValidate = true; });
  await page.click("#loss-rates-form button[type=submit]");
  assert.match(await page.textContent("#forecast-error"), /high: 150 is not a loss rate/);
  await page.locator("#loss-rates-form input[name=high]").fill("100");
  await page.click("#loss-rates-form button[type=submit]");
  await page.waitForSelector("#expected-loss");
  assert.equal(await page.locator("#forecast-error").count(), 0);
  assert.notEqual(await page.textContent("#expected-loss"), "$0", "high-exposure renewals are all lost at 100 %");
  await page.screenshot({ path: join(artifacts, "risk.png"), fullPage: true });

  // This quarter's LxL: started by the leader, it goes over last quarter's action items.
  await page.goto(`${base}/lxl`);
  await page.click("#start-review button[type=submit]");
  await page.waitForURL(/\/lxl\/\d+$/);
  const review = page.url();
  assert.ok(Number(await page.textContent("#line-count")) > 0, "the agenda is assembled");
  assert.ok(await page.locator("#carried-over table tbody tr").count() > 0, "last quarter's items come back");
  await page.selectOption("#agenda select[name=reason]", "at_risk");
  await page.click("#agenda button[type=submit]");
  await page.waitForURL(/reason=at_risk/);
  for (const why of await page.locator("#agenda-lines tbody td:nth-child(3)").allTextContents()) assert.match(why, /At risk/);
  await page.screenshot({ path: join(artifacts, "lxl-review.png"), fullPage: true });

  // One line: the CSM's notes, and an action item with an owner and a due date.
  await page.click("#agenda-lines tbody a >> nth=0");
  await page.waitForSelector("#notes-form");
  const line = page.url();
  await page.fill("#notes-form textarea[name=history]", "Signed in 2024.\nRenewed once.");
  await page.fill("#notes-form textarea[name=challenges]", "Champion left in May");
  await page.fill("#notes-form textarea[name=asks]", "CEO to call their CFO");
  await page.click("#notes-form button[type=submit]");
  await page.waitForSelector("#notes-form");
  assert.equal(await page.inputValue("#notes-form textarea[name=asks]"), "CEO to call their CFO");
  await page.fill("#item-form input[name=description]", "  ");
  await page.click("#item-form button[type=submit]");
  assert.match(await page.textContent("#line-error"), /description: must not be empty/);
  await page.fill("#item-form input[name=description]", "Quarterly business review with their new VP");
  await page.click("#item-form button[type=submit]");
  await page.waitForSelector("#items table");
  const row = page.locator("#items tr", { hasText: "Quarterly business review with their new VP" });
  assert.equal(await row.locator("select[name=status]").inputValue(), "open");
  await row.locator("select[name=status]").selectOption("done");
  await row.locator("button[type=submit]").click();
  await page.waitForURL(line + "#item-*");
  assert.equal(await page.locator("#items tr", { hasText: "Quarterly business review with their new VP" }).locator("select[name=status]").inputValue(), "done");
  await page.goto(review);
  assert.match(await page.textContent("#agreed"), /Quarterly business review with their new VP/, "the review lists what it agreed");

  // The account churns: its retrospective knows the LxL flagged it.
  await page.goto(line);
  await page.click("text=Account page");
  await page.waitForSelector("#lxl");
  assert.match(await page.textContent("#lxl"), /On the Q\d \d{4} LxL agenda \(At risk/);
  await page.click("#lxl summary");
  await page.selectOption("#churn-form select[name=reason]", "competitor");
  await page.fill("#churn-form input[name=detail]", "Moved to a competitor bundled with their CRM");
  await page.click("#mark-churned");
  await page.waitForURL(/\/retrospective$/);
  assert.equal(await page.textContent("#churn-reason"), "Moved to a competitor");
  assert.equal(await page.textContent("#flagged"), "Yes");
  assert.ok(await page.locator("#appearances li").count() >= 1);
  assert.match(await page.textContent("#retro-timeline"), /Churned on \d{4}-\d\d-\d\d: Moved to a competitor/);
  await page.fill("#retro-form textarea[name=learnings]", "Map the economic buyer before renewal");
  await page.click("#retro-form button[type=submit]");
  await page.waitForSelector("#retro-form");
  assert.equal(await page.inputValue("#retro-form textarea[name=learnings]"), "Map the economic buyer before renewal");
  await page.screenshot({ path: join(artifacts, "retrospective.png"), fullPage: true });
  const account = (await page.textContent("h1 a")).trim();

  await page.goto(`${base}/retrospectives`);
  assert.match(await page.textContent("#churns"), new RegExp(account.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await page.click("#never-flagged-filter");
  await page.waitForURL(/never_flagged=1/);
  assert.doesNotMatch(await page.textContent("main"), new RegExp(account.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "it was flagged");
  await page.screenshot({ path: join(artifacts, "churns.png"), fullPage: true });
  await page.close();
});

test("jobs: an admin sees the daily rescore that ran at start, filters by state; a viewer may not look", { skip: !existsSync(chromiumPath) }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, admin);
  await openMenu(page, "admin");
  await page.screenshot({ path: join(artifacts, "nav-admin-menu.png") });
  await page.click("#menu-admin >> text=Jobs");
  await page.waitForURL(`${base}/admin/jobs`);
  // The server enqueues today's rescore (and the digest sweep's latest run) when it starts;
  // wait for the runner to finish it.
  // With email set up in the morning, the digests and alerts of every demo person are queued
  // at start too: a job may be on a later page of the done ones.
  async function doneRow(text) {
    const row = page.locator("#jobs tr.job-done", { hasText: text });
    for (let i = 0; i < 100; i++) {
      await page.goto(`${base}/admin/jobs?state=done&page=${i % 10}`);
      if (await row.count()) return row.first();
      await page.waitForTimeout(200);
    }
    throw new Error(`no done job ${text}`);
  }
  assert.match(await (await doneRow("daily_rescore")).textContent(), /1 of 5/, "one attempt");
  await doneRow("Daily digests due"); // the digest sweep ran too
  assert.match(await page.textContent("#job-states"), /Done\s*[1-9]/);
  await page.screenshot({ path: join(artifacts, "admin-jobs.png"), fullPage: true });
  await page.click("#job-states >> text=Failed");
  await page.waitForURL(/state=failed/);
  assert.match(await page.textContent("main"), /No jobs in this state/);
  await page.close();

  const viewer = await browser.newPage();
  await signIn(viewer, VIEWER);
  assert.equal(await viewer.locator("nav >> text=Jobs").count(), 0, "no link for a viewer");
  const refused = await viewer.goto(`${base}/admin/jobs`);
  assert.equal(refused.status(), 403);
  await viewer.close();
});

test("security: a CSM changes their password; an admin deactivates them, which signs them out at once; the audit log tells; a metrics token reads /metrics", { skip: !existsSync(chromiumPath) }, async () => {
  const cara = { email: "cara.csm@example.com", password: "cara-first-password" };
  lodestar(["user", "add", "--email", cara.email, "--name", "Cara Csm", "--role", "csm", "--password-stdin"], cara.password + "\n");
  const caraContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await caraContext.newPage();
  await signIn(page, cara);
  await page.click(".me a.who");
  await page.waitForURL(`${base}/me/password`);
  await page.fill("input[name=current_password]", "not my password");
  await page.fill("input[name=new_password]", "cara-second-password");
  await page.fill("input[name=repeat_password]", "cara-second-password");
  await page.click("#change-password button[type=submit]");
  assert.match(await page.textContent("#change-password .alert"), /is not your current password/);
  await page.fill("input[name=current_password]", cara.password);
  await page.fill("input[name=new_password]", "cara-second-password");
  await page.fill("input[name=repeat_password]", "cara-second-password");
  await page.click("#change-password button[type=submit]");
  assert.match(await page.textContent("#change-password .notice"), /Your password is changed/);
  await page.screenshot({ path: join(artifacts, "me-password.png"), fullPage: true });

  const adminContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, admin);
  await adminPage.goto(`${base}/admin/users`);
  const row = adminPage.locator("#users tr", { hasText: cara.email });
  await row.locator("button", { hasText: "Deactivate" }).click();
  await adminPage.waitForURL(/done=deactivated/);
  assert.match(await adminPage.textContent(".notice"), /deactivated/);
  assert.match(await adminPage.locator("#users tr", { hasText: cara.email }).textContent(), /Deactivated/);
  await adminPage.screenshot({ path: join(artifacts, "admin-users.png"), fullPage: true });

  // Cara's open session ended with the deactivation.
  await page.goto(`${base}/accounts`);
  assert.match(page.url(), /\/sign-in\?next=/, "the deactivated CSM is signed out");

  await openMenu(adminPage, "admin");
  await adminPage.click("#menu-admin >> text=Audit");
  await adminPage.waitForURL(`${base}/admin/audit`);
  const log = await adminPage.textContent("#audit");
  assert.match(log, /Deactivated a user/);
  assert.match(log, /Changed their password/);
  assert.match(log, /Sign-in failed|Signed in/);
  await adminPage.selectOption("#audit-kind", "user_deactivated");
  await adminPage.click("#audit-filters button[type=submit]");
  await adminPage.waitForURL(/kind=user_deactivated/);
  assert.equal(await adminPage.locator("#audit tbody tr").count(), 1);
  await adminPage.selectOption("#audit-kind", "");
  await adminPage.click("#audit-filters button[type=submit]");
  await adminPage.waitForURL(/\/admin\/audit\?/);
  await adminPage.screenshot({ path: join(artifacts, "admin-audit.png"), fullPage: true });

  await adminPage.goto(`${base}/admin/users`);
  await adminPage.locator("#users tr", { hasText: cara.email }).locator("button", { hasText: "Reactivate" }).click();
  await adminPage.waitForURL(/done=reactivated/);
  await signIn(page, { email: cara.email, password: "cara-second-password" });

  // A token that only reads /metrics, for the team's Prometheus.
  await openMenu(adminPage, "admin");
  await adminPage.click("#menu-admin >> text=API tokens");
  await adminPage.waitForURL(`${base}/admin/tokens`);
  await adminPage.fill("input[name=name]", "Prometheus");
  await adminPage.selectOption("select[name=scope]", "metrics");
  await adminPage.click("form[action='/admin/tokens'] button[type=submit]");
  const secret = (await adminPage.textContent("#new-token pre")).trim();
  assert.match(secret, /^lst_/);
  assert.match(await adminPage.locator("#tokens tr", { hasText: "Prometheus" }).textContent(), /Metrics only/);
  await adminPage.screenshot({ path: join(artifacts, "admin-tokens.png"), fullPage: true });
  const scrape = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(scrape.status, 200);
  assert.match(await scrape.text(), /lodestar_http_requests_total/);
  await caraContext.close();
  await adminContext.close();
});

// The API as the demo admin, for what the test sets up rather than exercises.
async function api(method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return res.status === 204 ? null : res.json();
}

// The first message in the local SMTP server's mailbox holding `text`, waiting up to 30 s for it.
async function arrived(text) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const sub of ["new", "cur"]) {
      const dir = join(maildir, sub);
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) {
        const message = readFileSync(join(dir, file), "utf8");
        if (message.includes(text)) return message;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no email with ${JSON.stringify(text)} reached the SMTP server`);
}

function isoDay(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test("the CSM's day: a meeting with a customer's promise, Today when it is overdue, a reminder email to the customer, done; tasks; the calendar feed", async (t) => {
  if (!browser) return t.skip("no chromium");
  const casey = { email: "casey.csm@example.com", password: "casey-password-123" };
  lodestar(["user", "add", "--email", casey.email, "--name", "Casey Csm", "--role", "csm", "--password-stdin"], casey.password + "\n");
  // Casey takes over an account with a contact: it is in their book now.
  const users = await api("GET", "/users?limit=500");
  const caseyId = (users.items ?? users).find((u) => u.email === casey.email).id;
  let account, contact;
  for (const a of (await api("GET", "/accounts?limit=20")).items) {
    const contacts = await api("GET", `/accounts/${a.id}/contacts`);
    contact = (contacts.items ?? contacts).find((c) => c.email);
    if (contact) { account = a.id; break; }
  }
  await api("PATCH", `/accounts/${account}`, { owner_id: caseyId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, casey);
  await page.goto(`${base}/accounts/${account}`);
  await page.click("#log-meeting");
  await page.waitForURL(`${base}/accounts/${account}/meetings/new`);
  await page.selectOption("#field-kind", "check_in");
  await page.fill("#field-title", "Onboarding check-in");
  await page.fill("#field-date", isoDay(0));
  await page.fill("#field-time", "10:00");
  await page.fill("#field-time_zone", "Europe/Berlin");
  await page.check(`input[name=contact_ids][value="${contact.id}"]`);
  await page.fill("#field-notes", "## What we heard\n- SSO is **blocking** the rollout");
  // The customer promised the admin list by yesterday: overdue already.
  await page.fill("#promise-0-description", "Send us the list of admins");
  await page.selectOption("#promise-0-owner", `contact:${contact.id}`);
  await page.fill("#promise-0-due", isoDay(-1));
  await page.screenshot({ path: join(artifacts, "meeting-form.png"), fullPage: true });
  await page.click("#save-meeting");
  await page.waitForURL(new RegExp(`/accounts/${account}#meeting-\\d+$`));
  const meeting = page.url().split("#meeting-")[1];
  assert.equal(await page.textContent(`#meeting-${meeting} .notes strong`), "blocking", "notes are rendered Markdown");
  assert.match(await page.textContent("#promises"), /Send us the list of admins/);
  await page.screenshot({ path: join(artifacts, "account-meetings.png"), fullPage: true });

  // Today, the start page, says why the promise is there; one click marks it done.
  await openMenu(page, "my-work");
  await page.click("#menu-my-work >> text=Today");
  await page.waitForURL(`${base}/today`);
  const line = page.locator("#today-list li", { hasText: "Send us the list of admins" });
  assert.match(await line.textContent(), /promise is 1 day overdue/);
  await page.screenshot({ path: join(artifacts, "today.png"), fullPage: true });
  if (smtpPython) {
    // One click emails the customer a reminder; it arrives at the SMTP server.
    await line.locator("button", { hasText: "Remind" }).click();
    await page.waitForURL(new RegExp(`^${base}/today#`));
    const message = await arrived("Subject: Reminder: Send us the list of admins");
    console.error(`reminder email received by aiosmtpd (${message.length} bytes)`);
    assert.match(message, new RegExp(`To: ${contact.email.replace(/[.+]/g, "\\$&")}`, "i"));
    assert.match(message, /you said you would "Send us the list of admins"/);
  }
  await line.locator("button", { hasText: "Mark done" }).click();
  await page.waitForURL(new RegExp(`^${base}/today#`));
  assert.equal(await page.locator("#today-list li", { hasText: "Send us the list of admins" }).count(), 0);
  await page.goto(`${base}/accounts/${account}`);
  assert.match(await page.locator("#promises tr", { hasText: "Send us the list of admins" }).textContent(), /Done late/);

  // Tasks: one made by hand, then finished with a bulk action.
  await page.goto(`${base}/tasks`);
  await page.fill("#task-title", "Prepare the QBR deck");
  await page.click("#new-task button[type=submit]");
  await page.waitForURL(new RegExp(`^${base}/tasks#`));
  const task = page.locator("#task-list tr", { hasText: "Prepare the QBR deck" });
  await task.locator("input[type=checkbox]").check();
  await page.screenshot({ path: join(artifacts, "tasks.png"), fullPage: true });
  await page.click("#tasks-done");
  await page.waitForURL(new RegExp(`^${base}/tasks#`));
  assert.equal(await page.locator("#task-list tr", { hasText: "Prepare the QBR deck" }).count(), 0);
  await page.goto(`${base}/tasks?view=done`);
  assert.match(await page.textContent("#tasks"), /Prepare the QBR deck/);

  // The calendar page lists the meeting; the private feed carries it to calendar programs.
  await page.goto(`${base}/calendar`);
  assert.match(await page.textContent("#calendar"), /Onboarding check-in/);
  await page.click("#make-feed");
  await page.waitForURL(`${base}/calendar#feed`);
  const feedUrl = await page.inputValue("#feed-url");
  await page.screenshot({ path: join(artifacts, "calendar.png"), fullPage: true });
  await page.goto(`${base}/me/notifications`);
  assert.equal(await page.inputValue("#my-feed input"), feedUrl, "the profile page shows the same feed");
  const ics = await (await fetch(feedUrl)).text();
  assert.match(ics, new RegExp(`UID:meeting-${meeting}@lodestar`));
  assert.match(ics.replace(/\r\n[ \t]/g, ""), /SUMMARY:Onboarding check-in/);
  await context.close();
});

test("success plan: a CSM shares it, the customer approves it through the link in a fresh browser, an edit undoes the approval", async (t) => {
  if (!browser) return t.skip("no chromium");
  const sam = { email: "sam.csm@example.com", password: "sam-password-1234" };
  lodestar(["user", "add", "--email", sam.email, "--name", "Sam Csm", "--role", "csm", "--password-stdin"], sam.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const samId = (users.items ?? users).find((u) => u.email === sam.email).id;
  // An account without a plan yet, with a contact who has an email address.
  let account, contact;
  for (const a of (await api("GET", "/accounts?limit=100&sort=-arr")).items) {
    const plan = await fetch(`${base}/api/v1/accounts/${a.id}/plan`, { headers: { authorization: `Bearer ${admin.token}` } });
    if (plan.status !== 404) continue;
    const contacts = await api("GET", `/accounts/${a.id}/contacts`);
    contact = (contacts.items ?? contacts).find((c) => c.email);
    if (contact) { account = a.id; break; }
  }
  await api("PATCH", `/accounts/${account}`, { owner_id: samId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, sam);
  await page.goto(`${base}/accounts/${account}`);
  await page.click("#open-plan");
  await page.waitForURL(`${base}/accounts/${account}/plan`);
  await page.fill("#plan-title", "Cut onboarding time in half");
  await page.fill("#plan-summary", "New hires wait **three weeks** for a working setup.");
  await page.click("text=Start the plan");
  await page.waitForURL(new RegExp(`/accounts/${account}/plan#plan$`));
  for (const tactic of ["Admin training", "Weekly usage report"]) {
    await page.fill("#tactic-title", tactic);
    await page.click("#tactic-form button[type=submit]");
    await page.waitForURL(new RegExp(`/accounts/${account}/plan#tactics$`));
  }
  // The third comes from the playbook library of the account's segment, in one click.
  const recommended = page.locator("#library tbody tr").first();
  const recommendedTitle = (await recommended.locator("td").nth(1).textContent()).trim();
  await recommended.locator("button", { hasText: "Add to plan" }).click();
  await page.waitForURL(new RegExp(`/accounts/${account}/plan#tactics$`));
  assert.match(await page.textContent("#tactics"), new RegExp(recommendedTitle));
  assert.match(await recommended.textContent(), /in the plan/);
  // A fourth active tactic is refused, with the three named.
  await page.fill("#tactic-title", "Exec dashboard");
  await page.selectOption("#tactic-state", "active");
  await page.click("#tactic-form button[type=submit]");
  await page.waitForURL(new RegExp(`/accounts/${account}/plan#tactics$`));
  assert.match(await page.textContent("#plan-problem"), /at most 3 tactics at once; finish or park one/);
  await page.selectOption("#share-contact", String(contact.id));
  await page.click("#share-form button[type=submit]");
  const link = await page.inputValue("#new-link");
  assert.match(link, /\/c\/plans\/\d+\/[A-Za-z0-9_-]{43}$/);
  assert.match(await page.textContent("#plan-state"), /Shared/);
  await page.screenshot({ path: join(artifacts, "plan.png"), fullPage: true });

  // The customer, in a browser with no session, reads and approves by typing their name.
  const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const cpage = await customer.newPage();
  const opened = await cpage.goto(link);
  assert.equal(opened.headers()["referrer-policy"], "no-referrer");
  assert.equal(await cpage.textContent("h1"), "Cut onboarding time in half");
  assert.equal(await cpage.textContent(".notes strong"), "three weeks");
  const fullName = `${contact.first_name ?? ""} ${contact.last_name ?? ""}`.trim();
  await cpage.fill("input[name=signature]", fullName);
  await cpage.click("text=Approve the plan");
  await cpage.waitForSelector("#approved");
  await cpage.screenshot({ path: join(artifacts, "customer-plan.png"), fullPage: true });

  // The CSM sees the approval; an edit makes a new version and the approval is gone.
  await page.goto(`${base}/accounts/${account}/plan`);
  assert.match(await page.textContent("#plan-approval"), new RegExp(`Approved by ${fullName}`));
  await page.click("#plan-edit >> xpath=.. >> summary");
  await page.fill("#plan-edit textarea[name=summary]", "New hires wait three weeks; also cut tickets by a third.");
  await page.click("#plan-edit button[type=submit]");
  await page.waitForURL(new RegExp(`/accounts/${account}/plan#plan$`));
  assert.equal(await page.locator("#plan-approval").count(), 0);
  assert.match(await page.textContent("#plan-superseded"), /does not hold/);
  // The customer's page now asks for the new version's approval.
  await cpage.reload();
  assert.equal(await cpage.locator("#approved").count(), 0);
  assert.match(await cpage.textContent("#plan-version"), /Version 5/);
  await customer.close();
  await context.close();
});

test("goals and value: a CSM sets a goal whose CRM is below expectations and finds it among the goals at risk", async (t) => {
  if (!browser) return t.skip("no chromium");
  const gina = { email: "gina.csm@example.com", password: "gina-password-123" };
  lodestar(["user", "add", "--email", gina.email, "--name", "Gina Goals", "--role", "csm", "--password-stdin"], gina.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const ginaId = (users.items ?? users).find((u) => u.email === gina.email).id;
  // Gina takes over an account: it is in her book now.
  const account = (await api("GET", "/accounts?limit=40")).items[30].id;
  await api("PATCH", `/accounts/${account}`, { owner_id: ginaId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, gina);
  await page.goto(`${base}/accounts/${account}`);
  if ((await page.getAttribute("#add-goal", "open")) === null) await page.click("#add-goal summary");
  await page.fill("#goal-title", "Double qualified demo requests by spring");
  await page.fill("#goal-metric", "Qualified demo requests per month");
  await page.fill("#goal-baseline", "100");
  await page.fill("#goal-target", "200");
  await page.fill("#goal-due", isoDay(120));
  await page.selectOption("#goal-severity", "4");
  await page.selectOption("#goal-part-kind", "other_product");
  await page.fill("#goal-part-name", "Their CRM");
  await page.fill("#goal-part-metric", "Every lead routed within an hour");
  await page.selectOption("#goal-part-rating", "below");
  await page.click("#save-goal");
  await page.waitForURL(new RegExp(`/accounts/${account}#goal-\\d+$`));
  const goal = page.url().split("#goal-")[1];
  assert.match(await page.textContent(`#goal-${goal}`), /Their CRM/);
  assert.equal(await page.locator(`#goal-${goal}-at-risk`).count(), 1, "a part below puts the goal at risk");
  await page.screenshot({ path: join(artifacts, "account-goals.png"), fullPage: true });

  // The portfolio's goals at risk, narrowed to Gina's book, lists it with the part to fix.
  await openMenu(page, "portfolio");
  await page.click("#menu-portfolio >> text=Goals at risk");
  await page.waitForURL(`${base}/goals/at-risk`);
  await page.selectOption("select[name=book]", "mine");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/book=mine/);
  const row = page.locator(`#at-risk-goal-${goal}`);
  assert.match(await row.textContent(), /Double qualified demo requests by spring/);
  assert.match(await row.textContent(), /Their CRM \(another product\)/);
  await page.screenshot({ path: join(artifacts, "goals-at-risk.png"), fullPage: true });
  await context.close();
});

test("playbooks: a leader reads the library and keeps the risk templates; a CSM previews an outreach email with the account's name filled in and sends it", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "reviews");
  await page.click("#menu-reviews >> text=Playbooks");
  await page.waitForURL(`${base}/playbooks`);
  assert.match(await page.textContent("#segment-strategic"), /Renewal without surprises/);
  assert.equal(await page.locator("#segment-enterprise article.outcome").count(), 3, "the demo's enterprise outcomes");
  assert.match(await page.textContent("#outcomes"), /map the economic buyer 180 days out/, "a churn retrospective's change request");
  // A template naming an unknown placeholder is refused, the placeholder named.
  await page.fill("#risk-form-open_channel input[name=subject]", "{{acount.name}}: your renewal");
  await page.click("#risk-form-open_channel button[type=submit]");
  await page.waitForURL(/\/playbooks#risk-open_channel$/);
  assert.match(await page.textContent("#risk-error-open_channel"), /unknown placeholder \{\{acount\.name\}\}/);
  await page.screenshot({ path: join(artifacts, "playbooks.png"), fullPage: true });
  await context.close();

  // A CSM takes over an account that renews and has a contact with an address.
  const parker = { email: "parker.csm@example.com", password: "parker-password-123" };
  lodestar(["user", "add", "--email", parker.email, "--name", "Parker Csm", "--role", "csm", "--password-stdin"], parker.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const parkerId = (users.items ?? users).find((u) => u.email === parker.email).id;
  let account, contact;
  for (const a of (await api("GET", "/accounts?limit=100&sort=-arr")).items) {
    if (!a.renewal_date || a.lifecycle_stage === "churned") continue;
    const contacts = await api("GET", `/accounts/${a.id}/contacts`);
    contact = (contacts.items ?? contacts).find((c) => c.email);
    if (contact) { account = a; break; }
  }
  await api("PATCH", `/accounts/${account.id}`, { owner_id: parkerId });

  const csm = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(csm, parker);
  await csm.goto(`${base}/accounts/${account.id}`);
  await csm.click("#outreach");
  await csm.waitForURL(`${base}/accounts/${account.id}/outreach`);
  await csm.selectOption("#field-approach", "open_question");
  await csm.selectOption("#field-contact", String(contact.id));
  await csm.click("#preview-outreach");
  await csm.waitForSelector("#preview-subject");
  assert.equal((await csm.textContent("#preview-subject")).trim(), `${account.name}: how can we help this year?`);
  assert.match(await csm.textContent("#preview-body"), /We understand that these are challenging times/);
  assert.match(await csm.textContent("#preview-body"), /Parker Csm\s*$/, "signed by the CSM");
  await csm.screenshot({ path: join(artifacts, "outreach.png"), fullPage: true });
  if (smtpPython) {
    await csm.click("#send-outreach");
    await csm.waitForURL(`${base}/accounts/${account.id}#timeline`);
    assert.match(await csm.textContent("#timeline"), /Outreach \(Open question\) sent to/);
    const message = await arrived("how can we help this year?");
    assert.match(message, new RegExp(`To: ${contact.email.replace(/[.+]/g, "\\$&")}`, "i"));
  }
  await csm.context().close();
});

test("QBRs: a leader sees who is overdue and a QBR flagged for no sponsor; a CSM writes the gut-check and shares the pack, which a customer opens in a fresh browser", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "reviews");
  await page.click("#menu-reviews >> text=QBRs and check-ins");
  await page.waitForURL(`${base}/reviews`);
  assert.match(await page.textContent("#overdue h2"), /Overdue for a review \(\d+\)/);
  assert.ok(await page.locator("#overdue tbody tr").count() > 0, "the demo has accounts overdue");
  assert.match(await page.textContent("#levels"), /High touch\s*Strategic\s*QBR every 91 days · Check-in every 30 days · Named CSM/);
  assert.match(await page.textContent("#levels"), /Neighborhood\s*Long tail\s*Check-in every 91 days · Pooled CSMs/);
  // A demo QBR ahead with no senior sponsor invited is flagged; its agenda says so first.
  const flagged = page.locator("#upcoming tbody tr", { has: page.locator("[id^=reschedule-]") }).first();
  await flagged.locator("a", { hasText: "QBR:" }).click();
  await page.waitForURL(/\/meetings\/\d+\/review$/);
  assert.match(await page.textContent("#sponsor-missing"), /No senior sponsor/);
  assert.match(await page.textContent("#recommendations li"), /No senior sponsor of the customer is invited/);
  assert.match(await page.textContent("#usage-peers"), /Usage against Strategic peers/);
  assert.match(await page.textContent("#pack-after"), /After the meeting, share the pack/);
  await page.screenshot({ path: join(artifacts, "qbr-agenda.png"), fullPage: true });
  await context.close();

  // A CSM's QBR held this morning, with two of the customer's people.
  const riley = { email: "riley.csm@example.com", password: "riley-password-1234" };
  lodestar(["user", "add", "--email", riley.email, "--name", "Riley Csm", "--role", "csm", "--password-stdin"], riley.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const rileyId = (users.items ?? users).find((u) => u.email === riley.email).id;
  let account, contacts;
  for (const a of (await api("GET", "/accounts?limit=100&sort=-arr")).items) {
    if (a.lifecycle_stage === "churned") continue;
    const list = await api("GET", `/accounts/${a.id}/contacts`);
    contacts = (list.items ?? list).slice(0, 2);
    if (contacts.length === 2) { account = a; break; }
  }
  await api("PATCH", `/accounts/${account.id}`, { owner_id: rileyId });
  const meeting = await api("POST", `/accounts/${account.id}/meetings`, {
    kind: "qbr", title: "Q4 business review", starts_at: new Date(Date.now() - 3600_000).toISOString(),
    duration_minutes: 45, user_ids: [rileyId], contact_ids: contacts.map((c) => c.id),
    promises: [{ description: "Send the EMEA usage report", owner_user_id: rileyId, due_on: "2027-01-15" }],
  });

  const csm = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(csm, riley);
  await csm.goto(`${base}/accounts/${account.id}`);
  await csm.click(`#agenda-${meeting.id}`);
  await csm.waitForURL(`${base}/meetings/${meeting.id}/review`);
  await csm.selectOption("#renewal-outlook", "unsure");
  await csm.fill("#outlook-form input[name=outlook_note]", "Their new CFO reviews every tool");
  await csm.click("#outlook-form button[type=submit]");
  await csm.waitForURL(new RegExp(`/meetings/${meeting.id}/review#contract$`));
  assert.equal(await csm.inputValue("#renewal-outlook"), "unsure");
  await csm.fill("#pack-summary", "## We agreed\nFocus next quarter on the **EMEA rollout**.");
  await csm.click("#share-pack");
  await csm.waitForSelector("#new-pack-links");
  const links = await csm.locator("#new-pack-links input").evaluateAll((inputs) => inputs.map((i) => i.value));
  assert.equal(links.length, 2, "one link per customer attendee");
  for (const link of links) assert.match(link, /\/c\/packs\/\d+\/[A-Za-z0-9_-]{43}$/);
  await csm.screenshot({ path: join(artifacts, "qbr-shared.png"), fullPage: true });

  // The customer opens their link with no session: one printable page, no gut-check.
  const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const cpage = await customer.newPage();
  const opened = await cpage.goto(links[0]);
  assert.equal(opened.status(), 200);
  assert.equal(opened.headers()["referrer-policy"], "no-referrer");
  assert.match(opened.headers()["content-security-policy"], /^default-src 'none'; style-src 'sha256-/);
  assert.equal(await cpage.textContent("#pack-summary strong"), "EMEA rollout");
  assert.match(await cpage.textContent("#pack-promises"), /Send the EMEA usage report/);
  assert.doesNotMatch(await cpage.content(), /CFO reviews every tool/);
  // Its inline style applies (the policy lets it): headings carry the pack's colours.
  const kicker = await cpage.locator(".kicker").evaluate((e) => getComputedStyle(e).textTransform);
  assert.equal(kicker, "uppercase");
  await cpage.screenshot({ path: join(artifacts, "qbr-pack.png"), fullPage: true });
  await cpage.emulateMedia({ media: "print" });
  await cpage.screenshot({ path: join(artifacts, "qbr-pack-print.png"), fullPage: true });
  await customer.close();

  // Back on the CSM's side: the link was opened; withdrawing it closes it.
  await csm.goto(`${base}/meetings/${meeting.id}/review`);
  assert.match(await csm.textContent("#pack"), /Shared on/);
  assert.match(await csm.textContent("#pack tbody"), /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/, "last opened");
  await csm.locator("#pack button", { hasText: "Withdraw" }).first().click();
  await csm.waitForURL(new RegExp(`/meetings/${meeting.id}/review#pack$`));
  assert.match(await csm.textContent("#pack tbody"), /withdrawn/);
  await csm.context().close();
});

test("coverage: a leader finds the top accounts without an executive sponsor and reads an account's coverage, three high and three wide", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "portfolio");
  await page.click("#menu-portfolio >> text=Sponsor programme");
  await page.waitForURL(`${base}/sponsors`);
  assert.match(await page.textContent("#unsponsored-count"), /\d+ without a sponsor/, "the demo leaves some unsponsored");
  assert.match(await page.textContent("#programme tbody"), /None/);
  await page.screenshot({ path: join(artifacts, "sponsors.png"), fullPage: true });
  // The largest account: its coverage by level and function, and its sponsor (with the
  // history of changes, when there were any).
  await page.locator("#programme tbody tr a").first().click();
  await page.waitForURL(/\/accounts\/\d+\/coverage$/);
  assert.match(await page.textContent("#coverage-summary h2"), /\d high, \d+ wide/);
  assert.equal(await page.locator("#levels tbody tr").count(), 3);
  assert.match(await page.textContent("#sponsor"), /Our executive sponsor\s+\S/);
  if (await page.locator("#sponsor-history").count()) {
    assert.match(await page.textContent("#sponsor-history"), /replaced|became the sponsor|stopped sponsoring/);
  }
  await page.screenshot({ path: join(artifacts, "coverage.png"), fullPage: true });
  await context.close();
});

test("champions: a leader finds the influential contact who dislikes our solution and the champion who left, reads the facts behind a score and answers the 12-month question", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "portfolio");
  await page.click("#menu-portfolio >> text=Champion alerts");
  await page.waitForURL(`${base}/champions`);
  assert.match(await page.textContent("#champions-unhappy"), /Marcus Webb \(influence \d+\) cares about the problem but dislikes our solution/);
  assert.match(await page.textContent("#champions-left"), /Sofia Marin probably left: no activity since \d{4}-\d\d-\d\d, and an email to them bounced/);
  await page.screenshot({ path: join(artifacts, "champion-alerts.png"), fullPage: true });

  // The account: people in every quadrant, drawn on the chart.
  await page.locator("#champions-unhappy tbody tr", { hasText: "Marcus Webb" }).locator("a").click();
  await page.waitForURL(/\/accounts\/\d+\/champions$/);
  const quadrants = await page.locator("#champions td[id$='-quadrant']").allTextContents();
  for (const q of ["Engaged and delighted", "Cares about the problem, dislikes our solution", "Likes us, rarely engages", "Neither engaged nor delighted"]) {
    assert.ok(quadrants.some((text) => text.includes(q)), `someone is in "${q}": ${quadrants}`);
  }
  await page.waitForSelector("#champion-chart svg");
  assert.match(await page.textContent("#champion-alerts"), /Marcus Webb has high influence/);
  const marcus = page.locator("#champions tbody tr", { hasText: "Marcus Webb" });
  const delight = marcus.locator("td.score-cell").nth(1);
  await delight.locator("summary").click();
  assert.match(await delight.textContent(), /survey answers average 3\.5 of 10 over 2 answers/);
  assert.match(await delight.textContent(), /1 waiting over a week/);
  await page.screenshot({ path: join(artifacts, "champions.png"), fullPage: true });

  // He will not own the relationship next year: no longer a big bubble, no longer an alert.
  await marcus.locator("select[name=will_own]").selectOption("no");
  await marcus.locator("button[type=submit]").click();
  await page.waitForURL(/\/champions#contact-\d+$/);
  const after = page.locator("#champions tbody tr", { hasText: "Marcus Webb" });
  assert.equal((await after.locator("[id$='-influence']").textContent()).trim(), "55");
  assert.equal(await after.locator("select[name=will_own]").inputValue(), "no");
  assert.equal(await page.locator("#champion-alerts", { hasText: "Marcus Webb" }).count(), 0);
  await context.close();
});

test("triggers: an admin writes a rule and runs it; its task is on the CSM's Today and its email reaches the customer", async (t) => {
  if (!browser) return t.skip("no chromium");
  const rowan = { email: "rowan.csm@example.com", password: "rowan-password-1234" };
  lodestar(["user", "add", "--email", rowan.email, "--name", "Rowan Csm", "--role", "csm", "--password-stdin"], rowan.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const rowanId = (users.items ?? users).find((u) => u.email === rowan.email).id;
  // The largest account renewing within a year with a contact who has an address.
  let account, reachable;
  for (const a of (await api("GET", "/accounts?limit=100&sort=-arr")).items) {
    if (!a.renewal_date || a.lifecycle_stage === "churned") continue;
    if ((new Date(a.renewal_date) - Date.now()) / 86400_000 > 360) continue;
    const contacts = await api("GET", `/accounts/${a.id}/contacts`);
    reachable = (contacts.items ?? contacts).filter((c) => c.email && c.status === "active").map((c) => c.email);
    if (reachable.length) { account = a; break; }
  }
  await api("PATCH", `/accounts/${account.id}`, { owner_id: rowanId });

  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, admin);
  await openMenu(page, "admin");
  await page.click("#menu-admin >> text=Trigger rules");
  await page.waitForURL(`${base}/admin/triggers`);
  assert.match(await page.textContent("#rules"), /Strategic renewal in 90 days/, "the demo's rules");
  await page.fill("#rule-name", "Renewal prep for the largest");
  await page.selectOption("#rule-signal", "renewal_in");
  await page.fill("#rule-param", "365");
  await page.fill("#rule-form input[name=min_arr]", account.arr);
  await page.fill("#rule-task-title", "Prepare the renewal with {account}");
  await page.fill("#rule-form input[name=task_days]", "0");
  await page.check("#rule-email-on");
  await page.selectOption("#rule-approach", "open_question");
  await page.click("#rule-submit");
  await page.waitForURL(/\/admin\/triggers\/\d+#rule$/);
  const rulePage = page.url().split("#")[0];
  assert.match(await page.textContent("#rule-description"), /When the renewal is 365 days away or less and ARR is at least/);
  // The dry run names the account and does nothing yet.
  assert.match(await page.locator("#dry-run tr", { hasText: account.name }).textContent(), /fires on the next run/);
  assert.match(await page.textContent("#firings"), /It has not fired yet/);
  await page.screenshot({ path: join(artifacts, "trigger-rule.png"), fullPage: true });

  // "Run now" queues the run; the job queue runs it within seconds.
  await page.goto(`${base}/admin/triggers`);
  await page.click("#run-now");
  let fired = false;
  for (let i = 0; i < 40 && !fired; i++) {
    await new Promise((r) => setTimeout(r, 500));
    await page.goto(rulePage);
    fired = (await page.locator("#firings tr", { hasText: account.name }).count()) > 0;
  }
  assert.ok(fired, "the rule fired on the account");
  assert.match(await page.locator("#firings tr", { hasText: account.name }).textContent(), /task "Prepare the renewal with/);
  await page.screenshot({ path: join(artifacts, "trigger-fired.png"), fullPage: true });
  await page.context().close();

  const csm = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(csm, rowan);
  await csm.goto(`${base}/today`);
  assert.ok(await csm.locator("#today-list li", { hasText: `Prepare the renewal with ${account.name}` }).count() > 0, "the task is on Today");
  await csm.context().close();
  if (smtpPython) {
    // The risk playbook's outreach, to the account's decision maker (or another contact).
    const message = await arrived(`${account.name}: how can we help this year?`);
    const to = message.match(/^To: (.+)$/m)[1].trim().toLowerCase();
    assert.ok(reachable.includes(to), `${to} is one of the account's contacts`);
  }
});
test("surveys: a customer answers an NPS survey through its link in a fresh browser, the answer is on the account and the detractor task on the CSM's Today/Tasks", async (t) => {
  if (!browser) return t.skip("no chromium");
  const nina = { email: "nina.csm@example.com", password: "nina-password-1234" };
  lodestar(["user", "add", "--email", nina.email, "--name", "Nina Csm", "--role", "csm", "--password-stdin"], nina.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const ninaId = (users.items ?? users).find((u) => u.email === nina.email).id;
  // An account with a contact who has an email address, given to Nina.
  let account, contact;
  for (const a of (await api("GET", "/accounts?limit=100&sort=arr")).items) {
    const contacts = await api("GET", `/accounts/${a.id}/contacts`);
    contact = (contacts.items ?? contacts).find((c) => c.email);
    if (contact) { account = a.id; break; }
  }
  await api("PATCH", `/accounts/${account}`, { owner_id: ninaId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, nina);
  await page.goto(`${base}/accounts/${account}`);
  await page.click("#surveys summary:has-text('Write a survey')");
  await page.selectOption("#survey-kind", "nps");
  await page.click("#survey-form button[type=submit]");
  await page.waitForURL(new RegExp(`/surveys/\\d+$`));
  const survey = page.url().match(/\/surveys\/(\d+)$/)[1];
  await page.check(`#send-form input[name=contact_id][value="${contact.id}"]`);
  await page.click("#send-form button[type=submit]");
  let link;
  if (await page.locator("#emailed").count()) {
    // Sent by email: the link was made as the email went out; it is nowhere else.
    const message = (await arrived(`/c/surveys/${survey}/`)).replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    link = message.match(new RegExp(`https?://\\S+/c/surveys/${survey}/[A-Za-z0-9_-]{43}`))[0];
  } else {
    link = await page.inputValue(".new-link");
  }
  assert.match(link, new RegExp(`/c/surveys/${survey}/[A-Za-z0-9_-]{43}$`));

  // The customer, in a browser with no session, answers once.
  const customer = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const cpage = await customer.newPage();
  const opened = await cpage.goto(link);
  assert.equal(opened.headers()["referrer-policy"], "no-referrer");
  assert.match(await cpage.textContent("h1"), /How likely are you to recommend us/);
  await cpage.check("input[name=score][value='4']");
  await cpage.fill("#answer-comment", "Exports keep failing on our biggest workspace.");
  await cpage.screenshot({ path: join(artifacts, "customer-survey.png"), fullPage: true });
  await cpage.click("#answer-form button[type=submit]");
  await cpage.waitForSelector("#answered");
  assert.match(await cpage.textContent("#answered"), /you answered 4/);
  assert.equal(await cpage.locator("#answer-form").count(), 0, "one answer per link");
  await customer.close();

  // The answer is on the account; the detractor's task on Nina's Today and Tasks.
  await page.goto(`${base}/accounts/${account}`);
  const section = await page.textContent("#surveys");
  assert.match(section, /Exports keep failing on our biggest workspace\./);
  assert.match(section, /detractor/);
  await page.locator("#surveys").screenshot({ path: join(artifacts, "account-surveys.png") });
  await page.goto(`${base}/today`);
  assert.match(await page.textContent("main"), /Close the loop with .+: NPS 4/);
  await page.goto(`${base}/tasks`);
  assert.match(await page.textContent("main"), /Close the loop with .+: NPS 4/);
  // Everyone reads the verbatims.
  await page.goto(`${base}/surveys?q=biggest+workspace`);
  assert.match(await page.textContent("#verbatims"), /Exports keep failing on our biggest workspace\./);
  await page.screenshot({ path: join(artifacts, "surveys.png"), fullPage: true });
  await context.close();
});

test("requests: a CSM creates a feature request from the account page, it ships by a Jira-shaped webhook, and the CSM sees the alert", async (t) => {
  if (!browser) return t.skip("no chromium");
  const rita = { email: "rita.csm@example.com", password: "rita-password-123" };
  lodestar(["user", "add", "--email", rita.email, "--name", "Rita Requests", "--role", "csm", "--password-stdin"], rita.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const ritaId = (users.items ?? users).find((u) => u.email === rita.email).id;
  // Rita takes over an account renewing within 90 days: she is to tell them first.
  const soon = isoDay(90);
  const accounts = (await api("GET", "/accounts?limit=200&sort=renewal_date")).items;
  const target = accounts.find((a) => a.renewal_date && a.renewal_date >= isoDay(1) && a.renewal_date <= soon);
  assert.ok(target, "the demo has an account renewing within 90 days");
  await api("PATCH", `/accounts/${target.id}`, { owner_id: ritaId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, rita);
  await page.goto(`${base}/accounts/${target.id}`);
  await page.waitForSelector("section#requests");
  if ((await page.getAttribute("#add-request", "open")) === null) await page.click("#add-request summary");
  await page.fill("#request-title", "Usage export to their data warehouse");
  await page.selectOption("#request-kind", "feature");
  await page.fill("#request-jira", "DATA-77");
  await page.fill("#request-detail", "Their BI team needs it before the renewal");
  await page.click("#save-request");
  await page.waitForURL(new RegExp(`/accounts/${target.id}#requests$`));
  const row = page.locator("#requests tr", { hasText: "Usage export to their data warehouse" });
  assert.match(await row.textContent(), /Open/);
  assert.match(await row.textContent(), /DATA-77/);
  await page.screenshot({ path: join(artifacts, "account-requests.png"), fullPage: true });

  // The product view ranks it among the open requests by ARR demand.
  await openMenu(page, "portfolio");
  await page.click("#menu-portfolio >> text=Requests");
  await page.waitForURL(`${base}/requests`);
  assert.match(await page.textContent("#request-ranking"), /Usage export to their data warehouse/);
  await page.screenshot({ path: join(artifacts, "requests.png"), fullPage: true });

  // Jira moves the issue to Done: a signed issue event. A forged one is refused first.
  const body = JSON.stringify({
    timestamp: Date.now(), webhookEvent: "jira:issue_updated", issue_event_type_name: "issue_generic",
    issue: { id: "10077", key: "DATA-77", fields: { summary: "Usage export", status: { name: "Done", statusCategory: { key: "done" } } } },
  });
  const sign = (secret) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
  const post = (signature) => fetch(`${base}/api/v1/webhooks/jira`, {
    method: "POST", headers: { "content-type": "application/json", "x-hub-signature": signature }, body,
  });
  assert.equal((await post(sign("guessed"))).status, 401);
  const shipped = await post(sign(JIRA_SECRET));
  assert.equal(shipped.status, 200, await shipped.clone().text());
  const receipt = await shipped.json();
  assert.equal(receipt.request.request.status, "shipped");
  assert.deepEqual(receipt.request.told_account_ids.slice(0, 1), [target.id], "the only asking account is told");

  // Rita's Today says to tell the customer, and the account page shows it shipped.
  await openMenu(page, "my-work");
  await page.click("#menu-my-work >> text=Today");
  await page.waitForURL(`${base}/today`);
  const line = page.locator("#today-list li", { hasText: "Usage export to their data warehouse" });
  assert.match(await line.textContent(), /Tell .* that “Usage export to their data warehouse” shipped/);
  await page.screenshot({ path: join(artifacts, "today-request-shipped.png"), fullPage: true });
  await page.goto(`${base}/accounts/${target.id}`);
  assert.match(await page.locator("#requests tr", { hasText: "Usage export" }).textContent(), /Shipped/);
  if (smtpPython) {
    const message = await arrived("Subject: Shipped: Usage export to their data warehouse");
    assert.match(message, new RegExp(`To: ${rita.email.replace(/[.+]/g, "\\$&")}`, "i"));
  }
  await context.close();
});

test("onboarding: a CSM starts a plan and shares it; the customer ticks off their task and completes onboarding from the link in a fresh browser", async (t) => {
  if (!browser) return t.skip("no chromium");
  const olly = { email: "olly.csm@example.com", password: "olly-password-1234" };
  lodestar(["user", "add", "--email", olly.email, "--name", "Olly Csm", "--role", "csm", "--password-stdin"], olly.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const ollyId = (users.items ?? users).find((u) => u.email === olly.email).id;
  // An account without an onboarding plan yet, with a contact who has an email address.
  let account, contact;
  for (const a of (await api("GET", "/accounts?limit=100&sort=arr")).items) {
    if ((await api("GET", `/accounts/${a.id}/onboarding`)).length) continue;
    const contacts = await api("GET", `/accounts/${a.id}/contacts`);
    contact = (contacts.items ?? contacts).find((c) => c.email);
    if (contact) { account = a.id; break; }
  }
  await api("PATCH", `/accounts/${account}`, { owner_id: ollyId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, olly);
  await page.goto(`${base}/accounts/${account}`);
  await page.click("#open-onboarding");
  await page.waitForURL(`${base}/accounts/${account}/onboarding`);
  const target = new Date(Date.now() + 60 * 864e5).toISOString().slice(0, 10);
  await page.fill("#onboarding-form input[name=target_on]", target);
  await page.fill("#onboarding-form textarea[name=risks]", "Their IT team is busy until the new quarter");
  await page.click("#onboarding-form button[type=submit]");
  await page.waitForURL(new RegExp(`/accounts/${account}/onboarding#onboarding$`));
  assert.match(await page.textContent("#onboarding"), /External kickoff with the customer's project team/);
  assert.match(await page.textContent("#onboarding"), /Midway touchpoint with the executive sponsor/);
  // A task on the customer's side.
  await page.click("text=Add a task");
  const add = page.locator("form[action$='/tasks']");
  await add.locator("input[name=title]").fill("Connect single sign-on");
  await add.locator("select[name=side]").selectOption("customer");
  await add.locator("input[name=owner]").fill("Their IT lead");
  await add.locator("input[name=due_on]").fill(new Date(Date.now() + 14 * 864e5).toISOString().slice(0, 10));
  await add.locator("button[type=submit]").click();
  await page.waitForURL(new RegExp(`/accounts/${account}/onboarding#onboarding$`));
  await page.click("text=Share with the customer");
  const share = page.locator("form[action$='/share']");
  await share.locator("select[name=contact_id]").selectOption(String(contact.id));
  await share.locator("button[type=submit]").click();
  const link = (await page.textContent("#shared-link code")).trim();
  assert.match(link, /\/c\/onboarding\/\d+\/[A-Za-z0-9_-]{43}$/);
  await page.screenshot({ path: join(artifacts, "onboarding.png"), fullPage: true });

  // The customer, in a browser with no session: ticks off their task, then says it is done.
  const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const cpage = await customer.newPage();
  const opened = await cpage.goto(link);
  assert.equal(opened.status(), 200);
  assert.equal(await cpage.textContent("h1"), "Your onboarding plan");
  assert.match(await cpage.textContent("#your-progress"), /0 of 1 done/);
  assert.equal(await cpage.locator("#tasks button").count(), 1, "only the customer's own task can be ticked");
  await cpage.click("#tasks button");
  await cpage.waitForSelector("text=Done ✓ — undo");
  assert.match(await cpage.textContent("#your-progress"), /1 of 1 done/);
  // Technical implementation alone is not complete.
  await cpage.check("#completion-form input[name=technical]");
  await cpage.click("#completion-form button[type=submit]");
  await cpage.waitForSelector("#completion-form input[name=technical]:checked");
  assert.equal(await cpage.locator("#onboarding-complete").count(), 0);
  await cpage.check("#completion-form input[name=process]");
  await cpage.click("#completion-form button[type=submit]");
  await cpage.waitForSelector("#onboarding-complete");
  await cpage.screenshot({ path: join(artifacts, "customer-onboarding.png"), fullPage: true });

  // The CSM sees it complete, in the customer's words.
  await page.goto(`${base}/accounts/${account}/onboarding`);
  assert.match(await page.textContent("#onboarding"), /Complete/);
  assert.match(await page.textContent("#onboarding"), /technical implementation done, process integration done/);
  await customer.close();
  await context.close();
});

test("sprints: a leader finds the slipping accounts on the board and runs a retrospective to its close, refused without the next date", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "portfolio");
  await page.click("#menu-portfolio >> text=Sprint board");
  await page.waitForURL(`${base}/sprints`);
  assert.match(await page.textContent("#slipping-count"), /\d+ slipping/);
  for (const stage of ["land", "adopt", "expand", "renew"]) {
    assert.equal(await page.locator(`#stage-${stage}`).count(), 1, `a column for ${stage}`);
  }
  assert.ok(await page.locator(".board-card.slipping").count() > 0, "slipping accounts are marked");
  await page.screenshot({ path: join(artifacts, "sprint-board.png"), fullPage: true });

  // The account in its second sprint (found through the API: the board shows the slipping
  // accounts first): where it stands, the sprint, its retrospectives.
  const board = await (await fetch(`${base}/api/v1/sprint-board`, { headers: { authorization: `Bearer ${admin.token}` } })).json();
  const second = board.find((card) => card.sprint?.number === 2);
  await page.goto(`${base}/accounts/${second.account_id}/sprints`);
  assert.match(await page.textContent("#lifecycle"), /contract signed, starting \d{4}-\d\d-\d\d/);
  assert.match(await page.textContent("section.sprint:not(.past) h2"), /Sprint 2 .*week 1 of 8/);
  assert.equal(await page.locator("#retrospectives li", { hasText: "closed" }).count(), 1);
  await page.screenshot({ path: join(artifacts, "sprints.png"), fullPage: true });
  await page.locator("#retrospectives li", { hasText: "to close" }).locator("a").click();
  await page.waitForURL(/\/meetings\/\d+\/retrospective$/);

  // The three questions, a challenge vented, a promise of the customer's.
  await page.fill("#retro-continue", "Keep the office hours; start a champions' channel");
  await page.fill("#retro-stop", "Stop the Friday data dumps");
  await page.fill("#retro-ideas", "A usage digest for each regional lead");
  await page.click("#save-answers");
  await page.waitForURL(/\/retrospective#questions$/);
  assert.equal(await page.inputValue("#retro-stop"), "Stop the Friday data dumps");
  await page.fill("#challenge-form input[name=description]", "Nobody owns onboarding new hires");
  await page.selectOption("#challenge-form select[name=suspected_cause]", "process");
  await page.click("#challenge-form button");
  await page.waitForURL(/\/retrospective#challenges$/);
  assert.match(await page.textContent("#challenges"), /Nobody owns onboarding new hires\s*Process/);
  await page.fill("#promise-form input[name=promise]", "Name an owner for new-hire onboarding");
  const customer = await page.locator("#promise-form select[name=owner] option", { hasText: "(customer)" }).first().getAttribute("value");
  await page.selectOption("#promise-form select[name=owner]", customer);
  await page.click("#promise-form button");
  await page.waitForURL(/\/retrospective#promises$/);
  assert.match(await page.textContent("#promises"), /Name an owner for new-hire onboarding/);

  // Closing without the next date is refused, and nothing typed is lost.
  await page.fill("#next-on", "");
  await page.click("#close-retro");
  await page.waitForSelector("#retro-problem");
  assert.match(await page.textContent("#retro-problem"), /set the date of the next retrospective before closing this one/);
  assert.equal(await page.locator("#retro-closed").count(), 0);
  assert.equal(await page.inputValue("#retro-stop"), "Stop the Friday data dumps");
  const next = new Date(Date.now() + 21 * 86400000).toISOString().slice(0, 10);
  await page.fill("#next-on", next);
  await page.click("#close-retro");
  await page.waitForURL(/\/retrospective#close$/);
  assert.equal(await page.locator("#retro-closed").count(), 1);
  assert.match(await page.textContent("#next-retro"), new RegExp(`Next retrospective: .*${next}`));
  assert.equal(await page.locator("#close-form").count(), 0, "closed stays closed");
  await page.screenshot({ path: join(artifacts, "retrospective.png"), fullPage: true });
  await context.close();
});

test("renewals: a leader reads the pipeline by window, a call at risk is refused as a commit, an early renewal is recorded, and the forecast and expansion show it", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "revenue");
  await page.click("#menu-revenue >> text=Renewals");
  await page.waitForURL(`${base}/renewals`);
  for (const days of [30, 60, 90, 180]) {
    assert.match(await page.textContent(`#window-${days}`), new RegExp(`${days} days · \\d+ · \\$`));
  }
  assert.ok(await page.locator("#pipeline tbody tr").count() > 0, "renewals in the next 90 days");
  await page.screenshot({ path: join(artifacts, "renewals.png"), fullPage: true });

  // An uncalled renewal within six months: the call the form refuses, then the one it keeps.
  await page.click("#window-180");
  await page.waitForURL(/within=180/);
  await page.locator("#pipeline tbody tr", { hasText: "Not called" }).first().locator("a.button").click();
  await page.waitForURL(/\/contracts\/\d+\/renewal$/);
  assert.match(await page.textContent("#no-calls"), /No call made yet/);
  await page.selectOption("#call-outlook", "at_risk");
  await page.selectOption("#call-category", "commit");
  await page.fill("#call-arr", "1,000");
  await page.click("#call-form button");
  await page.waitForSelector("#renewal-problem");
  assert.match(await page.textContent("#renewal-problem"), /at risk is not a commit/);
  assert.equal(await page.inputValue("#call-arr"), "1,000", "what was typed is kept");
  await page.selectOption("#call-category", "best_case");
  await page.click("#call-form button");
  await page.waitForURL(/\/renewal#renewal$/);
  assert.match(await page.textContent("#calls"), /At risk\s*Best case\s*\$1,000/);
  await page.screenshot({ path: join(artifacts, "renewal.png"), fullPage: true });

  // Signed early, with an uplift.
  await page.selectOption("#close-result", "renewed");
  await page.fill("#close-arr", "1,100");
  await page.click("#close-form button");
  await page.waitForURL(/\/renewal#renewal$/);
  assert.match(await page.textContent("#closed-line"), /Renewed on \d{4}-\d\d-\d\d at \$1,100 ARR/);
  assert.equal(await page.locator("#call-form").count(), 0, "a closed renewal takes no more calls");

  // The quarter's forecast: the calls it began with against what renewed.
  await openMenu(page, "revenue");
  await page.click("#menu-revenue >> text=Forecast");
  await page.waitForURL(/\/forecast$/);
  assert.match(await page.textContent("#commit-arr"), /^\$[\d,]+$/);
  assert.ok(await page.locator("#by-category tbody tr").count() >= 2, "the categories the quarter began with");
  assert.match(await page.textContent("#expansion-won"), /Won this quarter\s*\d+\s*\$/);
  await page.screenshot({ path: join(artifacts, "forecast.png"), fullPage: true });

  // Expansion: a cross-sell opened on an account goes to its AE (or its CSM without one).
  await openMenu(page, "revenue");
  await page.click("#menu-revenue >> text=Expansion");
  await page.waitForURL(`${base}/opportunities`);
  assert.ok(await page.locator("#opportunities tbody tr").count() > 0);
  await page.screenshot({ path: join(artifacts, "opportunities.png"), fullPage: true });
  await page.locator("#opportunities tbody tr").first().locator("td").first().locator("a").click();
  await page.waitForURL(/\/accounts\/\d+\/opportunities$/);
  await page.selectOption("#opportunity-kind", "new_product");
  await page.fill("#opportunity-title", "Forecasting add-on for the finance team");
  await page.fill("#opportunity-amount", "14,000");
  await page.click("#opportunity-form button");
  await page.waitForURL(/\/opportunities#opportunity-\d+$/);
  const row = page.locator("#opportunities tbody tr", { hasText: "Forecasting add-on for the finance team" });
  assert.match(await row.textContent(), /New product \(cross-sell\)\s*\$14,000/);
  assert.notEqual((await row.locator("td").last().textContent()).trim(), "Unassigned");
  await context.close();
});

test("revenue: a leader opens retention by tier and a retention curve by industry", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "revenue");
  await page.click('#menu-revenue a[href="/revenue/retention"]');
  await page.waitForURL(`${base}/revenue/retention`);
  await page.selectOption("select[name=by]", "tier");
  await page.click("#retention-filters button[type=submit]");
  await page.waitForURL(/by=tier/);
  // The demo's subscription history has churn, expansion and contraction in the last year.
  assert.match(await page.textContent("#nrr"), /^\d+\.\d %$/);
  assert.match(await page.textContent("#grr"), /^\d+\.\d %$/);
  assert.match(await page.textContent("#logo-churn"), /^\d+\.\d %$/);
  const tiers = await page.locator("#retention-by-group tbody tr td:first-child").allTextContents();
  assert.deepEqual(tiers.filter((t) => t !== "No tier"), ["Strategic", "Enterprise", "Mid-tier", "Long tail"]);
  // Drawn: four lines over the axes, and a line per tier.
  await page.waitForFunction(() => document.querySelectorAll("#retention-chart svg path").length > 8);
  await page.waitForFunction(() => document.querySelectorAll("#retention-group-chart svg path").length > 8);
  assert.equal(await page.locator("#retention-steps tbody tr").count(), 4, "four quarters");
  await page.screenshot({ path: join(artifacts, "revenue-retention.png"), fullPage: true });

  await page.click(".page-head a[href=\"/revenue/curves\"]");
  await page.waitForURL(`${base}/revenue/curves`);
  await page.selectOption("select[name=by]", "industry");
  await page.click("#curves-filters button[type=submit]");
  await page.waitForURL(/by=industry/);
  await page.waitForFunction(() => document.querySelectorAll("#survival-chart svg path").length > 8);
  const rows = await page.locator("#curves-table tbody tr").count();
  assert.ok(rows >= 5, `one curve per industry, got ${rows}`);
  assert.match(await page.textContent("#curves-table tbody tr:first-child td:nth-child(5)"), /%|—/);
  assert.match(await page.textContent("#curves"), /log-log 95% \(Greenwood variance\)/);
  await page.screenshot({ path: join(artifacts, "revenue-curves.png"), fullPage: true });
  // Few curves: each with its band.
  await page.selectOption("select[name=by]", "tier");
  await page.click("#curves-filters button[type=submit]");
  await page.waitForURL(/by=tier/);
  await page.waitForFunction(() => document.querySelectorAll("#survival-chart svg path").length > 8);
  await page.screenshot({ path: join(artifacts, "revenue-curves-tier.png"), fullPage: true });
  await context.close();
});

test("1:1s: a leader holds a CSM's monthly 1:1 with the book's figures filled in and sets a long-term goal; the CSM reads it and sends anonymous feedback that leadership reads without a name", async (t) => {
  if (!browser) return t.skip("no chromium");
  const lead = { email: "lou.lead@example.com", password: "lou-password-1234" };
  const cam = { email: "cam.csm@example.com", password: "cam-password-1234" };
  lodestar(["user", "add", "--email", lead.email, "--name", "Lou Lead", "--role", "leader", "--password-stdin"], lead.password + "\n");
  lodestar(["user", "add", "--email", cam.email, "--name", "Cam Csm", "--role", "csm", "--manager", lead.email, "--password-stdin"], cam.password + "\n");
  const users = await api("GET", "/users?limit=500");
  const camId = (users.items ?? users).find((u) => u.email === cam.email).id;
  const accounts = (await api("GET", "/accounts?limit=20&sort=-arr")).items.filter((a) => a.lifecycle_stage !== "churned").slice(0, 2);
  for (const a of accounts) await api("PATCH", `/accounts/${a.id}`, { owner_id: camId });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, lead);
  await openMenu(page, "leadership");
  await page.click("#menu-leadership >> text=1:1s");
  await page.waitForURL(`${base}/one-on-ones`);
  assert.match(await page.textContent(`#roster-${camId}`), /never held: due now/);
  assert.match(await page.textContent("#roster h2"), /1 due now/);
  await page.click(`#hold-${camId}`);
  await page.waitForURL(new RegExp(`/one-on-ones/new\\?csm=${camId}$`));
  assert.equal((await page.textContent("#figure-accounts")).trim(), "2", "the book's figures are filled in");
  assert.match(await page.textContent("#template"), /What's on your mind about the company\?/);
  await page.fill("textarea[name=look_around]", "Settling in; wants clearer priorities from sales.");
  await page.fill("textarea[name=look_back]", "Took over two strategic accounts without a dip.");
  await page.fill("textarea[name=look_forward]", "Book the first QBR with each new sponsor.");
  await page.screenshot({ path: join(artifacts, "one-on-one-template.png"), fullPage: true });
  await page.click("#save-one-on-one");
  await page.waitForURL(/\/one-on-ones\/\d+$/);
  const oneUrl = page.url();
  assert.equal(await page.inputValue("textarea[name=look_forward]"), "Book the first QBR with each new sponsor.");
  await page.fill("#add-goal input[name=title]", "Lead the enterprise pod");
  await page.click("#add-goal button");
  await page.waitForURL(/\/one-on-ones\/\d+#goals$/);
  const goal = page.locator("#goals li[id^=goal-]", { hasText: "Lead the enterprise pod" });
  await goal.locator("select[name=status]").selectOption("stalled");
  await goal.locator("input[name=note]").fill("No pod opens before the reorg");
  await goal.locator("button").click();
  await goal.locator(".badge", { hasText: "Stalled" }).waitFor();
  await goal.locator("summary").click();
  assert.match(await goal.textContent(), /Stalled — No pod opens before the reorg \(Lou Lead/);
  await page.screenshot({ path: join(artifacts, "one-on-one.png"), fullPage: true });
  await page.goto(`${base}/one-on-ones`);
  assert.match(await page.textContent(`#roster-${camId}`), /due \d{4}-\d{2}-\d{2}/, "no longer overdue");
  await context.close();

  // The CSM reads their 1:1 (no edit controls) and sends feedback to leadership.
  const csmContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const csmPage = await csmContext.newPage();
  await signIn(csmPage, cam);
  await csmPage.goto(oneUrl);
  assert.match(await csmPage.textContent("#template"), /Took over two strategic accounts/);
  assert.equal(await csmPage.locator("textarea[name=look_back]").count(), 0, "the CSM reads, the leader writes");
  await csmPage.goto(`${base}/one-on-ones`);
  await csmPage.selectOption("#feedback-form select[name=topic]", "opportunity");
  await csmPage.fill("#feedback-form textarea[name=body]", "Long-tail customers keep asking for a monthly webinar.");
  await csmPage.click("#feedback-form button[type=submit]");
  await csmPage.waitForURL(/sent=1/);
  assert.match(await csmPage.textContent("#feedback-sent"), /sent anonymously/);
  assert.equal(await csmPage.locator("#feedback").count(), 0, "a CSM does not read the feedback");
  await csmContext.close();

  const leaderContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const leaderPage = await leaderContext.newPage();
  await signIn(leaderPage, LEADER);
  await leaderPage.goto(`${base}/one-on-ones#feedback`);
  const row = leaderPage.locator("#feedback tbody tr", { hasText: "monthly webinar" });
  assert.equal(await row.count(), 1);
  assert.doesNotMatch(await row.textContent(), /Cam/, "no author");
  await leaderPage.locator("#feedback").screenshot({ path: join(artifacts, "leadership-feedback.png") });
  await leaderContext.close();
});

test("capacity: a leader finds the CSM over their benchmark, reads the suggested moves and applies them in one step", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, LEADER);
  await openMenu(page, "leadership");
  await page.click("#menu-leadership >> text=Capacity");
  await page.waitForURL(`${base}/capacity`);
  assert.ok(Number(await page.textContent("#over-count")) > 0, "the demo has someone over their benchmark");
  const over = page.locator("#books tbody tr.loading-over").first();
  assert.match(await over.textContent(), /Over/);
  const moves = await page.locator("#rebalance tbody tr").count();
  assert.ok(moves > 0, "a rebalancing is suggested");
  await page.screenshot({ path: join(artifacts, "capacity.png"), fullPage: true });
  await page.click("#apply-rebalance");
  await page.waitForURL(/\/capacity#rebalance$/);
  assert.equal(await page.locator("#books tbody tr.loading-over").count(), 0, "nobody is over any more");
  assert.match(await page.textContent("#no-moves"), /nothing to move/);
  await context.close();
});

test("segmentation: an admin previews a tier formula, reads which accounts would change tier, and applies it in one step", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, admin);
  await openMenu(page, "leadership");
  await page.click("#menu-leadership >> text=Segmentation");
  await page.waitForURL(`${base}/segmentation`);
  await page.fill("input[name=growth_weight]", "40");
  await page.fill("input[name=arr_weight]", "30");
  await page.click("#preview-formula");
  await page.waitForURL(/\/segmentation\?arr_weight=30/);
  const total = Number(await page.textContent("#changes-total"));
  assert.ok(total > 0, "weighing growth more moves some accounts");
  const first = page.locator("#preview tbody tr").first();
  const accountId = (await first.getAttribute("id")).replace("change-", "");
  const wouldBe = (await first.locator("td").nth(4).textContent()).trim();
  await page.screenshot({ path: join(artifacts, "segmentation-preview.png"), fullPage: true });
  await page.click("#apply-formula");
  await page.waitForURL(/\/segmentation#preview$/);
  assert.equal(await page.locator("#segmentation-problem").count(), 0, "applied as previewed");
  assert.equal(await page.inputValue("input[name=growth_weight]"), "40", "the formula applied is the one in use");
  const account = await api("GET", `/accounts/${accountId}`);
  const labels = { strategic: "Strategic", enterprise: "Enterprise", mid_tier: "Mid-tier", long_tail: "Long tail" };
  assert.equal(labels[account.tier], wouldBe, "the account moved to the tier the preview showed");
  await context.close();
});

test("experience levels: an admin gives the pooled level monthly check-ins and adds a level; a leader places an account in it from the account page; the QBRs list follows", async (t) => {
  if (!browser) return t.skip("no chromium");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, admin);
  await page.goto(`${base}/segmentation#experience`);
  const neighborhood = page.locator("#experience tr", { hasText: "Neighborhood" }).first();
  assert.match(await neighborhood.textContent(), /Check-in every 91 days · Pooled CSMs/);
  const levelId = (await neighborhood.getAttribute("id")).replace("level-", "");
  await page.fill(`#level-form-${levelId} input[name=check_in_every_days]`, "30");
  await page.click(`#level-form-${levelId} button[type=submit]`);
  await page.waitForURL(/\/segmentation#experience$/);
  assert.match(await page.textContent(`#level-${levelId}`), /Check-in every 30 days · Pooled CSMs/);
  // A name is one level's only: the refusal is shown by the section.
  await page.fill("#new-level input[name=name]", "High touch");
  await page.click("#new-level button[type=submit]");
  await page.waitForURL(/\/segmentation#experience$/);
  assert.match(await page.textContent("#experience-problem"), /already exists/);
  await page.fill("#new-level input[name=name]", "Executive");
  await page.fill("#new-level input[name=qbr_every_days]", "60");
  await page.fill("#new-level input[name=check_in_every_days]", "30");
  await page.click("#new-level button[type=submit]");
  await page.waitForURL(/\/segmentation#experience$/);
  const executive = page.locator("#experience tr", { hasText: "Executive" }).first();
  assert.match(await executive.textContent(), /placed by hand\s*QBR every 60 days · Check-in every 30 days · Named CSM\s*0/);
  await page.locator("#experience").screenshot({ path: join(artifacts, "experience-levels.png") });
  await context.close();

  // A leader places a fast-growing mid-tier account in the new level from its page.
  const leader = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(leader, LEADER);
  const account = (await api("GET", "/accounts?tier=mid_tier&limit=50")).items.find((a) => a.lifecycle_stage !== "churned" && a.growth_potential !== "high");
  await leader.goto(`${base}/accounts/${account.id}`);
  assert.match(await leader.textContent("#profile-facts"), /Experience level\s*Mid-touch \(by its tier\)/);
  await leader.selectOption("#place-level select", { label: "Executive" });
  await leader.click("#place-level button[type=submit]");
  await leader.waitForURL(new RegExp(`/accounts/${account.id}#profile$`));
  assert.match(await leader.textContent("#profile-facts"), /Executive \(placed by hand\): QBR every 60 days/);
  await leader.goto(`${base}/reviews`);
  assert.match(await leader.textContent("#levels"), /Executive\s*— \(placed by hand\)\s*QBR every 60 days · Check-in every 30 days · Named CSM\s*1/);
  await leader.context().close();
});
