// The inspector's offline queue (issue 14): an inspection recorded on the phone with no network is kept
// in IndexedDB with identifiers made here (crypto.randomUUID), and sent to PUT /inspections/sync/<id>
// when the network returns. The server records each part once (client ids), so a sync repeated or
// interrupted never records twice; a refusal is kept next to the queued inspection and shown.
// The page (/inspections/offline) and this script are kept by the service worker (/sw.js).
// No user-facing text lives here: the messages come from the form's data-msg-* attributes.

const DB_NAME = 'certreg-inspections'
const STORE = 'queue'
const form = document.getElementById('offline-inspection')
const list = document.getElementById('queue')
const status = document.getElementById('sync-status')
const msg = (name) => form.dataset['msg' + name[0].toUpperCase() + name.slice(1)] || name
const INSPECTION_FIELDS = ['started_at', 'place_kind', 'place', 'border_post', 'vehicle_number', 'officers',
  'subject_kind', 'company_registration', 'shipment_ref', 'person_details']
const CYLINDER_FIELDS = ['label_serial', 'label_substance', 'instrument_model', 'instrument_serial',
  'calibration_date', 'r12_percent', 'r22_percent', 'r134a_percent', 'hydrocarbons_percent', 'air_percent']

function openDb () {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'client_id' })
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function tx (mode, work) {
  const db = await openDb()
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode)
    const result = work(t.objectStore(STORE))
    t.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined)
    t.onerror = () => reject(t.error)
  })
}

const all = () => tx('readonly', (store) => store.getAll())
const put = (item) => tx('readwrite', (store) => store.put(item))

function base64 (buffer) {
  const bytes = new Uint8Array(buffer)
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

function now () {
  return new Date().toISOString().slice(0, 16).replace('T', ' ')
}

async function render () {
  const items = await all()
  list.replaceChildren(...items.map((item) => {
    const li = document.createElement('li')
    li.className = 'card queue-' + item.state
    li.dataset.clientId = item.client_id
    const head = document.createElement('strong')
    head.textContent = msg(item.state)
    li.append(head, ' · ', item.body.inspection.started_at, ' · ', item.body.inspection.place ||
      item.body.inspection.border_post || '')
    if (item.message) {
      const why = document.createElement('p')
      why.className = 'error'
      why.textContent = item.message
      li.append(why)
    }
    if (item.url) {
      const link = document.createElement('a')
      link.href = item.url
      link.textContent = ' →'
      li.append(link)
    }
    return li
  }))
}

async function save (event) {
  event.preventDefault()
  const data = new FormData(form)
  const inspection = {}
  for (const name of INSPECTION_FIELDS) inspection[name] = String(data.get(name) || '').trim()
  const cylinders = []
  for (const fieldset of form.querySelectorAll('fieldset.cylinder')) {
    const check = { client_id: crypto.randomUUID() }
    for (const name of CYLINDER_FIELDS) check[name] = fieldset.querySelector(`[name=${name}]`).value.trim()
    if (check.label_substance || check.label_serial) cylinders.push(check)
  }
  const photos = []
  const file = data.get('photo')
  if (file && file.size) photos.push({ client_id: crypto.randomUUID(), caption: file.name, data: base64(await file.arrayBuffer()) })
  await put({ client_id: crypto.randomUUID(), state: 'pending', body: { inspection, cylinders, photos } })
  form.reset()
  form.elements.started_at.value = now()
  status.textContent = msg('queued')
  await render()
  if (navigator.onLine) await sync()
}

let syncing = false

async function sync () {
  if (syncing) return
  syncing = true
  try {
    const pending = (await all()).filter((item) => item.state === 'pending')
    if (!pending.length) return
    let token
    try {
      const answer = await fetch('/inspections/sync/token', { credentials: 'same-origin', cache: 'no-store' })
      if (answer.redirected || !answer.ok) { status.textContent = msg('signin'); return }
      token = (await answer.json()).csrf_token
    } catch (error) {
      status.textContent = msg('offline')
      return
    }
    for (const item of pending) {
      let answer
      try {
        answer = await fetch(`/inspections/sync/${item.client_id}`, {
          method: 'PUT', credentials: 'same-origin', body: JSON.stringify(item.body),
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token }
        })
      } catch (error) {
        status.textContent = msg('offline')
        return // kept as pending: the next sync sends it again (recorded once)
      }
      if (answer.status === 200 || answer.status === 201) {
        const body = await answer.json()
        await put({ ...item, state: 'synced', url: body.url, message: '' })
      } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 401 && answer.status !== 403) {
        const body = await answer.json().catch(() => ({}))
        const error = body.error || {}
        const fields = Object.entries(error.fields || {}).map(([name, errors]) => `${name}: ${errors.map((e) => e.message).join(' ')}`)
        await put({ ...item, state: 'refused', message: [error.message, ...fields].filter(Boolean).join(' — ') })
      } else {
        status.textContent = msg('signin')
        return
      }
    }
    status.textContent = msg('done')
  } finally {
    syncing = false
    await render()
  }
}

async function registerWorker () {
  if (!('serviceWorker' in navigator)) return
  try {
    await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' })
    const registration = await navigator.serviceWorker.ready
    const channel = new MessageChannel()
    channel.port1.onmessage = (event) => { form.dataset.kept = event.data && event.data.ok ? 'yes' : 'no' }
    registration.active.postMessage('keep-inspection-queue', [channel.port2])
  } catch (error) {
    // without a service worker the page still queues while it stays open
  }
}

form.elements.started_at.value = now()
form.addEventListener('submit', save)
document.getElementById('sync-now').addEventListener('click', sync)
form.dataset.ready = 'yes'

window.addEventListener('online', sync)
render()
registerWorker()
