// The page's behaviour: wires the drawing pad, uploads and samples to the API and shows
// answers. Without JavaScript the same form posts to the server and gets a rendered page.

import { DrawingPad } from "./canvas.js";
import { imageSize, listenForImages } from "./upload.js";
import { ResultView } from "./result.js";
import { TokenPrompt, tokenHeaders } from "./token.js";

// Wait this long after a stroke ends before asking, so a digit in several strokes is read once.
const DEBOUNCE_MS = 350;

const byId = (id) => document.getElementById(id);
const workspace = byId("workspace");
const form = byId("read-form");
const result = new ResultView();
const undoButton = byId("undo");
const clearButton = byId("clear");
const hint = byId("pad-hint");

let mode = form.elements.mode.value || "digit";
let inFlight = null; // AbortController of the request whose answer we are waiting for
let debounceTimer = 0;
let lastInput = null; // what the result shows: {kind: "pad"} or {kind: "image", blob, url}

const pad = new DrawingPad(byId("pad-canvas"), byId("pad-boxes"), {
  onStrokeEnd: () => schedulePadReading(),
  onChange: () => {
    undoButton.disabled = pad.isEmpty;
    clearButton.disabled = pad.isEmpty;
    hint.hidden = !pad.isEmpty;
    if (pad.isEmpty && lastInput?.kind === "pad") {
      cancelReading();
      result.empty();
      announce(null);
    }
  },
});
pad.setMode(mode);

/** POST one image to the API; resolves with the answer, rejects with a problem object. */
async function askApi(blob, readingMode, signal) {
  // Files that do not say they are images go as plain bytes, so the server looks inside and
  // says what they are rather than rejecting their label.
  const type = blob.type.startsWith("image/") ? blob.type : "application/octet-stream";
  const response = await fetch(`/api/v1/predict?steps=1&mode=${readingMode}`, {
    method: "POST",
    headers: { "Content-Type": type, Accept: "application/json", ...tokenHeaders() },
    body: blob,
    signal,
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw tokenPrompt.ask();
  if (!response.ok) {
    throw { title: body.title ?? `Error ${response.status}`, detail: body.detail ?? response.statusText };
  }
  return body;
}

function cancelReading() {
  clearTimeout(debounceTimer);
  inFlight?.abort();
  inFlight = null;
}

/** Tell other modules (feedback.js) what the result shows now: the image and its answer, or null. */
function announce(detail) {
  document.dispatchEvent(new CustomEvent("digitrec:answer", { detail }));
}

async function read(blob, input) {
  cancelReading();
  const controller = new AbortController();
  inFlight = controller;
  lastInput = input;
  result.pending();
  announce(null);
  try {
    const answer = await askApi(blob, mode, controller.signal);
    if (inFlight !== controller) return;
    if (answer.mode === "number") {
      if (input.kind === "pad") pad.showBoxes(answer.digits);
      const shown = input.kind === "image" ? { url: input.url, ...(await imageSize(input.url)) } : null;
      result.number(answer, shown);
    } else {
      result.digit(answer);
    }
    announce({ blob, mode: answer.mode, answer });
  } catch (error) {
    if (error?.name === "AbortError" || inFlight !== controller) return;
    result.problem(error instanceof Error ? { title: "Could not reach the server", detail: error.message } : error);
  } finally {
    if (inFlight === controller) inFlight = null;
  }
}

function schedulePadReading() {
  clearTimeout(debounceTimer);
  inFlight?.abort();
  debounceTimer = setTimeout(async () => {
    if (!pad.isEmpty) read(await pad.toBlob(), { kind: "pad" });
  }, DEBOUNCE_MS);
}

function readImage(blob) {
  if (lastInput?.url) URL.revokeObjectURL(lastInput.url);
  pad.showBoxes([]); // the pad's boxes belong to the pad's reading, no longer shown
  read(blob, { kind: "image", blob, url: URL.createObjectURL(blob) });
}

/** Read again whatever the result shows (after a mode switch or a token). */
function rereadLast() {
  if (lastInput?.kind === "image") readImage(lastInput.blob);
  else if (!pad.isEmpty) schedulePadReading();
}

const tokenPrompt = new TokenPrompt(byId("token-row"), rereadLast);

function setMode(next, { reread = true } = {}) {
  if (next === mode) return;
  mode = next;
  form.elements.mode.value = next;
  workspace.dataset.mode = next;
  pad.setMode(next);
  if (reread) rereadLast();
}

for (const radio of form.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener("change", () => setMode(radio.value));
}

undoButton.addEventListener("click", () => {
  pad.undo();
  if (!pad.isEmpty) schedulePadReading();
});
clearButton.addEventListener("click", () => pad.clear());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z" && !pad.isEmpty) {
    event.preventDefault();
    undoButton.click();
  }
});

listenForImages({ fileInput: byId("file"), dropOverlay: byId("drop-overlay"), onImage: readImage });

for (const button of form.querySelectorAll("button.sample")) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    setMode(button.dataset.mode, { reread: false });
    const response = await fetch(button.dataset.src);
    readImage(await response.blob());
  });
}

// Enter on the form (no submit button shows with scripts) must not post the page away.
form.addEventListener("submit", (event) => event.preventDefault());
