/**
 * Secrets never leave the process: values of secret-looking env keys are shown as a fingerprint.
 * The hash is a small pure FNV-1a (64-bit) so the core stays free of node:crypto; it identifies a value
 * across reports without revealing it.
 */
// HEADER: ANTHROPIC_CUSTOM_HEADERS carries gateway keys too (e.g. Bifrost's "x-bf-vk: sk-bf-…").
const SECRET_KEY = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL|COOKIE|HEADER)/i;
const SECRET_VALUE = /(^|[\s:=])(sk-|Bearer\s)/i;

export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key);

export function fingerprint(value: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < value.length; i++) {
    h ^= BigInt(value.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `fp:${h.toString(16).padStart(16, '0').slice(0, 12)}`;
}

/** The value as it may be shown or reported. */
export function displayValue(key: string, value: string): string {
  return isSecretKey(key) || SECRET_VALUE.test(value) ? fingerprint(value) : value;
}
