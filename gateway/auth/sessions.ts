import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Role } from "./roles.js";

export interface Principal {
  name: string;
  role: Role;
  via: "session" | "token";
}

interface Session extends Principal {
  expires: number;
}

const digest = (secret: string) => createHash("sha256").update(secret).digest("base64url");

/**
 * Login sessions (random 256-bit ids, kept only as SHA-256 digests) and machine API tokens.
 * Lookups go through the digests, so comparing secrets never depends on their bytes. Sessions are
 * saved to `file` (when given) so that restarting the gateway does not sign everybody out; the
 * file holds digests only, which cannot be turned back into cookies.
 */
export class Credentials {
  private readonly sessions = new Map<string, Session>();
  private readonly tokens = new Map<string, Principal>();

  constructor(
    private readonly sessionTtlMs: number,
    private readonly file?: string,
    private readonly maxSessions = 1000,
    private readonly now: () => number = Date.now,
  ) {
    if (file && existsSync(file)) {
      try {
        const saved = JSON.parse(readFileSync(file, "utf8")) as Array<[string, Session]>;
        for (const [key, s] of saved) if (s.expires > now()) this.sessions.set(key, s);
      } catch {
        // A damaged session file only means everybody signs in again.
      }
    }
  }

  addToken(name: string, token: string, role: Role): void {
    this.tokens.set(digest(token), { name, role, via: "token" });
  }

  createSession(name: string, role: Role): string {
    this.prune();
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(digest(id), { name, role, via: "session", expires: this.now() + this.sessionTtlMs });
    this.save();
    return id;
  }

  endSession(id: string): void {
    if (this.sessions.delete(digest(id))) this.save();
  }

  /** Ends every session of a user, e.g. after the user was removed or changed. */
  endSessionsOf(name: string): void {
    for (const [key, s] of this.sessions) if (s.name === name) this.sessions.delete(key);
    this.save();
  }

  fromSession(id: string): Principal | undefined {
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return { name: s.name, role: s.role, via: "session" };
  }

  fromToken(token: string): Principal | undefined {
    return this.tokens.get(digest(token));
  }

  private save(): void {
    if (!this.file) return;
    writeFileSync(`${this.file}.tmp`, JSON.stringify([...this.sessions]), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }

  private prune(): void {
    const t = this.now();
    for (const [key, s] of this.sessions) if (s.expires <= t) this.sessions.delete(key);
  }
}
