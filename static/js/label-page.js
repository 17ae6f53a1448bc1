// The cylinder label check page (/c/<token> and the offline shell /verify/cylinder-offline).
// Online the server has already written the verdict; this script only installs the service
// worker and refreshes the offline copy (trust list, label status lists, this page in the
// reader's language). Offline (data-mode="offline") it checks the label in the browser with
// label-core.js. Every text it shows comes from the JSON block #verify-text, rendered by the
// server in the reader's language.

import { verifyLabel } from './label-core.js'

const main = document.getElementById('verify')
const texts = JSON.parse(document.getElementById('verify-text').textContent)
const DAY = 24 * 3600 * 1000

function fill (template, values) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? values[name] : match))
}

function locale () {
  return document.documentElement.lang || undefined
}

function formatDate (iso) {
  const [y, m, d] = iso.split('-').map(Number)
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)))
}

function formatTime (iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
}

function setVerdict (verdict, colour) {
  const section = document.getElementById('verdict')
  section.className = `verdict verdict-${colour}`
  section.dataset.verdict = verdict
  const word = document.createElement('p')
  word.className = 'verdict-word'
  word.textContent = texts.verdicts[verdict].word
  const detail = document.createElement('p')
  detail.className = 'verdict-detail'
  detail.textContent = texts.verdicts[verdict].detail
  section.replaceChildren(word, detail)
}

function fact (list, label, value) {
  const dt = document.createElement('dt')
  dt.textContent = label
  const dd = document.createElement('dd')
  dd.textContent = value
  list.append(dt, dd)
}

function showClaims (claims) {
  const facts = document.getElementById('facts')
  const kg = new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(claims.netGrams / 1000)
  let contents = claims.substance ? `${claims.substance}, ${kg} kg` : '—'
  if (claims.substance && claims.condition) contents += `, ${texts.conditions[claims.condition]}`
  facts.replaceChildren()
  fact(facts, texts.labels.serial, claims.serial)
  fact(facts, texts.labels.kind, texts.kinds[claims.kind] || claims.kind)
  fact(facts, texts.labels.contents, contents)
  fact(facts, texts.labels.labelledOn, formatDate(claims.labelledOn))
  fact(facts, texts.labels.country, claims.country)
  facts.hidden = false
  document.getElementById('facts-heading').hidden = false
}

async function fetchJson (url) {
  const response = await fetch(url, { credentials: 'same-origin' })
  if (!response.ok) throw new Error(`${url}: ${response.status}`)
  return response.json()
}

async function checkOffline () {
  const statusLine = document.getElementById('status-as-of')
  if (!location.pathname.startsWith('/c/')) {
    setVerdict('unknown', 'warn')
    document.querySelector('#verdict .verdict-word').textContent = texts.synced
    document.querySelector('#verdict .verdict-detail').textContent = ''
    return
  }
  const token = decodeURIComponent(location.pathname.slice(3))
  let jwks
  try {
    jwks = await fetchJson(main.dataset.jwks)
  } catch {
    setVerdict('unknown', 'warn')
    statusLine.textContent = texts.offlineNoData
    main.dataset.checked = 'offline'
    return
  }
  let lists = null
  try {
    lists = await fetchJson(main.dataset.statusList)
  } catch {
    lists = null
  }
  const result = await verifyLabel(token, jwks, lists, new Date())
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
    // Issued in a federation peer's installation: say where the key and status came from, and how old they are.
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

if (main.dataset.mode === 'offline') checkOffline()
installWorker()
