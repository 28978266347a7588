import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a quiet, offline, headless Chromium whose WebRTC uses plain host candidates. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  "--allow-loopback-in-peer-connection",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
  "--autoplay-policy=no-user-gesture-required",
];

/** The flags above less the two that change WebRTC: host candidates hidden behind mDNS names, as shipped. */
const AS_SHIPPED_ARGS = CHROMIUM_ARGS.filter((a) => a !== "--allow-loopback-in-peer-connection" && !a.startsWith("--disable-features=WebRtcHideLocalIpsWithMdns"));

export function launchChromium(executablePath = CHROMIUM, { asShipped = false } = {}): Promise<Browser> {
  return chromium.launch({ executablePath, args: asShipped ? AS_SHIPPED_ARGS : CHROMIUM_ARGS, headless: true });
}

/** Opens the dashboard and signs in through its form, as an operator would. */
export async function signIn(page: import("playwright-core").Page, password: string, url = "http://127.0.0.1:8080/", username = "admin"): Promise<void> {
  await page.goto(url);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForSelector("#main:not([hidden])");
}

/** Keeps the page's peer connections (from its next load on) where `inbound` finds them. */
export async function keepPeerConnections(page: import("playwright-core").Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { pcs: RTCPeerConnection[] }).pcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    };
  });
}

/** A counter of the page's newest peer connection's inbound stream of a kind (packetsReceived, framesDecoded, totalAudioEnergy, …). */
export function inbound(page: import("playwright-core").Page, kind: "audio" | "video", counter: string): Promise<number> {
  return page.evaluate(
    async ([k, c]) => {
      let n = 0;
      for (const r of (await (window as unknown as { pcs: RTCPeerConnection[] }).pcs.at(-1)!.getStats()).values()) if (r.type === "inbound-rtp" && r.kind === k) n += r[c] ?? 0;
      return n;
    },
    [kind, counter] as const,
  );
}
