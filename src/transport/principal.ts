/**
 * Who makes a request: a named key and its role. The admin API's routes read it from the
 * call (`HttpCall.principal`) to check the role and to write who changed what in the audit trail.
 */

/** The roles a key may have (issue 28, docs/security.md). */
export const ROLES = ['gateway', 'marketer', 'analyst', 'ops', 'qa', 'privacy', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** the key's name ("crm-batch", "ivanova"); for an unnamed legacy key, a hash label of it ("key:3f9a1c") */
  name: string;
  role: Role;
}
