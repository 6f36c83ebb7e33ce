/*
 * @mention autocomplete for comment boxes: <textarea data-mentions>.
 *
 * Typing "@" and a few letters asks /discussion/mentions?q=... for people and lists them
 * under the box; choosing one (click, or Enter on the focused button) puts "@handle "
 * in place of what was typed. Escape closes the list. No inline script or style (CSP).
 */
(function () {
  "use strict";

  var box = null;

  function close() {
    if (box) {
      box.remove();
      box = null;
    }
  }

  function typedMention(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = /(^|[^\w@.])@([A-Za-z0-9._-]{1,40})$/.exec(before);
    if (!match) {
      return null;
    }
    return { start: area.selectionStart - match[2].length - 1, query: match[2] };
  }

  function insert(area, typed, handle) {
    var end = area.selectionStart;
    area.value = area.value.slice(0, typed.start) + "@" + handle + " " + area.value.slice(end);
    var caret = typed.start + handle.length + 2;
    area.focus();
    area.setSelectionRange(caret, caret);
    close();
  }

  function show(area, typed, people) {
    close();
    if (!people.length) {
      return;
    }
    box = document.createElement("ul");
    box.className = "mention-suggestions";
    box.setAttribute("data-testid", "mention-suggestions");
    people.forEach(function (person) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "small secondary outline";
      button.textContent = person.name + " (@" + person.handle + ")";
      button.addEventListener("click", function () {
        insert(area, typed, person.handle);
      });
      item.appendChild(button);
      box.appendChild(item);
    });
    area.insertAdjacentElement("afterend", box);
  }

  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("textarea[data-mentions]")) {
      return;
    }
    var typed = typedMention(area);
    if (!typed) {
      close();
      return;
    }
    fetch("/discussion/mentions?q=" + encodeURIComponent(typed.query), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (people) {
        if (typedMention(area)) {
          show(area, typed, people);
        }
      })
      .catch(close);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      close();
    }
  });
})();
