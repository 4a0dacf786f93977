// Make an antifraud_common JWS envelope with nothing but Node.js built-in modules,
// to check that envelopes from another implementation verify in the library.
//
//   node sign_jws.mjs ALG PAYLOAD_FILE [TYP]      (ALG: Ed25519 or ES256)
//
// Generates a fresh key pair, signs the payload file's bytes and prints one JSON
// object: {"jwk": <public JWK>, "kid": <RFC 7638 thumbprint>, "jws": <envelope>}.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

function thumbprint(jwk) {
  const names = jwk.kty === 'OKP' ? ['crv', 'kty', 'x'] : ['crv', 'kty', 'x', 'y'];
  const json = '{' + names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(jwk[n])}`).join(',') + '}';
  return createHash('sha256').update(json, 'utf8').digest('base64url');
}

function main(argv) {
  const [alg, payloadFile, typ = 'antifraud-manifest+json'] = argv;
  if (!['Ed25519', 'ES256'].includes(alg) || !payloadFile) {
    process.stderr.write('usage: node sign_jws.mjs Ed25519|ES256 PAYLOAD_FILE [TYP]\n');
    return 2;
  }
  const { publicKey, privateKey } = alg === 'Ed25519'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const exported = publicKey.export({ format: 'jwk' });
  const jwk = alg === 'Ed25519'
    ? { crv: exported.crv, kty: exported.kty, x: exported.x }
    : { crv: exported.crv, kty: exported.kty, x: exported.x, y: exported.y };
  const kid = thumbprint(jwk);
  // Keys written in sorted order with no whitespace: the canonical header.
  const protectedB64 = Buffer.from(JSON.stringify({ alg, kid, typ }), 'utf8').toString('base64url');
  const payloadB64 = readFileSync(payloadFile).toString('base64url');
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  const signature = alg === 'Ed25519'
    ? sign(null, input, privateKey)
    : sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const jws = JSON.stringify({
    payload: payloadB64,
    signatures: [{ protected: protectedB64, signature: signature.toString('base64url') }],
  });
  process.stdout.write(JSON.stringify({ jwk, kid, jws }) + '\n');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
