// certreg QR token format v1 -- offline verification core.
//
// ES module for pages and (module) service workers: no DOM, no network, no
// globals besides WebCrypto (crypto.subtle) and DecompressionStream.  The
// format is specified in docs/qr-token.md and certreg/certificates/signing.py;
// this file must follow it exactly.
//
// Exports:
//   decodeToken(text)                        -> parsed, unverified token (throws TokenError)
//   (and the building blocks other document types reuse: parseSign1(raw, typ), strictCbor,
//   trustIndex, verifySign1, statusListCandidates, localToday, nowMillis -- see licence-core.js)
//   verifyToken(text, jwks, statusLists, now) -> Promise<{verdict, reason, claims,
//                                                statusAsOf, statusStale, statusError, kid}>
//   verifyStatusList(token, jwks, typ?)      -> Promise<verified status list> (throws)
//   parseSign1, strictCbor, trustIndex, verifySign1, statusListCandidates: the building blocks,
//   shared with label-core.js (cylinder labels, the same family of tokens)
//
// verdict is one of VALID, INVALID_SIGNATURE, REVOKED, SUSPENDED, SUPERSEDED,
// EXPIRED, NOT_YET_VALID, UNKNOWN; precedence: signature, then status, then
// dates.  `claims` is null unless the signature verified.

import { decode, encode, rfc8949EncodeOptions, Tagged } from '../vendor/cborg/cborg.js'

export const FORMAT_VERSION = 1
export const MAX_TOKEN_CHARS = 1200
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024
export const STATUS_LIST_TYP = 'application/statuslist+cwt'
export const VERDICTS = Object.freeze([
  'VALID', 'INVALID_SIGNATURE', 'REVOKED', 'SUSPENDED', 'SUPERSEDED',
  'EXPIRED', 'NOT_YET_VALID', 'UNKNOWN'
])

const COSE_SIGN1_TAG = 18
const ES256 = -7
const HDR_ALG = 1
const HDR_KID = 4
const HDR_TYP = 16
const KID_LENGTH = 8
const MAX_DAY = 2932896 // 9999-12-31
const MAX_STATUS_INDEX = 2 ** 32 - 1
const MAX_IAT = 253402300799
const MAX_TTL = 2 ** 32 - 1
const SL_IAT = 6
const SL_STATUS_LIST = 65533
const SL_TTL = 65534
const SL_COUNTRY = -65537
const KINDS = Object.freeze({ 1: 'technician', 2: 'company' })
const STATUS_VERDICTS = Object.freeze({ 1: 'REVOKED', 2: 'SUSPENDED', 3: 'SUPERSEDED' })

const NUMBER_RE = /^[A-Z0-9][A-Z0-9-]{0,31}$/
const CATEGORY_RE = /^[A-Z0-9][A-Z0-9-]{0,15}$/
const COUNTRY_RE = /^[A-Z]{2}$/
const FORBIDDEN_CHARS_RE = /[\p{Cc}\p{Cf}\p{Cs}]/u
const B32_RE = /^[A-Za-z2-7]+$/
const B64URL_RE = /^[A-Za-z0-9_-]*$/
const B32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** Thrown by decodeToken / verifyStatusList; `code` is a short machine reason. */
export class TokenError extends Error {
  constructor (code, message) {
    super(message)
    this.name = 'TokenError'
    this.code = code // 'malformed' | 'unsupported-version' | 'unknown-key' | 'bad-signature' | 'issuer-mismatch'
  }
}

const malformed = (message) => new TokenError('malformed', message)

// ---------------------------------------------------------------------------
// Text encodings
// ---------------------------------------------------------------------------

