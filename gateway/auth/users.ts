import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { hashPassword, randomPassword, verifyPassword } from "./passwords.js";
import { DEFAULT_PREFERENCES, preferencesSchema, type Preferences } from "./preferences.js";
import { ROLES, type Role } from "./roles.js";

export const USERNAME = /^[A-Za-z0-9_.-]{1,32}$/;
export const MIN_PASSWORD = 12;

const fileSchema = z.object({
  users: z.array(z.object({ username: z.string().regex(USERNAME), role: z.enum(ROLES), hash: z.string(), preferences: preferencesSchema.optional() })),
});
type StoredUser = z.infer<typeof fileSchema>["users"][number];

export class UserError extends Error {}

/** Dashboard users with hashed passwords, kept in a 0600 JSON file in the data directory. */
export class UserStore {
  private users = new Map<string, StoredUser>();
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, "users.json");
    if (existsSync(this.file)) {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(this.file, "utf8")));
      if (!parsed.success) throw new Error(`${this.file} is damaged: ${parsed.error.issues[0]?.message}; restore it or delete it to create a new admin`);
      for (const u of parsed.data.users) this.users.set(u.username, u);
    }
  }

  get size(): number {
    return this.users.size;
  }

  list(): Array<{ username: string; role: Role }> {
    return [...this.users.values()].map(({ username, role }) => ({ username, role }));
  }

  /**
   * With no users yet, creates "admin" with the given or a random password. Returns the
   * password when it was generated, so it can be shown once.
   */
  async ensureAdmin(password: string | undefined): Promise<string | undefined> {
    if (this.users.size > 0) return undefined;
    const generated = password ? undefined : randomPassword();
    await this.upsert("admin", password ?? generated!, "admin");
    return generated;
  }

  async upsert(username: string, password: string, role: Role): Promise<void> {
    if (!USERNAME.test(username)) throw new UserError("username: 1–32 letters, digits, _ . -");
    if (password.length < MIN_PASSWORD) throw new UserError(`password: at least ${MIN_PASSWORD} characters`);
    const preferences = this.users.get(username)?.preferences;
    this.users.set(username, { username, role, hash: await hashPassword(password), ...(preferences ? { preferences } : {}) });
    this.save();
  }

  preferencesOf(username: string): Preferences {
    return { ...DEFAULT_PREFERENCES, ...this.users.get(username)?.preferences };
  }

  /** Sets some of a user's preferences; the file is written only when something changed. */
  setPreferences(username: string, change: Partial<Preferences>): Preferences {
    const user = this.users.get(username);
    if (!user) throw new UserError("no such user");
    const preferences = { ...this.preferencesOf(username), ...change };
    if (JSON.stringify(preferences) !== JSON.stringify(this.preferencesOf(username))) {
      this.users.set(username, { ...user, preferences });
      this.save();
    }
    return preferences;
  }

  roleOf(username: string): Role | undefined {
    return this.users.get(username)?.role;
  }

  /** Changes a user's role, keeping the password. */
  setRole(username: string, role: Role): void {
    const user = this.users.get(username);
    if (!user) throw new UserError("no such user");
    this.users.set(username, { ...user, role });
    this.save();
  }

  /** How many admins there would be without `username`: the last admin cannot be removed or demoted. */
  adminsOtherThan(username: string): number {
    return [...this.users.values()].filter((u) => u.role === "admin" && u.username !== username).length;
  }

  remove(username: string): boolean {
    const existed = this.users.delete(username);
    if (existed) this.save();
    return existed;
  }

  /** The user's role if the password is right. Unknown users cost the same time as known ones. */
  async check(username: string, password: string): Promise<Role | undefined> {
    const user = this.users.get(username);
    const ok = await verifyPassword(password, user?.hash ?? DUMMY_HASH);
    return ok && user ? user.role : undefined;
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ users: [...this.users.values()] }, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
