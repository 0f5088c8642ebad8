/**
 * Policy text (JSONC: comments and trailing commas are fine in a policy; a UTF-8 BOM is skipped) → a
 * validated Policy, or a CcfleetError:
 *   POLICY_PARSE    not JSONC (or empty): `<source>:<line>:<column>: <what is wrong> (<jsonc error code>)`
 *   POLICY_INVALID  not a valid policy: one line per problem, `<source>:<line>:<column>: <field>: <message>`,
 *                   pointing at the offending value (or key, for unknown and duplicate keys; or the
 *                   enclosing object, for a missing field). Duplicate keys are refused: which one wins
 *                   would depend on the reader.
 * Lines and columns are 1-based, counted in the text after the BOM.
 */
import { findNodeAtLocation, getNodePath, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { CcfleetError } from './errors.js';
import { describeValue, formatField, issueMessage, parseErrorText, suggestKey } from './policy-issues.js';
import { policySchema, type Policy } from './policy-schema.js';
import { lineCol } from './text-position.js';

const MAX_LINES = 8;

export function parsePolicyText(text: string, source: string): Policy {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const at = (offset: number) => {
    const p = lineCol(body, offset);
    return `${source}:${p.line}:${p.column}`;
  };
  if (body.trim() === '') throw new CcfleetError('POLICY_PARSE', `${at(0)}: the policy is empty`);

  const errors: ParseError[] = [];
  const opts = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false };
  const tree = parseTree(body, errors, opts);
  if (errors.length > 0 || !tree) {
    const first = errors[0];
    const more = errors.length > 1 ? ` — and ${errors.length - 1} more syntax error(s) after it` : '';
    const what = first ? `${parseErrorText(first.error)} (${printParseErrorCode(first.error)})` : 'not JSONC';
    throw new CcfleetError('POLICY_PARSE', `${at(first?.offset ?? 0)}: policy is not valid JSONC: ${what}${more}`);
  }
  if (tree.type !== 'object') {
    throw new CcfleetError('POLICY_INVALID', `${at(tree.offset)}: a policy must be a JSON object ({ … }), not ${describeValue(getNodeValue(tree))}`);
  }

  const lines: string[] = duplicateKeys(tree)
    .sort((x, y) => x.key.offset - y.key.offset)
    .map(({ key, first }) => `${at(key.offset)}: ${formatField([...getNodePath(key.parent!), key.value as string])}: duplicate key (first at line ${lineCol(body, first.offset).line}) — keep one`);
  if (lines.length === 0) {
    const raw: unknown = getNodeValue(tree);
    const result = policySchema.safeParse(raw, { error: issueMessage, reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const holder = findNodeAtLocation(tree, path) ?? tree;
        for (const k of issue.keys) {
          const keyNode = propertyKey(holder, k);
          lines.push(`${at(keyNode?.offset ?? holder.offset)}: ${formatField([...path, k])}: unknown key${suggestKey(path, k)}`);
        }
        continue;
      }
      const node = issue.code === 'invalid_key' ? propertyKey(findNodeAtLocation(tree, path.slice(0, -1)), path[path.length - 1]) : findNodeAtLocation(tree, path);
      // A missing field points at the object that should hold it.
      let where = node;
      for (let n = path.length - 1; !where && n >= 0; n--) where = findNodeAtLocation(tree, path.slice(0, n));
      const got = 'input' in issue && issue.input !== undefined && issue.code !== 'invalid_key' && issue.code !== 'invalid_type' ? ` (got ${describeValue(issue.input)})` : '';
      lines.push(`${at((where ?? tree).offset)}: ${formatField(path)}: ${issue.message}${got}`);
    }
  }
  const unique = [...new Set(lines)];
  const shown = unique.slice(0, MAX_LINES);
  if (unique.length > MAX_LINES) shown.push(`… and ${unique.length - MAX_LINES} more problem(s)`);
  throw new CcfleetError('POLICY_INVALID', shown.join('\n'));
}

/** The key node of property `key` in an object node. */
function propertyKey(obj: Node | undefined, key: string | number | undefined): Node | undefined {
  if (!obj || obj.type !== 'object') return undefined;
  return obj.children?.find((p) => p.children?.[0]?.value === key)?.children?.[0];
}

/** Every repeated key in every object of the tree, with the first occurrence. */
function duplicateKeys(root: Node): { key: Node; first: Node }[] {
  const out: { key: Node; first: Node }[] = [];
  const walk = (n: Node) => {
    if (n.type === 'object') {
      const seen = new Map<string, Node>();
      for (const prop of n.children ?? []) {
        const key = prop.children?.[0];
        if (!key) continue;
        const name = key.value as string;
        const first = seen.get(name);
        if (first) out.push({ key, first });
        else seen.set(name, key);
      }
    }
    for (const c of n.children ?? []) walk(c);
  };
  walk(root);
  return out;
}
