// Scanning QR codes with the phone's camera, where the browser offers BarcodeDetector.
// Buttons with data-scan-target="<input id>" are shown only then; the page works without
// them (the number or id is typed). data-scan-submit submits the input's form after a read.
(function () {
  'use strict'
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return
  var panel = document.querySelector('.scanner')
  if (!panel) return
  var video = panel.querySelector('video')
  var status = panel.querySelector('[data-scan-status]')
  var stream = null
  var timer = null

  function stop () {
    if (timer) { clearInterval(timer); timer = null }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop() }); stream = null }
    panel.hidden = true
  }

  function start (button) {
    var target = document.getElementById(button.dataset.scanTarget)
    if (!target) return
    var detector = new window.BarcodeDetector({ formats: ['qr_code'] })
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
      stream = s
      video.srcObject = s
      panel.hidden = false
      video.play()
      timer = setInterval(function () {
        detector.detect(video).then(function (codes) {
          if (!codes.length) return
          target.value = codes[0].rawValue
          stop()
          target.dispatchEvent(new Event('change', { bubbles: true }))
          if (button.dataset.scanSubmit && target.form) target.form.submit()
          else target.focus()
        }).catch(function () {})
      }, 250)
    }).catch(function (error) {
      status.textContent = String(error && error.message ? error.message : error)
      panel.hidden = false
    })
  }

  document.querySelectorAll('button[data-scan-target]').forEach(function (button) {
    button.hidden = false
    button.addEventListener('click', function () { start(button) })
  })
  var stopButton = panel.querySelector('[data-scan-stop]')
  if (stopButton) stopButton.addEventListener('click', stop)
})()
