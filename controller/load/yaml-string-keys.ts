/**
 * Private key material that only a YAML parser sees: escapes (`"\x2D\x2D\x2D\x2D\x2DBEGIN…"`), folded or
 * block scalars of base64, a JWK spelled with quoted or escaped keys. The repository scan reads each file's
 * text as written; this reads each string as parsed. What the text already shows was reported there, so it is
 * not reported twice.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode, Scalar, YAMLMap } from 'yaml';
import type { Diagnostic } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import { findPrivateKeyMaterial, inDecodedBase64, looksLikeBase64, privateKeyDiagnostic } from './private-key-material.js';

const JWK_PRIVATE_VALUE = /^[A-Za-z0-9_-]{32,}$/;

/** `text` is the file the document was parsed from; `at` turns an offset in it into a location. */
export function privateKeysInYamlStrings(doc: Document, text: string, at: (offset: number) => SourceLocation): Diagnostic[] {
  const out: Diagnostic[] = [];
  const shownInText = (node: YamlNode): boolean => {
    const range = node.range;
    return range !== null && range !== undefined && findPrivateKeyMaterial(text.slice(range[0], range[1])).length > 0;
  };
  // Iterative: a document nested thousands deep must not overflow the stack here.
  const pending: unknown[] = [doc.contents];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isScalar(node)) {
      const what = hiddenIn(node, text);
      if (what && !shownInText(node)) out.push(privateKeyDiagnostic(`${what}, in a YAML string`, at(node.range?.[0] ?? 0)));
    } else if (isMap(node)) {
      const d = privateJwkMember(node);
      if (d && !shownInText(node)) out.push(privateKeyDiagnostic('a JSON Web Key with its private member "d"', at(d.range?.[0] ?? 0)));
      for (const pair of node.items) if (isPair(pair)) pending.push(pair.key, pair.value);
    } else if (isSeq(node)) {
      pending.push(...node.items);
    }
  }
  return out;
}

function hiddenIn(node: Scalar, text: string): string | undefined {
  const value = node.value;
  if (typeof value !== 'string' || !node.range) return undefined;
  // Written as parsed (a plain or simply quoted scalar): the repository scan read these very characters.
  if (text.slice(node.range[0], node.range[1]).includes(value)) return undefined;
  return findPrivateKeyMaterial(value)[0]?.what ?? (looksLikeBase64(value) ? inDecodedBase64(value) : undefined);
}

/** The `d` value of a mapping that is a private JWK (`kty` and a base64url `d`), however its keys are spelled. */
function privateJwkMember(map: YAMLMap): Scalar | undefined {
  let keyType = false;
  let d: Scalar | undefined;
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key) || !isScalar(pair.value)) continue;
    if (pair.key.value === 'kty' && typeof pair.value.value === 'string') keyType = true;
    if (pair.key.value === 'd' && typeof pair.value.value === 'string' && JWK_PRIVATE_VALUE.test(pair.value.value)) d = pair.value;
  }
  return keyType ? d : undefined;
}
