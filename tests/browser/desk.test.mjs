// Browser journeys through the web desk in headless Chromium (the system's /usr/bin/chromium,
// driven by playwright-core; no browser is downloaded). Run by registry-server/tests/registry/browser.rs,
// which starts the registry and passes the URL and the users in the environment:
// DESK_URL, DESK_PASSWORD, REGISTRAR_USER, REGISTRAR_TOKEN, CLINICIAN_USER, PHARMACIST_USER,
// STATISTICIAN_USER, PHARMACIST2_TOKEN, SUPPLY_USER, INSPECTOR_USER,
// SCREENSHOT_DIR, PROFILE_DIR, CHROMIUM.
//
// The journeys run in order and share what they make (the patient, the card).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:http";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through registry-server/tests/registry/browser.rs)`);
  return value;
};
const URL = env("DESK_URL");
const PASSWORD = env("DESK_PASSWORD");
const SHOTS = env("SCREENSHOT_DIR");
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const contexts = [];
after(async () => {
  for (const context of contexts) {
    await context.close();
  }
});

/** A fresh browser profile (its own --user-data-dir) at 1280×800. */
async function browser() {
  const profile = mkdtempSync(join(env("PROFILE_DIR"), "chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env("CHROMIUM"),
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  // Nothing on a desk page may come from anywhere but the desk (or the local card agent).
  page.on("request", (request) => {
    const url = request.url();
    assert.ok(
      url.startsWith(URL) || url.startsWith("data:") || url.startsWith("http://127.0.0.1:"),
      `request to ${url}`,
    );
  });
  // Script errors and CSP violations; a page answered with a 4xx status is not one.
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(m.text());
    }
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.problems = problems;
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page, user) {
  await page.goto(`${URL}/desk/`);
  assert.match(page.url(), /\/desk\/login$/);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  await page.fill("#login-username", user);
  await page.fill("#login-password", PASSWORD);
  await page.press("#login-password", "Enter");
  await page.waitForURL(`${URL}/desk/`);
}

const world = {};

test("the registrar registers a patient in Arabic; a validation error keeps what was typed", async () => {
  const page = await browser();
  await page.goto(`${URL}/desk/login`);
  await shot(page, "login-ar");
  // Keyboard only: the username field has the focus; Tab and Shift+Tab move through the form
  // with a visible focus ring; the first stop of the page is the skip link.
  assert.equal(await page.evaluate(() => document.activeElement.id), "login-username");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "login-password");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, "none", "a visible focus ring");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "lang-switch");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  await signIn(page, env("REGISTRAR_USER"));
  await shot(page, "home-registrar-ar");
  await page.click("a[href='/desk/patients/new']");
  await page.waitForURL(`${URL}/desk/patients/new`);
  // Every field has a real label.
  for (const id of ["r-id_value", "r-ar1", "r-birth_date", "r-sex"]) {
    assert.equal(await page.locator(`label[for='${id}']`).count(), 1, id);
  }
  await page.selectOption("#r-id_type", "national");
  await page.fill("#r-id_value", "٢١٩٨٥");
  await page.fill("#r-ar1", "مريم");
  await page.fill("#r-ar2", "علي");
  await page.fill("#r-ar3", "سالم");
  await page.fill("#r-ar4", "الورفلي");
  await page.selectOption("#r-sex", "female");
  await page.fill("#r-birth_date", "١٩٨٥-٠٣-٠٧");
  await page.fill("#r-municipality", "بنغازي");
  await page.click("button.primary[type=submit]");
  await page.waitForSelector("#r-id_value-error");
  await shot(page, "register-error-ar");
  // Everything typed is still there, and the error is tied to its field.
  assert.equal(await page.inputValue("#r-id_value"), "٢١٩٨٥");
  assert.equal(await page.inputValue("#r-ar1"), "مريم");
  assert.equal(await page.inputValue("#r-ar4"), "الورفلي");
  assert.equal(await page.inputValue("#r-birth_date"), "١٩٨٥-٠٣-٠٧");
  assert.equal(await page.inputValue("#r-sex"), "female");
  assert.equal(await page.getAttribute("#r-id_value", "aria-invalid"), "true");
  assert.match(await page.getAttribute("#r-id_value", "aria-describedby"), /r-id_value-error/);
  // The proposal for the Latin name is shown: the usual spellings of these common names.
  assert.match(await page.textContent("#proposal"), /Mariam Ali Salem Al-Warfalli/);

  await page.fill("#r-id_value", "٢١٩٨٥٠٣٠٧١٢٣");
  await page.click("button.primary[type=submit]");
  await page.waitForURL(/\/desk\/patients\/[a-z0-9]+\?done=register/);
  world.patient = new globalThis.URL(page.url()).pathname.split("/").pop();
  assert.match(await page.textContent("main"), /219850307123/);
  assert.match(await page.textContent("main"), /1985-03-07/);
  await shot(page, "record-new-ar");
  assert.deepEqual(page.problems, []);
});

