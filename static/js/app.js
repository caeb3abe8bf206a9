// Behaviour without inline scripts (the CSP forbids them).
// A form or button with data-confirm="…" asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
