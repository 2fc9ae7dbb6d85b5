// Show the Default Value input that matches Type; hidden inputs are disabled, so they are not posted.
(function () {
  var type = document.getElementById('type');
  var boxes = document.querySelectorAll('.dd-default-value');
  if (!type || !boxes.length) { return; }
  function follow() {
    boxes.forEach(function (box) {
      var active = box.dataset.type === type.value;
      box.hidden = !active;
      box.querySelectorAll('input, select').forEach(function (input) { input.disabled = !active; });
    });
  }
  type.addEventListener('change', follow);
  follow();
})();
