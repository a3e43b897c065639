// The review page: pending corrections, each with its image, the model's answer and the
// correction, accepted or rejected one at a time or in bulk, by keyboard or by button.
// Everything comes through the admin API with the token as a Bearer header.

import { TokenPrompt, tokenHeaders } from "./token.js";

const PAGE = 200;
const byId = (id) => document.getElementById(id);
const list = byId("review-list");
const status = byId("review-status");
const tokenRow = byId("review-token-row");

let items = []; // [{record, element}]
let current = 0;

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Accept: "application/json", ...(options.headers ?? {}), ...tokenHeaders() },
  });
  if (response.status === 401) throw { detail: tokenPrompt.ask().detail };
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw { detail: body.detail ?? `The server answered ${response.status}.` };
  }
  return response;
}

function render(record, index) {
  const element = document.createElement("li");
  element.className = "review-item";
  element.dataset.status = record.status;
  element.tabIndex = -1;
  const answer = record.answer === "" ? "nothing" : record.answer;
  element.innerHTML = `
    <img alt="">
    <div><p class="review-label">Written: <strong></strong></p>
      <p class="review-answer">Model read: <span></span> · ${record.mode} · <span class="review-state">${record.status}</span></p></div>
    <div class="review-buttons">
      <button type="button" class="button" data-decision="accept">Accept</button>
      <button type="button" class="button ghost" data-decision="reject">Reject</button>
    </div>`;
  element.querySelector("strong").textContent = record.label;
  element.querySelector(".review-answer span").textContent = answer;
  element.querySelector("img").alt = `Correction ${index + 1}: written ${record.label}, read ${answer}`;
  element.addEventListener("click", (event) => {
    focus(index);
    const decision = event.target.closest("button")?.dataset.decision;
    if (decision) decide([index], decision);
  });
  api(`/api/v1/feedback/${record.id}/image`)
    .then((response) => response.blob())
    .then((blob) => (element.querySelector("img").src = URL.createObjectURL(blob)))
    .catch(() => {});
  return element;
}

async function load() {
  status.textContent = "Loading…";
  try {
    const body = await (await api(`/api/v1/feedback?status=pending&limit=${PAGE}`)).json();
    tokenRow.classList.remove("is-asking");
    list.replaceChildren();
    items = body.corrections.map((record, index) => ({ record, element: render(record, index) }));
    list.append(...items.map((item) => item.element));
    status.textContent = `${body.total} pending; showing ${items.length}.`;
    focus(0);
  } catch (problem) {
    status.textContent = problem.detail;
  }
}

function focus(index) {
  if (!items.length) return;
  current = Math.max(0, Math.min(items.length - 1, index));
  items.forEach((item, i) => item.element.classList.toggle("is-current", i === current));
  items[current].element.focus({ preventScroll: false });
}

async function decide(indexes, decision) {
  const ids = indexes.map((i) => items[i].record.id);
  // Move on at once, so a reviewer typing quickly decides the next one, not this one again.
  if (indexes.length === 1) focus(indexes[0] + 1);
  try {
    await api("/api/v1/feedback/review", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ [decision]: ids }),
    });
  } catch (problem) {
    status.textContent = problem.detail;
    return;
  }
  const state = decision === "accept" ? "accepted" : "rejected";
  for (const i of indexes) {
    items[i].element.dataset.status = state;
    items[i].element.querySelector(".review-state").textContent = state;
    items[i].element.classList.remove("is-selected");
  }
  status.textContent = `${ids.length} ${state}.`;
}

function selected() {
  const chosen = items.flatMap((item, i) => (item.element.classList.contains("is-selected") ? [i] : []));
  return chosen.length ? chosen : items.map((_, i) => i);
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input") || event.ctrlKey || event.metaKey || event.altKey || !items.length) return;
  const actions = {
    j: () => focus(current + 1),
    ArrowDown: () => focus(current + 1),
    k: () => focus(current - 1),
    ArrowUp: () => focus(current - 1),
    a: () => decide([current], "accept"),
    r: () => decide([current], "reject"),
    x: () => items[current].element.classList.toggle("is-selected"),
    A: () => decide(selected(), "accept"),
    R: () => decide(selected(), "reject"),
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});

const tokenPrompt = new TokenPrompt(tokenRow, load);
tokenRow.addEventListener("submit", (event) => {
  event.preventDefault();
  tokenRow.querySelector("input").dispatchEvent(new Event("change"));
});
if (Object.keys(tokenHeaders()).length) load();
