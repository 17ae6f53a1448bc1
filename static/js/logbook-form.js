// The entry form shows only the fields the chosen kind of entry uses (without JavaScript
// every field is shown and the server says what is missing).
(function () {
  'use strict'
  var kind = document.querySelector('.entry-form select[name="kind"]')
  if (!kind) return
  function update () {
    document.querySelectorAll('.entry-form [data-kinds]').forEach(function (block) {
      block.hidden = block.dataset.kinds.split(' ').indexOf(kind.value) === -1
    })
  }
  kind.addEventListener('change', update)
  update()
})()