test("the clinician finds the patient and adds a tumour and a medicine authorisation", async () => {
  const page = await browser();
  await signIn(page, env("CLINICIAN_USER"));
  await shot(page, "home-clinician-ar");
  // No registration for clinicians.
  assert.equal(await page.locator("a[href='/desk/patients/new']").count(), 0);
  await page.goto(`${URL}/desk/patients`);
  await shot(page, "search-empty-ar");
  await page.fill("#s-name", "مريم الورفلي");
  await page.press("#s-name", "Enter");
  await page.waitForSelector(`a[href='/desk/patients/${world.patient}']`);
  await shot(page, "search-ar");
  await page.click(`a[href='/desk/patients/${world.patient}']`);
  await page.waitForURL(`${URL}/desk/patients/${world.patient}`);

  await page.click("#tumours summary");
  await page.fill("#tu-icd10", "C50.4");
  await page.fill("#tu-topography", "C50.4");
  await page.fill("#tu-morphology", "٨٥٠٠");
  await page.fill("#tu-behaviour", "3");
  await page.fill("#tu-grade", "2");
  await page.fill("#tu-basis", "7");
  await page.fill("#tu-incidence", "٢٠٢٥-٠٩-٠٣");
  await page.selectOption("#tu-stage_scheme", "tnm8");
  await page.fill("#tu-stage_t", "T2");
  await page.fill("#tu-stage_n", "N1");
  await page.fill("#tu-stage_m", "M0");
  await page.fill("#tu-stage_group", "IIB");
  await page.press("#tu-stage_group", "Enter");
  await page.waitForURL(/done=saved/);
  assert.match(await page.textContent("#tumours"), /8500\/3/);
  await shot(page, "record-tumour-saved-ar");

  await page.click("#medicines summary");
  await page.fill("#me-atc", "L02BA01");
  await page.fill("#me-name", "tamoxifen");
  await page.fill("#me-strength", "20 mg");
  await page.selectOption("#me-form", "tablet");
  await page.fill("#me-quantity", "٣٠");
  await page.fill("#me-dispensings", "3");
  await page.fill("#me-interval_days", "28");
  await page.fill("#me-valid_until", "2027-06-30");
  await page.click("#medicines button[type=submit]");
  await page.waitForURL(/done=saved/);
  assert.match(await page.textContent("#medicines"), /tamoxifen/);
  await shot(page, "record-clinician-ar");
  assert.deepEqual(page.problems, []);
});

