// The result panel: fills in the same elements the server renders for the page without
// JavaScript (templates/_result.html), so live and server answers look alike.

import { boxElement } from "./canvas.js";

const SVG = "http://www.w3.org/2000/svg";
const BAR_TOP = 16;
const BAR_HEIGHT = 96;
const STEP_LABELS = {
  grey: "Greyscale",
  light: "Light evened out",
  removed: "Lines and edges removed",
  ink: "Ink",
  cropped: "Cropped",
  mnist: "28×28 input",
};
const SEVERAL_DIGITS_NOTE = " More digits were found: choose “A number” to read them all.";

/** A probability as a person reads it: "100%" only when it rounds to 100 at the API's
 * precision, so 0.9996 shows as ">99.9%" and never as certain. */
export function percent(p) {
  if (p >= 0.9999995) return "100%";
  if (p > 0.999) return ">99.9%";
  if (p >= 0.99) return `${(Math.floor(p * 1000) / 10).toFixed(1)}%`;
  if (p >= 0.1) return `${Math.round(p * 100)}%`;
  if (p >= 0.01) return `${(p * 100).toFixed(1)}%`;
  return "<1%";
}

const byId = (id) => document.getElementById(id);

export class ResultView {
  /** onRetry() reads the last input again; onReadAsNumber() switches to number mode. */
  constructor({ onRetry, onReadAsNumber }) {
    this.root = byId("result");
    this.pendingCue = byId("pending-cue");
    byId("retry").addEventListener("click", onRetry);
    byId("read-as-number").addEventListener("click", onReadAsNumber);
    this.parts = {
      empty: byId("result-empty"),
      problem: byId("result-problem"),
      digit: byId("answer-digit"),
      number: byId("answer-number"),
      steps: byId("steps"),
    };
    this.announcer = byId("announce");
  }

