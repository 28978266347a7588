import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { systemClock, toMono, toWall, type Clock } from "../../common/clock.js";
import type { Role } from "./roles.js";

export interface Principal {
  name: string;
  role: Role;
  /**
   * A session signed in here, an API token, or a plant token from another gateway (name
   * user@gateway) — sent as a bearer, or handed over from the plant view as a session.
   */
  via: "session" | "token" | "plant";
}

interface Session extends Principal {
  /** On the monotonic clock, so that setting the wall clock neither ends sessions nor prolongs them. */
  expiresMono: number;
  /** A session handed over from the plant view: the key that signed its plant token. */
  kid?: string;
}

/** As saved: the expiry as wall time, the only time that means something to the next run. */
interface SavedSession extends Principal {
  expires: number;
  kid?: string;
}

const digest = (secret: string) => createHash("sha256").update(secret).digest("base64url");

/**
 * Login sessions (random 256-bit ids, kept only as SHA-256 digests) and machine API tokens.
 * Lookups go through the digests, so comparing secrets never depends on their bytes. Sessions are
 * saved to `file` (when given) so that restarting the gateway does not sign everybody out; the
 * file holds digests only, which cannot be turned back into cookies. If the file cannot be written
 * (a full disk), sign-ins still work, `onSave` hears of it, and `saveIfUnsaved()` tries again.
 */
export interface CredentialsOptions {
  /** Where sessions are kept across restarts; none: in memory only. */
  file?: string;
  maxSessions?: number;
  maxPerUser?: number;
  clock?: Clock;
  /** Told after each save of the file, with the error if it failed. */
  onSave?: (err?: unknown) => void;
}

export class Credentials {
  private readonly sessions = new Map<string, Session>();
  private readonly tokens = new Map<string, Principal>();
  private unsaved = false;
  private readonly file: string | undefined;
  private readonly maxSessions: number;
  private readonly maxPerUser: number;
  private readonly clock: Clock;
  private readonly onSave: (err?: unknown) => void;

  constructor(
    private readonly sessionTtlMs: number,
    { file, maxSessions = 1000, maxPerUser = 20, clock = systemClock, onSave = () => {} }: CredentialsOptions = {},
  ) {
    this.file = file;
    this.maxSessions = maxSessions;
    this.maxPerUser = maxPerUser;
    this.clock = clock;
    this.onSave = onSave;
    if (file && existsSync(file)) {
      try {
        const saved = JSON.parse(readFileSync(file, "utf8")) as Array<[string, SavedSession]>;
        for (const [key, { name, role, via, expires, kid }] of saved) {
          const expiresMono = toMono(clock, expires);
          if (expiresMono > clock.mono()) this.sessions.set(key, { name, role, via, expiresMono, kid });
        }
      } catch {
        // A damaged session file only means everybody signs in again.
      }
    }
  }

  addToken(name: string, token: string, role: Role): void {
    this.tokens.set(digest(token), { name, role, via: "token" });
  }

  /**
   * A user at the cap loses their own oldest session. When all sessions are taken, the one to go is
   * the oldest of whoever holds the most: one user signing in again and again never signs others out.
   */
  createSession(name: string, role: Role, plant?: { kid: string; ttlMs: number }): string {
    this.prune();
    const byUser = new Map<string, string[]>();
    for (const [key, s] of this.sessions) byUser.set(s.name, [...(byUser.get(s.name) ?? []), key]);
    const mine = byUser.get(name) ?? [];
    if (mine.length >= this.maxPerUser) this.sessions.delete(mine[0]);
    else if (this.sessions.size >= this.maxSessions) {
      const greediest = [...byUser.values()].reduce((a, b) => (b.length > a.length ? b : a));
      this.sessions.delete(greediest[0]);
    }
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(digest(id), { name, role, via: plant ? "plant" : "session", expiresMono: this.clock.mono() + (plant?.ttlMs ?? this.sessionTtlMs), kid: plant?.kid });
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

  fromSession(id: string): (Principal & { kid?: string }) | undefined {
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (s.expiresMono <= this.clock.mono()) {
      this.sessions.delete(key);
      return undefined;
    }
    return { name: s.name, role: s.role, via: s.via, kid: s.kid };
  }

  fromToken(token: string): Principal | undefined {
    return this.tokens.get(digest(token));
  }

  saveIfUnsaved(): void {
    if (this.unsaved) this.save();
  }

  private save(): void {
    if (!this.file) return;
    const saved = [...this.sessions].map(([key, { expiresMono, ...s }]): [string, SavedSession] => [key, { ...s, expires: Math.round(toWall(this.clock, expiresMono)) }]);
    try {
      writeFileSync(`${this.file}.tmp`, JSON.stringify(saved), { mode: 0o600 });
      renameSync(`${this.file}.tmp`, this.file);
      this.unsaved = false;
      this.onSave();
    } catch (err) {
      this.unsaved = true;
      this.onSave(err);
    }
  }

  private prune(): void {
    const t = this.clock.mono();
    for (const [key, s] of this.sessions) if (s.expiresMono <= t) this.sessions.delete(key);
  }
}