test("the registrar issues a card; the language switch flips the page to English and back", async () => {
  const page = await browser();
  await signIn(page, env("REGISTRAR_USER"));
  await page.goto(`${URL}/desk/patients/${world.patient}`);
  await page.click("#issue-card");
  await page.waitForURL(/done=issue/);
  const serial = (await page.textContent("#cards tbody tr td .code")).trim();
  assert.match(serial, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  world.serial = serial;
  assert.ok(await page.isVisible("#sc-write"), "a registrar can write the smart card");
  await shot(page, "record-ar");

  // The printable card: a PDF download, fetched with a busy state.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#card-pdf")]);
  const pdf = await download.path().then((p) => import("node:fs").then((fs) => fs.readFileSync(p)));
  assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
  assert.match(download.suggestedFilename(), /^card-.*\.pdf$/);
  // Kept for the pharmacy, which is handed the printed card as a photo.
  world.pdf = join(env("PROFILE_DIR"), "printed-card.pdf");
  await download.saveAs(world.pdf);

  // The smart-card buttons without a running card agent say how to start one.
  await page.click("#sc-read");
  await page.waitForSelector("#sc-start:not([hidden])");
  assert.match(await page.textContent("#sc-command"), new RegExp(`card-agent serve --origin ${URL}`));

  await page.click("a.lang-switch");
  await page.waitForURL(`${URL}/desk/patients/${world.patient}`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.getAttribute("html", "dir"), "ltr");
  assert.match(await page.textContent("h1"), /Patient record/);
  await shot(page, "record-en");
  // The choice survives navigation.
  await page.click("a[href='/desk/patients']");
  assert.equal(await page.getAttribute("html", "dir"), "ltr");
  await shot(page, "search-en");
  await page.click("a.lang-switch");
  assert.equal(await page.getAttribute("html", "lang"), "ar");
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.deepEqual(page.problems.filter((p) => !p.includes("127.0.0.1:47311")), []);

  const qr = await fetch(`${URL}/api/v1/cards/${serial}/qr`, {
    headers: { Authorization: `Bearer ${env("REGISTRAR_TOKEN")}` },
  });
  assert.equal(qr.status, 200);
  world.qr = (await qr.text()).trim();
  assert.match(world.qr, /^LYOC1:/);
});

/**
 * A stand-in for `card-agent serve` (docs/card-agent.md, "The protocol"): checks the origin
 * and the pairing code, answers CORS preflights, and records what the page sent.
 */
function fakeAgent(origin, code) {
  const seen = { writes: [], reads: 0 };
  const server = createServer((req, res) => {
    const cors = {
      "Access-Control-Allow-Origin": origin,
      "Vary": "Origin",
      "Cache-Control": "no-store",
      "Content-Type": "application/json",
    };
    if (req.headers.origin !== origin) {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "origin_refused", message: "origin" }));
      return;
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        ...cors,
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "authorization, content-type",
        "Access-Control-Allow-Private-Network": "true",
      });
      res.end();
      return;
    }
    if (req.headers.authorization !== `Pairing ${code}`) {
      res.writeHead(401, cors);
      res.end(JSON.stringify({ error: "pairing_required", message: "pairing" }));
      return;
    }
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      if (req.url === "/v1/card/write") {
        const card = Buffer.from(JSON.parse(body).card, "base64");
        seen.writes.push(card);
        res.writeHead(200, cors);
        res.end(JSON.stringify({ serial: world.serial, bytes: card.length, reader: "Fake reader 00 00" }));
      } else if (req.url === "/v1/card/read") {
        seen.reads += 1;
        if (seen.reads === 1) {
          res.writeHead(409, cors);
          res.end(JSON.stringify({ error: "no_card", message: "no card in the reader" }));
          return;
        }
        res.writeHead(200, cors);
        res.end(JSON.stringify({
          serial: world.serial, status: "valid", issuer: "LY-BEN-PED", expires: "2031-11-26",
          summary: { patient: { name_ar: ["مريم", "علي", "سالم", "الورفلي"] } }, warnings: [],
          card: seen.writes[0]?.toString("base64") ?? "", reader: "Fake reader 00 00",
        }));
      } else {
        res.writeHead(404, cors);
        res.end(JSON.stringify({ error: "not_found", message: "no such path" }));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, seen, port: server.address().port }));
  });
}

test("the registrar writes and reads the smart card through the desk's card agent", async () => {
  const agent = await fakeAgent(URL, "pairingcode0000000000000000");
  try {
    const page = await browser();
    await signIn(page, env("REGISTRAR_USER"));
    await page.goto(`${URL}/desk/patients/${world.patient}`);
    await page.click("#smartcard summary");
    await page.fill("#sc-port", String(agent.port));
    await page.fill("#sc-pairing", "wrong");
    await page.click("#sc-save");
    await page.click("#sc-write");
    await page.waitForSelector("#sc-output.error");
    assert.match(await page.textContent("#sc-output"), /رمز الاقتران مفقود أو خاطئ/);

    await page.fill("#sc-pairing", "pairingcode0000000000000000");
    await page.click("#sc-save");
    // The settings are remembered across pages.
    await page.reload();
    assert.equal(await page.inputValue("#sc-port"), String(agent.port));
    await page.click("#sc-write");
    await page.waitForSelector("#sc-output.ok");
    assert.match(await page.textContent("#sc-output"), /كُتبت البطاقة/);
    assert.equal(agent.seen.writes.length, 1);
    // The page handed over the signed card: a tagged COSE_Sign1 (CBOR tag 18, 0xD2).
    assert.equal(agent.seen.writes[0][0], 0xd2);
    assert.equal(await page.getAttribute("#smartcard", "aria-busy"), "false");

    await page.click("#sc-read");
    await page.waitForSelector("#sc-output.error");
    assert.match(await page.textContent("#sc-output"), /لا توجد بطاقة في القارئ/);
    await page.click("#sc-read");
    await page.waitForSelector("#sc-output.ok");
    const text = await page.textContent("#sc-output");
    assert.match(text, /مريم علي سالم الورفلي/);
    assert.match(text, new RegExp(world.serial));
    await shot(page, "record-smartcard-ar");
    assert.deepEqual(page.problems.filter((p) => !p.includes("127.0.0.1")), []);
  } finally {
    agent.server.close();
  }
});

