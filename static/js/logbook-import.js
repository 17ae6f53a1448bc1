// The CSV import page: sends the form with XMLHttpRequest to show the upload's progress, then the
// server's answer in place (the per-line report), or follows it to the logbook on success.
// Without JavaScript the form is a plain multipart post and the same pages come back.
(function () {
  'use strict'
  var answer = document.getElementById('import-answer')
  if (!answer || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) return

  function bind () {
    var form = document.getElementById('import-form')
    if (!form) return
    var box = form.querySelector('.upload-progress')
    var bar = box.querySelector('progress')
    var label = box.querySelector('[data-progress-label]')
    form.addEventListener('submit', function (event) {
      event.preventDefault()
      var button = form.querySelector('button[type=submit]')
      var request = new XMLHttpRequest()
      request.open('POST', form.action)
      request.setRequestHeader('X-Requested-With', 'XMLHttpRequest')
      request.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return
        bar.max = e.total
        bar.value = e.loaded
      })
      request.upload.addEventListener('load', function () {
        bar.removeAttribute('value') // the server checks the lines now: an indeterminate bar
        label.textContent = box.dataset.checking
      })
      request.addEventListener('load', function () {
        if (request.status === 204) { location.assign(request.getResponseHeader('Location')); return }
        var url = new URL(request.responseURL, location.href)
        if (url.pathname !== location.pathname) { location.assign(url.href); return }
        var page = new DOMParser().parseFromString(request.responseText, 'text/html')
        var fresh = page.getElementById('import-answer')
        if (!fresh) { location.assign(url.href); return }
        answer.replaceWith(fresh)
        answer = fresh
        bind()
        var heading = fresh.querySelector('h2[tabindex], .form-errors, [aria-invalid=true]')
        if (heading) heading.focus()
      })
      request.addEventListener('error', function () {
        box.hidden = true
        button.disabled = false
        window.alert(box.dataset.failed)
      })
      label.textContent = box.dataset.sending
      bar.max = 100
      bar.value = 0
      box.hidden = false
      button.disabled = true
      request.send(new FormData(form))
    })
  }
  bind()
})()
