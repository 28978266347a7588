import { createHmac } from "node:crypto";
import type { IceServer } from "./viewerSession.js";

export interface TurnConfig {
  urls: string[];
  /** Shared with the TURN server (coturn: use-auth-secret, static-auth-secret). */
  secret: string;
  ttlMs: number;
}

/**
 * Time-limited TURN credentials by the TURN REST scheme coturn implements:
 * username = "<expiry unix time>:<user>", credential = base64(HMAC-SHA1(secret, username)).
 */
export function turnCredentials(secret: string, ttlMs: number, user: string, now = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor((now + ttlMs) / 1000)}:${user}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

/** The configured STUN/TURN servers, with fresh TURN credentials for this session. */
export function iceServersFor(staticServers: IceServer[], turn: TurnConfig | undefined, user: string): IceServer[] {
  const servers = [...staticServers];
  if (turn) servers.push({ urls: turn.urls, ...turnCredentials(turn.secret, turn.ttlMs, user) });
  return servers;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, "")}"`;

/** WHIP/WHEP `Link: <url>; rel="ice-server"` header values. */
export function linkHeaders(servers: IceServer[]): string[] {
  return servers.flatMap((s) =>
    [s.urls].flat().map((url) => {
      let value = `<${url}>; rel="ice-server"`;
      if (s.username && s.credential) value += `; username=${quote(s.username)}; credential=${quote(s.credential)}; credential-type="password"`;
      return value;
    }),
  );
}
