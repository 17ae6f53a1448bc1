// The certificate check page (/v/<token> and the offline shell /verify/offline).
// Online the server has already written the verdict; this script only installs the service
// worker and refreshes the offline copy. Offline (data-mode="offline") it verifies the token in
// the browser with verify-core.js against the cached trust list and status lists. Every text it
// shows comes from the JSON block #verify-text, rendered by the server in the reader's language.

import { verifyToken } from './verify-core.js'

const main = document.getElementById('verify')
const texts = JSON.parse(document.getElementById('verify-text').textContent)
const DAY = 24 * 3600 * 1000

function fill (template, values) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? values[name] : match))
}

function formatDate (iso) {
  const [y, m, d] = iso.split('-').map(Number)
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: 'medium', timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, d)))
}

function formatTime (iso) {
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' })
    .format(new Date(iso))
}

function setVerdict (verdict, colour) {
  const section = document.getElementById('verdict')
  section.className = `verdict verdict-${colour}`
  section.dataset.verdict = verdict
  section.replaceChildren()
  const word = document.createElement('p')
  word.className = 'verdict-word'
  word.textContent = texts.verdicts[verdict].word
  const detail = document.createElement('p')
  detail.className = 'verdict-detail'
  detail.textContent = texts.verdicts[verdict].detail
  section.append(word, detail)
}

function fact (list, label, value) {
  const dt = document.createElement('dt')
  dt.textContent = label
  const dd = document.createElement('dd')
  if (value instanceof Node) dd.append(value)
  else dd.textContent = value
  list.append(dt, dd)
  return dd
}

function showClaims (claims) {
  const facts = document.getElementById('facts')
  facts.replaceChildren()
  fact(facts, texts.labels.holder, claims.holderName).className = 'holder-name'
  fact(facts, texts.labels.kind, texts.labels[claims.holderKind] || claims.holderKind)
  fact(facts, texts.labels.number, claims.number).className = 'number'
  const cats = document.createElement('ul')
  cats.className = 'plain'
  for (const code of claims.categories) {
    const li = document.createElement('li')
    const strong = document.createElement('strong')
    strong.textContent = code
    li.append(strong)
    if (texts.categoryNames[code]) li.append(` — ${texts.categoryNames[code]}`)
    cats.append(li)
  }
  fact(facts, texts.labels.categories, cats)
  fact(facts, texts.labels.validity, fill(texts.validity, { from: formatDate(claims.validFrom), until: formatDate(claims.validUntil) }))
  const country = texts.countries[claims.country] || claims.country
  fact(facts, texts.labels.country, `${country} (${claims.country})`)
  facts.hidden = false
  document.getElementById('idcheck').hidden = false
}

async function fetchJson (url) {
  const response = await fetch(url, { credentials: 'same-origin' })
  if (!response.ok) throw new Error(`${url}: ${response.status}`)
  return response.json()
}

async function verifyOffline () {
  const statusLine = document.getElementById('status-as-of')
  const path = location.pathname
  if (!path.startsWith('/v/')) {
    setVerdict('UNKNOWN', 'warn')
    document.querySelector('#verdict .verdict-word').textContent = texts.synced
    document.querySelector('#verdict .verdict-detail').textContent = ''
    return
  }
  const token = decodeURIComponent(path.slice(3))
  let jwks
  try {
    jwks = await fetchJson(main.dataset.jwks)
  } catch {
    setVerdict('UNKNOWN', 'warn')
    statusLine.textContent = texts.offlineNoData
    return
  }
  let lists = null
  try {
    lists = await fetchJson(main.dataset.statusList)
  } catch {
    lists = null
  }
  const result = await verifyToken(token, jwks, lists, new Date())
  let colour = texts.colours[result.verdict]
  if (result.claims) showClaims(result.claims)
  if (result.statusAsOf) {
    statusLine.textContent = fill(texts.statusAsOf, { time: formatTime(result.statusAsOf) })
    if (Date.now() - Date.parse(result.statusAsOf) > Number(main.dataset.staleDays) * DAY) {
      const warning = document.createElement('span')
      warning.className = 'status-stale'
      warning.textContent = ' ' + fill(texts.statusStale, { days: main.dataset.staleDays })
      statusLine.append(warning)
      if (colour === 'ok') colour = 'warn'
    }
  } else if (result.claims) {
    statusLine.textContent = texts.statusUnchecked
    if (colour === 'ok') colour = 'warn'
  }
  const peer = result.kid && Array.isArray(jwks.keys) ? jwks.keys.find((k) => k.kid === result.kid && k.origin) : null
  if (peer) {
    // A certificate of a federation peer's country: say where the key and status came from, and how old they are.
    const origin = document.createElement('span')
    origin.className = 'status-origin'
    origin.textContent = ' ' + fill(texts.peerOrigin, { origin: peer.origin, time: peer.as_of ? formatTime(peer.as_of) : '?' })
    statusLine.append(origin)
  }
  setVerdict(result.verdict, colour)
  main.dataset.checked = 'offline'
}

async function installWorker () {
  if (!('serviceWorker' in navigator)) return
  try {
    await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' })
    const registration = await navigator.serviceWorker.ready
    if (!navigator.onLine) return
    const channel = new MessageChannel()
    const done = new Promise((resolve) => { channel.port1.onmessage = (event) => resolve(event.data) })
    registration.active.postMessage('sync', [channel.port2])
    const reply = await done
    if (reply && reply.ok) {
      main.dataset.synced = 'yes'
      if (main.dataset.mode === 'online') document.getElementById('sync-state').textContent = texts.synced
    }
  } catch (error) {
    main.dataset.synced = 'failed'
  }
}

if (main.dataset.mode === 'offline') verifyOffline()
installWorker()
