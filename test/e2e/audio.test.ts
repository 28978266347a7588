import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inbound, keepPeerConnections, launchChromium, signIn } from "../helpers/browser.js";
import { FifoDevice } from "../helpers/fifoDevice.js";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { SignalGenerator } from "../helpers/signals.js";
import { audioStats, startViewer } from "../helpers/whepPage.js";

function captureFfmpeg(gatewayPid: number): number | undefined {
  try {
    return Number(execFileSync("pgrep", ["-P", String(gatewayPid), "-f", "libopus"], { encoding: "utf8" }).trim().split("\n")[0]) || undefined;
  } catch {
    return undefined;
  }
}

describe("microphone end to end in headless Chromium (private network namespace)", () => {
  let ns: NetNs;
  let device: FifoDevice;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_214);
    const fifo = join(mkdtempSync(join(tmpdir(), "wachter-mic-")), "mic.s16");
    execFileSync("mkfifo", [fifo]);
    const signal = new SignalGenerator(3000, 0.2);
    device = new FifoDevice(fifo, () => signal.next(20), 50);
    device.start();
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "gearbox", type: "microphone", name: "Gearbox", input: "rawaudio", device: fifo }] }, ns);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await page.goto("http://127.0.0.1:8080/healthz");
    await startViewer(page, API_TOKEN, 0, 1);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await device?.stop();
    await ns?.destroy();
  });

  it("delivers the Opus track with real sound energy and the spectrum channel's columns", async () => {
    const stats = await waitFor("audio and spectrum", async () => {
      const s = await audioStats(page);
      return s.packets > 100 && s.energy > 0 && s.columns > 10 ? s : undefined;
    }, 15_000);
    expect(stats.energy).toBeGreaterThan(0);
  });

  it("resumes audio after the capture ffmpeg is killed, without reconnecting", async () => {
    const pid = captureFfmpeg(gateway.proc!.child.pid!)!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    const before = await audioStats(page);
    await waitFor("a new capture", () => (captureFfmpeg(gateway.proc!.child.pid!) ?? pid) !== pid || undefined, 10_000);
    await waitFor("audio flowing again", async () => ((await audioStats(page)).packets > before.packets + 100 ? true : undefined), 15_000);
    expect(await page.evaluate(() => (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer.pc.connectionState)).toBe("connected");
  });

  it("shows the microphone in the dashboard: muted until Listen, level meter, spectrogram", async () => {
    const dash = await browser.newPage();
    await keepPeerConnections(dash);
    await signIn(dash, ADMIN_PASSWORD);
    await dash.waitForSelector('.mic[data-mic="gearbox"][data-stale="false"]', { timeout: 10_000 });
    // Muted, the page asks for no sound: none arrives (after what came before it said so).
    await new Promise((r) => setTimeout(r, 1000));
    const mutedFrom = await inbound(dash, "audio", "packetsReceived");
    const energyFrom = await inbound(dash, "audio", "totalAudioEnergy");
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inbound(dash, "audio", "packetsReceived")).toBe(mutedFrom);
    await dash.waitForFunction(() => Number(document.querySelector('.mic[data-mic="gearbox"]')?.getAttribute("data-columns")) > 10);
    const level = await dash.textContent('.mic[data-mic="gearbox"] .meter-text');
    expect(Number(level!.split(" ")[0].replace(",", "."))).toBeCloseTo(-14, 0);
    expect(await dash.evaluate(() => document.querySelector<HTMLAudioElement>('.mic[data-mic="gearbox"] audio')!.muted)).toBe(true);
    await dash.click('.mic[data-mic="gearbox"] button');
    await dash.waitForFunction(() => {
      const a = document.querySelector<HTMLAudioElement>('.mic[data-mic="gearbox"] audio')!;
      return !a.muted && !a.paused && a.srcObject !== null;
    });
    expect(await dash.textContent('.mic[data-mic="gearbox"] button')).toBe("Mute");
    // Listening, the sound comes and plays: packets, and energy in what the browser decoded.
    await waitFor("sound once listening", async () => ((await inbound(dash, "audio", "packetsReceived")) > mutedFrom + 50 && (await inbound(dash, "audio", "totalAudioEnergy")) > energyFrom ? true : undefined), 10_000);
  });

  it("speaks the operator's language on the microphone panel: German words, decimal comma", async () => {
    const dash = await (await browser.newContext({ locale: "de-DE" })).newPage();
    await signIn(dash, ADMIN_PASSWORD);
    await dash.waitForSelector('.mic[data-mic="gearbox"][data-stale="false"]', { timeout: 10_000 });
    expect(await dash.textContent('.mic[data-mic="gearbox"] button')).toBe("Anhören");
    await dash.waitForFunction(() => /^-\d+,\d dBFS$/.test(document.querySelector('.mic[data-mic="gearbox"] .meter-text')?.textContent ?? ""));
    await dash.selectOption('select[name="language"]', "nl");
    expect(await dash.textContent('.mic[data-mic="gearbox"] button')).toBe("Luisteren");
    await dash.context().close();
  });
});
