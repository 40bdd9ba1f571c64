// The smart-card journey of the web desk: the record page pairs with the desk's own
// `card-agent serve` and writes the registry's card to the smart card, then reads it back.
// Run by card-agent/tests/agent/desk_browser.rs, which starts the registry, the virtual card behind
// the real pcscd and the agent, and passes: DESK_URL, DESK_USER, DESK_PASSWORD, PATIENT_ID,
// CARD_SERIAL, AGENT_PORT, PAIRING_CODE, SCREENSHOT_DIR, PROFILE_DIR, CHROMIUM.
// (Not a *.test.mjs file: `node --test tests/browser/` must not pick it up without them.)
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through card-agent/tests/agent/desk_browser.rs)`);
  return value;
};
const URL = env("DESK_URL");
const SERIAL = env("CARD_SERIAL");
const SHOTS = env("SCREENSHOT_DIR");
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let context;
after(async () => {
  if (context) {
    await context.close();
  }
});

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return String(port);
}

/** Waits until #sc-output shows the page's message `key` (wrapped in bidi isolates). (A polling
 * loop of `page.evaluate`: `waitForFunction` would build its predicate with eval, which the
 * desk's Content-Security-Policy rightly refuses.) */
async function outcome(page, key) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const state = await page.evaluate((key) => {
      const sc = document.getElementById("smartcard");
      const out = document.getElementById("sc-output");
      return {
        done: !out.hidden && sc.getAttribute("aria-busy") === "false" &&
          out.textContent.includes(sc.dataset[key]),
        text: out.textContent,
        cls: out.className,
      };
    }, key);
    if (state.done) {
      return state;
    }
    assert.ok(Date.now() < deadline, `no ${key} message; the page shows: ${state.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("the record page writes the card to the smart card through card-agent serve", async () => {
  context = await chromium.launchPersistentContext(
    mkdtempSync(join(env("PROFILE_DIR"), "chromium-")),
    { executablePath: env("CHROMIUM"), headless: true, args: ARGS,
      viewport: { width: 1280, height: 800 } },
  );
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(`${URL}/desk/`);
  await page.fill("#login-username", env("DESK_USER"));
  await page.fill("#login-password", env("DESK_PASSWORD"));
  await page.press("#login-password", "Enter");
  await page.waitForURL(`${URL}/desk/`);
  await page.goto(`${URL}/desk/patients/${env("PATIENT_ID")}`);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  await page.click("#smartcard summary");

  // No agent on that port: the page says how to start one, for this origin.
  await page.fill("#sc-port", await closedPort());
  await page.fill("#sc-pairing", env("PAIRING_CODE"));
  await page.click("#sc-read");
  await page.waitForSelector("#sc-start", { state: "visible", timeout: 30000 });
  assert.equal(
    (await page.textContent("#sc-command")).trim(),
    `card-agent serve --origin ${URL}`,
  );
  await page.screenshot({ path: join(SHOTS, "smartcard-no-agent.png"), fullPage: true });

  // The agent, with a wrong pairing code: refused, in the page's language.
  await page.fill("#sc-port", env("AGENT_PORT"));
  await page.fill("#sc-pairing", "not-the-code");
  await page.click("#sc-write");
  const refused = await outcome(page, "msgPairingRequired");
  assert.match(refused.cls, /error/);
  assert.ok(!refused.text.includes(SERIAL));

  // The right code, remembered for the next visit; write, then read back.
  await page.fill("#sc-pairing", env("PAIRING_CODE"));
  await page.click("#sc-save");
  await page.click("#sc-write");
  const written = await outcome(page, "msgWritten");
  assert.match(written.cls, /\bok\b/);
  assert.ok(written.text.includes(SERIAL), written.text);
  await page.screenshot({ path: join(SHOTS, "smartcard-written.png"), fullPage: true });

  await page.reload();
  assert.equal(await page.inputValue("#sc-pairing"), env("PAIRING_CODE"));
  await page.click("#sc-read");
  const read = await outcome(page, "msgReadOk");
  assert.match(read.cls, /\bok\b/);
  assert.ok(read.text.includes(SERIAL), read.text);
  assert.ok(read.text.includes("فاطمة"), read.text);
  await page.screenshot({ path: join(SHOTS, "smartcard-read.png"), fullPage: true });

  assert.deepEqual(problems, []);
});
