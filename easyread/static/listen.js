/* planbot: the big "Listen" button on a profile page.
   It plays and stops the page's own <audio> player, and its word says what a press will do:
   "Listen", or "Stop" while the sound plays. The button is hidden in the page until this
   script shows it, so without scripts the browser's own player is the way to listen.
   No inline script, no eval: the page's policy allows this one file from planbot. */
(function () {
  "use strict";
  var audio = document.getElementById("listen-audio");
  var button = document.getElementById("listen-button");
  if (!audio || !button || typeof audio.play !== "function") {
    return;
  }
  var words = {
    listen: button.getAttribute("data-listen") || "Listen",
    stop: button.getAttribute("data-stop") || "Stop"
  };

  function show() {
    var playing = !audio.paused && !audio.ended;
    button.textContent = playing ? words.stop : words.listen;
    button.className = playing ? "listen-button playing" : "listen-button";
  }

  button.addEventListener("click", function () {
    if (audio.paused || audio.ended) {
      var started = audio.play();
      if (started && typeof started.catch === "function") {
        started.catch(show);
      }
    } else {
      audio.pause();
    }
  });
  ["play", "playing", "pause", "ended", "emptied"].forEach(function (name) {
    audio.addEventListener(name, show);
  });
  show();
  button.hidden = false;
})();
