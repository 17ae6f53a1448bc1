// The phones' offline queue (issue 14), shared by the inspector's inspections (inspection-queue.js) and the
// technician's quick charges and recoveries (quick-queue.js). A record made with no network is kept in
// IndexedDB under an identifier made here (crypto.randomUUID) and sent, when the network returns, to
// PUT <syncUrl>/<client id> with the session and a fresh CSRF token (from <tokenUrl>). The server records
// each client id once, so a sync repeated or interrupted never records twice; a refusal (its message and
// code) is kept next to the queued record and shown. The pages and scripts are kept by the service worker
// (/sw.js), asked to with the message {keep: <queue name>}.
// No user-facing text lives here: the messages come from the form's data-msg-* attributes.

export function uuid () {
  return crypto.randomUUID()
}

/**
 * options: name (the service worker's queue name), dbName, form, list, status (elements), tokenUrl, syncUrl,
 * describe(item) → the texts that name a queued record in the list.
 */
export function offlineQueue (options) {
  const { dbName, form, list, status, tokenUrl, syncUrl, describe } = options
  const STORE = 'queue'
  const msg = (name) => form.dataset['msg' + name[0].toUpperCase() + name.slice(1)] || name

  function openDb () {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(dbName, 1)
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

  // in the order recorded (the store's keys are random): a recovery and the charge after it sync in that order
  const all = async () => (await tx('readonly', (store) => store.getAll())).sort((a, b) => (a.order || 0) - (b.order || 0))
  const put = (item) => tx('readwrite', (store) => store.put(item))

  async function render () {
    const items = await all()
    list.replaceChildren(...items.map((item) => {
      const li = document.createElement('li')
      li.className = 'card queue-' + item.state
      li.dataset.clientId = item.client_id
      const head = document.createElement('strong')
      head.textContent = msg(item.state)
      li.append(head, ...describe(item).filter(Boolean).flatMap((text) => [' · ', text]))
      if (item.message) {
        const why = document.createElement('p')
        why.className = 'error'
        why.textContent = item.message
        if (item.code) {
          const code = document.createElement('code')
          code.textContent = item.code
          why.append(' (', code, ')')
        }
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

  let syncing = false

  async function sync () {
    if (syncing) return
    syncing = true
    try {
      const pending = (await all()).filter((item) => item.state === 'pending')
      if (!pending.length) return
      let token
      try {
        const answer = await fetch(tokenUrl, { credentials: 'same-origin', cache: 'no-store' })
        if (answer.redirected || !answer.ok) { status.textContent = msg('signin'); return }
        token = (await answer.json()).csrf_token
      } catch (error) {
        status.textContent = msg('offline')
        return
      }
      for (const item of pending) {
        let answer
        try {
          answer = await fetch(`${syncUrl}/${item.client_id}`, {
            method: 'PUT', credentials: 'same-origin', body: JSON.stringify(item.body),
            headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token }
          })
        } catch (error) {
          status.textContent = msg('offline')
          return // kept as pending: the next sync sends it again (recorded once)
        }
        if (answer.status === 200 || answer.status === 201) {
          const body = await answer.json()
          await put({ ...item, state: 'synced', url: body.url, message: '', code: '' })
        } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 401 && answer.status !== 403) {
          const body = await answer.json().catch(() => ({}))
          const error = body.error || {}
          const fields = Object.entries(error.fields || {}).map(([name, errors]) => errors.map((e) => e.message).join(' '))
          const codes = Object.values(error.fields || {}).flatMap((errors) => errors.map((e) => e.code))
          await put({
            ...item,
            state: 'refused',
            message: [error.message, ...fields].filter(Boolean).join(' — '),
            code: [...new Set(codes.length ? codes : [error.code])].filter(Boolean).join(', ')
          })
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

  async function add (body) {
    const order = (await all()).reduce((last, item) => Math.max(last, item.order || 0), 0) + 1
    await put({ client_id: uuid(), state: 'pending', order, body })
    status.textContent = msg('queued')
    await render()
    if (navigator.onLine) await sync()
  }

  async function registerWorker () {
    if (!('serviceWorker' in navigator)) return
    try {
      await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' })
      const registration = await navigator.serviceWorker.ready
      const channel = new MessageChannel()
      channel.port1.onmessage = (event) => { form.dataset.kept = event.data && event.data.ok ? 'yes' : 'no' }
      registration.active.postMessage({ keep: options.name }, [channel.port2])
    } catch (error) {
      // without a service worker the page still queues while it stays open
    }
  }

  function start (syncButton) {
    syncButton.addEventListener('click', sync)
    window.addEventListener('online', sync)
    form.dataset.ready = 'yes'
    render()
    registerWorker()
  }

  return { add, sync, render, start, msg }
}
