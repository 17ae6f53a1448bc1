// Reading QR codes into a form field: with the phone's camera, or from a photo of the code.
// Decoding uses the browser's BarcodeDetector where it has one; elsewhere (iPhone Safari, Firefox)
// the vendored jsQR (static/vendor/jsqr), loaded only then, decodes camera frames or the photo
// drawn on a canvas. The buttons (span[data-scan-target="<input id>"]) are shown only with
// JavaScript; the page works without them (the number or id is typed). data-scan-submit submits
// the input's form after a read.
(function () {
  'use strict'
  var panel = document.querySelector('.scanner')
  if (!panel) return
  var video = panel.querySelector('video')
  var canvas = panel.querySelector('canvas')
  var status = panel.querySelector('[data-scan-status]')
  var stopButton = panel.querySelector('[data-scan-stop]')
  var hasCamera = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)
  var MAX_SIDE = 1280 // pixels: larger photos are scaled down before decoding
  var stream = null
  var timer = null
  var decoderLoaded = null

  function loadDecoder () {
    if (window.jsQR) return Promise.resolve()
    if (!decoderLoaded) {
      decoderLoaded = new Promise(function (resolve, reject) {
        var script = document.createElement('script')
        script.src = panel.dataset.decoder
        script.onload = resolve
        script.onerror = function () { decoderLoaded = null; reject(new Error(panel.dataset.msgNoDecoder)) }
        document.head.appendChild(script)
      })
    }
    return decoderLoaded
  }

  // A decode(source) function answering a Promise of the text, or null when no code is seen.
  function makeDecoder () {
    if ('BarcodeDetector' in window) {
      var detector = new window.BarcodeDetector({ formats: ['qr_code'] })
      return Promise.resolve(function (source) {
        return detector.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null })
      })
    }
    return loadDecoder().then(function () {
      var context = canvas.getContext('2d', { willReadFrequently: true })
      return function (source) {
        var width = source.videoWidth || source.width
        var height = source.videoHeight || source.height
        if (!width || !height) return Promise.resolve(null)
        var scale = Math.min(1, MAX_SIDE / Math.max(width, height))
        canvas.width = Math.round(width * scale)
        canvas.height = Math.round(height * scale)
        context.drawImage(source, 0, 0, canvas.width, canvas.height)
        var pixels = context.getImageData(0, 0, canvas.width, canvas.height)
        var code = window.jsQR(pixels.data, pixels.width, pixels.height)
        return Promise.resolve(code && code.data ? code.data : null)
      }
    })
  }

  function say (text) {
    status.textContent = text
    panel.hidden = false
  }

  function sayAboutPhoto (text) {
    stop()
    video.hidden = true
    stopButton.hidden = true
    say(text)
  }

  function stop () {
    if (timer) { clearInterval(timer); timer = null }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop() }); stream = null }
    panel.hidden = true
  }

  function found (group, text) {
    var target = document.getElementById(group.dataset.scanTarget)
    stop()
    target.value = text
    target.dispatchEvent(new Event('change', { bubbles: true }))
    if (group.dataset.scanSubmit && target.form) target.form.submit()
    else target.focus()
  }

  function startCamera (group) {
    makeDecoder().then(function (decode) {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
        stream = s
        video.hidden = false
        video.srcObject = s
        stopButton.hidden = false
        say(panel.dataset.msgPoint || status.textContent)
        video.play()
        var busy = false
        timer = setInterval(function () {
          if (busy || !stream) return
          busy = true
          decode(video).then(function (text) {
            busy = false
            if (text && stream) found(group, text)
          }).catch(function () { busy = false })
        }, 250)
      })
    }).catch(function (error) {
      say(String(error && error.message ? error.message : error))
    })
  }

  function readPhoto (group, file) {
    var image = new Image()
    var url = URL.createObjectURL(file)
    makeDecoder().then(function (decode) {
      return new Promise(function (resolve, reject) {
        image.onload = resolve
        image.onerror = function () { reject(new Error(panel.dataset.msgNotFound)) }
        image.src = url
      }).then(function () { return decode(image) })
    }).then(function (text) {
      URL.revokeObjectURL(url)
      if (text) found(group, text)
      else sayAboutPhoto(panel.dataset.msgNotFound)
    }).catch(function (error) {
      URL.revokeObjectURL(url)
      sayAboutPhoto(String(error && error.message ? error.message : error))
    })
  }

  panel.dataset.msgPoint = status.textContent
  document.querySelectorAll('[data-scan-target]').forEach(function (group) {
    var camera = group.querySelector('[data-scan-camera]')
    var photo = group.querySelector('[data-scan-photo]')
    var file = group.querySelector('[data-scan-file]')
    group.hidden = false
    if (hasCamera) {
      camera.hidden = false
      camera.addEventListener('click', function () { startCamera(group) })
    }
    photo.addEventListener('click', function () { file.click() })
    file.addEventListener('change', function () {
      if (file.files && file.files[0]) readPhoto(group, file.files[0])
      file.value = ''
    })
  })
  stopButton.addEventListener('click', stop)
})()
