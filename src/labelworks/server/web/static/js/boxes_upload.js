// The Data page's boxes import (templates/data_boxes.html): the chosen or dropped file is
// sent as the request body to the zone's data-boxes-upload URL with the format, the mode and
// the annotator as query parameters and the session's CSRF token; the server's answer is an
// HTML fragment it rendered and escaped (the counts, or the error), shown as it is. Errors
// from before the import ran come as the API's JSON {code, message} and are shown as text.
(() => {
  "use strict";
  const zone = document.querySelector("[data-boxes-upload]");
  if (!zone) return;
  const card = zone.closest("section");
  const input = zone.querySelector("input[type=file]");
  const bar = zone.querySelector("progress");
  const status = zone.querySelector("[data-upload-status]");
  const result = card.querySelector(".import-result");
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const maxBytes = Number(zone.dataset.maxBytes);
  const idle = status.textContent;
  let busy = false;

  function refuse(name, message) {
    const box = document.createElement("div");
    box.className = "flash bad";
    box.setAttribute("role", "alert");
    const head = document.createElement("p");
    const strong = document.createElement("b");
    strong.textContent = `Nothing was imported from ${name}.`;
    head.append(strong);
    const text = document.createElement("p");
    text.className = "where";
    text.textContent = message;
    box.append(head, text);
    result.replaceChildren(box);
  }

  function finish() {
    busy = false;
    zone.classList.remove("busy");
    bar.hidden = true;
    status.textContent = idle;
  }

  function upload(file) {
    if (busy) return;
    if (file.size > maxBytes) {
      refuse(file.name, `the file is ${file.size.toLocaleString()} bytes, over the import limit of ${maxBytes.toLocaleString()} bytes`);
      return;
    }
    const query = new URLSearchParams({
      file: file.name,
      format: card.querySelector("[data-boxes-format]").value,
      as: card.querySelector("[data-boxes-as]").value,
      annotator: card.querySelector("[data-boxes-annotator]").value,
      create_annotators: card.querySelector("[data-boxes-create]").checked ? "true" : "false",
    });
    busy = true;
    zone.classList.add("busy");
    result.replaceChildren();
    bar.hidden = false;
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    status.textContent = `Uploading ${file.name}…`;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${zone.dataset.boxesUpload}?${query}`);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      bar.max = Math.max(event.total, 1);
      bar.value = event.loaded;
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value");
      status.textContent = `Importing ${file.name}…`;
    });
    xhr.addEventListener("load", () => {
      finish();
      const type = xhr.getResponseHeader("Content-Type") || "";
      if (type.startsWith("text/html")) {
        result.innerHTML = xhr.responseText; // rendered and escaped by the server
        return;
      }
      let message = `the server answered ${xhr.status}`;
      try {
        message = JSON.parse(xhr.responseText).message || message;
      } catch (_) {
        // not JSON: keep the status
      }
      refuse(file.name, message);
    });
    xhr.addEventListener("error", () => {
      finish();
      refuse(file.name, "the upload broke off before the server answered");
    });
    xhr.send(file);
  }

  input.addEventListener("change", () => {
    if (input.files.length) upload(input.files[0]);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = event.dataTransfer.files;
    if (files.length > 1) {
      refuse(`${files.length} files`, "drop one file at a time");
    } else if (files.length) {
      upload(files[0]);
    }
  });
})();