test("the pharmacist receives stock in Arabic; a malformed lot is refused and keeps what was typed", async () => {
  const page = await browser();
  await signIn(page, env("PHARMACIST_USER"));
  await page.click("a[href='/desk/stock']");
  await page.waitForURL(`${URL}/desk/stock`);
  // No stock kept yet: the page says the ledger starts with the first receipt or count.
  assert.match(await page.textContent("main"), /يبدأ دفترها بأول استلام أو جرد/);
  await shot(page, "stock-empty-ar");
  for (const id of ["rc-atc", "rc-strength", "rc-form", "rc-lot", "rc-expiry", "rc-quantity"]) {
    assert.equal(await page.locator(`label[for='${id}']`).count(), 1, id);
  }
  await page.fill("#rc-atc", "L02BA01");
  await page.fill("#rc-strength", "20 mg");
  await page.selectOption("#rc-form", "tablet");
  await page.fill("#rc-lot", "TX 2027");
  await page.fill("#rc-expiry", "٢٠٢٨-٠١-٣١");
  await page.fill("#rc-quantity", "٥٠");
  await page.click("#form-receive button[type=submit]");
  await page.waitForSelector("#rc-lot-error");
  assert.equal(await page.inputValue("#rc-atc"), "L02BA01");
  assert.equal(await page.inputValue("#rc-quantity"), "٥٠");
  assert.equal(await page.locator("#stock-items").count(), 0, "nothing was recorded");
  await shot(page, "stock-receive-error-ar");
  await page.fill("#rc-lot", "TX-2027-01");
  await page.click("#form-receive button[type=submit]");
  await page.waitForURL(/done=received/);
  assert.match(await page.textContent("#outcome"), /سُجّل الاستلام/);
  assert.equal((await page.textContent("tr[data-atc='L02BA01'] .on-hand")).trim(), "50");
  await shot(page, "stock-received-ar");
  // The same forms in English.
  await page.click(".lang-switch");
  await page.waitForSelector("html[lang='en']");
  assert.equal((await page.textContent("label[for='rc-lot']")).trim(), "Lot number");
  assert.equal((await page.textContent("label[for='ad-reason']")).trim(), "Reason");
  await shot(page, "stock-en");
  await page.click(".lang-switch");
  await page.waitForSelector("html[lang='ar']");
  assert.deepEqual(page.problems, []);
});

