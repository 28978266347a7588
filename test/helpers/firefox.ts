import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser as BrowserKind, createProfile } from "@puppeteer/browsers";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { NetNs } from "./netns.js";
import { Proc } from "./processes.js";
import { waitFor } from "./ports.js";
import type { Page as ScriptPage } from "./whepPage.js";

export const FIREFOX = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";

/**
 * Debian's Firefox ESR, headless, inside a test's network namespace, with the settings a user has:
 * WebRTC host candidates hidden behind `.local` mDNS names that nothing in the namespace resolves.
 * The profile only adds puppeteer's prefs that keep Firefox from phoning home and from nagging.
 *
 * Firefox's WebDriver BiDi socket listens on the namespace's own 127.0.0.1, which the test (outside)
 * cannot reach: a relay on the host's loopback carries each connection in through `socat` run inside
 * the namespace.
 */
export class NamespacedFirefox {
  private constructor(
    readonly browser: Browser,
    private readonly proc: Proc,
    private readonly relay: Server,
    private readonly profile: string,
  ) {}

  static async launch(ns: NetNs, prefs: Record<string, unknown> = {}): Promise<NamespacedFirefox> {
    const profile = mkdtempSync(join(tmpdir(), "wachter-firefox-"));
    await createProfile(BrowserKind.FIREFOX, { path: profile, preferences: prefs });
    // Firefox checks that the Host header names its own port: the relay and Firefox share one number
    // (free in the namespace, where nothing else listens).
    const relay = createServer((socket) => {
      const [rcmd, rargs] = ns.wrap("socat", ["STDIO", `TCP:127.0.0.1:${port}`]);
      const child = spawn(rcmd, rargs, { stdio: ["pipe", "pipe", "ignore"] });
      socket.pipe(child.stdin);
      child.stdout.pipe(socket);
      socket.on("error", () => child.kill());
      socket.on("close", () => child.kill());
      child.on("exit", () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const port = (relay.address() as { port: number }).port;
    const [cmd, args] = ns.wrap(FIREFOX, ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", String(port), "about:blank"]);
    const proc = new Proc(cmd, args, { env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1" } });
    await waitFor("Firefox's WebDriver BiDi socket", () => proc.stderr.includes("WebDriver BiDi listening") || (!proc.running ? Promise.reject(new Error(`Firefox exited: ${proc.stderr}`)) : undefined), 30_000);
    const browser = await puppeteer.connect({ browserWSEndpoint: `ws://127.0.0.1:${port}/session`, protocol: "webDriverBiDi" });
    return new NamespacedFirefox(browser, proc, relay, profile);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.proc.stop();
    await new Promise((resolve) => this.relay.close(resolve));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

/** Signs in through the dashboard's form, as an operator would. */
export async function signInFirefox(page: Page, password: string, url = "http://127.0.0.1:8080/"): Promise<void> {
  await page.goto(url);
  await page.waitForSelector("#login:not([hidden])");
  await page.locator('input[name="username"]').fill("admin");
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

/** A puppeteer page as the WHEP page helpers take it (its `evaluate` is typed differently from playwright's). */
export function scriptPage(page: Page): ScriptPage {
  return { evaluate: (fn, arg) => page.evaluate(fn as never, arg as never) as never };
}