/** Strict RFC 4648 base32 without padding (lowercase accepted). */
export function base32Decode (text) {
  if (typeof text !== 'string' || text.length === 0) throw malformed('empty token')
  if (text.length > MAX_TOKEN_CHARS) throw malformed('token too long')
  if (!B32_RE.test(text)) throw malformed('token contains characters outside base32')
  const rem = text.length % 8
  if (rem === 1 || rem === 3 || rem === 6) throw malformed('impossible base32 length')
  const upper = text.toUpperCase()
  const out = new Uint8Array(Math.floor(upper.length * 5 / 8))
  let buffer = 0
  let bits = 0
  let n = 0
  for (let i = 0; i < upper.length; i++) {
    buffer = (buffer << 5) | B32_ALPHABET.indexOf(upper[i])
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[n++] = (buffer >>> bits) & 0xff
    }
    buffer &= (1 << bits) - 1
  }
  if (buffer !== 0) throw malformed('non-canonical base32 (non-zero trailing bits)')
  return out
}

/** Strict base64url without padding. */
export function base64urlDecode (text) {
  if (typeof text !== 'string' || !B64URL_RE.test(text) || text.length % 4 === 1) {
    throw malformed('not base64url')
  }
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - text.length % 4) % 4)
  let bin
  try {
    bin = atob(b64)
  } catch {
    throw malformed('not base64url')
  }
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  if (base64urlEncode(out) !== text) throw malformed('non-canonical base64url')
  return out
}