test("the pharmacist scans the card, dispenses, and is refused an identical second dispensing", async () => {
  const page = await browser();
  await signIn(page, env("PHARMACIST_USER"));
  await shot(page, "home-pharmacist-ar");
  await page.click("a[href='/desk/pharmacy']");
  await page.waitForURL(`${URL}/desk/pharmacy`);
  await shot(page, "pharmacy-ar");
  // The scan field has the focus: a USB scanner types into it, then presses Enter.
  assert.equal(await page.evaluate(() => document.activeElement.id), "scan-qr");
  await page.keyboard.type(world.qr, { delay: 0 });
  await page.keyboard.press("Enter");
  await page.waitForSelector("#card-status");
  assert.match(await page.textContent("main"), /مريم علي سالم الورفلي/);
  assert.match(await page.textContent("main"), /tamoxifen/);
  assert.match(await page.textContent("main"), /0 \/ 3/);
  await shot(page, "pharmacy-card-ar");
  world.authorisation = await page.getAttribute(".medicine input[name=authorisation]", "value");

  await page.click(".medicine button[type=submit]");
  await page.waitForSelector("#outcome");
  assert.match(await page.textContent("#outcome"), /سُجّل الصرف/);
  assert.match(await page.textContent("main"), /1 \/ 3/);
  // Drawn "1 / 3" left to right in the Arabic page, as on the record page, not mirrored.
  const [first, last] = await page.evaluate(() => {
    const count = [...document.querySelectorAll(".medicine dd")]
      .find((e) => /^\d+ \/ \d+$/.test(e.textContent.trim()));
    // The text node, inside the cell's span or the cell itself.
    const walker = document.createTreeWalker(count, NodeFilter.SHOW_TEXT);
    let text = walker.nextNode();
    while (text && !text.data.trim()) {
      text = walker.nextNode();
    }
    const range = document.createRange();
    const x = (i) => {
      range.setStart(text, i);
      range.setEnd(text, i + 1);
      return range.getBoundingClientRect().left;
    };
    return [x(0), x(text.length - 1)];
  });
  assert.ok(first < last, `"1" drawn at ${first}, "3" at ${last}`);
  await shot(page, "pharmacy-dispensed-ar");

  // The same dispensing again (a fresh form, the same medicine and day): too soon.
  await page.click(".medicine button[type=submit]");
  await page.waitForSelector("#outcome.error, p.alert.error");
  assert.match(await page.textContent("p.alert.error"), /لم تمضِ المدة المطلوبة/);
  assert.match(await page.textContent("main"), /1 \/ 3/);
  await shot(page, "pharmacy-refused-ar");

  // The printed card as a photo: the desk's own PDF, its back page (the QR code) rasterised
  // at 300 dpi by pdftoppm, uploaded through the page and decoded by the server.
  const photo = join(env("PROFILE_DIR"), "printed-card-back");
  execFileSync("pdftoppm", ["-r", "300", "-f", "2", "-l", "2", "-singlefile", "-png", world.pdf, photo]);
  await page.goto(`${URL}/desk/pharmacy`);
  await page.setInputFiles("#scan-photo", `${photo}.png`);
  await page.click("form[action='/desk/pharmacy/photo'] button[type=submit]");
  await page.waitForSelector("#card-status");
  assert.match(await page.textContent("main"), /مريم علي سالم الورفلي/);
  assert.match(await page.textContent("main"), new RegExp(world.serial));
  assert.match(await page.textContent("main"), /1 \/ 3/);
  await shot(page, "pharmacy-photo-ar");
  assert.deepEqual(page.problems, []);
});

