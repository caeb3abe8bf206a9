// Behaviour without inline scripts (the CSP forbids them).
// A form or button with data-confirm="…" asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A placement form shows its margin (bill − pay) as the rates change.
document.querySelectorAll("[data-margin-for]").forEach((note) => {
  const form = document.getElementById(note.dataset.marginFor);
  if (!form) return;
  const bill = form.querySelector("[name=bill_rate]");
  const pay = form.querySelector("[name=pay_rate]");
  const show = () => {
    const margin = parseFloat(bill.value) - parseFloat(pay.value);
    note.textContent = Number.isFinite(margin)
      ? `Margin: $${margin.toFixed(2)} per hour${margin < 0 ? " — below zero: the agency would lose money" : ""}.`
      : "Margin: bill rate − pay rate per hour.";
  };
  bill.addEventListener("input", show);
  pay.addEventListener("input", show);
  show();
});

// A slot picker with data-max-picks="3": once that many are picked, the others wait (the
// server refuses more anyway, with a message).
document.querySelectorAll("[data-max-picks]").forEach((form) => {
  const most = parseInt(form.dataset.maxPicks, 10);
  const boxes = Array.from(form.querySelectorAll("input[type=checkbox][name=slots]"));
  const limit = () => {
    const full = boxes.filter((b) => b.checked).length >= most;
    boxes.forEach((b) => { if (!b.checked && !b.dataset.taken) b.disabled = full; });
  };
  boxes.forEach((b) => b.addEventListener("change", limit));
  limit();
});
