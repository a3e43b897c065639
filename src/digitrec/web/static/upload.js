// Images from outside the page: the upload button, drag and drop anywhere, and paste.

/** Calls onImage(file) for each image the user chooses, drops or pastes. */
export function listenForImages({ fileInput, dropOverlay, onImage }) {
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    if (file) onImage(file);
    // Choosing the same file again should read it again.
    fileInput.value = "";
  });

  let dragDepth = 0;
  const carriesFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth += 1;
    dropOverlay.hidden = false;
  });
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", (event) => {
    if (!carriesFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) dropOverlay.hidden = true;
  });
  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    dropOverlay.hidden = true;
    const file = event.dataTransfer.files[0];
    if (file) onImage(file);
  });

  document.addEventListener("paste", (event) => {
    const item = Array.from(event.clipboardData?.items ?? []).find(
      (each) => each.kind === "file" && each.type.startsWith("image/"),
    );
    if (!item) return;
    event.preventDefault();
    onImage(item.getAsFile());
  });
}

/** The pixel size of an image file, for drawing number boxes over it. */
export function imageSize(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
    image.onerror = () => reject(new Error("the browser cannot show this image"));
    image.src = url;
  });
}