test("stock falls as the pharmacist dispenses; the supply officer sees the stock-out date move; the inspector sees a planted double-pharmacy dispensing", async () => {
  const pharmacist = await browser();
  await signIn(pharmacist, env("PHARMACIST_USER"));
  await pharmacist.goto(`${URL}/desk/stock`);
  // 50 received, 30 dispensed at the pharmacy.
  assert.equal((await pharmacist.textContent("tr[data-atc='L02BA01'] .on-hand")).trim(), "20");
  await pharmacist.click("tr[data-atc='L02BA01'] a");
  await pharmacist.waitForURL(/\/desk\/stock\/ledger/);
  assert.match(await pharmacist.textContent("#ledger"), /صرف/);
  assert.match(await pharmacist.textContent("#ledger"), /-30/);
  await shot(pharmacist, "stock-ledger-ar");

  const officer = await browser();
  await signIn(officer, env("SUPPLY_USER"));
  await officer.click("a[href='/desk/demand']");
  await officer.waitForURL(`${URL}/desk/demand`);
  // The national roll-up: the east holds the pharmacy's tamoxifen.
  assert.match(await officer.textContent("#demand-regions"), /L02BA01/);
  // The roll-up downloads as the officer would take it: the link on the page.
  const [download] = await Promise.all([
    officer.waitForEvent("download"),
    officer.click("a[href*='view=regions'][download]"),
  ]);
  const regions = await download.path().then((p) => import("node:fs").then((fs) => fs.readFileSync(p, "utf8")));
  assert.match(regions, /^region,atc,strength,form/m);
  assert.match(regions, /^"east",L02BA01,/m);
  await shot(officer, "demand-national-ar");
  const stockout = async () => {
    await officer.goto(`${URL}/desk/demand?facility=LY-BEN-PH1&months=6`);
    const text = (await officer.textContent("tr[data-atc='L02BA01'] td.stockout")).trim();
    assert.match(text, /^\d{4}-\d{2}-\d{2}$/, `a stock-out date, not "${text}"`);
    return text;
  };
  // 20 on hand against the two dispensings of 30 still due: it runs out.
  const before = await stockout();
  assert.equal(await officer.locator("figure.chart svg").count(), 1);
  await shot(officer, "demand-facility-ar");

  await pharmacist.goto(`${URL}/desk/stock`);
  await pharmacist.fill("#rc-atc", "L02BA01");
  await pharmacist.fill("#rc-strength", "20 mg");
  await pharmacist.selectOption("#rc-form", "tablet");
  await pharmacist.fill("#rc-lot", "TX-2027-02");
  await pharmacist.fill("#rc-expiry", "2028-03-31");
  await pharmacist.fill("#rc-quantity", "25");
  await pharmacist.click("#form-receive button[type=submit]");
  await pharmacist.waitForURL(/done=received/);
  assert.equal((await pharmacist.textContent("tr[data-atc='L02BA01'] .on-hand")).trim(), "45");
  const after = await stockout();
  assert.ok(after > before, `the stock-out date moved from ${before} to ${after}`);
  await shot(officer, "demand-facility-moved-ar");

  // Planted: the same patient's tamoxifen dispensed three hours ago at the second pharmacy,
  // synced from its offline queue.
  const planted = await fetch(`${URL}/api/v1/dispensings`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env("PHARMACIST2_TOKEN")}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      idempotency_key: "planted-double-1",
      card_serial: world.serial,
      authorisation_id: Number(world.authorisation),
      quantity: 30,
      offline_at: Math.floor(Date.now() / 1000) - 3 * 3600,
    }),
  });
  assert.ok(planted.status === 201 || planted.status === 200, `planted: ${planted.status}`);
  const inspector = await browser();
  await signIn(inspector, env("INSPECTOR_USER"));
  await inspector.click("a[href='/desk/watch']");
  await inspector.waitForURL(`${URL}/desk/watch`);
  const pairs = await inspector.textContent("#watch-pairs");
  assert.match(pairs, /L02BA01/);
  assert.match(pairs, /LY-BEN-PH2[\s\S]*LY-BEN-PH1/);
  assert.match(pairs, /#\d+ dispensing\.record/, "the row names its audit entries");
  await shot(inspector, "watch-ar");
  for (const page of [pharmacist, officer, inspector]) {
    assert.deepEqual(page.problems, []);
  }
});

test("a pharmacist opening the registration page gets a 403 page in Arabic", async () => {
  const page = await browser();
  await signIn(page, env("PHARMACIST_USER"));
  const response = await page.goto(`${URL}/desk/patients/new`);
  assert.equal(response.status(), 403);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.match(await page.textContent("main"), /دورك لا يسمح/);
  await shot(page, "forbidden-ar");
});

test("the registration page works at a narrow width", async () => {
  const page = await browser();
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, env("REGISTRAR_USER"));
  await page.goto(`${URL}/desk/patients/${world.patient}`);
  // Nothing wider than the screen but the tables, which scroll inside their own box.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page overflows by ${overflow}px`);
  await shot(page, "record-narrow-ar");
});

