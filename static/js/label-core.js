// certreg cylinder label token format v1 -- offline verification core.
//
// ES module, no DOM, no network (like verify-core.js, whose building blocks it uses). The format
// is specified in certreg/cylinders/token.py and docs/cylinders.md; this file must follow it.
//
// Exports:
//   verifyLabel(text, jwks, statusLists, now) -> Promise<{verdict, reason, claims, statusAsOf,
//                                                statusStale, statusError, kid}>
//
// verdict is one of genuine, destroyed, suspended, unknown, forged (the online page's verdicts,
// plus what the label status list says: 1 destroyed or label withdrawn, 2 reported lost or
// stolen, or seized). `claims` is null unless the signature verified.

import {
  base32Decode, parseSign1, statusListCandidates, strictCbor, TokenError, trustIndex, verifySign1,
  verifyStatusList
} from './verify-core.js'

export const LABEL_TYP = 'certreg-cylinder-label'
export const LABEL_STATUS_LIST_TYP = 'certreg-label-statuslist+cwt'
const FORMAT_VERSION = 1
const KINDS = Object.freeze({ 1: 'refillable', 2: 'non_refillable', 3: 'recovery', 4: 'drum' })
const CONDITIONS = Object.freeze({ 0: null, 1: 'virgin', 2: 'recovered', 3: 'recycled', 4: 'reclaimed', 5: 'for_destruction' })
const STATUS_VERDICTS = Object.freeze({ 1: 'destroyed', 2: 'suspended' })
const SERIAL_RE = /^[A-Z0-9][A-Z0-9-]{0,31}$/
const SUBSTANCE_RE = /^[!-~]{0,32}$/
const COUNTRY_RE = /^[A-Z]{2}$/
const MAX_DAY = 2932896
const MAX_UINT32 = 2 ** 32 - 1

const malformed = (message) => new TokenError('malformed', message)
const isUint = (v, max) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max

function parseClaims (map) {
  if (!(map instanceof Map)) throw malformed('claims must be a map')
  const version = map.get(1)
  if (typeof version !== 'number' || !Number.isInteger(version)) throw malformed('no format version')
  if (version !== FORMAT_VERSION) throw new TokenError('unsupported-version', `label format ${version}`)
  if (map.size !== 9 || ![1, 2, 3, 4, 5, 6, 7, 8, 9].every((k) => map.has(k))) throw malformed('claims must have keys 1..9')
  const [serial, country, kind, substance, grams, condition, index, day] = [2, 3, 4, 5, 6, 7, 8, 9].map((k) => map.get(k))
  if (typeof serial !== 'string' || !SERIAL_RE.test(serial)) throw malformed('bad serial')
  if (typeof country !== 'string' || !COUNTRY_RE.test(country)) throw malformed('bad country')
  if (!Object.hasOwn(KINDS, kind) || !isUint(kind, 4)) throw malformed('bad cylinder kind')
  if (typeof substance !== 'string' || !SUBSTANCE_RE.test(substance)) throw malformed('bad substance')
  if (!isUint(grams, MAX_UINT32)) throw malformed('bad net contents')
  if (!Object.hasOwn(CONDITIONS, condition) || !isUint(condition, 5)) throw malformed('bad condition')
  if (!isUint(index, MAX_UINT32)) throw malformed('bad status index')
  if (!isUint(day, MAX_DAY)) throw malformed('bad label date')
  return Object.freeze({
    version, serial, country, kind: KINDS[kind], substance, netGrams: grams, condition: CONDITIONS[condition],
    statusIndex: index, labelledOn: new Date(day * 86400000).toISOString().slice(0, 10)
  })
}

function result (verdict, reason, extra = {}) {
  return Object.freeze({
    verdict, reason, claims: null, statusAsOf: null, statusStale: false, statusError: null, kid: null, ...extra
  })
}

/**
 * Verify a label token offline against the trust list and the label status lists
 * (the /api/v1/cylinders/status-list document, a {CC: token} object, or an array of tokens).
 */
export async function verifyLabel (text, jwks, statusLists, now) {
  let sign1
  let claims
  try {
    sign1 = parseSign1(base32Decode(text.toUpperCase()), LABEL_TYP)
    claims = parseClaims(strictCbor(sign1.payload))
  } catch (e) {
    if (e instanceof TokenError && e.code === 'unsupported-version') return result('unknown', e.code)
    return result('forged', 'malformed')
  }
  const trust = await trustIndex(jwks)
  try {
    const entry = await verifySign1(sign1, trust)
    if (entry.country !== claims.country) return result('forged', 'issuer-mismatch', { kid: sign1.kidB64 })
  } catch (e) {
    if (e instanceof TokenError && e.code === 'unknown-key') return result('unknown', 'unknown-key', { kid: sign1.kidB64 })
    return result('forged', 'bad-signature', { kid: sign1.kidB64 })
  }
  const base = { claims, kid: sign1.kidB64 }
  const millis = now instanceof Date ? now.getTime() : Date.now()
  for (const candidate of statusListCandidates(statusLists, claims.country)) {
    let list
    try {
      list = await verifyStatusList(candidate, jwks, LABEL_STATUS_LIST_TYP)
    } catch (e) {
      base.statusError = (e && e.code) || 'bad-status-list'
      continue
    }
    if (list.country !== claims.country) continue
    base.statusError = null
    base.statusAsOf = list.issuedAt
    base.statusStale = millis >= (list.iat + list.ttl) * 1000
    const status = list.status(claims.statusIndex)
    // A label printed after the list was built is beyond its end: genuine, its status unchecked.
    if (status === null) return result('genuine', 'not-listed', { ...base, statusAsOf: null })
    if (status === 0) return result('genuine', null, base)
    if (STATUS_VERDICTS[status]) return result(STATUS_VERDICTS[status], null, base)
    return result('unknown', 'unknown-status', base)
  }
  return result('genuine', null, base)
}
