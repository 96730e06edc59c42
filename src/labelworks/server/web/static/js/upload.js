// The Data page's imports (templates/data.html, data_boxes.html): a file dropped on a zone
// or chosen with its picker is sent as the request body to the zone's data-upload URL,
// named by the ?file= parameter, with the session's CSRF token; the options of the zone's
// card (data-upload-param) go along. The bar follows the upload; then the server imports the
// file (all rows or none) and answers with an HTML fragment it rendered and escaped (the
// counts, or the error naming file, line and field), shown as it is. Errors from before the
// import ran (not logged in, not allowed, over the size limit) come as the API's JSON
// {code, message} and are shown as text.
function dropZone(zone) {
  "use strict";
  const card = zone.closest("section") || zone;
  const input = zone.querySelector("input[type=file]");
  const bar = zone.querySelector("progress");
  const status = zone.querySelector("[data-upload-status]");
  const result = document.getElementById(zone.dataset.result);
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const maxBytes = Number(zone.dataset.maxBytes);
  const suffixes = input.accept.split(",");
  const idle = status.textContent;
  let busy = false;

  function refuse(name, message) {
    const box = document.createElement("div");
    box.className = "flash bad";
    box.setAttribute("role", "alert");
    box.dataset.testid = "import-error";
    const head = document.createElement("p");
    const strong = document.createElement("b");
    strong.textContent = `Nothing was imported from ${name}.`;
    head.append(strong);
    const text = document.createElement("p");
    text.className = "where";
    text.dataset.testid = "import-error-message";
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
    const name = file.name;
    const dot = name.lastIndexOf(".");
    if (dot <= 0 || !suffixes.includes(name.slice(dot).toLowerCase())) {
      refuse(name, `cannot tell the format of ${name}; name it ${suffixes.join(", ")}`);
      return;
    }
    if (file.size > maxBytes) {
      refuse(name, `the file is ${file.size.toLocaleString()} bytes, over the import limit of ${maxBytes.toLocaleString()} bytes`);
      return;
    }
    busy = true;
    zone.classList.add("busy");
    result.replaceChildren();
    bar.hidden = false;
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    status.textContent = `Uploading ${name}…`;
    const xhr = new XMLHttpRequest();
    // The card's options (a format choice, a "create annotators" box) go along as query
    // parameters: a ticked box as 1, a select's or field's value when it has one.
    const params = new URLSearchParams({ file: name });
    for (const option of card.querySelectorAll("[data-upload-param]")) {
      if (option.type === "checkbox" ? option.checked : option.value) {
        params.set(option.name, option.type === "checkbox" ? "1" : option.value);
      }
    }
    xhr.open("POST", `${zone.dataset.upload}?${params}`);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      bar.max = Math.max(event.total, 1);
      bar.value = event.loaded;
      status.textContent = `Uploading ${name}: ${Math.floor((100 * event.loaded) / bar.max)}%`;
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate while the server imports
      status.textContent = `Importing ${name}…`;
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
      refuse(name, message);
    });
    xhr.addEventListener("error", () => {
      finish();
      refuse(name, "the upload broke off before the server answered");
    });
    xhr.send(file);
  }

  input.addEventListener("change", () => {
    if (input.files.length) upload(input.files[0]);
    input.value = ""; // the same file may be chosen again
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
}

for (const zone of document.querySelectorAll("[data-upload]")) dropZone(zone);