test("the clinician confirms a rare tumour and a queried one; a second breast tumour is marked duplicate", async () => {
  const page = await browser();
  await signIn(page, env("CLINICIAN_USER"));
  await page.goto(`${URL}/desk/patients/${world.patient}`);
  const tumour = async (fields) => {
    await page.click("#tumours summary");
    for (const [name, value] of Object.entries(fields)) {
      await page.fill(`#tu-${name}`, value);
    }
    await page.click("#tumours button[type=submit]");
  };
  // A retinoblastoma at 40: rare for the IARC age/site/histology rules.
  await tumour({ icd10: "C69.2", topography: "C69.2", morphology: "9510", behaviour: "3",
    grade: "9", basis: "7", incidence: "2025-09-03" });
  const box = "input[name='confirm.age_topography_morphology']";
  await page.waitForSelector(box);
  assert.match(await page.textContent("#tumours"), /نادر/);
  assert.equal(await page.inputValue("#tu-morphology"), "9510", "what was typed is kept");
  await shot(page, "record-tumour-rare-ar");
  await page.check(box);
  await page.click("#tumours button[type=submit]");
  await page.waitForURL(/done=saved/);
  assert.match(await page.textContent("#tumours"), /age_topography_morphology/);
  // An adenocarcinoma of the colon on an unknown basis: a query (a specific morphology is
  // expected to be verified microscopically), kept once confirmed; another organ, so a new
  // primary.
  await tumour({ icd10: "C18.7", topography: "C18.7", morphology: "8140", behaviour: "3",
    grade: "2", basis: "9", incidence: "2025-09-20" });
  const query = "input[name='confirm.basis_morphology']";
  await page.waitForSelector(query);
  assert.match(await page.textContent("#tumours"), /يُتوقع إثبات النوع النسيجي المحدد/);
  await shot(page, "record-tumour-query-ar");
  await page.check(query);
  await page.click("#tumours button[type=submit]");
  await page.waitForURL(/done=saved/);
  assert.match(await page.textContent("#tumours"), /basis_morphology/);
  // Another quadrant of the same breast, same histology: the 2004 rules say duplicate.
  await tumour({ icd10: "C50.1", topography: "C50.1", morphology: "8500", behaviour: "3",
    grade: "2", basis: "7", incidence: "2025-10-01" });
  await page.waitForURL(/done=saved/);
  assert.match(await page.textContent("#tumours"), /مكرر \(same_organ_same_histology\)/);
  await shot(page, "record-tumour-duplicate-ar");
  assert.deepEqual(page.problems, []);
});

test("the registrar registers the patient again, is told, and merges the two records", async () => {
  const page = await browser();
  await signIn(page, env("REGISTRAR_USER"));
  await page.goto(`${URL}/desk/patients/new`);
  // The same woman typed again elsewhere: one digit of the national number wrong, the family
  // name without its article, and the birth date with month and day swapped.
  await page.selectOption("#r-id_type", "national");
  await page.fill("#r-id_value", "٢١٩٨٥٠٣٠٧١٢٤");
  await page.fill("#r-ar1", "مريم");
  await page.fill("#r-ar2", "علي");
  await page.fill("#r-ar3", "سالم");
  await page.fill("#r-ar4", "ورفلي");
  await page.selectOption("#r-sex", "female");
  await page.fill("#r-birth_date", "1985-07-03");
  await page.click("button.primary[type=submit]");
  await page.waitForURL(/\/desk\/patients\/[a-z0-9]+\?done=register/);
  const second = new globalThis.URL(page.url()).pathname.split("/").pop();
  assert.notEqual(second, world.patient);
  await page.waitForSelector("#duplicates-open");
  await page.click("#issue-card");
  await page.waitForURL(/done=issue/);
  const serial = (await page.textContent("#cards tbody tr td .code")).trim();

  await page.click("#duplicates-open a[href='/desk/duplicates']");
  await page.waitForURL(`${URL}/desk/duplicates`);
  const pair = page.locator("section.dup-pair").first();
  assert.match(await pair.textContent(), /الرقم يختلف بخطأ كتابي واحد/);
  assert.match(await pair.textContent(), /تاريخ الميلاد مع تبديل الشهر واليوم/);
  await shot(page, "duplicates-ar");
  // Keep the first record: the hidden inputs say which side it is.
  const a = await pair.locator("form.merge input[name=a]").inputValue();
  const keep = a === world.patient ? "a" : "b";
  // No reason: refused with the message, nothing merged.
  await pair.locator(`form.merge button[value=${keep}]`).click();
  await page.waitForSelector("p.alert.error");
  assert.match(await page.textContent("p.alert.error"), /اكتب السبب/);
  const again = page.locator("section.dup-pair").first();
  await again.locator("form.merge input[name=reason]").fill("نفس المريضة، سُجّلت مرتين");
  await again.locator(`form.merge button[value=${keep}]`).click();
  await page.waitForURL(`${URL}/desk/patients/${world.patient}?done=merged`);
  assert.match(await page.textContent("p.alert.ok"), /لم تعد سارية/);
  // The merged record's card moved here, superseded.
  const row = page.locator("#cards tbody tr", { hasText: serial });
  assert.equal(await row.locator(".badge").getAttribute("class"), "badge superseded");
  await shot(page, "record-merged-ar");
  // The card no longer verifies as current, and the merged record says where it went.
  const status = await fetch(`${URL}/api/v1/cards/${serial}/status`, {
    headers: { Authorization: `Bearer ${env("REGISTRAR_TOKEN")}` },
  });
  assert.equal((await status.json()).status, "superseded");
  await page.goto(`${URL}/desk/patients/${second}`);
  await page.waitForSelector("#merged-into");
  assert.equal(
    await page.getAttribute("#merged-into a", "href"),
    `/desk/patients/${world.patient}`,
  );
  assert.deepEqual(page.problems, []);
});