export function base64urlEncode (bytes) {
  let bin = ''
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i])
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function bytesEqual (a, b) {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// ---------------------------------------------------------------------------
// CBOR / COSE
// ---------------------------------------------------------------------------

const DECODE_OPTIONS = Object.freeze({
  useMaps: true, // integer map keys
  strict: true, // shortest-form integers and lengths
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowBigInt: false,
  tags: Tagged.preserve(COSE_SIGN1_TAG) // any other tag is an error
})

/** Decode CBOR that must be in deterministic encoding with nothing trailing. */
export function strictCbor (bytes) {
  let value
  let same
  try {
    value = decode(bytes, DECODE_OPTIONS)
    same = bytesEqual(encode(value, rfc8949EncodeOptions), bytes)
  } catch (e) {
    throw malformed(`invalid CBOR: ${e && e.message}`)
  }
  if (!same) throw malformed('CBOR is not in deterministic encoding')
  return value
}

export const isMap = (v) => v instanceof Map
const isBytes = (v) => v instanceof Uint8Array
export const isUint = (v, max) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max
export const codePoints = (s) => [...s].length

export function sameKeys (map, keys) {
  if (map.size !== keys.length) return false
  for (const k of keys) if (!map.has(k)) return false
  return true
}

export function parseSign1 (raw, typ) {
  const obj = strictCbor(raw)
  if (!(obj instanceof Tagged) || obj.tag !== COSE_SIGN1_TAG) throw malformed('not a tagged COSE_Sign1')
  const parts = obj.value
  if (!Array.isArray(parts) || parts.length !== 4) throw malformed('COSE_Sign1 must have 4 items')
  const [protectedBytes, unprotected, payload, signature] = parts
  if (!isBytes(protectedBytes) || !isBytes(payload) || !isBytes(signature)) {
    throw malformed('COSE_Sign1 parts must be byte strings')
  }
  if (!isMap(unprotected) || unprotected.size !== 0) throw malformed('unprotected header must be empty')
  if (signature.length !== 64) throw malformed('ES256 signature must be 64 bytes')
  const header = strictCbor(protectedBytes)
  const labels = typ == null ? [HDR_ALG, HDR_KID] : [HDR_ALG, HDR_KID, HDR_TYP]
  if (!isMap(header) || !sameKeys(header, labels)) throw malformed('bad protected header labels')
  if (header.get(HDR_ALG) !== ES256) throw malformed('alg must be ES256')
  const kid = header.get(HDR_KID)
  if (!isBytes(kid) || kid.length !== KID_LENGTH) throw malformed('kid must be 8 bytes')
  if (typ != null && header.get(HDR_TYP) !== typ) throw malformed(`typ must be ${typ}`)
  return { protected: protectedBytes, payload, signature, kid, kidB64: base64urlEncode(kid) }
}

function sigStructure (protectedBytes, payload) {
  return encode(['Signature1', protectedBytes, new Uint8Array(0), payload])
}

export function dayToIso (days) {
  return new Date(days * 86400000).toISOString().slice(0, 10)
}

function parseClaims (map) {
  if (!isMap(map)) throw malformed('claims must be a map')
  const version = map.get(1)
  if (typeof version !== 'number' || !Number.isInteger(version)) throw malformed('no format version')
  if (version !== FORMAT_VERSION) {
    throw new TokenError('unsupported-version', `unsupported token format version ${version}`)
  }
  if (!sameKeys(map, [1, 2, 3, 4, 5, 6, 7, 8, 9])) throw malformed('claims must have keys 1..9')
  const number = map.get(2)
  const name = map.get(3)
  const kind = map.get(4)
  const country = map.get(5)
  const cats = map.get(6)
  const from = map.get(7)
  const until = map.get(8)
  const index = map.get(9)
  if (typeof number !== 'string' || !NUMBER_RE.test(number)) throw malformed('bad certificate number')
  if (typeof name !== 'string' || codePoints(name) < 1 || codePoints(name) > 100 ||
      FORBIDDEN_CHARS_RE.test(name)) throw malformed('bad holder name')
  if (!Object.hasOwn(KINDS, kind) || !isUint(kind, 2)) throw malformed('bad holder kind')
  if (typeof country !== 'string' || !COUNTRY_RE.test(country)) throw malformed('bad country')
  if (!Array.isArray(cats) || cats.length > 16 ||
      !cats.every((c) => typeof c === 'string' && CATEGORY_RE.test(c)) ||
      new Set(cats).size !== cats.length) throw malformed('bad categories')
  if (!isUint(from, MAX_DAY) || !isUint(until, MAX_DAY) || until < from) throw malformed('bad dates')
  if (!isUint(index, MAX_STATUS_INDEX)) throw malformed('bad status index')
  return Object.freeze({
    version,
    number,
    holderName: name,
    holderKind: KINDS[kind],
    country,
    categories: Object.freeze([...cats]),
    validFrom: dayToIso(from),
    validUntil: dayToIso(until),
    statusIndex: index
  })
}

/**
 * Parse token text WITHOUT verifying it.  Throws TokenError (code
 * 'malformed' or 'unsupported-version').
 * Returns {kid: Uint8Array, kidB64, claims, protected, payload, signature, cose}.
 */
export function decodeToken (text) {
  const cose = base32Decode(text)
  const sign1 = parseSign1(cose, null)
  const claims = parseClaims(strictCbor(sign1.payload))
  return Object.freeze({ ...sign1, claims, cose })
}

// ---------------------------------------------------------------------------
// Trust list (JWKS)
// ---------------------------------------------------------------------------

const trustCache = new WeakMap() // jwks object -> Promise<Map<kidB64, entry>>

async function thumbprintKid (jwk) {
  // RFC 7638: members crv, kty, x, y in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))
  return base64urlEncode(new Uint8Array(digest, 0, KID_LENGTH))
}

async function indexJwks (jwks) {
  const index = new Map()
  const keys = jwks && Array.isArray(jwks.keys) ? jwks.keys : []
  await Promise.all(keys.map(async (jwk) => {
    if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256') return
    if (jwk.alg !== undefined && jwk.alg !== 'ES256') return
    if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return
    if (typeof jwk.country !== 'string' || !COUNTRY_RE.test(jwk.country)) return
    let kid
    let key
    try {
      kid = await thumbprintKid(jwk)
      if (jwk.kid !== undefined && jwk.kid !== kid) return // kid must be the derived one
      key = await crypto.subtle.importKey(
        'jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
        { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    } catch {
      return // not a valid P-256 point: ignore the entry
    }
    index.set(kid, { key, country: jwk.country, status: jwk.status || 'active' })
  }))
  return index
}

export function trustIndex (jwks) {
  if (jwks === null || typeof jwks !== 'object') return Promise.resolve(new Map())
  let entry = trustCache.get(jwks)
  if (!entry) {
    entry = indexJwks(jwks)
    trustCache.set(jwks, entry)
  }
  return entry
}

export async function verifySign1 (sign1, trust) {
  const entry = trust.get(sign1.kidB64)
  if (!entry) throw new TokenError('unknown-key', `unknown key ${sign1.kidB64}`)
  const ok = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' }, entry.key, sign1.signature,
    sigStructure(sign1.protected, sign1.payload))
  if (!ok) throw new TokenError('bad-signature', 'signature does not verify')
  return entry
}

// ---------------------------------------------------------------------------
// Status lists
// ---------------------------------------------------------------------------

async function inflate (bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))
  const reader = stream.getReader()
  const chunks = []
  let total = 0
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      total += value.length
      if (total > MAX_STATUS_LIST_BYTES) {
        await reader.cancel()
        throw malformed('status list too large')
      }
      chunks.push(value)
    }
  } catch (e) {
    if (e instanceof TokenError) throw e
    throw malformed('status list lst is not valid ZLIB data')
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const statusListCache = new Map() // token string -> Promise<list>; small, bounded
const STATUS_LIST_CACHE_MAX = 64

async function verifyStatusListUncached (token, trust, typ) {
  const raw = typeof token === 'string' ? base64urlDecode(token) : token
  if (!isBytes(raw)) throw malformed('status list token must be base64url text or bytes')
  const sign1 = parseSign1(raw, typ)
  const claims = strictCbor(sign1.payload)
  if (!isMap(claims) || !sameKeys(claims, [SL_IAT, SL_STATUS_LIST, SL_TTL, SL_COUNTRY])) {
    throw malformed('bad status list claims')
  }
  const iat = claims.get(SL_IAT)
  const ttl = claims.get(SL_TTL)
  const country = claims.get(SL_COUNTRY)
  const list = claims.get(SL_STATUS_LIST)
  if (!isUint(iat, MAX_IAT) || !isUint(ttl, MAX_TTL) || ttl === 0) throw malformed('bad iat/ttl')
  if (typeof country !== 'string' || !COUNTRY_RE.test(country)) throw malformed('bad country')
  if (!isMap(list) || !sameKeys(list, ['bits', 'lst'])) throw malformed('bad status_list')
  const bits = list.get('bits')
  const lst = list.get('lst')
  if (![1, 2, 4, 8].includes(bits) || !isBytes(lst)) throw malformed('bad bits/lst')
  const entry = await verifySign1(sign1, trust)
  if (entry.country !== country) {
    throw new TokenError('issuer-mismatch', `key of ${entry.country} signed the list of ${country}`)
  }
  const bytes = await inflate(lst)
  return Object.freeze({
    country,
    bits,
    iat,
    ttl,
    issuedAt: new Date(iat * 1000).toISOString().replace('.000Z', 'Z'),
    size: Math.floor(bytes.length * 8 / bits),
    status (index) {
      const bit = index * bits
      if (!Number.isInteger(index) || index < 0 || bit >= bytes.length * 8) return null
      return (bytes[Math.floor(bit / 8)] >> (bit % 8)) & ((1 << bits) - 1)
    }
  })
}

/**
 * Verify a status list token (base64url string or COSE bytes) against a JWKS; `typ` is the
 * protected header's typ (the certificates' by default, 'certreg-label-statuslist+cwt' for labels).
 * Resolves to {country, bits, iat, ttl, issuedAt, size, status(index) -> int|null}.
 * `typ`: the list's COSE typ (another document type's list, e.g. licences, has its own).
 */
export async function verifyStatusList (token, jwks, typ = STATUS_LIST_TYP) {
  const trust = await trustIndex(jwks)
  if (typeof token !== 'string') return verifyStatusListUncached(token, trust, typ)
  const cacheKey = `${typ} ${token}`
  let entry = statusListCache.get(cacheKey)
  if (entry && entry.trust === trust) return entry.promise
  const promise = verifyStatusListUncached(token, trust, typ)
  entry = { trust, promise }
  statusListCache.set(cacheKey, entry)
  if (statusListCache.size > STATUS_LIST_CACHE_MAX) {
    statusListCache.delete(statusListCache.keys().next().value)
  }
  promise.catch(() => statusListCache.delete(cacheKey))
  return promise
}

/** Candidate status list tokens for `country` from the accepted input shapes. */
export function statusListCandidates (statusLists, country) {
  if (statusLists == null) return []
  if (Array.isArray(statusLists)) return statusLists
  const lists = (typeof statusLists === 'object' && !(statusLists instanceof Map) &&
    statusLists.status_lists) || statusLists
  const one = lists instanceof Map ? lists.get(country) : (Object.hasOwn(lists, country) ? lists[country] : undefined)
  return one == null ? [] : [one]
}

// ---------------------------------------------------------------------------
// Verdict
// ---------------------------------------------------------------------------

export function localToday (now) {
  if (typeof now === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(now)) return now
  const d = now instanceof Date ? now : new Date()
  const pad = (n) => String(n).padStart(2, '0')
  return `${String(d.getFullYear()).padStart(4, '0')}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export function nowMillis (now) {
  if (now instanceof Date) return now.getTime()
  if (typeof now === 'string') return Date.parse(now.length === 10 ? `${now}T00:00:00Z` : now)
  return Date.now()
}

function result (verdict, reason, extra = {}) {
  return Object.freeze({
    verdict,
    reason,
    claims: null,
    statusAsOf: null,
    statusStale: false,
    statusError: null,
    kid: null,
    ...extra
  })
}

/**
 * Verify `text` offline.
 *   jwks        -- the trust list document ({keys: [...]}), as from /.well-known/jwks.json
 *   statusLists -- null, the /api/v1/status-list document ({status_lists: {CC: token}}),
 *                  a {CC: token} object or Map, or an array of tokens
 *   now         -- Date (local calendar date is used) or 'YYYY-MM-DD'; default: now
 */
export async function verifyToken (text, jwks, statusLists, now) {
  let decoded
  try {
    decoded = decodeToken(text)
  } catch (e) {
    if (e instanceof TokenError && e.code === 'unsupported-version') return result('UNKNOWN', e.code)
    return result('INVALID_SIGNATURE', 'malformed')
  }
  const claims = decoded.claims
  const trust = await trustIndex(jwks)
  try {
    const entry = await verifySign1(decoded, trust)
    if (entry.country !== claims.country) {
      return result('INVALID_SIGNATURE', 'issuer-mismatch', { kid: decoded.kidB64 })
    }
  } catch (e) {
    if (e instanceof TokenError && e.code === 'unknown-key') {
      return result('UNKNOWN', 'unknown-key', { kid: decoded.kidB64 })
    }
    return result('INVALID_SIGNATURE', 'bad-signature', { kid: decoded.kidB64 })
  }

  const base = { claims, kid: decoded.kidB64 }
  for (const candidate of statusListCandidates(statusLists, claims.country)) {
    let list
    try {
      list = await verifyStatusList(candidate, jwks)
    } catch (e) {
      base.statusError = (e && e.code) || 'bad-status-list'
      continue
    }
    if (list.country !== claims.country) continue
    base.statusError = null
    base.statusAsOf = list.issuedAt
    base.statusStale = nowMillis(now) >= (list.iat + list.ttl) * 1000
    const status = list.status(claims.statusIndex)
    if (status === null) return result('UNKNOWN', 'status-index-out-of-range', base)
    if (STATUS_VERDICTS[status]) return result(STATUS_VERDICTS[status], null, base)
    if (status !== 0) return result('UNKNOWN', 'unknown-status', base)
    break
  }

  const today = localToday(now)
  if (today < claims.validFrom) return result('NOT_YET_VALID', null, base)
  if (today > claims.validUntil) return result('EXPIRED', null, base)
  return result('VALID', null, base)
}
