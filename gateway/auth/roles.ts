export const ROLES = ["viewer", "operator", "engineer", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * viewer: watch; operator: also acknowledge and shelve alerts; engineer: also alert rules (a wrong
 * limit silences a machine, so not every operator may change one); admin: also configuration and users.
 */
export function allows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