test("the statistician reads the incidence charts in Arabic and English; a small cell is hidden and said so", async () => {
  const page = await browser();
  await signIn(page, env("STATISTICIAN_USER"));
  // The menu offers the statistics and nothing that shows a person.
  const menu = await page.$$eval("header.top nav a", (links) => links.map((a) => a.getAttribute("href")));
  assert.deepEqual(menu.filter((h) => h.startsWith("/desk/") && h !== "/desk/"), ["/desk/statistics"]);
  const query = "view=incidence&from=2025&to=2025&region=east&sex=female";
  await page.goto(`${URL}/desk/statistics?${query}`);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.equal(await page.locator("#stats-charts svg").count(), 4);
  // Right to left: every chart text reads right to left.
  const ltrTexts = await page.$$eval("#stats-charts svg text", (ts) => ts.filter((t) => t.getAttribute("direction") !== "rtl").length);
  assert.equal(ltrTexts, 0);
  // Breast (6 cases) is shown; lung (1 case) is suppressed, in the table and in the chart.
  const breast = page.locator("#table-incidence_sites tbody tr", { hasText: "C50" });
  assert.equal((await breast.locator("td").first().textContent()).trim(), "6");
  const lung = page.locator("#table-incidence_sites tbody tr", { hasText: "C33-34" });
  assert.equal((await lung.locator("td").first().textContent()).trim(), "<5");
  assert.ok(await page.isVisible("#table-incidence_sites p.note.suppressed"));
  assert.match(await page.textContent("#table-incidence_sites p.note.suppressed"), /أقل من 5 حالات/);
  assert.match(await page.textContent("#stats-charts"), /<5/);
  assert.match(await page.textContent("#stats-counted"), /المعدودة: 7/);
  // No name and no identifier anywhere on the page.
  const text = await page.textContent("body");
  for (const secret of ["خديجة", "21968010", "الفيتوري"]) {
    assert.ok(!text.includes(secret), `the statistics page shows ${secret}`);
  }
  await shot(page, "statistics-ar");
  await page.locator("#stats-charts").screenshot({ path: join(SHOTS, "statistics-charts-ar.png") });

  await page.click("a.lang-switch");
  await page.waitForURL(/\/desk\/statistics\?view=incidence&from=2025&to=2025&region=east&sex=female/);
  assert.equal(await page.getAttribute("html", "dir"), "ltr");
  assert.equal(await page.locator("#stats-charts svg").count(), 4);
  assert.match(await page.textContent("#table-incidence_sites p.note.suppressed"), /fewer than 5 cases/);
  assert.match(await page.textContent("#stats-counted"), /Counted: 7/);
  await shot(page, "statistics-en");
  await page.locator("#stats-charts").screenshot({ path: join(SHOTS, "statistics-charts-en.png") });

  // The other reports open from their tabs.
  for (const [view, table] of [["childhood", "childhood"], ["quality", "quality_sites"], ["survival", "survival"]]) {
    await page.click(`nav.tabs a[href*='view=${view}']`);
    await page.waitForSelector(`#table-${table}`);
    await shot(page, `statistics-${view}-en`);
  }
  // The CSV download is suppressed too.
  await page.click("nav.tabs a[href*='view=incidence']");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#table-incidence_sites a[download]")]);
  const csv = await download.path().then((p) => import("node:fs").then((fs) => fs.readFileSync(p, "utf8")));
  assert.match(csv, /^# period: 2025-2025; area: east; sex: female/);
  assert.match(csv, /\nC33-34,[^\n]*,<5,/);
  assert.deepEqual(page.problems, []);
});
