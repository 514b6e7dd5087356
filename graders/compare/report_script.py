"""The report's one inline script: tabs, search, sort and filter over the tables the page already holds.

Inline, so report.html stays a single file that makes no network request. It only shows and orders rows that the
page rendered (escaped) in Python: it builds no HTML and reads no student text as markup. Without it the page is
still whole: every section shows, in student order.

A `.view` holds a search box (`input.search`), an optional filter (`select.filter`), a count (`.shown`) and a table
whose header buttons sort it. Rows carry `data-search` (the student's id and name, lower case) and `data-tags`
(space-separated `status:S`, `TASK:S` and `mistake:TASK:KEY` tokens that the filter's values name); a cell sorts by
its `data-v`, else its text.
"""

SCRIPT = """
"use strict";
document.body.classList.add("js");
for (const nav of document.querySelectorAll("nav.tabs")) {
  const buttons = [...nav.querySelectorAll("button[data-tab]")];
  const show = (name) => {
    for (const b of buttons) {
      const on = b.dataset.tab === name;
      b.setAttribute("aria-selected", on);
      document.getElementById(b.dataset.tab).classList.toggle("active", on);
    }
  };
  for (const b of buttons) b.addEventListener("click", () => show(b.dataset.tab));
  if (buttons.length) show(buttons[0].dataset.tab);
}
for (const view of document.querySelectorAll(".view")) {
  const search = view.querySelector("input.search");
  const filter = view.querySelector("select.filter");
  const shown = view.querySelector(".shown");
  const body = view.querySelector("tbody");
  const rows = [...body.rows];
  const apply = () => {
    const q = search.value.trim().toLowerCase();
    const f = filter ? filter.value : "";
    let n = 0;
    for (const row of rows) {
      const hit = (!q || row.dataset.search.includes(q)) && (!f || row.dataset.tags.split(" ").includes(f));
      row.hidden = !hit;
      n += hit;
    }
    shown.textContent = n + " of " + rows.length + " students";
  };
  search.addEventListener("input", apply);
  if (filter) filter.addEventListener("change", apply);
  const key = (row, i) => {
    const cell = row.cells[i];
    return cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent.trim();
  };
  const compare = (a, b) => {
    const x = Number(a), y = Number(b);
    return a !== "" && b !== "" && !isNaN(x) && !isNaN(y) ? x - y : a.localeCompare(b);
  };
  for (const th of view.querySelectorAll("thead th")) {
    const button = th.querySelector("button.sort");
    if (!button) continue;
    button.addEventListener("click", () => {
      const i = th.cellIndex;
      const up = th.getAttribute("aria-sort") !== "ascending";
      for (const other of view.querySelectorAll("thead th")) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      const sorted = [...body.rows].sort((r, s) => (up ? 1 : -1) * compare(key(r, i), key(s, i)));
      body.append(...sorted);
    });
  }
  apply();
}
"""
