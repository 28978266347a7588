import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

describe("overheat scenario end to end: alert fires, operator acknowledges in the dashboard", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;
  let startedAt: number;

  beforeAll(async () => {
    ns = await NetNs.create(10_212);
    gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
    startedAt = Date.now();
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('body[data-connection="connected"]');
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("fires the demo rule within 20 s and shows it in the banner, the list and on the card", async () => {
    await page.waitForSelector('[data-alert="bearing-hot~spindle.bearing"][data-state="firing"]', { timeout: 25_000 });
    expect(Date.now() - startedAt).toBeLessThan(25_000);
    const firedAfter = (await gateway.logs()).find((l) => l.alert === "bearing-hot~spindle.bearing" && l.to === "firing");
    expect(firedAfter).toBeDefined();
    expect(firedAfter!.time as number).toBeLessThan((gateway.logs().find((l) => l.msg === "simulated machine started")!.time as number) + 20_000);
    expect(await page.textContent("#alert-banner")).toContain("Spindle bearing overheating");
    expect(await page.getAttribute('[data-channel="spindle.bearing"]', "data-alert")).toBe("critical");
  });

  it("an operator acknowledges it and the API shows who did", async () => {
    await page.click('[data-alert="bearing-hot~spindle.bearing"] button:has-text("Acknowledge")');
    await page.waitForSelector('[data-alert="bearing-hot~spindle.bearing"] .acked');
    const alerts = await page.evaluate(async () => (await fetch("/api/alerts")).json());
    const alert = (alerts as Array<{ id: string; state: string; ack: { by: string } | null; severity: string }>).find((a) => a.id === "bearing-hot~spindle.bearing")!;
    expect(alert).toMatchObject({ state: "firing", severity: "critical", ack: { by: "admin" } });
    expect(await page.textContent("#alert-banner")).toContain("all acknowledged");
  });

  it("serves the history the charts are backfilled from, also as CSV", async () => {
    const csv = await page.evaluate(async () => (await fetch("/api/history?channel=spindle.bearing&from=now-5m&step=1s&format=csv")).text());
    const lines = csv.trim().split("\n");
    expect(lines[0]).toBe("time,mean,min,max");
    expect(lines.length).toBeGreaterThan(5);
    expect(Number(lines.at(-1)!.split(",")[3])).toBeGreaterThan(80);
  });
});
