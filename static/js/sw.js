// certreg service worker: keeps the certificate, licence and cylinder label check pages, the trust
// list (JWKS) and the signed status lists (certificates', licences' and labels'), so that /v/<token>,
// /l/<token> and /c/<token> links opened without a network are verified in the browser
// (static/js/verify-page.js + verify-core.js, licence-page.js + licence-core.js, label-page.js +
// label-core.js). Served at /sw.js (scope /), as a module.
// The server fills in ASSETS and VERSION; no user-facing text lives here.

const VERSION = /* VERSION */ 'dev'
const CACHE = `certreg-verify-${VERSION}`
const SHELL = '/verify/offline'
const LICENCE_SHELL = '/licence-check/offline'
const LABEL_SHELL = '/verify/cylinder-offline'
const DATA = ['/.well-known/jwks.json', '/api/v1/status-list', '/api/v1/licences/status-list',
  '/api/v1/cylinders/status-list']
const SHELLS = [['/v/', SHELL], ['/l/', LICENCE_SHELL], ['/c/', LABEL_SHELL]]
const ASSETS = [.../* ASSETS */ [], LABEL_SHELL, '/static/js/label-page.js', '/static/js/label-core.js']
// The phones' offline queues (issue 14): the inspector's inspection form and the technician's quick charge or
// recovery, each kept with its scripts once opened online (the page asks with the message {keep: <name>}).
const QUEUES = {
  inspections: ['/inspections/offline', '/static/js/inspection-queue.js', '/static/js/offline-queue.js'],
  quick: ['/logbook/quick/offline', '/static/js/quick-queue.js', '/static/js/offline-queue.js',
    '/static/css/logbook.css']
}
const QUEUE_PAGES = [...new Set(Object.values(QUEUES).flat())]
// With no network, a scanned equipment label (/e/<id>) and the quick entry open the kept offline quick entry.
const QUICK_SHELL = '/logbook/quick/offline'
const quickAddress = (path) => path.startsWith('/e/') || path === '/logbook/quick'

async function store (cache, url) {
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
  if (response.ok) await cache.put(url, response.clone())
  return response
}

async function refresh (urls) {
  const cache = await caches.open(CACHE)
  const results = await Promise.allSettled(urls.map((url) => store(cache, url)))
  return results.every((r) => r.status === 'fulfilled' && r.value.ok)
}

self.addEventListener('install', (event) => {
  event.waitUntil(refresh([...ASSETS, ...DATA]).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('certreg-verify-') && name !== CACHE) await caches.delete(name)
    }
    await self.clients.claim()
  })())
})

async function networkFirst (request, cacheKey) {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(request)
    if (response.ok && !response.redirected && cacheKey) await cache.put(cacheKey, response.clone())
    return response
  } catch (error) {
    const cached = await cache.match(cacheKey || request, { ignoreSearch: true })
    if (cached) return cached
    throw error
  }
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (url.origin !== self.location.origin || event.request.method !== 'GET') return
  const page = SHELLS.find(([prefix]) => url.pathname.startsWith(prefix))
  if (event.request.mode === 'navigate' && page) {
    event.respondWith((async () => {
      try {
        const response = await fetch(event.request)
        event.waitUntil(refresh([page[1], ...DATA]))  // online: keep the offline copy current
        return response
      } catch (error) {
        const cache = await caches.open(CACHE)
        const shell = await cache.match(page[1])
        if (shell) return shell
        throw error
      }
    })())
    return
  }
  if (event.request.mode === 'navigate' && quickAddress(url.pathname)) {
    event.respondWith((async () => {
      try {
        return await fetch(event.request)
      } catch (error) {
        const shell = await (await caches.open(CACHE)).match(QUICK_SHELL)
        if (shell) return shell
        throw error
      }
    })())
    return
  }
  if (QUEUE_PAGES.includes(url.pathname)) {
    event.respondWith(networkFirst(event.request, url.pathname))
    return
  }
  if (DATA.includes(url.pathname)) {
    event.respondWith(networkFirst(event.request, url.pathname))
    return
  }
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(networkFirst(event.request, url.pathname))
  }
})

self.addEventListener('message', (event) => {
  const queue = event.data && event.data.keep && Object.hasOwn(QUEUES, event.data.keep) && QUEUES[event.data.keep]
  if (queue) {
    const port = event.ports && event.ports[0]
    event.waitUntil(refresh(['/static/css/app.css', ...queue]).then((ok) => port && port.postMessage({ ok })))
    return
  }
  if (event.data !== 'sync') return
  const port = event.ports && event.ports[0]
  event.waitUntil(refresh([SHELL, LICENCE_SHELL, LABEL_SHELL, ...ASSETS, ...DATA]).then((ok) => port && port.postMessage({ ok })))
})
