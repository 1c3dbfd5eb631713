// The editor's photo: choose a file (on a phone, the camera too) or drop one on the zone. It is
// uploaded at once; the server checks it as Google would (JPG or PNG, 10 KB to 5 MB, at least
// 250x250) and answers its public URL, which becomes the post's photo URL, so the preview shows
// it. Without JavaScript the file goes with the form instead, and the server does the same.
(function () {
  "use strict";

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function setUpPhotoUpload() {
    var zone = document.getElementById("photo-drop");
    var input = document.getElementById("photo-input");
    var status = document.getElementById("photo-status");
    var urlField = document.getElementById("id_media_url");
    var form = zone && zone.closest("form");
    if (!zone || !input || !status || !urlField || !form) return;
    var maxBytes = parseInt(zone.getAttribute("data-max-bytes"), 10);
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;

    function say(text, state) {
      status.textContent = text;
      status.setAttribute("data-state", state);
    }

    function answerOf(response) {
      return response.json().then(
        function (body) { return { ok: response.ok, body: body }; },
        function () {
          var error = response.status === 413
            ? "the file is larger than this site accepts; save a smaller copy and choose that."
            : "the upload failed (HTTP " + response.status + "); try again.";
          return { ok: false, body: { error: error } };
        }
      );
    }

    function upload(file) {
      if (!file) return;
      input.value = "";  // uploaded now: the form must not send it again
      if (file.size > maxBytes) {
        var limit = maxBytes >= 5 * 1024 * 1024
          ? "Google takes photos up to 5 MB"
          : "this site takes photos up to " + megabytes(maxBytes) + " (Google's own limit is 5 MB)";
        say("Not uploaded: the file is " + megabytes(file.size) + "; " + limit + ". " +
            "Save a smaller copy (most phones and photo editors can export a medium size) and choose that.", "error");
        return;
      }
      say("Uploading " + file.name + "…", "busy");
      var data = new FormData();
      data.append("photo", file, file.name);
      fetch(zone.getAttribute("data-upload-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Accept": "application/json" }
      })
        .then(answerOf)
        .then(function (answer) {
          if (!answer.ok) {
            say("Not uploaded: " + answer.body.error, "error");
            return;
          }
          urlField.value = answer.body.url;
          urlField.dispatchEvent(new Event("change", { bubbles: true }));  // the preview follows
          say("Uploaded (" + answer.body.width + " x " + answer.body.height + " pixels): it is the post's photo now.", "done");
        })
        .catch(function () {
          say("Not uploaded: the connection failed; try again.", "error");
        });
    }

    input.addEventListener("change", function (event) {
      // The preview waits for the upload: it follows when the photo URL field changes. Let the
      // form's listeners (the preview's) not see this change, which has no photo URL yet.
      event.stopPropagation();
      upload(input.files[0]);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      upload(event.dataTransfer.files[0]);
    });
  }

  document.addEventListener("DOMContentLoaded", setUpPhotoUpload);
})();
