// A second, independent verifier of antifraud_common signed lists, in Node.js with
// built-in modules only (node:crypto, node:fs). It speaks the conformance protocol
// of docs/conformance.md, so the same cases run against it and against the Python
// library:
//
//   node verifier.mjs verify --entries F --sig F --trust F --trust-sig F --now T
//                            [--state-version N --state-sha256 H] [--grace-seconds S]
//   node verifier.mjs trust-walk --trusted F --trusted-sig F --now T [--bundle F --bundle-sig F]...
//   node verifier.mjs canonicalize --in F
//   node verifier.mjs thumbprint --jwk F
//   node verifier.mjs jws-verify --jws F --jwk F
//   node verifier.mjs case-receive --trust F --trust-sig F --me ID --now T
//                                  [--history DIRECTION,T,F]... --message F
//   node verifier.mjs verify-reference --type number_plan --entries F --sig F --trust F
//                                      --trust-sig F --now T [--base F] [--state-version N
//                                      --state-sha256 H] [--grace-seconds S]
//
// It implements the signature, trust and hash parts of verification: a strict
// I-JSON parser (duplicate names, floats, lone surrogates, BOM refused), strict
// base64url, General JSON JWS parsing, kid = RFC 7638 thumbprint, Ed25519 and ES256
// with the algorithm taken from the trusted key, weak Ed25519 keys and R values
// refused (small order, non-canonical encodings), ES256 r, s in 1..n-1, thresholds counting each key once,
// scope of issuer, list type, kinds and actions, expiry at the given time, receiver
// state (rollback, fork), the entries file's length, SHA-256 and line count, the
// trust bundle chain walk with both root thresholds, and the manifest's pseudonym
// member (a pseudonymised list is refused: this is a verifier of plain lists), and the
// signed number plan (verify-reference --type number_plan: range records, their order
// and overlap, plan deltas). It does not check entry lines (canonical form, identifier
// validity, order, protected numbers), list deltas, identifiers, minisign, or the
// records of Do-Not-Originate and presenters lists: those exit 2 ("unsupported"). For case messages it checks the
// envelope, signature, scope and threshold, freshness, replay, recipient, binding of
// in_reply_to and the state machine of docs/spec/cases.md (not every body member:
// those the JSON Schema describes and this verifier does not decide on). It also writes canonical JSON
// (RFC 8785 without floats) for the jcs family.
//
// Output: one JSON line, {"ok":true,...} or {"ok":false,"code":"..."}; exit 0.
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';

class Refusal extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}
const refuse = (code, message) => { throw new Refusal(code, message); };

// ------------------------------------------------------------------ strict JSON

const MAX_SAFE = 9007199254740991n;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeUtf8(buf) {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) refuse('json_bom');
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    refuse('json_bom');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    return refuse('json_invalid_utf8');
  }
}

// Parse untrusted JSON in the profile of docs/spec (RFC 8785 without floats).
function parseStrict(buf, { maxBytes = 8 * 1024 * 1024, maxDepth = 32 } = {}) {
  if (buf.length > maxBytes) refuse('json_too_large');
  const text = decodeUtf8(buf);
  let i = 0;
  let surrogate = false;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1; };
  const syntax = () => refuse('json_syntax', `at ${i}`);
  function value(depth) {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) refuse('json_too_deep');
      return c === '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    for (const word of ['NaN', 'Infinity', '-Infinity']) if (text.startsWith(word, i)) refuse('json_nonfinite');
    return syntax();
  }
  function object(depth) {
    i += 1;
    const out = Object.create(null);
    const names = new Set();
    ws();
    if (text[i] === '}') { i += 1; return out; }
    for (;;) {
      ws();
      if (text[i] !== '"') syntax();
      const name = string();
      ws();
      if (text[i] !== ':') syntax();
      i += 1;
      const v = value(depth);
      if (names.has(name)) refuse('json_duplicate_key');
      names.add(name);
      out[name] = v;
      ws();
      if (text[i] === ',') { i += 1; continue; }
      if (text[i] === '}') { i += 1; return out; }
      syntax();
    }
  }
  function array(depth) {
    i += 1;
    const out = [];
    ws();
    if (text[i] === ']') { i += 1; return out; }
    for (;;) {
      out.push(value(depth));
      ws();
      if (text[i] === ',') { i += 1; continue; }
      if (text[i] === ']') { i += 1; return out; }
      syntax();
    }
  }
  function string() {
    i += 1;
    let out = '';
    for (;;) {
      if (i >= text.length) syntax();
      const c = text[i];
      if (c === '"') { i += 1; break; }
      if (c < ' ') syntax();
      if (c === '\\') {
        const e = text[i + 1];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) { out += simple[e]; i += 2; continue; }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        syntax();
      }
      out += c;
      i += 1;
    }
    if (LONE_SURROGATE.test(out)) surrogate = true;
    return out;
  }
  function number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m) syntax();
    i += m[0].length;
    if (m[2] !== undefined || m[3] !== undefined) refuse('json_float');
    if (m[0] === '-0') refuse('json_negative_zero');
    const n = BigInt(m[0]);
    if (n > MAX_SAFE || n < -MAX_SAFE) refuse('json_integer_range');
    return Number(n);
  }
  const result = value(0);
  ws();
  if (i !== text.length) syntax();
  if (surrogate) refuse('json_lone_surrogate');
  return result;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v) => typeof v === 'number' && Number.isInteger(v);

// RFC 8785 serialisation of profile values (no floats): JS sorts strings by UTF-16
// code units and JSON.stringify escapes strings exactly as JCS does.
function canonical(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (isInt(v)) return String(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const names = Object.keys(v).sort();
  return `{${names.map((n) => `${JSON.stringify(n)}:${canonical(v[n])}`).join(',')}}`;
}
const canonicalBytes = (v) => Buffer.from(canonical(v), 'utf8');

// ---------------------------------------------------------------- base64url, keys

function b64url(text, code) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) refuse(code);
  const raw = Buffer.from(text, 'base64url');
  if (raw.toString('base64url') !== text) refuse(code); // unused bits set
  return raw;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

// ------------------------------------------------ Ed25519 points to refuse
// docs/spec/envelope.md, "Ed25519 keys and signatures": a public key or a
// signature's R that is of small order or not canonically encoded is refused
// (with a small-order key, R = identity, S = 0 verifies for every message).

const P25519 = (1n << 255n) - 19n;
const L25519 = (1n << 252n) + 27742317777372353535851937790883648493n;
// d = -121665 / 121666 (mod p); modpow is a hoisted function declaration below.
const D25519 = ((P25519 - 121665n) * modpow(121666n, P25519 - 2n)) % P25519;
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
]);

function modpow(b, e) {
  let r = 1n;
  b %= P25519;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P25519;
    b = (b * b) % P25519;
    e >>= 1n;
  }
  return r;
}

const littleEndian = (buf) => BigInt(`0x${Buffer.from(buf).reverse().toString('hex') || '0'}`);

// 'non-canonical', 'small-order' or null for a 32-byte encoding.
function pointProblem(enc) {
  const y = littleEndian(enc) & ((1n << 255n) - 1n);
  if (y >= P25519) return 'non-canonical';
  if (SMALL_ORDER.has(enc.toString('hex'))) return 'small-order';
  if ((y === 1n || y === P25519 - 1n) && (enc[31] & 0x80)) return 'non-canonical';
  return null;
}

