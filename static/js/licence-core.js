// certreg licence token v1 -- offline verification (browser / service worker).
//
// The format is specified in certreg/licences/token.py (and docs/qr-token.md, "Licence
// documents"): the certificate token's text form, COSE_Sign1 and keys (verify-core.js), with
// typ "certreg-licence", its own claims, and its own signed status list
// (typ "certreg-licence-statuslist+cwt": 1 revoked, 2 suspended, 3 expired).
//
// Exports:
//   decodeLicence(text) -> parsed, unverified token (throws TokenError)
//   verifyLicence(text, jwks, statusLists, now) -> Promise<{verdict, reason, claims,
//                                                  statusAsOf, statusStale, statusError, kid}>

import {
  TokenError, base32Decode, dayToIso, isMap, isUint, localToday, nowMillis, parseSign1,
  sameKeys, statusListCandidates, strictCbor, trustIndex, verifySign1, verifyStatusList
} from './verify-core.js'

export const LICENCE_TYP = 'certreg-licence'
export const LICENCE_STATUS_LIST_TYP = 'certreg-licence-statuslist+cwt'
const FORMAT_VERSION = 1
const MAX_DAY = 2932896
const MAX_GRAMS = Number.MAX_SAFE_INTEGER
const DIRECTIONS = Object.freeze({ 1: 'import', 2: 'export' })
const STATUS_VERDICTS = Object.freeze({ 1: 'REVOKED', 2: 'SUSPENDED', 3: 'EXPIRED' })
const PRINTABLE_RE = /^[!-~](?:[ -~]{0,62}[!-~])?$/
const SCOPE_RE = /^[!-~](?:[ -~]{0,30}[!-~])?$/
const COUNTRY_RE = /^[A-Z]{2}$/
const KEYS = Array.from({ length: 11 }, (_, i) => i + 1)

const malformed = (message) => new TokenError('malformed', message)

function goodList (values, re, low, high) {
  return Array.isArray(values) && values.length >= low && values.length <= high &&
    new Set(values).size === values.length && values.every((v) => typeof v === 'string' && re.test(v))
}

function parseClaims (map) {
  if (!isMap(map)) throw malformed('claims must be a map')
  const version = map.get(1)
  if (typeof version !== 'number' || !Number.isInteger(version)) throw malformed('no format version')
  if (version !== FORMAT_VERSION) {
    throw new TokenError('unsupported-version', `unsupported licence format version ${version}`)
  }
  if (!sameKeys(map, KEYS)) throw malformed('claims must have keys 1..11')
  const [number, country, registration, direction, scope, cap, partners, from, until, index] =
    KEYS.slice(1).map((k) => map.get(k))
  if (typeof number !== 'string' || !PRINTABLE_RE.test(number)) throw malformed('bad licence number')
  if (typeof country !== 'string' || !COUNTRY_RE.test(country)) throw malformed('bad country')
  if (typeof registration !== 'string' || !PRINTABLE_RE.test(registration)) throw malformed('bad registration')
  if (!Object.hasOwn(DIRECTIONS, direction) || !isUint(direction, 2)) throw malformed('bad direction')
  if (!goodList(scope, SCOPE_RE, 1, 16)) throw malformed('bad scope')
  if (!goodList(partners, COUNTRY_RE, 0, 32)) throw malformed('bad partner countries')
  if (!isUint(cap, MAX_GRAMS)) throw malformed('bad cap')
  if (!isUint(from, MAX_DAY) || !isUint(until, MAX_DAY) || until < from) throw malformed('bad dates')
  if (!isUint(index, 2 ** 32 - 1)) throw malformed('bad status index')
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
    statusIndex: index
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
