import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

const BASE = "http://127.0.0.1:8080/";

describe("dashboard application: users, own password, language (Chromium, private network namespace)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let admin: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_222);
    gateway = new GatewayProcess({ timeZone: "Asia/Tokyo", http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", rateHz: 2, thermalFps: 0, microphone: false }] }, ns);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    admin = await (await browser.newContext({ locale: "en-US" })).newPage();
    await signIn(admin, ADMIN_PASSWORD, BASE);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  const status = (page: Page) => page.locator('.page [role="status"]');

  it("shows the plant's time in the plant's zone, whatever the browser's", async () => {
    await admin.waitForFunction(() => document.getElementById("plant-clock")?.getAttribute("title") === "Plant time (Asia/Tokyo)");
    expect(await admin.textContent("#plant-clock")).toMatch(/^\d{2}:\d{2}( [AP]M)? GMT\+9$/);
  });

  it("lets an admin add a user, change the role and remove a user on the Users page", async () => {
    await admin.click('nav a[href="#/users"]');
    await admin.waitForSelector('[data-user="admin"]');
    expect(await admin.locator("#overview").isHidden()).toBe(true);
    await admin.fill('input[name="new-username"]', "otto");
    await admin.fill('input[name="new-password"]', "otto-password-123");
    await admin.selectOption('.add-user select', "operator");
    await admin.click('.add-user button[type="submit"]');
    await admin.waitForSelector('[data-user="otto"]');
    expect(await status(admin).textContent()).toBe("otto was added.");
    expect(await admin.inputValue('[data-user="otto"] select')).toBe("operator");

    await admin.selectOption('[data-user="otto"] select', "viewer");
    await admin.waitForFunction(() => document.querySelector('.page [role="status"]')?.textContent?.startsWith("otto is now viewer"));
    expect(await admin.evaluate(async () => ((await (await fetch("api/users")).json()) as Array<{ username: string; role: string }>).find((u) => u.username === "otto")?.role)).toBe("viewer");

    // Nobody removes themselves; removing another user asks once more.
    expect(await admin.locator('[data-user="admin"] button').count()).toBe(0);
    await admin.fill('input[name="new-username"]', "temp");
    await admin.fill('input[name="new-password"]', "temp-password-123");
    await admin.click('.add-user button[type="submit"]');
    await admin.waitForSelector('[data-user="temp"]');
    await admin.click('[data-user="temp"] button');
    await admin.click('[data-user="temp"] button.danger');
    await admin.waitForSelector('[data-user="temp"]', { state: "detached" });
    expect(await status(admin).textContent()).toBe("temp was removed.");
  });

  it("refuses a weak password with the gateway's reason, and loses nothing typed elsewhere", async () => {
    await admin.fill('input[name="new-username"]', "weak");
    await admin.fill('input[name="new-password"]', "short-pass12");
    await admin.evaluate(() => document.querySelector<HTMLInputElement>('input[name="new-password"]')!.removeAttribute("minlength"));
    await admin.fill('input[name="new-password"]', "short");
    await admin.click('.add-user button[type="submit"]');
    await admin.waitForFunction(() => document.querySelector('.page [role="status"]')?.textContent === "The gateway refused: password: at least 12 characters");
    expect(await admin.inputValue('input[name="new-username"]')).toBe("weak");
  });

  it("shows a viewer why there is nothing to manage, and lets them change their own password", async () => {
    const page = await (await browser.newContext({ locale: "en-US" })).newPage();
    await page.goto(BASE);
    await page.fill('input[name="username"]', "otto");
    await page.fill('input[name="password"]', "otto-password-123");
    await page.click('button[type="submit"]');
    await page.waitForSelector("#main:not([hidden])");
    await page.click('nav a[href="#/users"]');
    expect(await page.textContent(".page .hint")).toBe("Only admins manage users. Ask an admin to add, remove or change users.");

    await page.click('nav a[href="#/account"]');
    await page.waitForSelector(".password-form");
    expect(await page.textContent(".page .hint")).toBe("Viewers watch; they cannot acknowledge or shelve alerts.");
    await page.fill('.password-form input[name="current"]', "otto-password-123");
    await page.fill('.password-form input[name="password"]', "otto-new-password-9");
    await page.fill('.password-form input[name="repeat"]', "otto-new-password-8");
    await page.click('.password-form button[type="submit"]');
    expect(await status(page).textContent()).toBe("The two new passwords differ.");
    await page.fill('.password-form input[name="repeat"]', "otto-new-password-9");
    await page.click('.password-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('.page [role="status"]')?.textContent === "Your password was changed. Your other sessions were signed out.");
    // Still signed in here, and the new password is the one that works.
    await page.click('nav a[href="#/"]');
    await page.waitForSelector("#overview:not([hidden])");
    const login = (password: string) => page.evaluate(async (p) => (await fetch("api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "otto", password: p }) })).status, password);
    expect(await login("otto-password-123")).toBe(401);
    expect(await login("otto-new-password-9")).toBe(200);
  });

  it("speaks German or Dutch when asked, keeps the choice, and follows the browser's language first", async () => {
    const page = await (await browser.newContext({ locale: "nl-NL" })).newPage();
    await page.goto(BASE);
    await page.waitForSelector("#login:not([hidden])");
    expect(await page.textContent('#login-form button[type="submit"]')).toBe("Aanmelden");
    expect(await page.getAttribute("html", "lang")).toBe("nl");

    await page.selectOption('select[name="language"]', "de");
    expect(await page.textContent('#login-form button[type="submit"]')).toBe("Anmelden");
    await page.fill('input[name="username"]', "admin");
    await page.fill('input[name="password"]', "wrong-password-1");
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => document.getElementById("login-error")?.textContent === "Benutzername oder Passwort falsch");
    await page.fill('input[name="password"]', ADMIN_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('body[data-connection="connected"]', { timeout: 15_000 });
    expect(await page.textContent("#connection")).toBe("Live");
    expect(await page.textContent('nav a[href="#/users"]')).toBe("Benutzer");
    expect(await page.textContent('[data-i18n="section.trends"]')).toBe("Verläufe");
    // Numbers in the operator's locale, with the channel's decimals (one by default).
    await page.waitForFunction(() => /^\d+,\d$/.test(document.querySelector('[data-channel="spindle.bearing"] .value')?.textContent ?? ""));

    await page.reload();
    await page.waitForSelector("#main:not([hidden])");
    expect(await page.textContent("#logout")).toBe("Abmelden");
  });
});
