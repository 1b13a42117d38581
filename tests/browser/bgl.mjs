// An independent Business Generated Link maker, written from Trustpilot's
// public description with Node's crypto module (not reviewd's C code):
//   node bgl.mjs ENCRYPT_KEY_B64 AUTH_KEY_B64 'JSON'
// prints the URL-encoded payload for ?p=.
import crypto from 'node:crypto';

const [, , encKey, authKey, json] = process.argv;
const iv = crypto.randomBytes(16);
const cipher = crypto.createCipheriv('aes-256-cbc',
  Buffer.from(encKey, 'base64'), iv);
const ciphertext = Buffer.concat([cipher.update(json, 'utf8'),
  cipher.final()]);
const hmac = crypto.createHmac('sha256', Buffer.from(authKey, 'base64'))
  .update(Buffer.concat([iv, ciphertext])).digest();
const payload = Buffer.concat([iv, ciphertext, hmac]).toString('base64');
process.stdout.write(encodeURIComponent(payload));
