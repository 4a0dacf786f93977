// Read and write antifraud_common's encrypted key file (docs/spec/key-file.md)
// with nothing but Node.js built-in modules: scrypt, AES-256-GCM, PKCS#8.
//
//   node key_file.mjs open KEY_FILE          prints {"alg", "key_id", "public_jwk"}
//   node key_file.mjs seal ed25519|es256 OUT  writes a new key file, prints the same
//
// The passphrase is read from the environment variable ANTIFRAUD_PASSPHRASE
// (its UTF-8 bytes, as they are). Exit status: 0 done, 1 refused (wrong
// passphrase, damaged file), 2 bad usage.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey,
  generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const HEADER = ['alg', 'cipher', 'format', 'format_version', 'kdf', 'key_id', 'nonce', 'salt',
  'scrypt_n', 'scrypt_p', 'scrypt_r'];

// The members used here are ASCII strings and small integers, for which RFC 8785
// is: members sorted by name, no whitespace, JSON.stringify's escaping.
function canonical(obj) {
  return '{' + Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(obj[k])}`).join(',') + '}';
}

function thumbprint(jwk) {
  const names = jwk.kty === 'OKP' ? ['crv', 'kty', 'x'] : ['crv', 'kty', 'x', 'y'];
  const members = Object.fromEntries(names.map((n) => [n, jwk[n]]));
  return createHash('sha256').update(canonical(members), 'utf8').digest('base64url');
}

function describe(privateKey) {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const alg = jwk.kty === 'OKP' ? 'Ed25519' : 'ES256';
  return { alg, key_id: thumbprint(jwk), public_jwk: jwk };
}

function derive(passphrase, header) {
  const N = header.scrypt_n, r = header.scrypt_r, p = header.scrypt_p;
  return scryptSync(passphrase, Buffer.from(header.salt, 'base64url'), 32,
    { N, r, p, maxmem: 128 * N * r * 2 });
}

function open(path, passphrase) {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  if (doc.format !== 'antifraud-encrypted-key' || doc.format_version !== 1
      || doc.kdf !== 'scrypt' || doc.cipher !== 'A256GCM') {
    throw new Error('not a version 1 antifraud key file');
  }
  const header = Object.fromEntries(HEADER.map((k) => [k, doc[k]]));
  const sealed = Buffer.from(doc.ciphertext, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', derive(passphrase, header),
    Buffer.from(header.nonce, 'base64url'));
  decipher.setAAD(Buffer.from(canonical(header), 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const der = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  const info = describe(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  if (info.alg !== header.alg || info.key_id !== header.key_id) {
    throw new Error('the key does not match its alg and key_id');
  }
  return info;
}

function seal(kind, out, passphrase) {
  const { privateKey } = kind === 'ed25519'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const info = describe(privateKey);
  const header = {
    alg: info.alg, cipher: 'A256GCM', format: 'antifraud-encrypted-key', format_version: 1,
    kdf: 'scrypt', key_id: info.key_id, nonce: randomBytes(12).toString('base64url'),
    salt: randomBytes(16).toString('base64url'), scrypt_n: 131072, scrypt_p: 1, scrypt_r: 8,
  };
  const cipher = createCipheriv('aes-256-gcm', derive(passphrase, header),
    Buffer.from(header.nonce, 'base64url'));
  cipher.setAAD(Buffer.from(canonical(header), 'utf8'));
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed = Buffer.concat([cipher.update(der), cipher.final(), cipher.getAuthTag()]);
  writeFileSync(out, canonical({ ...header, ciphertext: sealed.toString('base64url') }) + '\n',
    { mode: 0o600 });
  return info;
}

function main(argv) {
  const passphrase = Buffer.from(process.env.ANTIFRAUD_PASSPHRASE ?? '', 'utf8');
  if (passphrase.length === 0 || !((argv[0] === 'open' && argv.length === 2)
      || (argv[0] === 'seal' && argv.length === 3))) {
    process.stderr.write('usage: ANTIFRAUD_PASSPHRASE=... node key_file.mjs open FILE | seal ed25519|es256 OUT\n');
    return 2;
  }
  try {
    const info = argv[0] === 'open' ? open(argv[1], passphrase) : seal(argv[1], argv[2], passphrase);
    process.stdout.write(JSON.stringify(info) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`refused: ${e.message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
