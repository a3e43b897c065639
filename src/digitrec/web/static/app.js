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
const result = new ResultView({ onRetry: () => rereadLast(), onReadAsNumber: () => readAsNumber() });
const undoButton = byId("undo");
const clearButton = byId("clear");
const hint = byId("pad-hint");
const maxUploadBytes = Number(form.dataset.maxBytes);

let mode = form.elements.mode.value || "digit";
let inFlight = null; // AbortController of the request whose answer we are waiting for
let debounceTimer = 0;
let lastInput = null; // what the result shows: {kind: "pad"} or {kind: "image", blob, url}
let lastAnswer = null; // the answer shown, kept so "Read it as a number" needs no new request

const pad = new DrawingPad(byId("pad-canvas"), byId("pad-boxes"), {
  onStrokeStart: () => {
    // A new stroke makes whatever the result shows out of date until the drawing is read.
    cancelReading();
    if (lastInput?.kind === "pad") result.pending();
  },
  onStrokeEnd: () => schedulePadReading(),
  onChange: () => {
    const focusWasOnATool = [undoButton, clearButton].includes(document.activeElement);
    undoButton.disabled = pad.isEmpty;
    clearButton.disabled = pad.isEmpty;
    hint.hidden = !pad.isEmpty;
    // A disabled button drops focus to <body>; the pad is where the next thing happens.
    if (focusWasOnATool && document.activeElement.disabled) pad.canvas.focus();
    if (pad.isEmpty && lastInput?.kind === "pad") {
      cancelReading();
      result.empty();
      announce(null);
    }
  },
});
pad.setMode(mode);

/** A problem the page can say in plain words, with a way to try again where that helps. */
function unreachable() {
  return {
    title: "Could not reach the server",
    detail: "Check your connection, then try again.",
    retry: true,
  };
}

/** POST one image to the API; resolves with the answer, rejects with a problem object. */
async function askApi(blob, readingMode, signal) {
  // Files that do not say they are images go as plain bytes, so the server looks inside and
  // says what they are rather than rejecting their label.
  const type = blob.type.startsWith("image/") ? blob.type : "application/octet-stream";
  let response;
  try {
    response = await fetch(`/api/v1/predict?steps=1&explain=1&mode=${readingMode}`, {
      method: "POST",
      headers: { "Content-Type": type, Accept: "application/json", ...tokenHeaders() },
      body: blob,
      signal,
    });
  } catch (error) {
    throw error?.name === "AbortError" ? error : unreachable();
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw tokenPrompt.ask();
  if (!response.ok) {
    throw { title: body.title ?? `Error ${response.status}`, detail: body.detail ?? response.statusText };
  }
  return body;
}

/** The API's reading mode for the page's: one digit is asked as `auto`, so that several
 * digits come back as a number and the page can offer to read them as one. */
const apiMode = (pageMode) => (pageMode === "digit" ? "auto" : pageMode);

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
  if (blob.size > maxUploadBytes) {
    lastInput = input;
    result.problem(tooLarge(blob.size));
    return;
  }
  const controller = new AbortController();
  inFlight = controller;
  lastInput = input;
  result.pending();
  announce(null);
  try {
    const answer = await askApi(blob, apiMode(mode), controller.signal);
    if (inFlight !== controller || pad.isDrawing) return;
    await show(answer, input);
    announce({ blob, mode: answer.mode, answer });
  } catch (error) {
    if (error?.name === "AbortError" || inFlight !== controller) return;
    result.problem(error);
  } finally {
    if (inFlight === controller) inFlight = null;
  }
}

async function show(answer, input) {
  lastAnswer = answer;
  if (answer.mode === "number" && mode === "digit" && answer.digits.length === 1) {
    result.digit({ ...answer.digits[0], model: answer.model, timing_ms: answer.timing_ms });
  } else if (answer.mode === "number" && mode === "digit") {
    result.severalDigits(answer);
  } else if (answer.mode === "number") {
    if (input.kind === "pad") pad.showBoxes(answer.digits);
    result.number(answer, input.kind === "image" ? await shownImage(input, answer) : null);
  } else {
    result.digit(answer);
  }
}

/** {url, width, height} of the image to draw number boxes over: the file itself where the
 * browser can show it (not TIFF), else the copy the server read. */
async function shownImage(input, answer) {
  try {
    return { url: input.url, ...(await imageSize(input.url)) };
  } catch {
    return answer.input ? { url: answer.input.image, width: answer.input.width, height: answer.input.height } : null;
  }
}

function tooLarge(size) {
  const megabytes = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return {
    title: "This file is too large",
    detail: `It is ${megabytes(size)}; the limit is ${megabytes(maxUploadBytes)}. Choose a smaller image.`,
  };
}

function schedulePadReading() {
  cancelReading();
  result.pending();
  debounceTimer = setTimeout(async () => {
    if (!pad.isEmpty) read(await pad.toBlob(), { kind: "pad" });
  }, DEBOUNCE_MS);
}

function readImage(blob) {
  if (lastInput?.url) URL.revokeObjectURL(lastInput.url);
  pad.showBoxes([]); // the pad's boxes belong to the pad's reading, no longer shown
  read(blob, { kind: "image", blob, url: URL.createObjectURL(blob) });
}

/** Read again whatever the result shows (after a mode switch, a token or a retry). */
function rereadLast() {
  if (lastInput?.kind === "image") readImage(lastInput.blob);
  else if (lastInput?.kind === "sample") readSample(lastInput.button);
  else if (!pad.isEmpty) schedulePadReading();
}

/** After digit mode found several digits: the same answer, shown in number mode. */
function readAsNumber() {
  const answer = lastAnswer;
  setMode("number", { reread: false });
  byId("mode-number").focus();
  if (answer?.mode === "number" && lastInput) show(answer, lastInput);
  else rereadLast();
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

for (const radio of form.querySelectorAll('input[name="brush"]')) {
  radio.addEventListener("change", () => pad.setBrush(radio.value));
}
pad.setBrush(form.elements.brush.value);

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

async function readSample(button) {
  setMode(button.dataset.mode, { reread: false });
  cancelReading();
  lastInput = { kind: "sample", button };
  result.pending();
  let blob;
  try {
    blob = await (await fetch(button.dataset.src)).blob();
  } catch {
    result.problem(unreachable());
    return;
  }
  readImage(blob);
}

for (const button of form.querySelectorAll("button.sample")) {
  button.addEventListener("click", (event) => {
    event.preventDefault();
    readSample(button);
  });
}

// Enter on the form (no submit button shows with scripts) must not post the page away.
form.addEventListener("submit", (event) => event.preventDefault());
