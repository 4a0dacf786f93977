// Verify an antifraud_common JWS envelope (RFC 7515 General JSON Serialization)
// with nothing but Node.js built-in modules.
//
//   node verify_jws.mjs ENVELOPE_FILE KEYS_FILE
//
// KEYS_FILE is a JSON array of public JWKs (OKP/Ed25519 or EC/P-256). Each key's
// RFC 7638 thumbprint is computed here, independently, and matched to the `kid`
// of each protected header. The verifying algorithm is taken from the key.
// Prints one JSON object: {"payload_b64", "results": [{"kid", "alg", "status"}]}.
// Exit status: 0 if every signature verifies, 1 otherwise, 2 on bad usage.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const REQUIRED = { OKP: ['crv', 'kty', 'x'], EC: ['crv', 'kty', 'x', 'y'] };

function thumbprint(jwk) {
  const names = REQUIRED[jwk.kty];
  if (!names) throw new Error(`unsupported kty ${jwk.kty}`);
  // Members in lexicographic order, no whitespace (RFC 7638 §3.2); the values are
  // plain base64url and curve names, so JSON.stringify writes them canonically.
  const json = '{' + names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(jwk[n])}`).join(',') + '}';
  return createHash('sha256').update(json, 'utf8').digest('base64url');
}

function main(argv) {
  if (argv.length !== 2) {
    process.stderr.write('usage: node verify_jws.mjs ENVELOPE_FILE KEYS_FILE\n');
    return 2;
  }
  const envelope = JSON.parse(readFileSync(argv[0], 'utf8'));
  const keys = new Map();
  for (const jwk of JSON.parse(readFileSync(argv[1], 'utf8'))) {
    keys.set(thumbprint(jwk), { jwk, key: createPublicKey({ key: jwk, format: 'jwk' }) });
  }
  const results = [];
  for (const sig of envelope.signatures) {
    const header = JSON.parse(Buffer.from(sig.protected, 'base64url').toString('utf8'));
    const input = Buffer.from(`${sig.protected}.${envelope.payload}`, 'ascii');
    const signature = Buffer.from(sig.signature, 'base64url');
    const entry = keys.get(header.kid);
    let status;
    if (!entry) {
      status = 'unknown_key';
    } else if (entry.jwk.kty === 'OKP' && entry.jwk.crv === 'Ed25519'
               && (header.alg === 'Ed25519' || header.alg === 'EdDSA')) {
      status = verify(null, input, entry.key, signature) ? 'valid' : 'invalid';
    } else if (entry.jwk.kty === 'EC' && entry.jwk.crv === 'P-256' && header.alg === 'ES256') {
      const ok = verify('sha256', input, { key: entry.key, dsaEncoding: 'ieee-p1363' }, signature);
      status = ok ? 'valid' : 'invalid';
    } else {
      status = 'alg_mismatch';
    }
    results.push({ kid: header.kid, alg: header.alg, status });
  }
  process.stdout.write(JSON.stringify({ payload_b64: envelope.payload, results }) + '\n');
  return results.length > 0 && results.every((r) => r.status === 'valid') ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