// RFC 8032 5.1.3: is there a curve point with this (canonical) y and sign?
function onCurve(enc) {
  const y = littleEndian(enc) & ((1n << 255n) - 1n);
  const u = (y * y - 1n + P25519) % P25519;
  const v = (D25519 * y * y + 1n) % P25519;
  let x = (u * modpow(v, 3n) % P25519) * modpow(u * modpow(v, 7n), (P25519 - 5n) / 8n) % P25519;
  const vx2 = (v * x * x) % P25519;
  if (vx2 === (P25519 - u) % P25519) x = (x * modpow(2n, (P25519 - 1n) / 4n)) % P25519;
  else if (vx2 !== u) return false;
  return !(x === 0n && (enc[31] & 0x80));
}

const P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n;

// Refuse a signature no honest signer makes, whatever key it claims (weak_signature).
function checkSignatureEncoding(alg, signature) {
  if (alg === 'Ed25519') {
    if (pointProblem(signature.subarray(0, 32)) !== null) refuse('weak_signature');
    return;
  }
  const r = BigInt(`0x${signature.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  if (!(r > 0n && r < P256_N && s > 0n && s < P256_N)) refuse('weak_signature');
}

// A strict public JWK: Ed25519 (OKP) or P-256 (EC); returns {alg, kid, key}.
function publicKey(jwk) {
  if (!isObject(jwk)) refuse('jwk_invalid');
  const names = Object.keys(jwk);
  if (names.some((n) => PRIVATE_MEMBERS.includes(n))) refuse('jwk_private_member');
  let required;
  let alg;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    required = ['crv', 'kty', 'x'];
    alg = 'Ed25519';
  } else if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    required = ['crv', 'kty', 'x', 'y'];
    alg = 'ES256';
  } else {
    refuse('jwk_unsupported');
  }
  for (const n of required.filter((r) => r === 'x' || r === 'y')) {
    if (typeof jwk[n] !== 'string' || b64url(jwk[n], 'jwk_invalid').length !== 32) refuse('jwk_invalid');
  }
  if (alg === 'Ed25519') {
    const x = b64url(jwk.x, 'jwk_invalid');
    if (pointProblem(x) !== null) refuse('weak_key');
    if (!onCurve(x)) refuse('jwk_invalid');
  }
  const members = Object.fromEntries(required.map((n) => [n, jwk[n]]));
  let key;
  try {
    key = createPublicKey({ key: members, format: 'jwk' });
  } catch {
    refuse('jwk_invalid');
  }
  if (names.some((n) => !required.includes(n) && !['kid', 'alg', 'use'].includes(n))) refuse('jwk_unsupported');
  const kid = createHash('sha256').update(canonicalBytes(members)).digest('base64url');
  if ('kid' in jwk && jwk.kid !== kid) refuse('jwk_mismatch');
  if ('alg' in jwk && !(alg === 'Ed25519' ? ['Ed25519', 'EdDSA'] : ['ES256']).includes(jwk.alg)) {
    refuse('jwk_mismatch');
  }
  if ('use' in jwk && jwk.use !== 'sig') refuse('jwk_mismatch');
  return { alg, kid, key };
}

function algorithmOf(name) {
  if (name === 'none') refuse('jws_alg_none');
  if (name === 'Ed25519' || name === 'EdDSA') return 'Ed25519';
  if (name === 'ES256') return 'ES256';
  return refuse('jws_alg_unsupported');
}

function verifyWith(pk, signature, input) {
  try {
    checkSignatureEncoding(pk.alg, signature);
    if (pk.alg === 'Ed25519') {
      if (littleEndian(signature.subarray(32)) >= L25519) return false;
      return cryptoVerify(null, input, pk.key, signature);
    }
    return cryptoVerify('sha256', input, { key: pk.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------- JWS

const HEADER_MEMBERS = ['alg', 'kid', 'typ'];
const TYP_RE = /^[\x21-\x7e]{1,255}$/;

function parseJws(bytes, { maxBytes, typ }) {
  const doc = parseStrict(bytes, { maxBytes, maxDepth: 4 });
  const members = isObject(doc) ? Object.keys(doc).sort().join(',') : '';
  if (members !== 'payload,signatures') refuse('jws_members');
  if (typeof doc.payload !== 'string') refuse('jws_members');
  const payload = b64url(doc.payload, 'jws_base64');
  if (!Array.isArray(doc.signatures)) refuse('jws_members');
  if (doc.signatures.length === 0) refuse('jws_no_signatures');
  if (doc.signatures.length > 32) refuse('jws_too_many_signatures');
  const signatures = [];
  const seen = new Set();
  let duplicate = false;
  for (const item of doc.signatures) {
    if (!isObject(item)) refuse('jws_members');
    if ('header' in item) refuse('jws_unprotected_header');
    if (Object.keys(item).sort().join(',') !== 'protected,signature') refuse('jws_members');
    if (typeof item.protected !== 'string' || typeof item.signature !== 'string') refuse('jws_members');
    const header = parseStrict(b64url(item.protected, 'jws_base64'), { maxBytes: 1024, maxDepth: 2 });
    if (!isObject(header)) refuse('jws_header');
    if ('crit' in header) refuse('jws_crit');
    if (Object.keys(header).some((n) => !HEADER_MEMBERS.includes(n))) refuse('jws_header_member');
    for (const n of HEADER_MEMBERS) if (typeof header[n] !== 'string') refuse('jws_header');
    const alg = algorithmOf(header.alg);
    if (!/^[A-Za-z0-9_-]{43}$/.test(header.kid)) refuse('jws_kid');
    if (!TYP_RE.test(header.typ)) refuse('jws_header');
    if (typ !== undefined && header.typ !== typ) refuse('jws_typ');
    const signature = b64url(item.signature, 'jws_base64');
    if (signature.length !== 64) refuse('jws_signature_length');
    checkSignatureEncoding(alg, signature);
    if (seen.has(header.kid)) duplicate = true;
    seen.add(header.kid);
    signatures.push({ alg, kid: header.kid, signature, input: Buffer.from(`${item.protected}.${doc.payload}`, 'ascii') });
  }
  return { payload, signatures, duplicate };
}

// Kids of the trusted keys (a Map kid -> key) with a valid signature; each key once.
function validKids(parsed, keys) {
  const valid = new Set();
  for (const s of parsed.signatures) {
    const pk = keys.get(s.kid);
    if (pk && pk.alg === s.alg && verifyWith(pk, s.signature, s.input)) valid.add(s.kid);
  }
  return valid;
}

// ------------------------------------------------------------------ time, ids

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
function timestamp(text, code) {
  const m = typeof text === 'string' ? TS_RE.exec(text) : null;
  if (!m) refuse(code);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
      || h > 23 || mi > 59 || s > 59) refuse(code);
  return t / 1000;
}
const ID_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const KINDS = ['bank_account', 'bank_card', 'iccid', 'imei', 'payment_account', 'phone'];
const ACTIONS = ['block', 'freeze', 'hold', 'watch'];
const sortedUnique = (list) => list.every((v, k) => k === 0 || list[k - 1] < v);

// ---------------------------------------------------------------- trust bundle

// Text of 1..max code points, none of them "Other" or "Separator" in the Unicode
// character database except U+0020 SPACE, and no space at either end
// (docs/spec/format.md, member names and case references).
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;
function printableText(text, max) {
  const n = [...text].length;
  return n >= 1 && n <= max && !NOT_PRINTABLE.test(text) && !text.startsWith(' ') && !text.endsWith(' ');
}

const ROOT = '@root';

function exactMembers(obj, names) {
  if (!isObject(obj) || Object.keys(obj).sort().join(',') !== [...names].sort().join(',')) {
    refuse('trust_invalid');
  }
}

function parseBundle(bytes) {
  if (bytes.length > 4 * 1024 * 1024) refuse('trust_too_large');
  let doc;
  try {
    doc = parseStrict(bytes, { maxBytes: 4 * 1024 * 1024 });
  } catch (e) {
    if (e instanceof Refusal) refuse('trust_invalid');
    throw e;
  }
  exactMembers(doc, ['format', 'format_version', 'bundle_id', 'version', 'issued_at', 'expires', 'root', 'members']);
  if (doc.format !== 'antifraud-trust') refuse('wrong_payload_type');
  if (doc.format_version !== 1) refuse('trust_invalid');
  const issued = timestamp(doc.issued_at, 'trust_invalid');
  const expires = timestamp(doc.expires, 'trust_invalid');
  if (typeof doc.bundle_id !== 'string' || !ID_RE.test(doc.bundle_id)) refuse('trust_invalid');
  if (!isInt(doc.version) || doc.version < 1) refuse('trust_invalid');
  if (expires <= issued) refuse('trust_invalid');
  // A bundle is stored in canonical form with each key's required members only, so a
  // key carrying kid, alg or use (even correct ones) makes the bytes non-canonical.
  let bareKeys = true;
  const keysOf = (list) => {
    if (!Array.isArray(list)) refuse('trust_invalid');
    return list.map((jwk) => {
      let pk;
      try {
        pk = publicKey(jwk);
      } catch (e) {
        if (e instanceof Refusal) refuse(e.code);
        throw e;
      }
      bareKeys &&= Object.keys(jwk).length === (pk.alg === 'Ed25519' ? 3 : 4);
      return pk;
    });
  };
  const threshold = (v) => { if (!isInt(v) || v < 1 || v > 1000) refuse('trust_invalid'); return v; };
  exactMembers(doc.root, ['keys', 'threshold']);
  const rootKeys = keysOf(doc.root.keys);
  const rootThreshold = threshold(doc.root.threshold);
  if (rootThreshold > rootKeys.length) refuse('trust_invalid');
  if (!Array.isArray(doc.members)) refuse('trust_invalid');
  let canonicalLists = sortedUnique(rootKeys.map((k) => k.kid));
  const members = new Map();
  for (const m of doc.members) {
    const optional = ['messages', 'encryption_keys'].filter((n) => isObject(m) && n in m);
    exactMembers(m, ['agency', 'name', 'keys', 'publish', ...optional]);
    if (typeof m.agency !== 'string' || !ID_RE.test(m.agency)) refuse('trust_invalid');
    if (typeof m.name !== 'string' || !printableText(m.name, 200)) {
      refuse('trust_invalid');
    }
    const keys = keysOf(m.keys);
    if (keys.length === 0) refuse('trust_invalid');
    canonicalLists &&= sortedUnique(keys.map((k) => k.kid));
    if (!Array.isArray(m.publish)) refuse('trust_invalid');
    const rules = new Map();
    for (const r of m.publish) {
      exactMembers(r, ['list_type', 'kinds', 'actions', 'threshold', 'signers']);
      if (typeof r.list_type !== 'string' || !ID_RE.test(r.list_type)) refuse('trust_invalid');
      for (const [list, allowed] of [[r.kinds, KINDS], [r.actions, ACTIONS]]) {
        if (!Array.isArray(list) || list.length === 0 || list.some((v) => !allowed.includes(v))) refuse('trust_invalid');
        if (new Set(list).size !== list.length) refuse('trust_invalid');
        canonicalLists &&= sortedUnique(list);
      }
      if (!Array.isArray(r.signers) || r.signers.some((a) => typeof a !== 'string' || !ID_RE.test(a))) refuse('trust_invalid');
      if (new Set(r.signers).size !== r.signers.length) refuse('trust_invalid');
      canonicalLists &&= r.signers.length > 0 && sortedUnique(r.signers);
      if (rules.has(r.list_type)) refuse('trust_invalid');
      rules.set(r.list_type, {
        kinds: r.kinds, actions: r.actions, threshold: threshold(r.threshold),
        signers: r.signers.length ? r.signers : [m.agency],
      });
    }
    canonicalLists &&= sortedUnique(m.publish.map((r) => r.list_type));
    // Case-message rules and encryption keys (docs/spec/cases.md), both optional.
    const messages = new Map();
    if ('messages' in m) {
      if (!Array.isArray(m.messages) || m.messages.length === 0) refuse('trust_invalid');
      for (const r of m.messages) {
        exactMembers(r, ['type', 'to', 'threshold', 'signers']);
        if (typeof r.type !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(r.type)) refuse('trust_invalid');
        if (!Array.isArray(r.to) || r.to.length === 0) refuse('trust_invalid');
        const any = r.to.length === 1 && r.to[0] === '*';
        if (!any && r.to.some((a) => typeof a !== 'string' || !ID_RE.test(a))) refuse('trust_invalid');
        if (!Array.isArray(r.signers) || r.signers.some((a) => typeof a !== 'string' || !ID_RE.test(a))) refuse('trust_invalid');
        canonicalLists &&= sortedUnique(r.to) && r.signers.length > 0 && sortedUnique(r.signers);
        if (messages.has(r.type) || (!any && r.to.includes(m.agency))) refuse('trust_invalid');
        messages.set(r.type, { to: any ? null : r.to, threshold: threshold(r.threshold), signers: r.signers });
      }
      canonicalLists &&= sortedUnique(m.messages.map((r) => r.type));
    }
    const encKids = [];
    if ('encryption_keys' in m) {
      if (!Array.isArray(m.encryption_keys) || m.encryption_keys.length === 0) refuse('trust_invalid');
      for (const jwk of m.encryption_keys) {
        if (!isObject(jwk) || Object.keys(jwk).some((n) => PRIVATE_MEMBERS.includes(n))) refuse('trust_invalid');
        let required;
        if (jwk.kty === 'OKP' && jwk.crv === 'X25519') required = ['crv', 'kty', 'x'];
        else if (jwk.kty === 'EC' && jwk.crv === 'P-256') required = ['crv', 'kty', 'x', 'y'];
        else refuse('trust_invalid');
        if (Object.keys(jwk).some((n) => !required.includes(n) && n !== 'use') || jwk.use !== 'enc') refuse('trust_invalid');
        for (const n of required.slice(2)) {
          if (typeof jwk[n] !== 'string' || b64url(jwk[n], 'trust_invalid').length !== 32) refuse('trust_invalid');
        }
        encKids.push(createHash('sha256').update(canonicalBytes(Object.fromEntries(required.map((n) => [n, jwk[n]])))).digest('base64url'));
      }
      canonicalLists &&= sortedUnique(encKids);
    }
    if (members.has(m.agency)) refuse('trust_invalid');
    members.set(m.agency, { agency: m.agency, keys, rules, messages, encKids });
  }
  canonicalLists &&= sortedUnique(doc.members.map((m) => m.agency));
  const owners = new Map();
  for (const [owner, keys] of [[ROOT, rootKeys], ...[...members.values()].map((m) => [m.agency, m.keys])]) {
    for (const k of keys) {
      if (owners.has(k.kid)) refuse('trust_duplicate_key');
      owners.set(k.kid, { owner, key: k });
    }
  }
  for (const m of members.values()) {
    for (const kid of m.encKids) {
      if (owners.has(kid)) refuse('trust_duplicate_key');
      owners.set(kid, { owner: m.agency, key: null });
    }
  }
  for (const m of members.values()) {
    for (const rule of [...m.rules.values(), ...m.messages.values()]) {
      if (rule.signers.some((a) => !members.has(a))) refuse('trust_invalid');
      if (rule.to && rule.to.some((a) => !members.has(a))) refuse('trust_invalid');
      const available = rule.signers.reduce((n, a) => n + members.get(a).keys.length, 0);
      if (rule.threshold > available) refuse('trust_invalid');
    }
  }
  if (!canonicalLists || !bareKeys || !canonicalBytes(doc).equals(bytes)) refuse('trust_not_canonical');
  return {
    bytes, id: doc.bundle_id, version: doc.version, expires,
    rootKeys: new Map(rootKeys.map((k) => [k.kid, k])), rootThreshold, members, owners,
  };
}

function rootKidsSigned(bundleBytes, sigBytes, signer) {
  if (sigBytes.length > 4 * 1024 * 1024) refuse('trust_too_large');
  let parsed;
  try {
    parsed = parseJws(sigBytes, { maxBytes: 4 * 1024 * 1024, typ: 'antifraud-trust+json' });
    if (parsed.duplicate) refuse('jws_duplicate_kid');
    if (!parsed.payload.equals(bundleBytes)) refuse('payload_mismatch');
  } catch (e) {
    if (e instanceof Refusal) refuse(`trust_${e.code}`);
    throw e;
  }
  return validKids(parsed, signer.rootKeys).size;
}

function checkRoot(bundleBytes, sigBytes, signer, rotation) {
  const n = rootKidsSigned(bundleBytes, sigBytes, signer);
  if (n < signer.rootThreshold) {
    if (rotation) refuse('trust_rotation_threshold');
    refuse(n ? 'trust_threshold_not_met' : 'trust_signature_invalid');
  }
}

function selfSigned(bundleBytes, sigBytes) {
  const bundle = parseBundle(bundleBytes);
  checkRoot(bundleBytes, sigBytes, bundle, false);
  return bundle;
}

function checkFresh(bundle, now, grace = 0) {
  if (now >= bundle.expires + grace) refuse('trust_expired');
}

function rotate(current, newBytes, newSig) {
  const next = parseBundle(newBytes);
  if (next.id !== current.id) refuse('trust_wrong_bundle');
  if (next.version === current.version) {
    if (!newBytes.equals(current.bytes)) refuse('trust_fork');
    return current;
  }
  if (next.version < current.version) refuse('trust_rollback');
  if (next.version !== current.version + 1) refuse('trust_version_gap');
  checkRoot(newBytes, newSig, current, true);
  checkRoot(newBytes, newSig, next, true);
  return next;
}

function walk(current, candidates, now) {
  const byVersion = new Map();
  for (const [b, s] of candidates) {
    const parsed = parseBundle(b);
    const seen = byVersion.get(parsed.version);
    if (seen && !seen[0].equals(b)) refuse('trust_fork');
    byVersion.set(parsed.version, [b, s]);
  }
  const mine = byVersion.get(current.version);
  if (mine && !mine[0].equals(current.bytes)) refuse('trust_fork');
  const newer = [...byVersion.keys()].filter((v) => v > current.version).sort((a, b) => a - b);
  if (newer.length > 256) refuse('trust_chain_too_long');
  let trusted = current;
  for (const v of newer) {
    if (v !== trusted.version + 1) refuse('trust_version_gap');
    trusted = rotate(trusted, ...byVersion.get(v));
  }
  checkFresh(trusted, now);
  return trusted;
}

// -------------------------------------------------------------------- manifest

const MANIFEST_KEYS = ['byte_length', 'content', 'entry_count', 'expires', 'format', 'format_version',
  'issued_at', 'issuer', 'list_id', 'list_type', 'sha256', 'version'];
const DELTA_KEYS = ['base_sha256', 'base_version', 'result_count', 'result_sha256'];

function parseManifest(payload) {
  let doc;
  try {
    doc = parseStrict(payload, { maxBytes: 1024 * 1024 });
  } catch (e) {
    if (e instanceof Refusal) refuse('manifest_invalid');
    throw e;
  }
  if (!canonicalBytes(doc).equals(payload)) refuse('manifest_not_canonical');
  const bad = () => refuse('manifest_invalid');
  if (!isObject(doc)) bad();
  const names = Object.keys(doc);
  const optional = ['allow_protected', 'pseudonym'];
  if (names.some((n) => !MANIFEST_KEYS.includes(n) && !DELTA_KEYS.includes(n) && !optional.includes(n))) bad();
  if (MANIFEST_KEYS.some((n) => !(n in doc))) bad();
  if (doc.format !== 'antifraud-manifest' || doc.format_version !== 1) bad();
  for (const n of ['content', 'issuer', 'list_id', 'list_type', 'sha256', 'issued_at', 'expires']) {
    if (typeof doc[n] !== 'string') bad();
  }
  if (!['snapshot', 'delta'].includes(doc.content)) bad();
  const delta = doc.content === 'delta';
  if (delta ? DELTA_KEYS.some((n) => !(n in doc)) : DELTA_KEYS.some((n) => n in doc)) bad();
  for (const n of ['issuer', 'list_id', 'list_type']) if (!ID_RE.test(doc[n])) bad();
  const count = (v) => isInt(v) && v >= 0;
  for (const n of ['version', 'entry_count', 'byte_length', ...(delta ? ['base_version', 'result_count'] : [])]) {
    if (!count(doc[n])) bad();
  }
  if (doc.version < 1) bad();
  for (const n of ['sha256', ...(delta ? ['base_sha256', 'result_sha256'] : [])]) {
    if (typeof doc[n] !== 'string' || !/^[0-9a-f]{64}$/.test(doc[n])) bad();
  }
  const issuedAt = timestamp(doc.issued_at, 'manifest_invalid');
  const expires = timestamp(doc.expires, 'manifest_invalid');
  if (expires <= issuedAt) bad();
  if (delta && !(doc.base_version >= 1 && doc.base_version < doc.version)) bad();
  if ('allow_protected' in doc) {
    const list = doc.allow_protected;
    if (!Array.isArray(list) || list.length === 0) bad();
    const keys = list.map((item) => {
      if (!isObject(item) || Object.keys(item).sort().join(',') !== 'kind,value') bad();
      if (!KINDS.includes(item.kind) || typeof item.value !== 'string') bad();
      return `${item.kind}\u0000${item.value}`;
    });
    if (!sortedUnique(keys)) bad();
  }
  if ('pseudonym' in doc) {
    // A pseudonymised list (docs/spec/pseudonymised.md): snapshots only, exactly these members.
    const p = doc.pseudonym;
    if (delta || !isObject(p) || Object.keys(p).sort().join(',') !== 'alg,domain,key_check,key_id') bad();
    if (p.alg !== 'HMAC-SHA-256') bad();
    if (typeof p.domain !== 'string' || !ID_RE.test(p.domain)) bad();
    if (typeof p.key_id !== 'string' || !ID_RE.test(p.key_id)) bad();
    if (typeof p.key_check !== 'string' || !/^[0-9a-f]{64}$/.test(p.key_check)) bad();
  }
  return { ...doc, issuedAt, expiresAt: expires };
}

// ----------------------------------------------------------------- entries file

function hashFile(path, expectedLength) {
  const size = statSync(path).size;
  if (size !== expectedLength) refuse('length_mismatch');
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(1 << 20);
  let lines = 0;
  let total = 0;
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > expectedLength) refuse('length_mismatch');
      const part = chunk.subarray(0, n);
      h.update(part);
      for (let k = part.indexOf(10); k !== -1; k = part.indexOf(10, k + 1)) lines += 1;
    }
  } finally {
    closeSync(fd);
  }
  if (total !== expectedLength) refuse('length_mismatch');
  return { sha256: h.digest('hex'), lines };
}

// Scope of each entry line (kind and action within the publishing rule). Lines that
// are not entry objects are left to a full validator: this verifier does not check them.
function checkEntryScope(path, rule) {
  const text = readFileSync(path).toString('utf8');
  for (const line of text.split('\n')) {
    let obj;
    try { obj = JSON.parse(line); } catch { continue; }
    if (!isObject(obj) || typeof obj.kind !== 'string' || typeof obj.action !== 'string') continue;
    if (!rule.kinds.includes(obj.kind) || !rule.actions.includes(obj.action)) refuse('out_of_scope');
  }
}

// ---------------------------------------------------------------------- commands

const read = (path) => readFileSync(path);

// Steps 1-5 of list verification (docs/spec/format.md): envelope, member signatures,
// manifest, scope and threshold, validity period.
function verifyHead(a) {
  const now = timestamp(a.now, 'invalid_now');
  const bundle = selfSigned(read(a.trust), read(a['trust-sig']));
  checkFresh(bundle, now);
  // 1. size and syntax
  const sigBytes = read(a.sig);
  if (sigBytes.length > 1024 * 1024) refuse('jws_too_large');
  const parsed = parseJws(sigBytes, { maxBytes: 1024 * 1024, typ: 'antifraud-manifest+json' });
  if (parsed.duplicate) refuse('jws_duplicate_kid');
  // 2. signatures by member keys, before the payload is read
  const memberKeys = new Map([...bundle.owners].filter(([, o]) => o.owner !== ROOT && o.key).map(([kid, o]) => [kid, o.key]));
  const valid = validKids(parsed, memberKeys);
  if (valid.size === 0) refuse('signature_invalid');
  // 3. manifest
  const m = parseManifest(parsed.payload);
  // 3b. this is a verifier of plain lists: a pseudonymised list is of the other form
  if ('pseudonym' in m) refuse('pseudonymised_list');
  // 4. scope and threshold
  const member = bundle.members.get(m.issuer);
  if (!member) refuse('out_of_scope');
  const rule = member.rules.get(m.list_type);
  if (!rule) refuse('out_of_scope');
  const counted = [...valid].filter((kid) => rule.signers.includes(bundle.owners.get(kid).owner));
  if (counted.length < rule.threshold) refuse('threshold_not_met');
  // 5. validity period
  let graceUsed = false;
  if (now >= m.expiresAt) {
    if (a['grace-seconds'] !== undefined && now < m.expiresAt + Number(a['grace-seconds'])) graceUsed = true;
    else refuse('expired');
  }
  if (m.issuedAt > now + 300) refuse('issued_in_future');
  return { m, rule, graceUsed };
}

function cmdVerify(a) {
  const { m, rule, graceUsed } = verifyHead(a);
  // 6. receiver state
  let unchanged = false;
  if (a['state-version'] !== undefined) {
    const last = Number(a['state-version']);
    if (m.version < last) refuse('rollback');
    if (m.version === last) {
      if (m.sha256 !== a['state-sha256']) refuse('fork');
      unchanged = true;
    }
  }
  // 7. the entries file: length, SHA-256, line count, then entry scope
  const h = hashFile(a.entries, m.byte_length);
  if (h.sha256 !== m.sha256) refuse('hash_mismatch');
  if (h.lines !== m.entry_count) refuse('count_mismatch');
  checkEntryScope(a.entries, rule);
  return { grace_used: graceUsed, unchanged };
}

function cmdTrustWalk(a) {
  const now = timestamp(a.now, 'invalid_now');
  const current = selfSigned(read(a.trusted), read(a['trusted-sig']));
  const bundles = a.bundle || [];
  const sigs = a['bundle-sig'] || [];
  if (bundles.length !== sigs.length) throw new Error('--bundle and --bundle-sig must pair up');
  const final = walk(current, bundles.map((b, k) => [read(b), read(sigs[k])]), now);
  return { version: final.version };
}

function cmdCanonicalize(a) {
  return { output: canonicalBytes(parseStrict(read(a.in))).toString('base64') };
}

function cmdThumbprint(a) {
  return { thumbprint: publicKey(parseStrict(read(a.jwk))).kid };
}

function cmdJwsVerify(a) {
  const pk = publicKey(parseStrict(read(a.jwk)));
  const raw = read(a.jws).toString('utf8').trim();
  let triples;
  if (raw.startsWith('{')) {
    const doc = parseStrict(Buffer.from(raw, 'utf8'));
    if (!isObject(doc) || !Array.isArray(doc.signatures)) refuse('jws_members');
    triples = doc.signatures.map((s) => [s.protected, doc.payload, s.signature]);
  } else {
    triples = [raw.split('.')];
    if (triples[0].length !== 3) refuse('jws_members');
  }
  for (const [protectedB64, payloadB64, signatureB64] of triples) {
    const header = parseStrict(b64url(protectedB64, 'jws_base64'));
    if (!isObject(header)) continue;
    const alg = algorithmOf(header.alg);
    const signature = b64url(signatureB64, 'jws_base64');
    if (alg === pk.alg && verifyWith(pk, signature, Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'))) return {};
  }
  return refuse('signature_invalid');
}

// ---------------------------------------------------------------- case messages
// docs/spec/cases.md: signature, scope, freshness, replay, recipient, binding of
// in_reply_to and the case state machine, with an in-memory case book.

const CASE_TYP = 'antifraud-case+json';
const CASE_TYPES = ['query_request', 'query_response', 'stop_payment_order', 'stop_payment_result',
  'freeze_order', 'freeze_renewal', 'freeze_release', 'freeze_result', 'return_order',
  'return_result', 'ack', 'error'];
const STARTS = ['query_request', 'stop_payment_order', 'freeze_order'];
const ON_FREEZE = ['freeze_renewal', 'freeze_release', 'return_order'];
const REQUESTS = [...STARTS, ...ON_FREEZE];
const ANSWERS = {
  query_response: ['query_request'],
  stop_payment_result: ['stop_payment_order'],
  freeze_result: ['freeze_order', 'freeze_renewal', 'freeze_release'],
  return_result: ['return_order'],
};
const CASE_KEYS = ['body', 'case_id', 'expires', 'format', 'format_version', 'in_reply_to',
  'issued_at', 'message_id', 'recipient', 'sender', 'type'];
const CASE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const HASH_RE = /^[0-9a-f]{64}$/;
const POLICY = { stopHours: 48, maxStops: 2, freezeMonths: 6, majorMonths: 12, skew: 300, lifetime: 7 * 86400 };

const caseFormat = () => refuse('case_format');
const tsOf = (v) => timestamp(v, 'case_format');
const intOf = (v) => (isInt(v) ? v : caseFormat());

function addMonths(t, months) {
  const d = new Date(t * 1000);
  const index = d.getUTCMonth() + months;
  const year = d.getUTCFullYear() + Math.floor(index / 12);
  const month = index % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

function parseCaseMessage(payload) {
  let doc;
  try {
    doc = parseStrict(payload, { maxBytes: 1024 * 1024 });
  } catch (e) {
    if (e instanceof Refusal) refuse('case_json');
    throw e;
  }
  if (!isObject(doc) || Object.keys(doc).sort().join(',') !== CASE_KEYS.join(',')) caseFormat();
  if (doc.format !== 'antifraud-case') refuse('wrong_payload_type');
  if (doc.format_version !== 1 || !CASE_TYPES.includes(doc.type)) caseFormat();
  for (const n of ['message_id', 'case_id']) if (typeof doc[n] !== 'string' || !CASE_ID_RE.test(doc[n])) caseFormat();
  for (const n of ['sender', 'recipient']) if (typeof doc[n] !== 'string' || !ID_RE.test(doc[n])) caseFormat();
  if (doc.sender === doc.recipient) caseFormat();
  const issued = tsOf(doc.issued_at);
  const expires = tsOf(doc.expires);
  if (expires <= issued) caseFormat();
  const reply = doc.in_reply_to;
  if (STARTS.includes(doc.type) ? reply !== null : (typeof reply !== 'string' || !HASH_RE.test(reply))) caseFormat();
  const b = doc.body;
  if (!isObject(b)) caseFormat();
  // The body members this verifier decides on (the full shapes are in the JSON Schema).
  if (doc.type === 'stop_payment_order' || doc.type === 'freeze_order') {
    if (!isObject(b.account) || typeof b.account.bank !== 'string' || typeof b.account.number !== 'string') caseFormat();
  }
  if (doc.type === 'stop_payment_order') { intOf(b.sequence); intOf(b.term_hours); }
  if (doc.type === 'freeze_order' && typeof b.major !== 'boolean') caseFormat();
  if (doc.type.endsWith('_result') || doc.type === 'query_response') {
    if (typeof b.status !== 'string') caseFormat();
  }
  if (doc.type === 'stop_payment_result' && b.status === 'stopped'
      && tsOf(b.stopped_until) <= tsOf(b.stopped_at)) caseFormat();
  if (doc.type === 'freeze_result' && b.status === 'frozen'
      && tsOf(b.frozen_until) <= tsOf(b.frozen_at)) caseFormat();
  if (!canonicalBytes(doc).equals(payload)) refuse('case_not_canonical');
  return { ...doc, issued, expires, hash: createHash('sha256').update(payload).digest('hex') };
}

function checkCaseEnvelope(bytes, bundle, now) {
  let parsed;
  try {
    parsed = parseJws(bytes, { maxBytes: 2 * 1024 * 1024, typ: CASE_TYP });
  } catch (e) {
    if (e instanceof Refusal) refuse(`case_${e.code}`);
    throw e;
  }
  if (parsed.duplicate) refuse('case_jws_duplicate_kid');
  const m = parseCaseMessage(parsed.payload);
  const sender = bundle.members.get(m.sender);
  if (!sender) refuse('case_unknown_member');
  const memberKeys = new Map([...bundle.owners].filter(([, o]) => o.owner !== ROOT && o.key).map(([kid, o]) => [kid, o.key]));
  const valid = validKids(parsed, memberKeys);
  const own = new Set(sender.keys.map((k) => k.kid));
  if (![...valid].some((kid) => own.has(kid))) refuse('case_signature_invalid');
  const rule = sender.messages.get(m.type);
  if (!rule || (rule.to && !rule.to.includes(m.recipient))) refuse('case_out_of_scope');
  if (!bundle.members.has(m.recipient)) refuse('case_unknown_member');
  if ((m.type === 'stop_payment_order' || m.type === 'freeze_order') && m.body.account.bank !== m.recipient) {
    refuse('case_account_not_recipient');
  }
  const counted = [...valid].filter((kid) => rule.signers.includes(bundle.owners.get(kid).owner));
  if (counted.length < rule.threshold) refuse('case_threshold_not_met');
  if (m.expires - m.issued > POLICY.lifetime) refuse('case_lifetime');
  if (m.issued > now + POLICY.skew) refuse('case_not_yet_valid');
  if (now >= m.expires) refuse('case_expired');
  return m;
}

function effective(view, now) {
  if (view.state === 'stopped' && view.stopUntil !== null && now >= view.stopUntil) return 'stop_lapsed';
  if ((view.state === 'frozen' || view.state === 'renewal_pending') && view.freezeUntil !== null && now >= view.freezeUntil) {
    return 'freeze_lapsed';
  }
  return view.state;
}

const transition = () => refuse('case_transition');

function refusedRequest(view, request) {
  let back;
  if (request === 'stop_payment_order') back = view.resume === 'stopped' ? 'stopped' : 'not_stopped';
  else if (request === 'freeze_order') back = 'freeze_refused';
  else back = view.resume || 'frozen';
  return { ...view, state: back, pending: null, resume: null };
}

// The state machine of docs/spec/cases.md: the case after `m`, or a refusal.
function step(prior, m, answered, stops, now) {
  const t = m.type;
  let view = prior;
  if (!view) {
    if (!STARTS.includes(t)) refuse('case_unknown_case');
    view = { initiator: m.sender, responder: m.recipient, state: 'open', account: null, major: false,
      pending: null, resume: null, stopUntil: null, freezeUntil: null, freezeRef: null };
  } else if ([m.sender, m.recipient].sort().join() !== [view.initiator, view.responder].sort().join()) {
    refuse('case_wrong_party');
  }
  const state = effective(view, now);
  if (answered) {
    if (ON_FREEZE.includes(t)) {
      if (answered.type !== 'freeze_result' || answered.hash !== view.freezeRef) refuse('case_reply_mismatch');
    } else if (ANSWERS[t] && !ANSWERS[t].includes(answered.type)) {
      refuse('case_reply_mismatch');
    } else if ((t === 'ack' || t === 'error') && (answered.type === 'ack' || answered.type === 'error')) {
      refuse('case_reply_mismatch');
    }
  }
  const sameAccount = (acc) => {
    if (view.account && (view.account.bank !== acc.bank || view.account.number !== acc.number
        || view.account.name !== acc.name)) refuse('case_other_account');
  };
  if (t === 'query_request' || t === 'ack' || t === 'query_response') return view;
  const b = m.body;
  if (t === 'stop_payment_order') {
    if (!['open', 'stopped', 'stop_lapsed', 'not_stopped'].includes(state)) transition();
    sameAccount(b.account);
    if (stops >= POLICY.maxStops) refuse('case_stop_limit');
    if (b.sequence !== stops + 1) refuse('case_stop_sequence');
    if (b.term_hours > POLICY.stopHours) refuse('case_stop_term');
    return { ...view, state: 'stop_pending', account: b.account, pending: m.hash, resume: state };
  }
  if (t === 'freeze_order') {
    if (!['open', 'stopped', 'stop_lapsed', 'not_stopped', 'freeze_refused', 'freeze_lapsed', 'released'].includes(state)) {
      transition();
    }
    sameAccount(b.account);
    return { ...view, state: 'freeze_pending', account: b.account, major: b.major, pending: m.hash, resume: state };
  }
  if (ON_FREEZE.includes(t)) {
    if (state === 'freeze_lapsed') refuse('case_freeze_lapsed');
    if (state !== 'frozen') transition();
    const target = { freeze_renewal: 'renewal_pending', freeze_release: 'release_pending', return_order: 'return_pending' }[t];
    return { ...view, state: target, pending: m.hash, resume: 'frozen' };
  }
  if (t === 'error') return answered.hash === view.pending ? refusedRequest(view, answered.type) : view;
  if (answered.hash !== view.pending) refuse('case_already_answered');
  if (t === 'stop_payment_result') {
    if (b.status !== 'stopped') return refusedRequest(view, answered.type);
    const at = tsOf(b.stopped_at);
    const until = tsOf(b.stopped_until);
    if (until > at + Math.min(answered.body.term_hours, POLICY.stopHours) * 3600) refuse('case_stop_term');
    return { ...view, state: 'stopped', pending: null, resume: null, stopUntil: until };
  }
  const months = view.major ? POLICY.majorMonths : POLICY.freezeMonths;
  if (t === 'freeze_result') {
    if (answered.type === 'freeze_release') {
      if (b.status === 'released') {
        return { ...view, state: 'released', pending: null, resume: null, freezeUntil: null, freezeRef: null };
      }
      if (b.status === 'frozen') transition();
      return refusedRequest(view, answered.type);
    }
    if (b.status === 'released') transition();
    if (b.status !== 'frozen') return refusedRequest(view, answered.type);
    const at = tsOf(b.frozen_at);
    const until = tsOf(b.frozen_until);
    if (answered.type === 'freeze_renewal') {
      if (!(view.freezeUntil < until && until <= addMonths(view.freezeUntil, months))) refuse('case_freeze_term');
    } else if (until > addMonths(at, months)) {
      refuse('case_freeze_term');
    }
    return { ...view, state: 'frozen', pending: null, resume: null, freezeUntil: until, freezeRef: m.hash, stopUntil: null };
  }
  // return_result
  if (b.status === 'returned') {
    return { ...view, state: 'returned', pending: null, resume: null, freezeUntil: null, freezeRef: null };
  }
  return refusedRequest(view, answered.type);
}

class CaseBook {
  constructor(me) {
    this.me = me;
    this.messages = [];
    this.cases = new Map();
    this.pending = new Map();
    this.stops = new Map();
  }

  record(m, direction, now) {
    // 4. replay
    if (this.messages.some((r) => r.hash === m.hash || (r.sender === m.sender && r.message_id === m.message_id))) {
      refuse('case_replay');
    }
    // 5. recipient (a sent message is this member's own)
    if (direction === 'in' && m.recipient !== this.me) refuse('case_wrong_recipient');
    if (direction === 'out' && m.sender !== this.me) refuse('case_not_mine');
    // 6. binding
    let answered = null;
    if (m.in_reply_to !== null) {
      answered = this.messages.find((r) => r.hash === m.in_reply_to) || null;
      if (!answered || answered.case_id !== m.case_id || answered.sender !== m.recipient
          || answered.recipient !== m.sender) refuse('case_unknown_request');
    }
    // 7. transition
    const acc = m.type === 'stop_payment_order' ? m.body.account : null;
    const stops = acc ? this.stops.get(`${acc.bank}\u0000${acc.number}`) || 0 : 0;
    const next = step(this.cases.get(m.case_id), m, answered, stops, now);
    if (answered && (ANSWERS[m.type] || m.type === 'error')) {
      const row = this.pending.get(answered.hash);
      if (!row) {
        if (m.type !== 'error') refuse('case_reply_mismatch');
      } else {
        if (row.answered) refuse('case_already_answered');
        if (!(m.type === 'query_response' && m.body.status === 'pending')) row.answered = true;
      }
    }
    this.messages.push(m);
    if (REQUESTS.includes(m.type)) this.pending.set(m.hash, { answered: false });
    if (m.type === 'stop_payment_result' && m.body.status === 'stopped') {
      const k = `${next.account.bank}\u0000${next.account.number}`;
      this.stops.set(k, (this.stops.get(k) || 0) + 1);
    }
    this.cases.set(m.case_id, next);
    return next;
  }
}

function cmdCaseReceive(a) {
  const now = timestamp(a.now, 'invalid_now');
  const bundle = selfSigned(read(a.trust), read(a['trust-sig']));
  checkFresh(bundle, now);
  const book = new CaseBook(a.me);
  for (const item of a.history || []) {
    const [direction, at, path] = item.split(/,(.*?),(.*)/s).filter((x) => x !== '');
    const when = timestamp(at, 'invalid_now');
    try {
      book.record(checkCaseEnvelope(read(path), bundle, when), direction, when);
    } catch (e) {
      if (e instanceof Refusal) throw new Error(`history refused: ${e.code}`);
      throw e;
    }
  }
  const m = checkCaseEnvelope(read(a.message), bundle, now);
  const view = book.record(m, 'in', now);
  return { hash: m.hash, state: effective(view, now) };
}

// ------------------------------------------------------- the signed number plan

// A number_plan reference list (docs/spec/number-plan.md, "The signed number plan"):
// range records, strictly ordered by (table, length as an integer, prefix), no prefix
// inside another of its table and length; deltas applied to --base. The other
// reference list types need identifier validation: "unsupported" here.
const PLAN_KINDS = {
  regular: ['fixed_line', 'fixed_line_or_mobile', 'iot', 'mobile', 'other', 'premium', 'satellite',
    'shared_cost', 'toll_free', 'voip'],
  local: ['emergency', 'short_code', 'sms_port'],
};
const PLAN_LENGTHS = { regular: [7, 13], local: [3, 20] };
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function realDate(text) {
  const m = typeof text === 'string' ? DATE_RE.exec(text) : null;
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= days[mo - 1];
}

function planRecord(obj) {
  const bad = () => refuse('invalid_entry');
  if (!isObject(obj)) bad();
  const status = obj.status;
  if (!['allocated', 'reserved', 'unallocated'].includes(status)) bad();
  const names = ['carrier', 'date', 'length', 'prefix', 'status', 'table'];
  if (status === 'allocated') names.push('kind');
  if (Object.keys(obj).sort().join(',') !== names.sort().join(',')) bad();
  if (typeof obj.table !== 'string' || !Object.hasOwn(PLAN_LENGTHS, obj.table)) bad();
  const [lo, hi] = PLAN_LENGTHS[obj.table];
  if (!isInt(obj.length) || obj.length < lo || obj.length > hi) bad();
  if (typeof obj.prefix !== 'string' || !/^[0-9]*$/.test(obj.prefix) || obj.prefix.length > obj.length) bad();
  if (!realDate(obj.date)) bad();
  const c = obj.carrier;
  if (typeof c !== 'string' || [...c].length > 64) bad();
  if (c !== '' && !printableText(c, 64)) bad();
  if (status === 'unallocated' && c !== '') bad();
  if (status === 'allocated' && !PLAN_KINDS[obj.table].includes(obj.kind)) bad();
  return obj;
}

const planKey = (r) => [r.table, r.length, r.prefix];
function compareKeys(a, b) {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  if (a[2] !== b[2]) return a[2] < b[2] ? -1 : 1;
  return 0;
}
const overlaps = (prev, key) => prev[0] === key[0] && prev[1] === key[1] && key[2].startsWith(prev[2]);

// The lines of a reference file, framed as an entries file's, each canonical JSON.
function referenceLines(buf) {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) refuse('jsonl_bom');
  if (buf.length === 0) return [];
  if (buf[buf.length - 1] !== 0x0a) refuse('jsonl_missing_final_newline');
  const out = [];
  let start = 0;
  while (start < buf.length) {
    const end = buf.indexOf(0x0a, start);
    const line = buf.subarray(start, end);
    start = end + 1;
    if (line.includes(0x0d)) refuse('jsonl_cr');
    if (line.length === 0) refuse('jsonl_empty_line');
    if (line.length > 4096) refuse('jsonl_line_too_long');
    let obj;
    try {
      obj = parseStrict(line, { maxBytes: 4096 });
    } catch (e) {
      if (e instanceof Refusal) refuse('bad_line');
      throw e;
    }
    if (!canonicalBytes(obj).equals(line)) refuse('not_canonical');
    out.push({ obj, line: Buffer.from(line) });
  }
  return out;
}

function planSnapshot(buf) {
  const held = new Map();
  let prev = null;
  for (const { obj, line } of referenceLines(buf)) {
    const key = planKey(planRecord(obj));
    if (prev) {
      const c = compareKeys(prev, key);
      if (c === 0) refuse('duplicate_key');
      if (c > 0) refuse('not_sorted');
      if (overlaps(prev, key)) refuse('plan_overlap');
    }
    prev = key;
    held.set(JSON.stringify(key), { key, line });
  }
  return held;
}

function planDelta(baseBytes, deltaBytes) {
  const held = planSnapshot(baseBytes);
  let prev = null;
  for (const { obj } of referenceLines(deltaBytes)) {
    if (!isObject(obj) || !['add', 'replace', 'remove'].includes(obj.op)) refuse('bad_delta_op');
    let key;
    let line = null;
    if (obj.op === 'remove') {
      if (Object.keys(obj).sort().join(',') !== 'length,op,prefix,table') refuse('bad_delta_op');
      if (typeof obj.table !== 'string' || typeof obj.prefix !== 'string' || !isInt(obj.length)) refuse('bad_delta_op');
      key = [obj.table, obj.length, obj.prefix];
    } else {
      if (Object.keys(obj).sort().join(',') !== 'entry,op') refuse('bad_delta_op');
      key = planKey(planRecord(obj.entry));
      line = canonicalBytes(obj.entry);
    }
    if (prev) {
      const c = compareKeys(prev, key);
      if (c === 0) refuse('duplicate_key');
      if (c > 0) refuse('not_sorted');
    }
    prev = key;
    const id = JSON.stringify(key);
    if (obj.op === 'add' && held.has(id)) refuse('delta_add_existing');
    if (obj.op !== 'add' && !held.has(id)) refuse('delta_key_missing');
    if (line === null) held.delete(id);
    else held.set(id, { key, line });
  }
  const items = [...held.values()].sort((x, y) => compareKeys(x.key, y.key));
  for (let k = 1; k < items.length; k += 1) {
    if (overlaps(items[k - 1].key, items[k].key)) refuse('plan_overlap');
  }
  return Buffer.concat(items.flatMap(({ line }) => [line, Buffer.from('\n')]));
}

function cmdVerifyReference(a) {
  if (!['number_plan', 'do_not_originate', 'presenters'].includes(a.type)) {
    throw new Unsupported(`reference list type ${a.type}`);
  }
  const { m, rule } = verifyHead(a);
  const delta = m.content === 'delta';
  // 6. receiver state
  let unchanged = false;
  if (a['state-version'] !== undefined) {
    const last = Number(a['state-version']);
    const held = a['state-sha256'];
    if (m.version < last) refuse('rollback');
    if (m.version === last) {
      if ((delta ? m.result_sha256 : m.sha256) !== held) refuse('fork');
      unchanged = true;
    } else if (delta && (last !== m.base_version || held !== m.base_sha256)) {
      refuse('delta_base_mismatch');
    }
  }
  // the list type and its rule
  if (m.list_type !== a.type) refuse('wrong_list_type');
  // Do-Not-Originate and presenters records hold phone numbers this verifier cannot judge.
  if (a.type !== 'number_plan') throw new Unsupported(`the records of ${a.type}`);
  if (!rule.kinds.includes('phone')) refuse('out_of_scope');
  // 7. the file: length, SHA-256, line count, then every line
  const h = hashFile(a.entries, m.byte_length);
  if (h.sha256 !== m.sha256) refuse('hash_mismatch');
  if (h.lines !== m.entry_count) refuse('count_mismatch');
  const data = read(a.entries);
  let result = data;
  if (delta) {
    if (a.base === undefined) throw new Unsupported('a delta needs --base');
    const base = read(a.base);
    const baseSha = createHash('sha256').update(base).digest('hex');
    if (unchanged && baseSha === m.result_sha256) {
      result = base;
    } else {
      if (baseSha !== m.base_sha256) refuse('delta_base_mismatch');
      result = planDelta(base, data);
      const count = result.length ? result.toString('latin1').split('\n').length - 1 : 0;
      if (createHash('sha256').update(result).digest('hex') !== m.result_sha256 || count !== m.result_count) {
        refuse('delta_result_mismatch');
      }
    }
  }
  const records = planSnapshot(result);
  return {
    count: records.size,
    sha256: createHash('sha256').update(result).digest('hex'),
    version: m.version,
  };
}

class Unsupported extends Error {}

const COMMANDS = {
  'case-receive': cmdCaseReceive,
  verify: cmdVerify,
  'trust-walk': cmdTrustWalk,
  canonicalize: cmdCanonicalize,
  thumbprint: cmdThumbprint,
  'jws-verify': cmdJwsVerify,
  'verify-reference': cmdVerifyReference,
};
const REPEATED = ['bundle', 'bundle-sig', 'history'];

function parseArgs(argv) {
  const out = {};
  for (let k = 0; k < argv.length; k += 1) {
    let name = argv[k];
    if (!name.startsWith('--')) throw new Error(`unexpected argument ${name}`);
    name = name.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq !== -1) { value = name.slice(eq + 1); name = name.slice(0, eq); } else { k += 1; value = argv[k]; }
    if (REPEATED.includes(name)) (out[name] ||= []).push(value);
    else out[name] = value;
  }
  return out;
}

function main(argv) {
  const command = COMMANDS[argv[0]];
  if (!command) {
    process.stderr.write(`unsupported command: ${argv[0]}\n`);
    return 2;
  }
  let result;
  try {
    result = { ok: true, ...command(parseArgs(argv.slice(1))) };
  } catch (e) {
    if (e instanceof Unsupported) {
      process.stderr.write(`unsupported: ${e.message}\n`);
      return 2;
    }
    if (!(e instanceof Refusal)) {
      process.stderr.write(`${e.stack || e}\n`);
      return 3;
    }
    result = { ok: false, code: e.code };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
