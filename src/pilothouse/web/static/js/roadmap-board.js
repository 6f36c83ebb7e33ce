/*
 * The Now/Next/Later board: drag a card to another place or column (native HTML5
 * drag and drop), and the move is saved with POST /api/v1/roadmap/items/{key}/move.
 *
 * Load as a file (the CSP forbids inline scripts):
 *   <script src="/static/js/roadmap-board.js" defer></script>
 * Markup:
 *   <p class="roadmap-board-message" role="status"></p>
 *   <div class="roadmap-board" data-move-url="/api/v1/roadmap/items/{key}/move">
 *     <section class="roadmap-column" data-horizon="now"><h2>Now <small>2</small></h2>
 *       <div class="roadmap-cards" data-horizon="now">
 *         <article class="roadmap-card" draggable="true" data-key="FEAT-1">…
 *           <button name="horizon" value="now" hidden>Move to Now</button>…
 * Without JavaScript (or without a pointer) each card's "Move to" buttons post a form.
 */
(function () {
  "use strict";

  var dragged = null;
  var origin = null; // {parent, next} to put the card back if the server refuses
  var dropped = false;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function say(text, isError) {
    var box = document.querySelector(".roadmap-board-message");
    if (box) {
      box.textContent = text;
      box.classList.toggle("is-error", Boolean(isError));
    }
  }

  function cardsOf(list) {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.classList.contains("roadmap-card");
    });
  }

  // The card the dragged one should land before, from the pointer's height.
  function cardAfterPointer(list, y) {
    var cards = cardsOf(list).filter(function (card) {
      return card !== dragged;
    });
    for (var i = 0; i < cards.length; i += 1) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) {
        return cards[i];
      }
    }
    return null;
  }

  function updateCounts(board) {
    Array.prototype.forEach.call(board.querySelectorAll(".roadmap-column"), function (column) {
      var count = column.querySelector("h2 small");
      var list = column.querySelector(".roadmap-cards");
      if (count && list) {
        count.textContent = String(cardsOf(list).length);
      }
    });
  }

  function showMoveButtons(card, horizon) {
    Array.prototype.forEach.call(card.querySelectorAll('button[name="horizon"]'), function (b) {
      b.hidden = b.value === horizon;
    });
  }

  function putBack(card, from) {
    if (card && from) {
      from.parent.insertBefore(card, from.next);
    }
  }

  function save(board, card, list, from) {
    var horizon = list.getAttribute("data-horizon");
    var key = card.getAttribute("data-key");
    var body = { horizon: horizon };
    var previous = card.previousElementSibling;
    var next = card.nextElementSibling;
    if (previous && previous.classList.contains("roadmap-card")) {
      body.after = previous.getAttribute("data-key");
    } else if (next && next.classList.contains("roadmap-card")) {
      body.before = next.getAttribute("data-key");
    }
    var url = board.getAttribute("data-move-url").replace("{key}", encodeURIComponent(key));
    board.classList.add("is-saving");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          throw new Error(result.data && result.data.detail ? result.data.detail : "not saved");
        }
        showMoveButtons(card, horizon);
        say("Moved " + key + " to " + horizon.charAt(0).toUpperCase() + horizon.slice(1) + ".");
      })
      .catch(function (error) {
        putBack(card, from);
        say("Could not move " + key + ": " + error.message, true);
      })
      .then(function () {
        board.classList.remove("is-saving");
        card.setAttribute("data-saved", "true");
        updateCounts(board);
      });
  }

  function setUp(board) {
    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest ? event.target.closest(".roadmap-card[draggable]") : null;
      if (!card) {
        return;
      }
      dragged = card;
      dropped = false;
      origin = { parent: card.parentNode, next: card.nextSibling };
      card.classList.add("is-dragging");
      card.removeAttribute("data-saved");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-key"));
    });

    board.addEventListener("dragover", function (event) {
      var list = dragged && event.target.closest ? event.target.closest(".roadmap-column") : null;
      if (!list) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      var cards = list.querySelector(".roadmap-cards");
      var before = cardAfterPointer(cards, event.clientY);
      if (before !== dragged.nextElementSibling || dragged.parentNode !== cards) {
        cards.insertBefore(dragged, before);
      }
    });

    board.addEventListener("drop", function (event) {
      var column = dragged && event.target.closest ? event.target.closest(".roadmap-column") : null;
      if (!column) {
        return;
      }
      event.preventDefault();
      var card = dragged;
      var list = column.querySelector(".roadmap-cards");
      if (card.parentNode !== list) {
        list.insertBefore(card, cardAfterPointer(list, event.clientY));
      }
      dropped = true;
      save(board, card, list, origin);
    });

    board.addEventListener("dragend", function () {
      if (dragged) {
        dragged.classList.remove("is-dragging");
        if (!dropped) {
          putBack(dragged, origin); // dropped outside a column: nothing changes
          updateCounts(board);
        }
      }
      dragged = null;
      origin = null;
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".roadmap-board[data-move-url]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
