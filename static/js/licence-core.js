// certreg licence token v2 (and v1) -- offline verification (browser / service worker).
//
// The format is specified in certreg/licences/token.py (and docs/qr-token.md, "Licence
// documents"): the certificate token's text form, COSE_Sign1 and keys (verify-core.js), with
// typ "certreg-licence", its own claims, and its own signed status list
// (typ "certreg-licence-statuslist+cwt": 1 revoked, 2 suspended, 3 expired). Version 2 also signs the
// holder's name (key 12) and the HS codes (key 13, packed decimal); version 1 tokens (keys 1..11) still verify,
// with holderName and hsCodes null.
//
// Exports:
//   decodeLicence(text) -> parsed, unverified token (throws TokenError)
//   verifyLicence(text, jwks, statusLists, now) -> Promise<{verdict, reason, claims,
//                                                  statusAsOf, statusStale, statusError, kid}>

import {
  TokenError, base32Decode, codePoints, dayToIso, isMap, isUint, localToday, nowMillis, parseSign1,
  sameKeys, statusListCandidates, strictCbor, trustIndex, verifySign1, verifyStatusList
} from './verify-core.js'

export const LICENCE_TYP = 'certreg-licence'
export const LICENCE_STATUS_LIST_TYP = 'certreg-licence-statuslist+cwt'
const VERSION_KEYS = Object.freeze({ 1: 11, 2: 13 }) // the keys 1..n of each format version
const MAX_DAY = 2932896
const MAX_GRAMS = Number.MAX_SAFE_INTEGER
const DIRECTIONS = Object.freeze({ 1: 'import', 2: 'export' })
const STATUS_VERDICTS = Object.freeze({ 1: 'REVOKED', 2: 'SUSPENDED', 3: 'EXPIRED' })
const PRINTABLE_RE = /^[!-~](?:[ -~]{0,62}[!-~])?$/
const SCOPE_RE = /^[!-~](?:[ -~]{0,30}[!-~])?$/
const COUNTRY_RE = /^[A-Z]{2}$/
const FORBIDDEN_CHARS_RE = /[\p{Cc}\p{Cf}\p{Cs}]/u
const MAX_HOLDER_NAME = 48
const keysUpTo = (n) => Array.from({ length: n }, (_, i) => i + 1)

const malformed = (message) => new TokenError('malformed', message)

function goodList (values, re, low, high) {
  return Array.isArray(values) && values.length >= low && values.length <= high &&
    new Set(values).size === values.length && values.every((v) => typeof v === 'string' && re.test(v))
}

/** An HS code's packed decimal digits (two per byte, an odd count ending in the nibble F), or null. */
function unpackHs (bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1 || bytes.length > 8) return null
  let digits = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  if (digits.endsWith('f')) digits = digits.slice(0, -1)
  return /^[0-9]+$/.test(digits) ? digits : null
}

/** An HS code's digits as shown: 4 digits, then dot-separated pairs (2903.71, 8418.50.11). */
export function hsText (digits) {
  const parts = [digits.slice(0, 4)]
  for (let i = 4; i < digits.length; i += 2) parts.push(digits.slice(i, i + 2))
  return parts.join('.')
}

function parseSigned (map) {
  const name = map.get(12)
  const packed = map.get(13)
  if (typeof name !== 'string' || codePoints(name) < 1 || codePoints(name) > MAX_HOLDER_NAME ||
      name !== name.trim() || FORBIDDEN_CHARS_RE.test(name)) throw malformed('bad holder name')
  if (!Array.isArray(packed) || packed.length > 16) throw malformed('bad HS codes')
  const codes = packed.map(unpackHs)
  if (codes.some((c) => c === null) || new Set(codes).size !== codes.length) throw malformed('bad HS codes')
  return { holderName: name, hsCodes: Object.freeze(codes.map(hsText)) }
}

function parseClaims (map) {
  if (!isMap(map)) throw malformed('claims must be a map')
  const version = map.get(1)
  if (typeof version !== 'number' || !Number.isInteger(version)) throw malformed('no format version')
  if (!Object.hasOwn(VERSION_KEYS, version)) {
    throw new TokenError('unsupported-version', `unsupported licence format version ${version}`)
  }
  const keys = keysUpTo(VERSION_KEYS[version])
  if (!sameKeys(map, keys)) throw malformed(`claims must have keys 1..${keys.length}`)
  const [number, country, registration, direction, scope, cap, partners, from, until, index] =
    keys.slice(1, 11).map((k) => map.get(k))
  if (typeof number !== 'string' || !PRINTABLE_RE.test(number)) throw malformed('bad licence number')
  if (typeof country !== 'string' || !COUNTRY_RE.test(country)) throw malformed('bad country')
  if (typeof registration !== 'string' || !PRINTABLE_RE.test(registration)) throw malformed('bad registration')
  if (!Object.hasOwn(DIRECTIONS, direction) || !isUint(direction, 2)) throw malformed('bad direction')
  if (!goodList(scope, SCOPE_RE, 1, 16)) throw malformed('bad scope')
  if (!goodList(partners, COUNTRY_RE, 0, 32)) throw malformed('bad partner countries')
  if (!isUint(cap, MAX_GRAMS)) throw malformed('bad cap')
  if (!isUint(from, MAX_DAY) || !isUint(until, MAX_DAY) || until < from) throw malformed('bad dates')
  if (!isUint(index, 2 ** 32 - 1)) throw malformed('bad status index')
  const signed = version >= 2 ? parseSigned(map) : { holderName: null, hsCodes: null }
  return Object.freeze({
    version,
    number,
    country,
    holderRegistration: registration,
    direction: DIRECTIONS[direction],
    scope: Object.freeze([...scope]),
    capGrams: cap,
    partnerCountries: Object.freeze([...partners]),
    validFrom: dayToIso(from),
    validUntil: dayToIso(until),
    statusIndex: index,
    ...signed
  })
}

/** Parse licence token text WITHOUT verifying it; throws TokenError. */
export function decodeLicence (text) {
  const cose = base32Decode(text)
  const sign1 = parseSign1(cose, LICENCE_TYP)
  const claims = parseClaims(strictCbor(sign1.payload))
  return Object.freeze({ ...sign1, claims, cose })
}

function result (verdict, reason, extra = {}) {
  return Object.freeze({
    verdict, reason, claims: null, statusAsOf: null, statusStale: false, statusError: null, kid: null, ...extra
  })
}

/**
 * Verify a licence token offline: signature, then the licence status list of its country, then dates.
 *   statusLists -- the /api/v1/licences/status-list document ({status_lists: {CC: token}}) or null
 */
export async function verifyLicence (text, jwks, statusLists, now) {
  let decoded
  try {
    decoded = decodeLicence(text)
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
      list = await verifyStatusList(candidate, jwks, LICENCE_STATUS_LIST_TYP)
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
