/**
 * A policy contradicts itself when `removeKeys` removes what the policy itself sets: the agent would write
 * a value and remove it again, and no machine could ever be compliant. Shared by the schema (which rejects
 * such a policy) and by `lintPolicy` (which explains it).
 *   - `env` or `env.X` where the policy's env sets X: always a conflict (the effective settings hold X);
 *   - a managedSettings key in user mode: the agent writes that key into the user file it also cleans.
 * In managed mode, removing a managedSettings key (e.g. `model`) from user files is fine: the managed tier
 * carries the policy's value.
 */
export interface RemoveConflict {
  index: number;
  key: string;
  kind: 'env' | 'setting';
  /** What the policy sets that this entry removes: "env.X" or the managedSettings key. */
  target: string;
}

export function removeKeyConflicts(p: {
  removeKeys?: readonly string[] | undefined;
  env?: Readonly<Record<string, unknown>> | undefined;
  managedSettings?: Readonly<Record<string, unknown>> | undefined;
  enforceIn?: 'managed' | 'user' | undefined;
}): RemoveConflict[] {
  const out: RemoveConflict[] = [];
  const envKeys = Object.keys(p.env ?? {});
  const settingKeys = Object.keys(p.managedSettings ?? {});
  (p.removeKeys ?? []).forEach((key, index) => {
    const [head, second] = key.split('.');
    if (head === 'env') {
      if (second === undefined) {
        if (envKeys.length > 0) out.push({ index, key, kind: 'env', target: `env.${envKeys[0]!}` });
      } else if (envKeys.includes(second)) {
        out.push({ index, key, kind: 'env', target: `env.${second}` });
      }
      return;
    }
    if (p.enforceIn === 'user' && head !== undefined && settingKeys.includes(head)) {
      out.push({ index, key, kind: 'setting', target: head });
    }
  });
  return out;
}
