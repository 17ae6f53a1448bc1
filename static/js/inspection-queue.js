// The inspector's offline queue (issue 14): an inspection recorded on the phone with no network is kept
// on the phone and sent to PUT /inspections/sync/<id> when the network returns (offline-queue.js: recorded
// once per client id; a refusal is kept next to the queued inspection and shown). A queued seizure may carry
// a custody handover and a case step, each with its own client id.
// The page (/inspections/offline) and these scripts are kept by the service worker (/sw.js).
// No user-facing text lives here: the messages come from the form's data-msg-* attributes.

import { offlineQueue, uuid } from './offline-queue.js'

const form = document.getElementById('offline-inspection')
const INSPECTION_FIELDS = ['started_at', 'place_kind', 'place', 'border_post', 'vehicle_number', 'officers',
  'subject_kind', 'company_registration', 'shipment_declaration', 'shipment_ref', 'person_details']
const CYLINDER_FIELDS = ['label_serial', 'label_substance', 'instrument_model', 'instrument_serial',
  'calibration_date', 'r12_percent', 'r22_percent', 'r134a_percent', 'hydrocarbons_percent', 'air_percent']

const queue = offlineQueue({
  name: 'inspections',
  dbName: 'certreg-inspections',
  form,
  list: document.getElementById('queue'),
  status: document.getElementById('sync-status'),
  tokenUrl: '/inspections/sync/token',
  syncUrl: '/inspections/sync',
  describe: (item) => [item.body.inspection.started_at, item.body.inspection.place || item.body.inspection.border_post,
    item.body.decision && form.querySelector(`#d-decision option[value="${item.body.decision.decision}"]`)?.textContent]
})

function base64 (buffer) {
  const bytes = new Uint8Array(buffer)
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

function now () {
  return new Date().toISOString().slice(0, 16).replace('T', ' ')
}

async function save (event) {
  event.preventDefault()
  const data = new FormData(form)
  const inspection = {}
  for (const name of INSPECTION_FIELDS) inspection[name] = String(data.get(name) || '').trim()
  const cylinders = []
  for (const fieldset of form.querySelectorAll('fieldset.cylinder')) {
    const check = { client_id: uuid() }
    for (const name of CYLINDER_FIELDS) check[name] = fieldset.querySelector(`[name=${name}]`).value.trim()
    if (check.label_substance || check.label_serial) cylinders.push(check)
  }
  const photos = []
  const file = data.get('photo')
  if (file && file.size) photos.push({ client_id: uuid(), caption: file.name, data: base64(await file.arrayBuffer()) })
  const body = { inspection, cylinders, photos }
  if (data.get('decision')) {
    const goods = []
    for (const line of form.querySelectorAll('fieldset.goods-line')) {
      const value = (name) => line.querySelector(`[name=${name}]`).value.trim()
      if (!value('seized_substance') && !value('seized_kg')) continue
      goods.push({
        substance: value('seized_substance'),
        kg: value('seized_kg'),
        cylinders: value('seized_cylinders'),
        serials: value('seized_serials').split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)
      })
    }
    body.decision = {
      decision: String(data.get('decision')),
      note: String(data.get('decision_note') || '').trim(),
      storage_place: String(data.get('storage_place') || '').trim(),
      goods
    }
  }
  const text = (name) => String(data.get(name) || '').trim()
  if (text('to_party')) {
    body.custody = [{
      client_id: uuid(), handed_at: text('handed_at'), from_party: text('from_party'), to_party: text('to_party'),
      place: text('handover_place')
    }]
  }
  if (text('case_kind')) {
    body.case = [{
      client_id: uuid(), kind: text('case_kind'), happened_on: text('case_on'), amount: text('fine_amount'),
      currency: text('fine_currency'), disposal: text('disposal')
    }]
  }
  form.reset()
  form.elements.started_at.value = now()
  await queue.add(body)
}

form.elements.started_at.value = now()
form.addEventListener('submit', save)
queue.start(document.getElementById('sync-now'))
