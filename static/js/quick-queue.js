// The technician's quick charge or recovery with no network (issue 14): from an equipment label scanned in a
// basement or on a roof, the entry is kept on the phone and sent to PUT /logbook/quick/sync/<id> when the
// network returns (offline-queue.js: recorded once per client id; a refusal is kept and shown with its code).
// Opened at /logbook/quick/offline, or, with no network, in place of /e/<equipment id> and /logbook/quick
// (the service worker answers those with this page's kept copy); the equipment id comes from that address.
// No user-facing text lives here: the messages come from the form's data-msg-* attributes.

import { offlineQueue } from './offline-queue.js'

const form = document.getElementById('offline-quick')

const queue = offlineQueue({
  name: 'quick',
  dbName: 'certreg-quick-entries',
  form,
  list: document.getElementById('queue'),
  status: document.getElementById('sync-status'),
  tokenUrl: '/logbook/quick/sync/token',
  syncUrl: '/logbook/quick/sync',
  describe: (item) => [item.body.operation_date, item.body.equipment,
    `${queue.msg(item.body.kind)} ${item.body.quantity} kg`]
})

function today () {
  const now = new Date()
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10)
}

function equipmentFromAddress () {
  if (location.pathname.startsWith('/e/')) return decodeURIComponent(location.pathname.slice(3))
  return new URLSearchParams(location.search).get('equipment') || ''
}

async function save (event) {
  event.preventDefault()
  const data = new FormData(form)
  const text = (name) => String(data.get(name) || '').trim()
  const body = {
    equipment: text('equipment'),
    kind: text('kind'),
    quantity: text('quantity'),
    condition: text('kind') === 'charge' ? text('condition') : null,
    operation_date: text('operation_date'),
    cylinders: text('cylinders').split(/[;\n]+/).map((s) => s.trim()).filter(Boolean),
    note: text('note') || null
  }
  const equipment = body.equipment
  form.reset()
  form.elements.equipment.value = equipment // the next entry is often on the same unit
  form.elements.operation_date.value = today()
  await queue.add(body)
}

form.elements.equipment.value = equipmentFromAddress()
form.elements.operation_date.value = today()
form.addEventListener('submit', save)
queue.start(document.getElementById('sync-now'))
