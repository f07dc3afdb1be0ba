// SPDX-License-Identifier: GPL-2.0-or-later
// Test S3 server: s3rver 3.7.1 (a real S3-protocol server in Node.js) with a
// gate in front that does what s3rver does not.
//
// s3rver 3.7.1 checks only that a SigV4 request names a known access key:
// its authentication middleware says "Signature version 4 calculation is
// unimplemented" and accepts any signature. Real S3 checks the signature,
// the payload hash (x-amz-content-sha256) and Content-MD5. This gate checks
// all three before s3rver sees the request, with the configured secret
// key, so a wrong secret, a request not signed by libcurl's SigV4 or a body
// that changed on the way is refused as real S3 refuses it (403
// SignatureDoesNotMatch, 400 XAmzContentSHA256Mismatch, 400 BadDigest).
// The gate is test code: nodecap itself never signs by hand.
//
// usage: node s3rver-sigv4.js PORT DIR ACCESS SECRET REGION BUCKET LOGFILE
// Prints "listening PORT" when ready. LOGFILE gets one JSON line per request.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const { Readable } = require('stream');
const S3rver = require('s3rver');

const [port, dir, access, secret, region, bucket, logfile] = process.argv.slice(2);

function rfc3986(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
function sha256hex(b) {
  return crypto.createHash('sha256').update(b).digest('hex');
}
function hmac(k, s) {
  return crypto.createHmac('sha256', k).update(s).digest();
}
function s3error(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${message}</Message></Error>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

// Returns null when the request is good, else [status, code, message].
function verify(req, body) {
  const auth = req.headers['authorization'];
  if (!auth) return [403, 'AccessDenied', 'Anonymous requests are refused by this test server'];
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return [400, 'AuthorizationHeaderMalformed', 'not an AWS4-HMAC-SHA256 header'];
  const [, ak, date, reg, service, signed, sig] = m;
  if (ak !== access) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  if (reg !== region || service !== 's3') return [400, 'AuthorizationHeaderMalformed', 'wrong region or service in the credential scope'];
  const amzDate = req.headers['x-amz-date'] || '';
  if (!amzDate.startsWith(date)) return [403, 'SignatureDoesNotMatch', 'credential date differs from x-amz-date'];
  const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
    +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (!(Math.abs(Date.now() - t) < 15 * 60 * 1000)) return [403, 'RequestTimeTooSkewed', 'x-amz-date too far from now'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!payloadHash) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  const names = signed.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256'))
    return [403, 'SignatureDoesNotMatch', 'host, x-amz-date and x-amz-content-sha256 must be signed'];

  const [rawPath, rawQuery = ''] = req.url.split('?', 2);
  const query = rawQuery === '' ? '' : rawQuery.split('&').map(p => {
    const i = p.indexOf('=');
    const k = decodeURIComponent(i < 0 ? p : p.slice(0, i));
    const v = decodeURIComponent(i < 0 ? '' : p.slice(i + 1));
    return [rfc3986(k), rfc3986(v)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const headers = names.map(n => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, rawPath, query, headers, signed, payloadHash].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${reg}/s3/aws4_request`, sha256hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), reg), 's3'), 'aws4_request');
  const want = hmac(key, toSign).toString('hex');
  if (!crypto.timingSafeEqual(Buffer.from(want), Buffer.from(sig)))
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];

  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256hex(body))
    return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."];
  const md5 = req.headers['content-md5'];
  if (md5 !== undefined && md5 !== crypto.createHash('md5').update(body).digest('base64'))
    return [400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.'];
  return null;
}

async function gate(ctx, next) {
  const body = await readBody(ctx.req);
  const bad = verify(ctx.req, body);
  const entry = { method: ctx.method, url: ctx.url, len: body.length };
  if (bad) {
    s3error(ctx, ...bad);
  } else {
    // Hand s3rver the body we already read, as the request stream.
    const r = Readable.from(body.length ? [body] : []);
    for (const p of ['headers', 'rawHeaders', 'method', 'url', 'httpVersion', 'socket', 'connection'])
      r[p] = ctx.req[p];
    ctx.req = ctx.request.req = r;
    await next();
  }
  entry.status = ctx.status;
  if (bad) entry.error = bad[1];
  fs.appendFileSync(logfile, JSON.stringify(entry) + '\n');
}

(async () => {
  const server = new S3rver({
    address: '127.0.0.1',
    port: Number(port),
    directory: dir,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  // s3rver registers its own "S3RVER" key: only ours may be used.
  const AWSAccount = require('s3rver/lib/models/account');
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(access, secret);
  server.middleware.unshift(gate);
  const { port: bound } = await server.run();
  process.stdout.write(`listening ${bound}\n`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch(err => {
  process.stderr.write(`s3rver-sigv4: ${err.stack || err}\n`);
  process.exit(1);
});
