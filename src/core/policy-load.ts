/**
 * Policy text (JSONC: comments and trailing commas are fine in a policy) → a validated Policy.
 * Errors name the file, the line and column, and the field, with a stable code.
 */
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { CcfleetError } from './errors.js';
import { policySchema, type Policy } from './policy-schema.js';
import { lineCol } from './text-position.js';

export function parsePolicyText(text: string, source: string): Policy {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const errors: ParseError[] = [];
  const raw: unknown = parse(body, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const at = lineCol(body, first.offset);
    throw new CcfleetError('POLICY_PARSE', `${source}:${at.line}:${at.column}: policy is not valid JSONC (${printParseErrorCode(first.error)})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CcfleetError('POLICY_INVALID', `${source}:1:1: a policy must be a JSON object`);
  }
  const result = policySchema.safeParse(raw);
  if (result.success) return result.data;
  const tree = parseTree(body, [], { allowTrailingComma: true });
  const issues = result.error.issues.slice(0, 5).map((issue) => {
    const fieldPath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    // Point at the deepest node that exists: an unknown key points at the object holding it.
    let node = tree ? findNodeAtLocation(tree, fieldPath) : undefined;
    for (let n = fieldPath.length - 1; !node && tree && n >= 0; n--) node = findNodeAtLocation(tree, fieldPath.slice(0, n));
    const extra = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    const keyNode = node?.parent?.type === 'property' ? node.parent : node;
    const at = lineCol(body, keyNode?.offset ?? 0);
    const field = fieldPath.length ? fieldPath.join('.') : '(top level)';
    return `${source}:${at.line}:${at.column}: ${field}: ${issue.message}${extra}`;
  });
  throw new CcfleetError('POLICY_INVALID', issues.join('\n'));
}
