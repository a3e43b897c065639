// "Wrong? Tell us what you wrote.": under every answer, a correction sent with the exact image
// the answer is about. app.js announces each answer (digitrec:answer); nothing is sent unless
// the user picks a digit or sends a number.

import { tokenHeaders } from "./token.js";

const byId = (id) => document.getElementById(id);
const form = byId("correction");
const digits = byId("correction-digits");
const numberRow = byId("correction-number-row");
const numberInput = byId("correction-number");
const status = byId("correction-status");

let shown = null; // {blob, mode, answer} the form is about

function show(detail) {
  shown = detail;
  form.hidden = !detail;
  status.textContent = "";
  form.classList.remove("is-sent");
  if (!detail) return;
  const isNumber = detail.mode === "number";
  digits.hidden = isNumber;
  numberRow.hidden = !isNumber;
  numberInput.required = isNumber;
  numberInput.value = isNumber ? (detail.answer.number ?? "").replace(/[^0-9]/g, "") : "";
}

async function send(label) {
  const about = shown;
  if (!about) return;
  status.textContent = "Sending…";
  const type = about.blob.type.startsWith("image/") ? about.blob.type : "application/octet-stream";
  const query = new URLSearchParams({ mode: about.mode, label });
  try {
    const response = await fetch(`/api/v1/feedback?${query}`, {
      method: "POST",
      headers: { "Content-Type": type, Accept: "application/json", ...tokenHeaders() },
      body: about.blob,
    });
    const body = await response.json().catch(() => ({}));
    if (shown !== about) return;
    if (response.ok) {
      form.classList.add("is-sent");
      status.textContent = `Thank you: “${label}” is saved for review.`;
    } else {
      status.textContent = body.detail ?? `The server answered ${response.status}.`;
    }
  } catch (error) {
    if (shown === about) status.textContent = `Could not reach the server: ${error.message}`;
  }
}

document.addEventListener("digitrec:answer", (event) => show(event.detail));
digits.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-label]");
  if (button) send(button.dataset.label);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const label = numberInput.value.trim();
  if (/^[0-9]{1,32}$/.test(label)) send(label);
  else status.textContent = "Write the number with the digits 0-9 only.";
});