  /** The one-line answer under the pad on phones; null hides it. */
  #quick(value, unsure = false) {
    const quick = byId("quick-result");
    quick.hidden = value === null;
    quick.classList.toggle("is-unsure", unsure);
    byId("quick-value").textContent = value ?? "";
  }

  #show(state, ...visible) {
    this.root.dataset.state = state;
    this.root.classList.remove("is-pending");
    this.root.removeAttribute("aria-busy");
    this.pendingCue.hidden = true;
    for (const [name, element] of Object.entries(this.parts)) element.hidden = !visible.includes(name);
  }

  /** What is shown is out of date: a new reading is on its way. */
  pending() {
    this.root.classList.add("is-pending");
    this.root.setAttribute("aria-busy", "true");
    this.pendingCue.hidden = false;
  }

  empty() {
    this.#show("empty", "empty");
    this.#quick(null);
    this.announcer.textContent = "";
    byId("result-meta").textContent = "";
  }

  problem(problem) {
    this.#show("problem", "problem");
    this.#quick("!", true);
    byId("problem-title").textContent = problem.title ?? "Something went wrong";
    byId("problem-detail").textContent = problem.detail ?? "";
    byId("retry").hidden = !problem.retry;
    this.announcer.textContent = `${problem.title}. ${problem.detail ?? ""}`;
    byId("result-meta").textContent = "";
  }

  /** Digit mode, but the image holds several digits: offer to read it as a number. */
  severalDigits(answer) {
    this.#show("digit", "digit");
    byId("verdict").classList.add("is-unsure");
    byId("big-digit").textContent = "?";
    byId("confidence").textContent = "Several digits";
    byId("verdict-note").textContent = `This looks like ${answer.digits.length} digits, not one.`;
    byId("read-as-number").hidden = false;
    byId("runner-up").hidden = true;
    byId("chart").closest("figure").hidden = true;
    this.#quick("?", true);
    this.announcer.textContent = `This looks like ${answer.digits.length} digits. Read it as a number?`;
    this.#meta(answer);
  }

  digit(answer) {
    this.#show("digit", "digit", ...(answer.steps ? ["steps"] : []));
    byId("read-as-number").hidden = true;
    byId("chart").closest("figure").hidden = false;
    const unsure = !answer.is_digit;
    const blank = answer.digit === null;
    byId("verdict").classList.toggle("is-unsure", unsure);
    byId("big-digit").textContent = blank ? "–" : unsure ? "?" : String(answer.digit);
    byId("confidence").textContent = blank
      ? "No digit found"
      : unsure
        ? "Not sure this is a digit"
        : `${percent(answer.confidence)} sure`;
    byId("verdict-note").textContent = blank
      ? "The image is blank, or holds only a dot."
      : unsure
        ? `Best guess ${answer.digit} at ${percent(answer.confidence)}. Try a clearer, bigger digit.`
        : "Model confident";
    if (answer.several_digits) byId("verdict-note").textContent += SEVERAL_DIGITS_NOTE;
    this.#bars(answer.probabilities, blank ? null : answer.digit);
    const second = byId("runner-up");
    second.hidden = blank || !answer.runner_up;
    if (!second.hidden) {
      const strong = document.createElement("strong");
      strong.textContent = String(answer.runner_up.digit);
      second.replaceChildren("Second most likely: ", strong, ` at ${percent(answer.runner_up.probability)}`);
    }
    this.#quick(byId("big-digit").textContent, unsure);
    if (answer.steps) this.#steps(answer);
    this.announcer.textContent = blank
      ? "No digit found: the image is blank or holds only a dot."
      : unsure
        ? `Not sure this is a digit. Best guess ${answer.digit}.`
        : `The digit is ${answer.digit}, ${percent(answer.confidence)} sure.`;
    this.#meta(answer);
  }

  /** input: {url, width, height} of the image to draw boxes over, or null (drawn on the pad). */
  number(answer, input) {
    this.#show("number", "number");
    const doubtful = !answer.is_number;
    byId("number-verdict").classList.toggle("is-unsure", doubtful);
    byId("big-number").textContent = answer.number || "–";
    byId("number-confidence").textContent = !answer.digits.length
      ? "No digits found"
      : doubtful
        ? "Not sure this is a number: the pieces marked ? do not look like digits"
        : `${percent(answer.confidence)} sure of the whole number`;
    this.#quick(answer.number || "–", doubtful);
    const figure = byId("reading-figure");
    figure.hidden = !input;
    if (input) {
      const svg = byId("reading");
      svg.setAttribute("viewBox", `0 0 ${input.width} ${input.height}`);
      const image = document.createElementNS(SVG, "image");
      for (const [name, value] of Object.entries({ href: input.url, x: 0, y: 0, ...input })) {
        if (name !== "url") image.setAttribute(name, value);
      }
      svg.replaceChildren(image, ...answer.digits.map((digit) => boxElement(digit)));
    }
    byId("number-digits").replaceChildren(
      ...answer.digits.map((digit) => {
        const chip = document.createElement("li");
        chip.className = digit.is_digit ? "chip" : "chip is-unsure";
        const value = document.createElement("span");
        value.className = "chip-digit";
        value.textContent = digit.is_digit ? String(digit.digit) : "?";
        const confidence = document.createElement("span");
        confidence.className = "chip-confidence";
        confidence.textContent = percent(digit.confidence);
        chip.append(value, confidence);
        return chip;
      }),
    );
    const spelled = answer.number.split("").join(" ");
    this.announcer.textContent = !answer.number
      ? "No digits found."
      : doubtful
        ? `Not sure this is a number. Best reading ${spelled}.`
        : `The number is ${spelled}.`;
    this.#meta(answer);
  }

  #bars(probabilities, top) {
    for (const bar of this.root.querySelectorAll(".bar")) {
      const digit = Number(bar.dataset.digit);
      const p = probabilities[digit] ?? 0;
      const height = Math.round(p * BAR_HEIGHT * 10) / 10;
      const fill = bar.querySelector(".bar-fill");
      fill.setAttribute("y", BAR_TOP + BAR_HEIGHT - height);
      fill.setAttribute("height", height);
      const value = bar.querySelector(".bar-value");
      value.setAttribute("y", BAR_TOP + BAR_HEIGHT - height - 4);
      value.textContent = p >= 0.01 ? percent(p) : "";
      bar.classList.toggle("is-top", digit === top);
    }
  }

  /** The steps, the 28x28 input with its heatmap when the answer says why (explain=1). */
  #steps(answer) {
    byId("why-toggle").hidden = !answer.saliency_image;
    byId("step-list").replaceChildren(
      ...answer.steps.map((step) => {
        const item = document.createElement("li");
        item.className = `step step-${step.name}`;
        const label = STEP_LABELS[step.name] ?? step.name;
        const picture = document.createElement("span");
        picture.className = "step-picture";
        const image = document.createElement("img");
        image.src = step.image;
        image.alt = `${label} step, ${step.width} by ${step.height} pixels`;
        picture.append(image);
        if (step.name === "mnist" && answer.saliency_image) {
          const heatmap = document.createElement("img");
          heatmap.className = "heatmap";
          heatmap.src = answer.saliency_image;
          heatmap.alt = `Heatmap of the pixels that ${answer.digit} rests on`;
          picture.append(heatmap);
        }
        const name = document.createElement("span");
        name.className = "step-name";
        name.textContent = label;
        const size = document.createElement("span");
        size.className = "step-size";
        size.textContent = `${step.width}×${step.height}`;
        item.append(picture, name, size);
        return item;
      }),
    );
  }

  #meta(answer) {
    // A photo's digit may be read by the photos model: name the model that read it.
    const model = answer.read_by === "photos_model" ? answer.model.photos_model : answer.model;
    byId("result-meta").textContent = `${model.name} ${model.version} · ${Math.round(answer.timing_ms)} ms`;
  }
}
